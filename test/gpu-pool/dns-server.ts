/**
 * A tiny real DNS server over UDP for the discovery tests: it answers A, AAAA and SRV questions for
 * the names it is given (records editable while it runs), NXDOMAIN for any other name, an empty
 * answer (NODATA) for a known name without records of the asked type, and SERVFAIL for everything
 * while `failing` is set. Hand-written packets (RFC 1035, SRV per RFC 2782); only the first question
 * of a query is read, EDNS records are ignored.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import type { AddressInfo } from 'node:net';

export interface DnsRecords {
  a?: string[];
  aaaa?: string[];
  srv?: Array<{ target: string; port: number; priority?: number; weight?: number }>;
}

export interface RunningDns {
  /** `127.0.0.1:PORT`, for a Resolver's setServers. */
  readonly server: string;
  /** Lower-case names without the trailing dot. */
  readonly records: Map<string, DnsRecords>;
  /** Answer SERVFAIL to everything while true. */
  failing: boolean;
  /** Questions answered so far. */
  readonly queries: number;
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;
const TYPE_SRV = 33;

function encodeName(name: string): Buffer {
  const parts = name
    .replace(/\.$/, '')
    .split('.')
    .filter((p) => p !== '');
  const out: Buffer[] = [];
  for (const part of parts) {
    const label = Buffer.from(part, 'ascii');
    out.push(Buffer.from([label.length]), label);
  }
  out.push(Buffer.from([0]));
  return Buffer.concat(out);
}

function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = offset;
  for (;;) {
    const len = msg[i];
    if (len === undefined) throw new Error('truncated name');
    if (len === 0) return { name: labels.join('.'), end: i + 1 };
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += 1 + len;
  }
}

function ipv4(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

function ipv6(address: string): Buffer {
  const [head = '', tail] = address.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, k) => out.writeUInt16BE(parseInt(g, 16), k * 2));
  return out;
}

function answer(type: number, ttl: number, rdata: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // pointer to the question's name
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4); // IN
  head.writeUInt32BE(ttl, 6);
  head.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, rdata]);
}

function respond(dns: { records: Map<string, DnsRecords>; failing: boolean }, query: Buffer): Buffer | undefined {
  if (query.length < 12) return undefined;
  const { name, end } = readName(query, 12);
  const qtype = query.readUInt16BE(end);
  const question = query.subarray(12, end + 4);
  const records = dns.records.get(name.toLowerCase());
  let rcode = 0;
  const answers: Buffer[] = [];
  if (dns.failing) rcode = 2;
  else if (records === undefined) rcode = 3;
  else if (qtype === TYPE_A) for (const a of records.a ?? []) answers.push(answer(TYPE_A, 5, ipv4(a)));
  else if (qtype === TYPE_AAAA) for (const a of records.aaaa ?? []) answers.push(answer(TYPE_AAAA, 5, ipv6(a)));
  else if (qtype === TYPE_SRV) {
    for (const s of records.srv ?? []) {
      const fixed = Buffer.alloc(6);
      fixed.writeUInt16BE(s.priority ?? 10, 0);
      fixed.writeUInt16BE(s.weight ?? 10, 2);
      fixed.writeUInt16BE(s.port, 4);
      answers.push(answer(TYPE_SRV, 5, Buffer.concat([fixed, encodeName(s.target)])));
    }
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  const rd = query.readUInt16BE(2) & 0x0100;
  header.writeUInt16BE(0x8000 | 0x0400 | rd | 0x0080 | rcode, 2); // QR, AA, RD as asked, RA, rcode
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, question, ...answers]);
}

export async function startDnsServer(records: Record<string, DnsRecords> = {}): Promise<RunningDns> {
  const socket = createSocket('udp4');
  const state = {
    records: new Map(Object.entries(records).map(([k, v]) => [k.toLowerCase(), v])),
    failing: false,
    queries: 0,
  };
  socket.on('message', (msg: Buffer, from: RemoteInfo) => {
    let reply: Buffer | undefined;
    try {
      reply = respond(state, msg);
    } catch {
      return;
    }
    if (reply === undefined) return;
    state.queries += 1;
    socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = (socket.address() as AddressInfo).port;
  return {
    server: `127.0.0.1:${port}`,
    records: state.records,
    get failing() {
      return state.failing;
    },
    set failing(v: boolean) {
      state.failing = v;
    },
    get queries() {
      return state.queries;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
