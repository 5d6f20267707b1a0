import { defineConfig } from 'tsup';
import { serverBuild } from '../../scripts/tsup-preset.mjs';

// PGlite and the PostgreSQL parser carry WASM files of their own: installed, not bundled.
export default defineConfig(serverBuild({ external: ['@electric-sql/pglite', 'libpg-query', 'pg-native'] }));
