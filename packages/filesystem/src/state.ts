import type { Sandbox } from '@bizmcp/core';
import { toolsFor } from '@bizmcp/core';

export interface FsConfig {
  roots: string[];
  maxReadBytes: number;
  maxMediaBytes: number;
}

export interface FsState {
  sandbox: Sandbox;
  config: FsConfig;
}

/** `tool({...})` bound to this server's state. */
export const tool = toolsFor<FsState>();
