import { defineConfig } from 'tsup';
import { serverBuild } from '../../scripts/tsup-preset.mjs';

// documents-worker: core's document extraction (drive_read_file on PDF and Office files) runs in a
// worker thread loaded from beside the bundle.
export default defineConfig(serverBuild({ entry: { index: 'src/index.ts', 'documents-worker': '../core/src/documents/worker.ts' } }));
