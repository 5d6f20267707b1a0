#!/usr/bin/env node
// Build step: an initialised, empty PGlite data directory as a tar archive (pglite-snapshot/pglite-<version>.tar, uncompressed: the server writes it out faster than it could inflate it).
// A new embedded database starts from it instead of running initdb on the user's machine (seconds
// saved at the first start). Rebuilt only when the PGlite version changes.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const here = dirname(new URL(import.meta.url).pathname);
const dist = join(here, '..', 'pglite-snapshot');
const require = createRequire(join(here, '..', 'package.json'));
// its package.json is not exported: found above the resolved entry
let at = dirname(require.resolve('@electric-sql/pglite'));
while (!existsSync(join(at, 'package.json')) || JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')).name !== '@electric-sql/pglite') at = dirname(at);
const { version } = JSON.parse(readFileSync(join(at, 'package.json'), 'utf8'));
const out = join(dist, `pglite-${version}.tar`);
mkdirSync(dist, { recursive: true });
for (const f of readdirSync(dist)) if (/^pglite-.*\.tar(\.gz)?$/.test(f) && join(dist, f) !== out) rmSync(join(dist, f));
if (!existsSync(out)) {
  const { PGlite } = await import(pathToFileURL(require.resolve('@electric-sql/pglite')).href);
  const dir = mkdtempSync(join(tmpdir(), 'bizmcp-pglite-snapshot-'));
  const db = await PGlite.create(dir);
  await db.query('SELECT 1');
  const blob = await db.dumpDataDir('none');
  await db.close();
  writeFileSync(out, Buffer.from(await blob.arrayBuffer()));
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`pglite snapshot: ${out}\n`);
}
