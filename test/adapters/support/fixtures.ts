/**
 * Golden fixtures for adapters: one folder per provider type per scenario (see
 * test/fixtures/openai-compatible/README.md for the files and their format).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientRequest, Operation, StreamOutput, UpstreamHeaders, UpstreamTarget } from '../../../adapters/types.js';

export interface FixtureScenario {
  profile: string;
  name: string;
  dir: string;
  request: ClientRequest;
  target: UpstreamTarget;
  /** Non-stream scenarios: the upstream's answer. */
  upstreamResponse?: { status: number; headers: UpstreamHeaders; body: string };
  /** Stream scenarios: the upstream's SSE bytes. */
  upstreamStream?: Buffer;
}

interface ClientRequestFile {
  operation: Operation;
  target: { model: string; provider: { type: string; apiKey?: string; headers?: Record<string, string> } };
  body: Record<string, unknown>;
}

interface UpstreamResponseFile {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

export function loadScenarios(root: string): FixtureScenario[] {
  const scenarios: FixtureScenario[] = [];
  for (const profile of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const name of readdirSync(join(root, profile)).sort()) {
      const dir = join(root, profile, name);
      const file = readJson<ClientRequestFile>(join(dir, 'client-request.json'));
      const raw = Buffer.from(JSON.stringify(file.body));
      const options = file.body['stream_options'];
      const request: ClientRequest = {
        operation: file.operation,
        body: Object.freeze(JSON.parse(raw.toString('utf8')) as Record<string, unknown>),
        raw,
        stream: file.body['stream'] === true,
        includeUsage: typeof options === 'object' && options !== null && (options as { include_usage?: unknown }).include_usage === true,
      };
      const { type, apiKey, headers } = file.target.provider;
      const target: UpstreamTarget = {
        deploymentId: `${profile}-fixture`,
        model: file.target.model,
        provider: { id: `${profile}-fixture`, type, headers: headers ?? {}, ...(apiKey === undefined ? {} : { apiKey }) },
      };
      const scenario: FixtureScenario = { profile, name, dir, request, target };
      const responsePath = join(dir, 'upstream-response.json');
      if (existsSync(responsePath)) {
        const r = readJson<UpstreamResponseFile>(responsePath);
        scenario.upstreamResponse = { status: r.status, headers: r.headers ?? {}, body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body) };
      }
      const streamPath = join(dir, 'upstream-stream.txt');
      if (existsSync(streamPath)) scenario.upstreamStream = readFileSync(streamPath);
      scenarios.push(scenario);
    }
  }
  return scenarios;
}

/** Translator output as text: chunks and `[DONE]` as a client sees them; an error as an `error:` line. */
export function renderStream(outputs: readonly StreamOutput[]): string {
  return outputs.map((o) => {
    if (o.type === 'chunk') return `data: ${o.data}\n\n`;
    if (o.type === 'done') return 'data: [DONE]\n\n';
    return `error: ${JSON.stringify(o.error)}\n\n`;
  }).join('');
}

export const recording = process.env['SWITCHYARD_RECORD_FIXTURES'] === '1';

/** Reads an expected file; in record mode writes `actual` first (review the diff before committing). */
export function expectedText(dir: string, file: string, actual: string): string | undefined {
  const path = join(dir, file);
  if (recording) writeFileSync(path, actual);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

export const pretty = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
