#!/usr/bin/env node
// Prints a Claude Desktop config (claude_desktop_config.json) for the servers of this checkout that
// start and work with what it is told, or merges it into the platform's config file with --write.
//
//   node scripts/claude-config.mjs [options]        (or: npm run -s claude-config -- [options];
//                                                    without -s, npm writes its banner to stdout)
//   --dir PATH            a directory for the filesystem server (repeatable); without one, no filesystem entry
//   --database-url URL    PostgreSQL for the database server; without it, the embedded database
//   --download-dir PATH   a directory where the scraping server may save downloads
//   --api-base-url URL    the REST API of the http-api server (its OPENAPI_SPEC etc. from the environment)
//   --env NAME=VALUE      a setting of any server, as if it were in the environment (repeatable)
//   --servers a,b         only these servers (each must be configurable with what is given)
//   --write               merge into the Claude Desktop config file (a backup of it is kept)
//   --config-file PATH    the config file --write updates (default: the platform's)
//
// Which servers get an entry: filesystem with --dir (or ALLOWED_PATHS), database and scraping always
// (embedded defaults), http-api with an API base URL, email with an address, an IMAP host and a
// password or OAuth token, Stripe with STRIPE_SECRET_KEY, Slack with a bot or user token, Google
// Workspace with an OAuth client or a service account, CRM with HubSpot or Salesforce credentials,
// others when one of their secrets is set. Only variables the server declares are copied into its entry.
// JSON goes to stdout, notes on what was left out to stderr.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { claudeConfigFile } from './lib/claude-paths.mjs';
import { nodeForConfig, root } from './lib/node-path.mjs';

const note = (m) => process.stderr.write(`claude-config: ${m}\n`);
const fail = (m) => {
  note(m);
  process.exit(2);
};

// ---- options --------------------------------------------------------------------------------------

const opts = { dirs: [], env: {}, servers: undefined, write: false, configFile: undefined };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const value = () => {
    const v = argv[++i];
    if (v === undefined) fail(`${a} needs a value`);
    return v;
  };
  if (a === '--dir') opts.dirs.push(resolve(value()));
  else if (a === '--database-url') opts.env.DATABASE_URL = value();
  else if (a === '--download-dir') opts.env.SCRAPING_DOWNLOAD_DIR = resolve(value());
  else if (a === '--api-base-url') opts.env.API_BASE_URL = value();
  else if (a === '--env') {
    const kv = value();
    const eq = kv.indexOf('=');
    if (eq < 1) fail(`--env wants NAME=VALUE, got ${kv}`);
    opts.env[kv.slice(0, eq)] = kv.slice(eq + 1);
  } else if (a === '--servers' || a === '--only')
    opts.servers = value()
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  else if (a === '--write') opts.write = true;
  else if (a === '--config-file') opts.configFile = resolve(value());
  else if (a === '--help' || a === '-h') {
    process.stdout.write(
      readFileSync(new URL(import.meta.url), 'utf8')
        .split('\n')
        .slice(1, 20)
        .map((l) => l.replace(/^\/\/ ?/, ''))
        .join('\n') + '\n',
    );
    process.exit(0);
  } else fail(`unknown option ${a} (see --help)`);
}
for (const d of opts.dirs) if (!existsSync(d) || !statSync(d).isDirectory()) fail(`--dir ${d} is not an existing directory`);
if (opts.env.SCRAPING_DOWNLOAD_DIR && !existsSync(opts.env.SCRAPING_DOWNLOAD_DIR)) fail(`--download-dir ${opts.env.SCRAPING_DOWNLOAD_DIR} does not exist`);

// ---- what each server needs ----------------------------------------------------------------------

const cfg = JSON.parse(readFileSync(join(root, 'config', 'servers.json'), 'utf8'));
const known = { ...process.env, ...opts.env };
const has = (...names) => names.every((n) => typeof known[n] === 'string' && known[n] !== '');
const any = (...names) => names.some((n) => has(n));

/** Per server: why it cannot be configured yet (a string), or undefined when it can. */
const needs = {
  filesystem: () => (opts.dirs.length || has('ALLOWED_PATHS') ? undefined : 'give the directories it may use with --dir PATH'),
  database: () => undefined,
  scraping: () => undefined,
  'http-api': () => (has('API_BASE_URL') ? undefined : 'give the API with --api-base-url URL'),
  email: () =>
    has('EMAIL_ADDRESS', 'IMAP_HOST') && any('EMAIL_PASSWORD', 'EMAIL_OAUTH2_TOKEN')
      ? undefined
      : 'set EMAIL_ADDRESS, IMAP_HOST (and SMTP_HOST) and EMAIL_PASSWORD or EMAIL_OAUTH2_TOKEN (--env NAME=VALUE)',
  stripe: () => (has('STRIPE_SECRET_KEY') ? undefined : 'set STRIPE_SECRET_KEY (--env STRIPE_SECRET_KEY=rk_test_…)'),
  slack: () => (any('SLACK_BOT_TOKEN', 'SLACK_USER_TOKEN') ? undefined : 'set SLACK_BOT_TOKEN or SLACK_USER_TOKEN'),
  'google-workspace': () =>
    has('GOOGLE_APPLICATION_CREDENTIALS') || has('GOOGLE_OAUTH_CLIENT_ID', 'GOOGLE_OAUTH_CLIENT_SECRET')
      ? undefined
      : 'set GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET (then run bizmcp-google-workspace auth), or GOOGLE_APPLICATION_CREDENTIALS for a service account',
  crm: () =>
    any('HUBSPOT_ACCESS_TOKEN', 'SALESFORCE_CLIENT_SECRET', 'SALESFORCE_REFRESH_TOKEN', 'SALESFORCE_PRIVATE_KEY_FILE', 'SALESFORCE_PASSWORD')
      ? undefined
      : 'set HUBSPOT_ACCESS_TOKEN, or the Salesforce credentials (SALESFORCE_CLIENT_ID with a secret, key file or refresh token)',
};
/** A server without a rule: configurable when one of its secret settings is set. */
const genericNeeds = (s) => {
  const secrets = Object.entries(s.env)
    .filter(([, v]) => v.secret)
    .map(([k]) => k);
  return secrets.length === 0 || any(...secrets) ? undefined : `set one of ${secrets.join(', ')}`;
};

const command = nodeForConfig(); // an absolute path to a Node >= 22.12 (from .tools/ when the system's is older)
const mcpServers = {};
if (opts.servers) for (const n of opts.servers) if (!cfg.servers[n]) fail(`no server named ${n} (servers: ${Object.keys(cfg.servers).join(', ')})`);
for (const [name, s] of Object.entries(cfg.servers)) {
  if (opts.servers && !opts.servers.includes(name)) continue;
  const missing = (needs[name] ?? (() => genericNeeds(s)))();
  if (missing) {
    if (opts.servers) fail(`${name}: ${missing}`);
    note(`${name} left out: ${missing}`);
    continue;
  }
  const entry = join(root, s.entry);
  if (!existsSync(entry)) fail(`${entry} is not built: run npm run build first`);
  const env = {};
  for (const k of Object.keys(s.env)) if (has(k)) env[k] = known[k];
  // the embedded database unless --database-url (a DATABASE_URL in this shell is not taken)
  if (name === 'database' && !opts.env.DATABASE_URL) delete env.DATABASE_URL;
  const args = [entry, ...(name === 'filesystem' ? opts.dirs : [])];
  mcpServers[`bizmcp-${name}`] = { command, args, ...(Object.keys(env).length ? { env } : {}) };
}
if (!Object.keys(mcpServers).length) fail('no server could be configured with what was given');

// ---- output ---------------------------------------------------------------------------------------

if (!opts.write) {
  process.stdout.write(`${JSON.stringify({ mcpServers }, null, 2)}\n`);
} else {
  const file = opts.configFile ?? claudeConfigFile({ home: homedir() });
  let current = {};
  if (existsSync(file)) {
    try {
      current = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      fail(`${file} is not valid JSON (${e.message}): fix or move it, nothing was written`);
    }
    if (typeof current !== 'object' || current === null || Array.isArray(current)) fail(`${file} does not hold a JSON object: nothing was written`);
    const backup = `${file}.${new Date().toISOString().replace(/[:.]/g, '-')}.bak`;
    copyFileSync(file, backup);
    note(`backup of the previous config: ${backup}`);
  } else mkdirSync(dirname(file), { recursive: true });
  const merged = { ...current, mcpServers: { ...(current.mcpServers ?? {}), ...mcpServers } };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(merged, null, 2)}\n`);
  renameSync(tmp, file);
  note(`${Object.keys(mcpServers).join(', ')} written to ${file}; restart Claude Desktop to load them`);
}
