/**
 * A self-hosted GPU pool as the gateway sees it: an upstream `EndpointPool` whose endpoints come and
 * go with discovery (gpu-pool/discovery.ts), take traffic only once ready (gpu-pool/readiness.ts and
 * a first scrape), report their load on `/metrics` (gpu-pool/scraper.ts), and are picked by the
 * router (gpu-pool/router.ts) over what they reported: queue depth, KV-cache use, prefix affinity,
 * LoRA adapters, sessions.
 *
 * Each member IS its Endpoint: the execute code counts `endpoint.inFlight` on the very object the
 * router reads as `PoolMember.inFlight`, and `healthy` reads `ready`. Probes and scrapes use a control
 * transport on the server's origin, apart from the request transport, so that a `max_connections`
 * cap never refuses them and a long stream never delays them.
 *
 * Membership: discovery lists a URL → a member is created (not ready) and probed at once, then every
 * `readiness.intervalMs` until it passes; it joins the picks after the first successful scrape, so
 * the router never sees a ready member without a load. A ready member is probed again every
 * `readiness.readyIntervalMs` and scraped every `scrape.intervalMs`; a failed probe, a refused scrape
 * or `scrape.maxFailures` failed scrapes in a row make it leave until it passes again. A URL
 * discovery stops listing is removed: out of the picks at once, forgotten by the router, its
 * transports closed once the attempts in flight on it are done.
 */
import type { UpstreamHttpRequest } from '../adapters/types.js';
import { UpstreamError, upstreamErrorOf } from '../adapters/upstream-error.js';
import type { PoolMemberView } from '../telemetry/pool-metrics.js';
import { pickLessBusy, type Endpoint, type EndpointHint, type EndpointPool } from '../upstream/endpoint-pool.js';
import { createTransport, type Transport, type TransportOptions } from '../upstream/transport.js';
import { normalizeBaseUrl, startDiscovery, type DiscoverySource, type StopDiscovery } from './discovery.js';
import { renderPrompt } from './prompt.js';
import { checkReadiness } from './readiness.js';
import { PoolRouter } from './router.js';
import { applyScrape, scrapeOnce, startScraper, type ScrapeOptions } from './scraper.js';
import type { ServerLoad, ServerType } from './server-metrics.js';
import type { Decision, FullReason, PoolMember, PoolRouting } from './types.js';

export interface GpuPoolOptions {
  readonly providerId: string;
  readonly serverType: ServerType;
  /** Every model (and LoRA adapter) a member must list to be ready. */
  readonly models: readonly string[];
  /** Fixed base URLs (the config's `endpoints`); combined with `discovery`. */
  readonly urls?: readonly string[];
  readonly discovery?: readonly DiscoverySource[];
  readonly transport: TransportOptions;
  /** The provider's static headers (names lower-cased), sent on probes and scrapes too. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The adapter's authorize step, bound to the provider. */
  readonly authorize?: (request: UpstreamHttpRequest) => UpstreamHttpRequest | Promise<UpstreamHttpRequest>;
  readonly scrape: {
    readonly intervalMs: number;
    readonly timeoutMs: number;
    /** Default '/metrics', under the server root. */
    readonly path?: string;
    /** Failed scrapes in a row that make a member leave; default 3. */
    readonly maxFailures?: number;
  };
  readonly readiness: {
    /** How often a member that is not ready is probed. */
    readonly intervalMs: number;
    readonly timeoutMs: number;
    /** How often a ready member is probed again; default 5 × intervalMs. */
    readonly readyIntervalMs?: number;
    /** Default '/health', under the server root. */
    readonly healthPath?: string;
  };
  readonly routing: PoolRouting;
  /** Whether `spill()` may report the pool full (a route's spill to its next candidates). */
  readonly spill: boolean;
  /** The router's clock (ms); default performance.now. */
  readonly now?: () => number;
  /** Maps a configured or discovered URL to the one to connect to (`sim://` in the demo). */
  readonly resolveEndpoint?: (url: string) => string;
  /** A member became ready or left (or, while not ready, its reason changed). */
  readonly onMemberChange?: (url: string, ready: boolean, reason: string | undefined) => void;
  /** After each scrape. */
  readonly onScrape?: (url: string, ok: boolean) => void;
  /** A discovery source failed (its last list is kept), or a discovered URL was unusable. */
  readonly onDiscoveryError?: (source: string, error: Error) => void;
}

/** A pool member: the gateway's Endpoint and the router's PoolMember in one object. */
export interface GpuEndpoint extends Endpoint, PoolMember {}

/** One member in /admin/state: what the metrics show of it, and the router's view. */
export interface GpuMemberState extends PoolMemberView {
  /** Why it is not ready; undefined when ready. */
  readonly reason: string | undefined;
  /** Why it could take no more work now (the router's view); 'not_ready' when not ready. */
  readonly full: FullReason | undefined;
  /** Prefix blocks the router believes it holds. */
  readonly indexedBlocks: number;
  readonly loras: readonly string[];
}

export interface LastDecision {
  readonly url: string;
  readonly decision: Decision | undefined;
}

export interface GpuPool extends EndpointPool {
  readonly providerId: string;
  readonly endpoints: readonly GpuEndpoint[];
  readonly router: PoolRouter;
  /** The header whose value keeps a conversation on one member (lower-case; routing.sessionHeader). */
  readonly sessionHeader: string | undefined;
  /** The last pick with a hint: where it went and the router's decision. */
  readonly lastDecision: LastDecision | undefined;
  /** Starts discovery, probes and scrapes (idempotent). */
  start(): void;
  pick(random: () => number, hint?: EndpointHint): GpuEndpoint;
  /** Why the pool cannot take more work now (spill enabled only): every ready member is full, or none is ready. */
  spill(): FullReason | undefined;
  state(): GpuMemberState[];
}

class Member implements GpuEndpoint {
  readonly id: string;
  inFlight = 0;
  ready = false;
  load: ServerLoad | undefined = undefined;
  scrapedAt = -Infinity;

  constructor(
    readonly url: string,
    readonly transport: Transport,
    private readonly markDown: (member: Member) => void,
  ) {
    this.id = url;
  }

  get healthy(): boolean {
    return this.ready;
  }

  /** Something outside marked it down: it leaves until readiness passes again. Up is readiness's call. */
  set healthy(up: boolean) {
    if (!up) this.markDown(this);
  }
}

interface Slot {
  readonly member: Member;
  readonly control: Transport;
  reason: string | undefined;
  stopScraper: (() => void) | undefined;
  readinessTimer: NodeJS.Timeout | undefined;
  probing: boolean;
  removed: boolean;
  hitRate: number | undefined;
  counters: { hits: number; queries: number } | undefined;
}

const DRAIN_CHECK_MS = 500;

export function createGpuPool(options: GpuPoolOptions): GpuPool {
  const now = options.now ?? (() => performance.now());
  const resolve = options.resolveEndpoint ?? ((url: string) => url);
  const router = new PoolRouter(options.routing, now);
  const capped = options.transport.connections !== undefined;
  const readyIntervalMs = options.readiness.readyIntervalMs ?? options.readiness.intervalMs * 5;
  const probeAuth = { headers: options.headers, authorize: options.authorize };
  const scrapeOptions: ScrapeOptions = {
    serverType: options.serverType,
    timeoutMs: options.scrape.timeoutMs,
    path: options.scrape.path,
    ...probeAuth,
  };

  const slots = new Map<string, Slot>();
  let endpoints: readonly Member[] = [];
  let ready: readonly Member[] = [];
  let started = false;
  let closed = false;
  let stopDiscovery: StopDiscovery | undefined;
  let lastDecision: LastDecision | undefined;
  const closing = new Set<Promise<void>>();

  const refreshReady = () => {
    ready = endpoints.filter((m) => m.ready);
  };

  const report = (slot: Slot) => options.onMemberChange?.(slot.member.url, slot.member.ready, slot.reason);

  const scheduleReadiness = (slot: Slot, delayMs: number) => {
    if (slot.removed || closed || !started) return;
    if (slot.readinessTimer) clearTimeout(slot.readinessTimer);
    slot.readinessTimer = setTimeout(() => {
      slot.readinessTimer = undefined;
      void probe(slot);
    }, delayMs);
    slot.readinessTimer.unref();
  };

  const leave = (slot: Slot, reason: string) => {
    slot.stopScraper?.();
    slot.stopScraper = undefined;
    const was = slot.member.ready;
    slot.member.ready = false;
    const changed = was || slot.reason !== reason;
    slot.reason = reason;
    if (was) {
      refreshReady();
      // Whatever it held may be gone (a restart empties its cache): it rejoins cold.
      router.forget(slot.member.id);
      slot.counters = undefined;
    }
    if (changed) report(slot);
    // A probe under way schedules the next one when it ends.
    if (!slot.probing) scheduleReadiness(slot, options.readiness.intervalMs);
  };

  /** The prefix-cache hit rate between two scrapes, from the counters (vLLM publishes no rate). */
  const countHits = (slot: Slot, load: ServerLoad) => {
    const { prefixHits: hits, prefixQueries: queries } = load;
    if (hits === undefined || queries === undefined) return;
    const before = slot.counters;
    slot.counters = { hits, queries };
    if (before === undefined) return;
    const dq = queries - before.queries;
    const dh = hits - before.hits;
    // A counter that went back means a restarted server: no rate from that pair.
    if (dq > 0 && dh >= 0) slot.hitRate = Math.min(1, dh / dq);
  };

  const join = (slot: Slot) => {
    const { member } = slot;
    member.ready = true;
    slot.reason = undefined;
    refreshReady();
    report(slot);
    slot.stopScraper = startScraper(
      member,
      slot.control,
      member.url,
      router,
      {
        ...scrapeOptions,
        intervalMs: options.scrape.intervalMs,
        maxFailures: options.scrape.maxFailures,
        now,
        firstDelayMs: options.scrape.intervalMs,
      },
      {
        onScrape: (result) => {
          if (slot.removed) return;
          if (result.ok) countHits(slot, result.load);
          options.onScrape?.(member.url, result.ok);
        },
        onLost: (reason) => {
          if (!slot.removed) leave(slot, reason);
        },
      },
    );
  };

  const probe = async (slot: Slot): Promise<void> => {
    if (slot.removed || closed || slot.probing) return;
    slot.probing = true;
    try {
      const result = await checkReadiness(slot.control, slot.member.url, {
        models: options.models,
        timeoutMs: options.readiness.timeoutMs,
        healthPath: options.readiness.healthPath,
        ...probeAuth,
      });
      if (slot.removed || closed) return;
      if (!result.ready) {
        slot.probing = false;
        leave(slot, result.reason);
        return;
      }
      if (slot.member.ready) return;
      // Joining takes a first scrape too: the router must not see a ready member without a load.
      const first = await scrapeOnce(slot.control, slot.member.url, scrapeOptions);
      if (slot.removed || closed) return;
      options.onScrape?.(slot.member.url, first.ok);
      if (!first.ok) {
        slot.probing = false;
        leave(slot, first.reason);
        return;
      }
      countHits(slot, first.load);
      applyScrape(slot.member, first.load, now(), router);
      if (!slot.member.ready) join(slot);
    } finally {
      if (slot.probing) {
        slot.probing = false;
        scheduleReadiness(slot, slot.member.ready ? readyIntervalMs : options.readiness.intervalMs);
      }
    }
  };

  const markDown = (member: Member) => {
    const slot = slots.get(member.url);
    if (slot && slot.member === member && member.ready) leave(slot, 'marked down');
  };

  const createSlot = (url: string): Slot | undefined => {
    let transport: Transport;
    let control: Transport;
    try {
      transport = createTransport(url, options.transport);
      // No cap on the control transport: probes and scrapes must get through whatever requests do.
      control = createTransport(new URL(url).origin, { connectTimeoutMs: options.transport.connectTimeoutMs });
    } catch (err) {
      options.onDiscoveryError?.(url, err instanceof Error ? err : new Error(String(err)));
      return undefined;
    }
    return {
      member: new Member(url, transport, markDown),
      control,
      reason: 'not probed yet',
      stopScraper: undefined,
      readinessTimer: undefined,
      probing: false,
      removed: false,
      hitRate: undefined,
      counters: undefined,
    };
  };

  const closeSlot = (slot: Slot, drain: boolean) => {
    slot.removed = true;
    slot.stopScraper?.();
    slot.stopScraper = undefined;
    if (slot.readinessTimer) clearTimeout(slot.readinessTimer);
    slot.readinessTimer = undefined;
    slot.member.ready = false;
    router.forget(slot.member.id);
    const done = (async () => {
      while (drain && slot.member.inFlight > 0 && !closed) {
        await new Promise<void>((r) => setTimeout(r, DRAIN_CHECK_MS).unref());
      }
      await Promise.allSettled([slot.member.transport.close(), slot.control.close()]);
    })();
    closing.add(done);
    void done.finally(() => closing.delete(done));
  };

  const applyList = (urls: readonly string[]) => {
    if (closed) return;
    const wanted = [...new Set(urls.map((u) => normalizeBaseUrl(resolve(u))))];
    const wantedSet = new Set(wanted);
    let changed = false;
    for (const [url, slot] of slots) {
      if (wantedSet.has(url)) continue;
      slots.delete(url);
      closeSlot(slot, true);
      changed = true;
      options.onMemberChange?.(url, false, 'removed by discovery');
    }
    for (const url of wanted) {
      if (slots.has(url)) continue;
      const slot = createSlot(url);
      if (!slot) continue;
      slots.set(url, slot);
      changed = true;
      if (started) scheduleReadiness(slot, 0);
    }
    if (!changed) return;
    endpoints = wanted.flatMap((url) => {
      const slot = slots.get(url);
      return slot ? [slot.member] : [];
    });
    refreshReady();
  };

  const leastBusy = (from: readonly Member[]): Member => from.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));

  // The fixed URLs are members from the start (not ready until probed), as a static pool's are.
  if (options.urls !== undefined) applyList(options.urls);

  const pool: GpuPool = {
    providerId: options.providerId,
    router,
    sessionHeader: options.routing.sessionHeader,
    connectionCap: options.transport.connections,
    get endpoints() {
      return endpoints;
    },
    get anyHealthy() {
      return ready.length > 0;
    },
    get saturated() {
      return capped && (ready.length > 0 ? ready : endpoints).every((e) => e.transport.atCap);
    },
    get lastDecision() {
      return lastDecision;
    },
    start() {
      if (started || closed) return;
      started = true;
      const sources: DiscoverySource[] = [];
      if (options.urls !== undefined) sources.push({ urls: options.urls });
      sources.push(...(options.discovery ?? []));
      stopDiscovery = startDiscovery(sources, applyList, { onError: options.onDiscoveryError });
      for (const slot of slots.values()) scheduleReadiness(slot, 0);
    },
    pick(random, hint) {
      if (endpoints.length === 0) {
        throw new UpstreamError(upstreamErrorOf('connection', `pool ${options.providerId} has no endpoints (none discovered)`));
      }
      // With no member ready the plan normally skips the pool; should a request still come, try one.
      const from = ready.length > 0 ? ready : endpoints;
      const open = capped ? from.filter((e) => !e.transport.atCap) : from;
      const candidates = open.length > 0 ? open : from;
      if (hint === undefined || ready.length === 0) return candidates.length === 1 ? candidates[0]! : pickLessBusy(candidates, random);
      const decision = router.decide(candidates, { prompt: renderPrompt(hint.body), model: hint.model, session: hint.session }, random);
      // 'saturated' can only be a race with spill(): the least busy member then.
      const chosen = decision.kind === 'pick' ? (candidates[decision.index] ?? leastBusy(candidates)) : leastBusy(candidates);
      lastDecision = { url: chosen.url, decision };
      return chosen;
    },
    setHealthy(endpoint, up) {
      if (!up) markDown(endpoint as Member);
    },
    spill() {
      if (!options.spill) return undefined;
      if (ready.length === 0) return 'not_ready';
      return router.saturation(ready);
    },
    state() {
      const t = now();
      return endpoints.map((member) => {
        const slot = slots.get(member.url);
        const load = member.load;
        return {
          url: member.url,
          ready: member.ready,
          reason: member.ready ? undefined : (slot?.reason ?? 'removed'),
          scrapedAgeMs: member.scrapedAt === -Infinity ? undefined : Math.max(0, t - member.scrapedAt),
          waiting: load?.waiting,
          running: load?.running,
          kvUsage: load?.kvUsage,
          prefixHitRate: load?.prefixHitRate ?? slot?.hitRate,
          inFlight: member.inFlight,
          full: member.ready ? router.saturation([member]) : 'not_ready',
          indexedBlocks: router.indexedBlocks(member.id),
          loras: load?.loras ?? [],
        };
      });
    },
    async close() {
      if (closed) {
        await Promise.allSettled([...closing]);
        return;
      }
      stopDiscovery?.();
      for (const slot of slots.values()) closeSlot(slot, false);
      closed = true;
      slots.clear();
      ready = [];
      await Promise.allSettled([...closing]);
    },
  };
  return pool;
}
