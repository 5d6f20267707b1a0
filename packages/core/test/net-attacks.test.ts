// SSRF attack table. Each input must be refused with an access_denied ToolError, and two oracles
// must agree nothing reached a blocked target:
// - recording servers on 127.0.0.1 and [::1] (the loopback targets) count every request;
// - undici's diagnostics channels record every connection attempt and the address each socket
//   really reached: only the "public" redirector on 127.0.0.2 may appear.
// Targets outside loopback (10/8, 169.254.169.254, …) are refused before any connection is
// attempted, so no packet leaves the machine; names resolve through an injected lookup only.
// Each case that points at a loopback oracle is replayed with allowPrivate: true and must then reach
// it, so the table proves the refusal and not a typo in the URL.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import nodeDns from 'node:dns';
import { createServer, type Server } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import ipaddr from 'ipaddr.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NetGuard, ToolError, type LookupAnswer, type NetGuardOptions } from '../src/index.js';

// Tripwire: even a broken guard must not send a packet off loopback from this file. Every socket
// connect in this process passes here first; a destination other than loopback (or the
// unspecified address, which means this host) given as an IP literal,
// or any address a lookup hands to the socket, is refused before any syscall and recorded.
const offLoopback: string[] = [];
const onThisHost = (a: string): boolean => {
  if (!ipaddr.isValid(a)) return false;
  let ip = ipaddr.parse(a);
  if (ip instanceof ipaddr.IPv6 && ip.isIPv4MappedAddress()) ip = ip.toIPv4Address();
  // loopback, or the unspecified address (which Linux connects to this host)
  return ip.range() === 'loopback' || ip.toNormalizedString() === '0.0.0.0' || ip.toNormalizedString() === '0:0:0:0:0:0:0:0';
};
let tripwireAllows = onThisHost;
const tripped = (dest: string) => (offLoopback.push(dest), Object.assign(new Error(`tripwire: ${dest} is off loopback`), { code: 'ETRIPWIRE' }));
type LookupCb = (err: Error | null, address?: string | { address: string }[], family?: number) => void;
const realConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
  const first = (Array.isArray(args[0]) ? args[0][0] : args[0]) as { host?: string; path?: string; lookup?: typeof nodeDns.lookup } | number;
  if (typeof first !== 'object') {
    const host = typeof args[1] === 'string' ? args[1] : 'localhost';
    if (!(net.isIP(host) && tripwireAllows(host))) return (process.nextTick(() => this.destroy(tripped(host))), this);
  } else if (!first.path) {
    const host = first.host ?? 'localhost';
    if (net.isIP(host)) {
      if (!tripwireAllows(host)) return (process.nextTick(() => this.destroy(tripped(host))), this);
    } else {
      const inner = (first.lookup ?? nodeDns.lookup) as unknown as (h: string, o: object, cb: LookupCb) => void;
      first.lookup = ((h: string, o: object, cb: LookupCb) =>
        inner(h, o, (err, address, family) => {
          const list = Array.isArray(address) ? address.map((a) => a.address) : [address ?? ''];
          const bad = err ? undefined : list.find((a) => !tripwireAllows(a));
          return bad === undefined ? cb(err, address, family) : cb(tripped(bad));
        })) as unknown as typeof nodeDns.lookup;
    }
  }
  return (realConnect as (...a: unknown[]) => Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

const listen = (s: Server, port: number, host: string) =>
  new Promise<number>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, host, () => resolve((s.address() as AddressInfo).port));
  });

let oracleHits = 0; // requests received by the loopback oracles
let O = 0; // the oracles' port (same number on 127.0.0.1 and ::1)
const oracles: Server[] = [];
let pub: Server; // "public" redirector on 127.0.0.2
let pubPort = 0;
let twin: Server; // public half of the rebinding pair: 127.0.0.2:R, with an oracle on 127.0.0.1:R
let twinOracle: Server;
let R = 0;
let twinOracleHits = 0;

const attempts: string[] = []; // hostname:port of every connection undici attempted
const remotes: string[] = []; // address:port every socket really reached
const onBefore = (m: unknown) => {
  const p = (m as { connectParams: { hostname: string; port: string | number } }).connectParams;
  attempts.push(`${p.hostname}:${p.port}`);
};
const onConnected = (m: unknown) => {
  const s = (m as { socket: Socket }).socket;
  remotes.push(`${s.remoteAddress}:${s.remotePort}`);
};

/** Two servers on the same port number: the first host's port is reused for the second. */
async function pair(first: Server, firstHost: string, second: Server, secondHost: string): Promise<number> {
  for (let i = 0; ; i++) {
    const port = await listen(first, 0, firstHost);
    try {
      await listen(second, port, secondHost);
      return port;
    } catch (e) {
      first.close();
      if (i > 20) throw e;
    }
  }
}

beforeAll(async () => {
  const oracle = () => createServer((_req, res) => (oracleHits++, res.end('oracle reached')));
  oracles.push(oracle(), oracle());
  O = await pair(oracles[0], '127.0.0.1', oracles[1], '::1');
  pub = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    res.statusCode = Number(u.searchParams.get('code') ?? 302);
    res.setHeader('location', u.searchParams.get('to') ?? '/');
    res.end();
  });
  pubPort = await listen(pub, 0, '127.0.0.2');
  twin = createServer((_req, res) => res.end('public twin'));
  twinOracle = createServer((_req, res) => (twinOracleHits++, res.end('rebound to loopback')));
  R = await pair(twin, '127.0.0.2', twinOracle, '127.0.0.1');
  subscribe('undici:client:beforeConnect', onBefore);
  subscribe('undici:client:connected', onConnected);
});

afterAll(() => {
  net.Socket.prototype.connect = realConnect;
  unsubscribe('undici:client:beforeConnect', onBefore);
  unsubscribe('undici:client:connected', onConnected);
  for (const s of [...oracles, pub, twin, twinOracle]) s.close();
});

beforeEach(() => {
  attempts.length = 0;
  remotes.length = 0;
});

afterEach(() => {
  // checked after every test, controls included
  const seen = offLoopback.splice(0);
  expect(seen, 'a connection off loopback was attempted').toEqual([]);
});

const lookups: string[] = [];
let rebindCount = 0;
const dns: Record<string, () => string[]> = {
  'public.test': () => ['127.0.0.2'],
  'private.test': () => ['127.0.0.1'],
  'mixed.test': () => ['127.0.0.2', '127.0.0.1'],
  'mixed6.test': () => ['127.0.0.2', '::1'],
  'metadata.test': () => ['169.254.169.254'],
  'metadata.google.internal': () => ['169.254.169.254'],
  'ten.test': () => ['10.0.0.5'],
  'cgnat.test': () => ['100.64.1.1'],
  'v6loop.test': () => ['::1'],
  'mapped.test': () => ['::ffff:127.0.0.1'],
  'ula.test': () => ['fd00:ec2::254'],
  '127.0.0.1.nip.io': () => ['127.0.0.1'],
  // only reached with allowPrivate (the positive controls): the guard refuses these names itself
  localhost: () => ['127.0.0.1'],
  'localhost.': () => ['127.0.0.1'],
  'api.localhost': () => ['127.0.0.1'],
  'rebind.test': () => (rebindCount++ === 0 ? ['127.0.0.2'] : ['127.0.0.1']),
};
const lookup = async (host: string): Promise<LookupAnswer[]> => {
  lookups.push(host);
  const f = dns[host];
  if (!f) throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
  return f().map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};
const guard = (extra: NetGuardOptions = {}) => new NetGuard({ allowedNetworks: ['127.0.0.2/32'], lookup, ...extra });

const via = (to: string, code = 302) => `http://public.test:${pubPort}/?code=${code}&to=${encodeURIComponent(to)}`;

interface Attack {
  name: string;
  url: () => string;
  /** With allowPrivate: true this URL reaches a loopback oracle (the positive control). */
  reaches?: boolean;
  init?: { method?: string; body?: string };
}
const L = (name: string, url: () => string, init?: Attack['init']): Attack => ({ name, url, reaches: true, init });
const N = (name: string, url: () => string): Attack => ({ name, url });

const attacks: Attack[] = [
  // loopback in every spelling the URL parser accepts
  L('loopback literal', () => `http://127.0.0.1:${O}/`),
  L('short form 127.1', () => `http://127.1:${O}/`),
  L('decimal integer 2130706433', () => `http://2130706433:${O}/`),
  L('hex 0x7f000001', () => `http://0x7f000001:${O}/`),
  L('octal 0177.0.0.1', () => `http://0177.0.0.1:${O}/`),
  L('octal integer 017700000001', () => `http://017700000001:${O}/`),
  L('dotted hex 0x7f.0.0.1', () => `http://0x7f.0.0.1:${O}/`),
  L('mixed 0x7f.1', () => `http://0x7f.1:${O}/`),
  L('three parts 127.0.1', () => `http://127.0.1:${O}/`),
  L('trailing dot 127.0.0.1.', () => `http://127.0.0.1.:${O}/`),
  L('percent-encoded host %31%32%37.0.0.1', () => `http://%31%32%37.0.0.1:${O}/`),
  L('fullwidth digits', () => `http://１２７．０．０．１:${O}/`),
  L('upper-case scheme HTTP://', () => `HTTP://127.0.0.1:${O}/`),
  L('localhost', () => `http://localhost:${O}/`),
  L('LOCALHOST upper case', () => `http://LOCALHOST:${O}/`),
  L('localhost. with trailing dot', () => `http://localhost.:${O}/`),
  L('a *.localhost name', () => `http://api.localhost:${O}/`),
  L('IPv6 loopback [::1]', () => `http://[::1]:${O}/`),
  L('IPv6 loopback long form', () => `http://[0:0:0:0:0:0:0:1]:${O}/`),
  L('IPv4-mapped [::ffff:127.0.0.1]', () => `http://[::ffff:127.0.0.1]:${O}/`),
  L('IPv4-mapped hex [::ffff:7f00:1]', () => `http://[::ffff:7f00:1]:${O}/`),
  L('unspecified 0.0.0.0', () => `http://0.0.0.0:${O}/`),
  L('zero 0', () => `http://0:${O}/`),
  L('unspecified [::]', () => `http://[::]:${O}/`),
  N('IPv4-compatible [::127.0.0.1]', () => `http://[::127.0.0.1]:${O}/`),
  N('IPv4-translated [::ffff:0:127.0.0.1]', () => `http://[::ffff:0:127.0.0.1]:${O}/`),
  N('NAT64 [64:ff9b::7f00:1]', () => `http://[64:ff9b::7f00:1]:${O}/`),
  N('6to4 [2002:7f00:1::]', () => `http://[2002:7f00:1::]:${O}/`),
  N('Teredo', () => `http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:${O}/`),
  // cloud metadata and private ranges: refused before any connection
  N('cloud metadata 169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/'),
  N('metadata as decimal 2852039166', () => 'http://2852039166/latest/meta-data/'),
  N('metadata IPv4-mapped', () => 'http://[::ffff:169.254.169.254]/latest/meta-data/'),
  N('AWS IPv6 metadata [fd00:ec2::254]', () => 'http://[fd00:ec2::254]/latest/meta-data/'),
  N('private 10.0.0.1', () => 'http://10.0.0.1/'),
  N('private 172.16.0.1', () => 'http://172.16.0.1/'),
  N('private 172.31.255.254', () => 'http://172.31.255.254/'),
  N('private 192.168.1.1', () => 'http://192.168.1.1/'),
  N('CGNAT 100.64.0.1', () => 'http://100.64.0.1/'),
  N('IETF 192.0.0.1', () => 'http://192.0.0.1/'),
  N('benchmarking 198.18.0.1', () => 'http://198.18.0.1/'),
  N('reserved 240.0.0.1', () => 'http://240.0.0.1/'),
  N('multicast 224.0.0.1', () => 'http://224.0.0.1/'),
  N('broadcast 255.255.255.255', () => 'http://255.255.255.255/'),
  N('link-local IPv6 [fe80::1]', () => 'http://[fe80::1]/'),
  N('ULA [fc00::1]', () => 'http://[fc00::1]/'),
  N('IPv6 multicast [ff02::1]', () => 'http://[ff02::1]/'),
  // names whose answers are private
  L('name resolving to loopback', () => `http://private.test:${O}/`),
  L('name with one public and one private answer', () => `http://mixed.test:${O}/`),
  L('name with a public IPv4 and a loopback IPv6 answer', () => `http://mixed6.test:${O}/`),
  L('name resolving to ::1', () => `http://v6loop.test:${O}/`),
  L('name resolving to ::ffff:127.0.0.1', () => `http://mapped.test:${O}/`),
  L('127.0.0.1.nip.io', () => `http://127.0.0.1.nip.io:${O}/`),
  N('name resolving to metadata', () => 'http://metadata.test/'),
  N('metadata.google.internal', () => 'http://metadata.google.internal/computeMetadata/v1/'),
  N('name resolving to 10/8', () => 'http://ten.test/'),
  N('name resolving to CGNAT', () => 'http://cgnat.test/'),
  N('name resolving to fd00:ec2::254', () => 'http://ula.test/'),
  // parser tricks
  L('userinfo trick public.test:x@127.0.0.1', () => `http://public.test:x@127.0.0.1:${O}/`),
  L('userinfo trick user:pass@127.0.0.1', () => `http://user:pass@127.0.0.1:${O}/`),
  L('fragment trick 127.0.0.1#@public.test', () => `http://127.0.0.1:${O}#@public.test/`),
  L('backslashes http:\\\\127.0.0.1', () => `http:\\\\127.0.0.1:${O}/`),
  L('no slashes http:127.0.0.1', () => `http:127.0.0.1:${O}/`),
  L('tab and newline inside the host', () => `http://127.0.\t0.1:${O}/\n`),
  // redirects from a public site
  L('redirect to loopback', () => via(`http://127.0.0.1:${O}/`)),
  L('redirect to decimal loopback', () => via(`http://2130706433:${O}/`)),
  L('redirect to [::1]', () => via(`http://[::1]:${O}/`)),
  L('redirect to a name resolving to loopback', () => via(`http://private.test:${O}/`)),
  L('redirect to localhost', () => via(`http://localhost:${O}/`)),
  L('307 redirect keeps POST, still refused', () => via(`http://127.0.0.1:${O}/`, 307), { method: 'POST', body: 'x' }),
  L('308 redirect to loopback', () => via(`http://127.0.0.1:${O}/`, 308)),
  L('protocol-relative redirect //127.0.0.1', () => via(`//127.0.0.1:${O}/`)),
  L('two public hops, then loopback', () => via(via(`http://127.0.0.1:${O}/`))),
  N('redirect to 169.254.169.254', () => via('http://169.254.169.254/latest/meta-data/')),
  N('redirect to 10.0.0.1', () => via('http://10.0.0.1/')),
  N('redirect to file:///etc/passwd', () => via('file:///etc/passwd')),
  N('redirect to gopher', () => via(`gopher://127.0.0.1:${O}/_GET`)),
  // schemes
  N('file scheme', () => 'file:///etc/passwd'),
  N('ftp scheme', () => 'ftp://127.0.0.1/'),
  N('data scheme', () => 'data:text/plain,hello'),
  N('gopher scheme', () => `gopher://127.0.0.1:${O}/_GET`),
  N('javascript scheme', () => 'javascript:alert(1)'),
  N('ws scheme', () => `ws://127.0.0.1:${O}/`),
  N('blob scheme', () => `blob:http://127.0.0.1:${O}/x`),
];

describe('net guard: SSRF attack table (oracles on loopback must stay silent)', () => {
  it('has at least 25 cases', () => expect(attacks.length).toBeGreaterThanOrEqual(25));

  it('the tripwire stops a connection before it is made (checked on loopback: 127.0.0.1 counts as off-limits here)', async () => {
    const saved = tripwireAllows;
    tripwireAllows = (a) => a === '::1';
    try {
      const g = guard({ allowPrivate: true });
      const before = oracleHits;
      for (const u of [`http://127.0.0.1:${O}/`, `http://private.test:${O}/`]) {
        await expect(g.fetch(u)).rejects.toMatchObject({ code: 'remote_error' });
      }
      await g.close();
      expect(oracleHits).toBe(before);
      expect(offLoopback).toEqual(['127.0.0.1', '127.0.0.1']);
    } finally {
      tripwireAllows = saved;
      offLoopback.length = 0;
    }
  });

  for (const a of attacks) {
    it(a.name, async () => {
      const g = guard();
      const before = oracleHits;
      const err = await g.fetch(a.url(), { ...a.init, timeoutMs: 5000 }).then(
        (r) => new Error(`not refused: status ${r.status}`),
        (e: unknown) => e,
      );
      await g.close();
      expect(err).toBeInstanceOf(ToolError);
      expect((err as ToolError).code).toBe('access_denied');
      expect(oracleHits).toBe(before);
      // the only connection ever made is to the public redirector
      expect(attempts.filter((x) => x !== `public.test:${pubPort}`)).toEqual([]);
      expect(remotes.filter((x) => x !== `127.0.0.2:${pubPort}`)).toEqual([]);
    });
  }

  describe('positive controls: with allowPrivate the same URLs reach the oracle', () => {
    for (const a of attacks.filter((x) => x.reaches)) {
      it(a.name, async () => {
        const g = guard({ allowPrivate: true });
        const before = oracleHits;
        const r = await g.fetch(a.url(), { ...a.init, timeoutMs: 5000 });
        await g.close();
        expect(r.body.toString()).toBe('oracle reached');
        expect(oracleHits).toBe(before + 1);
        expect(remotes.some((x) => [`127.0.0.1:${O}`, `::ffff:127.0.0.1:${O}`, `::1:${O}`].includes(x))).toBe(true);
      });
    }
  });

  it('DNS rebinding: the address checked is the address connected to', async () => {
    rebindCount = 0;
    lookups.length = 0;
    const g = guard();
    // 127.0.0.2:R is the public twin, 127.0.0.1:R the loopback oracle on the same port: the first
    // lookup answers 127.0.0.2, every later one 127.0.0.1. A guard that resolved again at connect
    // time would land on the oracle.
    const r = await g.fetch(`http://rebind.test:${R}/`);
    expect(r.body.toString()).toBe('public twin');
    expect(r.address).toBe('127.0.0.2');
    expect(remotes).toEqual([`127.0.0.2:${R}`]);
    expect(lookups).toEqual(['rebind.test']);
    // the next request resolves again, sees the private answer and is refused (connection reuse
    // never carries an old answer over)
    const err = await g.fetch(`http://rebind.test:${R}/`).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'access_denied' });
    expect(twinOracleHits).toBe(0);
    expect(remotes).toEqual([`127.0.0.2:${R}`]);
    await g.close();
  });

  it('the rebinding oracle is reachable when the name is not pinned (the test can fail)', async () => {
    const g = guard({ allowPrivate: true });
    rebindCount = 1; // the lookup now answers 127.0.0.1
    const r = await g.fetch(`http://rebind.test:${R}/`);
    expect(r.body.toString()).toBe('rebound to loopback');
    expect(twinOracleHits).toBe(1);
    twinOracleHits = 0;
    await g.close();
  });

  it("allowedOrigins exempts only the operator's exact origin", async () => {
    const g = guard({ allowedOrigins: [`http://127.0.0.1:${O}`] });
    const before = oracleHits;
    expect((await g.fetch(`http://127.0.0.1:${O}/`)).body.toString()).toBe('oracle reached');
    for (const u of [`http://[::1]:${O}/`, `http://localhost:${O}/`, `http://127.0.0.1:${R}/`, via(`http://127.0.0.1:${R}/`)]) {
      await expect(g.fetch(u)).rejects.toMatchObject({ code: 'access_denied' });
    }
    expect(oracleHits).toBe(before + 1);
    expect(twinOracleHits).toBe(0);
    await g.close();
  });
});
