import { ToolError, toolsFor, type Sandbox } from '@bizmcp/core';
import type { BrowserPool } from './browser.js';
import type { Fetcher, ScrapeConfig } from './fetcher.js';

export interface ScrapeState {
  config: ScrapeConfig;
  fetcher: Fetcher;
  /** The download directory, when SCRAPING_DOWNLOAD_DIR is set. */
  downloads?: Sandbox;
  browser?: BrowserPool;
}

export const tool = toolsFor<ScrapeState>();

export function browserOf(state: ScrapeState): BrowserPool {
  if (!state.browser) throw new ToolError('The browser is not available in this server', { code: 'unavailable' });
  return state.browser;
}
