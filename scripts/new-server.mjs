#!/usr/bin/env node
// Creates a new server package in the shape of the others:
//
//   node scripts/new-server.mjs NAME ["One-line description"]
//
// packages/NAME with package.json (bin bizmcp-NAME), tsconfig, tsup config, src/index.ts (the bin),
// src/server.ts (the definition: no tools yet), src/state.ts, src/tools/, test/e2e.test.ts (the
// built binary over stdio) and a README. Nothing else needs editing: the tests, the type-check, the
// generated docs, config/servers.json and the pack test find packages by looking in packages/*.
// Then: node scripts/pnpm.mjs install && npm run docs, and add tools (see docs/adding-a-server.md).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// BIZMCP_ROOT: another checkout to create the package in (the scaffold's own test uses a copy).
const root = process.env.BIZMCP_ROOT || join(fileURLToPath(new URL('.', import.meta.url)), '..');
const [name, description = `bizmcp ${process.argv[2]} server`] = process.argv.slice(2);
const fail = (m) => {
  process.stderr.write(`new-server: ${m}\n`);
  process.exit(1);
};
if (!name || !/^[a-z][a-z0-9-]{1,30}$/.test(name)) fail('usage: node scripts/new-server.mjs NAME ["description"] (NAME: lower-case letters, digits and "-")');
const dir = join(root, 'packages', name);
if (existsSync(dir)) fail(`packages/${name} already exists`);

const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const corePkg = JSON.parse(readFileSync(join(root, 'packages', 'core', 'package.json'), 'utf8'));
const camel = name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
const Type = camel[0].toUpperCase() + camel.slice(1);
const title = `bizmcp ${name.replace(/-/g, ' ')}`;
const q = (s) => JSON.stringify(s).slice(1, -1).replace(/'/g, "\\'");

const files = {
  'package.json':
    JSON.stringify(
      {
        name: `@bizmcp/${name}`,
        version: '0.1.0',
        description,
        type: 'module',
        license: 'MIT',
        bin: { [`bizmcp-${name}`]: 'dist/index.js' },
        files: ['dist', 'README.md'],
        engines: corePkg.engines ?? rootPkg.engines,
        scripts: { build: 'tsup', typecheck: 'tsc -p tsconfig.json --noEmit' },
        dependencies: {},
        devDependencies: { '@bizmcp/core': 'workspace:*' },
      },
      null,
      2,
    ) + '\n',
  'tsconfig.json': `{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "noEmit": true },
  "include": ["src", "test"]
}
`,
  'tsup.config.ts': `import { defineConfig } from 'tsup';
import { serverBuild } from '../../scripts/tsup-preset.mjs';

export default defineConfig(serverBuild());
`,
  'src/index.ts': `// The bin: Node's compile cache, then the server (core's entry.ts).
import { runBin } from '@bizmcp/core/entry';

await runBin(() => import('./server.js'));
`,
  'src/state.ts': `import { toolsFor } from '@bizmcp/core';

/** The server's settings, read from its env declaration in parseConfig. */
export type ${Type}Config = Record<string, never>;

export interface ${Type}State {
  config: ${Type}Config;
}

/** \`tool({...})\` with this server's state type: each tool infers its types from its schemas. */
export const tool = toolsFor<${Type}State>();
`,
  'src/tools/.gitkeep': '',
  'src/server.ts': `// bizmcp-${name}: ${description}
import { defineServer } from '@bizmcp/core';
import type { ${Type}Config, ${Type}State } from './state.js';

// Declare every variable with core's env helpers (envInt, envSecret, envUrl, …) and read them
// with readEnv in parseConfig: --help, the docs and config/servers.json render the same list.
const env = {};

export default defineServer<${Type}Config, ${Type}State>({
  name: '${name}',
  version: '0.1.0',
  title: '${q(title)}',
  description: '${q(description)}',
  env,
  parseConfig: () => ({}),
  // Capability groups: { name: { description, default?: false } }; every tool names one.
  toolsets: {},
  // Tools live in src/tools/<group>.ts, one group per file, and are listed here.
  tools: [],
  setup(config) {
    return { config };
  },
});
`,
  'test/e2e.test.ts': `// The built binary over stdio: the SDK client, and raw JSON-RPC lines on stdin.
import { describe, expect, it } from 'vitest';
import { builtBin, jsonLines, rawStdio, spawnStdio } from '@bizmcp/core/testing';

const bin = builtBin('${name}');

describe('bizmcp-${name} binary', () => {
  it('starts and lists its tools', async () => {
    const s = await spawnStdio(bin);
    const { tools } = await s.client.listTools();
    expect(Array.isArray(tools)).toBe(true);
    await s.close();
  });

  it('answers piped JSON-RPC lines before it exits, with nothing but protocol on stdout', async () => {
    const run = await rawStdio(bin, jsonLines([{ method: 'tools/list' }]));
    expect(run.code).toBe(0);
    expect(run.messages.map((m) => m.id)).toEqual([0, 1]);
    expect(run.messages[0].result.serverInfo.name).toBe('bizmcp-${name}');
  });
});
`,
  'README.md': `# @bizmcp/${name}

\`bizmcp-${name}\`: ${description}

See [docs/servers/${name}.md](../../docs/servers/${name}.md) for its tools and configuration.
`,
};

for (const [file, text] of Object.entries(files)) {
  mkdirSync(join(dir, file, '..'), { recursive: true });
  writeFileSync(join(dir, file), text);
}
process.stderr.write(`created packages/${name}\nnext: node scripts/pnpm.mjs install && npm run build && npm run docs\nthen add tools in packages/${name}/src/tools/ (docs/adding-a-server.md)\n`);
