// Shared set-up: a fake Google, a temporary config directory with a stored authorisation, and a
// server connected in process with the environment that points it at the fakes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenStore } from '@bizmcp/core';
import { connectInProcess } from '@bizmcp/core/testing';
import server from '../src/server.js';
import type { GoogleWorkspaceState } from '../src/state.js';
import { CLIENT, type FakeGoogle, oauthEnv } from './fake-google.js';

export const ALL_WRITE_SCOPES = ['spreadsheets', 'documents', 'drive', 'calendar', 'gmail.modify'].map((s) => `https://www.googleapis.com/auth/${s}`);

export const tempDir = (p = 'gw-') => mkdtempSync(join(tmpdir(), p));

/** Stores a refresh token issued by the fake, as `auth` would have; returns it. */
export async function storeToken(g: FakeGoogle, dir: string, scopes = ALL_WRITE_SCOPES, account = 'default'): Promise<string> {
  const store = new TokenStore({ server: 'google-workspace', env: { BIZMCP_CONFIG_DIR: dir } });
  const rt = g.oauth.issueRefreshToken({ clientId: CLIENT.clientId, scopes });
  await store.set(account, { refreshToken: rt, scopes, tokenUrl: g.oauth.tokenUrl, clientId: CLIENT.clientId, obtainedAt: Date.now() });
  return rt;
}

export async function connect(g: FakeGoogle, dir: string, opts: { argv?: string[]; env?: Record<string, string> } = {}) {
  return connectInProcess<GoogleWorkspaceState>(server, { argv: opts.argv ?? ['--toolsets', 'all'], env: { ...oauthEnv(g, dir), ...(opts.env ?? {}) } });
}
