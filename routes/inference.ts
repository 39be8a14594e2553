/**
 * The HTTP side of the three OpenAI inference endpoints (chat, completions, embeddings): authenticate,
 * read and validate the body once, hand the request to the gateway's pipeline (gateway/request.ts),
 * and write its answer — JSON, or Server-Sent Events through SseSink — or its error in OpenAI's shape
 * (routes/serve-exchange.ts holds what every inference endpoint does around that). Built once per
 * operation at startup.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OpenAIOperation } from '../adapters/types.js';
import { newRequestRecord, type Inference, type RequestPipeline } from '../gateway/request.js';
import { authenticate } from './authenticate.js';
import { parseJsonObject, readRawBody } from './json-body.js';
import { assignRequestId } from './request-id.js';
import { SseSink } from './sse-sink.js';
import { validators } from './validation/operations.js';
import type { GatewayDeps } from './deps.js';
import { answerHeaders } from './outcome-headers.js';
import { serveExchange } from './serve-exchange.js';

export function createInferenceHandler(operation: OpenAIOperation, deps: GatewayDeps, pipeline: RequestPipeline) {
  const validate = validators[operation];

  return async function serveInference(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const record = newRequestRecord(operation, performance.now(), assignRequestId(req, res));
    const rt = deps.runtime.current;
    await serveExchange(deps, pipeline, record, res, async (exchange, opened) => {
      const key = authenticate(rt.keys, req);
      record.keyName = key?.name;
      const raw = await readRawBody(req, rt.bodyLimitBytes);
      const body = parseJsonObject(raw);
      const { model, stream, includeUsage } = validate(body);
      record.stream = stream;
      const inference: Inference = {
        model,
        key,
        client: exchange.client,
        headers: req.headers,
        request: { operation, body, raw, stream, includeUsage },
      };
      if (stream) {
        const sink = new SseSink(res, record);
        opened.sink = sink;
        await pipeline.stream(rt, inference, sink, record);
      } else {
        const answer = await pipeline.unary(rt, inference, record);
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(answer.body),
          ...answerHeaders(record, answer),
        });
        res.end(answer.body);
      }
    });
  };
}
