// Rendered pages through Debian's Chromium: JavaScript content, infinite scroll, screenshots, and a
// page whose scripts try to reach private addresses (the oracle proves nothing arrived).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, textOf, type InProcess } from '@bizmcp/core/testing';
import { createScrapingServer } from '../src/server.js';
import { lookup, startSite, type Site } from './site.js';

let site: Site;
let s: InProcess;
let dl: string;
const U = (p: string) => `http://shop.test:${site.port}${p}`;

beforeAll(async () => {
  if (!existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) throw new Error('Chromium is required at /usr/bin/chromium (npm test installs the Debian package when run as root)');
  site = await startSite();
  dl = mkdtempSync(join(tmpdir(), 'bizmcp-shots-'));
  s = await connectInProcess(createScrapingServer({ lookup, allowedNetworks: ['127.0.0.2/32'] }), { env: { SCRAPING_DELAY_MS: '0', SCRAPING_DOWNLOAD_DIR: dl } });
});
afterAll(async () => {
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

  it('scrolls to load lazy content', async () => {
    const plain = await s.ok('scrape_dynamic_page', { url: U('/scroll'), format: 'text' });
    const scrolled = await s.ok('scrape_dynamic_page', { url: U('/scroll'), format: 'text', scroll: 6 });
    const count = (t: string) => (t.match(/item \d+/g) ?? []).length;
    expect(count(plain.content)).toBe(10);
    expect(count(scrolled.content)).toBeGreaterThan(10);
  });

  it('every request of the page goes through the guard: nothing reaches private addresses', async () => {
    const r = await s.ok('scrape_dynamic_page', { url: U('/ssrf'), wait_for_selector: '#out', wait_until: 'load', format: 'text' });
    await new Promise((res) => setTimeout(res, 300));
    expect(site.oracleHits).toEqual([]);
    expect(r.blockedRequests.length).toBeGreaterThanOrEqual(6);
    expect(r.blockedRequests.join(' ')).toContain('169.254.169.254');
    expect(r.content).not.toContain('oracle reached');
  });

  it('refuses private start URLs and honours robots.txt before launching anything', async () => {
    expect(textOf(await s.call('scrape_dynamic_page', { url: `http://127.0.0.1:${site.oraclePort}/` }))).toMatch(/Blocked/);
    expect(textOf(await s.call('scrape_dynamic_page', { url: U('/private/secret') }))).toMatch(/robots.txt/);
    expect(site.oracleHits).toEqual([]);
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
  });
});
