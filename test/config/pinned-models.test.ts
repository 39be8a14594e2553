/**
 * A deployment's model must be pinned: a floating alias (by its provider type's rule,
 * adapters/shared/floating-models.ts) is an error at the `model` value, with file:line:col and the
 * reason, unless the deployment says `allow_floating: true`.
 */
import { describe, expect, it } from 'vitest';
import { errorsOf } from '../support/config-text.js';
import { loadConfigText } from '../../config/loader.js';

const config = (deployment: string, type = 'openai') => `version: 1
providers:
  p: { type: ${type}, base_url: "http://h:8000/v1" }
deployments:
  d:
    provider: p
${deployment}
routes:
  chat: { targets: [d] }
`;

describe('pinned models', () => {
  it('refuses an OpenAI floating alias at its model value, with the reason', () => {
    expect(errorsOf(config('    model: gpt-4o'))).toEqual([
      "sw.yaml:7:12: deployments.d.model: 'gpt-4o' is a floating alias: OpenAI moves it to new snapshots; pin a dated id such as gpt-4o-YYYY-MM-DD (OpenAI's models page lists them); or set allow_floating: true to accept that it moves",
    ]);
    expect(errorsOf(config('    model: chatgpt-4o-latest'))[0]).toMatch(
      /^sw\.yaml:7:12: deployments\.d\.model: 'chatgpt-4o-latest' is a floating alias/,
    );
  });

  it('refuses an Ollama name without a tag, and :latest', () => {
    expect(errorsOf(config('    model: llama3.1', 'ollama'))[0]).toMatch(
      /^sw\.yaml:7:12: deployments\.d\.model: 'llama3\.1' is a name without a tag/,
    );
    expect(errorsOf(config('    model: llama3.1:latest', 'ollama'))[0]).toMatch(/^sw\.yaml:7:12: .*the :latest tag/);
    expect(errorsOf(config('    model: llama3.1:8b', 'ollama'))).toEqual([]);
  });

  it('accepts pinned ids, undated OpenAI families, and any name on a self-hosted type', () => {
    expect(errorsOf(config('    model: gpt-4o-2024-08-06'))).toEqual([]);
    expect(errorsOf(config('    model: text-embedding-3-small'))).toEqual([]);
    for (const type of ['vllm', 'tgi', 'sglang', 'llamacpp', 'openai-compatible'])
      expect(errorsOf(config('    model: gpt-4o', type))).toEqual([]);
  });

  it('accepts a floating alias with allow_floating: true (and defaults to false, on_drift record)', () => {
    const r = loadConfigText(config('    model: gpt-4o\n    allow_floating: true'), 'sw.yaml', {});
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.config.deployments['d']).toMatchObject({ allow_floating: true, on_drift: 'record' });
    const pinned = loadConfigText(config('    model: gpt-4o-2024-08-06\n    on_drift: fail_over'), 'sw.yaml', {});
    if (pinned.ok) expect(pinned.config.deployments['d']).toMatchObject({ allow_floating: false, on_drift: 'fail_over' });
    expect(pinned.ok).toBe(true);
  });

  it('refuses on_drift: fail_over on an accepted floating alias: its answers are never compared', () => {
    expect(errorsOf(config('    model: gpt-4o\n    allow_floating: true\n    on_drift: fail_over'))).toEqual([
      "sw.yaml:9:15: deployments.d.on_drift: on_drift: fail_over needs a pinned model: answers of the floating alias 'gpt-4o' name whatever it points at, so they are not checked for drift (pin a dated id, or remove on_drift)",
    ]);
  });

  it('checks a model from the environment, at the line of its reference', () => {
    expect(errorsOf(config('    model: ${MODEL}'), { MODEL: 'gpt-4o' })[0]).toMatch(
      /^sw\.yaml:7:12: deployments\.d\.model: 'gpt-4o' is a floating alias/,
    );
  });
});
