import { defineConfig } from 'tsup';
import { serverBuild } from '../../scripts/tsup-preset.mjs';

// Core itself ships inside each server bundle; this builds only its test fixture server, which the
// core end-to-end tests and the bench harness spawn.
export default defineConfig(serverBuild({ entry: { 'echo-server': 'fixtures/echo-server.ts' } }));
