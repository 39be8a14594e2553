/**
 * A Converse request, checked as Bedrock checks it and then read by the shared request reader. Bedrock
 * refuses with a 400 ValidationException what a translating gateway could get wrong: no messages, a
 * first message that is not the user's, roles that do not alternate, content that is not tagged blocks,
 * toolUse/toolResult blocks without a `toolConfig`, a toolResult that answers no toolUse of the turn
 * before, a temperature above 1 (OpenAI allows 2), maxTokens below 1. The request is then rewritten
 * into OpenAI's shape (system first, toolUse as tool_calls, toolResult as tool messages, a final
 * assistant turn as the answer to continue) so that sim/request.ts derives the prompt hash, tool
 * choice, caps, stop strings and prefill as for the other kinds.
 */
import { isRecord, isRejection, parseCompletionRequest, type CompletionRequest, type Rejection } from '../../request.js';

type Body = Record<string, unknown>;

const reject = (message: string): Rejection => ({ status: 400, message, param: null });

const constraint = (value: unknown, path: string, rule: string): Rejection =>
  reject(`1 validation error detected: Value '${String(value)}' at '${path}' failed to satisfy constraint: ${rule}`);

function checkInference(config: unknown): Rejection | undefined {
  if (config === undefined) return undefined;
  if (!isRecord(config))
    return reject('Malformed input request: inferenceConfig must be an object, please reformat your input and try again.');
  const { maxTokens, temperature, topP } = config;
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || (maxTokens as number) < 1))
    return constraint(maxTokens, 'inferenceConfig.maxTokens', 'Member must have value greater than or equal to 1');
  if (temperature !== undefined && (typeof temperature !== 'number' || temperature < 0 || temperature > 1))
    return constraint(temperature, 'inferenceConfig.temperature', 'Member must have value less than or equal to 1');
  if (topP !== undefined && (typeof topP !== 'number' || topP < 0 || topP > 1))
    return constraint(topP, 'inferenceConfig.topP', 'Member must have value less than or equal to 1');
  return undefined;
}

const alternation =
  'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.';

function checkMessages(messages: unknown, hasToolConfig: boolean): Rejection | undefined {
  if (!Array.isArray(messages)) return constraint(null, 'messages', 'Member must not be null');
  if (messages.length === 0 || !isRecord(messages[0]) || messages[0]['role'] !== 'user')
    return reject('A conversation must start with a user message. Try again with a conversation that starts with a user message.');
  let previousToolUses = 0;
  for (let i = 0; i < messages.length; i++) {
    const message: unknown = messages[i];
    if (!isRecord(message) || (message['role'] !== 'user' && message['role'] !== 'assistant'))
      return constraint(
        isRecord(message) ? message['role'] : message,
        `messages.${i + 1}.member.role`,
        'Member must satisfy enum value set: [user, assistant]',
      );
    if (i > 0 && (messages[i - 1] as Body)['role'] === message['role']) return reject(alternation);
    const content = message['content'];
    if (!Array.isArray(content) || content.length === 0)
      return constraint(content, `messages.${i + 1}.member.content`, 'Member must not be null');
    let toolUses = 0;
    let toolResults = 0;
    for (const block of content as unknown[]) {
      if (!isRecord(block) || Object.keys(block).length !== 1)
        return reject(
          `Malformed input request: #/messages/${i}/content: each content block must have exactly one member, please reformat your input and try again.`,
        );
      if ('toolUse' in block) toolUses++;
      if ('toolResult' in block) toolResults++;
      if (
        'text' in block &&
        typeof block['text'] === 'string' &&
        block['text'].trim() === '' &&
        message['role'] === 'assistant' &&
        i < messages.length - 1
      )
        return reject('The text field in the ContentBlock object is blank. Add text to the text field, and try again.');
    }
    if ((toolUses > 0 || toolResults > 0) && !hasToolConfig)
      return reject('The toolConfig field must be defined when using toolUse and toolResult content blocks.');
    if (toolResults > previousToolUses)
      return reject(`The number of toolResult blocks at messages.${i}.content exceeds the number of toolUse blocks of previous turn.`);
    previousToolUses = toolUses;
  }
  return undefined;
}

function textOf(content: readonly unknown[]): string {
  let text = '';
  for (const block of content) if (isRecord(block) && typeof block['text'] === 'string') text += block['text'];
  return text;
}

/** The conversation in OpenAI's shape, for the shared reader. */
function openAIMessages(body: Body): Body[] {
  const out: Body[] = [];
  if (Array.isArray(body['system'])) {
    const system = textOf(body['system'] as unknown[]);
    if (system !== '') out.push({ role: 'system', content: system });
  }
  for (const message of body['messages'] as Body[]) {
    const content = message['content'] as unknown[];
    if (message['role'] === 'assistant') {
      const calls = content.flatMap((b) => (isRecord(b) && isRecord(b['toolUse']) ? [b['toolUse']] : []));
      const entry: Body = { role: 'assistant', content: textOf(content) };
      if (calls.length > 0)
        entry['tool_calls'] = calls.map((c) => ({
          id: c['toolUseId'],
          type: 'function',
          function: { name: c['name'], arguments: JSON.stringify(c['input']) },
        }));
      out.push(entry);
      continue;
    }
    for (const block of content) {
      if (isRecord(block) && isRecord(block['toolResult'])) {
        const result = block['toolResult'];
        out.push({
          role: 'tool',
          tool_call_id: result['toolUseId'],
          content: Array.isArray(result['content']) ? textOf(result['content']) : '',
        });
      }
    }
    const text = textOf(content);
    if (text !== '' || !content.some((b) => isRecord(b) && 'toolResult' in b)) out.push({ role: 'user', content: text });
  }
  return out;
}

function openAITools(config: unknown): Body {
  if (!isRecord(config) || !Array.isArray(config['tools'])) return {};
  const tools = (config['tools'] as unknown[]).flatMap((t) =>
    isRecord(t) && isRecord(t['toolSpec'])
      ? [
          {
            type: 'function',
            function: {
              name: t['toolSpec']['name'],
              parameters: isRecord(t['toolSpec']['inputSchema']) ? t['toolSpec']['inputSchema']['json'] : {},
            },
          },
        ]
      : [],
  );
  const choice = config['toolChoice'];
  let toolChoice: unknown;
  if (isRecord(choice) && 'any' in choice) toolChoice = 'required';
  else if (isRecord(choice) && isRecord(choice['tool'])) toolChoice = { type: 'function', function: { name: choice['tool']['name'] } };
  return toolChoice === undefined ? { tools } : { tools, tool_choice: toolChoice };
}

/** A checked Converse request (the model id comes from the path) as the shared CompletionRequest. */
export function parseConverseRequest(body: unknown, model: string, stream: boolean): CompletionRequest | Rejection {
  if (!isRecord(body)) return reject('Malformed input request, please reformat your input and try again.');
  const problem = checkMessages(body['messages'], isRecord(body['toolConfig'])) ?? checkInference(body['inferenceConfig']);
  if (problem) return problem;
  const inference = isRecord(body['inferenceConfig']) ? body['inferenceConfig'] : {};
  const openai: Body = {
    model,
    messages: openAIMessages(body),
    stream,
    stream_options: { include_usage: true },
    ...openAITools(body['toolConfig']),
  };
  if (inference['maxTokens'] !== undefined) openai['max_tokens'] = inference['maxTokens'];
  if (Array.isArray(inference['stopSequences'])) openai['stop'] = inference['stopSequences'];
  // Converse continues a final assistant turn as it is (Claude's prefill).
  const request = parseCompletionRequest('chat', openai, 'last_assistant');
  return isRejection(request) ? reject(request.message) : request;
}
