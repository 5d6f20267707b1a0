// The `auth` subcommand: the OAuth loopback flow for installed apps (RFC 8252) with PKCE (RFC 7636).
//
// A listener on 127.0.0.1 (random port) receives the browser's redirect to
// http://127.0.0.1:PORT/callback; the `state` it carries must be the one we sent (a callback with
// another state is refused and the flow keeps waiting); the code is exchanged with the
// code_verifier; the refresh token goes to the token store. Everything is written to stderr:
// stdout stays empty. When the browser runs on another machine (a container), the address it was
// redirected to can be pasted on stdin instead.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { ToolError, isToolError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { requestToken } from './oauth.js';
import { DEFAULT_ACCOUNT, TokenStore } from './token-store.js';

export interface AuthFlowOptions {
  /** Server name without the `bizmcp-` prefix. */
  server: string;
  account?: string;
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret?: string;
  scopes: string[];
  /** Added to the authorisation URL (e.g. Google's `access_type=offline`, `prompt=consent`). */
  extraParams?: Record<string, string>;
  /** Try to open the system browser on the URL (default false: the URL is only printed). */
  openBrowser?: boolean;
  /** One line of human text (default: written to stderr). Never receives a token. */
  log?: (line: string) => void;
  store?: TokenStore;
  /** How long to wait for the redirect (default 5 minutes). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Listen on this port (default 0: a random free port). */
  port?: number;
  /** Called with the authorisation URL once the listener is up (tests play the browser here). */
  onAuthorizeUrl?: (url: string) => void | Promise<void>;
  /** Also accept the redirected address pasted as a line on this stream (headless machines). */
  pasteInput?: NodeJS.ReadableStream;
  fetch?: typeof fetch;
  now?: () => number;
}

export interface AuthFlowResult {
  account: string;
  file: string;
  scopes: string[];
  expiresAt?: number;
}

const b64url = (b: Buffer) => b.toString('base64url');

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = b64url(randomBytes(32)); // 43 characters of the unreserved set
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  return { verifier, challenge };
}

export async function runAuthFlow(opts: AuthFlowOptions): Promise<AuthFlowResult> {
  // Loaded here, not at the top: this module is in every server's start-up bundle, and an ESM import
  // of node:http costs 30 ms there on Node 24 (its WebSocket exports load the built-in undici).
  const http = await import('node:http');
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const account = opts.account ?? DEFAULT_ACCOUNT;
  const store = opts.store ?? new TokenStore({ server: opts.server });
  const timeoutMs = opts.timeoutMs ?? 5 * 60_000;
  const now = opts.now ?? Date.now;
  const { verifier, challenge } = pkcePair();
  const state = b64url(randomBytes(16));
  registerSecret(verifier);
  registerSecret(opts.clientSecret);

  type Outcome = { code: string } | { error: unknown };
  let settle!: (o: Outcome) => void;
  const outcome = new Promise<Outcome>((resolve) => (settle = resolve));
  const accept = (params: URLSearchParams): { status: number; page?: string; final: boolean } => {
    if (params.get('state') !== state) {
      log('Ignored a redirect whose state does not match this sign-in (an old tab, or a forged request).');
      return { status: 400, page: page('Sign-in not accepted', 'This address does not belong to the sign-in in progress. Start again from the link printed in the terminal.'), final: false };
    }
    const error = params.get('error');
    if (error) {
      const desc = params.get('error_description');
      settle({
        error: new ToolError(`The authorisation server answered ${error}${desc ? `: ${desc.slice(0, 300)}` : ''}.`, {
          code: error === 'access_denied' ? 'access_denied' : 'remote_error',
          hint: error === 'access_denied' ? 'Access was not granted; run the command again and approve the request.' : undefined,
        }),
      });
      return { status: 200, final: true };
    }
    const code = params.get('code');
    if (!code) return { status: 400, page: page('Sign-in not accepted', 'The redirect carried no authorisation code.'), final: false };
    registerSecret(code);
    settle({ code });
    return { status: 200, final: true };
  };

  // The browser's answer to the final redirect waits for the exchange: it says how the flow ended.
  let finalPage: { ok: boolean; message: string } | undefined;
  const finalWaiters: Array<() => void> = [];
  const answered = (ok: boolean, message: string) => {
    finalPage = { ok, message };
    for (const w of finalWaiters.splice(0)) w();
  };
  const responses = new Set<Promise<void>>();

  const server = http.createServer((req, res) => {
    const done = new Promise<void>((resolve) => res.once('close', () => resolve()));
    responses.add(done);
    void done.then(() => responses.delete(done));
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/callback') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end('Not found');
      return;
    }
    const r = accept(url.searchParams);
    const send = () => {
      const ok = r.page ? false : finalPage?.ok === true;
      const html = r.page ?? page(ok ? 'Signed in' : 'Sign-in failed', finalPage?.message ?? 'The sign-in did not complete.');
      res.writeHead(r.page ? r.status : ok ? 200 : 400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' }).end(html);
    };
    if (!r.final || finalPage) send();
    else finalWaiters.push(send);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const redirectUri = `http://127.0.0.1:${port}/callback`;

  const auth = new URL(opts.authorizeUrl);
  const q = auth.searchParams;
  q.set('response_type', 'code');
  q.set('client_id', opts.clientId);
  q.set('redirect_uri', redirectUri);
  if (opts.scopes.length) q.set('scope', opts.scopes.join(' '));
  q.set('state', state);
  q.set('code_challenge', challenge);
  q.set('code_challenge_method', 'S256');
  for (const [k, v] of Object.entries(opts.extraParams ?? {})) q.set(k, v);
  const authorizeUrl = auth.toString();

  const timer = setTimeout(
    () =>
      settle({
        error: new ToolError(`No answer from the browser within ${Math.round(timeoutMs / 60_000) || 1} minute(s).`, {
          code: 'timeout',
          hint: 'Run the command again and complete the sign-in in the browser.',
        }),
      }),
    timeoutMs,
  );
  const onAbort = () => settle({ error: new ToolError('Sign-in cancelled.', { code: 'cancelled' }) });
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  let rl: ReturnType<typeof createInterface> | undefined;
  if (opts.pasteInput) {
    rl = createInterface({ input: opts.pasteInput, terminal: false });
    rl.on('line', (line) => {
      const text = line.trim();
      if (!text) return;
      let params: URLSearchParams;
      try {
        params = text.includes('://') ? new URL(text).searchParams : new URLSearchParams(text.replace(/^[?]/, ''));
      } catch {
        log('That is not an address; paste the whole address the browser was sent to.');
        return;
      }
      accept(params);
    });
  }

  log(`To authorise bizmcp-${opts.server}${account === DEFAULT_ACCOUNT ? '' : ` (account "${account}")`}, open this address in a browser:`);
  log('');
  log(`  ${authorizeUrl}`);
  log('');
  log(`Waiting for the browser to come back to ${redirectUri} (up to ${Math.round(timeoutMs / 60_000) || 1} minute(s)).`);
  if (opts.pasteInput) log(`If the browser runs on another machine, paste here the address it ends on (it starts with ${redirectUri}).`);
  if (opts.openBrowser) openInBrowser(authorizeUrl);

  // The browser (or the test playing it) runs alongside: its last request waits for our answer.
  const played = Promise.resolve()
    .then(() => opts.onAuthorizeUrl?.(authorizeUrl))
    .catch((e: unknown) => settle({ error: e }));
  try {
    const got = await outcome;
    if ('error' in got) {
      answered(false, isToolError(got.error) ? got.error.message : 'The sign-in could not be completed.');
      throw got.error;
    }
    let result: AuthFlowResult;
    try {
      const r = await requestToken(
        opts.tokenUrl,
        { grant_type: 'authorization_code', code: got.code, redirect_uri: redirectUri, code_verifier: verifier },
        {
          clientId: opts.clientId,
          clientSecret: opts.clientSecret,
          fetch: opts.fetch,
          signal: opts.signal,
          invalidGrant: (d) => new ToolError(`The token endpoint refused the authorisation code (invalid_grant${d ? `: ${d}` : ''}).`, { code: 'remote_error', hint: 'Run the command again.' }),
        },
      );
      if (typeof r.refresh_token !== 'string' || !r.refresh_token) {
        throw new ToolError('The token endpoint issued no refresh token, so the server could not keep working after this access token expires.', {
          code: 'remote_error',
          hint: 'For Google, ask for offline access (access_type=offline, prompt=consent); check that the OAuth client allows refresh tokens.',
        });
      }
      const scopes = typeof r.scope === 'string' ? r.scope.split(/\s+/).filter(Boolean) : opts.scopes;
      const obtainedAt = now();
      const expiresAt = typeof r.expires_in === 'number' && Number.isFinite(r.expires_in) ? obtainedAt + r.expires_in * 1000 : undefined;
      await store.set(account, {
        refreshToken: r.refresh_token,
        accessToken: r.access_token,
        ...(expiresAt !== undefined ? { expiresAt } : {}),
        scopes,
        tokenUrl: opts.tokenUrl,
        clientId: opts.clientId,
        obtainedAt,
      });
      result = { account, file: store.file, scopes, expiresAt };
    } catch (e) {
      answered(false, isToolError(e) ? e.message : 'The sign-in could not be completed.');
      throw e;
    }
    answered(true, `bizmcp-${opts.server} is authorised. You can close this tab.`);
    log(`Authorised. The refresh token is stored in ${store.file}.`);
    await played;
    return result;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    rl?.close();
    // Let a waiting browser get its page, then stop listening.
    for (const w of finalWaiters.splice(0)) w();
    const grace = () => new Promise((r) => setTimeout(r, 2000).unref());
    await Promise.race([Promise.all([...responses]), grace()]);
    await Promise.race([played, grace()]);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

function page(title: string, message: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>${esc(title)}</h1><p>${esc(message)}</p></body></html>`;
}

function openInBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['rundll32', ['url.dll,FileProtocolHandler', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    /* the printed address is enough */
  }
}

// ---------------------------------------------------------------------------------------------
// `bizmcp-<server> auth [login|status|logout] [--account NAME] [--browser|--no-browser] [--paste]`

export interface AuthCommandSpec {
  /** Server name without the `bizmcp-` prefix. */
  server: string;
  /**
   * The flow's settings for this server, from the environment and the flags `auth` does not know
   * itself (e.g. `--read-only` to ask for read-only scopes). Throw a ToolError (or an Error with a
   * clear message) when a setting such as the client id is missing.
   */
  flow(args: {
    account: string;
    argv: string[];
    env: NodeJS.ProcessEnv;
  }): Omit<AuthFlowOptions, 'server' | 'account' | 'log' | 'store'> | Promise<Omit<AuthFlowOptions, 'server' | 'account' | 'log' | 'store'>>;
}

export function isAuthCommand(argv: string[]): boolean {
  return argv[0] === 'auth';
}

/**
 * Runs `auth …` (argv without the program: `['auth', 'status']`). Writes only to stderr and
 * returns the exit code: 0 on success, 1 on failure (one line plus a hint, no stack), 2 on bad usage.
 */
export async function runAuthCommand(
  spec: AuthCommandSpec,
  argv: string[],
  io: { env?: NodeJS.ProcessEnv; stderr?: { write(s: string): unknown }; stdin?: NodeJS.ReadableStream; signal?: AbortSignal; onAuthorizeUrl?: (url: string) => void | Promise<void> } = {},
): Promise<number> {
  const env = io.env ?? process.env;
  const err = io.stderr ?? process.stderr;
  const say = (line: string) => err.write(`${line}\n`);
  const cmd = `bizmcp-${spec.server} auth`;
  const args = argv[0] === 'auth' ? argv.slice(1) : argv.slice();
  let action = 'login';
  if (args[0] && !args[0].startsWith('-')) action = args.shift() as string;
  let account = DEFAULT_ACCOUNT;
  let browser: boolean | undefined;
  let paste: boolean | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--account') account = args[++i] ?? '';
    else if (a.startsWith('--account=')) account = a.slice('--account='.length);
    else if (a === '--browser') browser = true;
    else if (a === '--no-browser') browser = false;
    else if (a === '--paste') paste = true;
    else if (a === '--help' || a === '-h') action = 'help';
    else rest.push(a);
  }
  if (!account) {
    say(`${cmd}: --account needs a name`);
    return 2;
  }
  const store = new TokenStore({ server: spec.server, env, command: cmd });
  try {
    switch (action) {
      case 'help':
        say(`Usage: ${cmd} [login|status|logout] [--account NAME] [--browser|--no-browser] [--paste]`);
        say('  login   sign in with the browser and store the refresh token (default)');
        say('  status  list the stored accounts, their scopes and dates (never the tokens)');
        say('  logout  forget the stored tokens of an account');
        say(`Tokens are kept in ${store.file} (set BIZMCP_CONFIG_DIR to move it).`);
        return 0;
      case 'status': {
        const data = await store.read();
        const names = Object.keys(data.accounts).sort();
        if (!names.length) say(`No stored authorisation in ${store.file}. Run \`${cmd}\`.`);
        for (const n of names) {
          const t = data.accounts[n];
          say(
            `${n}: authorised ${new Date(t.obtainedAt).toISOString()}, scopes: ${t.scopes.join(' ') || '(none recorded)'}${t.expiresAt ? `, access token valid until ${new Date(t.expiresAt).toISOString()}` : ''}`,
          );
        }
        return 0;
      }
      case 'logout': {
        const existed = await store.delete(account);
        say(existed ? `Forgot the tokens of account "${account}" (${store.file}).` : `No stored tokens for account "${account}".`);
        return 0;
      }
      case 'login': {
        const settings = await spec.flow({ account, argv: rest, env });
        const interactive = Boolean((process.stdin as { isTTY?: boolean }).isTTY);
        await runAuthFlow({
          ...settings,
          server: spec.server,
          account,
          store,
          log: say,
          openBrowser: browser ?? settings.openBrowser ?? false,
          pasteInput: paste || (paste === undefined && interactive) ? (io.stdin ?? process.stdin) : settings.pasteInput,
          signal: io.signal ?? settings.signal,
          onAuthorizeUrl: io.onAuthorizeUrl ?? settings.onAuthorizeUrl,
        });
        return 0;
      }
      default:
        say(`${cmd}: unknown action "${action}" (login, status, logout)`);
        return 2;
    }
  } catch (e) {
    if (isToolError(e)) {
      say(`${cmd}: ${e.message}`);
      if (e.hint) say(e.hint);
    } else say(`${cmd}: ${(e as Error)?.message ?? String(e)}`);
    return 1;
  }
}
