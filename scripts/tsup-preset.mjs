// One build recipe for every server bin: a single ESM file with a shebang, core and pure-JS
// dependencies inlined (fewer files to resolve at start-up), packages that carry files of their own
// (wasm, browsers, native addons) kept external and listed in the package's "dependencies".
const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

export function serverBuild({ entry = { index: 'src/index.ts' }, external = [] } = {}) {
  return {
    entry,
    format: ['esm'],
    platform: 'node',
    target: 'node22',
    outDir: 'dist',
    clean: true,
    bundle: true,
    splitting: true, // dynamic imports (http transport, redis, heavy SDKs) become chunks loaded on first use
    sourcemap: false,
    minify: false,
    treeshake: true,
    shims: false,
    dts: false,
    // bundle everything except the packages named in `external`
    noExternal: [external.length ? new RegExp(`^(?!(${external.map(escapeRegExp).join('|')})(/|$))`) : /.*/],
    external,
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __bizmcpCreateRequire } from 'node:module';\nconst require = __bizmcpCreateRequire(import.meta.url);",
    },
  };
}
