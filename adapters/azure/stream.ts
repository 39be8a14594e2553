/**
 * One Azure OpenAI stream into OpenAI chunks. The framing is OpenAI's SSE, so the shared translator
 * (adapters/openai-compatible/stream.ts) does the work. What Azure adds it already handles: the
 * opening chunk that carries only `prompt_filter_results` (`choices: []`, `object: ""`, `model: ""`)
 * is dropped, so a client never sees a chunk that breaks the spec and it does not count as the first
 * token; `finish_reason: "content_filter"` (output filtering) passes through; per-choice
 * `content_filter_results` ride along as extra members. This wrapper only maps the model the stream
 * names for the drift check, as response.ts does for whole answers.
 */
import type { ClientRequest, StreamOutput, StreamProgress, StreamTranslator, Usage, UpstreamTarget } from '../types.js';
import { OpenAICompatibleStreamTranslator } from '../openai-compatible/stream.js';
import { modelForDriftCheck } from './response.js';
import type { AzureSettings } from './settings.js';

export class AzureStreamTranslator implements StreamTranslator {
  private readonly inner: OpenAICompatibleStreamTranslator;

  constructor(
    req: ClientRequest,
    private readonly target: UpstreamTarget<AzureSettings>,
  ) {
    this.inner = new OpenAICompatibleStreamTranslator(req, target);
  }

  push(bytes: Uint8Array): StreamOutput[] {
    return this.inner.push(bytes);
  }

  end(): StreamOutput[] {
    return this.inner.end();
  }

  get usage(): Usage | undefined {
    return this.inner.usage;
  }

  get model(): string | undefined {
    return modelForDriftCheck(this.inner.model, this.target);
  }

  get started(): boolean {
    return this.inner.started;
  }

  get progress(): StreamProgress {
    return this.inner.progress;
  }

  /** Events whose data was not a JSON object (skipped), for logs and metrics. */
  get malformedEvents(): number {
    return this.inner.malformedEvents;
  }
}
