/**
 * OpenAI's Realtime API (GA event names) on the `openai` simulator kind, for the gateway's WebSocket
 * pass-through: `GET /v1/realtime?model=...` upgraded on the simulator's own HTTP server. The key is
 * checked like every /v1 path (`Authorization: Bearer`), the upgrade is recorded with its headers,
 * `session.created` is sent on connect, and `response.create` is answered with a text response:
 * response.created, response.output_item.added, response.content_part.added,
 * response.output_text.delta (one per word), response.output_text.done, response.content_part.done,
 * response.output_item.done, response.done. `session.update` gets `session.updated`; anything else
 * an `error` event. Text only: no audio.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SimContext } from './context.js';

/** What a realtime answer says: fixed, so tests can compare it. */
export const realtimeAnswer = 'Hello from the simulated realtime model.';

const servers = new WeakMap<SimContext, WebSocketServer>();

function serverOf(sim: SimContext): WebSocketServer {
  let wss = servers.get(sim);
  if (!wss) {
    wss = new WebSocketServer({ noServer: true });
    servers.set(sim, wss);
  }
  return wss;
}

function refuse(socket: Duplex, status: number, reason: string, body: unknown): void {
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  );
}

/** Handles an HTTP upgrade on the simulator's server (every kind: the others refuse it). */
export function handleUpgrade(sim: SimContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const url = new URL(req.url ?? '/', 'http://sim');
  sim.counters.requests += 1;
  sim.counters.byOperation.other += 1;
  sim.record({ method: req.method ?? 'GET', path: url.pathname, headers: req.headers, body: null, at: Date.now() });
  if (sim.options.kind !== 'openai' || url.pathname !== '/v1/realtime')
    return refuse(socket, 404, 'Not Found', sim.flavor.errorBody(404, { message: `Invalid URL (GET ${url.pathname})` }));
  if (sim.options.apiKey !== undefined && req.headers.authorization !== `Bearer ${sim.options.apiKey}`)
    return refuse(socket, 401, 'Unauthorized', sim.flavor.errorBody(401));
  const model = url.searchParams.get('model') ?? sim.options.model;
  serverOf(sim).handleUpgrade(req, socket, head, (ws) => new RealtimeSession(sim, ws, model).start());
}

class RealtimeSession {
  private readonly sessionId: string;

  constructor(
    private readonly sim: SimContext,
    private readonly ws: WebSocket,
    private readonly model: string,
  ) {
    this.sessionId = sim.nextId('sess_');
  }

  start(): void {
    this.send({ type: 'session.created', session: this.session() });
    // Text frames only (the Realtime API sends JSON events); binary frames are decoded the same way.
    this.ws.on('message', (data: Buffer) => this.onMessage(data.toString('utf8')));
  }

  private session(): Record<string, unknown> {
    return { type: 'realtime', object: 'realtime.session', id: this.sessionId, model: this.model, output_modalities: ['text'] };
  }

  private send(event: Record<string, unknown>): void {
    this.ws.send(JSON.stringify({ event_id: this.sim.nextId('event_'), ...event }));
  }

  private onMessage(text: string): void {
    let event: { type?: unknown };
    try {
      event = JSON.parse(text) as { type?: unknown };
    } catch {
      return this.error('invalid_json', 'The event is not valid JSON.');
    }
    if (event.type === 'response.create') return this.respond();
    if (event.type === 'session.update') return this.send({ type: 'session.updated', session: this.session() });
    this.error('unknown_event', `The simulator does not handle events of type '${String(event.type)}'.`);
  }

  private error(code: string, message: string): void {
    this.send({ type: 'error', error: { type: 'invalid_request_error', code, message, param: null, event_id: null } });
  }

  private respond(): void {
    const responseId = this.sim.nextId('resp_');
    const itemId = this.sim.nextId('item_');
    const ids = { response_id: responseId, item_id: itemId, output_index: 0 };
    const item = (status: string, content: unknown[]) => ({
      id: itemId,
      object: 'realtime.item',
      type: 'message',
      role: 'assistant',
      status,
      content,
    });
    const part = { type: 'output_text', text: realtimeAnswer };
    const response = (status: string, output: unknown[]) => ({
      id: responseId,
      object: 'realtime.response',
      status,
      output,
      output_modalities: ['text'],
      usage:
        status === 'completed'
          ? { total_tokens: 17, input_tokens: 9, output_tokens: 8, input_token_details: {}, output_token_details: {} }
          : null,
    });
    this.send({ type: 'response.created', response: response('in_progress', []) });
    this.send({ type: 'response.output_item.added', response_id: responseId, output_index: 0, item: item('in_progress', []) });
    this.send({ type: 'response.content_part.added', ...ids, content_index: 0, part: { type: 'output_text', text: '' } });
    const words = realtimeAnswer.split(/(?<= )/);
    for (const delta of words) this.send({ type: 'response.output_text.delta', ...ids, content_index: 0, delta });
    this.send({ type: 'response.output_text.done', ...ids, content_index: 0, text: realtimeAnswer });
    this.send({ type: 'response.content_part.done', ...ids, content_index: 0, part });
    this.send({ type: 'response.output_item.done', response_id: responseId, output_index: 0, item: item('completed', [part]) });
    this.send({ type: 'response.done', response: response('completed', [item('completed', [part])]) });
  }
}
