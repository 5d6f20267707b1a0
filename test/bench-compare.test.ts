// The ratio guard's rule (bench/lib/compare.mjs, used by `npm run bench:check`): a ratio more than
// 1.5x worse than its committed baseline fails, in either direction; a baseline ratio missing from
// the run fails; within 1.5x passes; a confirming second run keeps each ratio's better value. Pure
// logic on given numbers: no bench runs here, nothing is timed.
import { describe, expect, it } from 'vitest';
import { bestOf, compareRatios, TOLERANCE } from '../bench/lib/compare.mjs';

const lower = (value: number) => ({ value, better: 'lower' as const });
const higher = (value: number) => ({ value, better: 'higher' as const });
const verdictOf = (base: Parameters<typeof compareRatios>[0], now: Parameters<typeof compareRatios>[1]) => compareRatios(base, now);

describe('bench ratio guard', () => {
  it('tolerates 1.5x', () => {
    expect(TOLERANCE).toBe(1.5);
  });

  it('lower is better: more than 1.5x the baseline fails, up to 1.5x passes', () => {
    const base = { 'core: start-up': lower(0.8) };
    expect(verdictOf(base, { 'core: start-up': lower(1.21) }).ok).toBe(false);
    expect(verdictOf(base, { 'core: start-up': lower(1.2) }).ok).toBe(true);
    expect(verdictOf(base, { 'core: start-up': lower(0.3) }).ok).toBe(true);
    const { rows } = verdictOf(base, { 'core: start-up': lower(2.4) });
    expect(rows[0]).toMatchObject({ name: 'core: start-up', baseline: 0.8, now: 2.4, fail: true });
    expect(rows[0].verdict).toMatch(/FAIL: 3\.00x worse/);
  });

  it('higher is better: less than the baseline / 1.5 fails, down to it passes', () => {
    const base = { 'filesystem: search_files, reference / bizmcp': higher(6) };
    expect(verdictOf(base, { 'filesystem: search_files, reference / bizmcp': higher(3.9) }).ok).toBe(false);
    expect(verdictOf(base, { 'filesystem: search_files, reference / bizmcp': higher(4) }).ok).toBe(true);
    expect(verdictOf(base, { 'filesystem: search_files, reference / bizmcp': higher(20) }).ok).toBe(true);
    expect(verdictOf(base, { 'filesystem: search_files, reference / bizmcp': higher(2) }).rows[0].verdict).toMatch(/FAIL: 3\.00x worse/);
  });

  it('a baseline ratio missing from the run fails', () => {
    const { ok, rows } = verdictOf({ 'a: x': lower(1), 'b: y': higher(1) }, { 'a: x': lower(1) });
    expect(ok).toBe(false);
    expect(rows.find((r) => r.name === 'b: y')).toMatchObject({ now: undefined, fail: true, verdict: expect.stringMatching(/missing/) });
  });

  it('a ratio whose direction changed fails', () => {
    expect(verdictOf({ 'a: x': lower(1) }, { 'a: x': higher(1) }).ok).toBe(false);
  });

  it('an unguarded ratio is shown but does not fail when worse; it still fails when missing', () => {
    const base = { 'a: x': { ...lower(1), unguarded: 'swings 0.5-2x between short runs' } };
    const worse = verdictOf(base, { 'a: x': lower(5) });
    expect(worse.ok).toBe(true);
    expect(worse.rows[0].verdict).toMatch(/^unguarded \(5\.00x worse\)/);
    expect(verdictOf(base, {}).ok).toBe(false);
  });

  it('a ratio without a baseline yet is listed as new and does not fail', () => {
    const { ok, rows } = verdictOf({ 'a: x': lower(1) }, { 'a: x': lower(1), 'a: new': lower(9) });
    expect(ok).toBe(true);
    expect(rows.map((r) => [r.name, r.verdict])).toEqual([
      ['a: x', 'ok (same)'],
      ['a: new', 'new: no baseline yet'],
    ]);
  });

  it('merges a confirming run: each ratio keeps its better value, in its own direction', () => {
    const first = { 'a: lat': lower(2), 'a: speed-up': higher(3), 'a: only first': lower(1) };
    const second = { 'a: lat': lower(1.5), 'a: speed-up': higher(2), 'a: only second': higher(4) };
    expect(bestOf(first, second)).toEqual({ 'a: lat': lower(1.5), 'a: speed-up': higher(3), 'a: only first': lower(1), 'a: only second': higher(4) });
  });

  it('takes another tolerance', () => {
    expect(compareRatios({ 'a: x': lower(1) }, { 'a: x': lower(1.3) }, 1.2).ok).toBe(false);
  });
});
