// Credentials against the fake token endpoint: the stored authorisation refreshed before expiry
// and on a 401 mid-session, a revoked grant, the `auth` command (loopback + PKCE, headless paste,
// read-only scopes), the service account with delegation (subject honoured and shown, a refused
// subject an error with nothing read), application default credentials, and no credentials.
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runAuthCommand, TokenStore } from '@bizmcp/core';
import { textOf } from '@bizmcp/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import server from '../src/server.js';
import { CLIENT, DELEGATED, type FakeGoogle, oauthEnv, SA_EMAIL, seedSheet, startFakeGoogle } from './fake-google.js';
import { connect, storeToken, tempDir } from './helpers.js';

let g: FakeGoogle;
let sheet: string;
const read = (c: Awaited<ReturnType<typeof connect>>) => c.call('sheets_read_range', { spreadsheet_id: sheet, range: 'Data!A1:B2' });

beforeAll(async () => {
  g = await startFakeGoogle();
  sheet = seedSheet(g, 'T', [['a', 'b']]);
});
afterEach(() => {
  g.assertNoViolations();
  g.oauth.accessTokenTtlSec = 3600;
  g.reset();
  g.oauth.requests.length = 0;
});
afterAll(async () => g.close());

describe('stored authorisation (OAuth refresh token)', () => {
  it('loads no Google client until its API is called, then only that one', async () => {
    const dir = tempDir();
    await storeToken(g, dir);
    const c = await connect(g, dir);
    expect([...c.server.state.google.loaded]).toEqual([]);
    expect(g.oauth.tokenRequests()).toBe(0); // start-up calls nothing, not even the token endpoint
    expect((await read(c)).isError).toBeFalsy();
    expect([...c.server.state.google.loaded]).toEqual(['sheets']);
    await c.close();
  });

  it('refreshes before expiry: a token about to expire is never sent', async () => {
    const dir = tempDir();
    await storeToken(g, dir);
    const c = await connect(g, dir);
    g.oauth.accessTokenTtlSec = 30; // inside the 60 s refresh margin
    for (let i = 0; i < 3; i++) expect((await read(c)).isError).toBeFalsy();
    expect(g.oauth.tokenRequests('refresh_token')).toBe(3);
    expect(g.calls.every((x) => x.status === 200)).toBe(true);
    await c.close();
  });

  it('refreshes on a 401 mid-session and persists the new access token', async () => {
    const dir = tempDir();
    await storeToken(g, dir);
    const c = await connect(g, dir);
    expect((await read(c)).isError).toBeFalsy();
    g.oauth.expireAll(); // the server still believes its token is good for an hour
    const r = await read(c);
    expect(r.isError).toBeFalsy();
    expect(g.calls.map((x) => x.status)).toEqual([200, 401, 200]);
    expect(g.oauth.tokenRequests('refresh_token')).toBe(2);
    const stored = await new TokenStore({ server: 'google-workspace', env: { BIZMCP_CONFIG_DIR: dir } }).get();
    expect(g.oauth.isValid(stored?.accessToken)).toBe(true);
    await c.close();
  });

  it('a revoked refresh token is one clear error naming the command', async () => {
    const dir = tempDir();
    const rt = await storeToken(g, dir);
    const c = await connect(g, dir);
    expect((await read(c)).isError).toBeFalsy();
    g.oauth.revoke(rt);
    const r = await read(c);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/revoked or has expired/);
    expect(textOf(r)).toContain('bizmcp-google-workspace auth');
    expect(g.oauth.tokenRequests('refresh_token')).toBe(2); // no loop
    await c.close();
  });

  it('a read-only authorisation: write tools are refused before anything is sent', async () => {
    const dir = tempDir();
    await storeToken(g, dir, ['https://www.googleapis.com/auth/spreadsheets.readonly']);
    const c = await connect(g, dir);
    expect((await read(c)).isError).toBeFalsy();
    const w = await c.call('sheets_write_range', { spreadsheet_id: sheet, range: 'Data!A1', values: [['x']] });
    expect(w.isError).toBe(true);
    expect(textOf(w)).toMatch(/does not include the scope https:\/\/www.googleapis.com\/auth\/spreadsheets\b/);
    expect(g.ops()).toEqual(['sheets.spreadsheets.values.get']);
    await c.close();
  });
});

/** Plays the browser: follows /authorize and returns the loopback address it redirects to. */
async function consent(url: string): Promise<string> {
  const r = await fetch(url, { redirect: 'manual' });
  return r.headers.get('location') ?? '';
}

describe('the auth command', () => {
  const run = async (argv: string[], dir: string, io: { onAuthorizeUrl?: (u: string) => Promise<void>; stdin?: NodeJS.ReadableStream } = {}) => {
    let err = '';
    const code = await runAuthCommand({ server: 'google-workspace', flow: server.auth! }, ['auth', ...argv], { env: { ...oauthEnv(g, dir) }, stderr: { write: (s: string) => (err += s) }, ...io });
    return { code, err };
  };

  it('loopback flow with PKCE stores a refresh token for the enabled toolsets’ scopes', async () => {
    const dir = tempDir();
    let asked = '';
    const { code, err } = await run(['--toolsets', 'sheets,calendar'], dir, {
      onAuthorizeUrl: async (u) => {
        asked = u;
        await fetch(await consent(u));
      },
    });
    expect(code, err).toBe(0);
    const q = new URL(asked).searchParams;
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('access_type')).toBe('offline');
    expect(q.get('scope')?.split(' ').sort()).toEqual(['https://www.googleapis.com/auth/calendar', 'https://www.googleapis.com/auth/spreadsheets']);
    const stored = await new TokenStore({ server: 'google-workspace', env: { BIZMCP_CONFIG_DIR: dir } }).get();
    expect(stored?.scopes.sort()).toEqual(['https://www.googleapis.com/auth/calendar', 'https://www.googleapis.com/auth/spreadsheets']);
    expect(err).not.toContain(stored!.refreshToken);
    // The server then works with it.
    const c = await connect(g, dir);
    expect((await read(c)).isError).toBeFalsy();
    await c.close();
  });

  it('--read-only asks only for read-only scopes; headless: the redirect address pasted back', async () => {
    const dir = tempDir();
    const stdin = new PassThrough();
    let asked = '';
    const { code, err } = await run(['--read-only', '--paste'], dir, {
      stdin,
      onAuthorizeUrl: async (u) => {
        asked = u;
        stdin.write(`${await consent(u)}\n`); // the browser ran elsewhere: its address is pasted
      },
    });
    expect(code, err).toBe(0);
    expect(err).toContain('paste here');
    const scopes = new URL(asked).searchParams.get('scope')!.split(' ');
    expect(scopes.length).toBeGreaterThan(0);
    expect(scopes.every((s) => s.endsWith('.readonly'))).toBe(true);
  });

  it('without an OAuth client id it says what to set', async () => {
    const dir = tempDir();
    let err = '';
    const env = { ...oauthEnv(g, dir), GOOGLE_OAUTH_CLIENT_ID: '' };
    const code = await runAuthCommand({ server: 'google-workspace', flow: server.auth! }, ['auth'], { env, stderr: { write: (s: string) => (err += s) } });
    expect(code).toBe(1);
    expect(err).toContain('GOOGLE_OAUTH_CLIENT_ID');
  });
});

describe('service account with domain-wide delegation', () => {
  const keyFile = () => {
    const dir = tempDir();
    const f = join(dir, 'key.json');
    writeFileSync(f, JSON.stringify(g.saKey));
    return { dir, f };
  };

  it('acts as the delegated user, shows it, and survives expiry mid-session', async () => {
    const { dir, f } = keyFile();
    const c = await connect(g, dir, { env: { GOOGLE_APPLICATION_CREDENTIALS: f, GOOGLE_IMPERSONATE_USER: DELEGATED } });
    const r = await c.ok('sheets_read_range', { spreadsheet_id: sheet, range: 'Data!A1:B2' });
    expect(r.account).toBe(DELEGATED);
    expect(g.calls[0].subject).toBe(DELEGATED);
    g.oauth.expireAll();
    expect((await read(c)).isError).toBeFalsy();
    expect(g.oauth.tokenRequests('urn:ietf:params:oauth:grant-type:jwt-bearer')).toBe(2);
    expect(g.calls.map((x) => [x.status, x.subject])).toEqual([
      [200, DELEGATED],
      [401, DELEGATED],
      [200, DELEGATED],
    ]);
    await c.close();
  });

  it('a subject the service account may not impersonate is an error, and nothing is read', async () => {
    const { dir, f } = keyFile();
    const c = await connect(g, dir, { env: { GOOGLE_APPLICATION_CREDENTIALS: f, GOOGLE_IMPERSONATE_USER: 'eve@example.com' } });
    const r = await read(c);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain(`${SA_EMAIL} may not act as eve@example.com`);
    expect(textOf(r)).toMatch(/Domain-wide delegation/);
    expect(g.calls).toHaveLength(0);
    await c.close();
  });

  it('GOOGLE_IMPERSONATE_USER without a service-account key never falls back to another identity', async () => {
    const dir = tempDir();
    await storeToken(g, dir); // a stored authorisation exists, and must not be used
    const c = await connect(g, dir, { env: { GOOGLE_IMPERSONATE_USER: DELEGATED } });
    const r = await read(c);
    expect(textOf(r)).toMatch(/GOOGLE_IMPERSONATE_USER is set/);
    expect(g.calls).toHaveLength(0);
    await c.close();
  });
});

describe('application default credentials and no credentials', () => {
  it('uses gcloud’s authorized_user file, refreshed at GOOGLE_OAUTH_TOKEN_URL', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, '.config', 'gcloud'), { recursive: true });
    const rt = g.oauth.issueRefreshToken({ clientId: CLIENT.clientId, scopes: ['https://www.googleapis.com/auth/spreadsheets'] });
    writeFileSync(
      join(dir, '.config', 'gcloud', 'application_default_credentials.json'),
      JSON.stringify({ type: 'authorized_user', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, refresh_token: rt }),
    );
    const c = await connect(g, dir, { env: { GOOGLE_OAUTH_CLIENT_ID: '' } });
    const r = await c.ok('sheets_read_range', { spreadsheet_id: sheet, range: 'Data!A1:B2' });
    expect(r.account).toMatch(/application_default_credentials/);
    g.oauth.expireAll();
    expect((await read(c)).isError).toBeFalsy();
    expect(g.oauth.tokenRequests('refresh_token')).toBe(2);
    await c.close();
  });

  it('on a Google runtime: the metadata server’s token, at GCE_METADATA_HOST from the server’s environment', async () => {
    const dir = tempDir();
    const rt = g.oauth.issueRefreshToken({ clientId: CLIENT.clientId, scopes: ['https://www.googleapis.com/auth/spreadsheets'] });
    const asked: string[] = [];
    const md = http.createServer(async (req, res) => {
      asked.push(req.url ?? '');
      res.setHeader('Metadata-Flavor', 'Google');
      if (req.headers['metadata-flavor'] !== 'Google') return void res.writeHead(403).end();
      if (req.url?.startsWith('/computeMetadata/v1/instance/service-accounts/default/token')) {
        const t = await fetch(g.oauth.tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt, ...{ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret } }),
        }).then((r) => r.json() as Promise<{ access_token: string }>);
        res.setHeader('content-type', 'application/json');
        return void res.end(JSON.stringify({ access_token: t.access_token, expires_in: 3599, token_type: 'Bearer' }));
      }
      res.setHeader('content-type', 'text/plain');
      res.end('ok');
    });
    await new Promise<void>((r) => md.listen(0, '127.0.0.1', () => r()));
    const c = await connect(g, dir, { env: { GCE_METADATA_HOST: `127.0.0.1:${(md.address() as AddressInfo).port}` } });
    const r = await c.ok('sheets_read_range', { spreadsheet_id: sheet, range: 'Data!A1:B2' });
    expect(r.account).toBe('runtime service account');
    const tokenAsk = asked.find((u) => u.includes('/token'));
    expect(decodeURIComponent(tokenAsk ?? '')).toContain('scopes=https://www.googleapis.com/auth/');
    await c.close();
    md.closeAllConnections();
    await new Promise((r) => md.close(r));
  });

  it('no credential at all: the server lists its tools and each call says how to configure it', async () => {
    const dir = tempDir();
    const c = await connect(g, dir);
    expect((await c.client.listTools()).tools.length).toBeGreaterThan(5);
    const r = await read(c);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('GOOGLE_APPLICATION_CREDENTIALS');
    expect(textOf(r)).toContain('bizmcp-google-workspace auth');
    expect(g.oauth.tokenRequests()).toBe(0);
    await c.close();
  });
});
