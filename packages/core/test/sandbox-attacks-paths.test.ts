// The sandbox attack table again, with the path-based checks (BIZMCP_SANDBOX_MODE=paths): what
// macOS, Windows and Linux without /proc use. The mode is read at the first file operation, so it is
// set before the table is loaded; this file runs in its own worker.
import { expect, it } from 'vitest';

process.env.BIZMCP_SANDBOX_MODE = 'paths';
await import('./sandbox-attacks.test.js');
const { sandboxMode } = await import('../src/index.js');

it('runs with the path-based checks', async () => {
  expect(await sandboxMode()).toBe('paths');
});
