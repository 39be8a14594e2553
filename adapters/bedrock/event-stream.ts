/**
 * AWS's binary event-stream framing (application/vnd.amazon.eventstream), as ConverseStream sends it:
 * each message is a 12-byte prelude (total length, headers length, CRC-32 of those 8 bytes), typed
 * headers, the payload, and a CRC-32 of everything before it. Network chunks split messages anywhere,
 * so bytes are buffered until a whole message is in; each is then decoded, CRCs checked, by smithy's
 * maintained codec (@smithy/eventstream-codec). A message that fails its checks cannot be skipped (the
 * framing is lost), so it ends the stream as an error.
 */
import { EventStreamCodec, type Message, type MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

/** The smallest message: the prelude and the message CRC, no headers, no payload. */
const minMessageBytes = 16;
/** Far beyond any Converse event; a larger length means garbage, not a message to wait for. */
const maxMessageBytes = 16 * 1024 * 1024;

export interface DecodedEvent {
  /** `:message-type`: `event`, `exception` or `error`. */
  messageType: string;
  /** `:event-type`, `:exception-type` or `:error-code`, by message type. */
  name: string;
  /** The payload as text (JSON for events and exceptions), or `:error-message` for `error` messages. */
  payload: string;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

function stringHeader(headers: MessageHeaders, name: string): string | undefined {
  const header = headers[name];
  return header?.type === 'string' ? header.value : undefined;
}

export function eventOf(message: Message): DecodedEvent {
  const headers = message.headers;
  const messageType = stringHeader(headers, ':message-type') ?? 'event';
  if (messageType === 'error') {
    return {
      messageType,
      name: stringHeader(headers, ':error-code') ?? 'UnknownError',
      payload: stringHeader(headers, ':error-message') ?? '',
    };
  }
  const name = (messageType === 'exception' ? stringHeader(headers, ':exception-type') : stringHeader(headers, ':event-type')) ?? '';
  return { messageType, name, payload: toUtf8(message.body) };
}

/** Buffers bytes across pushes and yields each whole message once it has arrived. */
export class EventStreamDecoder {
  private pending: Buffer = Buffer.alloc(0);

  /** Bytes received but not yet a whole message. */
  get buffered(): number {
    return this.pending.length;
  }

  /** Whole messages now available. Throws (an Error saying why) on a corrupt message. */
  push(bytes: Uint8Array): DecodedEvent[] {
    this.pending = this.pending.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.pending, bytes]);
    const events: DecodedEvent[] = [];
    while (this.pending.length >= 4) {
      const total = this.pending.readUInt32BE(0);
      if (total < minMessageBytes || total > maxMessageBytes) throw new Error(`event-stream message of impossible length ${total}`);
      if (this.pending.length < total) break;
      const whole = this.pending.subarray(0, total);
      this.pending = this.pending.subarray(total);
      events.push(eventOf(codec.decode(whole)));
    }
    return events;
  }
}

/** One message, encoded (the simulator and the tests frame with the same codec). */
export function encodeEvent(headers: Record<string, string>, payload: string): Uint8Array {
  const typed: MessageHeaders = {};
  for (const [name, value] of Object.entries(headers)) typed[name] = { type: 'string', value };
  return codec.encode({ headers: typed, body: fromUtf8(payload) });
}
