// Rendered pages: one headless Chromium (Debian's, through playwright-core; never a downloaded
// browser), launched at the first dynamic call and reused, a fresh context per call, a cap on
// concurrent pages, closed on shutdown. Every request the page makes (documents, scripts, images,
// fetch/XHR, redirects) is intercepted and fetched by core's net guard, then fulfilled: the same
// address checks and DNS pinning as static fetches. Service workers, downloads, WebSockets,
// file: URLs and data: navigations are blocked.
// Defence in depth: Chromium's own network stack is pointed at a local "sink" proxy that accepts
// nothing (every connection is logged and dropped), its resolver answers no name, and WebRTC may
// not send UDP outside the proxy. So a request that ever escaped interception (Playwright does not
// route the hop after a fulfilled redirect, for instance, which is why the guard follows redirects
// itself) goes nowhere instead of to the target.
import { createServer, type Server } from 'node:net';
import { homedir } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { ToolError, type GuardedResponse, type Logger } from '@bizmcp/core';
import { findChromium } from './chromium.js';
import type { Fetcher } from './fetcher.js';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  // HttpsUpgrades would send the page to https:// behind the guard's back; the others are
  // Chromium's own background requests (they would only reach the sink anyway)
  '--disable-features=Translate,MediaRouter,HttpsUpgrades,NetworkTimeServiceQuerying,OptimizationHints,AutofillServerCommunication',
  '--disable-domain-reliability',
  '--disable-client-side-phishing-detection',
  '--no-pings',
  // no name is resolved by Chromium itself: pages get their bytes from the net guard
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
  '--proxy-bypass-list=<-loopback>',
];

/** Chromium's own service traffic (updates, sign-in) that its switches do not all silence. */
const BACKGROUND = /^(CONNECT |[A-Z]+ https?:\/\/)([^/:\s]+\.)?(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)[:/\s]/;
/**
 * The browser's own fetch of a page's default icon: Chromium asks for /favicon.ico once a page has
 * loaded, outside the page (Playwright leaves it unrouted on purpose), seen on a loaded machine.
 */
const FAVICON = /^GET https?:\/\/[^/\s]+\/favicon\.ico HTTP\/1\.[01]$/;

/** Whether a request line that reached the sink is Chromium's own (dropped quietly), not the page's. */
export const chromiumOwnRequest = (line: string): boolean => BACKGROUND.test(line) || FAVICON.test(line);

/** A TCP listener standing in for Chromium's proxy: it refuses every connection and reports it. */
async function startSink(onEscape: (firstLine: string, own: boolean) => void): Promise<Server> {
  const sink = createServer((sock) => {
    sock.on('error', () => {});
    sock.setTimeout(1000, () => sock.destroy());
    sock.once('data', (d) => {
      const line = d.toString('latin1').split('\r\n')[0].slice(0, 200);
      onEscape(line, chromiumOwnRequest(line));
      sock.destroy();
    });
  });
  sink.unref();
  await new Promise<void>((resolve, reject) => {
    sink.once('error', reject);
    sink.listen(0, '127.0.0.1', () => resolve());
  });
  return sink;
}

export interface RenderOptions {
  url: string;
  waitFor?: { selector?: string; state?: 'load' | 'domcontentloaded' | 'networkidle' };
  scrolls: number;
  /** Extra time after loading for scripts that update the page on a timer. */
  settleMs: number;
  timeoutMs: number;
  viewport: { width: number; height: number };
  signal: AbortSignal;
}

const DEFAULT_VIEWPORT = { width: 1280, height: 900 };

/** One call's view of its page: what it refused, the prefetched document, its signal. */
interface Call {
  blocked: string[];
  doc?: GuardedResponse;
  signal: AbortSignal;
}

interface Prepared {
  context: BrowserContext;
  page: Page;
  holder: { call?: Call };
}

export class BrowserPool {
  private browser: Promise<Browser> | undefined;
  private sink: Server | undefined;
  private spare: Promise<Prepared> | undefined;
  private active = 0;
  private waiters: (() => void)[] = [];
  /** A switch Chromium ignores, put on its command line so this pool's processes can be found. */
  readonly marker = `--bizmcp-instance=${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  private closed = false;

  constructor(
    private readonly fetcher: Fetcher,
    private readonly opts: { executablePath: string | undefined; maxPages: number; log: Logger; onEscape?: (request: string) => void },
  ) {}

  private launch(): Promise<Browser> {
    this.browser ??= (async () => {
      const found = findChromium({ platform: process.platform, env: { CHROMIUM_PATH: this.opts.executablePath }, home: homedir() });
      if ('missing' in found) {
        this.browser = undefined;
        throw new ToolError(`Cannot render pages: ${found.missing}`, { code: 'unavailable' });
      }
      const executablePath = found.path;
      const { chromium } = await import('playwright-core');
      this.sink ??= await startSink((line, own) => {
        if (own) return this.opts.log.debug({ request: line }, "Chromium's own request dropped");
        this.opts.log.warn({ request: line }, 'a browser request escaped interception and was dropped');
        this.opts.onEscape?.(line);
      });
      const proxy = `--proxy-server=http://127.0.0.1:${(this.sink.address() as AddressInfo).port}`;
      try {
        // a fresh temporary profile per launch (Playwright's default), contexts separate per call
        const b = await chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS, proxy, this.marker], timeout: 30_000 });
        b.on('disconnected', () => {
          this.browser = undefined;
        });
        return b;
      } catch (e) {
        this.browser = undefined;
        throw new ToolError(`Cannot start the browser at ${executablePath} (${found.how}): ${(e as Error).message.split('\n')[0]}`, {
          code: 'unavailable',
          hint: 'Install Chromium, Chrome or Edge, or point CHROMIUM_PATH to a working one.',
        });
      }
    })();
    return this.browser;
  }

  private async slot(signal: AbortSignal): Promise<() => void> {
    while (this.active >= this.opts.maxPages) {
      await new Promise<void>((r) => this.waiters.push(r));
      if (signal.aborted) throw signal.reason;
    }
    this.active++;
    return () => {
      this.active--;
      this.waiters.shift()?.();
    };
  }

  /**
   * A new context with its interception in place and one blank page. Its requests are answered for
   * the call that takes it (`holder.call`); before that, and after, every request is refused.
   */
  private async prepare(): Promise<Prepared> {
    const browser = await this.launch();
    const holder: { call?: Call } = {};
    const context = await browser.newContext({ serviceWorkers: 'block', acceptDownloads: false, userAgent: this.fetcher.config.userAgent, viewport: DEFAULT_VIEWPORT, javaScriptEnabled: true });
    try {
      await context.routeWebSocket(/.*/, (ws) => {
        holder.call?.blocked.push(ws.url().slice(0, 200));
        void ws.close({ code: 1008, reason: 'WebSockets are blocked by bizmcp' });
      });
      await context.route('**/*', (route) => this.answer(route, holder.call));
      const page = await context.newPage();
      return { context, page, holder };
    } catch (e) {
      await context.close().catch(() => {});
      throw e;
    }
  }

  /**
   * A fresh context for one call. One spare is kept ready (never used before): contexts are not
   * shared between calls, and a warm call does not wait for one to be set up.
   */
  private async take(): Promise<Prepared> {
    const spare = this.spare;
    this.spare = undefined;
    const got = spare ? await spare.catch(() => undefined) : undefined;
    return got?.context.browser()?.isConnected() ? got : await this.prepare();
  }

  /**
   * Prepares the next spare once a call has its page's content: while the server turns it into
   * markdown, not while the page loads (on two cores, setting up a context beside a loading page
   * slowed the load).
   */
  private refill(): void {
    if (this.closed || this.spare) return;
    const next = this.prepare();
    next.catch(() => {});
    this.spare = next;
  }

  /** Every request of a page: fetched by the guard and handed over, or refused. */
  private async answer(route: Route, call: Call | undefined): Promise<void> {
    const req = route.request();
    const target = req.url();
    if (!call) return route.abort('blockedbyclient');
    if (!/^https?:/i.test(target)) {
      // data: images and blobs are inert; file: and data: documents are not loaded
      if (/^(data|blob):/i.test(target) && !req.isNavigationRequest()) return route.continue();
      call.blocked.push(target.slice(0, 200));
      return route.abort('blockedbyclient');
    }
    if (call.doc && target === call.doc.url && req.isNavigationRequest()) {
      const r = call.doc;
      call.doc = undefined; // served once: a reload fetches again
      return route.fulfill({ status: r.status, headers: responseHeaders(r), body: r.body });
    }
    try {
      const r = await this.fetcher.guard.fetch(target, {
        method: req.method(),
        headers: Object.fromEntries(Object.entries(await req.allHeaders()).filter(([k]) => !/^(host|content-length|connection|accept-encoding)$/i.test(k) && !k.startsWith(':'))),
        body: req.postDataBuffer() ?? undefined,
        signal: call.signal,
        maxBytes: this.fetcher.config.maxPageBytes,
      });
      await route.fulfill({ status: r.status, headers: responseHeaders(r), body: r.body });
    } catch (e) {
      call.blocked.push(target.slice(0, 200));
      await route.abort(e instanceof ToolError && e.code === 'access_denied' ? 'blockedbyclient' : 'failed').catch(() => {});
    }
  }

  /** Opens the URL in a fresh context, waits as asked, and hands the page to `fn`. */
  async withPage<T>(o: RenderOptions, fn: (page: Page, blocked: string[], doc: GuardedResponse) => Promise<T>): Promise<T> {
    if (this.closed) throw new ToolError('The server is shutting down', { code: 'cancelled' });
    const { url } = await this.fetcher.guard.checkUrl(o.url);
    await this.fetcher.checkRobots(url, o.signal);
    const release = await this.slot(o.signal);
    let prepared: Prepared | undefined;
    const call: Call = { blocked: [], signal: o.signal };
    try {
      // The document is fetched first, by the guard (redirects followed and checked there), and the
      // browser is sent to its final URL: the page then has its real address and origin.
      await this.fetcher.polite(url.host, o.signal);
      const [ready, doc] = await Promise.all([
        this.take(),
        this.fetcher.guard.fetch(url, {
          signal: o.signal,
          timeoutMs: o.timeoutMs,
          maxBytes: this.fetcher.config.maxPageBytes,
          headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
        }),
      ]);
      prepared = ready;
      if (doc.status >= 400) throw new ToolError(`HTTP ${doc.status} from ${doc.url}`, { code: 'remote_error', details: { status: doc.status } });
      const type = String(doc.headers['content-type'] ?? '')
        .split(';')[0]
        .trim()
        .toLowerCase();
      if (type && !/html|xml|^text\//.test(type))
        throw new ToolError(`Not a web page: ${type}`, { code: 'invalid_argument', hint: 'Use download_file for files, scrape_url for plain text and JSON.' });
      call.doc = doc;
      prepared.holder.call = call;
      const { context, page } = prepared;
      o.signal.addEventListener('abort', () => void context.close().catch(() => {}), { once: true });
      if (o.viewport.width !== DEFAULT_VIEWPORT.width || o.viewport.height !== DEFAULT_VIEWPORT.height) await page.setViewportSize(o.viewport);
      page.setDefaultTimeout(o.timeoutMs);
      const res = await page.goto(doc.url, { waitUntil: o.waitFor?.state ?? 'load', timeout: o.timeoutMs });
      if (res && res.status() >= 400) throw new ToolError(`HTTP ${res.status()} from ${page.url()}`, { code: 'remote_error' });
      if (o.waitFor?.selector) await page.waitForSelector(o.waitFor.selector, { timeout: o.timeoutMs, state: 'attached' });
      if (o.settleMs > 0) await page.waitForTimeout(o.settleMs);
      for (let i = 0; i < o.scrolls; i++) {
        const before = await page.evaluate(() => document.body.scrollHeight);
        await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
        await page.waitForFunction((h) => document.body.scrollHeight > h, before, { timeout: 1500 }).catch(() => {});
      }
      return await fn(page, call.blocked, doc);
    } catch (e) {
      if (o.signal.aborted) throw o.signal.reason instanceof ToolError ? o.signal.reason : new ToolError('Cancelled', { code: 'cancelled' });
      if (e instanceof ToolError) throw e;
      const msg = (e as Error).message.split('\n')[0];
      if (/Timeout/i.test(msg)) throw new ToolError(`The page did not finish loading within ${o.timeoutMs} ms: ${msg}`, { code: 'timeout' });
      throw new ToolError(`Browser error: ${msg}`, { code: 'remote_error' });
    } finally {
      this.refill();
      if (prepared) {
        prepared.holder.call = undefined; // late requests of this page are refused from now on
        // closed after the answer is sent; the page still counts against the cap until it is gone
        void prepared.context
          .close()
          .catch(() => {})
          .finally(release);
      } else release();
    }
  }

  /** The rendered page's HTML, its final URL and the requests it had refused. */
  html(o: RenderOptions): Promise<{ html: string; url: string; blocked: string[]; cappedAt?: number }> {
    // outerHTML: the same markup as page.content(), without its extra round trips
    return this.withPage(o, async (page, blocked, doc) => ({
      html: await page.evaluate(() => document.documentElement.outerHTML),
      url: page.url(),
      blocked: blocked.slice(0, 100),
      ...(doc.truncated ? { cappedAt: doc.body.length } : {}),
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.spare = undefined; // closed with the browser
    const b = this.browser;
    this.browser = undefined;
    if (b) {
      const browser = await b.catch(() => undefined);
      await Promise.race([browser?.close(), new Promise((r) => setTimeout(r, 1500))]).catch(() => {});
    }
    this.sink?.close();
    this.sink = undefined;
  }
}

/** Response headers handed to the page: the body is already decoded and whole. */
function responseHeaders(r: GuardedResponse): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) if (!/^(content-encoding|content-length|transfer-encoding|connection)$/i.test(k)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return headers;
}
