/**
 * Where a GPU pool's servers are: sources of endpoint base URLs, each reporting its current full list
 * whenever it changes, combined into one de-duplicated list for the pool (gpu-pool/pool.ts).
 *
 * - a static list (the config's `endpoints`);
 * - DNS A/AAAA records of one name, re-resolved on an interval (a Kubernetes headless service):
 *   `http://<ip>:<port>/v1`, IPv6 bracketed;
 * - DNS SRV records (`_http._tcp.vllm.svc`): `http://<target>:<port>/v1` per record;
 * - a watched file, one base URL per line (`#` starts a comment, blank lines are ignored), followed
 *   with fs.watch on its folder and, because watching is unreliable (editors replace files, a
 *   ConfigMap swaps a symlink, network filesystems send nothing), a poll on the interval too.
 *
 * A failed resolution or read keeps the last good list (a DNS outage must not empty the pool) and
 * is reported through `onError`; a file that stays missing is reported once, not on every poll.
 * Resolving uses its own `dns.promises.Resolver`, pointed at `servers` when given.
 */
import { promises as dns } from 'node:dns';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

/** A fixed list of base URLs. */
export interface StaticDiscovery {
  readonly urls: readonly string[];
}

interface DnsCommon {
  /** Default 'http'. */
  readonly scheme?: 'http' | 'https';
  /** The API path under each server, default '/v1'. */
  readonly path?: string;
  /** How often to resolve again. */
  readonly interval_ms: number;
  /** DNS servers to ask ('1.2.3.4', '1.2.3.4:5353', '[::1]:53'); default: the system's. */
  readonly servers?: readonly string[];
}

/** A and AAAA records of `name`: one server per address, all on `port`. */
export interface DnsDiscovery extends DnsCommon {
  readonly name: string;
  readonly port: number;
}

/** SRV records of `srv`: one server per record, its target and port. */
export interface SrvDiscovery extends DnsCommon {
  readonly srv: string;
}

/** A file of base URLs, one per line. */
export interface FileDiscovery {
  readonly file: string;
  /** The poll interval (fs.watch reacts sooner when it works). */
  readonly interval_ms: number;
}

export type DiscoverySource = StaticDiscovery | DnsDiscovery | SrvDiscovery | FileDiscovery;

export type DiscoveryErrorHandler = (source: string, error: Error) => void;

export interface DiscoveryOptions {
  onError?: DiscoveryErrorHandler;
  /** Per DNS query; default min(interval, 2000). */
  dnsTimeoutMs?: number;
}

/** Stops a source (or a combination): no more emissions, timers and watchers released. */
export type StopDiscovery = () => void;

/** The config's `pool.discovery` block (config/pool-schema.ts), as plain data. */
export interface DiscoveryConfig {
  readonly dns?: Omit<DnsDiscovery, 'interval_ms'> & { readonly interval_ms?: number };
  readonly srv?: { readonly name: string } & Omit<DnsCommon, 'interval_ms'> & { readonly interval_ms?: number };
  readonly file?: string;
}

/** The sources a config's `discovery` block names; the file is polled every `filePollMs` besides being watched. */
export function sourcesFromConfig(config: DiscoveryConfig | undefined, filePollMs = 2_000): DiscoverySource[] {
  const sources: DiscoverySource[] = [];
  if (config?.dns) sources.push({ ...config.dns, interval_ms: config.dns.interval_ms ?? 5_000 });
  if (config?.srv) {
    const { name, ...rest } = config.srv;
    sources.push({ ...rest, srv: name, interval_ms: config.srv.interval_ms ?? 5_000 });
  }
  if (config?.file !== undefined) sources.push({ file: config.file, interval_ms: filePollMs });
  return sources;
}

/** A short name for a source, for logs and errors. */
export function describeSource(source: DiscoverySource): string {
  if ('urls' in source) return `static (${source.urls.length})`;
  if ('srv' in source) return `dns srv ${source.srv}`;
  if ('name' in source) return `dns ${source.name}:${source.port}`;
  return `file ${source.file}`;
}

/** The one spelling of a base URL the pool keys members by: no trailing slash. */
export function normalizeBaseUrl(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

/** Combines the sources into one de-duplicated list (sources in order, then each one's own order). */
export function startDiscovery(
  sources: readonly DiscoverySource[],
  onChange: (urls: readonly string[]) => void,
  options: DiscoveryOptions = {},
): StopDiscovery {
  const lists: Array<readonly string[]> = sources.map(() => []);
  let last: string | undefined;
  let stopped = false;
  const emit = () => {
    if (stopped) return;
    const combined = [...new Set(lists.flat())];
    const key = combined.join('\n');
    if (key === last) return;
    last = key;
    onChange(combined);
  };
  const stops = sources.map((source, i) =>
    startSource(
      source,
      (urls) => {
        lists[i] = urls;
        emit();
      },
      options,
    ),
  );
  return () => {
    stopped = true;
    for (const stop of stops) stop();
  };
}

/** Starts one source; `emit` gets its full list each time it changes (a static list: at once). */
export function startSource(
  source: DiscoverySource,
  emit: (urls: readonly string[]) => void,
  options: DiscoveryOptions = {},
): StopDiscovery {
  const name = describeSource(source);
  const onError = options.onError ?? (() => undefined);
  let last: string | undefined;
  const changed = (urls: readonly string[]) => {
    const unique = [...new Set(urls.map(normalizeBaseUrl))];
    const key = unique.join('\n');
    if (key === last) return;
    last = key;
    emit(unique);
  };
  if ('urls' in source) {
    changed(source.urls);
    return () => undefined;
  }
  if ('file' in source) return watchFile(source, changed, (err) => onError(name, err));
  return pollDns(source, changed, (err) => onError(name, err), options.dnsTimeoutMs);
}

function hostPart(host: string): string {
  const bare = host.replace(/\.$/, '');
  return bare.includes(':') ? `[${bare}]` : bare;
}

function apiPath(path: string | undefined): string {
  const p = path ?? '/v1';
  if (p === '' || p === '/') return '';
  return p.startsWith('/') ? p : `/${p}`;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

const noData = new Set(['ENODATA']);

function codeOf(err: unknown): string | undefined {
  return (err as { code?: string } | null | undefined)?.code;
}

function isNoData(err: unknown): boolean {
  return noData.has(codeOf(err) ?? '');
}

/**
 * Resolves on a timer, never two resolutions at once. A and AAAA are kept apart: a failed AAAA query
 * keeps the last IPv6 addresses without dropping the IPv4 ones; ENODATA (the name exists, no record
 * of that type) is an empty answer, any other failure (NXDOMAIN included) keeps the last list.
 */
function pollDns(
  source: DnsDiscovery | SrvDiscovery,
  changed: (urls: readonly string[]) => void,
  onError: (err: Error) => void,
  timeoutMs: number | undefined,
): StopDiscovery {
  const resolver = new dns.Resolver({ timeout: timeoutMs ?? Math.min(source.interval_ms, 2000), tries: 2 });
  if (source.servers !== undefined && source.servers.length > 0) resolver.setServers([...source.servers]);
  const scheme = source.scheme ?? 'http';
  const path = apiPath(source.path);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  let v4: readonly string[] | undefined;
  let v6: readonly string[] | undefined;
  let srv: readonly string[] | undefined;

  const family = async (query: () => Promise<string[]>, previous: readonly string[] | undefined) => {
    try {
      return { list: await query(), error: undefined };
    } catch (err) {
      if (isNoData(err)) return { list: [], error: undefined };
      return { list: previous, error: asError(err) };
    }
  };

  const resolveOnce = async (): Promise<void> => {
    if ('srv' in source) {
      const got = await family(
        async () => (await resolver.resolveSrv(source.srv)).map((r) => `${scheme}://${hostPart(r.name)}:${r.port}${path}`),
        srv,
      );
      if (stopped) return;
      if (got.error) onError(got.error);
      srv = got.list;
      if (srv !== undefined) changed(srv);
      return;
    }
    const [a, aaaa] = await Promise.all([
      family(() => resolver.resolve4(source.name), v4),
      family(() => resolver.resolve6(source.name), v6),
    ]);
    if (stopped) return;
    // Both failing the same way is one problem, reported once.
    if (a.error) onError(a.error);
    if (aaaa.error && codeOf(aaaa.error) !== codeOf(a.error)) onError(aaaa.error);
    v4 = a.list;
    v6 = aaaa.list;
    if (v4 === undefined && v6 === undefined) return;
    const addresses = [...(v4 ?? []), ...(v6 ?? [])].sort();
    changed(addresses.map((ip) => `${scheme}://${hostPart(ip)}:${source.port}${path}`));
  };

  const loop = async () => {
    const startedAt = Date.now();
    try {
      await resolveOnce();
    } catch (err) {
      if (!stopped) onError(asError(err));
    }
    if (stopped) return;
    timer = setTimeout(() => void loop(), Math.max(0, source.interval_ms - (Date.now() - startedAt)));
    timer.unref();
  };
  void loop();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    resolver.cancel();
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The base URLs a discovery file lists, and the lines that are not http(s) URLs. */
export function parseEndpointFile(text: string): { urls: string[]; invalid: string[] } {
  const urls: string[] = [];
  const invalid: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const hash = raw.indexOf('#');
    const line = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (line === '') continue;
    if (isHttpUrl(line)) urls.push(normalizeBaseUrl(line));
    else invalid.push(line);
  }
  return { urls, invalid };
}

/**
 * Reads the file on every change its folder reports and on the poll interval. The folder, not the
 * file, is watched: a file replaced by a rename (editors, `kubectl` ConfigMap updates) would leave a
 * watch on the old inode silent. Reads never overlap; one that finds nothing new emits nothing. A
 * changed text is taken only when a second read a moment later finds the same: a file written in
 * place (truncated, then filled) is never taken half-written, which would drop members for a moment.
 */
function watchFile(source: FileDiscovery, changed: (urls: readonly string[]) => void, onError: (err: Error) => void): StopDiscovery {
  let stopped = false;
  let reading = false;
  let again = false;
  let failing = false;
  let lastInvalid = '';
  let lastText: string | undefined;
  let watcher: FSWatcher | undefined;
  const settleMs = Math.min(50, source.interval_ms);

  const read = async (): Promise<void> => {
    if (stopped) return;
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        let text: string;
        try {
          text = await readFile(source.file, 'utf8');
        } catch (err) {
          if (!failing && !stopped) onError(asError(err));
          failing = true;
          continue;
        }
        failing = false;
        if (stopped) return;
        if (text !== lastText) {
          await new Promise((resolve) => setTimeout(resolve, settleMs));
          if (stopped) return;
          const settled = await readFile(source.file, 'utf8').catch(() => undefined);
          if (settled !== text) {
            // Still being written: read it again.
            again = true;
            continue;
          }
          lastText = text;
        }
        const { urls, invalid } = parseEndpointFile(text);
        const invalidKey = invalid.join('\n');
        if (invalid.length > 0 && invalidKey !== lastInvalid) {
          onError(new Error(`not an http(s) URL: ${invalid.slice(0, 3).join(', ')}${invalid.length > 3 ? ', ...' : ''}`));
        }
        lastInvalid = invalidKey;
        changed(urls);
      } while (again && !stopped);
    } finally {
      reading = false;
    }
  };

  try {
    const name = basename(source.file);
    watcher = watch(dirname(source.file), { persistent: false }, (_event, file) => {
      // Some platforms give no name; any change in the folder is then worth a read.
      if (file === null || file === name || String(file).startsWith('..')) void read();
    });
    watcher.on('error', () => {
      watcher?.close();
      watcher = undefined;
    });
  } catch {
    // No folder to watch (yet): the poll covers it.
  }
  const timer = setInterval(() => void read(), source.interval_ms);
  timer.unref();
  void read();
  return () => {
    stopped = true;
    clearInterval(timer);
    watcher?.close();
  };
}
