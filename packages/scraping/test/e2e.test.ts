// The built binary end to end: SDK client over stdio, raw JSON-RPC lines, and no Chromium process
// left behind once the server exits (stdin closed, or SIGTERM).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin, jsonLines, rawStdio, spawnStdio } from '@bizmcp/core/testing';
import { startSite, type Site } from './site.js';

const bin = builtBin('scraping');
let site: Site;

beforeAll(async () => {
  if (!existsSync('/usr/bin/chromium')) throw new Error('Chromium is required at /usr/bin/chromium (npm test installs it when run as root)');
  site = await startSite();
});
afterAll(() => site?.close());

/** Chromium processes whose command line carries this server's marker (its pid). */
function chromiumOf(pid: number): string[] {
  try {
    return execFileSync('pgrep', ['-f', '--', `--bizmcp-instance=${pid}-`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

// The site listens on 127.0.0.2: a private address, so the binary runs with --allow-private.
const url = (p: string) => `http://127.0.0.2:${site.port}${p}`;

describe('bizmcp-scraping binary', () => {
  // a browser start and a rendered page: slow when the whole suite runs beside it
  it('serves the SDK client; rendering leaves no Chromium behind after stdin closes', { timeout: 90_000 }, async () => {
    const s = await spawnStdio(bin, { args: ['--allow-private'], env: { SCRAPING_DELAY_MS: '0' } });
    const names = (await s.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(['scrape_url', 'extract_structured_data', 'map_site', 'crawl', 'scrape_dynamic_page', 'take_screenshot', 'download_file']);
    const r = await s.client.callTool({ name: 'scrape_dynamic_page', arguments: { url: url('/app'), wait_for_selector: '.dyn' } }, undefined, { timeout: 60_000 });
    expect((r.structuredContent as { content: string }).content).toContain('dynamic content');
    expect(chromiumOf(s.pid!).length).toBeGreaterThan(0);
    await s.close();
    await new Promise((res) => setTimeout(res, 1500));
    expect(chromiumOf(s.pid!)).toEqual([]);
  });

  it('SIGTERM during a rendered call: exits within 2 s and leaves no Chromium', { timeout: 90_000 }, async () => {
    const child = spawn(process.execPath, [bin, '--allow-private'], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH, SCRAPING_DELAY_MS: '0' } });
    child.stdin.write(jsonLines([{ method: 'tools/call', params: { name: 'scrape_dynamic_page', arguments: { url: url('/app'), wait_for_selector: '#never', timeout_ms: 30_000 } } }]));
    for (let i = 0; i < 50 && chromiumOf(child.pid!).length === 0; i++) await new Promise((r) => setTimeout(r, 200));
    expect(chromiumOf(child.pid!).length).toBeGreaterThan(0);
    const t0 = Date.now();
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    // the server's shutdown deadline is 2 s; the bound leaves room for process teardown under the
    // full suite's load and still fails a shutdown that waits for the call's 30 s timeout
    expect(Date.now() - t0).toBeLessThan(5000);
    await new Promise((res) => setTimeout(res, 1000));
    expect(chromiumOf(child.pid!)).toEqual([]);
  });

  it('raw JSON-RPC lines: private addresses refused by default', async () => {
    const run = await rawStdio(bin, jsonLines([{ method: 'tools/call', params: { name: 'scrape_url', arguments: { url: url('/article') } } }]));
    expect(run.code).toBe(0);
    expect(run.messages.find((m) => m.id === 1).result.isError).toBe(true);
    expect(run.messages.find((m) => m.id === 1).result.content[0].text).toMatch(/Blocked/);
  });
});
