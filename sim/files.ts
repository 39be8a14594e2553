/**
 * OpenAI's Files API on the `openai` simulator kind, for the gateway's pass-through: upload
 * (`POST /v1/files`, multipart/form-data, read as a stream: the body is scanned part by part as it
 * arrives, never buffered whole before it is parsed), list (`GET /v1/files`), retrieve
 * (`GET /v1/files/{id}`), content (`GET /v1/files/{id}/content`) and delete. Files live in memory,
 * per simulator, with their byte counts. It runs before the server buffers bodies
 * (sim/server.ts), and records the request and checks the key as every /v1 path does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from './context.js';

export interface StoredFile {
  readonly id: string;
  readonly filename: string;
  readonly purpose: string;
  readonly bytes: number;
  readonly createdAt: number;
  readonly content: Buffer;
}

/** Uploads beyond this are refused (memory stays bounded). */
const maxFileBytes = 64 * 1024 * 1024;

const stores = new WeakMap<SimContext, Map<string, StoredFile>>();

/** The files a simulator holds (tests read them to see what arrived). */
export function filesOf(sim: SimContext): Map<string, StoredFile> {
  let store = stores.get(sim);
  if (!store) {
    store = new Map();
    stores.set(sim, store);
  }
  return store;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function fileObject(f: StoredFile): Record<string, unknown> {
  return {
    id: f.id,
    object: 'file',
    bytes: f.bytes,
    created_at: f.createdAt,
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed',
    expires_at: null,
    status_details: null,
  };
}

interface Part {
  name: string;
  filename: string | undefined;
  chunks: Buffer[];
  size: number;
}

/**
 * A multipart/form-data body scanned as it streams: each part's headers are parsed when they arrive,
 * its bytes collected; a delimiter split across chunks is found (the last delimiter-length bytes wait).
 */
class MultipartScanner {
  private readonly delimiter: Buffer;
  // The body's first delimiter has no leading CRLF: start as if one had been seen.
  private pending = Buffer.from('\r\n');
  private state: 'body' | 'after' | 'headers' | 'done' = 'body';
  private part: Part | undefined;
  readonly parts: Part[] = [];

  constructor(boundary: string) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  push(chunk: Buffer): void {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.state === 'body') {
        const at = buf.indexOf(this.delimiter);
        if (at < 0) {
          const keep = Math.min(buf.length, this.delimiter.length - 1);
          this.take(buf.subarray(0, buf.length - keep));
          buf = buf.subarray(buf.length - keep);
          break;
        }
        this.take(buf.subarray(0, at));
        this.part = undefined;
        buf = buf.subarray(at + this.delimiter.length);
        this.state = 'after';
      } else if (this.state === 'after') {
        if (buf.length < 2) break;
        const next = buf.subarray(0, 2).toString('latin1');
        buf = buf.subarray(2);
        this.state = next === '--' ? 'done' : 'headers';
      } else if (this.state === 'headers') {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        this.part = partOf(buf.subarray(0, end).toString('utf8'));
        this.parts.push(this.part);
        buf = buf.subarray(end + 4);
        this.state = 'body';
      } else {
        buf = Buffer.alloc(0);
        break;
      }
    }
    this.pending = Buffer.from(buf);
  }

  get complete(): boolean {
    return this.state === 'done';
  }

  private take(bytes: Buffer): void {
    if (!this.part || bytes.length === 0) return;
    this.part.chunks.push(Buffer.from(bytes));
    this.part.size += bytes.length;
  }
}

function partOf(headerText: string): Part {
  const disposition = /content-disposition:([^\r\n]*)/i.exec(headerText)?.[1] ?? '';
  const name = /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? '';
  const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
  return { name, filename, chunks: [], size: 0 };
}

function upload(sim: SimContext, req: IncomingMessage, res: ServerResponse): void {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(req.headers['content-type'] ?? '');
  if (!boundary) return json(res, 400, sim.flavor.errorBody(400, { message: 'Expected a multipart/form-data body with a boundary.' }));
  const scanner = new MultipartScanner((boundary[1] ?? boundary[2]!).trim());
  let total = 0;
  req.on('data', (chunk: Buffer) => {
    total += chunk.length;
    if (total > maxFileBytes) {
      json(res, 413, sim.flavor.errorBody(413, { message: 'File too large for the simulator' }));
      req.destroy();
      return;
    }
    scanner.push(chunk);
  });
  req.on('end', () => {
    if (res.headersSent) return;
    const file = scanner.parts.find((p) => p.filename !== undefined);
    const purpose = scanner.parts.find((p) => p.name === 'purpose');
    if (!scanner.complete || !file)
      return json(res, 400, sim.flavor.errorBody(400, { message: "Missing the 'file' part.", param: 'file' }));
    if (!purpose) return json(res, 400, sim.flavor.errorBody(400, { message: "Missing the 'purpose' part.", param: 'purpose' }));
    const stored: StoredFile = {
      id: sim.nextId('file-'),
      filename: file.filename!,
      purpose: Buffer.concat(purpose.chunks).toString('utf8'),
      bytes: file.size,
      createdAt: Math.floor(Date.now() / 1000),
      content: Buffer.concat(file.chunks),
    };
    filesOf(sim).set(stored.id, stored);
    json(res, 200, fileObject(stored));
  });
}

/**
 * Serves /v1/files* on the openai kind; false for every other request (the server goes on as usual).
 * Runs before the body is read, so an upload streams.
 */
export function handleFiles(sim: SimContext, req: IncomingMessage, res: ServerResponse): boolean {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (sim.options.kind !== 'openai' || (path !== '/v1/files' && !path.startsWith('/v1/files/'))) return false;
  const method = req.method ?? 'GET';
  sim.counters.requests += 1;
  sim.counters.byOperation.other += 1;
  sim.record({ method, path, headers: req.headers, body: null, at: Date.now() });
  if (sim.options.apiKey !== undefined && req.headers.authorization !== `Bearer ${sim.options.apiKey}`) {
    req.resume();
    json(res, 401, sim.flavor.errorBody(401));
    return true;
  }
  const store = filesOf(sim);
  const [, , , id, what, extra] = path.split('/');
  if (path === '/v1/files' && method === 'POST') {
    upload(sim, req, res);
    return true;
  }
  req.resume();
  if (path === '/v1/files' && method === 'GET') {
    const data = [...store.values()].reverse().map(fileObject);
    json(res, 200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
    return true;
  }
  const file = id === undefined ? undefined : store.get(id);
  if (!file || extra !== undefined || (what !== undefined && what !== 'content')) {
    json(res, 404, sim.flavor.errorBody(404, { message: `No such File object: ${id ?? ''}`, param: 'id' }));
  } else if (what === 'content' && method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.content.length });
    res.end(file.content);
  } else if (what === undefined && method === 'GET') {
    json(res, 200, fileObject(file));
  } else if (what === undefined && method === 'DELETE') {
    store.delete(file.id);
    json(res, 200, { id: file.id, object: 'file', deleted: true });
  } else {
    json(res, 405, sim.flavor.errorBody(405, { message: `Invalid method for URL (${method} ${path})` }));
  }
  return true;
}
