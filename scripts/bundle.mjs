#!/usr/bin/env node
// MCP Bundles (.mcpb, for one-click install in Claude Desktop): one per server, built from the
// packed server (scripts/pack-servers.mjs) with its production dependencies, a manifest whose
// user_config asks for what the server needs (directories, URLs, secrets marked sensitive), checked
// with `mcpb validate` and packed with `mcpb pack`.
//
//   npm run bundle [-- --servers a,b] [-- --out DIR]     (after npm run build; default out: bundles/)
//
// manifestFor() is exported for the test, which also unpacks each bundle and starts it the way
// Claude Desktop does.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { root } from './lib/pnpm-path.mjs';

const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** What a bundle's user_config asks for, per server: [key, option, where it goes]. */
const special = {
  filesystem: {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the bundle's placeholder, replaced by Claude Desktop
    args: ['${user_config.directories}'],
    config: {
      directories: {
        type: 'directory',
        title: 'Allowed directories',
        description: 'The directories the tools may read and change (nothing outside them is reachable).',
        multiple: true,
        required: true,
      },
    },
    skipEnv: ['ALLOWED_PATHS'],
  },
  scraping: { typeOf: { SCRAPING_DOWNLOAD_DIR: 'directory', CHROMIUM_PATH: 'file' } },
  email: { typeOf: { EMAIL_ATTACHMENT_DIR: 'directory' } },
  slack: { typeOf: { SLACK_FILE_ROOTS: 'directory' } },
};

/** The manifest of one server's bundle, from config/servers.json and its package.json. */
export function manifestFor(name) {
  const cfg = JSON.parse(readFileSync(join(root, 'config', 'servers.json'), 'utf8')).servers[name];
  const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
  const sp = special[name] ?? {};
  const entry = `server/node_modules/${pkg.name}/dist/index.js`;
  const user_config = { ...(sp.config ?? {}) };
  const env = {};
  for (const [k, v] of Object.entries(cfg.env)) {
    // the settings a person sets: those with an example, and every secret; limits keep their defaults
    if (sp.skipEnv?.includes(k) || (v.example === undefined && !v.secret)) continue;
    const key = k.toLowerCase();
    user_config[key] = {
      type: sp.typeOf?.[k] ?? 'string',
      title: k,
      description: v.description,
      required: false,
      ...(v.secret ? { sensitive: true } : {}),
      default: '',
    };
    env[k] = `\${user_config.${key}}`;
  }
  return {
    manifest_version: '0.3',
    name: `bizmcp-${name}`,
    display_name: `bizmcp ${name}`,
    version: pkg.version,
    description: cfg.description ?? pkg.description,
    author: { name: 'bizmcp' },
    ...(rootPkg.repository ? { repository: { type: 'git', url: rootPkg.repository.url.replace(/^git\+/, '') } } : {}),
    ...(rootPkg.homepage ? { homepage: rootPkg.homepage } : {}),
    license: pkg.license ?? 'MIT',
    keywords: pkg.keywords ?? ['mcp'],
    server: {
      type: 'node',
      entry_point: entry,
      mcp_config: { command: 'node', args: [`\${__dirname}/${entry}`, ...(sp.args ?? [])], ...(Object.keys(env).length ? { env } : {}) },
    },
    tools_generated: true,
    compatibility: { platforms: ['darwin', 'win32', 'linux'], runtimes: { node: `>=${pkg.engines?.node?.replace(/^>=/, '') ?? '22.12.0'}` } },
    ...(Object.keys(user_config).length ? { user_config } : {}),
  };
}

function main() {
  const argv = process.argv.slice(2);
  const opt = (flag) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const out = resolve(opt('--out') ?? join(root, 'bundles'));
  const all = readdirSync(join(root, 'packages')).filter((p) => p !== 'core' && existsSync(join(root, 'packages', p, 'src', 'server.ts')));
  const servers = opt('--servers')?.split(',') ?? all;
  const work = join(out, '.work');
  rmSync(work, { recursive: true, force: true });
  const run = (cmd, args, cwd = root) => {
    const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 2, 2] });
    if (r.status !== 0) {
      process.stderr.write(`bundle: ${cmd} ${args.join(' ')} failed\n`);
      process.exit(1);
    }
  };
  run(process.execPath, [join(root, 'scripts', 'pack-servers.mjs'), join(work, 'packages')]);
  const mcpb = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'mcpb.cmd' : 'mcpb');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  for (const name of servers) {
    const tgz = readdirSync(join(work, 'packages')).find((f) => f.startsWith(`bizmcp-${name}-`) && /^\d/.test(f.slice(`bizmcp-${name}-`.length)));
    if (!tgz) {
      process.stderr.write(`bundle: no tarball for ${name}\n`);
      process.exit(1);
    }
    const stage = join(work, name);
    mkdirSync(join(stage, 'server'), { recursive: true });
    writeFileSync(join(stage, 'server', 'package.json'), '{"private":true}\n');
    run(npm, ['install', '--prefix', join(stage, 'server'), '--omit=dev', '--no-audit', '--no-fund', '--no-package-lock', join(work, 'packages', tgz)]);
    const manifest = manifestFor(name);
    writeFileSync(join(stage, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const f of ['README.md', 'LICENSE']) {
      const src = existsSync(join(root, 'packages', name, f)) ? join(root, 'packages', name, f) : join(root, f);
      if (existsSync(src)) writeFileSync(join(stage, f), readFileSync(src));
    }
    run(mcpb, ['validate', join(stage, 'manifest.json')]);
    const file = join(out, `bizmcp-${name}-${manifest.version}.mcpb`);
    run(mcpb, ['pack', stage, file]);
    process.stdout.write(`${file}\n`);
  }
  rmSync(work, { recursive: true, force: true });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
