// A throwaway PostgreSQL cluster for the tests, for machines where no service answers.
//
// Which PostgreSQL the database tests use:
//   - TEST_DATABASE_URL when it is set;
//   - else the service at 127.0.0.1:5432 (trust auth, database `test`) when it answers;
//   - else, or always with BIZMCP_TEST_PG=own, a cluster of their own: initdb into a temporary
//     directory (as `nobody` when running as root: PostgreSQL refuses to run as root), trust auth,
//     listening on 127.0.0.1 at a free high port, with a `test` database; stopped and removed after.
// Debian's `postgresql` package brings the binaries (`npm run setup` installs it when missing).
import { type SpawnSyncOptions, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { freePort } from '@bizmcp/core/testing';

export const SERVICE_URL = 'postgresql://postgres@127.0.0.1:5432/test';

export interface OwnCluster {
  url: string;
  /** Its data, socket and log, removed by stop(). */
  dir: string;
  stop(): void;
}

/** The newest `bin/` directory of the installed PostgreSQL versions (Debian's layout), or the PATH's. */
export function postgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return join(base, versions[0], 'bin');
  }
  // elsewhere (macOS with Homebrew, Windows with the PostgreSQL installer): the first initdb on PATH
  const exe = process.platform === 'win32' ? 'initdb.exe' : 'initdb';
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, exe))) return dir;
  return undefined;
}

export async function answers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

export async function startOwnCluster(): Promise<OwnCluster> {
  const bin = postgresBin();
  if (!bin) throw new Error("No PostgreSQL service answers at 127.0.0.1:5432 and initdb is not installed: run `npm run setup` (installs Debian's postgresql) or set TEST_DATABASE_URL");
  const dir = mkdtempSync(join(tmpdir(), 'bizmcp-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chownSync(dir, 65534, 65534);
  }
  chmodSync(dir, 0o700);
  const run = (cmd: string, args: string[], opts: SpawnSyncOptions = {}) => {
    const full = asRoot ? ['runuser', ['-u', 'nobody', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];
    const r = spawnSync(full[0] as string, full[1] as string[], { encoding: 'utf8', cwd: dir, timeout: 120_000, ...opts });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-w',
    '-t',
    '60',
    '-o',
    `-p ${port} ${process.platform === 'win32' ? '-c unix_socket_directories=' : `-k ${dir}`} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
    'start',
  ]);
  const stop = () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const admin = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres` });
    await admin.connect();
    await admin.query('CREATE DATABASE test');
    await admin.end();
  } catch (e) {
    stop();
    throw e;
  }
  return { url: `postgresql://postgres@127.0.0.1:${port}/test`, dir, stop };
}
