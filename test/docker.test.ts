// The container's install steps without Docker (no daemon on these machines): the servers packed as
// for npm (scripts/pack-servers.mjs), installed by docker/install.mjs into a clean directory, and the
// `bizmcp` launcher run as the image runs it (0.0.0.0, a token required, /health for the health
// check). Plus what the Dockerfile must keep: a non-root user, the health check, the install script.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@bizmcp/core/testing';
import { networkEnv } from './npm-env.js';

const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'bizmcp-docker-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
const servers = readdirSync(join(root, 'packages')).filter((p) => p !== 'core' && existsSync(join(root, 'packages', p, 'src', 'server.ts')));
const TOKEN = 'docker-test-token-0123456789abcdef0123456789';

function http(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: b }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('the container image, without Docker', () => {
  it('the Dockerfile runs as a non-root user, checks /health, and installs with docker/install.mjs', () => {
    const df = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const lines = df.split('\n').filter((l) => !l.startsWith('#'));
    const users = lines.filter((l) => /^USER\s/.test(l)).map((l) => l.split(/\s+/)[1]);
    expect(users.at(-1)).toBe('node');
    expect(df).toMatch(/^HEALTHCHECK .*\n?.*\/health/m);
    expect(df).toMatch(/RUN node \/opt\/bizmcp\/install\.mjs \/tmp\/packages \/opt\/bizmcp/);
    expect(df).toMatch(/node scripts\/pack-servers\.mjs \/packages/);
    expect(df).toMatch(/^ENTRYPOINT \["bizmcp"\]/m);
    expect(df).toMatch(/BIZMCP_HTTP_HOST=0\.0\.0\.0/);
    for (const from of lines.filter((l) => /^FROM\s/.test(l))) expect(from, 'base images are tagged, never latest').toMatch(/^FROM \S+:(?!latest)\S+/);
    expect(readFileSync(join(root, 'compose.yaml'), 'utf8')).toMatch(/REDIS_URL: redis:\/\/redis:6379/);
  });

  it('installs every packed server in a clean directory; the launcher serves one over HTTP with a token', { timeout: 600_000 }, async () => {
    const packages = join(work, 'packages');
    const packed = spawnSync(process.execPath, [join(root, 'scripts', 'pack-servers.mjs'), packages], { encoding: 'utf8', timeout: 300_000 });
    expect(packed.status, packed.stderr).toBe(0);
    expect(readdirSync(packages).filter((f) => f.endsWith('.tgz'))).toHaveLength(servers.length);
    // a clean directory: nothing of the repository, only the tarballs and the install script
    const prefix = join(work, 'opt', 'bizmcp');
    const install = spawnSync(process.execPath, [join(root, 'docker', 'install.mjs'), packages, prefix], {
      cwd: work,
      encoding: 'utf8',
      timeout: 540_000,
      env: { ...networkEnv, PATH: process.env.PATH ?? '', HOME: work, npm_config_cache: join(work, 'npm-cache') },
    });
    expect(install.status, install.stderr.slice(-3000)).toBe(0);
    const launcher = join(prefix, 'bin', 'bizmcp');
    const list = spawnSync(launcher, ['list'], { encoding: 'utf8' });
    expect(list.stdout.trim().split('\n')[1]).toBe(`servers: ${[...servers].sort().join(', ')}`);

    const data = join(work, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'hello.txt'), 'from the volume');
    const env = { PATH: process.env.PATH ?? '', HOME: work };
    // off loopback without a token, the server refuses to start
    const refused = spawnSync(launcher, ['filesystem', data], { encoding: 'utf8', env: { ...env, PORT: String(await freePort()), BIZMCP_HTTP_ALLOWED_HOSTS: 'localhost:8080' }, timeout: 30_000 });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/BIZMCP_HTTP_TOKEN/);

    const port = await freePort();
    const child = spawn(launcher, ['filesystem', data], {
      env: { ...env, PORT: String(port), BIZMCP_HTTP_TOKEN: TOKEN, BIZMCP_HTTP_ALLOWED_HOSTS: `127.0.0.1:${port}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let err = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d) => {
        err += d;
        if (/"url":"/.test(err)) resolve();
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    expect(err).toMatch(/0\.0\.0\.0/);
    const health = await http(port, '/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', server: 'filesystem' });
    const mcp = (headers: Record<string, string>, body: unknown) =>
      http(port, '/mcp', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(body) });
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'docker-test', version: '0' } } };
    expect((await mcp({}, init)).status).toBe(401);
    const opened = await mcp({ authorization: `Bearer ${TOKEN}` }, init);
    expect(opened.status).toBe(200);
    const sid = String(opened.headers['mcp-session-id']);
    const read = await mcp(
      { authorization: `Bearer ${TOKEN}`, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'read_text_file', arguments: { path: join(data, 'hello.txt') } } },
    );
    expect(read.body).toContain('from the volume');
    child.kill('SIGTERM');
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
  });
});
