#!/usr/bin/env node
// Installs the packed servers into a prefix and writes the `bizmcp` launcher that the container
// runs. The Dockerfile runs exactly this; so can a test, in a clean directory, without Docker:
//
//   node docker/install.mjs <directory with the .tgz files> <prefix>
//
// Result: <prefix>/node_modules/.bin/bizmcp-<server> for every tarball (production dependencies
// only, from the npm registry), and <prefix>/bin/bizmcp:
//
//   bizmcp <server> [server arguments]   serves <server> over Streamable HTTP on
//                                        $BIZMCP_HTTP_HOST (default 0.0.0.0):$PORT (default 8080);
//                                        off loopback the server requires BIZMCP_HTTP_TOKEN
//   bizmcp list                          the servers installed
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [from, to] = process.argv.slice(2).map((p) => p && resolve(p));
if (!from || !to) {
  process.stderr.write('usage: node docker/install.mjs <tarball directory> <prefix>\n');
  process.exit(2);
}
const tarballs = existsSync(from) ? readdirSync(from).filter((f) => /^bizmcp-[a-z0-9-]+-\d.*\.tgz$/.test(f)) : [];
if (!tarballs.length) {
  process.stderr.write(`install: no bizmcp-*.tgz in ${from} (node scripts/pack-servers.mjs ${from})\n`);
  process.exit(1);
}
mkdirSync(join(to, 'bin'), { recursive: true });
writeFileSync(join(to, 'package.json'), `${JSON.stringify({ name: 'bizmcp-image', private: true }, null, 2)}\n`);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['install', '--prefix', to, '--omit=dev', '--no-audit', '--no-fund', '--no-update-notifier', ...tarballs.map((t) => join(from, t))], {
  stdio: ['ignore', 2, 2],
  cwd: to,
});
if (r.status !== 0) {
  process.stderr.write('install: npm install failed\n');
  process.exit(1);
}

const launcher = `#!/usr/bin/env node
// bizmcp <server> [arguments]: one of the installed servers over Streamable HTTP (written by docker/install.mjs).
const { spawn } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const { join } = require('node:path');
const bin = join(__dirname, '..', 'node_modules', '.bin');
const servers = readdirSync(bin).filter((f) => f.startsWith('bizmcp-')).map((f) => f.slice('bizmcp-'.length)).sort();
const [name, ...args] = process.argv.slice(2);
if (!name || name === 'list' || name === '--help') {
  process.stdout.write(\`usage: bizmcp <server> [arguments]\\nservers: \${servers.join(', ')}\\n\`);
  process.exit(name ? 0 : 2);
}
if (!servers.includes(name)) {
  process.stderr.write(\`bizmcp: no server named \${name} (servers: \${servers.join(', ')})\\n\`);
  process.exit(2);
}
const http = ['--http', '--host', process.env.BIZMCP_HTTP_HOST || '0.0.0.0', '--port', process.env.PORT || '8080'];
const child = spawn(process.execPath, [join(bin, '..', \`@bizmcp/\${name}\`, 'dist', 'index.js'), ...http, ...args], { stdio: 'inherit' });
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
`;
writeFileSync(join(to, 'bin', 'bizmcp'), launcher);
chmodSync(join(to, 'bin', 'bizmcp'), 0o755);
for (const t of tarballs) {
  const name = /^bizmcp-([a-z0-9-]+?)-\d/.exec(t)?.[1];
  if (!name || !existsSync(join(to, 'node_modules', '@bizmcp', name, 'dist', 'index.js'))) {
    process.stderr.write(`install: ${t} did not install a server\n`);
    process.exit(1);
  }
}
process.stderr.write(`install: ${tarballs.length} servers in ${to}; run ${join(to, 'bin', 'bizmcp')} <server>\n`);
