#!/usr/bin/env node
// Prints a ready claude_desktop_config.json for every bizmcp server, with absolute paths to the
// built binaries of this checkout. Fill in the placeholder values of the variables you use.
// Usage: npm run claude-config [-- --only filesystem,database]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeForConfig, root } from './lib/node-path.mjs';

const cfg = JSON.parse(readFileSync(join(root, 'config', 'servers.json'), 'utf8'));
const i = process.argv.indexOf('--only');
const only = i > 0 ? process.argv[i + 1].split(',') : undefined;
const command = nodeForConfig(); // an absolute path to a Node >= 22.12 (from .tools/ when the system's is older)
const mcpServers = {};
for (const [name, s] of Object.entries(cfg.servers)) {
  if (only && !only.includes(name)) continue;
  const env = {};
  for (const [k, v] of Object.entries(s.env)) if (v.example !== undefined) env[k] = v.example;
  mcpServers[`bizmcp-${name}`] = { command, args: [join(root, s.entry), ...s.args.filter((a) => !a.startsWith('<'))], ...(Object.keys(env).length ? { env } : {}) };
}
process.stdout.write(JSON.stringify({ mcpServers }, null, 2) + '\n');
