// The net guard's address policy, pure (no sockets, no DNS): which schemes are allowed (http and
// https), which hosts are refused without asking a resolver (localhost names), how IP literals are
// parsed and judged (IPv6 forms that carry an IPv4 address judged by that address; the private and
// special ranges ipaddr.js names, plus a fixed list refused whatever it calls them), and the
// operator's exemptions (allowPrivate, exact origins, CIDR networks). The transport (../net.ts)
// asks it about each URL and each DNS answer before connecting.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ToolError } from '../errors.js';

export interface AddressPolicyOptions {
  /** Allow every private/loopback/link-local target (an operator's explicit choice). */
  allowPrivate?: boolean;
  /** Exact origins (scheme://host:port) the operator chose, allowed even when private. */
  allowedOrigins?: string[];
  /** CIDR ranges allowed even when private, e.g. "10.20.0.0/16". */
  allowedNetworks?: string[];
}

/** What the policy says about a URL before any name is resolved. */
export interface UrlVerdict {
  /** The hostname without IPv6 brackets. */
  host: string;
  /** The URL's origin is one the operator allowed: its addresses are not checked. */
  exempt: boolean;
  /** The host is an IP literal (checked already; nothing to resolve). */
  literal: boolean;
}

// Ranges refused whatever ipaddr.js calls them (belt and braces over `range()`).
const ALWAYS_BLOCKED = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
  '64:ff9b:1::/48',
  '2001::/32',
  '100::/64',
].map((c) => ipaddr.parseCIDR(c));

export class AddressPolicy {
  private readonly networks: [ipaddr.IPv4 | ipaddr.IPv6, number][];
  private readonly origins: Set<string>;

  /** `opts` is read live for allowPrivate (the guard's options object). */
  constructor(private readonly opts: AddressPolicyOptions) {
    this.networks = (opts.allowedNetworks ?? []).map((c) => ipaddr.parseCIDR(c));
    this.origins = new Set((opts.allowedOrigins ?? []).map((o) => new URL(o).origin));
  }

  /**
   * Checks what can be checked without a resolver: the scheme, the host's presence, an IP literal,
   * a localhost name. Throws a ToolError when refused.
   */
  checkUrl(url: URL): UrlVerdict {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ToolError(`Only http and https URLs are allowed, not ${url.protocol}`, { code: 'access_denied' });
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!host) throw new ToolError('The URL has no host', { code: 'invalid_argument' });
    const exempt = this.origins.has(url.origin);
    if (isIP(host)) {
      if (!exempt) this.assertAllowed(host, host);
      return { host, exempt, literal: true };
    }
    // localhost is loopback by definition (RFC 6761): refused without asking any resolver.
    if (!exempt && !this.opts.allowPrivate && /(^|\.)localhost\.?$/i.test(host)) throw blocked(host, undefined, 'loopback');
    return { host, exempt, literal: false };
  }

  /** Throws access_denied when `ip` (the literal `host`, or one of its DNS answers) is refused. */
  assertAllowed(host: string, ip: string): void {
    const why = this.blockReason(ip);
    if (why) throw blocked(host, host === ip ? undefined : ip, why);
  }

  /** Why `ip` is refused (a range name), or undefined when it may be contacted. */
  blockReason(ip: string): string | undefined {
    if (this.opts.allowPrivate) return undefined;
    const bare = ip.replace(/^\[|\]$/g, '');
    if (!isIP(bare)) return 'invalid';
    const addr = ipaddr.parse(bare);
    const inner = embeddedIPv4(addr);
    const target = inner ?? addr;
    const inNet = (a: ipaddr.IPv4 | ipaddr.IPv6, [net, bits]: [ipaddr.IPv4 | ipaddr.IPv6, number]) => a.kind() === net.kind() && a.match(net, bits);
    if (this.networks.some((n) => inNet(addr, n) || (inner !== undefined && inNet(inner, n)))) return undefined;
    const range = target.range();
    if (range !== 'unicast') return range;
    if (ALWAYS_BLOCKED.some((n) => inNet(target, n))) return 'reserved';
    return undefined;
  }
}

/** The IPv4 address an IPv6 address stands for (mapped, IPv4-compatible, NAT64 /96, 6to4), if any. */
function embeddedIPv4(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | undefined {
  if (addr.kind() !== 'ipv6') return undefined;
  const v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  const p = v6.parts;
  const v4 = (hi: number, lo: number) => ipaddr.IPv4.parse(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  const zeros = (from: number, to: number) => p.slice(from, to).every((x) => x === 0);
  if (p[0] === 0x64 && p[1] === 0xff9b && zeros(2, 6)) return v4(p[6], p[7]); // NAT64 well-known prefix
  if (zeros(0, 4) && p[4] === 0xffff && p[5] === 0) return v4(p[6], p[7]); // IPv4-translated ::ffff:0:a.b.c.d
  if (zeros(0, 6) && (p[6] !== 0 || p[7] > 1)) return v4(p[6], p[7]); // IPv4-compatible ::a.b.c.d (not :: or ::1)
  if (p[0] === 0x2002) return v4(p[1], p[2]); // 6to4
  return undefined;
}

function blocked(host: string, ip: string | undefined, range: string): ToolError {
  const what = ip ? `${host} resolves to ${ip}` : host;
  return new ToolError(`Blocked: ${what}, a ${range} address (private, loopback, link-local and special ranges are refused)`, {
    code: 'access_denied',
    hint: 'Only public addresses can be fetched. An operator can allow private targets in the server configuration.',
    details: { host, ...(ip ? { address: ip } : {}), range },
  });
}
