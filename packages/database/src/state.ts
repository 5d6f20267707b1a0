import { toolsFor, type ToolContext } from '@bizmcp/core';
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

/** The statement timeout of a call: what is left of its deadline, less a margin so the database
 *  stops the statement (and says so) just before the call itself would time out. */
export const statementTimeout = (ctx: Pick<ToolContext, 'remainingMs'>) => Math.max(1, ctx.remainingMs() - 200);
