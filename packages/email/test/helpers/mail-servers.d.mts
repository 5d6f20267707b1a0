// Types of mail-servers.mjs.
export declare const DOVECOT_BIN: string;
export interface TestUser {
  user: string;
  password: string;
}

export interface Dovecot {
  host: string;
  port: number;
  dir: string;
  logFile: string;
  /** The maildir root of a user (Maildir++ layout: INBOX at the top, folders as ".Name"). */
  maildir(user: string, mailbox?: string): string;
  /** Delivers one raw message into a user's mailbox the way an MDA does (tmp/ then new/). */
  deliver(user: string, raw: Buffer | string, mailbox?: string): string;
  /** Every raw message file in a user's mailbox (new/ and cur/). */
  messages(user: string, mailbox?: string): Buffer[];
  /** Message counts per mailbox folder for a user (from the files on disk). */
  counts(user: string): Record<string, number>;
  log(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The dovecot binary (default DOVECOT_BIN env or /usr/sbin/dovecot). */
  bin?: string;
  users: TestUser[];
  /** Called with the helper before dovecot starts: prefill mailboxes here (fast path). */
  prefill?(d: Pick<Dovecot, 'maildir' | 'deliver'> & { writeMany(user: string, raws: Iterable<Buffer | string>, opts?: { mailbox?: string; seen?: boolean }): number }): void;
}

export declare function freePort(): Promise<number>;
export declare function startDovecot(opts: StartOptions): Promise<Dovecot>;
export interface Delivery {
  from: string;
  to: string[];
  raw: Buffer;
}

export interface Smtp {
  port: number;
  deliveries: Delivery[];
  /** DATA commands whose body arrived (also counts bodies never answered in hang mode). */
  dataReceived: number;
  /** When true, accepted bodies are never answered (the client times out after DATA). */
  hang: boolean;
  close(): Promise<void>;
}

export declare function startSmtp(dovecot: Pick<Dovecot, 'deliver'> | undefined, users: (TestUser & { token?: string })[]): Promise<Smtp>;
