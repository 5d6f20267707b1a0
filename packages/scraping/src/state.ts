import { toolsFor, type Sandbox } from '@bizmcp/core';
import type { Fetcher, ScrapeConfig } from './fetcher.js';

export interface ScrapeState {
  config: ScrapeConfig;
  fetcher: Fetcher;
  /** The download directory, when SCRAPING_DOWNLOAD_DIR is set. */
  downloads?: Sandbox;
}

export const tool = toolsFor<ScrapeState>();
