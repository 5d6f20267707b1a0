// A fake OAuth 2.0 authorisation server for tests: /authorize (loopback redirect URIs, PKCE S256,
// state), /token with the authorization_code, refresh_token and JWT bearer (RFC 7523) grants,
// form-encoded as RFC 6749 requires, errors as `{error, error_description}`. Tokens can be expired
// or revoked at will, refresh tokens rotated, and a fake API asks `isValid(token)` to answer 401.
import { createHash, createPublicKey, createVerify, randomBytes, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface FakeOAuthClient {
  clientId: string;
  /** When set, the token endpoint requires it (client_secret in the body or HTTP Basic). */
  clientSecret?: string;
}

export interface FakeJwtIssuer {
  /** The `iss` the assertion must carry. */
  issuer: string;
  /** PEM or KeyObject of the public key that verifies the RS256 signature. */
  publicKey: string | KeyObject;
  /** The accepted `aud` values (default: the token URL). */
  audience?: string[];
  /** When set, `sub` must be one of these. */
  subjects?: string[];
}

export interface FakeOAuthOptions {
  clients?: FakeOAuthClient[];
  jwtIssuers?: FakeJwtIssuer[];
  /** Access token lifetime in seconds (default 3600); changeable later through `accessTokenTtlSec`. */
  accessTokenTtlSec?: number;
  /** Issue a new refresh token at each refresh (the old one stops working). */
  rotateRefreshTokens?: boolean;
  /** /authorize answers `error=access_denied` (the user clicked "deny"). */
  deny?: boolean;
  /** Leave `expires_in` out of JWT-bearer answers (Salesforce does). */
  omitJwtExpiresIn?: boolean;
}

export interface FakeOAuthRequest {
  path: string;
  method: string;
  /** The grant_type of a /token request. */
  grantType?: string;
  clientId?: string;
  status: number;
  /** The OAuth error code answered, if any. */
  error?: string;
}

interface IssuedAccess {
  clientId: string;
  scopes: string[];
  subject?: string;
  expiresAt: number;
  revoked: boolean;
}

interface IssuedRefresh {
  clientId: string;
  scopes: string[];
  revoked: boolean;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  scopes: string[];
  expiresAt: number;
  used: boolean;
}

export interface FakeOAuth {
  /** http://127.0.0.1:PORT */
  url: string;
  authorizeUrl: string;
  tokenUrl: string;
  requests: FakeOAuthRequest[];
  accessTokenTtlSec: number;
  rotateRefreshTokens: boolean;
  deny: boolean;
  /** Number of /token requests with this grant type (all when omitted). */
  tokenRequests(grantType?: string): number;
  /** A refresh token issued directly (as if `auth` had run earlier). */
  issueRefreshToken(opts?: { clientId?: string; scopes?: string[] }): string;
  /** Every access token issued so far stops being valid. */
  expireAll(): void;
  /** The refresh token (and access tokens issued from it) stop working. */
  revoke(refreshToken: string): void;
  isValid(accessToken: string | undefined): boolean;
  /** Who an access token was issued to (undefined when unknown). */
  tokenInfo(accessToken: string): { clientId: string; scopes: string[]; subject?: string; expiresAt: number } | undefined;
  /** Answer the next /token requests with this status and error (e.g. 503 `temporarily_unavailable`). */
  failNext(count: number, status: number, error: string): void;
  close(): Promise<void>;
}

export async function startFakeOAuth(opts: FakeOAuthOptions = {}): Promise<FakeOAuth> {
  const clients = new Map((opts.clients ?? [{ clientId: 'test-client' }]).map((c) => [c.clientId, c]));
  const issuers = opts.jwtIssuers ?? [];
  const access = new Map<string, IssuedAccess & { refresh?: string }>();
  const refresh = new Map<string, IssuedRefresh>();
  const codes = new Map<string, PendingCode>();
  const requests: FakeOAuthRequest[] = [];
  let failures: { count: number; status: number; error: string } | undefined;
  const token = (prefix: string) => `${prefix}_${randomBytes(18).toString('base64url')}`;

  const issueAccess = (clientId: string, scopes: string[], from?: string, subject?: string) => {
    const t = token('fake_at');
    access.set(t, { clientId, scopes, subject, expiresAt: Date.now() + fake.accessTokenTtlSec * 1000, revoked: false, refresh: from });
    return t;
  };
  const issueRefresh = (clientId: string, scopes: string[]) => {
    const t = token('fake_rt');
    refresh.set(t, { clientId, scopes, revoked: false });
    return t;
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rec: FakeOAuthRequest = { path: url.pathname, method: req.method ?? '', status: 0 };
    requests.push(rec);
    const json = (status: number, body: Record<string, unknown>) => {
      rec.status = status;
      if (typeof body.error === 'string') rec.error = body.error;
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' }).end(JSON.stringify(body));
    };
    const oauthError = (status: number, error: string, description: string) => json(status, { error, error_description: description });

    if (url.pathname === '/authorize') {
      if (req.method !== 'GET') return oauthError(405, 'invalid_request', 'GET only');
      return authorize(url.searchParams, rec, res);
    }
    if (url.pathname !== '/token') {
      rec.status = 404;
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST') return oauthError(405, 'invalid_request', 'The token endpoint takes POST only.');
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded') return oauthError(400, 'invalid_request', `The body must be application/x-www-form-urlencoded, not ${type || 'missing'}.`);
      const p = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      rec.grantType = p.get('grant_type') ?? undefined;
      if (failures && failures.count > 0) {
        failures.count--;
        return oauthError(failures.status, failures.error, 'Failure injected by the test.');
      }
      // Client authentication: HTTP Basic or client_id (+ client_secret) in the body.
      let clientId = p.get('client_id') ?? undefined;
      let secret = p.get('client_secret') ?? undefined;
      const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
      if (basic) {
        const [u, s] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
        const dec = (x = '') => decodeURIComponent(x.replace(/\+/g, ' '));
        clientId = dec(u);
        secret = dec(s);
      }
      rec.clientId = clientId;
      const grant = p.get('grant_type');
      if (grant === JWT_BEARER) return jwtGrant(p, json, oauthError);
      const client = clientId ? clients.get(clientId) : undefined;
      if (!client) return oauthError(401, 'invalid_client', 'Unknown client.');
      if (client.clientSecret !== undefined && secret !== client.clientSecret) return oauthError(401, 'invalid_client', 'Client authentication failed.');

      if (grant === 'authorization_code') {
        const code = p.get('code') ?? '';
        const pending = codes.get(code);
        if (!pending || pending.used || pending.expiresAt < Date.now()) return oauthError(400, 'invalid_grant', 'Unknown, used or expired authorization code.');
        pending.used = true;
        if (pending.clientId !== client.clientId) return oauthError(400, 'invalid_grant', 'The code was issued to another client.');
        if (p.get('redirect_uri') !== pending.redirectUri) return oauthError(400, 'invalid_grant', 'redirect_uri does not match the authorization request.');
        const verifier = p.get('code_verifier') ?? '';
        if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return oauthError(400, 'invalid_grant', 'code_verifier missing or malformed.');
        if (createHash('sha256').update(verifier).digest('base64url') !== pending.challenge) return oauthError(400, 'invalid_grant', 'code_verifier does not match the code_challenge.');
        const rt = issueRefresh(client.clientId, pending.scopes);
        const at = issueAccess(client.clientId, pending.scopes, rt);
        return json(200, { access_token: at, token_type: 'Bearer', expires_in: fake.accessTokenTtlSec, refresh_token: rt, scope: pending.scopes.join(' ') });
      }
      if (grant === 'refresh_token') {
        const rt = p.get('refresh_token') ?? '';
        const entry = refresh.get(rt);
        if (!entry || entry.revoked) return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
        if (entry.clientId !== client.clientId) return oauthError(400, 'invalid_grant', 'The refresh token was issued to another client.');
        let scopes = entry.scopes;
        const asked = p.get('scope');
        if (asked) {
          const want = asked.split(' ').filter(Boolean);
          if (want.some((s) => !entry.scopes.includes(s))) return oauthError(400, 'invalid_scope', 'A scope was not granted originally.');
          scopes = want;
        }
        let newRt: string | undefined;
        if (fake.rotateRefreshTokens) {
          entry.revoked = true;
          newRt = issueRefresh(client.clientId, entry.scopes);
        }
        const at = issueAccess(client.clientId, scopes, newRt ?? rt);
        return json(200, { access_token: at, token_type: 'Bearer', expires_in: fake.accessTokenTtlSec, scope: scopes.join(' '), ...(newRt ? { refresh_token: newRt } : {}) });
      }
      return oauthError(400, 'unsupported_grant_type', `Unsupported grant_type ${grant ?? '(missing)'}.`);
    });
  });

  function authorize(q: URLSearchParams, rec: FakeOAuthRequest, res: http.ServerResponse) {
    const bad = (why: string) => {
      rec.status = 400;
      rec.error = 'invalid_request';
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end(why);
    };
    const clientId = q.get('client_id') ?? '';
    rec.clientId = clientId;
    if (!clients.has(clientId)) return bad('Unknown client_id.');
    const redirectUri = q.get('redirect_uri') ?? '';
    let ru: URL;
    try {
      ru = new URL(redirectUri);
    } catch {
      return bad('redirect_uri is not a URL.');
    }
    // Installed apps: only loopback redirects over http, any port (RFC 8252 §7.3).
    if (ru.protocol !== 'http:' || !['127.0.0.1', '[::1]', 'localhost'].includes(ru.hostname) || ru.hash) return bad('redirect_uri must be a loopback http address.');
    const back = (params: Record<string, string>) => {
      const to = new URL(redirectUri);
      for (const [k, v] of Object.entries(params)) to.searchParams.set(k, v);
      rec.status = 302;
      res.writeHead(302, { location: to.toString() }).end();
    };
    const state = q.get('state') ?? '';
    const withState = (p: Record<string, string>) => (state ? { ...p, state } : p);
    if (q.get('response_type') !== 'code') return back(withState({ error: 'unsupported_response_type', error_description: 'response_type must be code' }));
    if (!state) return back({ error: 'invalid_request', error_description: 'state is required' });
    const challenge = q.get('code_challenge') ?? '';
    if (q.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
      return back(withState({ error: 'invalid_request', error_description: 'PKCE with code_challenge_method=S256 is required' }));
    }
    if (fake.deny) return back(withState({ error: 'access_denied', error_description: 'The user denied the request.' }));
    const code = token('fake_code');
    codes.set(code, { clientId, redirectUri, challenge, scopes: (q.get('scope') ?? '').split(' ').filter(Boolean), expiresAt: Date.now() + 60_000, used: false });
    back({ code, state });
  }

  function jwtGrant(p: URLSearchParams, json: (s: number, b: Record<string, unknown>) => void, oauthError: (s: number, e: string, d: string) => void) {
    const assertion = p.get('assertion') ?? '';
    const parts = assertion.split('.');
    if (parts.length !== 3) return oauthError(400, 'invalid_grant', 'The assertion is not a JWT.');
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return oauthError(400, 'invalid_grant', 'The assertion is not a JWT.');
    }
    if (header.alg !== 'RS256') return oauthError(400, 'invalid_grant', 'Only RS256 assertions are accepted.');
    const issuer = issuers.find((i) => i.issuer === claims.iss);
    if (!issuer) return oauthError(400, 'invalid_grant', 'Unknown issuer.');
    const key = typeof issuer.publicKey === 'string' ? createPublicKey(issuer.publicKey) : issuer.publicKey;
    const ok = createVerify('RSA-SHA256').update(`${parts[0]}.${parts[1]}`).verify(key, Buffer.from(parts[2], 'base64url'));
    if (!ok) return oauthError(400, 'invalid_grant', 'Invalid JWT signature.');
    const now = Math.floor(Date.now() / 1000);
    const audiences = issuer.audience ?? [fake.tokenUrl];
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.some((a) => typeof a === 'string' && audiences.includes(a))) return oauthError(400, 'invalid_grant', 'Invalid JWT audience.');
    if (typeof claims.exp !== 'number' || claims.exp <= now - 30) return oauthError(400, 'invalid_grant', 'The assertion has expired.');
    if (typeof claims.iat === 'number' && (claims.iat > now + 60 || claims.exp - claims.iat > 3600)) return oauthError(400, 'invalid_grant', 'Invalid JWT iat/exp.');
    if (claims.exp > now + 3660) return oauthError(400, 'invalid_grant', 'The assertion lives longer than an hour.');
    const subject = typeof claims.sub === 'string' ? claims.sub : undefined;
    if (issuer.subjects && (!subject || !issuer.subjects.includes(subject))) return oauthError(400, 'invalid_grant', 'The subject may not be impersonated.');
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
    const at = issueAccess(issuer.issuer, scopes, undefined, subject);
    return json(200, { access_token: at, token_type: 'Bearer', ...(opts.omitJwtExpiresIn ? {} : { expires_in: fake.accessTokenTtlSec }), ...(scopes.length ? { scope: scopes.join(' ') } : {}) });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeOAuth = {
    url: base,
    authorizeUrl: `${base}/authorize`,
    tokenUrl: `${base}/token`,
    requests,
    accessTokenTtlSec: opts.accessTokenTtlSec ?? 3600,
    rotateRefreshTokens: opts.rotateRefreshTokens ?? false,
    deny: opts.deny ?? false,
    tokenRequests: (grantType) => requests.filter((r) => r.path === '/token' && (grantType === undefined || r.grantType === grantType)).length,
    issueRefreshToken: (o = {}) => issueRefresh(o.clientId ?? clients.keys().next().value ?? 'test-client', o.scopes ?? []),
    expireAll() {
      for (const a of access.values()) a.expiresAt = Math.min(a.expiresAt, Date.now() - 1);
    },
    revoke(rt) {
      const entry = refresh.get(rt);
      if (entry) entry.revoked = true;
      for (const a of access.values()) if (a.refresh === rt) a.revoked = true;
    },
    isValid(at) {
      const a = at ? access.get(at) : undefined;
      return Boolean(a && !a.revoked && a.expiresAt > Date.now());
    },
    tokenInfo(at) {
      const a = access.get(at);
      return a ? { clientId: a.clientId, scopes: a.scopes, subject: a.subject, expiresAt: a.expiresAt } : undefined;
    },
    failNext(count, status, error) {
      failures = { count, status, error };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return fake;
}
