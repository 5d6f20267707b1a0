// Configuration: which CRM, its credentials and API hosts, and the safety switches.
import { readFileSync } from 'node:fs';
import { ConfigError, envBool, envEnum, envSecret, envString, envUrl, type ParsedArgs, readEnv } from '@bizmcp/core';
import type { ProviderName } from './provider.js';

export const DEFAULT_SF_API_VERSION = '64.0';

export const crmEnv = {
  CRM_PROVIDER: envEnum({
    description: 'Which CRM to use: hubspot or salesforce. auto: the one whose credentials are set (HubSpot when both are).',
    values: ['auto', 'hubspot', 'salesforce'] as const,
    default: 'auto',
  }),
  CRM_MASK_PII: envBool({ description: 'Mask e-mail addresses, phone numbers and postal addresses in results (an e-mail keeps its first letter and domain, a phone its last two digits).' }),
  HUBSPOT_ACCESS_TOKEN: envSecret({
    description: 'HubSpot private app access token (Settings → Integrations → Private apps), with the scopes of the toolsets you enable (see the docs).',
    example: 'pat-eu1-…',
  }),
  HUBSPOT_BASE_URL: envUrl({ description: 'Where HubSpot API requests go (a proxy, or a local fake in tests).', default: 'https://api.hubapi.com' }),
  SALESFORCE_LOGIN_URL: envUrl({
    description: 'Salesforce login host for token requests: https://login.salesforce.com, https://test.salesforce.com for a sandbox, or your My Domain URL (required for the client credentials flow).',
    default: 'https://login.salesforce.com',
  }),
  SALESFORCE_INSTANCE_URL: envUrl({ description: 'Your org URL (https://yourorg.my.salesforce.com). Taken from the token answer when not set.' }),
  SALESFORCE_API_VERSION: envString({ description: 'REST API version of every request (e.g. 64.0).', default: DEFAULT_SF_API_VERSION }),
  SALESFORCE_CLIENT_ID: envString({ description: 'Connected app consumer key (client id): for the client credentials, JWT bearer and refresh token flows.' }),
  SALESFORCE_CLIENT_SECRET: envSecret({ description: 'Connected app consumer secret: client credentials flow (with SALESFORCE_CLIENT_ID), and refresh tokens of apps that require it.' }),
  SALESFORCE_PRIVATE_KEY_FILE: envString({
    description: 'JWT bearer flow: PEM file of the private key whose certificate is uploaded to the connected app (with SALESFORCE_CLIENT_ID and SALESFORCE_USERNAME).',
  }),
  SALESFORCE_REFRESH_TOKEN: envSecret({ description: 'Refresh token flow: a refresh token issued to the connected app (with SALESFORCE_CLIENT_ID).' }),
  SALESFORCE_USERNAME: envString({ description: 'The user the JWT bearer flow acts as; with SALESFORCE_PASSWORD, the username-password flow (discouraged, used only when nothing else is set).' }),
  SALESFORCE_PASSWORD: envSecret({ description: 'Username-password flow only (discouraged): the password followed by the security token. A warning is logged when used.' }),
};

export const crmOptions = {
  'allow-delete': { type: 'boolean' as const, description: 'Register archive_record (HubSpot archive, Salesforce delete to the recycle bin). Without it no tool deletes.' },
};

export type SalesforceAuth =
  | { kind: 'client_credentials'; clientId: string; clientSecret: string }
  | { kind: 'jwt'; clientId: string; username: string; privateKey: string }
  | { kind: 'refresh_token'; clientId: string; clientSecret?: string; refreshToken: string }
  | { kind: 'password'; clientId?: string; clientSecret?: string; username: string; password: string }
  | { kind: 'none'; missing: string[] };

export interface CrmConfig {
  provider: ProviderName;
  maskPii: boolean;
  allowDelete: boolean;
  hubspot: { token?: string; baseUrl: string };
  salesforce: { loginUrl: string; instanceUrl?: string; apiVersion: string; auth: SalesforceAuth };
}

const trim = (u: string) => u.replace(/\/+$/, '');

export function salesforceAuth(v: ReturnType<typeof readEnv<typeof crmEnv>>): SalesforceAuth {
  const id = v.SALESFORCE_CLIENT_ID?.trim() || undefined;
  if (id && v.SALESFORCE_PRIVATE_KEY_FILE) {
    if (!v.SALESFORCE_USERNAME) throw new ConfigError('SALESFORCE_PRIVATE_KEY_FILE (JWT bearer flow) needs SALESFORCE_USERNAME, the user to act as');
    let privateKey: string;
    try {
      privateKey = readFileSync(v.SALESFORCE_PRIVATE_KEY_FILE, 'utf8');
    } catch (e) {
      throw new ConfigError(`SALESFORCE_PRIVATE_KEY_FILE cannot be read: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(privateKey)) throw new ConfigError('SALESFORCE_PRIVATE_KEY_FILE is not a PEM private key');
    return { kind: 'jwt', clientId: id, username: v.SALESFORCE_USERNAME, privateKey };
  }
  if (id && v.SALESFORCE_REFRESH_TOKEN) return { kind: 'refresh_token', clientId: id, clientSecret: v.SALESFORCE_CLIENT_SECRET, refreshToken: v.SALESFORCE_REFRESH_TOKEN };
  if (id && v.SALESFORCE_CLIENT_SECRET && !v.SALESFORCE_PASSWORD) return { kind: 'client_credentials', clientId: id, clientSecret: v.SALESFORCE_CLIENT_SECRET };
  if (v.SALESFORCE_USERNAME && v.SALESFORCE_PASSWORD)
    return { kind: 'password', clientId: id, clientSecret: v.SALESFORCE_CLIENT_SECRET, username: v.SALESFORCE_USERNAME, password: v.SALESFORCE_PASSWORD };
  return { kind: 'none', missing: ['SALESFORCE_CLIENT_ID', 'SALESFORCE_CLIENT_SECRET'] };
}

export function parseCrmConfig(args: ParsedArgs): CrmConfig {
  const v = readEnv(crmEnv, args.env);
  if (!/^\d{2,3}\.0$/.test(v.SALESFORCE_API_VERSION.trim())) throw new ConfigError(`SALESFORCE_API_VERSION must look like 64.0, got "${v.SALESFORCE_API_VERSION.slice(0, 40)}"`);
  const auth = salesforceAuth(v);
  let provider: ProviderName;
  if (v.CRM_PROVIDER === 'auto') provider = v.HUBSPOT_ACCESS_TOKEN || auth.kind === 'none' ? 'hubspot' : 'salesforce';
  else provider = v.CRM_PROVIDER;
  return {
    provider,
    maskPii: v.CRM_MASK_PII,
    allowDelete: Boolean(args.flags['allow-delete']),
    hubspot: { token: v.HUBSPOT_ACCESS_TOKEN, baseUrl: trim(v.HUBSPOT_BASE_URL) },
    salesforce: {
      loginUrl: trim(v.SALESFORCE_LOGIN_URL),
      instanceUrl: v.SALESFORCE_INSTANCE_URL ? trim(v.SALESFORCE_INSTANCE_URL) : undefined,
      apiVersion: v.SALESFORCE_API_VERSION.trim(),
      auth,
    },
  };
}
