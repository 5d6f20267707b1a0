// Rendered pages: JavaScript-built content and screenshots, through the browser pool.
import { dirname } from 'node:path';
import { z } from 'zod';
import { annotations, richResult, ToolError } from '@bizmcp/core';
import { pageResult } from '../html.js';
import { noDownloadDir } from './download.js';
import { pageArgs, pageOutput, renderPage } from './scrape.js';
import { browserOf, tool } from '../state.js';

const waitArgs = {
  wait_for_selector: z.string().max(500).optional().describe('Wait until this CSS selector is in the page'),
  wait_until: z.enum(['load', 'domcontentloaded', 'networkidle']).default('load').describe('Load state to wait for'),
  scroll: z.number().int().min(0).max(50).default(0).describe('Scroll to the bottom this many times (lazy-loaded content)'),
  settle_ms: z.number().int().min(0).max(10_000).default(300).describe('Extra time for scripts to finish after loading'),
  timeout_ms: z.number().int().min(1000).max(120_000).default(20_000),
};

export const scrapeDynamicPage = tool({
  name: 'scrape_dynamic_page',
  toolset: 'browser',
  title: 'Scrape a rendered page',
  description:
    'Render a page in headless Chromium (JavaScript runs), optionally wait for a selector or for network idle and scroll for lazy content, then return it like scrape_url: markdown (default), text or html, main content or a selector, paged with start_index/max_length. Use it only when scrape_url misses content built by scripts: it is slower. Every request the page makes goes through the same SSRF guard; WebSockets, service workers, downloads and file: URLs are blocked.',
  input: z.object({ url: z.string().min(1).max(4000), ...pageArgs, ...waitArgs }),
  output: z.object({
    url: z.string(),
    ...pageOutput,
    blockedRequests: z.array(z.string()).describe('Requests of the page that were refused (private addresses, WebSockets…)'),
  }),
  annotations: annotations.read({ openWorld: true }),
  timeoutMs: 130_000,
  text: (r) => renderPage(r) + (r.blockedRequests.length ? `\n\n[${r.blockedRequests.length} request(s) of the page blocked]` : ''),
  run: async (args, ctx) => {
    const { html, url, blocked, cappedAt } = await browserOf(ctx.state).html({
      url: args.url,
      waitFor: { selector: args.wait_for_selector, state: args.wait_until },
      scrolls: args.scroll,
      settleMs: args.settle_ms,
      timeoutMs: args.timeout_ms,
      viewport: { width: 1280, height: 900 },
      signal: ctx.signal,
    });
    return { url, ...(await pageResult(html, url, args)), ...(cappedAt ? { pageCappedAt: cappedAt } : {}), blockedRequests: blocked };
  },
});

export const takeScreenshot = tool({
  name: 'take_screenshot',
  toolset: 'browser',
  title: 'Screenshot a page',
  description:
    'Render a page in headless Chromium and return a PNG screenshot as image content: the viewport (default 1280x800), the full page (full_page: true, capped at 10 000 px high), or one element (selector). With save_as (a path inside SCRAPING_DOWNLOAD_DIR) the PNG is also saved there (never overwriting). Same SSRF guard and blocking as scrape_dynamic_page.',
  input: z.object({
    url: z.string().min(1).max(4000),
    full_page: z.boolean().default(false),
    selector: z.string().max(500).optional(),
    width: z.number().int().min(200).max(3840).default(1280),
    height: z.number().int().min(200).max(2160).default(800),
    save_as: z.string().max(1024).optional(),
    ...waitArgs,
  }),
  output: z.object({ url: z.string(), bytes: z.number(), width: z.number(), height: z.number(), savedTo: z.string().optional(), mimeType: z.literal('image/png') }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  timeoutMs: 130_000,
  run: async (args, ctx) => {
    if (args.save_as && !ctx.state.downloads) throw noDownloadDir();
    const shot = await browserOf(ctx.state).withPage(
      {
        url: args.url,
        waitFor: { selector: args.wait_for_selector ?? args.selector, state: args.wait_until },
        scrolls: args.scroll,
        settleMs: args.settle_ms,
        timeoutMs: args.timeout_ms,
        viewport: { width: args.width, height: args.height },
        signal: ctx.signal,
      },
      async (page) => {
        let png: Buffer;
        if (args.selector) {
          const el = await page.$(args.selector);
          if (!el) throw new ToolError(`selector matched nothing: ${args.selector}`, { code: 'not_found' });
          png = await el.screenshot({ type: 'png' });
        } else {
          const full = args.full_page ? await page.evaluate(() => document.documentElement.scrollHeight) : args.height;
          png = await page.screenshot({ type: 'png', fullPage: args.full_page, clip: { x: 0, y: 0, width: args.width, height: Math.min(full, 10_000) } });
        }
        return { png, url: page.url() };
      },
    );
    const width = shot.png.readUInt32BE(16);
    const height = shot.png.readUInt32BE(20);
    let savedTo: string | undefined;
    if (args.save_as) {
      const dir = ctx.state.downloads!;
      await dir.mkdir(dirname(args.save_as) === '.' ? dir.roots()[0] : dirname(args.save_as), { recursive: true });
      savedTo = (await dir.writeFile(args.save_as, shot.png, { overwrite: false })).path;
    }
    const meta = { url: shot.url, bytes: shot.png.length, width, height, mimeType: 'image/png' as const, ...(savedTo ? { savedTo } : {}) };
    return richResult(meta, {
      text: `Screenshot of ${shot.url}: ${width}x${height} PNG, ${shot.png.length} bytes${savedTo ? `, saved to ${savedTo}` : ''}`,
      content: [{ type: 'image', data: shot.png.toString('base64'), mimeType: 'image/png' }],
    });
  },
});

export const dynamicTools = [scrapeDynamicPage, takeScreenshot];
