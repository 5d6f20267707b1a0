// bizmcp-scraping: public web pages as markdown, structured data, downloads and site maps, through
// core's SSRF guard, honouring robots.txt.
import { defineServer, envInt, envString, readEnv, Sandbox } from '@bizmcp/core';
import { Fetcher, type ScrapeConfig } from './fetcher.js';
import type { ScrapeState } from './state.js';
import { BrowserPool } from './browser.js';
import { downloadFile } from './tools/download.js';
import { dynamicTools } from './tools/dynamic.js';
import { scrapeTools } from './tools/scrape.js';

const DEFAULT_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36 bizmcp-scraping/0.1';

const MB = 1024 * 1024;
const env = {
  SCRAPING_USER_AGENT: envString({ description: 'User-Agent header sent with every request.', default: DEFAULT_UA }),
  SCRAPING_DELAY_MS: envInt({ description: 'Minimum delay between two requests to the same host (politeness).', default: 500 }),
  SCRAPING_DOWNLOAD_DIR: envString({ description: 'Directory download_file writes into (inside it only). Without it, downloads are disabled.', example: '/Users/me/Downloads/agent' }),
  SCRAPING_MAX_PAGE_BYTES: envInt({ description: 'Largest page read (after decompression).', default: 10 * MB, min: 1024 }),
  SCRAPING_MAX_DOWNLOAD_BYTES: envInt({ description: 'Largest file download_file saves.', default: 50 * MB, min: 1 }),
  SCRAPING_TIMEOUT_MS: envInt({ description: "Timeout of one page fetch (never longer than what is left of the tool call's own timeout).", default: 30_000, min: 1 }),
  CHROMIUM_PATH: envString({
    description:
      'Chromium, Chrome or Edge executable for rendered pages and screenshots. Unset: the installed Chromium, Chrome or Edge where their installers put them (per platform); the error names every place tried.',
  }),
  SCRAPING_MAX_BROWSER_PAGES: envInt({ description: 'Rendered pages open at the same time.', default: 4, min: 1 }),
};

/** The server; `overrides` is a test seam (a resolver and allowed test networks for the guard). */
export function createScrapingServer(overrides: Partial<ScrapeConfig> = {}) {
  return defineServer<ScrapeConfig, ScrapeState>({
    name: 'scraping',
    version: '0.1.0',
    title: 'bizmcp scraping',
    description:
      'Scrape public web pages into markdown or text, extract structured data with CSS selectors, JSON-LD, OpenGraph and microdata, map and crawl sites, download files. robots.txt honoured; private addresses refused.',
    instructions: 'scrape_url for one page (main_content: true for articles), extract_structured_data for fields, map_site then crawl for several pages. Output is paged: follow nextStartIndex.',
    env,
    options: {
      'ignore-robots': { type: 'boolean', description: 'Do not read or honour robots.txt.' },
      'allow-private': { type: 'boolean', description: 'Allow private, loopback and link-local addresses (intranets). Off by default.' },
    },
    parseConfig: (args) => {
      const vars = readEnv(env, args.env);
      return {
        userAgent: vars.SCRAPING_USER_AGENT,
        robotsAgent: 'bizmcp-scraping',
        ignoreRobots: Boolean(args.flags['ignore-robots']),
        allowPrivate: Boolean(args.flags['allow-private']),
        delayMs: vars.SCRAPING_DELAY_MS,
        maxPageBytes: vars.SCRAPING_MAX_PAGE_BYTES,
        maxDownloadBytes: vars.SCRAPING_MAX_DOWNLOAD_BYTES,
        timeoutMs: vars.SCRAPING_TIMEOUT_MS,
        downloadDir: vars.SCRAPING_DOWNLOAD_DIR,
        chromiumPath: vars.CHROMIUM_PATH,
        maxBrowserPages: vars.SCRAPING_MAX_BROWSER_PAGES,
        ...overrides,
      };
    },
    toolsets: {
      pages: { description: 'Read pages as markdown or text, extract structured data, map and crawl sites.' },
      browser: { description: 'Render pages in headless Chromium (JavaScript sites) and take screenshots.' },
      downloads: { description: 'Save files from the web into the download directory.' },
    },
    tools: [...scrapeTools, ...dynamicTools, downloadFile],
    setup(config, rt) {
      const downloads = config.downloadDir ? Sandbox.fromConfig([config.downloadDir], 'SCRAPING_DOWNLOAD_DIR') : undefined;
      const fetcher = new Fetcher(config);
      // the browser starts at the first rendered page, not before
      const browser = new BrowserPool(fetcher, { executablePath: config.chromiumPath, maxPages: config.maxBrowserPages, log: rt.log, onEscape: config.onEscape });
      rt.onClose(() => Promise.allSettled([browser.close(), fetcher.guard.close()]));
      return { config, fetcher, downloads, browser };
    },
  });
}

export default createScrapingServer();
