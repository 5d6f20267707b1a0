// Credentials, in this order:
//   1. GOOGLE_APPLICATION_CREDENTIALS: a service-account key (JWT bearer grant, with the delegation
//      subject GOOGLE_IMPERSONATE_USER in every assertion) or an authorized_user file;
//   2. the refresh token stored by `bizmcp-google-workspace auth` (core's token store);
//   3. application default credentials: gcloud's well-known file, else the metadata server of a
//      Google runtime (only where the environment says it is one).
// GOOGLE_IMPERSONATE_USER with anything but a service-account key is an error, never a silent
// fallback to another identity. Access tokens are refreshed before they expire and once on a 401
// (core's CachedTokenSource); a revoked grant is one error naming the command that fixes it.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type AccessToken,
  CachedTokenSource,
  type CachedTokenOptions,
  isToolError,
  JwtBearerSession,
  type JwtBearerOptions,
  type Logger,
  missingCredentials,
  OAuthSession,
  registerSecret,
  requestToken,
  TokenStore,
  ToolError,
} from '@bizmcp/core';
import type { GoogleConfig } from './config.js';

export const SERVER = 'google-workspace';
export const AUTH_COMMAND = `bizmcp-${SERVER} auth`;

export type AuthMode = 'service-account' | 'oauth' | 'authorized-user-file' | 'metadata-server';

export interface Credentials {
  mode: AuthMode;
  /** Who the calls act as: shown in every result. */
  account: string;
  source: CachedTokenSource;
  /** The variable or command that fixes a rejected credential. */
  credentialVar?: string;
  credentialHelp: string;
}

const b = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The service-account grant, with errors that say what to fix in the console. */
class ServiceAccountSource extends JwtBearerSession {
  constructor(
    private readonly o: JwtBearerOptions & { keyFile: string; clientId?: string },
    opts: CachedTokenOptions,
  ) {
    super({ ...o, ...opts });
  }

  protected override async obtain(signal: AbortSignal): Promise<AccessToken> {
    try {
      return await super.obtain(signal);
    } catch (e) {
      // Google answers unauthorized_client when delegation is not granted for these scopes.
      if (isToolError(e) && this.o.subject && e.code === 'missing_credentials' && /unauthorized_client|invalid_grant|refused/.test(e.message)) {
        throw new ToolError(
          b(
            `The service account ${this.o.issuer} may not act as ${this.o.subject} with these scopes: the token endpoint refused the delegated grant (${e.message.replace(/^.*\((.*)\)\.?$/, '$1')}). Nothing was read or changed.`,
          ),
          {
            code: 'missing_credentials',
            hint: b(
              `In the Google Workspace Admin console (Security > Access and data control > API controls > Domain-wide delegation), authorise client id ${this.o.clientId ?? "(the key's client_id)"} for: ${(this.o.scopes ?? []).join(',')}; and check that GOOGLE_IMPERSONATE_USER is a user of that domain.`,
            ),
            details: { subject: this.o.subject, serviceAccount: this.o.issuer },
          },
        );
      }
      throw e;
    }
  }
}

/** A refresh token read from a file (gcloud's authorized_user credentials). */
class RefreshFileSource extends CachedTokenSource {
  constructor(
    private readonly o: { tokenUrl: string; clientId: string; clientSecret?: string; refreshToken: string; file: string },
    opts: CachedTokenOptions,
  ) {
    super(opts);
    registerSecret(o.refreshToken);
    registerSecret(o.clientSecret);
  }

  revokedError(): ToolError {
    return new ToolError(`The refresh token in ${this.o.file} was revoked or has expired.`, {
      code: 'missing_credentials',
      hint: 'Run `gcloud auth application-default login` again (or point GOOGLE_APPLICATION_CREDENTIALS at another credential), then retry.',
    });
  }

  protected async obtain(signal: AbortSignal): Promise<AccessToken> {
    const r = await requestToken(
      this.o.tokenUrl,
      { grant_type: 'refresh_token', refresh_token: this.o.refreshToken },
      { clientId: this.o.clientId, clientSecret: this.o.clientSecret, signal, timeoutMs: this.timeoutMs, fetch: this.fetchImpl, invalidGrant: () => this.revokedError() },
    );
    return this.fromResponse(r);
  }
}

/**
 * The metadata server of a Google runtime (Cloud Run, GCE, GKE, Functions): one GET with the
 * `Metadata-Flavor` header, at GCE_METADATA_HOST from the server's environment (else the
 * documented 169.254.169.254). Done here rather than through google-auth-library, which reads
 * process.env only and, without GCE_METADATA_HOST there, races two hosts to detect the server.
 */
class MetadataSource extends CachedTokenSource {
  constructor(
    private readonly host: string,
    private readonly scopes: string[],
    opts: CachedTokenOptions,
  ) {
    super(opts);
  }

  revokedError(): ToolError {
    return new ToolError('Google refused the access tokens of the runtime service account.', {
      code: 'missing_credentials',
      hint: 'Check the service account attached to this runtime and its access scopes, or set GOOGLE_APPLICATION_CREDENTIALS.',
    });
  }

  protected async obtain(signal: AbortSignal): Promise<AccessToken> {
    const url = `http://${this.host}/computeMetadata/v1/instance/service-accounts/default/token?scopes=${encodeURIComponent(this.scopes.join(','))}`;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    try {
      res = await (this.fetchImpl ?? fetch)(url, { headers: { 'Metadata-Flavor': 'Google' }, signal: AbortSignal.any([signal, timeout]), redirect: 'error' });
    } catch (e) {
      throw new ToolError(`The metadata server ${this.host} did not answer (${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}).`, {
        code: 'missing_credentials',
        hint: 'Outside a Google runtime, use GOOGLE_APPLICATION_CREDENTIALS or `bizmcp-google-workspace auth` instead.',
        cause: e,
      });
    }
    const body = (await res.json().catch(() => undefined)) as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (!res.ok || res.headers.get('metadata-flavor') !== 'Google' || typeof body?.access_token !== 'string') {
      throw new ToolError(`The metadata server ${this.host} gave no access token (HTTP ${res.status}).`, { code: 'missing_credentials', hint: 'Check the service account attached to this runtime.' });
    }
    registerSecret(body.access_token);
    return this.fromResponse({ access_token: body.access_token, expires_in: typeof body.expires_in === 'number' ? body.expires_in : undefined }, this.scopes);
  }
}

/** Where gcloud keeps application default credentials. */
export function wellKnownAdcFile(env: NodeJS.ProcessEnv): string {
  if (env.CLOUDSDK_CONFIG) return path.join(env.CLOUDSDK_CONFIG, 'application_default_credentials.json');
  if (process.platform === 'win32' && env.APPDATA) return path.join(env.APPDATA, 'gcloud', 'application_default_credentials.json');
  return path.join(env.HOME || os.homedir(), '.config', 'gcloud', 'application_default_credentials.json');
}

/** A Google runtime whose metadata server may be asked (never probed elsewhere). */
const onGoogleRuntime = (env: NodeJS.ProcessEnv) => Boolean(env.GCE_METADATA_HOST || env.K_SERVICE || env.FUNCTION_TARGET || env.GAE_SERVICE || env.CLOUD_RUN_JOB);

async function readJsonFile(file: string, variable: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw new ToolError(`Cannot read the credentials file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, {
      code: 'missing_credentials',
      hint: `Check ${variable}: it must name a readable JSON key file.`,
    });
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* below */
  }
  throw new ToolError(`The credentials file ${file} is not JSON.`, { code: 'missing_credentials', hint: `Check ${variable}: download the key again from the Google Cloud console.` });
}

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/** Credentials from a JSON file (GOOGLE_APPLICATION_CREDENTIALS or gcloud's well-known file). */
function fromFile(json: Record<string, unknown>, file: string, variable: string, config: GoogleConfig, scopes: string[], opts: CachedTokenOptions): Credentials {
  const type = str(json.type);
  if (type === 'service_account') {
    const email = str(json.client_email);
    const key = str(json.private_key);
    if (!email || !key)
      throw new ToolError(`The service-account key ${file} has no client_email or private_key.`, { code: 'missing_credentials', hint: `Download a new JSON key and point ${variable} at it.` });
    const subject = config.impersonate;
    const tokenUrl = config.tokenUrl ?? str(json.token_uri) ?? config.defaultTokenUrl;
    const source = new ServiceAccountSource(
      {
        tokenUrl,
        issuer: email,
        subject,
        scopes,
        privateKey: key,
        keyId: str(json.private_key_id),
        keyFile: file,
        clientId: str(json.client_id),
        invalidGrantHint: 'Check that the key is still valid (IAM > Service accounts > Keys).',
      },
      opts,
    );
    return {
      mode: 'service-account',
      account: subject ?? email,
      source,
      credentialVar: variable,
      credentialHelp: subject ? `Check the key in ${variable} and the domain-wide delegation of its client id.` : `Check the service-account key in ${variable}.`,
    };
  }
  if (config.impersonate) throw impersonationNeedsKey(file, type);
  if (type === 'authorized_user') {
    const clientId = str(json.client_id);
    const refreshToken = str(json.refresh_token);
    if (!clientId || !refreshToken)
      throw new ToolError(`The credentials file ${file} has no client_id or refresh_token.`, { code: 'missing_credentials', hint: 'Run `gcloud auth application-default login` again.' });
    const source = new RefreshFileSource({ tokenUrl: config.tokenUrl ?? config.defaultTokenUrl, clientId, clientSecret: str(json.client_secret), refreshToken, file }, opts);
    return { mode: 'authorized-user-file', account: `user of ${path.basename(file)}`, source, credentialVar: variable, credentialHelp: 'Run `gcloud auth application-default login` again.' };
  }
  throw new ToolError(`The credentials file ${file} is of type "${type ?? '(none)'}", which this server does not use.`, {
    code: 'missing_credentials',
    hint: 'Use a service-account JSON key, an authorized_user file from `gcloud auth application-default login`, or `bizmcp-google-workspace auth`.',
  });
}

function impersonationNeedsKey(file: string | undefined, type?: string): ToolError {
  return new ToolError(
    `GOOGLE_IMPERSONATE_USER is set, but ${file ? `${file} is not a service-account key (type "${type ?? '(none)'}")` : 'GOOGLE_APPLICATION_CREDENTIALS does not name a service-account key'}: delegation needs one. Nothing was called, so that no other account is read by mistake.`,
    {
      code: 'missing_credentials',
      hint: 'Point GOOGLE_APPLICATION_CREDENTIALS at the JSON key of a service account with domain-wide delegation, or unset GOOGLE_IMPERSONATE_USER.',
      details: { missing: ['GOOGLE_APPLICATION_CREDENTIALS'] },
    },
  );
}

/** Finds the credentials to use (at the first call; nothing is read at start-up). */
export async function resolveCredentials(config: GoogleConfig, scopes: string[], log: Logger, env: NodeJS.ProcessEnv): Promise<Credentials> {
  const opts: CachedTokenOptions = { logger: log };
  if (config.credentialsFile) {
    const json = await readJsonFile(config.credentialsFile, 'GOOGLE_APPLICATION_CREDENTIALS');
    return fromFile(json, config.credentialsFile, 'GOOGLE_APPLICATION_CREDENTIALS', config, scopes, opts);
  }
  if (config.impersonate) throw impersonationNeedsKey(undefined);
  const store = new TokenStore({ server: SERVER, env, command: AUTH_COMMAND });
  const stored = await store.get(config.account);
  if (stored) {
    const command = config.account === 'default' ? AUTH_COMMAND : `${AUTH_COMMAND} --account ${config.account}`;
    const source = new OAuthSession({
      ...opts,
      server: SERVER,
      account: config.account,
      store,
      command,
      tokenUrl: config.tokenUrl,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
    });
    return { mode: 'oauth', account: config.account === 'default' ? 'oauth (default account)' : `oauth account "${config.account}"`, source, credentialHelp: `Run \`${command}\` again.` };
  }
  const adc = wellKnownAdcFile(env);
  const json = await fsp
    .readFile(adc, 'utf8')
    .then((t) => JSON.parse(t) as Record<string, unknown>)
    .catch(() => undefined);
  if (json) return fromFile(json, adc, 'the application default credentials', config, scopes, opts);
  if (onGoogleRuntime(env)) {
    const host = env.GCE_METADATA_HOST || env.GCE_METADATA_IP || '169.254.169.254';
    return { mode: 'metadata-server', account: 'runtime service account', source: new MetadataSource(host, scopes, opts), credentialHelp: 'Check the service account attached to this runtime.' };
  }
  throw missingCredentials({
    what: 'Google Workspace',
    vars: ['GOOGLE_APPLICATION_CREDENTIALS (a service-account key, with GOOGLE_IMPERSONATE_USER for domain-wide delegation)'],
    command: AUTH_COMMAND,
    how: `Either authorise your own account once with \`${AUTH_COMMAND}\` (needs GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET of a Desktop OAuth client), or use a service-account key, or run \`gcloud auth application-default login\`. The docs list the Google Cloud console steps.`,
  });
}
