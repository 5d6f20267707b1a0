import type { Sandbox, SessionHandle, ToolContext } from '@bizmcp/core';
import { toolsFor } from '@bizmcp/core';

export interface FsConfig {
  roots: string[];
  maxReadBytes: number;
  maxMediaBytes: number;
  maxDocumentBytes: number;
  maxBinaryBytes: number;
}

export interface FsState {
  sandbox: Sandbox;
  config: FsConfig;
}

/** `tool({...})` bound to this server's state. */
export const tool = toolsFor<FsState>();

export type FsContext = Pick<ToolContext<FsState>, 'state' | 'session'>;

/** The sandbox as the calling session sees it: the configured roots narrowed by its client's roots. */
export const sandboxOf = (ctx: { state: FsState; session?: SessionHandle }): Sandbox => ctx.state.sandbox.forSession(ctx.session);
