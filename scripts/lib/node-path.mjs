// Which Node runs the project's work, and how to get it there.
// The floor is Node 22.12. When the running node is older, the pinned Node 24 (root package.json
// "bizmcp.node") is installed from the npm registry, where the package node-<os>-<arch> holds the
// plain binary, into .tools/node<major>/ with npm. BIZMCP_NODE=22 (or 24) asks for that pinned major
// whatever the running node is (CI runs the demo on Node 22 this way).
// Written for Node 18 and 20 too: this is what runs before the right Node is there.
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const minimum = '22.12.0';
const tools = join(root, '.tools');

/** The pinned exact versions, by major: { "24": "24.x.y", "22": "22.x.y" }; the highest is the default. */
export function pinnedNodes() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const pins = pkg.bizmcp && pkg.bizmcp.node;
  if (!pins || typeof pins !== 'object') throw new Error('package.json has no "bizmcp.node" pins');
  return pins;
}

const parse = (v) =>
  String(v)
    .replace(/^v/, '')
    .split('.')
    .map((n) => Number.parseInt(n, 10) || 0);
export function atLeast(version, floor = minimum) {
  const a = parse(version);
  const b = parse(floor);
  for (let i = 0; i < 3; i++) if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) > (b[i] || 0);
  return true;
}

/** The npm package that carries the Node binary for this machine, or undefined where there is none. */
export function nodePackageName(platform = process.platform, arch = process.arch) {
  const ok = { linux: ['x64', 'arm64'], darwin: ['x64', 'arm64'] };
  return ok[platform] && ok[platform].includes(arch) ? `node-${platform}-${arch}` : undefined;
}

/** Where the pinned Node of this major lives (whether or not it is installed yet). */
export function toolsNodeBin(major) {
  const name = nodePackageName();
  return name ? join(tools, `node${major}`, 'node_modules', name, 'bin', 'node') : undefined;
}

function versionOf(bin) {
  if (!bin || !existsSync(bin)) return undefined;
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 ? r.stdout.trim().replace(/^v/, '') : undefined;
}

function fail(message) {
  process.stderr.write(`[setup] ${message}\n`);
  process.exit(1);
}

/** Installs (or re-uses) the pinned Node of this major in .tools/node<major>/; returns its binary. */
export function ensureToolsNode(major) {
  const pins = pinnedNodes();
  const version = pins[major];
  if (!version) fail(`no pinned Node ${major} in package.json "bizmcp.node" (known: ${Object.keys(pins).join(', ')})`);
  const name = nodePackageName();
  if (!name) {
    fail(
      `Node >= ${minimum} is needed (this is Node ${process.versions.node} on ${process.platform}-${process.arch}, ` + 'where setup cannot fetch one): install Node 22 or 24 and run the command again',
    );
  }
  const bin = toolsNodeBin(major);
  if (versionOf(bin) === version) return bin;
  process.stderr.write(`[setup] installing Node ${version} (npm package ${name}) into .tools/node${major}/\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', '--prefix', join(tools, `node${major}`), `${name}@${version}`], {
    stdio: ['ignore', 2, 2],
  });
  const got = versionOf(bin);
  if (r.status !== 0 || got !== version) {
    fail(`could not install Node ${version} from the npm package ${name}` + (got ? ` (the binary says ${got})` : '') + `; Node >= ${minimum} is needed: install it and run the command again`);
  }
  return bin;
}

/**
 * The node binary that runs the work: BIZMCP_NODE=<major> picks that pinned major; otherwise the
 * running node when it is >= 22.12, else the default pin (Node 24) from .tools/.
 */
export function ensureNode(env = process.env) {
  const want = env.BIZMCP_NODE;
  const current = process.versions.node;
  if (want) {
    if (!/^\d+$/.test(want)) fail(`BIZMCP_NODE must be a major version such as 22 or 24, not "${want}"`);
    if (current === pinnedNodes()[want]) return process.execPath;
    return ensureToolsNode(want);
  }
  if (atLeast(current)) return process.execPath;
  return ensureToolsNode(defaultMajor());
}

/** The environment for children of `node`: its directory first on PATH, so `node`, npm, pnpm and
 *  every script they start run on it too. */
export function envFor(node, env = process.env) {
  const key = Object.keys(env).find((k) => k.toUpperCase() === 'PATH') || 'PATH';
  const rest = (env[key] || '').split(delimiter).filter((p) => p && p !== dirname(node));
  const out = { ...env, [key]: [dirname(node), ...rest].join(delimiter) };
  // npm reads its global config from <prefix>/etc/npmrc, the prefix being derived from the Node
  // running it: under the Node in .tools/ it would miss the machine's own (registry, CA file, proxy),
  // so keep pointing npm at the system one.
  const systemGlobal = join(dirname(dirname(process.execPath)), 'etc', 'npmrc');
  if (node !== process.execPath && !out.npm_config_globalconfig && !out.NPM_CONFIG_GLOBALCONFIG && existsSync(systemGlobal)) out.npm_config_globalconfig = systemGlobal;
  return out;
}

/** What a config file outside this checkout should launch: "node" resolved to an absolute path of a
 *  Node that is new enough (the running one, or the one setup put in .tools/). */
export function nodeForConfig() {
  return atLeast(process.versions.node) ? process.execPath : ensureToolsNode(defaultMajor());
}

export function defaultMajor() {
  return Object.keys(pinnedNodes()).sort((a, b) => Number(b) - Number(a))[0];
}
