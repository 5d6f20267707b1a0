import { toolsFor } from '@bizmcp/core';
import type { ApiClient, ApiConfig } from './api.js';
import type { OpenApi } from './openapi.js';

export interface HttpApiState {
  config: ApiConfig;
  client: ApiClient;
  openapi?: OpenApi;
}

export const tool = toolsFor<HttpApiState>();
