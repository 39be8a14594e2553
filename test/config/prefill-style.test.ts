/**
 * A deployment that declares `capabilities: [prefill]` must sit on a provider whose server can
 * continue an assistant answer: its provider's `prefill` style, or its type's default (vllm and
 * sglang: continue_final_message). Otherwise it is an error at load, at the capability, saying what
 * to write.
 */
import { describe, expect, it } from 'vitest';
import { formatIssue, loadConfigText } from '../../config/loader.js';

const config = (provider: string) => `version: 1
providers:
  p: ${provider}
deployments:
  m@p: { provider: p, model: m, capabilities: [tools, prefill], allow_floating: true }
routes:
  chat: { targets: [m@p] }
`;

function issues(provider: string): string[] {
  const r = loadConfigText(config(provider), 'sw.yaml', {});
  return r.ok ? [] : r.errors.map(formatIssue);
}

describe('a prefill capability needs a prefill style', () => {
  it('is an error for a type without a default, at the capability, saying what to write', () => {
    for (const type of ['openai', 'openai-compatible', 'llamacpp']) {
      expect(issues(`{ type: ${type}, base_url: "http://h:8000/v1" }`)).toEqual([
        `sw.yaml:5:55: deployments.m@p.capabilities[1]: capability prefill needs to know how provider 'p' continues an assistant answer, and type ${type} has no default: ` +
          "set providers.p.prefill to one of continue_final_message (vLLM, SGLang), last_assistant (llama.cpp's server, OpenRouter), prefix_flag (DeepSeek, Mistral), or remove prefill from capabilities",
      ]);
    }
  });

  it('loads with a style set, or on a type whose server has one by default', () => {
    expect(issues('{ type: openai-compatible, base_url: "http://h:8000/v1", prefill: prefix_flag }')).toEqual([]);
    expect(issues('{ type: llamacpp, base_url: "http://h:8000/v1", prefill: last_assistant }')).toEqual([]);
    expect(issues('{ type: vllm, base_url: "http://h:8000/v1" }')).toEqual([]);
    expect(issues('{ type: sglang, base_url: "http://h:8000/v1" }')).toEqual([]);
  });

  it('an unknown style is a schema error listing the styles', () => {
    const [issue] = issues('{ type: openai, base_url: "http://h:8000/v1", prefill: continue }');
    expect(issue).toMatch(/^sw.yaml:3:\d+: providers.p.prefill: .*continue_final_message.*last_assistant.*prefix_flag/);
  });

  it('a style without the capability is fine: the deployment decides whether its model may be prefilled', () => {
    const r = loadConfigText(
      config('{ type: openai, base_url: "http://h:8000/v1", prefill: last_assistant }').replace('tools, prefill', 'tools'),
      'sw.yaml',
      {},
    );
    expect(r.ok).toBe(true);
  });
});
