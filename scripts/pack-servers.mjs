#!/usr/bin/env node
// Packs every server package (built dist/ first: `npm run build`) into one directory of tarballs,
// as npm would publish them: `node scripts/pack-servers.mjs <dest>`. Prints the tarball paths.
// The Docker image installs these (docker/install.mjs); so can anyone with `npm install <tgz>`.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { root, runPnpm } from './lib/pnpm-path.mjs';

const dest = resolve(process.argv[2] ?? join(root, 'dist-packages'));
mkdirSync(dest, { recursive: true });
const servers = readdirSync(join(root, 'packages')).filter((p) => p !== 'core' && existsSync(join(root, 'packages', p, 'src', 'server.ts')));
for (const name of servers) {
  const dir = join(root, 'packages', name);
  if (!existsSync(join(dir, 'dist', 'index.js'))) {
    process.stderr.write(`pack-servers: packages/${name} is not built (npm run build)\n`);
    process.exit(1);
  }
  const r = runPnpm(['pack', '--pack-destination', dest], { cwd: dir, stdio: ['ignore', 'ignore', 2] });
  if (r.status !== 0) {
    process.stderr.write(`pack-servers: pnpm pack failed in packages/${name}\n`);
    process.exit(1);
  }
}
for (const f of readdirSync(dest).filter((f) => f.endsWith('.tgz'))) process.stdout.write(`${join(dest, f)}\n`);
