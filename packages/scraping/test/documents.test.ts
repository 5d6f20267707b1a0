// scrape_url on a PDF or Office URL returns its text through core's documents module (paged by
// start_index); document_text: false refuses it as before; a fake PDF is refused clearly.
import { connectInProcess, type InProcess, textOf } from '@bizmcp/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as corpus from '../../core/test/documents-corpus.js';
import { createScrapingServer } from '../src/server.js';
import { lookup, pages, type Site, startSite } from './site.js';

let site: Site;
let s: InProcess;
const U = (p: string) => `http://shop.test:${site.port}${p}`;

beforeAll(async () => {
  const pdf = Buffer.from(await corpus.pdf(Array.from({ length: 6 }, (_, i) => [`Catalogue page ${i + 1}`, 'lorem ipsum '.repeat(6)])));
  const xlsx = Buffer.from(await corpus.xlsx());
  pages['/catalogue.pdf'] = () => ({ type: 'application/pdf', body: pdf });
  pages['/prices'] = () => ({ type: 'application/octet-stream', body: xlsx });
  site = await startSite();
  s = await connectInProcess(createScrapingServer({ lookup, allowedNetworks: ['127.0.0.2/32'] }), { env: { SCRAPING_DELAY_MS: '0' } });
});
afterAll(async () => {
  await s?.close();
  await site?.close();
});

describe('scrape_url on documents', () => {
  it('returns a PDF or a workbook as its text, paged by start_index', async () => {
    const r = await s.ok('scrape_url', { url: U('/catalogue.pdf') });
    expect(r.document).toMatchObject({ type: 'pdf', pages: 6 });
    expect(r.content).toContain('--- Page 1 of 6 ---\nCatalogue page 1');
    expect(r.truncated).toBe(false);
    const a = await s.ok('scrape_url', { url: U('/catalogue.pdf'), max_length: 200 });
    expect(a.truncated).toBe(true);
    const b = await s.ok('scrape_url', { url: U('/catalogue.pdf'), max_length: 200, start_index: a.nextStartIndex });
    expect(a.content + b.content).toBe(r.content.slice(0, a.content.length + b.content.length));
    const x = await s.ok('scrape_url', { url: U('/prices') });
    expect(x.document.type).toBe('xlsx');
    expect(x.content).toContain('| 3 | Gadget \\| Pro | 120 | 1 |');
  });

  it('document_text: false refuses it as not a text page; a fake PDF is refused clearly', async () => {
    expect(textOf(await s.call('scrape_url', { url: U('/catalogue.pdf'), document_text: false }))).toMatch(/Not a text page: application\/pdf/);
    expect(textOf(await s.call('scrape_url', { url: U('/report.pdf') }))).toMatch(/Not a readable PDF/);
  });
});
