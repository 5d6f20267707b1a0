// Types of compare.mjs for the TypeScript tests (test/bench-compare.test.ts).
export type Better = 'lower' | 'higher';
export interface Ratio {
  value: number;
  better: Better;
}
export interface BaselineRatio extends Ratio {
  /** Why this ratio is shown but not guarded (it swings too much between short runs). */
  unguarded?: string;
}
export interface ComparedRow {
  name: string;
  baseline?: number;
  now?: number;
  better: Better;
  verdict: string;
  fail: boolean;
}
export declare const TOLERANCE: number;
export declare function compareRatios(baseline: Record<string, BaselineRatio>, current: Record<string, Ratio>, tolerance?: number): { ok: boolean; rows: ComparedRow[] };
export declare function bestOf(a: Record<string, Ratio>, b: Record<string, Ratio>): Record<string, Ratio>;
