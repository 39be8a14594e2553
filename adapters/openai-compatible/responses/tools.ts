/**
 * Tools and tool choice, Responses API to Chat Completions. Function tools are flat in the Responses
 * API (`{type: 'function', name, description, parameters, strict}`) and nested in chat
 * (`{type: 'function', function: {...}}`); a named tool choice likewise. Every other tool type
 * (web_search, file_search, code_interpreter, computer_use, mcp, image_generation, custom, ...) is run
 * by OpenAI itself and has no translation: the request becomes native-only. The echo is what the
 * Response object repeats back: function tools with every member the spec requires.
 */
import { isRecord, type JsonObject } from '../../shared/json.js';
import { DoorRequestError } from '../../front-door.js';
import type { InputFindings } from './input.js';
import type { ResponsesFunctionTool } from './wire.js';

const toolChoiceModes: ReadonlySet<string> = new Set(['auto', 'none', 'required']);

/** The client's function tools as the Response echoes them; other tools as sent. */
export function echoTools(tools: unknown): unknown[] {
  if (!Array.isArray(tools)) return [];
  return tools.map((tool: unknown) => {
    if (!isRecord(tool) || tool['type'] !== 'function') return tool;
    const echoed: ResponsesFunctionTool = {
      type: 'function',
      name: String(tool['name']),
      description: typeof tool['description'] === 'string' ? tool['description'] : null,
      parameters: isRecord(tool['parameters']) ? tool['parameters'] : null,
      strict: typeof tool['strict'] === 'boolean' ? tool['strict'] : null,
    };
    return echoed;
  });
}

/** `tools` as chat tools; tools only OpenAI runs are noted in `findings` and left out. */
export function chatTools(tools: unknown, findings: InputFindings): JsonObject[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw new DoorRequestError('tools must be an array of tools.', 'tools');
  const out: JsonObject[] = [];
  tools.forEach((tool: unknown, i) => {
    const param = `tools[${i}]`;
    if (!isRecord(tool) || typeof tool['type'] !== 'string') {
      throw new DoorRequestError(`${param} must be an object with a 'type' (e.g. 'function').`, `${param}.type`);
    }
    if (tool['type'] !== 'function') {
      findings.nativeOnly.push(`${param}.type`);
      return;
    }
    const name = tool['name'];
    if (typeof name !== 'string' || name === '') {
      throw new DoorRequestError(`${param}.name must be the function's name (a non-empty string).`, `${param}.name`);
    }
    const parameters = tool['parameters'];
    if (parameters !== undefined && parameters !== null && !isRecord(parameters)) {
      throw new DoorRequestError(`${param}.parameters must be a JSON Schema object.`, `${param}.parameters`);
    }
    const fn: JsonObject = { name };
    if (typeof tool['description'] === 'string') fn['description'] = tool['description'];
    if (isRecord(parameters)) fn['parameters'] = parameters;
    if (typeof tool['strict'] === 'boolean') fn['strict'] = tool['strict'];
    out.push({ type: 'function', function: fn });
  });
  return out;
}

/** `tool_choice` in chat form; undefined when absent or when only a native upstream can honour it. */
export function chatToolChoice(choice: unknown, findings: InputFindings): unknown {
  if (choice === undefined || choice === null) return undefined;
  if (typeof choice === 'string') {
    if (toolChoiceModes.has(choice)) return choice;
    throw new DoorRequestError(`tool_choice must be auto, none, required or an object; got ${JSON.stringify(choice)}.`, 'tool_choice');
  }
  if (!isRecord(choice) || typeof choice['type'] !== 'string') {
    throw new DoorRequestError("tool_choice must be auto, none, required or an object with a 'type'.", 'tool_choice');
  }
  if (choice['type'] === 'function') {
    if (typeof choice['name'] !== 'string') throw new DoorRequestError('tool_choice.name must name a function tool.', 'tool_choice.name');
    return { type: 'function', function: { name: choice['name'] } };
  }
  // allowed_tools, a built-in tool, mcp, custom: OpenAI's own.
  findings.nativeOnly.push('tool_choice.type');
  return undefined;
}
