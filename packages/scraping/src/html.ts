// HTML to what a model needs: metadata, the main content (readability-style), markdown or text,
// links, and structured data (selector maps, JSON-LD, OpenGraph, microdata). All text returned is
// stripped of invisible characters used to hide instructions, and rendered content first loses what
// a reader of the page does not see (core's hidden-HTML pass, counted in hiddenRemoved).
import { cleanDeep, pageText, removeHidden, stripInvisible, ToolError } from '@bizmcp/core';
import type { CheerioAPI, Cheerio } from 'cheerio';
import type { AnyNode, Element } from 'domhandler';
import { toMarkdown } from './markdown.js';

let cheerio: typeof import('cheerio') | undefined;

/** Runs HTML work, turning a stack overflow on absurdly nested markup into a clear error. */
export async function safely<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RangeError) throw tooDeep();
    throw e;
  }
}

/**
 * Parses with htmlparser2 (cheerio's forgiving HTML mode, not parse5): 2-3 times faster on big
 * pages and linear on deeply nested markup, where parse5 takes seconds. It does not rebuild the
 * tree the way a browser would (no implied tbody, misnested tags closed where they end), which
 * changes nothing for text and selectors on real pages.
 */
export async function load(html: string): Promise<CheerioAPI> {
  cheerio ??= await import('cheerio');
  const $ = cheerio.load(html, { xml: { xmlMode: false, decodeEntities: true } });
  if (depth($.root().get(0)!) > MAX_DEPTH) throw tooDeep();
  return $;
}

/** Deeper than any real page; recursive walks (selectors, markdown) stay far from the stack limit. */
const MAX_DEPTH = 1500;

const tooDeep = () =>
  new ToolError(`The page is nested too deeply to process (more than ${MAX_DEPTH} levels)`, { code: 'invalid_argument', hint: 'Try a selector that targets a shallower part of the page.' });

/** Maximum element depth, walked without recursion. */
function depth(root: AnyNode): number {
  let max = 0;
  const stack: [AnyNode, number][] = [[root, 0]];
  while (stack.length) {
    const [n, d] = stack.pop()!;
    if (d > max) max = d;
    if (d > MAX_DEPTH) break;
    const kids = (n as Element).children;
    if (kids) for (const c of kids) if (c.type === 'tag' || c.type === 'root') stack.push([c, d + 1]);
  }
  return max;
}

const NOISE = 'script, style, noscript, template, iframe, svg, canvas, link, meta, object, embed';
const BLOCKS = 'p, div, li, h1, h2, h3, h4, h5, h6, tr, section, article, main, ul, ol, table, blockquote, pre, dd, dt, figcaption, header, footer, nav, aside, hr';
const CHROME = 'nav, header, footer, aside, form, [role=navigation], [role=banner], [role=contentinfo], [aria-hidden=true], .cookie, .cookies, .advert, .ads, .sidebar, .menu';

export interface Metadata {
  title?: string;
  description?: string;
  canonical?: string;
  lang?: string;
}

export function metadata($: CheerioAPI, base: string): Metadata {
  const abs = (h?: string) => {
    try {
      return h ? new URL(h, base).href : undefined;
    } catch {
      return undefined;
    }
  };
  const clean = (s?: string) => (s ? stripInvisible(s).replace(/\s+/g, ' ').trim() || undefined : undefined);
  return {
    title: clean($('title').first().text()) ?? clean($('meta[property="og:title"]').attr('content')),
    description: clean($('meta[name="description"]').attr('content')) ?? clean($('meta[property="og:description"]').attr('content')),
    canonical: abs($('link[rel="canonical"]').attr('href')),
    lang: clean($('html').attr('lang')),
  };
}

/** The element most likely to hold the page's main content. */
function mainContent($: CheerioAPI): Cheerio<AnyNode> {
  const explicit = $('main, article, [role=main]').first();
  if (explicit.length && explicit.text().trim().length > 200) return explicit;
  let best: Cheerio<Element> | undefined;
  let bestScore = 0;
  $('div, section, td').each((_i, el) => {
    const node = $(el);
    const text = node.children('p').text();
    const score = text.length + node.children('p').length * 50;
    if (score > bestScore) {
      bestScore = score;
      best = node;
    }
  });
  return best && bestScore > 200 ? best : $('body').length ? $('body') : $.root();
}

export type Format = 'markdown' | 'text' | 'html';

/**
 * Renders the page (or its main content, or a selector's matches) in the requested format, after
 * removing what a reader does not see (hidden by CSS, zero-size, invisible text); `hiddenRemoved`
 * counts the elements removed or emptied.
 */
export async function render($: CheerioAPI, base: string, opts: { format: Format; mainOnly: boolean; selector?: string; hiddenRemoved?: number }): Promise<{ content: string; hiddenRemoved: number }> {
  const hiddenRemoved = opts.hiddenRemoved ?? (await removeHidden($));
  $(NOISE).remove();
  let root: Cheerio<AnyNode>;
  if (opts.selector) {
    try {
      root = $(opts.selector);
    } catch (e) {
      throw new ToolError(`selector: ${(e as Error).message}`, { code: 'invalid_argument' });
    }
    if (!root.length) throw new ToolError(`selector matched nothing: ${opts.selector}`, { code: 'not_found' });
  } else if (opts.mainOnly) {
    $(CHROME).remove();
    root = mainContent($);
  } else root = $('body').length ? $('body') : $.root();
  let out: string;
  if (opts.format === 'html') {
    // absolute links and images, so the model can follow them
    root.find('a[href]').each((_i, a) => {
      try {
        $(a).attr('href', new URL($(a).attr('href')!, base).href);
      } catch {
        /* keep as is */
      }
    });
    root.find('img[src]').each((_i, img) => {
      try {
        $(img).attr('src', new URL($(img).attr('src')!, base).href);
      } catch {
        /* keep as is */
      }
    });
    out = root
      .toArray()
      .map((n) => $.html(n))
      .join('\n');
  } else if (opts.format === 'text') {
    // block elements end lines, so "<li>One</li><li>Two</li>" reads as two lines, not "OneTwo"
    root.find('br').replaceWith('\n');
    root.find(BLOCKS).each((_i, el) => void $(el).append('\n'));
    out = root
      .toArray()
      .map((n) => $(n).text())
      .join('\n')
      .replace(/[ \t]+/g, ' ')
      .replace(/ *\n */g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
  } else out = toMarkdown(root.toArray(), base);
  return { content: stripInvisible(out), hiddenRemoved };
}

export interface PageOptions {
  format: Format;
  main_content: boolean;
  selector?: string;
  start_index: number;
  max_length: number;
  include_links: boolean;
}

/** The shared answer of scrape_url and scrape_dynamic_page: metadata, one page of content, links. */
export async function pageResult(html: string, url: string, args: PageOptions) {
  const { meta, found, content, hiddenRemoved } = await safely(async () => {
    const $ = await load(html);
    const meta = metadata($, url);
    const hiddenRemoved = await removeHidden($);
    // links are listed once hidden elements are gone: a hidden link is not offered to the model
    const found = args.include_links ? links($, url) : undefined;
    return { meta, found, ...(await render($, url, { format: args.format, mainOnly: args.main_content, selector: args.selector, hiddenRemoved })) };
  });
  const p = pageText(content, args.start_index, args.max_length);
  return {
    ...meta,
    content: p.text,
    hiddenRemoved,
    totalLength: p.totalLength,
    startIndex: p.startIndex,
    truncated: p.truncated,
    ...(p.nextStartIndex !== undefined ? { nextStartIndex: p.nextStartIndex } : {}),
    ...(found ? { links: found } : {}),
  };
}

export interface Link {
  url: string;
  text: string;
  sameOrigin: boolean;
}

export function links($: CheerioAPI, base: string, max = 500): Link[] {
  const origin = new URL(base).origin;
  const seen = new Set<string>();
  const out: Link[] = [];
  $('a[href]').each((_i, a) => {
    if (out.length >= max) return false;
    let u: URL;
    try {
      u = new URL($(a).attr('href')!, base);
    } catch {
      return;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return;
    u.hash = '';
    if (seen.has(u.href)) return;
    seen.add(u.href);
    out.push({ url: u.href, text: stripInvisible($(a).text()).replace(/\s+/g, ' ').trim().slice(0, 200), sameOrigin: u.origin === origin });
  });
  return out;
}

// ---- structured data ----

export interface FieldSpec {
  selector: string;
  attribute?: string;
  multiple?: boolean;
  /** For lists of items: fields read inside each match of `selector`. */
  fields?: Record<string, FieldSpec>;
}

export function extractFields($: CheerioAPI, scope: Cheerio<AnyNode> | undefined, spec: Record<string, FieldSpec>, base: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(spec)) {
    let found: Cheerio<Element>;
    try {
      found = (scope ? scope.find(f.selector) : $(f.selector)) as Cheerio<Element>;
    } catch (e) {
      throw new ToolError(`fields.${name}.selector: ${(e as Error).message}`, { code: 'invalid_argument' });
    }
    const value = (el: Element): unknown => {
      if (f.fields) return extractFields($, $(el), f.fields, base);
      const node = $(el);
      let v = f.attribute ? node.attr(f.attribute) : node.text();
      if (v && f.attribute && /^(href|src)$/i.test(f.attribute)) {
        try {
          v = new URL(v, base).href;
        } catch {
          /* keep */
        }
      }
      return v === undefined ? null : stripInvisible(v).replace(/\s+/g, ' ').trim();
    };
    out[name] = f.multiple || f.fields ? found.toArray().slice(0, 1000).map(value) : found.length ? value(found.get(0)!) : null;
  }
  return out;
}

export function jsonLd($: CheerioAPI): unknown[] {
  const out: unknown[] = [];
  $('script[type="application/ld+json"]').each((_i, s) => {
    try {
      const v = JSON.parse($(s).text());
      if (Array.isArray(v)) out.push(...v);
      else out.push(v);
    } catch {
      /* broken JSON-LD is skipped */
    }
  });
  return cleanDeep(out);
}

export function openGraph($: CheerioAPI): Record<string, string> {
  const out: Record<string, string> = {};
  $('meta[property^="og:"], meta[name^="twitter:"], meta[property^="article:"], meta[property^="product:"]').each((_i, m) => {
    const key = $(m).attr('property') ?? $(m).attr('name');
    const value = $(m).attr('content');
    if (key && value && !(stripInvisible(key) in out)) out[stripInvisible(key)] = stripInvisible(value);
  });
  return out;
}

/** schema.org microdata: itemscope/itemtype/itemprop, nested items kept nested, URLs absolute. */
export function microdata($: CheerioAPI, base: string): unknown[] {
  const abs = (v: string) => {
    try {
      return new URL(v, base).href;
    } catch {
      return v;
    }
  };
  const read = (scope: Cheerio<Element>): Record<string, unknown> => {
    const item: Record<string, unknown> = {};
    const type = scope.attr('itemtype');
    if (type) item['@type'] = type;
    scope.find('[itemprop]').each((_i, el) => {
      const node = $(el);
      // only properties whose nearest item scope is this one
      if (node.parentsUntil(scope as never, '[itemscope]').length) return;
      const name = node.attr('itemprop')!;
      const link = node.attr('href') ?? node.attr('src');
      const value = node.is('[itemscope]')
        ? read(node)
        : stripInvisible((node.attr('content') ?? (link !== undefined ? abs(link) : undefined) ?? node.attr('datetime') ?? node.text()).replace(/\s+/g, ' ').trim());
      const prev = item[name];
      item[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    });
    return item;
  };
  return cleanDeep(
    $('[itemscope]')
      .filter((_i, el) => !$(el).is('[itemprop]'))
      .toArray()
      .slice(0, 100)
      .map((el) => read($(el))),
  );
}
