// The ratio guard's rule (bench/check.mjs), kept pure so it can be unit-tested: each ratio of the
// committed baseline must be in the new run and no more than `tolerance` times worse than its
// baseline: for a "lower is better" ratio, value <= tolerance * baseline; for "higher is better",
// value >= baseline / tolerance. A baseline ratio marked `unguarded` (with the reason) is shown but
// never fails unless it is missing; a ratio the baseline does not have yet is shown as new.
// bestOf merges two runs of a bench (the check confirms a failure with a second run).

export const TOLERANCE = 1.5;

/** How many times worse `now` is than `base` (below 1: better), in the ratio's own direction. */
function worseness(base, now, better) {
  const [a, b] = better === 'lower' ? [now, base] : [base, now];
  if (b === 0) return a === 0 ? 1 : Number.POSITIVE_INFINITY;
  return a / b;
}

/**
 * @param baseline {Record<string, {value: number, better: 'lower'|'higher', unguarded?: string}>}
 * @param current {Record<string, {value: number, better: 'lower'|'higher'}>}
 * @returns {{ ok: boolean, rows: {name: string, baseline?: number, now?: number, better: string, verdict: string, fail: boolean}[] }}
 */
export function compareRatios(baseline, current, tolerance = TOLERANCE) {
  const rows = [];
  for (const [name, base] of Object.entries(baseline)) {
    const now = current[name];
    const row = { name, baseline: base.value, now: now?.value, better: base.better, verdict: '', fail: false };
    if (!now || !Number.isFinite(now.value)) {
      Object.assign(row, { verdict: 'FAIL: missing from this run', fail: true });
    } else if (now.better !== base.better) {
      Object.assign(row, { verdict: `FAIL: now ${now.better} is better, the baseline says ${base.better}`, fail: true });
    } else {
      const worse = base.better === 'lower' ? now.value > tolerance * base.value : now.value < base.value / tolerance;
      const factor = worseness(base.value, now.value, base.better);
      const change = factor.toFixed(2) === '1.00' ? 'same' : factor > 1 ? `${factor.toFixed(2)}x worse` : `${(1 / factor).toFixed(2)}x better`;
      if (base.unguarded) row.verdict = `unguarded (${change})`;
      else if (worse) Object.assign(row, { verdict: `FAIL: ${change} (limit ${tolerance}x)`, fail: true });
      else row.verdict = `ok (${change})`;
    }
    rows.push(row);
  }
  for (const [name, now] of Object.entries(current)) {
    if (!(name in baseline)) rows.push({ name, baseline: undefined, now: now.value, better: now.better, verdict: 'new: no baseline yet', fail: false });
  }
  return { ok: rows.every((r) => !r.fail), rows };
}

/** Two runs' ratios merged: each ratio keeps the better of its values (by its own direction). */
export function bestOf(a, b) {
  const out = { ...a };
  for (const [name, r] of Object.entries(b)) {
    const mine = out[name];
    if (!mine || (r.better === 'lower' ? r.value < mine.value : r.value > mine.value)) out[name] = r;
  }
  return out;
}
