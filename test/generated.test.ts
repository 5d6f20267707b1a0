// Generated files stay in step with the code: docs/servers/<name>.md (tools tables) and
// config/servers.json are rendered from the server definitions; this fails when a committed file
// is out of date. `npm run docs` (UPDATE_GENERATED=1) rewrites them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeGenerated, renderServerDoc, serverConfigEntry, type ServerDef } from '@bizmcp/core';

const root = join(import.meta.dirname, '..');
const update = process.env.UPDATE_GENERATED === '1';
// every server package's definition (core's own server.ts is the runtime, not a server)
const modules = import.meta.glob<{ default: ServerDef }>('../packages/*/src/server.ts', { eager: true });
const servers = Object.entries(modules)
  .filter(([file]) => !file.includes('/core/'))
  .map(([, m]) => m.default)
  .sort((a, b) => a.name.localeCompare(b.name));

function check(path: string, want: string) {
  const have = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (update) {
    if (have !== want) writeFileSync(path, want);
    return;
  }
  expect(have, `${path} is out of date: run npm run docs`).toBe(want);
}

describe('generated files', () => {
  it('finds the server packages', () => {
    expect(servers.length).toBeGreaterThan(0);
    for (const s of servers) expect(typeof s.setup).toBe('function');
  });

  for (const def of servers) {
    it(`docs/servers/${def.name}.md lists every tool of ${def.name}`, () => {
      const path = join(root, 'docs', 'servers', `${def.name}.md`);
      const existing = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
      check(path, mergeGenerated(existing, renderServerDoc(def), `${def.title} (\`bizmcp-${def.name}\`)`));
    });
  }

  it('config/servers.json matches the server definitions and its schema', () => {
    const path = join(root, 'config', 'servers.json');
    const doc = {
      $schema: './servers.schema.json',
      description: 'The bizmcp servers: how each starts and the environment it reads (generated from the code; see scripts/claude-config.mjs).',
      servers: Object.fromEntries(servers.map((d) => [d.name, serverConfigEntry(d)])),
    };
    check(path, JSON.stringify(doc, null, 2) + '\n');
    const schema = JSON.parse(readFileSync(join(root, 'config', 'servers.schema.json'), 'utf8'));
    expect(schema.required).toContain('servers');
    for (const [name, entry] of Object.entries(doc.servers)) {
      for (const key of schema.$defs.server.required) expect(entry, `${name}.${key}`).toHaveProperty(key);
    }
  });
});
