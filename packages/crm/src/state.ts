import { toolsFor } from '@bizmcp/core';
import type { CrmConfig } from './config.js';
import type { CrmProvider } from './provider.js';

export type { CrmConfig } from './config.js';

export interface CrmState {
  config: CrmConfig;
  /** The configured CRM behind the one interface the tools call (its SDK loads at the first call). */
  crm: CrmProvider;
  /** Records this server created by natural key ("companies:<domain>"): HubSpot's search index lags
   *  a few seconds behind writes, so a quick repeat of an upsert finds its record here. */
  recent: Map<string, string>;
}

/** `tool({...})` with this server's state type: each tool infers its types from its schemas. */
export const tool = toolsFor<CrmState>();
