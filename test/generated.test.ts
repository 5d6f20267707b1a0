// Generated files stay in step with the code: docs/servers/<name>.md (tools tables),
// config/servers.json, and per server the registry entry (packages/<name>/server.json, in the MCP
// registry's server.json format), the publishing fields of its package.json (mcpName, repository,
// homepage, keywords, license) and its LICENSE are rendered from the server definitions and the
// root package.json; this fails when a committed file is out of date. `npm run docs`
// (UPDATE_GENERATED=1) rewrites them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
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

  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const repoUrl = String(rootPkg.repository.url)
    .replace(/^git\+/, '')
    .replace(/\.git$/, '');
  const owner = new URL(repoUrl).pathname.split('/')[1];
  for (const def of servers) {
    const dir = join(root, 'packages', def.name);
    it(`packages/${def.name}: package.json publishing fields, LICENSE and server.json`, () => {
      const pkgPath = join(dir, 'package.json');
      const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
      const want = {
        ...pkg,
        license: 'MIT',
        mcpName: `io.github.${owner}/${def.name}`,
        repository: { type: 'git', url: rootPkg.repository.url, directory: `packages/${def.name}` },
        homepage: `${repoUrl}/tree/main/packages/${def.name}#readme`,
        keywords: [...new Set(['mcp', 'mcp-server', 'model-context-protocol', def.name, ...(pkg.keywords ?? [])])],
        files: [...new Set([...(pkg.files ?? ['dist']), 'README.md', 'LICENSE', 'server.json'])],
      };
      check(pkgPath, `${JSON.stringify(want, null, 2)}\n`);
      check(join(dir, 'LICENSE'), readFileSync(join(root, 'LICENSE'), 'utf8'));
      const env = serverConfigEntry(def).env as Record<string, { description: string; secret: boolean }>;
      const serverJson = {
        $schema: 'https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json',
        name: want.mcpName,
        description: pkg.description,
        repository: { url: repoUrl, source: 'github', subfolder: `packages/${def.name}` },
        version: pkg.version,
        websiteUrl: want.homepage,
        packages: [
          {
            registryType: 'npm',
            registryBaseUrl: 'https://registry.npmjs.org',
            identifier: pkg.name,
            version: pkg.version,
            transport: { type: 'stdio' },
            ...(def.positionals ? { packageArguments: [{ type: 'positional', valueHint: def.positionals.name, description: def.positionals.description, isRepeated: true, format: 'filepath' }] } : {}),
            environmentVariables: Object.entries(env).map(([name, v]) => ({ name, description: v.description, isRequired: false, isSecret: v.secret })),
          },
        ],
      };
      check(join(dir, 'server.json'), `${JSON.stringify(serverJson, null, 2)}\n`);
      expect(registryEntry.safeParse(serverJson).error?.issues ?? []).toEqual([]);
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

// The constraints of the MCP registry's server.json (schema 2025-09-29) that an npm-published
// stdio server meets: a reverse-DNS name with one slash, a short description, an exact version.
const input = z.object({
  description: z.string().min(1),
  isRequired: z.boolean().optional(),
  isSecret: z.boolean().optional(),
  format: z.enum(['string', 'number', 'boolean', 'filepath']).optional(),
});
const exactVersion = z
  .string()
  .min(1)
  .max(255)
  .refine((v) => v !== 'latest' && !/^[\^~><=]|\.[x*]$|[x*]$/.test(v), 'an exact version, not a range');
const registryEntry = z.object({
  $schema: z.string().url(),
  name: z
    .string()
    .min(3)
    .max(200)
    .regex(/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/),
  description: z.string().min(1).max(100),
  repository: z.object({ url: z.string().url(), source: z.string(), subfolder: z.string().optional() }),
  version: exactVersion,
  websiteUrl: z.string().url(),
  packages: z
    .array(
      z.strictObject({
        registryType: z.literal('npm'),
        registryBaseUrl: z.string().url(),
        identifier: z.string().min(1),
        version: exactVersion,
        transport: z.object({ type: z.literal('stdio') }),
        packageArguments: z.array(input.extend({ type: z.literal('positional'), valueHint: z.string(), isRepeated: z.boolean() })).optional(),
        environmentVariables: z.array(input.extend({ name: z.string().regex(/^[A-Z][A-Z0-9_]*$/) })),
      }),
    )
    .min(1),
});
