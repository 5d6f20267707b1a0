// npm run bench [-- name...]: runs bench/<name>.mjs one after the other (all when no name given).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { benchNames } from './lib/harness.mjs';

const names = process.argv.slice(2);
let failed = 0;
for (const n of names.length ? names : benchNames()) {
  console.log(`\n##### bench: ${n}`);
  const r = spawnSync(process.execPath, [join(import.meta.dirname, `${n}.mjs`)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
