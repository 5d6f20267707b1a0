// Vitest global setup of the database tests: picks the PostgreSQL they use (own-postgres.ts) and
// passes it to every test file as TEST_DATABASE_URL.
import { answers, type OwnCluster, SERVICE_URL, startOwnCluster } from './own-postgres.js';

export default async function setup(): Promise<(() => void) | undefined> {
  if (process.env.TEST_DATABASE_URL) return undefined;
  const own = process.env.BIZMCP_TEST_PG === 'own';
  if (!own && (await answers(SERVICE_URL))) {
    process.env.TEST_DATABASE_URL = SERVICE_URL;
    return undefined;
  }
  const cluster: OwnCluster = await startOwnCluster();
  process.stderr.write(`[database tests] ${own ? 'BIZMCP_TEST_PG=own' : 'nothing answers at 127.0.0.1:5432'}: a throwaway cluster at ${cluster.url}\n`);
  process.env.TEST_DATABASE_URL = cluster.url;
  return () => cluster.stop();
}
