// OAuth plumbing: the token store on disk, access tokens refreshed in one place, the loopback PKCE
// flow of the `auth` subcommand and the JWT bearer grant, all against core's fake OAuth server.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  JwtBearerSession,
  OAuthSession,
  TokenStore,
  ToolError,
  bizmcpConfigDir,
  bizmcpCacheDir,
  bizmcpDataDir,
  createLogHub,
  runAuthCommand,
  runAuthFlow,
  signJwt,
  tokenFilePath,
  type AuthFlowOptions,
  type AuthFlowResult,
  type StoredToken,
} from '../src/index.js';
import { JWT_BEARER, startFakeOAuth, type FakeOAuth } from '../src/testing.js';

const posix = process.platform !== 'win32';
let dir: string;
let fake: FakeOAuth;

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'bizmcp-auth-'));
  fake = await startFakeOAuth();
});
afterEach(async () => {
  await fake.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

const storeIn = (d = dir) => new TokenStore({ server: 'test', env: { BIZMCP_CONFIG_DIR: d } });

/** A token entry as `auth` would leave it, from a refresh token the fake issued directly. */
async function seed(store: TokenStore, patch: Partial<StoredToken> = {}): Promise<StoredToken> {
  const t: StoredToken = {
    refreshToken: fake.issueRefreshToken({ scopes: ['read'] }),
    scopes: ['read'],
    tokenUrl: fake.tokenUrl,
    clientId: 'test-client',
    obtainedAt: Date.now(),
    ...patch,
  };
  await store.set('default', t);
  return t;
}

/** A fake API that answers 200 to a valid bearer token and 401 otherwise. */
async function startApi(): Promise<{ url: string; hits: number; close(): Promise<void> }> {
  const api = {
    url: '',
    hits: 0,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server = http.createServer((req, res) => {
    api.hits++;
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!fake.isValid(token)) res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return api;
}

async function callApi(url: string, token: string): Promise<unknown> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status });
  return res.json();
}

/** The loopback flow against the fake, with the test playing the browser in `onAuthorizeUrl`. */
function flowWith(extra: Partial<AuthFlowOptions> & Pick<AuthFlowOptions, 'onAuthorizeUrl'>): Promise<AuthFlowResult> {
  return runAuthFlow({
    server: 'test',
    authorizeUrl: fake.authorizeUrl,
    tokenUrl: fake.tokenUrl,
    clientId: 'test-client',
    scopes: ['read'],
    store: storeIn(),
    log: () => undefined,
    ...extra,
  });
}

describe('config directory', () => {
  it('follows BIZMCP_CONFIG_DIR, XDG, macOS and Windows conventions', () => {
    expect(bizmcpConfigDir({ env: { BIZMCP_CONFIG_DIR: '/x/y' }, platform: 'linux', home: '/home/u' })).toBe('/x/y');
    expect(bizmcpConfigDir({ env: { XDG_CONFIG_HOME: '/xdg' }, platform: 'linux', home: '/home/u' })).toBe('/xdg/bizmcp');
    expect(bizmcpConfigDir({ env: { XDG_CONFIG_HOME: 'relative' }, platform: 'linux', home: '/home/u' })).toBe('/home/u/.config/bizmcp');
    expect(bizmcpConfigDir({ env: {}, platform: 'darwin', home: '/Users/u' })).toBe('/Users/u/Library/Application Support/bizmcp');
    expect(bizmcpConfigDir({ env: { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, platform: 'win32', home: 'C:\\Users\\u' })).toBe('C:\\Users\\u\\AppData\\Roaming\\bizmcp');
    expect(bizmcpConfigDir({ env: {}, platform: 'win32', home: 'C:\\Users\\u' })).toBe('C:\\Users\\u\\AppData\\Roaming\\bizmcp');
    expect(bizmcpDataDir({ env: {}, platform: 'linux', home: '/home/u' })).toBe('/home/u/.local/share/bizmcp');
    expect(bizmcpDataDir({ env: { XDG_DATA_HOME: '/data' }, platform: 'linux', home: '/home/u' })).toBe('/data/bizmcp');
    expect(bizmcpDataDir({ env: {}, platform: 'darwin', home: '/Users/u' })).toBe('/Users/u/Library/Application Support/bizmcp');
    expect(bizmcpDataDir({ env: { LOCALAPPDATA: 'D:\\Local' }, platform: 'win32', home: 'C:\\Users\\u' })).toBe('D:\\Local\\bizmcp');
    expect(bizmcpDataDir({ env: {}, platform: 'win32', home: 'C:\\Users\\u' })).toBe('C:\\Users\\u\\AppData\\Local\\bizmcp');
    expect(bizmcpCacheDir({ env: {}, platform: 'linux', home: '/home/u' })).toBe('/home/u/.cache/bizmcp');
    expect(bizmcpCacheDir({ env: { XDG_CACHE_HOME: '/cache' }, platform: 'linux', home: '/home/u' })).toBe('/cache/bizmcp');
    expect(bizmcpCacheDir({ env: { XDG_CACHE_HOME: 'relative' }, platform: 'linux', home: '/home/u' })).toBe('/home/u/.cache/bizmcp');
    expect(bizmcpCacheDir({ env: {}, platform: 'darwin', home: '/Users/u' })).toBe('/Users/u/Library/Caches/bizmcp');
    expect(bizmcpCacheDir({ env: { LOCALAPPDATA: 'D:\\Local' }, platform: 'win32', home: 'C:\\Users\\u' })).toBe('D:\\Local\\bizmcp\\Cache');
    expect(tokenFilePath('google-workspace', { BIZMCP_CONFIG_DIR: '/c' })).toBe(path.join(path.resolve('/c'), 'google-workspace', 'tokens.json'));
    expect(() => tokenFilePath('../etc', { BIZMCP_CONFIG_DIR: '/c' })).toThrow(/Invalid server name/);
  });
});

describe('token store', () => {
  it.runIf(posix)('creates the directory 0700 and the file 0600, and refuses a file others can read', async () => {
    const store = storeIn();
    const old = process.umask(0o022);
    try {
      await seed(store);
    } finally {
      process.umask(old);
    }
    expect((await fsp.stat(store.dir)).mode & 0o777).toBe(0o700);
    expect((await fsp.stat(store.file)).mode & 0o777).toBe(0o600);
    expect((await store.get('default'))?.clientId).toBe('test-client');

    await fsp.chmod(store.file, 0o644);
    const err = await store.get('default').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).code).toBe('missing_credentials');
    expect((err as ToolError).message).toMatch(/mode 0644/);
    expect((err as ToolError).hint).toContain(`chmod 600 ${store.file}`);
    // A session on that file refuses too, with the same advice.
    const session = new OAuthSession({ server: 'test', store });
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'missing_credentials', hint: expect.stringContaining('chmod 600') });

    await fsp.chmod(store.file, 0o600);
    await expect(store.get('default')).resolves.toBeDefined();
    // A symbolic link in place of the file is refused as well.
    await fsp.rename(store.file, `${store.file}.real`);
    await fsp.symlink(`${store.file}.real`, store.file);
    await expect(store.get('default')).rejects.toThrow(/symbolic link/);
  });

  it('keeps the other accounts, updates and deletes', async () => {
    const store = storeIn();
    const a = await seed(store);
    await store.set('work', { ...a, refreshToken: 'rt-work-0000' });
    expect(await store.accounts()).toEqual(['default', 'work']);
    await store.update('work', { accessToken: 'at-work-0000', expiresAt: 5 });
    expect(await store.get('work')).toMatchObject({ refreshToken: 'rt-work-0000', accessToken: 'at-work-0000', expiresAt: 5 });
    expect(await store.update('nobody', { accessToken: 'x' })).toBeUndefined();
    expect(await store.delete('work')).toBe(true);
    expect(await store.accounts()).toEqual(['default']);
    await fsp.writeFile(store.file, '{not json', { mode: 0o600 });
    await expect(store.get()).rejects.toThrow(/not a valid bizmcp token file/);
  });

  it('two processes writing at once never leave a broken file', async () => {
    // Bundle the store (with its imports) into one module the child processes can load.
    // esbuild comes with tsup (the build tool), so no dependency is added for it.
    const esbuild = createRequire(createRequire(import.meta.url).resolve('tsup'))('esbuild') as { build(o: Record<string, unknown>): Promise<unknown> };
    const bundle = path.join(dir, 'store.mjs');
    await esbuild.build({ entryPoints: [path.join(import.meta.dirname, '../src/auth/token-store.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'silent' });
    const store = storeIn(path.join(dir, 'cfg'));
    const script = `
      const { TokenStore } = await import(${JSON.stringify(`file://${bundle}`)});
      const [cfg, who] = process.argv.slice(1);
      const store = new TokenStore({ server: 'test', env: { BIZMCP_CONFIG_DIR: cfg } });
      const end = Date.now() + 1500; let n = 0;
      while (Date.now() < end) {
        await store.set('default', { refreshToken: who + '-' + n, scopes: ['s'], tokenUrl: 'http://t', clientId: who, obtainedAt: n });
        await store.set(who, { refreshToken: who + '-' + n, scopes: [], tokenUrl: 'http://t', clientId: who, obtainedAt: n });
        n++;
      }
      process.stdout.write(String(n));`;
    const child = (who: string) =>
      new Promise<number>((resolve, reject) => {
        const c = spawn(process.execPath, ['--input-type=module', '-e', script, path.join(dir, 'cfg'), who], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        c.stdout.on('data', (d: Buffer) => (out += d));
        c.on('error', reject);
        c.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`writer ${who} exited with ${code}`))));
      });
    const running = Promise.all([child('alpha'), child('beta')]);
    // Meanwhile this process reads continuously: every read sees a whole, valid file.
    let reads = 0;
    let done = false;
    void running.finally(() => (done = true));
    while (!done) {
      const data = await store.read();
      if (data.accounts.default) expect(data.accounts.default.refreshToken).toMatch(/^(alpha|beta)-\d+$/);
      reads++;
    }
    const [na, nb] = await running;
    expect(na).toBeGreaterThan(5);
    expect(nb).toBeGreaterThan(5);
    expect(reads).toBeGreaterThan(5);
    const final = JSON.parse(await fsp.readFile(store.file, 'utf8'));
    expect(final.accounts.default.refreshToken).toMatch(/^(alpha|beta)-\d+$/);
    // No temp file left behind.
    expect((await fsp.readdir(store.dir)).filter((f) => f !== 'tokens.json')).toEqual([]);
  }, 30_000);
});

describe('OAuthSession', () => {
  it('uses the cached token and refreshes shortly before expiry', async () => {
    const store = storeIn();
    await seed(store);
    let clock = Date.now();
    const session = new OAuthSession({ server: 'test', store, now: () => clock });
    const first = await session.getAccessToken();
    expect(fake.tokenRequests('refresh_token')).toBe(1);
    expect(await session.getAccessToken()).toBe(first);
    clock += (3600 - 61) * 1000; // 61 s before expiry: still good
    expect(await session.getAccessToken()).toBe(first);
    expect(fake.tokenRequests('refresh_token')).toBe(1);
    clock += 2000; // 59 s before expiry: refreshed ahead of time
    const second = await session.getAccessToken();
    expect(second).not.toBe(first);
    expect(fake.tokenRequests('refresh_token')).toBe(2);
    // The fresh access token is saved, so another process starts with it and no refresh.
    expect((await store.get())?.accessToken).toBe(second);
    const other = new OAuthSession({ server: 'test', store, now: () => clock });
    expect(await other.getAccessToken()).toBe(second);
    expect(fake.tokenRequests('refresh_token')).toBe(2);
  });

  it('survives tokens expiring mid-session: a 401 leads to exactly one refresh', async () => {
    const store = storeIn();
    await seed(store);
    const api = await startApi();
    try {
      const session = new OAuthSession({ server: 'test', store });
      expect(await session.call((t) => callApi(api.url, t))).toEqual({ ok: true });
      expect(fake.tokenRequests()).toBe(1);

      fake.expireAll(); // the server forgets every token the client still thinks is good
      const stale = await session.getAccessToken();
      expect(fake.tokenRequests()).toBe(1);
      await expect(callApi(api.url, stale)).rejects.toMatchObject({ status: 401 });
      // Five callers saw the same 401: one refresh for all of them.
      expect([1, 2, 3, 4, 5].map(() => session.invalidate(stale))).toEqual([true, true, true, true, true]);
      const fresh = await Promise.all([1, 2, 3, 4, 5].map(() => session.getAccessToken()));
      expect(new Set(fresh).size).toBe(1);
      expect(fresh[0]).not.toBe(stale);
      expect(fake.tokenRequests()).toBe(2);
      expect(await callApi(api.url, fresh[0])).toEqual({ ok: true });
      session.confirm(fresh[0]); // it worked: a later 401 on it is an expiry, not a revocation

      // The same through call(): expire again, the wrapper refreshes once and retries.
      fake.expireAll();
      const before = api.hits;
      expect(await session.call((t) => callApi(api.url, t))).toEqual({ ok: true });
      expect(api.hits - before).toBe(2);
      expect(fake.tokenRequests()).toBe(3);
    } finally {
      await api.close();
    }
  });

  it('20 concurrent callers cause exactly one refresh request', async () => {
    const store = storeIn();
    await seed(store);
    const session = new OAuthSession({ server: 'test', store });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => session.getAccessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(fake.tokenRequests('refresh_token')).toBe(1);
    expect(fake.isValid(tokens[0])).toBe(true);
  });

  it('a caller that gives up does not cancel the refresh the others wait for', async () => {
    const store = storeIn();
    await seed(store);
    const session = new OAuthSession({ server: 'test', store });
    const ac = new AbortController();
    const quitter = session.getAccessToken({ signal: ac.signal });
    const stayer = session.getAccessToken();
    ac.abort();
    await expect(quitter).rejects.toMatchObject({ code: 'cancelled' });
    expect(fake.isValid(await stayer)).toBe(true);
    expect(fake.tokenRequests('refresh_token')).toBe(1);
  });

  it('persists a rotated refresh token', async () => {
    fake.rotateRefreshTokens = true;
    const store = storeIn();
    const { refreshToken: original } = await seed(store);
    const session = new OAuthSession({ server: 'test', store });
    await session.getAccessToken();
    const saved = await store.get();
    expect(saved?.refreshToken).toMatch(/^fake_rt_/);
    expect(saved?.refreshToken).not.toBe(original);
    // The old one is dead at the fake; a new process works from the file, with the rotated token.
    await store.update('default', { accessToken: undefined, expiresAt: undefined });
    const next = new OAuthSession({ server: 'test', store });
    expect(fake.isValid(await next.getAccessToken())).toBe(true);
    expect(fake.requests.filter((r) => r.grantType === 'refresh_token').map((r) => r.status)).toEqual([200, 200]);
  });

  it('a revoked refresh token is one missing_credentials error naming the auth command', async () => {
    const store = storeIn();
    const { refreshToken } = await seed(store);
    fake.revoke(refreshToken);
    const session = new OAuthSession({ server: 'test', store });
    const err = (await session.getAccessToken().catch((e: unknown) => e)) as ToolError;
    expect(err).toBeInstanceOf(ToolError);
    expect(err.code).toBe('missing_credentials');
    expect(err.message).toMatch(/revoked or has expired/);
    expect(err.hint).toContain('bizmcp-test auth');
    // No stored account at all: the same code and command.
    const none = new OAuthSession({ server: 'test', store, account: 'work' });
    await expect(none.getAccessToken()).rejects.toMatchObject({ code: 'missing_credentials', hint: expect.stringContaining('bizmcp-test auth --account work') });
  });

  it('a second 401 right after a refresh means revoked (no refresh loop)', async () => {
    const store = storeIn();
    await seed(store);
    const session = new OAuthSession({ server: 'test', store });
    let calls = 0;
    const alwaysUnauthorized = async () => {
      calls++;
      throw Object.assign(new Error('401'), { status: 401 });
    };
    const err = (await session.call(alwaysUnauthorized).catch((e: unknown) => e)) as ToolError;
    expect(err.code).toBe('missing_credentials');
    expect(err.hint).toContain('bizmcp-test auth');
    expect(calls).toBe(2);
    expect(fake.tokenRequests('refresh_token')).toBe(2);
    // Once reported, a later call tries again (the user may have run auth meanwhile).
    expect(fake.isValid(await session.getAccessToken())).toBe(true);
  });

  it('network failure is unavailable; an injected 503 too', async () => {
    const store = storeIn();
    await seed(store, { tokenUrl: 'http://127.0.0.1:9/token' });
    const session = new OAuthSession({ server: 'test', store, timeoutMs: 3000 });
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'unavailable' });
    fake.failNext(1, 503, 'temporarily_unavailable');
    const viaFake = new OAuthSession({ server: 'test', store, tokenUrl: fake.tokenUrl });
    await expect(viaFake.getAccessToken()).rejects.toMatchObject({ code: 'unavailable' });
    expect(fake.isValid(await viaFake.getAccessToken())).toBe(true);
  });
});

describe('loopback PKCE flow', () => {
  it('runs end to end against the fake: wrong state refused, code exchanged with the verifier, token stored', async () => {
    const store = storeIn();
    const lines: string[] = [];
    let wrongState = 0;
    let page = '';
    const result = await runAuthFlow({
      server: 'test',
      authorizeUrl: fake.authorizeUrl,
      tokenUrl: fake.tokenUrl,
      clientId: 'test-client',
      scopes: ['read', 'write'],
      extraParams: { access_type: 'offline' },
      store,
      log: (l) => lines.push(l),
      timeoutMs: 10_000,
      onAuthorizeUrl: async (url) => {
        // Play the browser: the fake approves and redirects to the loopback callback.
        const r = await fetch(url, { redirect: 'manual' });
        expect(r.status).toBe(302);
        const back = new URL(r.headers.get('location') ?? '');
        expect(back.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(back.pathname).toBe('/callback');
        // A forged redirect (another state) is refused and the flow keeps waiting.
        const forged = new URL(back);
        forged.searchParams.set('state', 'not-the-state');
        const f = await fetch(forged);
        wrongState = f.status;
        await f.text();
        const ok = await fetch(back);
        expect(ok.status).toBe(200);
        page = await ok.text();
      },
    });
    expect(wrongState).toBe(400);
    expect(page).toContain('Signed in');
    expect(result.scopes).toEqual(['read', 'write']);
    const saved = await store.get();
    expect(saved).toMatchObject({ clientId: 'test-client', tokenUrl: fake.tokenUrl, scopes: ['read', 'write'] });
    expect(saved?.refreshToken).toMatch(/^fake_rt_/);
    expect(fake.isValid(saved?.accessToken)).toBe(true);
    expect(fake.requests.find((r) => r.grantType === 'authorization_code')?.status).toBe(200);
    // What the user saw: the URL with PKCE and the loopback redirect, on the log (stderr), no token.
    const text = lines.join('\n');
    expect(text).toMatch(/code_challenge_method=S256/);
    expect(text).toMatch(/redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fcallback/);
    expect(text).toMatch(/access_type=offline/);
    expect(text).not.toContain(saved!.refreshToken);
    expect(text).not.toContain(saved!.accessToken!);
    // The session picks the stored token up without a refresh.
    const session = new OAuthSession({ server: 'test', store });
    expect(await session.getAccessToken()).toBe(saved?.accessToken);
    expect(fake.tokenRequests('refresh_token')).toBe(0);
  });

  it('the fake checks the code_verifier against the challenge', async () => {
    // Authorise by hand with a known challenge, then try a wrong verifier and the right one.
    const { pkcePair } = await import('../src/auth/flow.js');
    const { verifier, challenge } = pkcePair();
    const redirect = 'http://127.0.0.1:1/callback';
    const q = new URLSearchParams({ response_type: 'code', client_id: 'test-client', redirect_uri: redirect, state: 's1', code_challenge: challenge, code_challenge_method: 'S256' });
    const code = async () => new URL((await fetch(`${fake.authorizeUrl}?${q}`, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!;
    const post = async (params: Record<string, string>) => {
      const r = await fetch(fake.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });
      return { status: r.status, body: (await r.json()) as Record<string, string> };
    };
    const base = { grant_type: 'authorization_code', client_id: 'test-client', redirect_uri: redirect };
    const wrong = await post({ ...base, code: await code(), code_verifier: pkcePair().verifier });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const right = await post({ ...base, code: await code(), code_verifier: verifier });
    expect(right.status).toBe(200);
    expect(right.body.refresh_token).toMatch(/^fake_rt_/);
    // Plain (non-S256) PKCE and non-loopback redirects are refused at /authorize.
    const plain = new URLSearchParams(q);
    plain.set('code_challenge_method', 'plain');
    expect(new URL((await fetch(`${fake.authorizeUrl}?${plain}`, { redirect: 'manual' })).headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    const remote = new URLSearchParams(q);
    remote.set('redirect_uri', 'http://evil.example/callback');
    expect((await fetch(`${fake.authorizeUrl}?${remote}`, { redirect: 'manual' })).status).toBe(400);
    // A JSON body is not what RFC 6749 says: refused.
    const asJson = await fetch(fake.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(base) });
    expect(asJson.status).toBe(400);
  });

  it('a denied request is reported, and the browser told', async () => {
    fake.deny = true;
    let page = '';
    const err = (await flowWith({
      onAuthorizeUrl: async (url) => {
        const r = await fetch(url);
        page = await r.text();
      },
    }).catch((e: unknown) => e)) as ToolError;
    expect(err.code).toBe('access_denied');
    expect(page).toContain('Sign-in failed');
    expect(await storeIn().get()).toBeUndefined();
  });

  it('accepts the redirected address pasted on stdin (headless)', async () => {
    const input = new PassThrough();
    const result = flowWith({
      pasteInput: input,
      onAuthorizeUrl: async (url) => {
        const r = await fetch(url, { redirect: 'manual' });
        input.write(`${r.headers.get('location')}\n`);
      },
    });
    await expect(result).resolves.toMatchObject({ account: 'default', scopes: ['read'] });
  });

  it('runAuthCommand: login, status and logout write only to stderr', async () => {
    const env = { BIZMCP_CONFIG_DIR: dir };
    const err: string[] = [];
    const stdoutWrite = process.stdout.write;
    let stdout = '';
    process.stdout.write = ((s: string) => ((stdout += s), true)) as typeof process.stdout.write;
    try {
      const spec = {
        server: 'test',
        flow: ({ argv }: { argv: string[] }) => ({
          authorizeUrl: fake.authorizeUrl,
          tokenUrl: fake.tokenUrl,
          clientId: 'test-client',
          scopes: argv.includes('--read-only') ? ['read'] : ['read', 'write'],
        }),
      };
      const io = { env, stderr: { write: (s: string) => err.push(s) }, onAuthorizeUrl: async (url: string) => void (await (await fetch(url)).text()) };
      expect(await runAuthCommand(spec, ['auth', '--account', 'work', '--read-only', '--no-browser'], io)).toBe(0);
      expect((await storeIn().get('work'))?.scopes).toEqual(['read']);
      expect(await runAuthCommand(spec, ['auth', 'status'], io)).toBe(0);
      expect(err.join('')).toMatch(/work: authorised .*scopes: read/);
      expect(await runAuthCommand(spec, ['auth', 'logout', '--account', 'work'], io)).toBe(0);
      expect(await storeIn().get('work')).toBeUndefined();
      expect(await runAuthCommand(spec, ['auth', 'frobnicate'], io)).toBe(2);
    } finally {
      process.stdout.write = stdoutWrite;
    }
    expect(stdout).toBe('');
  });
});

describe('JWT bearer grant', () => {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  let jwtFake: FakeOAuth;
  beforeAll(async () => {
    jwtFake = await startFakeOAuth({ jwtIssuers: [{ issuer: 'robot@example.iam', publicKey: keys.publicKey, subjects: ['alice@example.com'] }] });
  });
  afterAll(() => jwtFake.close());

  it('is accepted by the fake, cached, and shared by concurrent callers', async () => {
    const session = new JwtBearerSession({ tokenUrl: jwtFake.tokenUrl, issuer: 'robot@example.iam', subject: 'alice@example.com', scopes: ['drive.readonly'], privateKey: keys.privateKey });
    const before = jwtFake.tokenRequests(JWT_BEARER);
    const tokens = await Promise.all(Array.from({ length: 10 }, () => session.getAccessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(jwtFake.tokenRequests(JWT_BEARER) - before).toBe(1);
    expect(jwtFake.tokenInfo(tokens[0])).toMatchObject({ subject: 'alice@example.com', scopes: ['drive.readonly'] });
    expect(jwtFake.isValid(tokens[0])).toBe(true);
    // After a 401 the next call signs a new assertion.
    jwtFake.expireAll();
    expect(session.invalidate(tokens[0])).toBe(true);
    const next = await session.getAccessToken();
    expect(jwtFake.isValid(next)).toBe(true);
    expect(jwtFake.tokenRequests(JWT_BEARER) - before).toBe(2);
  });

  it('a signature from another key, a tampered payload or a wrong subject is refused', async () => {
    const wrongKey = new JwtBearerSession({
      tokenUrl: jwtFake.tokenUrl,
      issuer: 'robot@example.iam',
      subject: 'alice@example.com',
      privateKey: other.privateKey,
      invalidGrantHint: 'Check GOOGLE_APPLICATION_CREDENTIALS.',
    });
    await expect(wrongKey.getAccessToken()).rejects.toMatchObject({
      code: 'missing_credentials',
      message: expect.stringMatching(/Invalid JWT signature/),
      hint: 'Check GOOGLE_APPLICATION_CREDENTIALS.',
    });
    const wrongSubject = new JwtBearerSession({ tokenUrl: jwtFake.tokenUrl, issuer: 'robot@example.iam', subject: 'mallory@example.com', privateKey: keys.privateKey });
    await expect(wrongSubject.getAccessToken()).rejects.toMatchObject({ code: 'missing_credentials' });

    // A valid assertion whose payload is changed after signing.
    const now = Math.floor(Date.now() / 1000);
    const good = signJwt({ iss: 'robot@example.iam', sub: 'alice@example.com', aud: jwtFake.tokenUrl, iat: now, exp: now + 600 }, keys.privateKey);
    const [h, , s] = good.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ iss: 'robot@example.iam', sub: 'alice@example.com', aud: jwtFake.tokenUrl, iat: now, exp: now + 600, scope: 'admin' })).toString('base64url')}.${s}`;
    const post = async (assertion: string) => {
      const r = await fetch(jwtFake.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }) });
      return { status: r.status, body: (await r.json()) as Record<string, string> };
    };
    expect((await post(good)).status).toBe(200);
    expect(await post(forged)).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT signature.' } });
    // Wrong audience and an expired assertion, correctly signed.
    expect((await post(signJwt({ iss: 'robot@example.iam', sub: 'alice@example.com', aud: 'https://elsewhere/token', iat: now, exp: now + 600 }, keys.privateKey))).body.error).toBe('invalid_grant');
    expect((await post(signJwt({ iss: 'robot@example.iam', sub: 'alice@example.com', aud: jwtFake.tokenUrl, iat: now - 7200, exp: now - 3600 }, keys.privateKey))).body.error).toBe('invalid_grant');
  });

  it('without expires_in (Salesforce) the token is kept until invalidated', async () => {
    const sf = await startFakeOAuth({ omitJwtExpiresIn: true, jwtIssuers: [{ issuer: 'connected-app-id', publicKey: keys.publicKey, audience: ['https://login.example.com'] }] });
    try {
      const session = new JwtBearerSession({ tokenUrl: sf.tokenUrl, issuer: 'connected-app-id', subject: 'user@example.com', audience: 'https://login.example.com', privateKey: keys.privateKey });
      const t = await session.getToken();
      expect(t.expiresAt).toBeUndefined();
      expect(await session.getAccessToken()).toBe(t.accessToken);
      expect(sf.tokenRequests(JWT_BEARER)).toBe(1);
    } finally {
      await sf.close();
    }
  });
});

describe('secrets stay out of logs', () => {
  it('tokens obtained by the flow and the sessions are masked in captured log output', async () => {
    const captured: string[] = [];
    const hub = createLogHub({ name: 'auth-test', level: 'debug', stream: { write: (s: string) => captured.push(s) } });
    const flowLines: string[] = [];
    const store = storeIn();
    await flowWith({ store, log: (l) => flowLines.push(l), onAuthorizeUrl: async (url) => void (await (await fetch(url)).text()) });
    fake.rotateRefreshTokens = true;
    const session = new OAuthSession({ server: 'test', store, logger: hub.logger });
    session.invalidate((await store.get())!.accessToken);
    const access = await session.getAccessToken();
    const saved = (await store.get())!;
    const secrets = [access, saved.refreshToken, fake.requests.length ? saved.accessToken! : ''];
    // A careless log line: the token in the message, in a field, in a URL, in an error.
    hub.logger.info({ upstream: { headers: { Authorization: `Bearer ${access}` } }, note: `refresh=${saved.refreshToken}` }, `got ${access}`);
    hub.logger.error({ err: new Error(`request failed with ${saved.refreshToken}`) }, 'oops');
    hub.logger.debug({ url: `https://api.example/x?access_token=${access}` }, 'call');
    const all = captured.join('') + flowLines.join('\n');
    expect(captured.length).toBeGreaterThan(3);
    for (const s of secrets) expect(all).not.toContain(s);
    expect(captured.join('')).toContain('[REDACTED]');
    expect(captured.join('')).toContain('access token obtained');
  });
});
