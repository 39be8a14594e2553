/**
 * Joining a second upstream's chunks onto a stream the client is already reading. The chunks are
 * OpenAI's (our front door's format, not a provider's): they must keep the stream's one `id` and
 * `created`, must not announce the assistant role twice, and, when a restarted request replays the
 * answer from its start, must hold back what the client already has and check it matches.
 */
export interface Envelope {
  readonly id: string;
  readonly created: number;
}

interface Chunk {
  id?: unknown;
  created?: unknown;
  choices?: Array<{ delta?: { role?: unknown; content?: unknown }; finish_reason?: unknown }>;
}

export function envelopeOf(json: string): Envelope | undefined {
  try {
    const chunk = JSON.parse(json) as Chunk;
    return typeof chunk.id === 'string' && typeof chunk.created === 'number' ? { id: chunk.id, created: chunk.created } : undefined;
  } catch {
    return undefined;
  }
}

/** A continuation's chunk as part of the original stream. */
export function spliceChunk(json: string, envelope: Envelope): string {
  const chunk = JSON.parse(json) as Chunk;
  chunk.id = envelope.id;
  chunk.created = envelope.created;
  for (const choice of chunk.choices ?? []) if (choice.delta) delete choice.delta.role;
  return JSON.stringify(chunk);
}

/**
 * A restarted request's stream, gated: nothing reaches the client until the replay has reproduced
 * exactly the text already sent; then only what is new. A replay that says something else diverged.
 */
export class ReplayGate {
  private replayed = '';
  private open = false;

  constructor(
    private readonly sent: string,
    private readonly envelope: Envelope,
  ) {}

  /** The chunks to send for one replayed chunk, or 'diverged'. */
  accept(json: string): string[] | 'diverged' {
    if (this.open) return [spliceChunk(json, this.envelope)];
    const chunk = JSON.parse(json) as Chunk;
    const choice = chunk.choices?.[0];
    const content = typeof choice?.delta?.content === 'string' ? choice.delta.content : '';
    this.replayed += content;
    if (this.replayed.length < this.sent.length) {
      if (!this.sent.startsWith(this.replayed) || (choice?.finish_reason ?? null) !== null) return 'diverged';
      return [];
    }
    if (!this.replayed.startsWith(this.sent)) return 'diverged';
    this.open = true;
    const rest = this.replayed.slice(this.sent.length);
    if (rest === '' && (choice?.finish_reason ?? null) === null) return [];
    if (choice?.delta) choice.delta.content = rest;
    chunk.id = this.envelope.id;
    chunk.created = this.envelope.created;
    if (choice?.delta) delete choice.delta.role;
    return [JSON.stringify(chunk)];
  }

  get passedThrough(): boolean {
    return this.open;
  }
}
