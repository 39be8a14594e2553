/**
 * ConverseStream fixtures are binary (AWS event-stream frames), so each stream scenario keeps its
 * frames as reviewable JSON (`upstream-events.json`) beside the bytes the conformance suite replays
 * (`upstream-stream.txt`). This test holds the two together: the bytes must be exactly those frames,
 * encoded with smithy's codec (the one the AWS SDK decodes with). Record mode writes the bytes:
 *
 *     SWITCHYARD_RECORD_FIXTURES=1 npx vitest run test/adapters/bedrock/fixture-streams.test.ts
 *
 * A frame is `{event, payload}` (an event), `{exception, payload}` (an exception frame), or `{event,
 * raw}` (an event whose payload is the raw text given: malformed on purpose).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeEvent } from '../../../adapters/bedrock/event-stream.js';

const root = fileURLToPath(new URL('../../fixtures/bedrock', import.meta.url));
const recording = process.env['SWITCHYARD_RECORD_FIXTURES'] === '1';

type Frame = { event: string; payload: unknown } | { exception: string; payload: unknown } | { event: string; raw: string };

function encodeFrames(frames: readonly Frame[]): Buffer {
  return Buffer.concat(
    frames.map((frame) => {
      if ('exception' in frame) {
        const headers = { ':exception-type': frame.exception, ':content-type': 'application/json', ':message-type': 'exception' };
        return encodeEvent(headers, JSON.stringify(frame.payload));
      }
      const headers = { ':event-type': frame.event, ':content-type': 'application/json', ':message-type': 'event' };
      return encodeEvent(headers, 'raw' in frame ? frame.raw : JSON.stringify(frame.payload));
    }),
  );
}

const scenarios = readdirSync(root).filter((name) => existsSync(join(root, name, 'upstream-events.json')));

describe('bedrock stream fixtures', () => {
  it('exist', () => expect(scenarios.length).toBeGreaterThan(5));

  it.each(scenarios)('%s: upstream-stream.txt is exactly its upstream-events.json, encoded', (name) => {
    const { frames } = JSON.parse(readFileSync(join(root, name, 'upstream-events.json'), 'utf8')) as { frames: Frame[] };
    const bytes = encodeFrames(frames);
    const path = join(root, name, 'upstream-stream.txt');
    if (recording || !existsSync(path)) writeFileSync(path, bytes);
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });
});
