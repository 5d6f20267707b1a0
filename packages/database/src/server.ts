// bizmcp-database: PostgreSQL (or an embedded PGlite database) with a read-only mode that holds.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { ConfigError, defineServer, envNumber } from '@bizmcp/core';
import { createPglite, createPostgres, warnAboutPrivileges, type Backend } from './backend.js';
import { loadParser } from './guard.js';
import { prompts, tableResource } from './resources.js';
import { SAMPLE_SQL } from './sample.js';
import type { DbConfig, DbState } from './state.js';
import { executeQuery, executeStatement, explainQuery } from './tools/query.js';
import { describeTableTool, listSchemas, listTablesTool, sampleRows, searchObjects } from './tools/schema.js';

const readTools = [executeQuery, listTablesTool, describeTableTool, listSchemas, searchObjects, explainQuery, sampleRows];

function defaultDataDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(base, 'bizmcp', 'database');
}

const definition = defineServer<DbConfig, DbState>({
  name: 'database',
  version: '0.1.0',
  title: 'bizmcp database',
  description: 'Query PostgreSQL safely: read-only SQL that cannot be escaped, schema exploration, bounded streamed results. Without DATABASE_URL it uses an embedded PGlite database.',
  instructions:
    'Start with list_tables or search_objects, then describe_table. execute_query runs one read-only statement and pages large results (nextCursor). Aggregate in SQL rather than reading many rows.',
  positionals: { name: 'connection-string', description: 'PostgreSQL URL (instead of DATABASE_URL).' },
  env: {
    DATABASE_URL: { description: 'PostgreSQL connection string (sslmode etc. as URL parameters). Without it, an embedded PGlite database is used.', secret: true, example: 'postgresql://readonly@localhost:5432/mydb' },
    BIZMCP_DATA_DIR: { description: 'Where the embedded database lives (default: $XDG_DATA_HOME/bizmcp/database or ~/.local/share/bizmcp/database).' },
    DB_MAX_ROWS: { description: 'Rows per page of execute_query.', default: '1000' },
    DB_MAX_BYTES: { description: 'Approximate JSON bytes per page of execute_query.', default: String(1024 * 1024) },
  },
  options: {
    'allow-write': { type: 'boolean', description: 'Register execute_statement (INSERT, UPDATE, DELETE, MERGE).' },
    'allow-ddl': { type: 'boolean', description: 'With --allow-write: also accept schema changes (CREATE/ALTER/DROP TABLE, indexes, views).' },
    'sample-data': { type: 'boolean', description: 'Load the sample business schema (customers, orders, invoices, payments) into an empty embedded database.' },
  },
  parseConfig: (args) => {
    if (args.positionals.length > 1) throw new ConfigError('expected at most one connection string');
    const url = args.positionals[0] ?? args.env.DATABASE_URL ?? undefined;
    if (url && !/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('the connection string must start with postgresql://');
    const allowWrite = Boolean(args.flags['allow-write']);
    const allowDdl = Boolean(args.flags['allow-ddl']);
    if (allowDdl && !allowWrite) throw new ConfigError('--allow-ddl needs --allow-write');
    return {
      url: url || undefined,
      dataDir: args.env.BIZMCP_DATA_DIR || defaultDataDir(args.env),
      allowWrite,
      allowDdl,
      sampleData: Boolean(args.flags['sample-data']),
      maxRows: envNumber(args.env, 'DB_MAX_ROWS', 1000, { min: 1, integer: true }),
      maxBytes: envNumber(args.env, 'DB_MAX_BYTES', 1024 * 1024, { min: 1, integer: true }),
    };
  },
  tools: (config) => (config.allowWrite ? [...readTools, executeStatement] : readTools),
  resources: [tableResource],
  prompts,
  setup(config, rt) {
    let opened: Promise<Backend> | undefined;
    const open = (): Promise<Backend> =>
      (opened ??= (async () => {
        if (config.url) {
          const pg = await createPostgres(config.url, rt.log);
          void warnAboutPrivileges(pg, rt.log);
          return pg;
        }
        mkdirSync(config.dataDir, { recursive: true });
        const lite = createPglite(config.dataDir, rt.log) as Backend & { warm(): Promise<void> };
        await lite.warm();
        if (config.sampleData) await loadSample(lite);
        return lite;
      })());
    // Slow work starts once `initialize` has been answered: the connection (or the PGlite worker)
    // and the WASM SQL parser load in the background; a call that comes first waits for them.
    rt.onInitialized(() => {
      if (rt.shutdownSignal.aborted) return;
      open().catch((e) => rt.log.error({ err: (e as Error).message }, 'database not available'));
      loadParser().catch(() => {});
    });
    return { config, backend: open, close: async () => (opened ? (await opened.catch(() => undefined))?.close() : undefined) } as DbState & { close(): Promise<void> };
  },
  close: async (state) => {
    await (state as DbState & { close(): Promise<void> }).close();
  },
});

async function loadSample(db: Backend): Promise<void> {
  const signal = new AbortController().signal;
  const exists = await db.read((s) => s.query("SELECT to_regclass('public.customers') IS NOT NULL AS present"), { timeoutMs: 30_000, signal });
  if (exists.rows[0]?.present) return;
  await db.write(
    async (s) => {
      for (const stmt of SAMPLE_SQL.split(/;\s*\n/).map((x) => x.trim()).filter(Boolean)) await s.query(stmt);
    },
    { timeoutMs: 60_000, signal },
  );
}

/** Every tool, for the generated docs (execute_statement exists only with --allow-write). */
(definition as unknown as { allTools: unknown[] }).allTools = [...readTools, executeStatement];
export default definition;
