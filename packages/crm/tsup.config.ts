import { defineConfig } from 'tsup';
import { serverBuild } from '../../scripts/tsup-preset.mjs';

export default defineConfig(serverBuild());
