/** Requests and targets for the anthropic adapter's unit tests. */
import type { ClientRequest, UpstreamTarget } from '../../../adapters/types.js';
import type { AnthropicSettings } from '../../../adapters/anthropic/settings.js';

export function chatRequest(body: Record<string, unknown>): ClientRequest {
  const full: Record<string, unknown> = { model: 'chat', ...body };
  const options = full['stream_options'] as { include_usage?: boolean } | undefined;
  return {
    operation: 'chat',
    body: full,
    raw: Buffer.from(JSON.stringify(full)),
    stream: full['stream'] === true,
    includeUsage: options?.include_usage === true,
  };
}

export function target(settings: Partial<AnthropicSettings> = {}, headers: Record<string, string> = {}): UpstreamTarget<AnthropicSettings> {
  return {
    deploymentId: 'claude',
    model: 'claude-sonnet-4-20250514',
    provider: { id: 'anthropic', type: 'anthropic', headers, api_key: 'sk-ant-test', ...settings },
  };
}
