// A CommonJS package loaded with `await import()` exposes its exports directly when run from the
// sources, but under `default` once bundled as ESM: take whichever holds the export we need.
export function cjsExports<T extends object>(mod: T | { default: T }, probe: keyof T): T {
  return probe in mod ? (mod as T) : (mod as { default: T }).default;
}
