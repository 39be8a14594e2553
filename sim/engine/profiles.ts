/**
 * Engine profiles: a model on a GPU setup, as the step-time model sees it.
 *
 * Source of the step-time coefficients and KV-block counts: BLIS, the Blackbox Inference Simulator
 * (github.com/inference-sim/inference-sim, IBM / llm-d), which fits vLLM's step time on real hardware
 * as β0 + β1·(uncached prefill tokens) + β2·(decode tokens) (µs) per model / GPU / tensor-parallel
 * setup, and records the KV blocks vLLM allocated there. maxNumSeqs 256 and maxBatchedTokens 8192 are
 * vLLM V1's defaults for online serving on an H100 (max_num_seqs=256, max_num_batched_tokens=8192
 * with chunked prefill on); blockSize 16 is vLLM's default block size.
 */
import type { EngineProfile } from './types.js';

const BLIS = 'BLIS fitted coefficients (github.com/inference-sim/inference-sim); vLLM V1 H100 online-serving defaults';

export const engineProfiles = {
  'llama-3.1-8b-h100': {
    name: 'llama-3.1-8b-h100',
    beta0Us: 5753,
    beta1Us: 17.25,
    beta2Us: 6.0,
    kvBlocks: 29_205,
    blockSize: 16,
    maxNumSeqs: 256,
    maxBatchedTokens: 8192,
    source: `${BLIS}: meta-llama/Llama-3.1-8B-Instruct, 1×H100, TP1`,
  },
  'llama-3.3-70b-4xh100': {
    name: 'llama-3.3-70b-4xh100',
    beta0Us: 12_601,
    beta1Us: 76.4,
    beta2Us: 66.8,
    kvBlocks: 128_273,
    blockSize: 16,
    maxNumSeqs: 256,
    maxBatchedTokens: 8192,
    source: `${BLIS}: meta-llama/Llama-3.3-70B-Instruct, 4×H100, TP4`,
  },
} as const satisfies Record<string, EngineProfile>;

export type EngineProfileName = keyof typeof engineProfiles;

export const engineProfileNames = Object.keys(engineProfiles) as [EngineProfileName, ...EngineProfileName[]];

export function isEngineProfileName(name: string): name is EngineProfileName {
  return Object.prototype.hasOwnProperty.call(engineProfiles, name);
}
