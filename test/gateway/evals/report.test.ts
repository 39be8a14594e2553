/**
 * The text report: variants side by side, the failing reasons below the table, the verdict last.
 */
import { describe, expect, it } from 'vitest';
import { formatReport, summarize, type CaseResult } from '../../../gateway/evals/report.js';

const result = (name: string, pass: boolean, more: Partial<CaseResult> = {}): CaseResult => ({
  name,
  pass,
  status: 200,
  latencyMs: 12,
  costUsd: null,
  promptTokens: 3,
  completionTokens: 8,
  servedVariant: null,
  deployment: null,
  ...more,
});

describe('formatReport', () => {
  it('puts the variants side by side and lists why each failing case failed', () => {
    const text = formatReport({
      suite: 'smoke',
      route: 'chat',
      pass: false,
      variants: [
        summarize('stable', [result('says-lorem', true, { costUsd: 0.0002 }), result('calls-tool', true, { costUsd: 0.0004 })]),
        summarize('canary', [
          result('says-lorem', true, { latencyMs: 40 }),
          result('calls-tool', false, { reason: 'HTTP 400: broken', status: 400, latencyMs: null, promptTokens: 0, completionTokens: 0 }),
        ]),
      ],
    });
    expect(text).toBe(`suite smoke on route chat: 2 case(s)

                            stable              canary
says-lorem                  pass  12 ms         pass  40 ms
calls-tool                  pass  12 ms         FAIL  -
pass rate                   2/2 (100%)          1/2 (50%)
latency mean / p95          12 ms / 12 ms       40 ms / 40 ms
tokens prompt / completion  6 / 16              3 / 8
cost total / mean           $0.0006 / $0.0003   unknown

failures:
  canary calls-tool: HTTP 400: broken

FAIL: stable 2/2, canary 1/2
`);
  });

  it('says PASS when every case passed, and counts unknown costs beside known ones', () => {
    const text = formatReport({
      suite: 's',
      route: 'r',
      pass: true,
      variants: [summarize('stable', [result('a', true, { costUsd: 0.001 }), result('b', true)])],
    });
    expect(text).toContain('$0.001 / $0.001 (1 unknown)');
    expect(text).not.toContain('failures:');
    expect(text.endsWith('PASS: stable 2/2\n')).toBe(true);
  });
});
