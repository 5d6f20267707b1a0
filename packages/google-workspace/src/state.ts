import { type Sandbox, toolsFor } from '@bizmcp/core';
import type { GoogleConfig } from './config.js';
import type { Google } from './google.js';

export type GoogleWorkspaceConfig = GoogleConfig;

export interface GoogleWorkspaceState {
  config: GoogleConfig;
  google: Google;
  /** GOOGLE_FILE_ROOTS, when set. */
  files?: Sandbox;
}

/** `tool({...})` with this server's state type: each tool infers its types from its schemas. */
export const tool = toolsFor<GoogleWorkspaceState>();
