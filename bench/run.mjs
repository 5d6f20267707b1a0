// npm run bench [-- name...]: runs bench/<name>.mjs one after the other (all when no name given).
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const names = process.argv.slice(2);
const all = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .map((f) => f.replace(/\.mjs$/, ''));
let failed = 0;
for (const n of names.length ? names : all) {
  console.log(`\n##### bench: ${n}`);
  const r = spawnSync(process.execPath, [join(import.meta.dirname, `${n}.mjs`)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
