// Handing memory back to the system after a burst.
//
// V8 keeps the pages a heap grew to after the objects on them are gone (they stay mapped, in its
// page pool), and without memory pressure it does not run the memory-reducing collection that would
// release them: a shared `--http` server that saw thousands of sessions come and go would keep the
// peak's RSS for good, with a heap of a few MB in it. A "last resort" full collection compacts the
// heap and unmaps what is free. Node only offers it through the `gc` function, which this module
// obtains once (the flag applies to contexts created after it is set, so the main context gains no
// global `gc`).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async'; flavor?: 'regular' | 'last-resort' }) => void;

let gcFn: GcFunction | null | undefined;

function gcFunction(): GcFunction | null {
  if (gcFn !== undefined) return gcFn;
  try {
    const existing = (globalThis as { gc?: GcFunction }).gc;
    if (typeof existing === 'function') return (gcFn = existing);
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('typeof gc === "function" ? gc : null') as GcFunction | null;
    gcFn = typeof fn === 'function' ? fn : null;
  } catch {
    gcFn = null;
  }
  return gcFn;
}

/**
 * Runs a memory-reducing full collection now (synchronous: tens of milliseconds on a small heap).
 * Returns false where the runtime does not allow it. Call it when a burst is over, not per request.
 */
export function reclaimMemory(): boolean {
  const gc = gcFunction();
  if (!gc) return false;
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}
