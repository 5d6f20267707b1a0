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

/** A minimal one-page PDF whose page shows `lines` (Helvetica), with a correct cross-reference table. */
export function tinyPdf(lines: string[]): Buffer {
  const esc = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);
  const stream = `BT /F1 12 Tf 50 780 Td 16 TL ${lines.map((l) => `(${esc(l)}) Tj T*`).join(' ')} ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(stream)} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((n) => `${String(n).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
