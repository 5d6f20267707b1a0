// Shared bench machinery: spawn an MCP server over stdio, speak raw JSON-RPC lines to it (no client
// library overhead in the measurement), time start-up, read idle RSS, run sequential and pipelined
// tool calls. Each bench prints a table and ratios from one run.
//
// Two environment variables serve bench/check.mjs (the ratio guard); without them a bench runs and
// prints as it always did:
//   BENCH_QUICK=1        the short run: fewer calls, rounds and processes, smaller fixtures (`sized`);
//   BENCH_RATIOS=<file>  the bench also writes its same-run ratios there as JSON (`reportRatios`).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** True under BENCH_QUICK=1 (bench/check.mjs): the short run. */
export const quick = process.env.BENCH_QUICK === '1';

/** `full` in a normal run, `short` under BENCH_QUICK=1. */
export const sized = (full, short) => (quick ? short : full);

/** A number from the environment variable `name` when set, else `sized(full, short)`. */
export const envSize = (name, full, short) => Number(process.env[name] ?? sized(full, short));

export class RawServer {
  constructor(command, args, env = {}) {
    this.command = command;
    this.args = args;
    this.env = env;
    this.nextId = 1;
    this.waiting = new Map();
    this.buf = '';
  }

  /** Spawns and sends initialize; returns ms from spawn to the initialize answer. */
  async start() {
    const t0 = performance.now();
    this.child = spawn(this.command, this.args, { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: process.env.HOME, ...this.env } });
    this.stderr = '';
    this.child.stderr.on('data', (d) => (this.stderr += d));
    this.child.stdout.on('data', (d) => this.onData(d));
    // A server that dies fails its pending requests at once (with its stderr), instead of at their timeout.
    const fail = (why) => {
      const err = new Error(`${this.args.join(' ')}: ${why}; stderr: ${this.stderr.slice(-500)}`);
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    this.child.once('exit', (code, signal) => fail(`exited (${signal ?? code})`));
    this.child.once('error', (e) => fail(e.message));
    await this.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } });
    const ms = performance.now() - t0;
    this.notify('notifications/initialized');
    return ms;
  }

  onData(d) {
    this.buf += d;
    let i;
    while ((i = this.buf.indexOf('\n')) !== -1) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      if (!line.trim()) continue;
      const msg = JSON.parse(line);
      const w = this.waiting.get(msg.id);
      if (w) {
        this.waiting.delete(msg.id);
        msg.error ? w.reject(new Error(JSON.stringify(msg.error))) : w.resolve(msg.result);
      }
    }
  }

  request(method, params, { timeout = sized(600_000, 120_000) } = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${method} timed out; stderr: ${this.stderr.slice(-500)}`)), timeout);
      this.waiting.set(id, { resolve: (v) => (clearTimeout(t), resolve(v)), reject: (e) => (clearTimeout(t), reject(e)) });
      this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }

  notify(method, params) {
    this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}) }) + '\n');
  }

  call(name, args, opts) {
    return this.request('tools/call', { name, arguments: args }, opts);
  }

  /** Resident set size in MB, from /proc. */
  rssMb() {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
    return kb / 1024;
  }

  /** CPU time (user + system) the server process has used so far, in ms (from /proc, 10 ms ticks). */
  cpuMs() {
    const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }

  /** Peak resident set size (VmHWM) in MB. */
  peakRssMb() {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024;
  }

  async sequential(name, args, n) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const r = await this.call(name, args);
      if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
    }
    return (n / (performance.now() - t0)) * 1000;
  }

  async pipelined(name, args, n) {
    const t0 = performance.now();
    const all = [];
    for (let i = 0; i < n; i++) all.push(this.call(name, args));
    const rs = await Promise.all(all);
    if (rs.some((r) => r.isError)) throw new Error(`${name} failed while pipelined`);
    return (n / (performance.now() - t0)) * 1000;
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** Median start-up of `runs` fresh processes, plus idle RSS of the last one. */
export async function startup(make, runs = 7) {
  const times = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const s = make();
    times.push(await s.start());
    if (i === runs - 1) {
      await new Promise((r) => setTimeout(r, 300));
      rss = s.rssMb();
    }
    await s.stop();
  }
  return { ms: median(times), rssMb: rss };
}

export function table(rows, cols) {
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (vals) => vals.map((v, i) => String(v ?? '').padEnd(widths[i])).join('  ');
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => r[c])))].join('\n');
}

export const fmt = (x, d = 1) => (typeof x === 'number' ? x.toFixed(d) : x);

/** A same-run ratio for reportRatios: `better` says which way is good ('lower' or 'higher'). */
export const lower = (value) => ({ value, better: 'lower' });
export const higher = (value) => ({ value, better: 'higher' });

/**
 * Writes the bench's same-run ratios (bizmcp against its peer or floor, never absolute figures) to
 * the file named by BENCH_RATIOS as `{ "<name>": { "value": n, "better": "lower"|"higher" } }`;
 * does nothing when BENCH_RATIOS is not set. A ratio that is not a finite number is an error.
 */
export function reportRatios(ratios) {
  const file = process.env.BENCH_RATIOS;
  if (!file) return;
  for (const [name, r] of Object.entries(ratios)) {
    if (!Number.isFinite(r.value) || (r.better !== 'lower' && r.better !== 'higher')) throw new Error(`ratio ${name}: ${JSON.stringify(r)}`);
  }
  const rounded = Object.fromEntries(Object.entries(ratios).map(([name, r]) => [name, { value: Number(r.value.toFixed(4)), better: r.better }]));
  writeFileSync(file, `${JSON.stringify(rounded, null, 2)}\n`);
}

/** The bench scripts in bench/ (names without .mjs): every .mjs file but the runners. */
export const benchNames = () =>
  readdirSync(join(import.meta.dirname, '..'))
    .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs' && f !== 'check.mjs')
    .map((f) => f.replace(/\.mjs$/, ''));
