/**
 * Discovery sources against real parts: a local UDP DNS server (A, AAAA, SRV, NXDOMAIN, SERVFAIL)
 * asked through `servers`, and a temp file edited while it is watched.
 */
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEndpointFile, sourcesFromConfig, startDiscovery, startSource, type StopDiscovery } from '../../gpu-pool/discovery.js';
import { pollUntil } from '../support/poll.js';
import { startDnsServer, type RunningDns } from './dns-server.js';

let dns: RunningDns;
let dir: string;

beforeAll(async () => {
  dns = await startDnsServer({
    'vllm.test': { a: ['10.0.0.2', '10.0.0.1'], aaaa: ['fd00::1'] },
    'v4only.test': { a: ['10.1.0.1'] },
    '_http._tcp.vllm.test': {
      srv: [
        { target: 'gpu-a.vllm.test', port: 8001 },
        { target: 'gpu-b.vllm.test', port: 8002 },
      ],
    },
  });
  dir = await mkdtemp(join(tmpdir(), 'sw-discovery-'));
});
afterAll(async () => {
  await dns.close();
  await rm(dir, { recursive: true, force: true });
});

/** Collects a source's emissions and errors. */
function collect() {
  const lists: Array<readonly string[]> = [];
  const errors: string[] = [];
  return {
    lists,
    errors,
    emit: (urls: readonly string[]) => lists.push(urls),
    onError: (_source: string, err: Error) => errors.push(err.message),
    get last() {
      return lists[lists.length - 1];
    },
  };
}

describe('endpoint files', () => {
  it('take one base URL per line; comments, blank lines and trailing slashes go', () => {
    const text = '# the pool\nhttp://a:8000/v1\n\n  http://b:8000/v1/  # second\nnot a url\nftp://c/v1\n';
    expect(parseEndpointFile(text)).toEqual({ urls: ['http://a:8000/v1', 'http://b:8000/v1'], invalid: ['not a url', 'ftp://c/v1'] });
  });
});

describe('static discovery', () => {
  it('emits its list at once, de-duplicated', () => {
    const c = collect();
    startSource({ urls: ['http://a/v1', 'http://a/v1/', 'http://b/v1'] }, c.emit)();
    expect(c.lists).toEqual([['http://a/v1', 'http://b/v1']]);
  });
});

describe('DNS discovery', () => {
  it('turns A and AAAA records into base URLs, IPv6 bracketed, and follows changes', async () => {
    const c = collect();
    const stop = startSource({ name: 'vllm.test', port: 8000, interval_ms: 50, servers: [dns.server] }, c.emit, { onError: c.onError });
    try {
      await pollUntil(() => c.last !== undefined, 'the first resolution');
      expect(c.last).toEqual(['http://10.0.0.1:8000/v1', 'http://10.0.0.2:8000/v1', 'http://[fd00::1]:8000/v1']);
      dns.records.set('vllm.test', { a: ['10.0.0.3'], aaaa: [] });
      await pollUntil(() => c.last?.length === 1, 'the changed records');
      expect(c.last).toEqual(['http://10.0.0.3:8000/v1']);
      expect(c.errors).toEqual([]);
    } finally {
      stop();
    }
  });

  it('keeps the last good list when the server fails or the name disappears, and reports it', async () => {
    dns.records.set('keep.test', { a: ['10.2.0.1'] });
    const c = collect();
    const stop = startSource(
      { name: 'keep.test', port: 9000, scheme: 'https', path: '/api/v1', interval_ms: 50, servers: [dns.server] },
      c.emit,
      { onError: c.onError },
    );
    try {
      await pollUntil(() => c.last !== undefined, 'the first resolution');
      expect(c.last).toEqual(['https://10.2.0.1:9000/api/v1']);
      dns.failing = true;
      await pollUntil(() => c.errors.length > 0, 'a reported SERVFAIL');
      dns.failing = false;
      dns.records.delete('keep.test');
      const before = c.errors.length;
      await pollUntil(() => c.errors.length > before, 'a reported NXDOMAIN');
      expect(c.lists).toEqual([['https://10.2.0.1:9000/api/v1']]);
    } finally {
      dns.failing = false;
      stop();
    }
  });

  it('takes a name with no AAAA records (NODATA) as IPv4 only, without an error', async () => {
    const c = collect();
    const stop = startSource({ name: 'v4only.test', port: 8000, interval_ms: 1000, servers: [dns.server] }, c.emit, { onError: c.onError });
    try {
      await pollUntil(() => c.last !== undefined, 'the first resolution');
      expect(c.last).toEqual(['http://10.1.0.1:8000/v1']);
      expect(c.errors).toEqual([]);
    } finally {
      stop();
    }
  });

  it('turns SRV records into host:port base URLs', async () => {
    const c = collect();
    const stop = startSource({ srv: '_http._tcp.vllm.test', interval_ms: 1000, servers: [dns.server] }, c.emit, { onError: c.onError });
    try {
      await pollUntil(() => c.last !== undefined, 'the SRV lookup');
      expect([...c.last!].sort()).toEqual(['http://gpu-a.vllm.test:8001/v1', 'http://gpu-b.vllm.test:8002/v1']);
    } finally {
      stop();
    }
  });
});

describe('file discovery', () => {
  it('follows edits, keeps the last list while the file is missing (reported once), and resumes', async () => {
    const file = join(dir, 'endpoints.txt');
    await writeFile(file, 'http://a:8000/v1\n');
    const c = collect();
    const stop = startSource({ file, interval_ms: 50 }, c.emit, { onError: c.onError });
    try {
      await pollUntil(() => c.last !== undefined, 'the first read');
      expect(c.last).toEqual(['http://a:8000/v1']);
      await writeFile(file, '# two now\nhttp://a:8000/v1\nhttp://b:8000/v1\n');
      await pollUntil(() => c.last?.length === 2, 'the edit');
      await unlink(file);
      await pollUntil(() => c.errors.length > 0, 'the missing file reported');
      // Several polls later: still one report, and the list is unchanged.
      await new Promise((r) => setTimeout(r, 300));
      expect(c.errors).toHaveLength(1);
      expect(c.last).toEqual(['http://a:8000/v1', 'http://b:8000/v1']);
      await writeFile(file, 'http://c:8000/v1\n');
      await pollUntil(() => c.last?.[0] === 'http://c:8000/v1', 'the file back');
    } finally {
      stop();
    }
  });
});

describe('combined discovery', () => {
  it('merges the sources into one de-duplicated list, emitted on change only', async () => {
    const file = join(dir, 'merged.txt');
    await writeFile(file, 'http://10.1.0.1:8000/v1\nhttp://z:8000/v1\n');
    const lists: Array<readonly string[]> = [];
    let stop: StopDiscovery | undefined;
    try {
      stop = startDiscovery(
        [
          { urls: ['http://s:8000/v1'] },
          ...sourcesFromConfig({ dns: { name: 'v4only.test', port: 8000, servers: [dns.server] }, file }, 50),
        ],
        (urls) => lists.push(urls),
      );
      await pollUntil(() => lists[lists.length - 1]?.length === 3, 'all three sources');
      expect(lists[lists.length - 1]).toEqual(['http://s:8000/v1', 'http://10.1.0.1:8000/v1', 'http://z:8000/v1']);
      const count = lists.length;
      await new Promise((r) => setTimeout(r, 200));
      expect(lists).toHaveLength(count);
    } finally {
      stop?.();
    }
  });
});
