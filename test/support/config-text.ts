/** A small valid config the loader tests vary, and its errors as the CLI prints them. */
import { formatIssue, loadConfigText } from '../../config/loader.js';

export const baseConfig = `version: 1
providers:
  local: { type: vllm, base_url: "http://127.0.0.1:8000/v1" }
deployments:
  llama@local: { provider: local, model: llama }
routes:
  chat:
    targets: [llama@local]
`;

/** Every error of `text` as `sw.yaml:line:col: path: message`; empty when it loads. */
export function errorsOf(text: string, env: Record<string, string> = {}): string[] {
  const r = loadConfigText(text, 'sw.yaml', env);
  return r.ok ? [] : r.errors.map(formatIssue);
}
