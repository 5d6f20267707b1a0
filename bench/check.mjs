// npm run bench:check: the ratio guard. Runs every bench in its short mode (BENCH_QUICK=1), one after
// the other, each in its own process, collects the same-run ratios each writes (BENCH_RATIOS) and
// compares them with bench/baselines.json (lib/compare.mjs): a ratio more than 1.5x worse than its
// baseline, or missing from the run, or a bench that fails (its peer cannot run, its fixture cannot
// be made), fails the check (exit 1). A bench that fails is run once more first, and each of its
// ratios keeps the better of the two values: a regression fails twice, a one-run swing of a shared
// machine does not. The table goes to stdout; the benches' own output to stderr.
//
//   node bench/check.mjs [name…]   check (all benches, or only these)
//   node bench/check.mjs --update  rewrite bench/baselines.json from one run of all of them; commit it
//                                  only with a message that says why the baselines move
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bestOf, compareRatios, TOLERANCE } from './lib/compare.mjs';
import { benchNames, table } from './lib/harness.mjs';

const baselineFile = join(import.meta.dirname, 'baselines.json');
const BENCH_TIMEOUT_MS = 5 * 60_000; // one bench's short run takes well under a minute
const args = process.argv.slice(2);
const update = args.includes('--update');
const asked = args.filter((a) => a !== '--update');
const known = benchNames();
const unknown = asked.filter((n) => !known.includes(n));
if (unknown.length || (update && asked.length)) {
  process.stderr.write(`usage: node bench/check.mjs [--update | name…]; names: ${known.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}\n`);
  process.exit(2);
}
const names = asked.length ? asked : known;
if (!update && !existsSync(baselineFile)) {
  process.stderr.write('bench/baselines.json is missing: create it with `node bench/check.mjs --update` on a quiet machine\n');
  process.exit(1);
}
const log = (line) => process.stderr.write(`[bench:check] ${line}\n`);
const previous = existsSync(baselineFile) ? JSON.parse(readFileSync(baselineFile, 'utf8')) : { ratios: {} }; // absent only on a first --update
const tolerance = previous.tolerance ?? TOLERANCE;
/** The baseline ratios of one bench, without its name in front. */
const baselineOf = (bench) => Object.fromEntries(Object.entries(previous.ratios).flatMap(([name, r]) => (name.startsWith(`${bench}: `) ? [[name.slice(bench.length + 2), r]] : [])));

const load = loadavg().map((x) => x.toFixed(2));
log(`${names.length} benches, short mode; load average ${load.join(' ')} on ${availableParallelism()} cores`);
const dir = mkdtempSync(join(tmpdir(), 'bizmcp-bench-check-'));

/** One short run of a bench in its own process: its ratios, or why it failed. */
function runBench(name) {
  const file = join(dir, `${name}.json`);
  rmSync(file, { force: true });
  const started = performance.now();
  log(`${name}…`);
  const r = spawnSync(process.execPath, [join(import.meta.dirname, `${name}.mjs`)], {
    env: { ...process.env, BENCH_QUICK: '1', BENCH_RATIOS: file },
    stdio: ['ignore', 2, 2],
    timeout: BENCH_TIMEOUT_MS,
  });
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  const ratios = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const error = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : r.status !== 0 ? `exit ${r.status}` : Object.keys(ratios).length ? undefined : 'no ratios written';
  log(error ? `${name} FAILED after ${secs} s: ${error}` : `${name}: ${Object.keys(ratios).length} ratios in ${secs} s`);
  return { ratios, error };
}

const current = {};
const failedBenches = [];
const t0 = performance.now();
for (const name of names) {
  let run = runBench(name);
  // A check that fails is confirmed by a second run of that bench: each ratio keeps the better of
  // its two values, so a one-run swing of a shared machine passes and a real regression fails twice.
  if (!update && (run.error || !compareRatios(baselineOf(name), run.ratios, tolerance).ok)) {
    log(`${name}: ${run.error ?? 'a ratio is past its limit'}; running it once more to confirm`);
    const again = runBench(name);
    if (!again.error) run = run.error ? again : { ratios: bestOf(run.ratios, again.ratios) };
  }
  if (run.error) failedBenches.push(`${name} (${run.error})`);
  for (const [ratio, v] of Object.entries(run.ratios)) current[`${name}: ${ratio}`] = v;
}
rmSync(dir, { recursive: true, force: true });
const totalSecs = ((performance.now() - t0) / 1000).toFixed(0);

if (update) {
  if (failedBenches.length) {
    log(`not updating ${baselineFile}: failed: ${failedBenches.join(', ')}`);
    process.exit(1);
  }
  // The unguarded marks (and their reasons) are decisions, not measurements: they carry over.
  const ratios = Object.fromEntries(Object.entries(current).map(([name, r]) => [name, { ...r, ...(previous.ratios[name]?.unguarded ? { unguarded: previous.ratios[name].unguarded } : {}) }]));
  const out = {
    about:
      'Same-run ratios from `node bench/check.mjs --update` (short mode of each bench); `npm run bench:check` fails when one is more than `tolerance` times worse. Update only in a commit whose message says why.',
    updated: new Date().toISOString().slice(0, 10),
    node: process.version,
    cores: availableParallelism(),
    loadAverage: load.join(' '),
    tolerance: TOLERANCE,
    ratios,
  };
  writeFileSync(baselineFile, `${JSON.stringify(out, null, 2)}\n`);
  console.log(
    table(
      Object.entries(ratios).map(([name, r]) => ({ name, value: r.value, better: r.better, guarded: r.unguarded ? `no: ${r.unguarded}` : 'yes' })),
      ['name', 'value', 'better', 'guarded'],
    ),
  );
  console.log(`\nwrote ${Object.keys(ratios).length} ratios to bench/baselines.json (${totalSecs} s)`);
  process.exit(0);
}

// Only the baselines of the benches that ran (all of them unless names were given).
const baseline = Object.fromEntries(names.flatMap((bench) => Object.entries(baselineOf(bench)).map(([ratio, r]) => [`${bench}: ${ratio}`, r])));
const { ok, rows } = compareRatios(baseline, current, tolerance);
const num = (x) => (x === undefined ? '-' : String(Number(x.toPrecision(3))));
console.log(
  table(
    rows.map((r) => ({ name: r.name, better: r.better, baseline: num(r.baseline), now: num(r.now), verdict: r.verdict })),
    ['name', 'better', 'baseline', 'now', 'verdict'],
  ),
);
const failedRatios = rows.filter((r) => r.fail).length;
console.log(
  `\nbench:check: ${rows.length} ratios, ${failedRatios} failed${failedBenches.length ? `; benches failed: ${failedBenches.join(', ')}` : ''}; baselines of ${previous.updated ?? 'never'} (node ${previous.node ?? '-'}, ${previous.cores ?? '-'} cores); ${totalSecs} s; load average at the start ${load[0]}`,
);
process.exit(ok && !failedBenches.length ? 0 : 1);
