/**
 * Golden fixtures for adapters: one folder per provider type per scenario (see
 * test/fixtures/openai-compatible/README.md for the files and their format). A type's folder is
 * test/fixtures/<type>/, or test/fixtures/<family>/<type>/ for the types of a family that share one
 * implementation (the OpenAI-compatible servers). A folder is a type's when its subfolders hold
 * `client-request.json`.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { providerSchema } from '../../../config/schema.js';
import { providerSettingsOf } from '../../../adapters/provider-settings.js';
import type { ClientRequest, Operation, StreamOutput, UpstreamHeaders, UpstreamTarget } from '../../../adapters/types.js';

export interface FixtureScenario {
  /** The provider type (the folder holding the scenario). */
  type: string;
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
  /** `provider` is written as in switchyard.yaml (`type`, `headers`, the type's own keys such as `api_key`). */
  target: { model: string; provider: Record<string, unknown> & { type: string } };
  body: Record<string, unknown>;
}

interface UpstreamResponseFile {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

const subdirs = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(dir, d.name))
    .sort();

const isTypeDir = (dir: string): boolean => subdirs(dir).some((s) => existsSync(join(s, 'client-request.json')));

/** Every provider type's fixture folder under `root`, by type (several folders for one type: all listed). */
export function fixtureDirs(root: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const add = (dir: string) => found.set(basename(dir), [...(found.get(basename(dir)) ?? []), dir]);
  for (const top of subdirs(root)) {
    if (isTypeDir(top)) add(top);
    else for (const inner of subdirs(top)) if (isTypeDir(inner)) add(inner);
  }
  return found;
}

/** The provider settings a fixture's target names, built as the runtime builds them from a config. */
function providerOf(type: string, written: ClientRequestFile['target']['provider'], dir: string): UpstreamTarget['provider'] {
  if (written.type !== type) throw new Error(`${dir}: target.provider.type is '${written.type}' but the folder is type '${type}'`);
  // The transport's keys do not reach adapters; a base URL only makes the entry a valid config one.
  const parsed = providerSchema.safeParse({ base_url: 'http://upstream.invalid/v1', ...written });
  if (!parsed.success) throw new Error(`${dir}: target.provider is not a valid provider: ${parsed.error.message}`);
  return providerSettingsOf(`${type}-fixture`, parsed.data);
}

export function loadScenarios(typeDir: string, type: string): FixtureScenario[] {
  const scenarios: FixtureScenario[] = [];
  for (const dir of subdirs(typeDir)) {
    const name = basename(dir);
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
    const target: UpstreamTarget = {
      deploymentId: `${type}-fixture`,
      model: file.target.model,
      provider: providerOf(type, file.target.provider, dir),
    };
    const scenario: FixtureScenario = { type, name, dir, request, target };
    const responsePath = join(dir, 'upstream-response.json');
    if (existsSync(responsePath)) {
      const r = readJson<UpstreamResponseFile>(responsePath);
      scenario.upstreamResponse = {
        status: r.status,
        headers: r.headers ?? {},
        body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body),
      };
    }
    const streamPath = join(dir, 'upstream-stream.txt');
    if (existsSync(streamPath)) scenario.upstreamStream = readFileSync(streamPath);
    scenarios.push(scenario);
  }
  return scenarios;
}

/** `skipped.json` in a type's folder: standard scenario -> why this type has no fixture for it. */
export function loadSkips(typeDir: string): Record<string, string> {
  const path = join(typeDir, 'skipped.json');
  return existsSync(path) ? readJson<Record<string, string>>(path) : {};
}

/** Translator output as text: chunks and `[DONE]` as a client sees them; an error as an `error:` line. */
export function renderStream(outputs: readonly StreamOutput[]): string {
  return outputs
    .map((o) => {
      if (o.type === 'chunk') return `data: ${o.data}\n\n`;
      if (o.type === 'done') return 'data: [DONE]\n\n';
      return `error: ${JSON.stringify(o.error)}\n\n`;
    })
    .join('');
}

export const recording = process.env['SWITCHYARD_RECORD_FIXTURES'] === '1';

/** Reads an expected file; in record mode writes `actual` first (review the diff before committing). */
export function expectedText(dir: string, file: string, actual: string): string | undefined {
  const path = join(dir, file);
  if (recording) writeFileSync(path, actual);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

export const pretty = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
