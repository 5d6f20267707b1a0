import { defineConfig } from 'tsup';
import { serverBuild } from '../../scripts/tsup-preset.mjs';

// playwright-core carries files of its own (driver, protocol): installed, not bundled.
// documents-worker: core's document extraction runs in a worker thread loaded from beside the bundle.
export default defineConfig(serverBuild({ entry: { index: 'src/index.ts', 'documents-worker': '../core/src/documents/worker.ts' }, external: ['playwright-core'] }));
