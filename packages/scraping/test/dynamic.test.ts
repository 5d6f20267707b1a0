// Rendered pages through Debian's Chromium: JavaScript content, infinite scroll, screenshots, and a
// page whose scripts try to reach private addresses (the oracle proves nothing arrived).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, textOf, type InProcess } from '@bizmcp/core/testing';
import { chromiumOwnRequest } from '../src/browser.js';
import { createScrapingServer } from '../src/server.js';
import { lookup, startSite, type Site } from './site.js';

let site: Site;
let s: InProcess;
let dl: string;
const U = (p: string) => `http://shop.test:${site.port}${p}`;
/** Requests that reached Chromium's sink proxy: they escaped interception (must stay empty). */
const escapes: string[] = [];
/** Every TCP connection this process opened (the net guard runs in-process here). */
const connects: string[] = [];
const realConnect = Socket.prototype.connect;

beforeAll(async () => {
  if (!existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) throw new Error('Chromium is required at /usr/bin/chromium (npm test installs the Debian package when run as root)');
  site = await startSite();
  dl = mkdtempSync(join(tmpdir(), 'bizmcp-shots-'));
  Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
    // net.connect() hands over its normalised arguments as one array
    const o = (Array.isArray(args[0]) ? args[0][0] : args[0]) as { host?: string; port?: number; path?: string };
    if (o && typeof o === 'object' && !o.path) connects.push(`${o.host}:${o.port}`);
    return (realConnect as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof Socket.prototype.connect;
  s = await connectInProcess(createScrapingServer({ lookup, allowedNetworks: ['127.0.0.2/32'], onEscape: (l) => escapes.push(l) }), {
    env: { SCRAPING_DELAY_MS: '0', SCRAPING_DOWNLOAD_DIR: dl, SCRAPING_MAX_BROWSER_PAGES: '2' },
  });
});
afterAll(async () => {
  Socket.prototype.connect = realConnect;
  await s?.close();
  await site?.close();
  rmSync(dl, { recursive: true, force: true });
});

describe('scrape_dynamic_page', () => {
  it('returns content built by JavaScript, which scrape_url cannot see', async () => {
    expect((await s.ok('scrape_url', { url: U('/app') })).content).not.toContain('dynamic content');
    const r = await s.ok('scrape_dynamic_page', { url: U('/app'), wait_for_selector: '.dyn' });
    expect(r.content).toContain('# Rendered by JS');
    expect(r.content).toContain('dynamic content');
    expect(r.title).toBe('App');
  });

  it('extract_structured_data with render: true reads fields built by JavaScript', async () => {
    const fields = { heading: { selector: 'h1' }, dyn: { selector: '.dyn' } };
    expect((await s.ok('extract_structured_data', { url: U('/app'), fields })).fields).toEqual({ heading: null, dyn: null });
    const r = await s.ok('extract_structured_data', { url: U('/app'), fields, render: true, wait_for_selector: '.dyn' });
    expect(r.fields).toEqual({ heading: 'Rendered by JS', dyn: 'dynamic content' });
  });

  it('strips invisible characters from rendered text too', async () => {
    const r = await s.ok('scrape_dynamic_page', { url: U('/hidden'), format: 'text', main_content: true, settle_ms: 0 });
    expect(r.content).toContain('Visible text with zerowidth and tag chars and bidi reversed end.');
    expect(r.content).not.toMatch(/[\u200B\u200D\u202E\u202C]|[\u{E0000}-\u{E007F}]/u);
  });

  it('a fresh context per call: nothing a page stored is seen by the next call', async () => {
    for (let i = 0; i < 2; i++) expect((await s.ok('scrape_dynamic_page', { url: U('/state'), format: 'text', settle_ms: 0 })).content).toBe('stored: nothing, cookie: none');
  });

  it("the next call's fresh context is prepared once a page has loaded, not beside the loading page", async () => {
    const pool = s.server.state.browser as unknown as { browser?: Promise<import('playwright-core').Browser> };
    await s.ok('scrape_dynamic_page', { url: U('/state'), format: 'text', settle_ms: 0 });
    const browser = await pool.browser!;
    // the spare for the next call, and nothing else once the used context has closed
    for (let i = 0; i < 100 && browser.contexts().length !== 1; i++) await new Promise((r) => setTimeout(r, 50));
    expect(browser.contexts()).toHaveLength(1);
    const during: number[] = [];
    const call = s.ok('scrape_dynamic_page', { url: U('/slow-image'), format: 'text', settle_ms: 0 });
    let done = false;
    void call.finally(() => (done = true));
    while (!done) {
      if (site.held() > 0) during.push(browser.contexts().length); // the page's image is on its way: still loading
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await call).content).toContain('An image that takes its time.');
    expect(during.length).toBeGreaterThan(3);
    expect(Math.max(...during)).toBe(1); // the taken context only: the next spare waits for the load
    for (let i = 0; i < 100 && browser.contexts().length !== 1; i++) await new Promise((r) => setTimeout(r, 50));
    expect(browser.contexts()).toHaveLength(1); // and is there for the next call
  });

  it('scrolls to load lazy content', async () => {
    const plain = await s.ok('scrape_dynamic_page', { url: U('/scroll'), format: 'text' });
    const scrolled = await s.ok('scrape_dynamic_page', { url: U('/scroll'), format: 'text', scroll: 3 });
    const count = (t: string) => (t.match(/item \d+/g) ?? []).length;
    expect(count(plain.content)).toBe(10);
    expect(count(scrolled.content)).toBeGreaterThan(10);
  });

  it('every request of the page goes through the guard: nothing reaches private addresses, nothing escapes', async () => {
    connects.length = 0;
    const r = await s.ok('scrape_dynamic_page', { url: U('/ssrf'), wait_for_selector: '#out', wait_until: 'load', format: 'text' });
    await new Promise((res) => setTimeout(res, 300));
    // oracle: the private server got nothing, and no socket was ever opened to it or to the
    // metadata address (the guard refused them before connecting) ...
    expect(site.oracleHits).toEqual([]);
    expect(connects.filter((c) => c.startsWith('169.254.') || c.endsWith(`:${site.oraclePort}`))).toEqual([]);
    expect(
      connects.filter((c) => !c.startsWith('shop.test:')),
      'connections other than the site',
    ).toEqual([]);
    // ... and Chromium's own network stack (pointed at the sink) was never used for a page request
    expect(escapes).toEqual([]);
    const blocked = r.blockedRequests.join(' ');
    for (const b of [
      '169.254.169.254',
      `127.0.0.1:${site.oraclePort}/fetch`,
      `127.0.0.1:${site.oraclePort}/xhr`,
      `127.0.0.1:${site.oraclePort}/img`,
      `127.0.0.1:${site.oraclePort}/frame`,
      `localhost:${site.oraclePort}`,
      'internal.example',
      `ws://127.0.0.1:${site.oraclePort}/ws`,
    ]) {
      expect(blocked).toContain(b);
    }
    expect(r.content).not.toContain('oracle reached');
    expect(r.content).not.toContain('root:'); // the file: frame never loaded
  });

  it('redirects: into private addresses refused, a public one gives the page its final address', async () => {
    for (const to of [`http://127.0.0.1:${site.oraclePort}/`, 'http://169.254.169.254/latest/meta-data/']) {
      expect(textOf(await s.call('scrape_dynamic_page', { url: U(`/redirect?to=${encodeURIComponent(to)}`) }))).toMatch(/Blocked/);
    }
    expect(site.oracleHits).toEqual([]);
    const r = await s.ok('scrape_dynamic_page', { url: U(`/redirect?to=${encodeURIComponent('/article')}`), include_links: true });
    expect(r.url).toBe(U('/article'));
    expect(r.title).toBe('Payment terms');
    expect(r.links.map((l: { url: string }) => l.url)).toContain(U('/about'));
    expect(escapes).toEqual([]);
  });

  it('refuses private start URLs, file: URLs, non-HTML documents, and honours robots.txt', async () => {
    expect(textOf(await s.call('scrape_dynamic_page', { url: `http://127.0.0.1:${site.oraclePort}/` }))).toMatch(/Blocked/);
    expect(textOf(await s.call('scrape_dynamic_page', { url: 'file:///etc/passwd' }))).toMatch(/Only http and https/);
    expect(textOf(await s.call('scrape_dynamic_page', { url: U('/private/secret') }))).toMatch(/robots.txt/);
    expect(textOf(await s.call('scrape_dynamic_page', { url: U('/report.pdf') }))).toMatch(/Not a web page: application\/pdf/);
    expect(site.oracleHits).toEqual([]);
  });

  it('at most SCRAPING_MAX_BROWSER_PAGES pages at once; the others wait their turn', async () => {
    site.maxHeld = 0;
    const rs = await Promise.all([1, 2, 3, 4].map((n) => s.ok('scrape_dynamic_page', { url: U(`/hold?n=${n}`), settle_ms: 0 })));
    expect(rs.map((r) => r.title)).toEqual(['Held 1', 'Held 2', 'Held 3', 'Held 4']);
    expect(site.maxHeld).toBe(2);
  });

  it('a page that never shows the selector times out', async () => {
    const r = await s.call('scrape_dynamic_page', { url: U('/app'), wait_for_selector: '#never', timeout_ms: 1500 });
    expect(textOf(r)).toMatch(/did not finish loading within 1500 ms/);
  });
});

describe('take_screenshot', () => {
  it('returns a PNG as image content, saves it when asked, never overwrites', async () => {
    const r = await s.call('take_screenshot', { url: U('/article'), width: 800, height: 600, save_as: 'shots/article.png' });
    expect(r.isError).toBeFalsy();
    const img = r.content.find((c) => c.type === 'image') as { data: string; mimeType: string };
    const png = Buffer.from(img.data, 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(r.structuredContent).toMatchObject({ width: 800, height: 600, mimeType: 'image/png', savedTo: join(dl, 'shots', 'article.png') });
    expect(readFileSync(join(dl, 'shots', 'article.png')).equals(png)).toBe(true);
    expect(textOf(await s.call('take_screenshot', { url: U('/article'), save_as: 'shots/article.png' }))).toMatch(/Already exists/);
    const el = await s.ok('take_screenshot', { url: U('/article'), selector: 'h1' });
    expect(el.height).toBeLessThan(200);
    const full = await s.ok('take_screenshot', { url: U('/huge'), full_page: true, width: 400 });
    expect(full.height).toBeGreaterThan(800);
    expect(full.height).toBeLessThanOrEqual(10_000);
    // five browser round trips, one a full-page capture of a 10 000 px page (about 11 s of PNG
    // encoding on two shared cores): the limit is the test's, not a timing assertion
  }, 90_000);
});

describe("the sink: Chromium's own requests are told from a page's", () => {
  it("the browser's icon fetch and its service traffic are its own; anything else the page sent is an escape", () => {
    expect(chromiumOwnRequest('GET http://shop.test:37891/favicon.ico HTTP/1.1')).toBe(true);
    expect(chromiumOwnRequest('CONNECT update.googleapis.com:443 HTTP/1.1')).toBe(true);
    expect(chromiumOwnRequest('GET http://shop.test:37891/favicon.ico?x=1 HTTP/1.1')).toBe(false);
    expect(chromiumOwnRequest('GET http://shop.test/img/favicon.ico HTTP/1.1')).toBe(false);
    expect(chromiumOwnRequest('POST http://shop.test/favicon.ico HTTP/1.1')).toBe(false);
    expect(chromiumOwnRequest('GET http://169.254.169.254/latest/meta-data HTTP/1.1')).toBe(false);
    expect(chromiumOwnRequest('CONNECT shop.test:443 HTTP/1.1')).toBe(false);
  });
});
