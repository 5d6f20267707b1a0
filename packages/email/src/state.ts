import type { Sandbox } from '@bizmcp/core';
import type { EmailConfig } from './config.js';
import type { Imap } from './imap.js';

export interface EmailState {
  config: EmailConfig;
  imap: Imap;
  /** The attachment directory (EMAIL_ATTACHMENT_DIR), when set. */
  files?: Sandbox;
}
