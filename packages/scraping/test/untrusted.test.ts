// The shared untrusted-text table (core/test/fixtures/untrusted-cases.ts) through the built binary
// over stdio, against a local web site: each case is a page; what it hides must not reach
// scrape_url (markdown and text), its visible text must, and hidden content is counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin, spawnStdio, startRecordingServer, textOf, type Spawned } from '@bizmcp/core/testing';
import { caseDocument, UNTRUSTED_CASES, type UntrustedCase } from '../../core/test/fixtures/untrusted-cases.js';

const bin = builtBin('scraping');
let site: Awaited<ReturnType<typeof startRecordingServer>>;
let scraper: Spawned;

beforeAll(async () => {
  const byId = new Map(UNTRUSTED_CASES.map((c) => [c.id, c]));
  site = await startRecordingServer(
    (req, res) => {
      const path = new URL(req.url!, 'http://x').pathname;
      const c = byId.get(path.split('/').pop()!);
      res.writeHead(c ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(!c ? 'not found' : path.startsWith('/meta/') ? metaDocument(c) : caseDocument(c));
    },
    { host: '127.0.0.2' },
  );
  // the site listens on 127.0.0.2, a private address
  scraper = await spawnStdio(bin, { args: ['--allow-private'], env: { SCRAPING_DELAY_MS: '0' } });
});

/** The invisible character of a case in the metadata: title, description, link text, alt text, OpenGraph. */
function metaDocument(c: UntrustedCase): string {
  const ch = c.absent[0];
  return `<!doctype html><html lang="en${ch}"><head><title>Ti${ch}tle ${c.id}</title><meta name="description" content="De${ch}scription ${c.id}"><meta property="og:title" content="O${ch}G ${c.id}"></head>
<body><main><p>Body ${c.id}.</p><p><a href="/target">Li${ch}nk ${c.id}</a> <img src="/i.png" alt="Al${ch}t ${c.id}"></p></main></body></html>`;
}

afterAll(async () => {
  await scraper?.close();
  await site?.close();
});

describe('shared untrusted-text table through bizmcp-scraping (HTTP)', () => {
  for (const c of UNTRUSTED_CASES) {
    it(`${c.kind} ${c.id}`, async () => {
      for (const format of ['markdown', 'text'] as const) {
        const r = await scraper.client.callTool({ name: 'scrape_url', arguments: { url: `http://127.0.0.2:${site.port}/case/${c.id}`, format, include_links: true } });
        expect(r.isError, textOf(r as never)).toBeFalsy();
        const page = r.structuredContent as { content: string; title?: string; hiddenRemoved?: number };
        for (const a of c.absent) {
          expect(page.content).not.toContain(a);
          expect(textOf(r as never)).not.toContain(a);
        }
        for (const p of c.present) expect(page.content).toContain(p);
        expect(page.title).toBe(`Case ${c.id}`);
        if (c.kind === 'hidden-html') expect(page.hiddenRemoved).toBeGreaterThan(0);
        else expect(page.hiddenRemoved ?? 0).toBe(0);
      }
    });
  }
  for (const c of UNTRUSTED_CASES.filter((x) => x.kind === 'invisible-char')) {
    it(`metadata ${c.id}: title, description, lang, link text and alt text`, async () => {
      const url = `http://127.0.0.2:${site.port}/meta/${c.id}`;
      const r = await scraper.client.callTool({ name: 'scrape_url', arguments: { url, include_links: true } });
      expect(r.isError, textOf(r as never)).toBeFalsy();
      const page = r.structuredContent as { content: string; title?: string; description?: string; lang?: string; links: { text: string }[] };
      expect(page.title).toBe(`Title ${c.id}`);
      expect(page.description).toBe(`Description ${c.id}`);
      expect(page.lang).toBe('en');
      expect(page.links.map((l) => l.text)).toContain(`Link ${c.id}`);
      expect(page.content).toContain(`[Link ${c.id}](/target)`);
      expect(page.content).toContain(`![Alt ${c.id}](/i.png)`);
      const data = await scraper.client.callTool({ name: 'extract_structured_data', arguments: { url } });
      expect(JSON.stringify(data)).toContain(`OG ${c.id}`);
      for (const out of [r, data]) expect(JSON.stringify(out)).not.toContain(c.absent[0]);
    });
  }
});
