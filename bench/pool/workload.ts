/**
 * The seeded workloads of `npm run bench:pool`: who sends what, when. A workload is its parameters
 * (`WorkloadParams`), never constants, and the same parameters and seed give the same requests, byte
 * for byte, to every router compared.
 *
 * Prompt text is pseudo-text of exactly 4 characters per token ("abc " words drawn from a seeded
 * generator), so that prompts share a prefix exactly where the workload means them to, and nowhere
 * else: a group's shared context is drawn from the group's seed (and cached, so it is built once), a
 * question from the request's. The shapes:
 *
 * - `shared-prefix`: tenants sharing a long context (a system prompt, a document), each request the
 *   group's context plus a fresh question. 150 groups × 6 000-token prefix + 1 200-token question,
 *   1 000 output tokens — the shape of the llm-d / Gateway API Inference Extension prefix-cache
 *   benchmark (its `shared_prefix` synthetic data: num_groups 150, system_prompt_len 6000,
 *   question_len 1200, output_len 1000).
 * - `multi-turn`: chat sessions. Each turn's prompt is the previous prompt, the previous answer and a
 *   new question, so it grows every turn; the next turn is sent a think time after the answer ends.
 * - `small-groups`: many groups, short shared prefixes.
 * - `no-reuse`: unique prompts; nothing to gain from affinity, only load balance counts.
 * - `faulty`: shared-prefix, but one endpoint steps 3× slower and another is killed part-way.
 */
import { createRandom, hashNumber, hashString, type Random } from '../../sim/random.js';

export const CHARS_PER_TOKEN = 4;

export interface Faults {
  /** This endpoint (index) runs `factor`× slower (every step-time coefficient scaled). */
  readonly slow?: { readonly endpoint: number; readonly factor: number };
  /** This endpoint is killed at `atFraction` of the arrival window: its requests fail, it leaves the pool. */
  readonly kill?: { readonly endpoint: number; readonly atFraction: number };
}

export interface WorkloadParams {
  readonly preset: string;
  /** Groups sharing a prefix (tenants); 0: no shared prefix at all. */
  readonly groups: number;
  /** Tokens of each group's shared prefix. */
  readonly prefixTokens: number;
  /** Tokens of each (unique) question. */
  readonly questionTokens: number;
  /** Output tokens per request (the mean when `outputJitter` > 0). */
  readonly outputTokens: number;
  /** 0: fixed output length; j: drawn uniformly in [1 − j, 1 + j] × outputTokens. */
  readonly outputJitter: number;
  /** Users (sessions) per group: a request's session is one of them. */
  readonly usersPerGroup: number;
  /** Turns per conversation (1: single requests). */
  readonly turns: number;
  /** Time between an answer's end and the next turn, ms. */
  readonly thinkTimeMs: number;
  /** Offered load, requests per second (Poisson); conversations start at rate / turns. */
  readonly rate: number;
  /** Requests in all (a conversation counts `turns`); the arrival window is about requests / rate. */
  readonly requests: number;
  /** Instead of `requests`: conversations start for this long (s), as many as the Poisson process gives. */
  readonly durationS?: number;
  /** Endpoints in the pool. */
  readonly endpoints: number;
  /** How often the router's view of each endpoint is refreshed from its /metrics, ms. */
  readonly scrapeIntervalMs: number;
  /** Engine profile name (sim/engine/profiles.ts). */
  readonly profile: string;
  readonly seed: number;
  readonly faults?: Faults;
}

const sharedPrefixShape = {
  groups: 150,
  prefixTokens: 6000,
  questionTokens: 1200,
  outputTokens: 1000,
  outputJitter: 0,
  usersPerGroup: 5,
  turns: 1,
  thinkTimeMs: 0,
} as const;

const common = {
  rate: 4,
  requests: 600,
  endpoints: 4,
  scrapeIntervalMs: 250,
  profile: 'llama-3.1-8b-h100',
  seed: 1,
} as const;

export const presets = {
  'shared-prefix': { preset: 'shared-prefix', ...common, ...sharedPrefixShape },
  'multi-turn': {
    preset: 'multi-turn',
    ...common,
    groups: 20,
    prefixTokens: 1000,
    questionTokens: 300,
    outputTokens: 300,
    outputJitter: 0.5,
    usersPerGroup: 10,
    turns: 6,
    thinkTimeMs: 5000,
  },
  'small-groups': {
    preset: 'small-groups',
    ...common,
    groups: 1000,
    prefixTokens: 600,
    questionTokens: 400,
    outputTokens: 300,
    outputJitter: 0.5,
    usersPerGroup: 1,
    turns: 1,
    thinkTimeMs: 0,
  },
  'no-reuse': {
    preset: 'no-reuse',
    ...common,
    groups: 0,
    prefixTokens: 0,
    questionTokens: 2000,
    outputTokens: 300,
    outputJitter: 0.5,
    usersPerGroup: 1,
    turns: 1,
    thinkTimeMs: 0,
  },
  faulty: {
    preset: 'faulty',
    ...common,
    ...sharedPrefixShape,
    faults: { slow: { endpoint: 1, factor: 3 }, kill: { endpoint: 2, atFraction: 0.4 } },
  },
} satisfies Record<string, WorkloadParams>;

export type PresetName = keyof typeof presets;
export const presetNames = Object.keys(presets) as PresetName[];

export function workload(name: PresetName, overrides: Partial<WorkloadParams> = {}): WorkloadParams {
  return { ...presets[name], ...overrides };
}

/** One request of a conversation turn, as the client would send it. */
export interface Turn {
  /** The prompt as the router and the engine see it (pseudo-text, 4 characters per token). */
  readonly prompt: string;
  readonly promptTokens: number;
  readonly outputTokens: number;
}

/** A user's conversation: one turn for single-request workloads. */
export interface Session {
  readonly id: number;
  readonly group: number;
  /** The user, for a session header: `g<group>-u<user>`. */
  readonly user: string;
  /** When its first turn arrives (ms from the start). */
  readonly startMs: number;
  readonly turns: readonly Turn[];
}

export interface Workload {
  readonly params: WorkloadParams;
  readonly sessions: readonly Session[];
  /** Requests in all (Σ turns). */
  readonly requests: number;
  /** The first turns' arrival window, ms (later turns follow answers plus think time). */
  readonly arrivalWindowMs: number;
}

// 17 576 three-letter words, plus a space: 4 characters a token.
const WORDS: readonly string[] = Array.from(
  { length: 26 * 26 * 26 },
  (_, i) => String.fromCharCode(97 + (i % 26), 97 + (Math.floor(i / 26) % 26), 97 + Math.floor(i / 676)) + ' ',
);

/** `tokens` tokens of pseudo-text (exactly 4 characters each) from `random`. */
export function pseudoText(random: Random, tokens: number): string {
  const parts = new Array<string>(tokens);
  for (let i = 0; i < tokens; i++) parts[i] = WORDS[Math.floor(random() * WORDS.length)]!;
  return parts.join('');
}

const prefixCache = new Map<string, string>();

/** A group's shared prefix (built once per seed, group and length, then cached). */
function groupPrefix(seed: number, group: number, tokens: number): string {
  const key = `${seed}:${group}:${tokens}`;
  let text = prefixCache.get(key);
  if (text === undefined) {
    text = pseudoText(createRandom(hashNumber(group, hashString('prefix', seed))), tokens);
    if (prefixCache.size > 5000) prefixCache.clear();
    prefixCache.set(key, text);
  }
  return text;
}

/** An exponential draw with mean `mean`. */
function exponential(random: Random, mean: number): number {
  return -Math.log(1 - random()) * mean;
}

/** The requests of `params`: deterministic in its seed. */
export function generateWorkload(params: WorkloadParams): Workload {
  const random = createRandom(hashString(params.preset, params.seed));
  const turns = Math.max(1, Math.floor(params.turns));
  const byDuration = params.durationS !== undefined && params.durationS > 0;
  const sessionCount = byDuration ? Infinity : Math.max(1, Math.ceil(params.requests / turns));
  const meanGapMs = (1000 * turns) / params.rate;
  const drawOutput = () => {
    const j = params.outputJitter;
    const n = j > 0 ? params.outputTokens * (1 - j + 2 * j * random()) : params.outputTokens;
    return Math.max(1, Math.round(n));
  };
  const sessions: Session[] = [];
  let t = 0;
  for (let id = 0; id < sessionCount; id++) {
    if (id > 0) t += exponential(random, meanGapMs);
    if (byDuration && id > 0 && t > params.durationS! * 1000) break;
    const group = params.groups > 0 ? Math.floor(random() * params.groups) : -1;
    const user = Math.floor(random() * Math.max(1, params.usersPerGroup));
    const text = createRandom(hashNumber(id, hashString('session', params.seed)));
    let context = group >= 0 && params.prefixTokens > 0 ? groupPrefix(params.seed, group, params.prefixTokens) : '';
    const list: Turn[] = [];
    for (let k = 0; k < turns; k++) {
      const prompt = context + pseudoText(text, params.questionTokens);
      const outputTokens = drawOutput();
      list.push({ prompt, promptTokens: prompt.length / CHARS_PER_TOKEN, outputTokens });
      // The next turn carries this one's answer (pseudo-text of its length) in its context.
      if (k + 1 < turns) context = prompt + pseudoText(text, outputTokens);
    }
    sessions.push({ id, group, user: `g${group}-u${user}`, startMs: t, turns: list });
  }
  const last = sessions[sessions.length - 1]!;
  return { params, sessions, requests: sessions.length * turns, arrivalWindowMs: last.startMs };
}
