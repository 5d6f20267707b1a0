import { defineConfig } from 'vitest/config';
import { projects } from './vitest.workspace.ts';

export default defineConfig({
  test: {
    projects,
    // 2 cores: keep worker count modest so spawned servers, chromium and dovecot get CPU.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
