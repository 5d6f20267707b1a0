// SSRF attack table: each input must be refused with a ToolError AND the oracle server on
// 127.0.0.1 must have received nothing. Addresses outside loopback are refused before any
// connection is attempted (the guard checks literals and DNS answers first), so no packet leaves
// the machine.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetGuard, ToolError, type LookupAnswer } from '../src/index.js';

let oracle: Server;
let oraclePort: number;
let oracleHits = 0;
let pub: Server;
let pubPort: number;

beforeAll(async () => {
  oracle = createServer((_req, res) => {
    oracleHits++;
    res.end('oracle reached');
  });
  await new Promise<void>((r) => oracle.listen(0, '127.0.0.1', () => r()));
  oraclePort = (oracle.address() as AddressInfo).port;
  // a "public" site on 127.0.0.2 that redirects wherever it is told
  pub = createServer((req, res) => {
    const to = new URL(req.url!, 'http://x').searchParams.get('to');
    res.statusCode = 302;
    res.setHeader('location', to ?? '/');
    res.end();
  });
  await new Promise<void>((r) => pub.listen(0, '127.0.0.2', () => r()));
  pubPort = (pub.address() as AddressInfo).port;
});

afterAll(() => {
  oracle.close();
  pub.close();
});

let lookups: string[] = [];
let rebindCount = 0;
const dns: Record<string, () => string[]> = {
  'public.test': () => ['127.0.0.2'],
  'private.test': () => ['127.0.0.1'],
  'mixed.test': () => ['127.0.0.2', '127.0.0.1'],
  'metadata.test': () => ['169.254.169.254'],
  'ten.test': () => ['10.0.0.5'],
  'v6loop.test': () => ['::1'],
  'mapped.test': () => ['::ffff:127.0.0.1'],
  '127.0.0.1.nip.io': () => ['127.0.0.1'],
  'rebind.test': () => (rebindCount++ === 0 ? ['127.0.0.2'] : ['127.0.0.1']),
};
const lookup = async (host: string): Promise<LookupAnswer[]> => {
  lookups.push(host);
  const f = dns[host];
  if (!f) throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
  return f().map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};
const guard = () => new NetGuard({ allowedNetworks: ['127.0.0.2/32'], lookup });

const O = () => oraclePort;
const attacks: [string, () => string][] = [
  ['loopback literal', () => `http://127.0.0.1:${O()}/`],
  ['decimal integer 2130706433', () => `http://2130706433:${O()}/`],
  ['hex 0x7f000001', () => `http://0x7f000001:${O()}/`],
  ['octal 0177.0.0.1', () => `http://0177.0.0.1:${O()}/`],
  ['short form 127.1', () => `http://127.1:${O()}/`],
  ['dotted hex 0x7f.0.0.1', () => `http://0x7f.0.0.1:${O()}/`],
  ['localhost', () => `http://localhost:${O()}/`],
  ['LOCALHOST uppercase and scheme', () => `HTTP://LOCALHOST:${O()}/`],
  ['IPv6 loopback [::1]', () => `http://[::1]:${O()}/`],
  ['IPv4-mapped IPv6 [::ffff:127.0.0.1]', () => `http://[::ffff:127.0.0.1]:${O()}/`],
  ['IPv4-mapped hex [::ffff:7f00:1]', () => `http://[::ffff:7f00:1]:${O()}/`],
  ['NAT64 [64:ff9b::7f00:1]', () => `http://[64:ff9b::7f00:1]:${O()}/`],
  ['6to4 [2002:7f00:1::]', () => `http://[2002:7f00:1::]:${O()}/`],
  ['unspecified 0.0.0.0', () => `http://0.0.0.0:${O()}/`],
  ['zero 0', () => `http://0:${O()}/`],
  ['unspecified [::]', () => `http://[::]:${O()}/`],
  ['cloud metadata 169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/'],
  ['AWS IPv6 metadata [fd00:ec2::254]', () => 'http://[fd00:ec2::254]/latest/meta-data/'],
  ['private 10.0.0.1', () => 'http://10.0.0.1/'],
  ['private 172.16.0.1', () => 'http://172.16.0.1/'],
  ['private 192.168.1.1', () => 'http://192.168.1.1/'],
  ['CGNAT 100.64.0.1', () => 'http://100.64.0.1/'],
  ['multicast 224.0.0.1', () => 'http://224.0.0.1/'],
  ['broadcast 255.255.255.255', () => 'http://255.255.255.255/'],
  ['link-local IPv6 [fe80::1]', () => 'http://[fe80::1]/'],
  ['ULA [fc00::1]', () => 'http://[fc00::1]/'],
  ['name resolving to loopback', () => `http://private.test:${O()}/`],
  ['name with one public and one private answer', () => `http://mixed.test:${O()}/`],
  ['name resolving to metadata', () => 'http://metadata.test/'],
  ['name resolving to 10/8', () => 'http://ten.test/'],
  ['name resolving to ::1', () => `http://v6loop.test:${O()}/`],
  ['name resolving to ::ffff:127.0.0.1', () => `http://mapped.test:${O()}/`],
  ['127.0.0.1.nip.io', () => `http://127.0.0.1.nip.io:${O()}/`],
  ['userinfo trick user:pass@127.0.0.1', () => `http://public.test:x@127.0.0.1:${O()}/`],
  ['backslash trick', () => `http:\\\\127.0.0.1:${O()}/`],
  ['redirect from a public site to loopback', () => `http://public.test:${pubPort}/?to=${encodeURIComponent(`http://127.0.0.1:${O()}/`)}`],
  ['redirect to 169.254.169.254', () => `http://public.test:${pubPort}/?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`],
  ['redirect to a name resolving to loopback', () => `http://public.test:${pubPort}/?to=${encodeURIComponent(`http://private.test:${O()}/`)}`],
  ['redirect to file:///etc/passwd', () => `http://public.test:${pubPort}/?to=${encodeURIComponent('file:///etc/passwd')}`],
  ['redirect to decimal loopback', () => `http://public.test:${pubPort}/?to=${encodeURIComponent(`http://2130706433:${O()}/`)}`],
  ['file scheme', () => 'file:///etc/passwd'],
  ['ftp scheme', () => 'ftp://127.0.0.1/'],
  ['data scheme', () => 'data:text/plain,hello'],
  ['gopher scheme', () => `gopher://127.0.0.1:${O()}/_GET`],
  ['javascript scheme', () => 'javascript:alert(1)'],
];

describe('net guard: SSRF attack table (oracle on 127.0.0.1 must stay silent)', () => {
  it('has at least 25 cases', () => expect(attacks.length).toBeGreaterThanOrEqual(25));

  for (const [name, url] of attacks) {
    it(name, async () => {
      const g = guard();
      const before = oracleHits;
      const err = await g.fetch(url()).then(
        (r) => new Error(`not refused: status ${r.status}`),
        (e) => e,
      );
      await g.close();
      expect(err).toBeInstanceOf(ToolError);
      expect(['access_denied', 'invalid_argument', 'remote_error']).toContain(err.code);
      expect(oracleHits).toBe(before);
    });
  }

  it('DNS rebinding: the address checked is the address connected to', async () => {
    rebindCount = 0;
    lookups = [];
    const g = guard();
    const before = oracleHits;
    // first (and only) lookup answers the allowed 127.0.0.2; a second lookup would say 127.0.0.1
    const r = await g.fetch(`http://rebind.test:${pubPort}/?to=/done`, { redirect: 'manual' });
    expect(r.status).toBe(302);
    expect(r.address).toBe('127.0.0.2');
    expect(lookups.filter((h) => h === 'rebind.test')).toHaveLength(1);
    expect(oracleHits).toBe(before);
    await g.close();
  });

  it('the oracle is reachable when private targets are allowed (the test can fail)', async () => {
    const g = new NetGuard({ allowPrivate: true });
    const before = oracleHits;
    await g.fetch(`http://2130706433:${O()}/`);
    expect(oracleHits).toBe(before + 1);
    await g.close();
  });
});
