#!/usr/bin/env node
// Installs everything the project needs on a fresh machine that has only npm and a Node, maybe an old one:
//   0. Node >= 22.12: when the running node is older, the pinned Node 24 from the npm registry into
//      .tools/node24/ (BIZMCP_NODE=22 picks the pinned Node 22 instead; see lib/node-path.mjs),
//   1. the pinned pnpm (into .tools/, through npm),
//   2. the Debian packages the test suite drives for real (declared by each package, e.g. chromium
//      or dovecot-imapd) when they are missing and we are root on a Debian-like system (skipped
//      with --no-system),
//   3. the workspace's Node packages (pnpm install, frozen lockfile).
// Output goes to stderr; a failure exits non-zero with one line saying what failed.
// Runs on Node 18 and 20 too (it is what brings the newer Node); pnpm runs on the chosen Node.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ensureNode } from './lib/node-path.mjs';
import { root, runPnpm } from './lib/pnpm-path.mjs';

const args = new Set(process.argv.slice(2));
const log = (m) => process.stderr.write(`[setup] ${m}\n`);

// Debian packages a package's tests drive for real are declared in its package.json:
//   "bizmcp": { "debianPackages": [{ "pkg": "chromium", "check": "/usr/bin/chromium", "why": "…" }] }
// "unlessListening": "host:port" skips a package when something already listens there (a database
// service the tests can use instead of the cluster they would start from the package's binaries);
// "testOnly": true leaves it out of `--demo` (the demo installs what it shows: Chromium, dovecot).
function declaredDebianPackages() {
  const out = [];
  for (const dir of readdirSync(join(root, 'packages'))) {
    const file = join(root, 'packages', dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    for (const d of pkg.bizmcp?.debianPackages ?? []) if (!out.some((o) => o.pkg === d.pkg)) out.push(d);
  }
  return out;
}

function probe(hostPort) {
  const i = hostPort.lastIndexOf(':');
  return new Promise((resolve) => {
    const s = connect({ host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)), timeout: 2000 });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('timeout', () => done(false));
    s.once('error', () => done(false));
  });
}

async function systemPackages() {
  const missing = [];
  for (const p of declaredDebianPackages()) {
    if (existsSync(p.check)) continue;
    if (args.has('--demo') && p.testOnly) continue;
    if (p.unlessListening && (await probe(p.unlessListening))) continue;
    missing.push(p);
  }
  if (missing.length === 0) return;
  const names = missing.map((p) => p.pkg);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) {
    log(`missing Debian packages ${names.join(', ')} (${missing.map((p) => p.why).join('; ')}); ` + `install them with: sudo apt-get install -y --no-install-recommends ${names.join(' ')}`);
    return;
  }
  log(`installing Debian packages: ${names.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const opts = { stdio: ['ignore', 2, 2], env };
  let r = spawnSync('apt-get', ['update', '-qq'], opts);
  if (r.status !== 0) log('apt-get update failed; trying the install anyway');
  r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], opts);
  if (r.status !== 0) {
    log(`apt-get install ${names.join(' ')} failed`);
    process.exit(1);
  }
}

function nodePackages(node) {
  const frozen = existsSync(join(root, 'pnpm-lock.yaml')) ? ['--frozen-lockfile'] : [];
  log('installing Node packages (pnpm install)');
  const r = runPnpm(['install', ...frozen, '--reporter=append-only'], { node, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) {
    log('pnpm install failed');
    process.exit(1);
  }
}

const node = ensureNode();
if (node !== process.execPath) log(`the project runs on ${node} (this node is ${process.versions.node})`);
if (!args.has('--no-system')) await systemPackages();
if (!args.has('--no-node')) nodePackages(node);
