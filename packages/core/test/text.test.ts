// Core's text helpers that have no server of their own to be tested through.
import { describe, expect, it } from 'vitest';
import { isoTime } from '../src/index.js';

describe('isoTime', () => {
  it('writes what Date.prototype.toISOString writes, for every kind of time', () => {
    const edges = [
      0,
      0.999,
      1,
      59_999,
      86_399_999,
      86_400_000,
      951_782_400_000 /* 2000-02-29 */,
      951_868_799_999,
      4_107_542_400_000 /* 2100-03-01 */,
      1_764_738_340_678.123,
      253_402_300_799_999 /* 9999-12-31T23:59:59.999 */,
      253_402_300_800_000,
      -1,
      -62_198_755_200_000,
      8.64e15,
      Number.NaN,
    ];
    let seed = 7;
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const values = [...edges, ...Array.from({ length: 20_000 }, () => random() * 253_402_300_800_000)];
    for (const ms of values) {
      const expected = (() => {
        try {
          return new Date(ms).toISOString();
        } catch (e) {
          return (e as Error).name;
        }
      })();
      const got = (() => {
        try {
          return isoTime(ms);
        } catch (e) {
          return (e as Error).name;
        }
      })();
      expect(got, String(ms)).toBe(expected);
    }
  });
});
