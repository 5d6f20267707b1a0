// The net guard: one SSRF-safe HTTP client for every tool that fetches a URL a model chose. This
// file holds the transport (`NetGuard`: the undici dispatcher, DNS resolution and pinning,
// redirects, size and time caps, body streaming and decoding); which schemes, hosts and addresses
// are allowed is the pure address policy in net/policy.ts, asked before every connection.
//
// - http and https only;
// - the host's addresses are checked before connecting: IP literals directly (undici does not call
//   `lookup` for them; the WHATWG parser has already turned 2130706433, 0x7f000001, 0177.0.0.1 and
//   127.1 into 127.0.0.1), names through every A/AAAA answer, refused if any answer is blocked.
//   IPv6 forms that carry an IPv4 address (mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d,
//   NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that IPv4 address; Teredo is refused;
// - the checked answers are pinned for the connection (the agent's `lookup` returns them and
//   nothing else), so a DNS answer that changes between the check and the connect (rebinding) is
//   never used; TLS SNI and the Host header keep the hostname;
// - redirects are followed by hand, each hop checked again, with a cap; credentials (Authorization,
//   Cookie, secret-looking headers) are dropped when a redirect changes origin;
// - size caps apply to decompressed bytes (gzip/deflate/br decoded here as a stream, so a bomb
//   stops at the cap), and one deadline covers the whole exchange, joined with the caller's signal.
//
// Blocked unless the operator allows private targets: loopback, private, link-local (cloud
// metadata 169.254.169.254, fd00:ec2::254 and all of fc00::/7), CGNAT, multicast, broadcast,
// unspecified, reserved (240/4, 192.0.0/24, benchmarking 198.18/15) and every other special range
// ipaddr.js names. Documentation ranges (192.0.2/24, 2001:db8::/32, …) are blocked too: they are
// never a real public site. `allowedOrigins` exempts exact origins the operator chose (an API base
// URL); `allowedNetworks` exempts CIDR ranges (an intranet; tests use it for 127.0.0.2).
import { abortable } from './async.js';
import { lookup as dnsLookup } from 'node:dns/promises';
import { pipeline, Transform, type Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import type { Dispatcher } from 'undici';
import { ToolError } from './errors.js';
import { cjsExports } from './interop.js';
import { isSecretKey, redactString } from './redact.js';
import { AddressPolicy, type AddressPolicyOptions } from './net/policy.js';

export interface LookupAnswer {
  address: string;
  family: 4 | 6;
}

export interface NetGuardOptions extends AddressPolicyOptions {
  /** Redirects followed per request, default 5. */
  maxRedirects?: number;
  /** Cap on the decompressed body read by `fetch`, default 10 MB. */
  maxBytes?: number;
  /** Deadline of one whole exchange (DNS, connect, redirects, body), default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
  /** Resolver (default: the system's, all answers). Injectable for tests. */
  lookup?: (hostname: string) => Promise<LookupAnswer[]>;
}

export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  /**
   * fetch: cap on the decompressed body (default the guard's maxBytes); past it the body is cut
   * and `truncated` is true. stream: no cap unless given; past it the stream fails with too_large.
   */
  maxBytes?: number;
  /** fetch: throw too_large instead of truncating (a Content-Length over the cap fails at once). */
  failOnTooLarge?: boolean;
  timeoutMs?: number;
  /** follow (default): any checked origin; same-origin: refuse a redirect to another origin; manual: return the 3xx. */
  redirect?: 'follow' | 'same-origin' | 'manual';
  maxRedirects?: number;
  /** Decode a gzip/deflate/br body (default true). Other or stacked encodings are returned as received. */
  decompress?: boolean;
  /** Called before following each redirect; throw (a ToolError) to refuse it. */
  checkRedirect?(to: URL, from: URL): void;
}

export interface CheckedUrl {
  url: URL;
  /** Checked DNS answers the connection will be pinned to (empty for an IP literal). */
  addresses: LookupAnswer[];
}

interface ResponseMeta {
  /** Final URL (after redirects), userinfo removed. */
  url: string;
  status: number;
  statusText: string;
  /** Headers as received (Content-Encoding/Length describe the wire, not the decoded body). */
  headers: Record<string, string | string[]>;
  /** Each redirect target followed, in order, userinfo removed. */
  redirects: string[];
  /** The address the final connection was pinned to (first checked answer, or the IP literal). */
  address: string;
}

export interface GuardedResponse extends ResponseMeta {
  body: Buffer;
  /** The body was cut at the cap. */
  truncated: boolean;
  /** Bytes kept in `body`. */
  bytes: number;
}

export interface StreamResponse extends ResponseMeta {
  /** Decompressed body; errors are ToolErrors. The caller must consume it or call `cancel`. */
  body: Readable;
  /** Aborts the exchange and frees the connection. */
  cancel(): void;
  /** Fires on the deadline or the caller's abort. */
  signal: AbortSignal;
}

type Undici = typeof import('undici');
type RawResponse = Dispatcher.ResponseData;

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
const noop = () => {};

export class NetGuard {
  readonly opts: Required<Pick<NetGuardOptions, 'maxRedirects' | 'maxBytes' | 'timeoutMs'>> & NetGuardOptions;
  private readonly policy: AddressPolicy;
  private agents = new Map<string, Dispatcher>();
  private undici: Undici | undefined;

  constructor(opts: NetGuardOptions = {}) {
    this.opts = { maxRedirects: 5, maxBytes: 10 * 1024 * 1024, timeoutMs: 30_000, ...opts };
    this.policy = new AddressPolicy(this.opts);
  }

  /** True when connecting to `ip` is refused under the current options (anything not an IP is refused). */
  isBlockedAddress(ip: string): boolean {
    return this.policy.blockReason(ip) !== undefined;
  }

  /** Checks scheme and addresses of `url` (resolving its name); throws a ToolError when refused. */
  async checkUrl(input: string | URL, signal?: AbortSignal): Promise<CheckedUrl> {
    let url: URL;
    try {
      url = new URL(typeof input === 'string' ? input : input.href);
    } catch {
      throw new ToolError(`Invalid URL: ${safeUrl(String(input))}`, { code: 'invalid_argument' });
    }
    const { host, exempt, literal } = this.policy.checkUrl(url);
    if (literal) return { url, addresses: [] };
    const answers = await this.resolve(host, signal);
    if (!exempt) for (const a of answers) this.policy.assertAllowed(host, a.address);
    return { url, addresses: answers };
  }

  /** Fetches a URL and reads its (decompressed) body up to the cap. */
  async fetch(input: string | URL, init: FetchInit = {}): Promise<GuardedResponse> {
    const max = init.maxBytes ?? this.opts.maxBytes;
    const res = await this.stream(input, { ...init, maxBytes: init.failOnTooLarge ? max : undefined });
    const parts: Buffer[] = [];
    let bytes = 0;
    let truncated = false;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        const room = max - bytes;
        if (chunk.length > room) {
          parts.push(chunk.subarray(0, room));
          bytes = max;
          truncated = true;
          break;
        }
        parts.push(chunk);
        bytes += chunk.length;
      }
    } finally {
      res.cancel();
    }
    const { url, status, statusText, headers, redirects, address } = res;
    return { url, status, statusText, headers, redirects, address, body: Buffer.concat(parts), truncated, bytes };
  }

  /** Like fetch, but hands the decompressed body over as a stream (for downloads). */
  async stream(input: string | URL, init: FetchInit = {}): Promise<StreamResponse> {
    const undici = (this.undici ??= cjsExports(await import('undici'), 'Agent'));
    const timeoutMs = init.timeoutMs ?? this.opts.timeoutMs;
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new ToolError(`The request took longer than ${timeoutMs} ms`, { code: 'timeout', hint: 'The site is slow or the response too large; try again later or ask for less.' })),
      timeoutMs,
    );
    const signal = init.signal ? AbortSignal.any([init.signal, deadline.signal]) : deadline.signal;
    let where = typeof input === 'string' ? input : input.href;
    try {
      const ex = await this.exchange(undici, input, init, signal);
      where = ex.url.href;
      const raw = ex.res.body;
      raw.on('error', noop); // errors reach the caller through `tail`
      const cap = init.maxBytes;
      const coding = String(ex.res.headers['content-encoding'] ?? '')
        .trim()
        .toLowerCase();
      const hasBody = ex.method !== 'HEAD' && ex.res.statusCode !== 204 && ex.res.statusCode !== 304;
      const declared = Number(ex.res.headers['content-length']);
      if (cap !== undefined && hasBody && (!coding || coding === 'identity') && declared > cap) {
        raw.destroy();
        throw tooLarge(cap, declared);
      }
      const decoders = init.decompress === false || !hasBody ? [] : await decoderFor(coding, raw);
      if (signal.aborted) throw signal.reason;
      // The last stage counts bytes against the cap and turns any failure into a ToolError.
      let seen = 0;
      const tail = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          seen += chunk.length;
          if (cap !== undefined && seen > cap) return cb(tooLarge(cap));
          cb(null, chunk);
        },
        destroy(err, cb) {
          cb(err ? (mapError(err, signal, where) as Error) : null);
        },
      });
      tail.on('error', noop); // a body the caller stops reading must never raise an unhandled error
      tail.once('close', () => clearTimeout(timer));
      (pipeline as (...s: unknown[]) => void)(raw, ...decoders, tail, noop);
      const cancel = () => {
        clearTimeout(timer);
        tail.destroy();
        raw.destroy();
      };
      const meta: ResponseMeta = {
        url: stripCredentials(ex.url),
        status: ex.res.statusCode,
        statusText: ex.res.statusText ?? '',
        headers: ex.res.headers as Record<string, string | string[]>,
        redirects: ex.redirects,
        address: ex.addresses[0]?.address ?? ex.url.hostname.replace(/^\[|\]$/g, ''),
      };
      return { ...meta, body: tail, cancel, signal };
    } catch (e) {
      clearTimeout(timer);
      throw mapError(e, signal, where);
    }
  }

  async close(): Promise<void> {
    const all = [...this.agents.values()];
    this.agents.clear();
    await Promise.allSettled(all.map((a) => a.destroy()));
  }

  /** Sends the request, following redirects hop by hop; each hop is checked before connecting. */
  private async exchange(undici: Undici, input: string | URL, init: FetchInit, signal: AbortSignal) {
    const mode = init.redirect ?? 'follow';
    const maxRedirects = init.maxRedirects ?? this.opts.maxRedirects;
    const redirects: string[] = [];
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    let headers = this.initialHeaders(init);
    let current: string | URL = input;
    let first: URL | undefined;
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const { url, addresses } = await this.checkUrl(current, signal);
      first ??= url;
      const res = await this.send(undici, url, addresses, { method, headers, body, signal });
      const location = [res.headers.location].flat()[0];
      if (mode === 'manual' || !REDIRECT_CODES.has(res.statusCode) || !location) return { res, url, addresses, redirects, method };
      res.body.on('error', noop);
      res.body.destroy(); // never drain a redirect's body
      if (redirects.length >= maxRedirects) {
        throw new ToolError(`Too many redirects (more than ${maxRedirects})`, { code: 'remote_error', details: { redirects: redirects.map(safeUrl) } });
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new ToolError(`${safeUrl(url.href)} redirected to an invalid URL`, { code: 'remote_error' });
      }
      if (mode === 'same-origin' && next.origin !== first.origin) {
        throw new ToolError(`Redirect to another origin refused: ${safeUrl(next.href)}`, { code: 'access_denied', hint: 'Only same-origin redirects are followed for this request.' });
      }
      init.checkRedirect?.(next, url);
      if (next.origin !== url.origin) headers = filterHeaders(headers, (k) => !isCredentialHeader(k));
      // Fetch semantics: 303 turns anything but GET/HEAD into GET; 301/302 turn POST into GET.
      const status = res.statusCode;
      if ((status === 303 && method !== 'GET' && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        headers = filterHeaders(headers, (k) => !/^content-/i.test(k));
      }
      redirects.push(stripCredentials(next));
      current = next;
    }
  }

  private async send(
    undici: Undici,
    url: URL,
    addresses: LookupAnswer[],
    o: { method: string; headers: Record<string, string>; body?: string | Uint8Array; signal: AbortSignal },
  ): Promise<RawResponse> {
    const dispatcher = this.dispatcher(undici, url.hostname, addresses);
    const go = () => undici.request(url, { method: o.method as Dispatcher.HttpMethod, headers: o.headers, body: o.body, signal: o.signal, dispatcher });
    try {
      return await go();
    } catch (e) {
      // A kept-alive connection the server closed at the same moment: retry once, only for
      // methods that are safe to repeat.
      const code = (e as { code?: string }).code;
      if (o.signal.aborted || !(o.method === 'GET' || o.method === 'HEAD') || !(code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')) throw e;
      return go();
    }
  }

  private initialHeaders(init: FetchInit): Record<string, string> {
    const headers = { ...(init.headers ?? {}) };
    const has = (name: string) => Object.keys(headers).some((h) => h.toLowerCase() === name);
    if (this.opts.userAgent && !has('user-agent')) headers['user-agent'] = this.opts.userAgent;
    if (init.decompress !== false && !has('accept-encoding')) headers['accept-encoding'] = 'gzip, deflate, br';
    return headers;
  }

  private async resolve(host: string, signal?: AbortSignal): Promise<LookupAnswer[]> {
    let answers: LookupAnswer[];
    try {
      answers = await abortable((this.opts.lookup ?? systemLookup)(host), signal);
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new ToolError(`Cannot resolve ${host}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { code: 'remote_error' });
    }
    if (!answers.length) throw new ToolError(`Cannot resolve ${host}: no address`, { code: 'remote_error' });
    return answers;
  }

  /** One agent per (hostname, checked answers): connections are reused, and only ever go to checked addresses. */
  private dispatcher(undici: Undici, hostname: string, addresses: LookupAnswer[]): Dispatcher {
    const key = addresses.length ? `${hostname}|${addresses.map((a) => a.address).join(',')}` : '';
    let agent = this.agents.get(key);
    if (agent) return agent;
    const pinned = addresses.map((a) => ({ address: a.address, family: a.family }));
    const lookup = (_host: string, options: { all?: boolean; family?: number }, cb: (err: Error | null, a: unknown, f?: number) => void) => {
      const list = options?.family === 4 || options?.family === 6 ? pinned.filter((a) => a.family === options.family) : pinned;
      if (!list.length) cb(Object.assign(new Error(`No checked address of family ${options.family}`), { code: 'ENOTFOUND' }), undefined);
      else if (options?.all) cb(null, list);
      else cb(null, list[0].address, list[0].family);
    };
    agent = new undici.Agent({ connections: 16, keepAliveTimeout: 4_000, connect: pinned.length ? { lookup: lookup as never } : undefined });
    if (this.agents.size >= 64) {
      const [oldKey, old] = this.agents.entries().next().value as [string, Dispatcher];
      this.agents.delete(oldKey);
      void old.close().catch(noop);
    }
    this.agents.set(key, agent);
    return agent;
  }
}

async function systemLookup(hostname: string): Promise<LookupAnswer[]> {
  const all = await dnsLookup(hostname, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
}

/** Decoder stages for one Content-Encoding; none for identity, unknown or stacked encodings. */
async function decoderFor(coding: string, raw: Readable): Promise<Transform[]> {
  const lenient = { finishFlush: zlib.constants.Z_SYNC_FLUSH }; // accept a body cut short, as browsers do
  if (coding === 'gzip' || coding === 'x-gzip') return [zlib.createGunzip(lenient)];
  if (coding === 'br') return [zlib.createBrotliDecompress()];
  if (coding !== 'deflate') return [];
  // "deflate" is zlib-wrapped by the spec, raw deflate from some servers: look at the first bytes.
  const first = await peek(raw);
  const wrapped = !!first && first.length >= 2 && (first[0] & 0x0f) === 8 && ((first[0] << 8) | first[1]) % 31 === 0;
  return [wrapped ? zlib.createInflate(lenient) : zlib.createInflateRaw(lenient)];
}

/** Resolves with the first chunk of `r` (put back into the stream), or undefined when it is empty. */
function peek(r: Readable): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      r.off('readable', onReadable);
      r.off('end', onEnd);
      r.off('close', onEnd);
      r.off('error', onError);
    };
    const onReadable = () => {
      const chunk = r.read() as Buffer | null;
      if (chunk === null) return;
      stop();
      r.unshift(chunk);
      resolve(chunk);
    };
    const onEnd = () => (stop(), resolve(undefined));
    const onError = (e: Error) => (stop(), reject(e));
    r.on('readable', onReadable);
    r.on('end', onEnd);
    r.on('close', onEnd);
    r.on('error', onError);
  });
}

function tooLarge(cap: number, declared?: number): ToolError {
  return new ToolError(declared ? `Too large: ${declared} bytes (limit ${cap})` : `Too large: more than ${cap} bytes`, { code: 'too_large' });
}

/** The URL without userinfo (for results). */
export function stripCredentials(u: URL): string {
  if (!u.username && !u.password) return u.href;
  const c = new URL(u.href);
  c.username = '';
  c.password = '';
  return c.href;
}

/** A URL fit for an error message: no userinfo, secret-looking query values masked, bounded length. */
function safeUrl(u: string): string {
  let s = u;
  try {
    s = stripCredentials(new URL(u));
  } catch {
    /* not a URL: redacted as text below */
  }
  return redactString(s).slice(0, 200);
}

const isCredentialHeader = (name: string) => /^(authorization|proxy-authorization|cookie)$/i.test(name) || isSecretKey(name);

function filterHeaders(h: Record<string, string>, keep: (name: string) => boolean): Record<string, string> {
  return Object.fromEntries(Object.entries(h).filter(([k]) => keep(k)));
}

/** Any failure → a ToolError: the deadline's timeout, the caller's cancellation, or a network error. */
function mapError(e: unknown, signal: AbortSignal | undefined, url: string): unknown {
  if (e instanceof ToolError) return e;
  if (signal?.aborted) {
    const r = signal.reason;
    return r instanceof ToolError ? r : new ToolError('The request was cancelled', { code: 'cancelled' });
  }
  const err = e as Error & { code?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code;
  const where = safeUrl(url);
  if (err.name === 'AbortError' || code === 'UND_ERR_ABORTED') return new ToolError(`The request to ${where} was aborted`, { code: 'cancelled' });
  if (code === 'UND_ERR_INVALID_ARG') return new ToolError(`Invalid request to ${where}: ${redactString(err.message).slice(0, 200)}`, { code: 'invalid_argument' });
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return new ToolError(`Timed out: ${where}`, { code: 'timeout' });
  if (code === 'ECONNREFUSED') return new ToolError(`Connection refused: ${where}`, { code: 'remote_error' });
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ToolError(`Cannot resolve the host of ${where}`, { code: 'remote_error' });
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return new ToolError(`The connection was reset: ${where}`, { code: 'remote_error' });
  if (code?.startsWith('Z_') || code?.startsWith('ERR__')) return new ToolError(`Could not decode the body of ${where} (${code})`, { code: 'remote_error' });
  if (code?.startsWith('UND_ERR_') || code?.startsWith('E') || code?.startsWith('ERR_')) return new ToolError(`Request to ${where} failed (${code})`, { code: 'remote_error' });
  return e;
}
