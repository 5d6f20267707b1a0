// Static scraping: one page to markdown/text/html, structured extraction, and site maps/crawls.
import { z } from 'zod';
import { annotations, extractDocument, isDocumentMediaType, pageText, sniffDocument, stripInvisible, ToolError } from '@bizmcp/core';
import { extractFields, jsonLd, links, load, metadata, microdata, openGraph, pageResult, render, safely, type FieldSpec } from '../html.js';
import { browserOf, tool, type ScrapeState } from '../state.js';

const url = z.string().min(1).max(4000).describe('http(s) URL of a public page');
const format = z.enum(['markdown', 'text', 'html']).default('markdown');

/** The pageCappedAt field, when the body was cut at the byte cap. */
export const capped = (page: { truncated: boolean; body: { length: number } }) => (page.truncated ? { pageCappedAt: page.body.length } : {});

/** Output options shared by scrape_url and scrape_dynamic_page. */
export const pageArgs = {
  format,
  main_content: z.boolean().default(false).describe('Only the main content: navigation, headers, footers and sidebars dropped'),
  selector: z.string().max(500).optional().describe('Only the elements matching this CSS selector'),
  start_index: z.number().int().min(0).default(0).describe('Character offset to start at (from nextStartIndex)'),
  max_length: z.number().int().min(100).max(200_000).default(20_000).describe('Characters returned per call'),
  include_links: z.boolean().default(false).describe("List the page's links (up to 500)"),
};

export const pageOutput = {
  title: z.string().optional(),
  description: z.string().optional(),
  canonical: z.string().optional(),
  lang: z.string().optional(),
  content: z.string(),
  hiddenRemoved: z
    .number()
    .optional()
    .describe('Elements removed because a reader of the page does not see them (display:none, zero-size, invisible text…): more than 0 means the page hides something'),
  totalLength: z.number(),
  startIndex: z.number(),
  truncated: z.boolean(),
  nextStartIndex: z.number().optional(),
  links: z.array(z.object({ url: z.string(), text: z.string(), sameOrigin: z.boolean() })).optional(),
  pageCappedAt: z.number().optional().describe('The page was larger than SCRAPING_MAX_PAGE_BYTES: only this many bytes were read'),
};

/** Text rendering of a page result. */
export function renderPage(r: {
  title?: string;
  url: string;
  content: string;
  truncated: boolean;
  totalLength: number;
  nextStartIndex?: number;
  links?: { url: string; text: string }[];
  pageCappedAt?: number;
  hiddenRemoved?: number;
}): string {
  return `${r.title ? `# ${r.title}\n` : ''}${r.url}\n\n${r.content}${r.hiddenRemoved ? `\n\n[${r.hiddenRemoved} hidden element(s) of the page removed: text its reader does not see]` : ''}${r.pageCappedAt ? `\n\n[the page is larger than the ${r.pageCappedAt}-byte cap: its end was not read]` : ''}${r.truncated ? `\n\n[truncated: ${r.totalLength - (r.nextStartIndex ?? 0)} more characters; call again with start_index ${r.nextStartIndex}]` : ''}${r.links ? `\n\nLinks:\n${r.links.map((l) => `- ${l.text || '(no text)'}: ${l.url}`).join('\n')}` : ''}`;
}

async function fetchHtml(state: ScrapeState, target: string, signal: AbortSignal) {
  const page = await state.fetcher.get(target, signal);
  if (page.status >= 400) throw new ToolError(`HTTP ${page.status} from ${page.url}`, { code: 'remote_error', details: { status: page.status } });
  const isHtml = /html|xml/.test(page.contentType) || page.contentType === '';
  return { page, isHtml, html: page.body.toString('utf8') };
}

export const scrapeUrl = tool({
  name: 'scrape_url',
  toolset: 'pages',
  title: 'Scrape a web page',
  description:
    "Fetch a public web page (no JavaScript) and return it as markdown (default), plain text or cleaned HTML, with its title, description and canonical URL. main_content: true keeps the article and drops navigation, headers, footers and sidebars; selector keeps only the matches of a CSS selector. Long pages are paged: max_length characters per call (default 20 000), continue with start_index = nextStartIndex. include_links lists the page's links. robots.txt is honoured; private and local addresses are refused. Hidden Unicode characters are removed from the text. Non-HTML text (JSON, CSV, plain text) is returned as is. A PDF, Word, Excel, PowerPoint or OpenDocument URL is returned as its text (pages, tables as markdown) unless document_text is false.",
  input: z.object({
    url,
    ...pageArgs,
    document_text: z.boolean().default(true).describe('A PDF, Word, Excel, PowerPoint or OpenDocument URL comes back as its text (markdown); false: refused as not a text page.'),
  }),
  output: z.object({
    url: z.string(),
    status: z.number(),
    contentType: z.string(),
    ...pageOutput,
    document: z
      .object({ type: z.string(), pages: z.number().optional(), capped: z.array(z.string()), dropped: z.record(z.string(), z.number()) })
      .optional()
      .describe('The URL was a document, returned as its text (totalLength is then what is known so far)'),
  }),
  annotations: annotations.read({ openWorld: true }),
  text: renderPage,
  run: async (args, ctx) => {
    const { page, isHtml, html } = await fetchHtml(ctx.state, args.url, ctx.signal);
    if (!isHtml && args.document_text && (isDocumentMediaType(page.contentType) || ['pdf', 'zip'].includes(sniffDocument(page.body.subarray(0, 1024))))) {
      if (page.truncated)
        throw new ToolError(`The document is larger than the ${page.body.length}-byte page cap (SCRAPING_MAX_PAGE_BYTES)`, { code: 'too_large', hint: 'download_file saves it whole.' });
      const d = await extractDocument(page.body, { signal: ctx.signal, deadline: ctx.deadline, start: args.start_index, maxChars: args.max_length, hint: page.contentType });
      const end = d.offset + d.text.length;
      return {
        url: page.url,
        status: page.status,
        contentType: page.contentType,
        content: d.text,
        totalLength: d.truncated ? end + 1 : end,
        startIndex: d.offset,
        truncated: d.truncated,
        ...(d.truncated ? { nextStartIndex: end } : {}),
        document: { type: d.type, ...(d.pages ? { pages: d.pages } : {}), capped: d.capped, dropped: d.dropped },
      };
    }
    if (!isHtml) {
      if (!/^(text\/|application\/(json|xml|javascript|x-yaml|yaml|csv))/.test(page.contentType)) {
        throw new ToolError(`Not a text page: ${page.contentType} (${page.body.length} bytes)`, {
          code: 'invalid_argument',
          hint: 'Use download_file for binary files (PDF and Office documents are read as text unless document_text is false).',
        });
      }
      const p = pageText(stripInvisible(html), args.start_index, args.max_length);
      return {
        url: page.url,
        status: page.status,
        contentType: page.contentType,
        content: p.text,
        totalLength: p.totalLength,
        startIndex: p.startIndex,
        truncated: p.truncated,
        ...(p.nextStartIndex !== undefined ? { nextStartIndex: p.nextStartIndex } : {}),
        ...capped(page),
      };
    }
    return { url: page.url, status: page.status, contentType: page.contentType, ...(await pageResult(html, page.url, args)), ...capped(page) };
  },
});

const fieldSpec: z.ZodType<FieldSpec> = z.lazy(() =>
  z.object({
    selector: z.string().min(1).max(500),
    attribute: z.string().max(100).optional().describe('Read this attribute instead of the text (href and src become absolute URLs)'),
    multiple: z.boolean().optional().describe('Every match, as a list'),
    fields: z.record(z.string(), fieldSpec).optional().describe('For lists of items: fields read inside each match'),
  }),
);

export const extractStructuredData = tool({
  name: 'extract_structured_data',
  toolset: 'pages',
  title: 'Extract structured data',
  description:
    "Extract data from a page as JSON: `fields` maps names to CSS selectors (with attribute, multiple, and nested fields for lists of items, e.g. products → {name, price, url}); the page's JSON-LD, OpenGraph/Twitter meta tags and schema.org microdata are returned too (include flags). Static HTML by default; render: true runs the page in headless Chromium first (JavaScript-built content; slower; wait_for_selector waits for it). Missing matches are null; lists stop at 1 000 items.",
  input: z.object({
    url,
    fields: z
      .record(z.string(), fieldSpec)
      .default({})
      .describe(
        'name → { selector, attribute?, multiple?, fields? }; e.g. {"title": {"selector": "h1"}, "items": {"selector": ".item", "fields": {"name": {"selector": ".name"}, "link": {"selector": "a", "attribute": "href"}}}}',
      ),
    include_json_ld: z.boolean().default(true),
    include_open_graph: z.boolean().default(true),
    include_microdata: z.boolean().default(true),
    render: z.boolean().default(false).describe('Render the page in headless Chromium first (for content built by JavaScript)'),
    wait_for_selector: z.string().max(500).optional().describe('With render: wait until this CSS selector is in the page'),
    timeout_ms: z.number().int().min(1000).max(120_000).default(20_000).describe('With render: page load timeout'),
  }),
  output: z.object({
    url: z.string(),
    title: z.string().optional(),
    fields: z.record(z.string(), z.unknown()),
    jsonLd: z.array(z.unknown()).optional(),
    openGraph: z.record(z.string(), z.string()).optional(),
    microdata: z.array(z.unknown()).optional(),
  }),
  annotations: annotations.read({ openWorld: true }),
  timeoutMs: 130_000,
  run: async (args, ctx) => {
    let html: string;
    let finalUrl: string;
    if (args.render) {
      const r = await browserOf(ctx.state).html({
        url: args.url,
        waitFor: { selector: args.wait_for_selector, state: 'load' },
        scrolls: 0,
        settleMs: 300,
        timeoutMs: args.timeout_ms,
        viewport: { width: 1280, height: 900 },
        signal: ctx.signal,
      });
      html = r.html;
      finalUrl = r.url;
    } else {
      const f = await fetchHtml(ctx.state, args.url, ctx.signal);
      html = f.html;
      finalUrl = f.page.url;
    }
    return safely(async () => {
      const $ = await load(html);
      return {
        url: finalUrl,
        title: metadata($, finalUrl).title,
        fields: extractFields($, undefined, args.fields, finalUrl),
        ...(args.include_json_ld ? { jsonLd: jsonLd($) } : {}),
        ...(args.include_open_graph ? { openGraph: openGraph($) } : {}),
        ...(args.include_microdata ? { microdata: microdata($, finalUrl) } : {}),
      };
    });
  },
});

interface Visit {
  url: string;
  depth: number;
}

async function* walkSite(state: ScrapeState, start: string, opts: { maxDepth: number; maxPages: number; signal: AbortSignal; include?: RegExp }) {
  const origin = new URL(start).origin;
  const queue: Visit[] = [{ url: new URL(start).href, depth: 0 }];
  const seen = new Set([queue[0].url]);
  let fetched = 0;
  while (queue.length && fetched < opts.maxPages) {
    if (opts.signal.aborted) return;
    const v = queue.shift()!;
    let page;
    try {
      page = await fetchHtml(state, v.url, opts.signal);
    } catch (e) {
      if (!(e instanceof ToolError) || opts.signal.aborted) throw e;
      yield { ...v, error: e.message };
      continue;
    }
    fetched++;
    const $ = page.isHtml ? await safely(() => load(page.html)).catch(() => undefined) : undefined;
    const found = $ ? await safely(() => links($, page.page.url)).catch(() => []) : [];
    yield { ...v, $, page, links: found, fetched };
    if (v.depth >= opts.maxDepth) continue;
    for (const l of found) {
      if (!l.sameOrigin || new URL(l.url).origin !== origin || seen.has(l.url)) continue;
      if (opts.include && !opts.include.test(l.url)) continue;
      seen.add(l.url);
      queue.push({ url: l.url, depth: v.depth + 1 });
    }
  }
}

export const mapSite = tool({
  name: 'map_site',
  toolset: 'pages',
  title: 'Map a site',
  description:
    "List the pages of one site (same origin only) by following links from a start URL, breadth first, with depth and page caps (defaults 2 and 50, max 500). robots.txt is honoured and requests to the host are spaced by the politeness delay. Returns each page's URL, depth, title and status. Sends progress notifications.",
  input: z.object({ url, max_depth: z.number().int().min(0).max(10).default(2), max_pages: z.number().int().min(1).max(500).default(50) }),
  output: z.object({ pages: z.array(z.object({ url: z.string(), depth: z.number(), title: z.string().optional(), error: z.string().optional() })), truncated: z.boolean() }),
  annotations: annotations.read({ openWorld: true }),
  timeoutMs: 300_000,
  text: (r) => r.pages.map((p) => `${'  '.repeat(p.depth)}${p.url}${p.title ? ` — ${p.title}` : ''}${p.error ? ` (${p.error})` : ''}`).join('\n') + (r.truncated ? '\n[page cap reached]' : ''),
  run: async ({ url: start, max_depth, max_pages }, ctx) => {
    const pages: { url: string; depth: number; title?: string; error?: string }[] = [];
    let last = 0;
    for await (const v of walkSite(ctx.state, start, { maxDepth: max_depth, maxPages: max_pages, signal: ctx.signal })) {
      if ('error' in v && v.error) pages.push({ url: v.url, depth: v.depth, error: v.error });
      else if ('page' in v && v.page) {
        pages.push({ url: v.page.page.url, depth: v.depth, title: v.$ ? metadata(v.$, v.page.page.url).title : undefined });
        last = v.fetched;
        await ctx.progress(last, max_pages, v.page.page.url);
      }
    }
    ctx.checkAborted();
    return { pages, truncated: last >= max_pages };
  },
});

export const crawl = tool({
  name: 'crawl',
  toolset: 'pages',
  title: 'Crawl a site',
  description:
    "Scrape several pages of one site: like map_site (same origin, breadth first, robots.txt, politeness delay), but returns each page's content as markdown or text (main content by default), each cut at max_length_per_page characters (default 5 000). Caps: depth (default 1), pages (default 10, max 100). Optional url_pattern (a regular expression) limits which links are followed. Sends progress notifications and stops when cancelled.",
  input: z.object({
    url,
    max_depth: z.number().int().min(0).max(5).default(1),
    max_pages: z.number().int().min(1).max(100).default(10),
    format: z.enum(['markdown', 'text']).default('markdown'),
    main_content: z.boolean().default(true),
    max_length_per_page: z.number().int().min(100).max(50_000).default(5000),
    url_pattern: z.string().max(500).optional(),
  }),
  output: z.object({
    pages: z.array(z.object({ url: z.string(), depth: z.number(), title: z.string().optional(), content: z.string().optional(), truncated: z.boolean().optional(), error: z.string().optional() })),
    truncated: z.boolean(),
  }),
  annotations: annotations.read({ openWorld: true }),
  timeoutMs: 300_000,
  text: (r) => r.pages.map((p) => `## ${p.title ?? p.url}\n${p.url}\n\n${p.error ? `Error: ${p.error}` : p.content}`).join('\n\n') + (r.truncated ? '\n\n[page cap reached]' : ''),
  run: async (args, ctx) => {
    let include: RegExp | undefined;
    if (args.url_pattern) {
      try {
        include = new RegExp(args.url_pattern);
      } catch (e) {
        throw new ToolError(`url_pattern: ${(e as Error).message}`, { code: 'invalid_argument' });
      }
    }
    const pages: { url: string; depth: number; title?: string; content?: string; truncated?: boolean; error?: string }[] = [];
    let fetched = 0;
    for await (const v of walkSite(ctx.state, args.url, { maxDepth: args.max_depth, maxPages: args.max_pages, signal: ctx.signal, include })) {
      if ('error' in v && v.error) {
        pages.push({ url: v.url, depth: v.depth, error: v.error });
        continue;
      }
      if (!('page' in v) || !v.page) continue;
      fetched = v.fetched;
      const title = v.$ ? metadata(v.$, v.page.page.url).title : undefined;
      let content: string;
      try {
        content = v.$ ? (await safely(() => render(v.$!, v.page.page.url, { format: args.format, mainOnly: args.main_content }))).content : stripInvisible(v.page.html);
      } catch (e) {
        if (!(e instanceof ToolError)) throw e;
        pages.push({ url: v.page.page.url, depth: v.depth, error: e.message });
        continue;
      }
      const p = pageText(content, 0, args.max_length_per_page);
      pages.push({ url: v.page.page.url, depth: v.depth, title, content: p.text, truncated: p.truncated });
      await ctx.progress(fetched, args.max_pages, v.page.page.url);
    }
    ctx.checkAborted();
    return { pages, truncated: fetched >= args.max_pages };
  },
});

export const scrapeTools = [scrapeUrl, extractStructuredData, mapSite, crawl];
