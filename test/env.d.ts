// Vite's `import.meta.glob` (Vitest runs the tests through Vite; `vite/client` is not a direct
// dependency of the root, so the one function the tests use is declared here).
interface ImportMeta {
  glob<M = unknown>(pattern: string | string[], options: { eager: true; import?: string }): Record<string, M>;
  glob<M = unknown>(pattern: string | string[], options?: { eager?: false; import?: string }): Record<string, () => Promise<M>>;
}
