import { toolsFor } from '@bizmcp/core';
import type { Backend } from './backend.js';

export interface DbConfig {
  url?: string;
  dataDir: string;
  allowWrite: boolean;
  allowDdl: boolean;
  sampleData: boolean;
  maxRows: number;
  maxBytes: number;
}

export interface DbState {
  config: DbConfig;
  /** The connection, opened on first use (PGlite starts opening in the background at start-up). */
  backend(): Promise<Backend>;
}

export const tool = toolsFor<DbState>();
