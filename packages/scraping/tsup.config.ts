import { defineConfig } from 'tsup';
import { serverBuild } from '../../scripts/tsup-preset.mjs';

// playwright-core carries files of its own (driver, protocol): installed, not bundled.
export default defineConfig(serverBuild({ external: ['playwright-core'] }));
