// Connections: PostgreSQL through a `pg` pool, or an embedded PGlite database running in a worker
// thread (so a runaway query can be stopped by terminating the worker: PGlite ignores
// statement_timeout). Both run every statement with the extended protocol, and every read inside
// `BEGIN READ ONLY … ROLLBACK` with per-transaction timeouts, then DISCARD ALL (layers 2 and 3 of
// the read-only stack).
import type { Worker } from 'node:worker_threads';
import type { Logger } from '@bizmcp/core';
import { ToolError } from '@bizmcp/core';
import { openPgliteWorker, stoppedWhileOpening } from './pglite-worker.js';

export interface Field {
  name: string;
  dataTypeID: number;
}

export interface Result {
  fields: Field[];
  rows: Record<string, unknown>[];
  affectedRows?: number;
}

export interface Session {
  /** Runs one statement with the extended protocol. */
  query(sql: string, params?: unknown[]): Promise<Result>;
}

export interface TxOptions {
  timeoutMs: number;
  signal: AbortSignal;
}

export interface Backend {
  kind: 'postgres' | 'pglite';
  /** Read-only transaction, always rolled back. */
  read<T>(fn: (s: Session) => Promise<T>, opts: TxOptions): Promise<T>;
  /** Read-write transaction: committed when `fn` succeeds, rolled back otherwise. */
  write<T>(fn: (s: Session) => Promise<T>, opts: TxOptions): Promise<T>;
  close(): Promise<void>;
}

const cancelled = (signal: AbortSignal) => {
  const r = signal.reason;
  return r instanceof ToolError ? r : new ToolError('Cancelled', { code: 'cancelled' });
};

function pgError(e: unknown): unknown {
  const err = e as { message?: string; code?: string; position?: string; severity?: string };
  if (err && typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code)) {
    const code = err.code === '25006' ? 'read_only' : err.code === '57014' ? 'timeout' : err.code.startsWith('42') || err.code.startsWith('22') ? 'invalid_argument' : 'remote_error';
    return new ToolError(`PostgreSQL error ${err.code}: ${err.message}`, { code, details: { sqlstate: err.code, ...(err.position ? { position: Number(err.position) } : {}) } });
  }
  return e;
}

// ------------------------------------------------------------------------------ PostgreSQL

export async function createPostgres(url: string, log: Logger): Promise<Backend> {
  const pg = (await import('pg')).default;
  // bigint, numeric stay strings (pg's default); dates are parsed to Date and rendered ISO later
  const pool = new pg.Pool({ connectionString: url, application_name: 'bizmcp', max: 5, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 10_000 });
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle PostgreSQL connection failed'));

  const run = async <T>(mode: 'read' | 'write', fn: (s: Session) => Promise<T>, opts: TxOptions): Promise<T> => {
    if (opts.signal.aborted) throw cancelled(opts.signal);
    let client: import('pg').PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw new ToolError(`Cannot connect to PostgreSQL: ${(e as Error).message}`, { code: 'unavailable', hint: 'Check DATABASE_URL and that the server is running.' });
    }
    const pid = (client as unknown as { processID: number }).processID;
    let broken = false;
    let inflight: Promise<unknown> | undefined;
    // Cancellation and timeouts stop the query inside PostgreSQL, from a second connection. A
    // cancel request that lands between two statements is ignored by PostgreSQL, so it is repeated
    // while a statement is still running; no new statement starts once the signal has fired.
    const onAbort = () => {
      broken = true;
      void (async () => {
        for (let tries = 0; inflight && tries < 20; tries++) {
          const running = inflight;
          await pool.query('SELECT pg_cancel_backend($1)', [pid]).catch((err: Error) => log.warn({ err: err.message, pid }, 'pg_cancel_backend failed'));
          const settled = await Promise.race([
            running.then(
              () => true,
              () => true,
            ),
            new Promise((r) => setTimeout(() => r(false), 250)),
          ]);
          if (settled) break;
        }
      })();
    };
    opts.signal.addEventListener('abort', onAbort, { once: true });
    const session: Session = {
      query: async (sql, params = []) => {
        if (opts.signal.aborted) throw cancelled(opts.signal);
        const p = client.query({ text: sql, values: params, queryMode: 'extended' } as import('pg').QueryConfig);
        inflight = p;
        try {
          const r = await p;
          return { fields: r.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })), rows: r.rows, affectedRows: r.rowCount ?? undefined };
        } catch (e) {
          broken = true;
          if (opts.signal.aborted) throw cancelled(opts.signal);
          throw pgError(e);
        } finally {
          if (inflight === p) inflight = undefined;
        }
      },
    };
    try {
      const ms = Math.max(1, Math.floor(opts.timeoutMs));
      await session.query(mode === 'read' ? 'BEGIN TRANSACTION READ ONLY' : 'BEGIN');
      // Per-transaction settings in one round trip (set_config(..., true) is SET LOCAL). String
      // literals are read the way the guard's parser reads them (standard_conforming_strings on).
      await session.query(
        `SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true),
                set_config('idle_in_transaction_session_timeout', $3, true), set_config('standard_conforming_strings', 'on', true)`,
        [String(ms), String(Math.min(ms, 5000)), String(ms + 5000)],
      );
      const out = await fn(session);
      if (mode === 'write') await session.query('COMMIT');
      return out;
    } finally {
      opts.signal.removeEventListener('abort', onAbort);
      if (!broken) {
        try {
          await client.query('ROLLBACK');
          // Session state that a transaction does not undo (session advisory locks, LISTEN,
          // prepared statements, temp tables) never reaches the next call on this connection.
          await client.query('DISCARD ALL');
        } catch {
          broken = true;
        }
      }
      // A connection that saw an error (or a cancellation) is discarded, never reused.
      client.release(broken ? true : undefined);
    }
  };

  return {
    kind: 'postgres',
    read: (fn, opts) => run('read', fn, opts),
    write: (fn, opts) => run('write', fn, opts),
    close: () => pool.end(),
  };
}

/** Start-up check: warns on stderr when the role can read files, run programs or signal backends. */
export async function warnAboutPrivileges(backend: Backend, log: Logger): Promise<void> {
  try {
    const r = await backend.read(
      (s) =>
        s.query(
          `SELECT current_user AS role, r.rolsuper AS superuser,
                  ARRAY(SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid
                        WHERE pg_has_role(current_user, b.oid, 'member')
                          AND b.rolname IN ('pg_read_server_files','pg_write_server_files','pg_execute_server_program','pg_signal_backend')) AS risky
             FROM pg_roles r WHERE r.rolname = current_user`,
        ),
      { timeoutMs: 5000, signal: new AbortController().signal },
    );
    const row = r.rows[0] as { role: string; superuser: boolean; risky: string[] } | undefined;
    if (!row) return;
    if (row.superuser || row.risky.length) {
      log.warn(
        { role: row.role, superuser: row.superuser, memberOf: row.risky },
        `the database role "${row.role}" ${row.superuser ? 'is a superuser' : `is a member of ${row.risky.join(', ')}`}: the read-only guard still holds, but use a least-privilege role (docs/servers/database.md)`,
      );
    }
  } catch (e) {
    log.warn({ err: (e as Error).message }, "could not check the role's privileges");
  }
}

// ------------------------------------------------------------------------------ PGlite

export function createPglite(dataDir: string, log: Logger): Backend {
  let worker: Worker | undefined;
  let ready: Promise<void> | undefined;
  let nextId = 1;
  const waiting = new Map<number, { resolve(r: Result): void; reject(e: unknown): void }>();
  // PGlite has one connection: transactions are serialised.
  let queue: Promise<unknown> = Promise.resolve();

  const start = () => {
    const { worker: w, opened } = openPgliteWorker(dataDir);
    worker = w;
    ready = opened.then(
      (o) => {
        if (o.fromSnapshot) log.info({ dataDir }, 'new embedded database created from the built-in snapshot');
      },
      (e: Error) => {
        // a worker that ends while opening (the server closing) fails the calls waiting for it
        if (e.message === stoppedWhileOpening) throw new ToolError('The embedded database stopped while opening', { code: 'unavailable' });
        log.error({ err: e.message }, 'PGlite failed to open');
        throw new ToolError(`The embedded database could not be opened: ${e.message.split('\n')[0]}`, { code: 'unavailable' });
      },
    );
    ready.catch(() => {});
    w.on('message', (m: { id?: number; error?: { message: string; code?: string }; fields?: Field[]; rows?: Record<string, unknown>[]; affectedRows?: number }) => {
      const p = m.id !== undefined ? waiting.get(m.id) : undefined;
      if (!p) return;
      waiting.delete(m.id!);
      if (m.error) p.reject(pgError(m.error));
      else p.resolve({ fields: m.fields ?? [], rows: m.rows ?? [], affectedRows: m.affectedRows });
    });
    w.on('error', (e) => log.error({ err: e }, 'PGlite worker error'));
    w.on('exit', () => {
      if (worker === w) worker = undefined;
      for (const [, p] of waiting) p.reject(new ToolError('The embedded database stopped', { code: 'unavailable' }));
      waiting.clear();
    });
  };

  const send = (sql: string, params: unknown[]): Promise<Result> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      worker!.postMessage({ id, sql, params });
    });

  const run = <T>(mode: 'read' | 'write', fn: (s: Session) => Promise<T>, opts: TxOptions): Promise<T> => {
    // the session's reset, after the answer: the next job waits for it, the caller does not
    let reset: Promise<unknown> | undefined;
    const job = queue.then(async () => {
      if (!worker) start();
      await ready;
      if (opts.signal.aborted) throw cancelled(opts.signal);
      const w = worker!;
      // The only way to stop a statement inside PGlite: terminate the worker (it reopens on the
      // next call; a read-only transaction leaves nothing to recover).
      let stopped = false;
      const stop = () => {
        stopped = true;
        log.warn({ mode }, 'stopping the embedded database worker (cancelled or timed out)');
        void w.terminate();
      };
      const timer = setTimeout(stop, opts.timeoutMs);
      opts.signal.addEventListener('abort', stop, { once: true });
      const session: Session = {
        query: async (sql, params = []) => {
          try {
            return await send(sql, params);
          } catch (e) {
            if (stopped) throw opts.signal.aborted ? cancelled(opts.signal) : new ToolError(`The query took longer than ${opts.timeoutMs} ms and was stopped`, { code: 'timeout' });
            throw e;
          }
        },
      };
      try {
        await session.query(mode === 'read' ? 'BEGIN TRANSACTION READ ONLY' : 'BEGIN');
        const out = await fn(session);
        if (mode === 'write') await session.query('COMMIT');
        return out;
      } finally {
        clearTimeout(timer);
        opts.signal.removeEventListener('abort', stop);
        if (!stopped && worker === w)
          reset = send('ROLLBACK', [])
            .catch(() => {})
            .then(() => send('DISCARD ALL', []))
            .catch(() => {});
      }
    });
    queue = job.then(
      () => reset,
      () => reset,
    );
    return job;
  };

  return {
    kind: 'pglite',
    read: (fn, opts) => run('read', fn, opts),
    write: (fn, opts) => run('write', fn, opts),
    close: async () => {
      const w = worker;
      worker = undefined;
      if (!w) return;
      await Promise.race([
        new Promise<void>((resolve) => {
          // its answer, not a reset's still on its way: PostgreSQL shut down cleanly, so the next
          // start needs no recovery
          w.on('message', (m: { closed?: boolean }) => m.closed && resolve());
          w.postMessage({ close: true });
        }),
        new Promise((r) => setTimeout(r, 1500)),
      ]);
      await w.terminate();
    },
    /** Opens the database now (in the background at start-up). */
    warm: () => {
      if (!worker) start();
      return ready!;
    },
  } as Backend & { warm(): Promise<void> };
}
