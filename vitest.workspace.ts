// The test projects: the repository-level one, then one per package found in packages/* (a new
// package is picked up as soon as it has a test/ folder). A package may set its own limits in its
// package.json: "bizmcp": { "test": { "testTimeout": 60000, "fileParallelism": false, "globalSetup": "test/global-setup.ts" } }.
// vitest.config.ts imports this list as `test.projects` (Vitest 4 does not read a workspace file on its own).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineProject } from 'vitest/config';

interface TestSettings {
  testTimeout?: number;
  fileParallelism?: boolean;
  /** A global setup module of the package (path relative to it), e.g. one that starts a service. */
  globalSetup?: string;
}

const root = import.meta.dirname;

const pkg = (name: string, extra: TestSettings) =>
  defineProject({
    test: {
      name,
      root: `./packages/${name}`,
      include: ['test/**/*.test.ts'],
      environment: 'node',
      testTimeout: extra.testTimeout ?? 20_000,
      hookTimeout: 60_000,
      fileParallelism: extra.fileParallelism ?? true,
      ...(extra.globalSetup ? { globalSetup: [extra.globalSetup] } : {}),
    },
  });

const packages = readdirSync(join(root, 'packages'))
  .filter((d) => existsSync(join(root, 'packages', d, 'package.json')) && existsSync(join(root, 'packages', d, 'test')))
  .sort((a, b) => (a === 'core' ? -1 : b === 'core' ? 1 : a.localeCompare(b)));

export const projects = [
  defineProject({ test: { name: 'repo', root: '.', include: ['test/**/*.test.ts'], environment: 'node', testTimeout: 60_000 } }),
  ...packages.map((d) => pkg(d, (JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')).bizmcp?.test ?? {}) as TestSettings)),
];

export default projects;
