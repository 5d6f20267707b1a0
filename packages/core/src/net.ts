// The net guard: one SSRF-safe HTTP client for every tool that fetches a URL a model chose.
//
// - http and https only;
// - the host's addresses are checked before connecting: IP literals directly (undici does not call
//   `lookup` for them), names through every A/AAAA answer; IPv4-mapped/NAT64/6to4/Teredo IPv6
//   forms are unwrapped to the IPv4 address they carry;
// - the checked address is pinned for the connection (the agent's `lookup` returns it), so a DNS
//   answer that changes between the check and the connect (rebinding) is never used;
// - redirects are followed by hand, each hop checked again, with a cap; credentials are dropped
//   when a redirect changes origin;
// - size caps apply to decompressed bytes (gzip/deflate/br decoded here, a bomb stops at the cap),
//   and one deadline covers the whole exchange, joined with the caller's AbortSignal.
// Blocked unless the operator allows private targets: loopback, private, link-local (cloud
// metadata 169.254.169.254, fd00:ec2::254), CGNAT, unique-local, multicast, broadcast,
// unspecified and reserved ranges. `allowedOrigins` exempts exact origins the operator chose (an
// API base URL); `allowedNetworks` exempts CIDR ranges (an intranet).
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import ipaddr from 'ipaddr.js';
import type { Dispatcher } from 'undici';
import { ToolError } from './errors.js';
import { cjsExports } from './interop.js';
import { redactString } from './redact.js';

export interface LookupAnswer {
  address: string;
  family: 4 | 6;
}

export interface NetGuardOptions {
  /** Allow every private/loopback/link-local target (an operator's explicit choice). */
  allowPrivate?: boolean;
  /** Exact origins (scheme://host:port) the operator chose, allowed even when private. */
  allowedOrigins?: string[];
  /** CIDR ranges allowed even when private, e.g. "10.20.0.0/16". */
  allowedNetworks?: string[];
  maxRedirects?: number;
  /** Cap on the (decompressed) body, default 10 MB. */
  maxBytes?: number;
  /** Deadline of one whole exchange, default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
  /** Resolver (default: the system's, all answers). Injectable for tests. */
  lookup?: (hostname: string) => Promise<LookupAnswer[]>;
}

export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
  maxBytes?: number;
  timeoutMs?: number;
  /** follow (default): any checked origin; same-origin: refuse a redirect to another origin; manual: return the 3xx. */
  redirect?: 'follow' | 'same-origin' | 'manual';
  maxRedirects?: number;
  /** Decode gzip/deflate/br bodies (default true). */
  decompress?: boolean;
  /** Called before following each redirect; throw (a ToolError) to refuse it. */
  checkRedirect?(to: URL): void;
}

export interface GuardedResponse {
  /** Final URL (after redirects), credentials removed. */
  url: string;
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** The body was cut at the cap. */
  truncated: boolean;
  /** Bytes kept in `body`. */
  bytes: number;
  redirects: string[];
  /** The address the final connection went to. */
  address?: string;
}

export interface StreamResponse extends Omit<GuardedResponse, 'body' | 'truncated' | 'bytes'> {
  /** Decompressed body; the caller enforces its own cap and must consume or destroy it. */
  body: Readable;
  /** Aborts the exchange. */
  cancel(): void;
  /** Fires on the deadline or the caller's abort. */
  signal: AbortSignal;
}

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

export class NetGuard {
  readonly opts: Required<Pick<NetGuardOptions, 'maxRedirects' | 'maxBytes' | 'timeoutMs'>> & NetGuardOptions;
  private readonly networks: [ipaddr.IPv4 | ipaddr.IPv6, number][];
  private readonly origins: Set<string>;
  private agents = new Map<string, Dispatcher>();
  private undici: typeof import('undici') | undefined;

  constructor(opts: NetGuardOptions = {}) {
    this.opts = { maxRedirects: 5, maxBytes: 10 * 1024 * 1024, timeoutMs: 30_000, ...opts };
    this.networks = (opts.allowedNetworks ?? []).map((c) => ipaddr.parseCIDR(c));
    this.origins = new Set((opts.allowedOrigins ?? []).map((o) => new URL(o).origin));
  }

  /** True when connecting to `ip` is refused under the current options. */
  isBlockedAddress(ip: string): boolean {
    if (this.opts.allowPrivate) return false;
    let addr: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      addr = ipaddr.parse(ip.replace(/^\[|\]$/g, ''));
    } catch {
      return true; // not an address we understand: refuse
    }
    addr = unwrap(addr);
    for (const [net, bits] of this.networks) if (addr.kind() === net.kind() && addr.match(net, bits)) return false;
    return addr.range() !== 'unicast';
  }

  /** Checks scheme and addresses of `url`; returns the parsed URL and the address to connect to. */
  async checkUrl(input: string | URL): Promise<{ url: URL; address?: LookupAnswer }> {
    let url: URL;
    try {
      url = typeof input === 'string' ? new URL(input) : input;
    } catch {
      throw new ToolError(`Invalid URL: ${redactString(String(input)).slice(0, 200)}`, { code: 'invalid_argument' });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ToolError(`Only http and https URLs are allowed, not ${url.protocol}`, { code: 'access_denied' });
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!host) throw new ToolError('The URL has no host', { code: 'invalid_argument' });
    const exempt = this.origins.has(url.origin);
    if (isIP(host)) {
      if (!exempt && this.isBlockedAddress(host)) throw blocked(url);
      return { url };
    }
    let answers: LookupAnswer[];
    try {
      answers = await (this.opts.lookup ?? systemLookup)(host);
    } catch (e) {
      throw new ToolError(`Cannot resolve ${host}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { code: 'remote_error' });
    }
    if (!answers.length) throw new ToolError(`Cannot resolve ${host}: no address`, { code: 'remote_error' });
    if (!exempt) for (const a of answers) if (this.isBlockedAddress(a.address)) throw blocked(url);
    return { url, address: answers[0] };
  }

  /** Fetches a URL and reads its body up to the cap. */
  async fetch(input: string | URL, init: FetchInit = {}): Promise<GuardedResponse> {
    const res = await this.stream(input, init);
    const max = init.maxBytes ?? this.opts.maxBytes;
    const parts: Buffer[] = [];
    let bytes = 0;
    let truncated = false;
    try {
      for await (const chunk of res.body) {
        const b = chunk as Buffer;
        if (bytes + b.length > max) {
          parts.push(b.subarray(0, max - bytes));
          bytes = max;
          truncated = true;
          break;
        }
        parts.push(b);
        bytes += b.length;
      }
    } catch (e) {
      throw mapError(e, res.signal, res.url);
    } finally {
      res.cancel();
    }
    return { url: res.url, status: res.status, headers: res.headers, body: Buffer.concat(parts), truncated, bytes, redirects: res.redirects, address: res.address };
  }

  /** Like fetch, but hands the (decompressed) body over as a stream. */
  async stream(input: string | URL, init: FetchInit = {}): Promise<StreamResponse> {
    const undici = (this.undici ??= cjsExports(await import('undici'), 'Agent'));
    const timeoutMs = init.timeoutMs ?? this.opts.timeoutMs;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new ToolError(`The request took longer than ${timeoutMs} ms`, { code: 'timeout' })), timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, deadline.signal]) : deadline.signal;
    const maxRedirects = init.maxRedirects ?? this.opts.maxRedirects;
    const redirects: string[] = [];
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    let headers: Record<string, string> = { ...(this.opts.userAgent ? { 'user-agent': this.opts.userAgent } : {}), ...(init.headers ?? {}) };
    if (init.decompress !== false && !Object.keys(headers).some((h) => h.toLowerCase() === 'accept-encoding')) headers['accept-encoding'] = 'gzip, deflate, br';
    let current = typeof input === 'string' ? input : input.href;
    const firstOrigin = safeOrigin(current);

    try {
      for (;;) {
        if (signal.aborted) throw signal.reason;
        const { url, address } = await this.checkUrl(current);
        const send = () =>
          undici.request(url, {
            method: method as Dispatcher.HttpMethod,
            headers,
            body,
            signal,
            dispatcher: this.dispatcher(undici, url.hostname, address),
          } as Parameters<typeof undici.request>[1]);
        let res: Awaited<ReturnType<typeof send>>;
        try {
          res = await send();
        } catch (e) {
          // A kept-alive connection the server closed at the same moment: retry once, only for
          // methods that are safe to repeat.
          const code = (e as { code?: string }).code;
          if (signal.aborted || !(method === 'GET' || method === 'HEAD') || !(code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')) throw e;
          res = await send();
        }
        const status = res.statusCode;
        const location = res.headers.location;
        if (REDIRECT_CODES.has(status) && location && init.redirect !== 'manual') {
          res.body.resume();
          res.body.on('error', () => {});
          if (redirects.length >= maxRedirects) throw new ToolError(`Too many redirects (more than ${maxRedirects})`, { code: 'remote_error', details: { redirects } });
          const next = new URL(String(Array.isArray(location) ? location[0] : location), url);
          if (init.redirect === 'same-origin' && next.origin !== firstOrigin) {
            throw new ToolError(`Redirect to another origin refused: ${stripCredentials(next)}`, { code: 'access_denied', hint: 'Only same-origin redirects are followed.' });
          }
          init.checkRedirect?.(next);
          if (next.origin !== url.origin) headers = dropCredentials(headers);
          if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
            method = method === 'HEAD' ? 'HEAD' : 'GET';
            body = undefined;
            headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !/^content-(type|length)$/i.test(k)));
          }
          redirects.push(stripCredentials(next));
          current = next.href;
          continue;
        }
        const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase().trim();
        let out: Readable = res.body;
        if (init.decompress !== false && method !== 'HEAD') {
          const dec = encoding === 'gzip' || encoding === 'x-gzip' ? zlib.createGunzip() : encoding === 'deflate' ? createInflateAuto() : encoding === 'br' ? zlib.createBrotliDecompress() : undefined;
          if (dec) {
            res.body.on('error', (e) => dec.destroy(e));
            out = res.body.pipe(dec);
          }
        }
        // A body the caller stops reading (or cancels) may still emit an abort error: never unhandled.
        res.body.on('error', () => {});
        if (out !== res.body) out.on('error', () => {});
        let cancelled = false;
        const cancel = () => {
          if (cancelled) return;
          cancelled = true;
          clearTimeout(timer);
          if (!res.body.destroyed) res.body.destroy();
          if (out !== res.body && !out.destroyed) out.destroy();
        };
        out.on('end', () => clearTimeout(timer));
        out.on('close', () => clearTimeout(timer));
        return { url: stripCredentials(url), status, headers: res.headers as Record<string, string | string[]>, body: out, redirects, address: address?.address ?? url.hostname, cancel, signal };
      }
    } catch (e) {
      clearTimeout(timer);
      throw mapError(e, signal, current);
    }
  }

  /** One agent per (hostname, pinned address): connections are reused, and always go to the address that was checked. */
  private dispatcher(undici: typeof import('undici'), hostname: string, address: LookupAnswer | undefined): Dispatcher {
    const key = address ? `${hostname}|${address.address}` : '';
    let agent = this.agents.get(key);
    if (!agent) {
      const pinned = address;
      agent = new undici.Agent({
        connections: 16,
        keepAliveTimeout: 4_000,
        connect: pinned
          ? {
              lookup: ((_host: string, options: { all?: boolean }, cb: (err: Error | null, a: unknown, f?: number) => void) => {
                if (options?.all) cb(null, [{ address: pinned.address, family: pinned.family }]);
                else cb(null, pinned.address, pinned.family);
              }) as never,
            }
          : undefined,
      });
      if (this.agents.size > 64) {
        const [oldKey, old] = this.agents.entries().next().value as [string, Dispatcher];
        this.agents.delete(oldKey);
        void old.close();
      }
      this.agents.set(key, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    const all = [...this.agents.values()];
    this.agents.clear();
    await Promise.allSettled(all.map((a) => a.destroy()));
  }
}

function unwrap(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  if (addr.kind() !== 'ipv6') return addr;
  const v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  const parts = v6.parts;
  const range = v6.range();
  const embedded = (hi: number, lo: number) => ipaddr.IPv4.parse(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  // NAT64 (64:ff9b::/96) and IPv4-compatible (::a.b.c.d) carry the IPv4 address in the last 32 bits.
  if (range === 'rfc6052' || (parts.slice(0, 6).every((p) => p === 0) && (parts[6] !== 0 || parts[7] > 1))) return embedded(parts[6], parts[7]);
  if (range === '6to4') return embedded(parts[1], parts[2]);
  if (range === 'teredo') return embedded(parts[6] ^ 0xffff, parts[7] ^ 0xffff);
  return addr;
}

async function systemLookup(hostname: string): Promise<LookupAnswer[]> {
  const all = await dnsLookup(hostname, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
}

function createInflateAuto() {
  // "deflate" is zlib-wrapped by the spec, raw deflate in practice for some servers: accept both.
  return zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
}

function blocked(url: URL): ToolError {
  return new ToolError(`Blocked: ${url.hostname} is a private, loopback or link-local address`, {
    code: 'access_denied',
    hint: 'Only public addresses can be fetched. An operator can allow private targets in the server configuration.',
  });
}

function safeOrigin(u: string): string {
  try {
    return new URL(u).origin;
  } catch {
    return '';
  }
}

export function stripCredentials(u: URL): string {
  if (!u.username && !u.password) return u.href;
  const c = new URL(u.href);
  c.username = '';
  c.password = '';
  return c.href;
}

function dropCredentials(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).filter(([k]) => !/^(authorization|cookie|proxy-authorization)$/i.test(k)));
}

function mapError(e: unknown, signal: AbortSignal | undefined, url: string): unknown {
  if (e instanceof ToolError) return e;
  if (signal?.aborted) {
    // the deadline's reason is a timeout ToolError; a caller's abort is a cancellation
    const r = signal.reason;
    return r instanceof ToolError ? r : new ToolError('Cancelled', { code: 'cancelled' });
  }
  const err = e as Error & { code?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code;
  const where = redactString(url).slice(0, 200);
  if (err.name === 'AbortError' || code === 'UND_ERR_ABORTED') return new ToolError(`The request to ${where} was aborted`, { code: 'cancelled' });
  if (code === 'ECONNREFUSED') return new ToolError(`Connection refused: ${where}`, { code: 'remote_error' });
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ToolError(`Cannot resolve the host of ${where}`, { code: 'remote_error' });
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return new ToolError(`The connection was reset: ${where}`, { code: 'remote_error' });
  if (code?.startsWith('UND_ERR_') || code?.startsWith('E') || code?.startsWith('Z_') || code?.startsWith('ERR_')) return new ToolError(`Request to ${where} failed (${code})`, { code: 'remote_error' });
  return e;
}
