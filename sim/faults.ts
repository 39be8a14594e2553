/**
 * Injected faults: what they are, how the admin API's JSON becomes one, and the book that decides
 * which fault (if any) the next request gets. The first active fault that matches a request is
 * applied; `count` makes a fault expire after N uses, `probability` draws from the seeded RNG.
 * Stream-only faults never match a non-stream request, so they do not use up their count there.
 */
import type { Random } from './random.js';

/** `models` is GET /v1/models (a gateway's health probe): only error, hang and reset apply there. */
export type FaultOperation = 'chat' | 'completions' | 'embeddings' | 'models';

interface FaultCommon {
  /** Applies to the next N matching requests, then expires; unlimited when absent. */
  count?: number;
  /** 0..1, default 1. */
  probability?: number;
  /** Default: chat and legacy completions. */
  operation?: FaultOperation;
}

export type Fault = FaultCommon &
  (
    | { type: 'error'; status: number; retry_after_s?: number; retry_after_ms?: number; message?: string; code?: string }
    | { type: 'hang' }
    | { type: 'reset' }
    | { type: 'cut'; after_chunks: number }
    | { type: 'stall'; after_chunks: number }
    | { type: 'malformed'; after_chunks: number }
    | { type: 'mid_stream_error'; after_chunks: number; message?: string }
    | { type: 'no_done' }
    | { type: 'slow_first_token'; delay_ms: number }
    | { type: 'keepalive_comments' }
    /** A different answer to the same request, as a sampling server gives (a replay that diverges). */
    | { type: 'diverge' }
    /** The answer names another model than the one asked for, as a re-pointed alias or a swapped server does. */
    | { type: 'drift'; model: string }
  );

export type FaultType = Fault['type'];

const STREAM_ONLY: ReadonlySet<FaultType> = new Set(['malformed', 'mid_stream_error', 'no_done', 'keepalive_comments']);
const OPERATIONS: ReadonlySet<string> = new Set(['chat', 'completions', 'embeddings', 'models']);

type Check = (value: unknown) => boolean;
const isCount: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const isPositiveInt: Check = (v) => Number.isInteger(v) && (v as number) >= 1;
const isNonNegative: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isStatus: Check = (v) => Number.isInteger(v) && (v as number) >= 400 && (v as number) <= 599;
const isString: Check = (v) => typeof v === 'string';
const isNonEmptyString: Check = (v) => typeof v === 'string' && v !== '';
const isProbability: Check = (v) => typeof v === 'number' && v >= 0 && v <= 1;
const isOperation: Check = (v) => typeof v === 'string' && OPERATIONS.has(v);

/** Per type: its fields, each with its check and whether it is required. */
const FIELDS: Record<FaultType, Record<string, [Check, boolean]>> = {
  error: {
    status: [isStatus, true],
    retry_after_s: [isNonNegative, false],
    retry_after_ms: [isNonNegative, false],
    message: [isString, false],
    code: [isString, false],
  },
  hang: {},
  reset: {},
  cut: { after_chunks: [isCount, true] },
  stall: { after_chunks: [isCount, true] },
  malformed: { after_chunks: [isCount, true] },
  mid_stream_error: { after_chunks: [isCount, true], message: [isString, false] },
  no_done: {},
  slow_first_token: { delay_ms: [isNonNegative, true] },
  keepalive_comments: {},
  diverge: {},
  drift: { model: [isNonEmptyString, true] },
};
const COMMON: Record<string, [Check, boolean]> = {
  count: [isPositiveInt, false],
  probability: [isProbability, false],
  operation: [isOperation, false],
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A fault from untrusted JSON, or an error message naming what is wrong. */
export function parseFault(value: unknown, where = 'fault'): Fault | string {
  if (!isRecord(value)) return `${where} must be an object`;
  const type = value['type'];
  if (typeof type !== 'string' || !Object.hasOwn(FIELDS, type)) {
    return `${where}.type must be one of ${Object.keys(FIELDS).join(', ')}`;
  }
  const fields = { ...COMMON, ...FIELDS[type as FaultType] };
  for (const key of Object.keys(value)) {
    if (key !== 'type' && !Object.hasOwn(fields, key)) return `${where}: unknown field '${key}' for type '${type}'`;
  }
  for (const [key, [check, required]] of Object.entries(fields)) {
    const v = value[key];
    if (v === undefined) {
      if (required) return `${where}.${key} is required for type '${type}'`;
    } else if (!check(v)) {
      return `${where}.${key} has an invalid value: ${JSON.stringify(v)}`;
    }
  }
  // Checked field by field above against FIELDS, which mirrors the Fault union.
  return { ...value } as unknown as Fault;
}

/** The admin API's body: one fault or `{faults: [...]}`. */
export function parseFaultList(value: unknown): Fault[] | string {
  const list: unknown = isRecord(value) && Object.hasOwn(value, 'faults') ? value['faults'] : [value];
  if (!Array.isArray(list)) return 'faults must be an array';
  const faults: Fault[] = [];
  for (let i = 0; i < list.length; i++) {
    const fault = parseFault(list[i], `faults[${i}]`);
    if (typeof fault === 'string') return fault;
    faults.push(fault);
  }
  return faults;
}

export interface FaultQuery {
  operation: FaultOperation;
  stream: boolean;
}

interface Entry {
  fault: Fault;
  remaining: number;
}

export class FaultBook {
  private entries: Entry[] = [];

  constructor(private readonly random: Random) {}

  /** Replaces the list; throws a RangeError naming the first invalid fault. */
  set(faults: readonly unknown[]): void {
    const parsed = parseFaultList({ faults });
    if (typeof parsed === 'string') throw new RangeError(parsed);
    this.entries = parsed.map((fault) => ({ fault, remaining: fault.count ?? Infinity }));
  }

  clear(): void {
    this.entries = [];
  }

  /** The active faults, `count` showing what is left. */
  list(): Fault[] {
    return this.entries.map(({ fault, remaining }) => (Number.isFinite(remaining) ? { ...fault, count: remaining } : { ...fault }));
  }

  /** The fault this request gets, using up one of its count; undefined when none applies. */
  take(query: FaultQuery): Fault | undefined {
    if (this.entries.length === 0) return undefined; // the common case: no draw, no work
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      const { fault } = entry;
      const matches =
        fault.operation !== undefined
          ? fault.operation === query.operation
          : query.operation === 'chat' || query.operation === 'completions';
      if (!matches) continue;
      if (!query.stream && STREAM_ONLY.has(fault.type)) continue;
      if (fault.probability !== undefined && fault.probability < 1 && this.random() >= fault.probability) continue;
      entry.remaining -= 1;
      if (entry.remaining <= 0) this.entries.splice(i, 1);
      return fault;
    }
    return undefined;
  }
}
