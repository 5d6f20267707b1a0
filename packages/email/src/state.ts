import type { Sandbox } from '@bizmcp/core';
import type { EmailConfig } from './config.js';
import type { Imap } from './imap.js';

export interface EmailState {
  config: EmailConfig;
  imap: Imap;
  /** The attachment directory (EMAIL_ATTACHMENT_DIR), when set. */
  files?: Sandbox;
  /** Sends whose outcome was unclear, by content fingerprint: the same message is not sent again
   *  without confirm_resend (also covers a call that core answered with a timeout meanwhile). */
  unclear: Map<string, { messageId: string; at: number }>;
}
