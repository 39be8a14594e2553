/**
 * config/ may not import gpu-pool/, so the server types a pool's `server:` accepts are written in
 * config/pool-schema.ts as well as in gpu-pool/server-metrics.ts (where their metric names are):
 * this keeps the two the same, and every self-hosted provider type that publishes metrics defaults to its own.
 */
import { describe, expect, it } from 'vitest';
import { poolServerTypes } from '../../config/pool-schema.js';
import { serverMetricNames } from '../../gpu-pool/server-metrics.js';
import { providerTypes } from '../../adapters/index.js';

describe('pool server types', () => {
  it('are the ones whose metric names gpu-pool/ holds', () => {
    expect([...poolServerTypes].sort()).toEqual(Object.keys(serverMetricNames).sort());
  });

  it('are provider types too, so `server:` defaults to the provider type', () => {
    for (const type of poolServerTypes) expect(providerTypes).toContain(type);
  });
});
