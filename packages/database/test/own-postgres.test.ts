// The throwaway cluster the tests start when no PostgreSQL service answers (own-postgres.ts), run
// here even where a service runs: started, used by the built server, stopped, and gone afterwards.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtBin, spawnStdio } from '@bizmcp/core/testing';
import { answers, startOwnCluster } from './own-postgres.js';

describe('a throwaway PostgreSQL cluster', () => {
  it('starts on a free port with a test database, serves the built server, and leaves nothing behind', { timeout: 120_000 }, async () => {
    const cluster = await startOwnCluster();
    const port = Number(new URL(cluster.url).port);
    expect(port).not.toBe(5432);
    expect(existsSync(`${cluster.dir}/data/PG_VERSION`)).toBe(true);
    try {
      expect(await answers(cluster.url)).toBe(true);
      const s = await spawnStdio(builtBin('database'), { env: { DATABASE_URL: cluster.url } });
      const r = await s.client.callTool({ name: 'execute_query', arguments: { sql: "SELECT current_database() AS db, current_setting('port') AS port" } });
      expect(r.structuredContent).toMatchObject({ rows: [{ db: 'test', port: String(port) }] });
      await s.close();
    } finally {
      cluster.stop();
    }
    expect(await answers(cluster.url)).toBe(false);
    expect(existsSync(cluster.dir)).toBe(false);
  });
});
