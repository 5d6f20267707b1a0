// bizmcp-database: PostgreSQL (or an embedded PGlite database) with a read-only mode that holds.
import { mkdirSync } from 'node:fs';
import { ConfigError, defineServer, envInt, envSecret, envString, readEnv } from '@bizmcp/core';
import { createPglite, createPostgres, warnAboutPrivileges, type Backend } from './backend.js';
import { loadParser } from './guard.js';
import { discardPrestarted, embeddedDataDir } from './pglite-worker.js';
import { prompts, tableResource } from './resources.js';
import { SAMPLE_SQL } from './sample.js';
import type { DbConfig, DbState } from './state.js';
import { executeQuery, executeStatement, explainQuery } from './tools/query.js';
import { describeTableTool, listSchemas, listTablesTool, sampleRows, searchObjects } from './tools/schema.js';

const env = {
  DATABASE_URL: envSecret({
    description: 'PostgreSQL connection string (sslmode etc. as URL parameters). Without it, an embedded PGlite database is used.',
    example: 'postgresql://readonly@localhost:5432/mydb',
  }),
  BIZMCP_DATA_DIR: envString({
    description:
      'Where the embedded database lives (default: the bizmcp data directory + /database: $XDG_DATA_HOME/bizmcp or ~/.local/share/bizmcp on Linux, ~/Library/Application Support/bizmcp on macOS, %LOCALAPPDATA%\\bizmcp on Windows).',
  }),
  DB_MAX_ROWS: envInt({ description: 'Rows per page of execute_query.', default: 1000, min: 1 }),
  DB_MAX_BYTES: envInt({ description: 'Approximate JSON bytes per page of execute_query.', default: 1024 * 1024, min: 1 }),
};

const definition = defineServer<DbConfig, DbState>({
  name: 'database',
  version: '0.1.0',
  title: 'bizmcp database',
  description: 'Query PostgreSQL safely: read-only SQL that cannot be escaped, schema exploration, bounded streamed results. Without DATABASE_URL it uses an embedded PGlite database.',
  instructions:
    'Start with list_tables or search_objects, then describe_table. execute_query runs one read-only statement and pages large results (nextCursor). Aggregate in SQL rather than reading many rows.',
  positionals: { name: 'connection-string', description: 'PostgreSQL URL (instead of DATABASE_URL).' },
  env,
  options: {
    'allow-write': { type: 'boolean', description: 'Register execute_statement (INSERT, UPDATE, DELETE, MERGE).' },
    'allow-ddl': { type: 'boolean', description: 'With --allow-write: also accept schema changes (CREATE/ALTER/DROP TABLE, indexes, views).' },
    'sample-data': { type: 'boolean', description: 'Load the sample business schema (customers, orders, invoices, payments) into an empty embedded database.' },
  },
  parseConfig: (args) => {
    if (args.positionals.length > 1) throw new ConfigError('expected at most one connection string');
    const vars = readEnv(env, args.env);
    const url = args.positionals[0] ?? vars.DATABASE_URL;
    if (url && !/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('the connection string must start with postgresql://');
    const allowWrite = Boolean(args.flags['allow-write']);
    const allowDdl = Boolean(args.flags['allow-ddl']);
    if (allowDdl && !allowWrite) throw new ConfigError('--allow-ddl needs --allow-write');
    return {
      url: url || undefined,
      dataDir: embeddedDataDir(vars.BIZMCP_DATA_DIR, args.env),
      allowWrite,
      allowDdl,
      sampleData: Boolean(args.flags['sample-data']),
      maxRows: vars.DB_MAX_ROWS,
      maxBytes: vars.DB_MAX_BYTES,
    };
  },
  toolsets: {
    query: { description: 'Run read-only SQL and explain query plans.' },
    schema: { description: 'Explore schemas, tables, columns and sample rows.' },
    write: { description: 'Change rows (and, with --allow-ddl, the schema); registered only with --allow-write.' },
  },
  tools: [executeQuery, listTablesTool, describeTableTool, listSchemas, searchObjects, explainQuery, sampleRows, executeStatement],
  resources: [tableResource],
  prompts,
  setup(config, rt) {
    if (config.url) discardPrestarted(); // started early in case the database is the embedded one
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
    // The embedded database opens at once, in its worker thread (a new one from the snapshot made
    // at build time). A PostgreSQL connection and the WASM SQL parser load once `initialize` has
    // been answered; a call that comes first waits for them.
    const openInBackground = () => open().catch((e) => rt.log.error({ err: (e as Error).message }, 'database not available'));
    if (!config.url) openInBackground();
    rt.onInitialized(() => {
      if (rt.shutdownSignal.aborted) return;
      openInBackground();
      loadParser().catch(() => {});
    });
    rt.onClose(async () => (opened ? (await opened.catch(() => undefined))?.close() : undefined));
    return { config, backend: open };
  },
});

async function loadSample(db: Backend): Promise<void> {
  const signal = new AbortController().signal;
  const exists = await db.read((s) => s.query("SELECT to_regclass('public.customers') IS NOT NULL AS present"), { timeoutMs: 30_000, signal });
  if (exists.rows[0]?.present) return;
  await db.write(
    async (s) => {
      for (const stmt of SAMPLE_SQL.split(/;\s*\n/)
        .map((x) => x.trim())
        .filter(Boolean))
        await s.query(stmt);
    },
    { timeoutMs: 60_000, signal },
  );
}
export default definition;
