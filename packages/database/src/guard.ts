// Layer 1 of the read-only stack: the statement is parsed by the real PostgreSQL parser
// (libpg-query, WASM) and accepted only when it is exactly one statement of a read-only kind with
// no data-modifying part, no locking clause, no SELECT INTO, and no call to a function with side
// effects or file/network access. The other layers (extended protocol, READ ONLY transaction that
// is always rolled back, timeouts) hold even if this one were fooled.
import { ToolError } from '@bizmcp/core';
import { compileWithoutTierUp } from './pglite-worker.js';

type Parser = { parseSync(sql: string): { stmts: { stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }[] } };
let parser: Promise<Parser> | undefined;

/**
 * Loads the WASM parser once (lazily: it is not needed to answer `initialize`), compiled without
 * V8's optimizing tier (pglite-worker.ts says why and how).
 */
export function loadParser(): Promise<Parser> {
  parser ??= compileWithoutTierUp(
    async () => {
      const mod = (await import('libpg-query')) as unknown as Parser & { loadModule(): Promise<void> };
      await mod.loadModule();
      return mod;
    },
    (p) => p.parseSync(';'),
  );
  return parser;
}

/** Statement kinds accepted as read-only (top level). */
const READ_KINDS = new Set(['SelectStmt', 'VariableShowStmt', 'ExplainStmt']);

/** Nodes that never appear in an accepted statement, at any depth. */
const FORBIDDEN_NODES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'IntoClause', 'LockingClause']);

/**
 * Functions refused anywhere in a statement: file and network access, backend signalling,
 * configuration, locks, notifications, sequences, transaction ids, dynamic SQL, sleeping.
 * Names are matched without schema and case-insensitively; "*" matches any characters.
 */
export const DENIED_FUNCTIONS = [
  'pg_read_file',
  'pg_read_binary_file',
  'pg_stat_file',
  'pg_ls_*',
  'pg_file_*',
  'pg_logdir_ls',
  'lo_*',
  'loread',
  'lowrite',
  'dblink*',
  'postgres_fdw*',
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_promote',
  'pg_create_restore_point',
  'pg_switch_wal',
  'pg_backup_*',
  'pg_start_backup',
  'pg_stop_backup',
  'pg_log_backend_memory_contexts',
  'pg_replication_*',
  'pg_logical_*',
  'pg_wal_replay_*',
  'pg_import_system_collations',
  'pg_stat_reset*',
  'pg_stat_statements_reset',
  '*replication_slot*',
  'pg_log_standby_snapshot',
  'pg_nextoid',
  'binary_upgrade_*',
  'pg_background*',
  // index maintenance that writes even in a read-only transaction
  'brin_summarize_*',
  'brin_desummarize_range',
  'gin_clean_pending_list',
  'pg_truncate_visibility_map',
  'setseed',
  'pg_advisory_*',
  'pg_try_advisory_*',
  'set_config',
  'pg_notify',
  'nextval',
  'setval',
  'txid_current',
  'txid_current_if_assigned',
  'pg_current_xact_id',
  'pg_current_xact_id_if_assigned',
  'pg_sleep',
  'pg_sleep_for',
  'pg_sleep_until',
  // functions that run SQL given as a string (the guard would never see that SQL)
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  'cursor_to_xml',
  'cursor_to_xmlschema',
  'ts_stat',
  'ts_rewrite',
  'crosstab*',
  'connectby',
  'xpath_table',
  'pg_execute_server_program',
  'current_setting_set',
];

const exact = new Set(DENIED_FUNCTIONS.filter((f) => !f.includes('*')));
const patterns = DENIED_FUNCTIONS.filter((f) => f.includes('*')).map((f) => new RegExp(`^${f.replace(/\*/g, '.*')}$`));
export const isDeniedFunction = (name: string) => exact.has(name.toLowerCase()) || patterns.some((p) => p.test(name.toLowerCase()));

export interface Checked {
  /** The statement's own text (no trailing semicolon or comments after it). */
  text: string;
  kind: 'select' | 'show' | 'explain';
  /** EXPLAIN ANALYZE was requested. */
  analyze: boolean;
}

const refuse = (why: string) =>
  new ToolError(`Refused: ${why}`, {
    code: 'read_only',
    hint: 'Only single read-only statements are allowed here: SELECT, VALUES, TABLE, WITH … SELECT, SHOW, EXPLAIN.',
  });

/** Parses `sql` and returns its only statement (its tree, kind and own text), or throws. */
async function parseOne(sql: string): Promise<{ stmt: Record<string, unknown>; kind: string; text: string }> {
  const p = await loadParser();
  let tree: ReturnType<Parser['parseSync']>;
  try {
    tree = p.parseSync(sql);
  } catch (e) {
    throw new ToolError(`SQL syntax error: ${(e as Error).message}`, { code: 'invalid_argument' });
  }
  const stmts = tree.stmts ?? [];
  if (stmts.length === 0) throw new ToolError('The statement is empty', { code: 'invalid_argument' });
  if (stmts.length > 1) throw refuse(`${stmts.length} statements; send exactly one`);
  const { stmt, stmt_location = 0, stmt_len = 0 } = stmts[0];
  // The statement's own text: no trailing semicolon, nothing after it.
  const text = (stmt_len ? sql.slice(stmt_location, stmt_location + stmt_len) : sql.slice(stmt_location)).trim();
  return { stmt, kind: Object.keys(stmt)[0], text };
}

/** Parses `sql` and returns it when it is one read-only statement; throws a ToolError otherwise. */
export async function checkReadOnly(sql: string, opts: { allowAnalyze?: boolean } = {}): Promise<Checked> {
  const { stmt, kind: kindName, text } = await parseOne(sql);
  if (!READ_KINDS.has(kindName)) throw refuse(`${describeKind(kindName)} is not a read-only statement`);

  let analyze = false;
  let inner: Record<string, unknown> = stmt;
  if (kindName === 'ExplainStmt') {
    const ex = stmt.ExplainStmt as { query: Record<string, unknown>; options?: { DefElem: { defname: string; arg?: unknown } }[] };
    for (const o of ex.options ?? []) {
      if (o.DefElem?.defname === 'analyze' && defIsTrue(o.DefElem.arg)) analyze = true;
    }
    if (analyze && !opts.allowAnalyze) throw refuse('EXPLAIN ANALYZE runs the statement; use explain_query with analyze: true');
    inner = ex.query;
    const innerKind = Object.keys(inner)[0];
    if (innerKind !== 'SelectStmt') throw refuse(`EXPLAIN of ${describeKind(innerKind)}`);
  }
  walk(inner);
  return { text, kind: kindName === 'SelectStmt' ? 'select' : kindName === 'VariableShowStmt' ? 'show' : 'explain', analyze };
}

function defIsTrue(arg: unknown): boolean {
  if (arg === undefined) return true; // EXPLAIN (ANALYZE) without a value means true
  const s = JSON.stringify(arg).toLowerCase();
  return !(s.includes('"false"') || s.includes('"off"') || s.includes('"0"') || s.includes('"ival":0') || s.includes('"boolval":false') || /"boolval":\{\}/.test(s));
}

function walk(node: unknown): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n);
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (FORBIDDEN_NODES.has(key)) {
      throw refuse(
        key === 'LockingClause' ? 'locking clauses (FOR UPDATE/SHARE) take locks' : key === 'IntoClause' ? 'SELECT INTO creates a table' : `a data-modifying ${describeKind(key)} inside the statement`,
      );
    }
    if (key === 'lockingClause' && Array.isArray(value) && value.length) throw refuse('locking clauses (FOR UPDATE/SHARE) take locks');
    if (key === 'intoClause' && value) throw refuse('SELECT INTO creates a table');
    if (key === 'FuncCall') checkCall(value);
    walk(value);
  }
}

function checkCall(call: unknown): void {
  const parts = ((call as { funcname?: { String?: { sval?: string } }[] }).funcname ?? []).map((x) => x.String?.sval ?? '');
  if (isDeniedFunction(parts[parts.length - 1] ?? '')) throw refuse(`function ${parts.join('.')}() has side effects or reaches files, the network or other sessions`);
}

function describeKind(kind: string): string {
  return kind
    .replace(/Stmt$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

const DML_KINDS = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
/** Schema changes accepted with --allow-ddl; everything else (roles, grants, functions,
 *  extensions, system settings, COPY, DO, transaction control) stays refused. */
const DDL_KINDS = new Set([
  'CreateStmt',
  'AlterTableStmt',
  'DropStmt',
  'IndexStmt',
  'ViewStmt',
  'CreateTableAsStmt',
  'CommentStmt',
  'RenameStmt',
  'CreateSeqStmt',
  'AlterSeqStmt',
  'CreateSchemaStmt',
  'TruncateStmt',
  'CompositeTypeStmt',
  'CreateEnumStmt',
]);

export interface CheckedWrite {
  text: string;
  command: string;
  ddl: boolean;
}

/** Checks a statement for execute_statement: one DML statement (or DDL when allowed). */
export async function checkWrite(sql: string, opts: { allowDdl: boolean }): Promise<CheckedWrite> {
  const { stmt, kind, text } = await parseOne(sql);
  const ddl = DDL_KINDS.has(kind);
  if (!DML_KINDS.has(kind) && !(ddl && opts.allowDdl)) {
    throw new ToolError(`Refused: ${describeKind(kind)} ${ddl ? 'changes the schema; the server was not started with --allow-ddl' : 'is not allowed (only INSERT, UPDATE, DELETE, MERGE)'}`, {
      code: 'read_only',
      hint: kind === 'SelectStmt' ? 'Use execute_query for reads.' : undefined,
    });
  }
  // No locking clauses matter here, but side-effect functions are refused in writes too.
  walkFunctions(stmt);
  return { text, command: describeKind(kind), ddl };
}

function walkFunctions(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(walkFunctions);
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === 'FuncCall') checkCall(value);
    walkFunctions(value);
  }
}
