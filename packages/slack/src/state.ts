import { type Destinations, type Sandbox, toolsFor } from '@bizmcp/core';
import type { SlackApi } from './slack.js';

/** The server's settings, read from its env declaration in parseConfig. */
export interface SlackConfig {
  /** SLACK_USER_TOKEN or SLACK_BOT_TOKEN (the user token wins when both are set). */
  token?: string;
  /** The variable the token came from. */
  tokenVar?: 'SLACK_BOT_TOKEN' | 'SLACK_USER_TOKEN';
  /** SLACK_API_URL, ending with "/". */
  apiUrl: string;
  /** SLACK_ALLOWED_CHANNELS: where writes may go; undefined: writes are off. */
  channels?: Destinations;
  /** SLACK_ALLOW_BROADCAST: @channel, @here, @everyone are left as they are. */
  allowBroadcast: boolean;
  /** SLACK_ALLOW_EXTERNAL: writes may go to Slack Connect (externally shared) channels. */
  allowExternal: boolean;
  /** SLACK_FILE_ROOTS: directories upload_file reads from and download_file writes to. */
  fileRoots: string[];
  /** SLACK_MAX_FILE_BYTES. */
  maxFileBytes: number;
  /** SLACK_NAME_CACHE_SIZE: user and channel names kept in memory. */
  cacheSize: number;
}

export interface SlackState {
  config: SlackConfig;
  api: SlackApi;
  /** The upload/download sandbox; undefined when SLACK_FILE_ROOTS is unset. */
  files?: Sandbox;
}

/** `tool({...})` with this server's state type: each tool infers its types from its schemas. */
export const tool = toolsFor<SlackState>();
