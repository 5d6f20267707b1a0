// The filesystem server's attack table again, with the sandbox's path-based checks
// (BIZMCP_SANDBOX_MODE=paths, as on macOS, Windows and Linux without /proc).
import { expect, it } from 'vitest';

process.env.BIZMCP_SANDBOX_MODE = 'paths';
await import('./attacks.test.js');
const { sandboxMode } = await import('@bizmcp/core');

it('runs with the path-based checks', async () => {
  expect(await sandboxMode()).toBe('paths');
});
