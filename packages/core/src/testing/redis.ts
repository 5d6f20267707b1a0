// A Redis for tests: the service at 127.0.0.1:6379 when it answers, else (or with
// BIZMCP_TEST_REDIS=own) a throwaway `redis-server` on a free port, without persistence, stopped
// by stop(). Debian's redis-server brings the binary (`npm run setup` installs it when missing).
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './ports.js';

export interface TestRedis {
  url: string;
  /** Whether this is a server started for the tests (stop() ends it). */
  own: boolean;
  stop(): Promise<void>;
}

export function answersPing(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 1500 });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => done(String(d).startsWith('+PONG')));
    s.once('timeout', () => done(false));
    s.once('error', () => done(false));
  });
}

export async function testRedis(opts: { own?: boolean } = {}): Promise<TestRedis> {
  if (!opts.own && process.env.BIZMCP_TEST_REDIS !== 'own' && (await answersPing(6379))) return { url: 'redis://127.0.0.1:6379', own: false, stop: async () => {} };
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (e) => reject(new Error(`No Redis answers at 127.0.0.1:6379 and redis-server could not start (${e.message}): run \`npm run setup\` (installs Debian's redis-server)`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code})`)));
  });
  failed.catch(() => {});
  for (let i = 0; i < 100; i++) {
    if (await Promise.race([answersPing(port), failed])) {
      return {
        url: `redis://127.0.0.1:${port}`,
        own: true,
        stop: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer on port ${port}`);
}
