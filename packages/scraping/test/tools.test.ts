// The scraping tools through the SDK client against a local site, with the SSRF oracle.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, textOf, type InProcess } from '@bizmcp/core/testing';
import { createScrapingServer } from '../src/server.js';
import { ARTICLE_TEXT, lookup, startSite, type Site } from './site.js';

let site: Site;
let s: InProcess;
let dl: string;
const U = (p: string) => `http://shop.test:${site.port}${p}`;

beforeAll(async () => {
  site = await startSite();
  dl = mkdtempSync(join(tmpdir(), 'bizmcp-dl-'));
  s = await connectInProcess(createScrapingServer({ lookup, allowedNetworks: ['127.0.0.2/32'] }), { env: { SCRAPING_DELAY_MS: '0', SCRAPING_DOWNLOAD_DIR: dl, SCRAPING_TIMEOUT_MS: '1500' } });
});
afterAll(async () => {
  await s.close();
  await site.close();
  rmSync(dl, { recursive: true, force: true });
});

describe('scrape_url', () => {
  it('markdown with metadata; main_content drops navigation, header, footer and scripts', async () => {
    const full = await s.ok('scrape_url', { url: U('/article') });
    expect(full).toMatchObject({ status: 200, title: 'Payment terms', description: 'About Payment terms', canonical: U('/canonical/Payment%20terms') });
    expect(full.content).toContain('# Payment terms');
    expect(full.content).toContain(ARTICLE_TEXT);
    expect(full.content).toContain('Site header');
    expect(full.content).not.toContain('tracking');
    const main = await s.ok('scrape_url', { url: U('/article'), main_content: true });
    expect(main.content).toContain(ARTICLE_TEXT);
    expect(main.content).toContain('[link](/about)'); // same-origin links as paths
    for (const noise of ['Site header', 'Copyright footer', 'Buy now', 'Home']) expect(main.content).not.toContain(noise);
    const text = await s.ok('scrape_url', { url: U('/article'), format: 'text', selector: 'article ul' });
    expect(text.content).toBe('One\nTwo');
    const html = await s.ok('scrape_url', { url: U('/article'), format: 'html', selector: 'h1' });
    expect(html.content).toBe('<h1>Payment terms</h1>');
  });

  it('pages long content with start_index and lists links on request', async () => {
    const first = await s.ok('scrape_url', { url: U('/huge'), max_length: 1000, include_links: true });
    expect(first).toMatchObject({ truncated: true, nextStartIndex: 1000, startIndex: 0 });
    expect(first.content.length).toBe(1000);
    const second = await s.ok('scrape_url', { url: U('/huge'), max_length: 1000, start_index: 1000 });
    expect(second.startIndex).toBe(1000);
    expect(first.links.map((l: { url: string }) => l.url)).toEqual(expect.arrayContaining([U('/'), U('/about'), 'https://elsewhere.example/x']));
    expect(first.links.find((l: { url: string }) => l.url === 'https://elsewhere.example/x').sameOrigin).toBe(false);
  });

  it('a page above SCRAPING_MAX_PAGE_BYTES is read up to the cap, and says so', async () => {
    const small = await connectInProcess(createScrapingServer({ lookup, allowedNetworks: ['127.0.0.2/32'] }), { env: { SCRAPING_DELAY_MS: '0', SCRAPING_MAX_PAGE_BYTES: '100000' } });
    const r = await small.ok('scrape_url', { url: U('/huge'), format: 'text', max_length: 200_000 });
    expect(r.pageCappedAt).toBe(100_000);
    expect(r.totalLength).toBeLessThan(100_000);
    expect(r.content).toContain('lorem ipsum');
    expect(textOf(await small.call('scrape_url', { url: U('/huge'), max_length: 100 }))).toMatch(/larger than the 100000-byte cap/);
    expect((await small.ok('scrape_url', { url: U('/article') })).pageCappedAt).toBeUndefined();
    await small.close();
  });

  it('strips invisible characters used for prompt injection', async () => {
    const r = await s.ok('scrape_url', { url: U('/hidden'), format: 'text', main_content: true });
    expect(r.content).toContain('Visible text with zerowidth and tag chars and bidi reversed end.');
    expect(r.content).not.toMatch(/[\u200B\u200D\u202E\u202C]|[\u{E0000}-\u{E007F}]/u);
  });

  it('broken HTML, non-HTML text, binary, missing pages and slow pages', async () => {
    expect((await s.ok('scrape_url', { url: U('/broken'), format: 'text' })).content).toContain('still here');
    expect(await s.ok('scrape_url', { url: U('/data.json') })).toMatchObject({ contentType: 'application/json', content: '{"ok":true,"items":[1,2,3]}' });
    expect(textOf(await s.call('scrape_url', { url: U('/image.png') }))).toMatch(/Not a text page: image\/png/);
    expect(textOf(await s.call('scrape_url', { url: U('/missing') }))).toMatch(/HTTP 404/);
    expect(textOf(await s.call('scrape_url', { url: U('/slow') }))).toMatch(/took longer than 1500 ms/);
    // 20 000 nested elements: a clear error, at once; 1 400 levels still work in every format
    for (const format of ['markdown', 'text', 'html']) {
      expect(textOf(await s.call('scrape_url', { url: U('/deep'), format }))).toMatch(/nested too deeply/);
      expect((await s.ok('scrape_url', { url: U('/deepish'), format, main_content: true })).content).toMatch(/bottom (\*\*)?(<b>)?line/);
    }
  });

  it('honours robots.txt', async () => {
    expect(textOf(await s.call('scrape_url', { url: U('/private/secret') }))).toMatch(/robots.txt of .* disallows \/private\/secret/);
    expect(site.hits.map((h) => h.url)).not.toContain('/private/secret');
    expect((await s.ok('scrape_url', { url: U('/private/open') })).content).toContain('explicitly allowed');
    const ignoring = await connectInProcess(createScrapingServer({ lookup, allowedNetworks: ['127.0.0.2/32'] }), { argv: ['--ignore-robots'], env: { SCRAPING_DELAY_MS: '0' } });
    expect((await ignoring.ok('scrape_url', { url: U('/private/secret') })).content).toContain('robots.txt says no');
    await ignoring.close();
  });
});

describe('SSRF: nothing reaches a private address', () => {
  const attempts = () => [
    ['loopback literal', `http://127.0.0.1:${site.oraclePort}/`],
    ['decimal loopback', `http://2130706433:${site.oraclePort}/`],
    ['localhost', `http://localhost:${site.oraclePort}/`],
    ['name resolving to loopback', `http://internal.example:${site.oraclePort}/`],
    ['metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['redirect to loopback', U(`/redirect?to=${encodeURIComponent(`http://127.0.0.1:${site.oraclePort}/`)}`)],
    ['redirect to metadata', U(`/redirect?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`)],
    ['file scheme', 'file:///etc/passwd'],
  ];
  it('refuses every attempt, and the oracle received nothing', async () => {
    for (const [name, url] of attempts()) {
      for (const toolName of ['scrape_url', 'extract_structured_data', 'map_site', 'crawl']) {
        const r = await s.call(toolName, { url });
        if (toolName === 'map_site' || toolName === 'crawl') {
          const pages = (r.structuredContent as { pages?: { error?: string }[] } | undefined)?.pages;
          expect(r.isError || (pages ?? []).every((p) => p.error), `${toolName} ${name}`).toBe(true);
        } else expect(r.isError, `${toolName} ${name}`).toBe(true);
        expect(JSON.stringify(r)).not.toContain('internal data');
      }
    }
    expect(site.oracleHits).toEqual([]);
  });
});

describe('extract_structured_data', () => {
  it('selector maps with attributes, lists and nested items; JSON-LD, OpenGraph, microdata', async () => {
    const r = await s.ok('extract_structured_data', {
      url: U('/products'),
      fields: {
        heading: { selector: 'title' },
        names: { selector: '.product .name', multiple: true },
        products: { selector: '.product', fields: { name: { selector: '.name' }, url: { selector: '.name', attribute: 'href' }, price: { selector: '.price' } } },
        missing: { selector: '.nope' },
      },
    });
    expect(r.fields).toEqual({
      heading: 'Products',
      names: ['Widget', 'Gadget'],
      products: [
        { name: 'Widget', url: U('/p/1'), price: '9.99 €' },
        { name: 'Gadget', url: U('/p/2'), price: '19.50 €' },
      ],
      missing: null,
    });
    expect(r.jsonLd).toEqual([{ '@context': 'https://schema.org', '@type': 'Organization', name: 'Acme' }]);
    expect(r.openGraph).toEqual({ 'og:title': 'Our products', 'og:type': 'website' });
    expect(r.microdata).toEqual([{ '@type': 'https://schema.org/Product', url: U('/p/1'), name: 'Widget', price: '9.99' }]);
    expect(textOf(await s.call('extract_structured_data', { url: U('/products'), fields: { x: { selector: '[[[' } } }))).toMatch(/fields.x.selector/);
  });
});

describe('map_site and crawl', () => {
  it('map_site stays on the origin, honours robots.txt and its caps', async () => {
    const r = await s.ok('map_site', { url: U('/'), max_depth: 2, max_pages: 20 });
    const urls = r.pages.map((p: { url: string }) => p.url);
    expect(urls).toEqual(expect.arrayContaining([U('/'), U('/about'), U('/article'), U('/products')]));
    expect(urls.some((u: string) => u.includes('elsewhere'))).toBe(false);
    const secret = r.pages.find((p: { url: string }) => p.url === U('/private/secret'));
    expect(secret.error).toMatch(/robots.txt/);
    const capped = await s.ok('map_site', { url: U('/'), max_pages: 2 });
    expect(capped.pages.filter((p: { error?: string }) => !p.error)).toHaveLength(2);
    expect(capped.truncated).toBe(true);
  });

  it('crawl returns page contents with progress, and stops when cancelled', async () => {
    const progress: number[] = [];
    const r = await s.client.callTool({ name: 'crawl', arguments: { url: U('/'), max_pages: 3, url_pattern: '/(article|about)$' } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    const pages = (r.structuredContent as { pages: { url: string; content?: string }[] }).pages;
    expect(pages.map((p) => p.url)).toEqual([U('/'), U('/about'), U('/article')]);
    expect(pages[2].content).toContain(ARTICLE_TEXT);
    expect(progress).toEqual([1, 2, 3]);
    const slow = await connectInProcess(createScrapingServer({ lookup, allowedNetworks: ['127.0.0.2/32'] }), { env: { SCRAPING_DELAY_MS: '400' } });
    const ac = new AbortController();
    const p = slow.client.callTool({ name: 'crawl', arguments: { url: U('/'), max_pages: 20, max_depth: 3 } }, undefined, { signal: ac.signal });
    setTimeout(() => ac.abort(), 600);
    await expect(p).rejects.toThrow();
    const before = site.hits.length;
    await new Promise((res) => setTimeout(res, 1000));
    expect(site.hits.length - before).toBeLessThanOrEqual(1); // stopped, not still crawling
    await slow.close();
  });
});

describe('download_file', () => {
  it('saves into the download directory with a hash; never overwrites unless asked', async () => {
    const r = await s.ok('download_file', { url: U('/report.pdf'), filename: 'reports/../report.pdf', accept: ['application/pdf'] });
    const bytes = readFileSync(join(dl, 'report.pdf'));
    expect(r).toMatchObject({ path: join(dl, 'report.pdf'), bytes: bytes.length, contentType: 'application/pdf', sha256: createHash('sha256').update(bytes).digest('hex') });
    expect(textOf(await s.call('download_file', { url: U('/report.pdf'), filename: 'report.pdf' }))).toMatch(/Already exists/);
    await s.ok('download_file', { url: U('/report.pdf'), filename: 'report.pdf', overwrite: true });
  });

  it('refuses other content types, oversize files and paths outside the directory, leaving nothing behind', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'bizmcp-dl-outside-'));
    writeFileSync(join(outside, 'keep.txt'), 'keep');
    const before = readdirSync(dl).sort();
    expect(textOf(await s.call('download_file', { url: U('/image.png'), filename: 'a.pdf', accept: ['application/pdf'] }))).toMatch(/Refused: the server sent image\/png/);
    expect(textOf(await s.call('download_file', { url: U('/report.pdf'), filename: 'b.pdf', max_bytes: 1000 }))).toMatch(/Too large/);
    expect(textOf(await s.call('download_file', { url: U('/report.pdf'), filename: join(outside, 'evil.pdf') }))).toMatch(/outside the allowed/);
    expect(textOf(await s.call('download_file', { url: U('/report.pdf'), filename: '../evil.pdf' }))).toMatch(/outside the allowed/);
    expect(readdirSync(dl).sort()).toEqual(before);
    expect(readdirSync(outside)).toEqual(['keep.txt']);
    expect(existsSync(join(dl, '..', 'evil.pdf'))).toBe(false);
    rmSync(outside, { recursive: true, force: true });
  });

  it('without SCRAPING_DOWNLOAD_DIR downloads are disabled with a clear message', async () => {
    const none = await connectInProcess(createScrapingServer({ lookup, allowedNetworks: ['127.0.0.2/32'] }), { env: {} });
    expect(textOf(await none.call('download_file', { url: U('/report.pdf'), filename: 'x.pdf' }))).toMatch(/Set SCRAPING_DOWNLOAD_DIR/);
    await none.close();
  });
});
