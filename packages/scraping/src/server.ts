// bizmcp-scraping: public web pages as markdown, structured data, downloads and site maps, through
// core's SSRF guard, honouring robots.txt.
import { defineServer, envNumber, Sandbox } from '@bizmcp/core';
import { Fetcher, type ScrapeConfig } from './fetcher.js';
import type { ScrapeState } from './state.js';
import { BrowserPool } from './browser.js';
import { downloadFile } from './tools/download.js';
import { dynamicTools } from './tools/dynamic.js';
import { scrapeTools } from './tools/scrape.js';

const DEFAULT_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36 bizmcp-scraping/0.1';

const num = (env: NodeJS.ProcessEnv, name: string, dflt: number, min = 0) => envNumber(env, name, dflt, { min });

/** The server; `overrides` is a test seam (a resolver and allowed test networks for the guard). */
export function createScrapingServer(overrides: Partial<ScrapeConfig> = {}) {
  return defineServer<ScrapeConfig, ScrapeState>({
    name: 'scraping',
    version: '0.1.0',
    title: 'bizmcp scraping',
    description: 'Scrape public web pages into markdown or text, extract structured data with CSS selectors, JSON-LD, OpenGraph and microdata, map and crawl sites, download files. robots.txt honoured; private addresses refused.',
    instructions: 'scrape_url for one page (main_content: true for articles), extract_structured_data for fields, map_site then crawl for several pages. Output is paged: follow nextStartIndex.',
    env: {
      SCRAPING_USER_AGENT: { description: 'User-Agent header sent with every request.', default: DEFAULT_UA },
      SCRAPING_DELAY_MS: { description: 'Minimum delay between two requests to the same host (politeness).', default: '500' },
      SCRAPING_DOWNLOAD_DIR: { description: 'Directory download_file writes into (inside it only). Without it, downloads are disabled.', example: '/Users/me/Downloads/agent' },
      SCRAPING_MAX_PAGE_BYTES: { description: 'Largest page read (after decompression).', default: String(10 * 1024 * 1024) },
      SCRAPING_MAX_DOWNLOAD_BYTES: { description: 'Largest file download_file saves.', default: String(50 * 1024 * 1024) },
      SCRAPING_TIMEOUT_MS: { description: 'Timeout of one page fetch.', default: '30000' },
      CHROMIUM_PATH: { description: 'Chromium executable for rendered pages and screenshots (Debian: apt-get install chromium).', default: '/usr/bin/chromium' },
      SCRAPING_MAX_BROWSER_PAGES: { description: 'Rendered pages open at the same time.', default: '4' },
    },
    options: {
      'ignore-robots': { type: 'boolean', description: 'Do not read or honour robots.txt.' },
      'allow-private': { type: 'boolean', description: 'Allow private, loopback and link-local addresses (intranets). Off by default.' },
    },
    parseConfig: (args) => ({
      userAgent: args.env.SCRAPING_USER_AGENT || DEFAULT_UA,
      robotsAgent: 'bizmcp-scraping',
      ignoreRobots: Boolean(args.flags['ignore-robots']),
      allowPrivate: Boolean(args.flags['allow-private']),
      delayMs: num(args.env, 'SCRAPING_DELAY_MS', 500),
      maxPageBytes: num(args.env, 'SCRAPING_MAX_PAGE_BYTES', 10 * 1024 * 1024, 1024),
      maxDownloadBytes: num(args.env, 'SCRAPING_MAX_DOWNLOAD_BYTES', 50 * 1024 * 1024, 1),
      timeoutMs: num(args.env, 'SCRAPING_TIMEOUT_MS', 30_000, 1),
      downloadDir: args.env.SCRAPING_DOWNLOAD_DIR || undefined,
      chromiumPath: args.env.CHROMIUM_PATH || '/usr/bin/chromium',
      maxBrowserPages: num(args.env, 'SCRAPING_MAX_BROWSER_PAGES', 4, 1),
      ...overrides,
    }),
    tools: [...scrapeTools, ...dynamicTools, downloadFile],
    setup(config, rt) {
      const downloads = config.downloadDir ? Sandbox.fromConfig([config.downloadDir], 'SCRAPING_DOWNLOAD_DIR') : undefined;
      const fetcher = new Fetcher(config);
      // the browser starts at the first rendered page, not before
      const browser = new BrowserPool(fetcher, { executablePath: config.chromiumPath, maxPages: config.maxBrowserPages, log: rt.log, onEscape: config.onEscape });
      return { config, fetcher, downloads, browser };
    },
    close: async (state) => {
      await Promise.allSettled([state.browser?.close(), state.fetcher.guard.close()]);
    },
  });
}

export default createScrapingServer();
