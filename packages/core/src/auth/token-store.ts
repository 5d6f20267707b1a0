// OAuth tokens on disk: one JSON file per server in the user's config directory, entries keyed by
// account (profile) name.
//
//   <config dir>/bizmcp/<server>/tokens.json      directory 0700, file 0600
//
// The config dir is $BIZMCP_CONFIG_DIR when set (it replaces `<config dir>/bizmcp`), otherwise
// $XDG_CONFIG_HOME or ~/.config on Linux and other Unixes, ~/Library/Application Support on macOS,
// %APPDATA% on Windows. On POSIX a token file that another user could read, or that belongs to
// another user, is refused with the chmod to run. Writes go to a temp file in the same directory
// (created with `wx`, fsynced) renamed over the old file, so a reader never sees half a file and
// two processes writing at once leave one of their versions (last write wins). Every token read
// or written is registered with the redaction layer, so it is masked in logs and results.
import { randomBytes } from 'node:crypto';
import { promises as fsp, constants as fsc } from 'node:fs';
import path from 'node:path';
import { ToolError } from '../errors.js';
import { bizmcpConfigDir } from '../places.js';
import { registerSecret } from '../redact.js';

export interface StoredToken {
  refreshToken: string;
  accessToken?: string;
  /** Epoch milliseconds at which `accessToken` expires (absent: unknown). */
  expiresAt?: number;
  scopes: string[];
  tokenUrl: string;
  clientId: string;
  /** Epoch milliseconds at which the refresh token was obtained (by the `auth` command or a rotation). */
  obtainedAt: number;
}

export interface TokenFile {
  version: 1;
  accounts: Record<string, StoredToken>;
}

export const DEFAULT_ACCOUNT = 'default';
const SERVER_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Where a server's token file lives. */
export function tokenFilePath(server: string, env: NodeJS.ProcessEnv = process.env): string {
  checkServerName(server);
  return path.join(bizmcpConfigDir({ env }), server, 'tokens.json');
}

function checkServerName(server: string): void {
  if (!SERVER_NAME.test(server)) throw new Error(`Invalid server name for the token store: ${JSON.stringify(server)}`);
}

export interface TokenStoreOptions {
  /** Server name without the `bizmcp-` prefix (e.g. `google-workspace`). */
  server: string;
  /** The token file (default: `tokenFilePath(server, env)`). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** The command that writes this store, named in errors (default `bizmcp-<server> auth`). */
  command?: string;
}

export class TokenStore {
  readonly server: string;
  readonly file: string;
  readonly command: string;
  private readonly posix = process.platform !== 'win32';

  constructor(opts: TokenStoreOptions) {
    checkServerName(opts.server);
    this.server = opts.server;
    this.file = opts.file ?? tokenFilePath(opts.server, opts.env);
    this.command = opts.command ?? `bizmcp-${opts.server} auth`;
  }

  get dir(): string {
    return path.dirname(this.file);
  }

  /** The whole file; an absent file is an empty store. Throws a ToolError on an unsafe or broken file. */
  async read(): Promise<TokenFile> {
    let handle: fsp.FileHandle;
    try {
      // O_NOFOLLOW: the token file itself is never a link to somewhere else.
      handle = await fsp.open(this.file, fsc.O_RDONLY | (this.posix ? fsc.O_NOFOLLOW : 0));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') return { version: 1, accounts: {} };
      if (err.code === 'ELOOP') throw this.unsafe('is a symbolic link', `replace it with a regular file by running \`${this.command}\` again`);
      throw new ToolError(`Cannot read the token file ${this.file}: ${err.code ?? err.message}`, { code: 'missing_credentials', cause: err });
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw this.unsafe('is not a regular file', `remove it and run \`${this.command}\` again`);
      if (this.posix) {
        const uid = process.getuid?.();
        if (uid !== undefined && st.uid !== uid) throw this.unsafe(`belongs to another user (uid ${st.uid})`, `remove it and run \`${this.command}\` again`);
        if ((st.mode & 0o077) !== 0) {
          const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
          throw this.unsafe(`can be read or changed by other users (mode ${mode})`, `run: chmod 600 ${shellQuote(this.file)}`);
        }
      }
      const text = await handle.readFile('utf8');
      const data = parseTokenFile(text);
      if (!data) {
        throw new ToolError(`The token file ${this.file} is not a valid bizmcp token file.`, {
          code: 'missing_credentials',
          hint: `Remove it and run \`${this.command}\` again.`,
        });
      }
      for (const t of Object.values(data.accounts)) registerToken(t);
      return data;
    } finally {
      await handle.close();
    }
  }

  async get(account = DEFAULT_ACCOUNT): Promise<StoredToken | undefined> {
    const data = await this.read();
    return Object.hasOwn(data.accounts, account) ? data.accounts[account] : undefined;
  }

  async accounts(): Promise<string[]> {
    return Object.keys((await this.read()).accounts).sort();
  }

  /** Replaces one account's entry (the other accounts are kept as they are on disk now). */
  async set(account: string, token: StoredToken): Promise<void> {
    checkAccount(account);
    registerToken(token);
    await this.modify((data) => {
      data.accounts[account] = token;
    });
  }

  /** Merges `patch` into an existing entry; returns the new entry (undefined when there was none). */
  async update(account: string, patch: Partial<StoredToken>): Promise<StoredToken | undefined> {
    checkAccount(account);
    let out: StoredToken | undefined;
    await this.modify((data) => {
      const cur = Object.hasOwn(data.accounts, account) ? data.accounts[account] : undefined;
      if (!cur) return false;
      out = { ...cur, ...patch };
      registerToken(out);
      data.accounts[account] = out;
    });
    return out;
  }

  /** Removes an account; true when it existed. */
  async delete(account = DEFAULT_ACCOUNT): Promise<boolean> {
    let existed = false;
    await this.modify((data) => {
      existed = Object.hasOwn(data.accounts, account);
      if (!existed) return false;
      delete data.accounts[account];
    });
    return existed;
  }

  /** Read, change, write atomically. `change` returning false skips the write. */
  private async modify(change: (data: TokenFile) => void | boolean): Promise<void> {
    const data = await this.read();
    if (change(data) === false) return;
    await this.writeAll(data);
  }

  /** Writes the whole file atomically (temp file with `wx` + fsync + rename). */
  async writeAll(data: TokenFile): Promise<void> {
    await this.ensureDir();
    const tmp = path.join(this.dir, `.tokens.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await fsp.open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(data, null, 2)}\n`, 'utf8');
      if (this.posix) await handle.chmod(0o600); // the umask may have narrowed it further; never wider
      await handle.sync();
    } catch (e) {
      await handle.close().catch(() => undefined);
      await fsp.rm(tmp, { force: true });
      throw e;
    }
    await handle.close();
    try {
      await fsp.rename(tmp, this.file);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
    if (this.posix) {
      // Make the rename itself durable.
      const dh = await fsp.open(this.dir, 'r').catch(() => undefined);
      if (dh)
        await dh
          .sync()
          .catch(() => undefined)
          .finally(() => dh.close());
    }
  }

  private async ensureDir(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    if (!this.posix) return;
    const st = await fsp.lstat(this.dir);
    if (!st.isDirectory()) throw new Error(`${this.dir} is not a directory`);
    // The server's own directory holds only tokens: keep it private even if it existed before.
    if ((st.mode & 0o077) !== 0) await fsp.chmod(this.dir, 0o700);
  }

  private unsafe(what: string, fix: string): ToolError {
    return new ToolError(`Refusing to use the token file ${this.file}: it ${what}.`, {
      code: 'missing_credentials',
      hint: `To fix it, ${fix}.`,
      details: { file: this.file },
    });
  }
}

/** Masks a token entry's secrets everywhere from now on. */
export function registerToken(t: Partial<StoredToken>): void {
  registerSecret(t.refreshToken);
  registerSecret(t.accessToken);
}

function checkAccount(account: string): void {
  if (typeof account !== 'string' || account.length === 0 || account.length > 200 || account === '__proto__') {
    throw new Error(`Invalid account name: ${JSON.stringify(account)}`);
  }
}

function parseTokenFile(text: string): TokenFile | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== 'object') return undefined;
  const accounts = (raw as { accounts?: unknown }).accounts;
  if (!accounts || typeof accounts !== 'object' || Array.isArray(accounts)) return undefined;
  const out: TokenFile = { version: 1, accounts: Object.create(null) };
  for (const [name, v] of Object.entries(accounts as Record<string, unknown>)) {
    const t = v as Partial<StoredToken>;
    if (!t || typeof t !== 'object' || typeof t.refreshToken !== 'string' || typeof t.tokenUrl !== 'string' || typeof t.clientId !== 'string') return undefined;
    out.accounts[name] = {
      refreshToken: t.refreshToken,
      ...(typeof t.accessToken === 'string' ? { accessToken: t.accessToken } : {}),
      ...(typeof t.expiresAt === 'number' ? { expiresAt: t.expiresAt } : {}),
      scopes: Array.isArray(t.scopes) ? t.scopes.filter((s): s is string => typeof s === 'string') : [],
      tokenUrl: t.tokenUrl,
      clientId: t.clientId,
      obtainedAt: typeof t.obtainedAt === 'number' ? t.obtainedAt : 0,
    };
  }
  return out;
}

function shellQuote(p: string): string {
  return /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}
