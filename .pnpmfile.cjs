// pnpm hooks. beforePacking: a packed server is what npm users install, so its manifest keeps no
// reference to the workspace (the `@bizmcp/*` packages are bundled into dist/ and never published)
// and no devDependencies (they only build it).
module.exports = {
  hooks: {
    beforePacking(pkg) {
      delete pkg.devDependencies;
      for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
        for (const [name, range] of Object.entries(pkg[field] ?? {})) {
          if (name.startsWith('@bizmcp/') || String(range).startsWith('workspace:')) throw new Error(`${pkg.name}: ${field} ${name}@${range} would reach npm users; bundle it instead`);
        }
      }
      return pkg;
    },
  },
};
