// Small promise helpers every server needs, in one place.
//
// Both reject with the signal's reason when it aborts (core combines client cancellation and the
// call's deadline into one signal, so the reason says which of the two happened), and both remove
// their abort listener as soon as they settle: a long crawl or a retry loop that waits many times
// on the same signal must not pile up listeners (Node warns past ten).
import { ToolError } from './errors.js';

const reasonOf = (signal: AbortSignal): unknown => signal.reason ?? new ToolError('Cancelled', { code: 'cancelled' });

/** Resolves after `ms` milliseconds, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(reasonOf(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(reasonOf(signal!));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Settles with `promise`, or rejects with the signal's reason as soon as the signal aborts (the
 * underlying work is not stopped: use this for work that cannot take a signal itself, and make
 * sure its late result or failure is harmless; a late rejection is swallowed).
 */
export function abortable<T>(promise: PromiseLike<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return Promise.resolve(promise);
  if (signal.aborted) {
    Promise.resolve(promise).catch(() => {});
    return Promise.reject(reasonOf(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reasonOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(promise).then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
