// The test projects: one per package. vitest.config.ts imports this list as `test.projects`
// (Vitest 4 does not read a workspace file on its own).
import { defineProject } from 'vitest/config';

const pkg = (name: string, extra: { testTimeout?: number; fileParallelism?: boolean } = {}) =>
  defineProject({
    test: {
      name,
      root: `./packages/${name}`,
      include: ['test/**/*.test.ts'],
      environment: 'node',
      testTimeout: extra.testTimeout ?? 20_000,
      hookTimeout: 60_000,
      fileParallelism: extra.fileParallelism ?? true,
    },
  });

export const projects = [
  defineProject({ test: { name: 'repo', root: '.', include: ['test/**/*.test.ts'], environment: 'node', testTimeout: 60_000 } }),
  pkg('core'),
  pkg('filesystem'),
  pkg('database', { testTimeout: 60_000, fileParallelism: false }),
  pkg('http-api'),
  pkg('scraping'),
  pkg('email', { testTimeout: 60_000 }),
];

export default projects;
