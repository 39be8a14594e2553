/** Requests and targets for the bedrock adapter's unit tests. */
import type { ClientRequest, Operation, UpstreamTarget } from '../../../adapters/types.js';
import type { BedrockSettings } from '../../../adapters/bedrock/settings.js';

export function clientRequest(body: Record<string, unknown>, operation: Operation = 'chat'): ClientRequest {
  const options = body['stream_options'];
  return {
    operation,
    body,
    raw: Buffer.from(JSON.stringify(body)),
    stream: body['stream'] === true,
    includeUsage: typeof options === 'object' && options !== null && (options as { include_usage?: unknown }).include_usage === true,
  };
}

export function bedrockTarget(
  model = 'anthropic.claude-3-5-sonnet-20240620-v1:0',
  settings: Partial<BedrockSettings> = {},
): UpstreamTarget<BedrockSettings> {
  return {
    deploymentId: 'bedrock-test',
    model,
    provider: { id: 'aws', type: 'bedrock', headers: {}, region: 'us-east-1', ...settings },
  };
}
