// The Node floor: the tests run on Node >= 22.12 (setup brings Node 24 where the machine's is older),
// and every package of the workspace says so in its engines field.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const floor = [22, 12];
const manifests = ['package.json', 'bench/package.json', ...readdirSync(join(root, 'packages')).map((d) => `packages/${d}/package.json`)].filter((f) => existsSync(join(root, f)));

describe('toolchain', () => {
  it(`runs on Node >= ${floor.join('.')}`, () => {
    const [major, minor] = process.versions.node.split('.').map(Number);
    expect(major > floor[0] || (major === floor[0] && minor >= floor[1]), `Node ${process.versions.node}`).toBe(true);
  });

  it.each(manifests)('%s has engines.node ">=22.12"', (file) => {
    const pkg = JSON.parse(readFileSync(join(root, file), 'utf8'));
    expect(pkg.engines?.node).toBe('>=22.12');
  });

  it('pins one exact Node per major that setup can fetch', () => {
    const pins = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bizmcp.node as Record<string, string>;
    expect(Object.keys(pins).sort()).toEqual(['22', '24']);
    for (const [major, version] of Object.entries(pins)) expect(version).toMatch(new RegExp(`^${major}\\.\\d+\\.\\d+$`));
  });
});
