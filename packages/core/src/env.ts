// Typed environment variables. A server declares each variable once, with its description, default
// and bounds; the same declaration parses the value (`readEnv`), renders `--help`, the generated docs
// and config/servers.json, so a default can never be written twice or drift.
//
//   const env = { DB_MAX_ROWS: envInt({ description: 'Rows per page.', default: 1000, min: 1 }) };
//   const { DB_MAX_ROWS } = readEnv(env, args.env);   // number, or a ConfigError naming the variable
import { ConfigError, type EnvSpec } from './config.js';

/** A declared variable: its documentation (EnvSpec) and how its raw string becomes a value. */
export interface EnvVar<T> extends EnvSpec {
  parse(raw: string | undefined, name: string): T;
}

type Doc = { description: string; example?: string };
const unset = (raw: string | undefined) => raw === undefined || raw.trim() === '';

function bad(name: string, raw: string, want: string): never {
  throw new ConfigError(`${name} must be ${want}, got "${raw.length > 80 ? `${raw.slice(0, 80)}…` : raw}"`);
}

/** An integer, with optional bounds. */
export function envInt(o: Doc & { default: number; min?: number; max?: number }): EnvVar<number>;
export function envInt(o: Doc & { min?: number; max?: number }): EnvVar<number | undefined>;
export function envInt(o: Doc & { default?: number; min?: number; max?: number }): EnvVar<number | undefined> {
  const min = o.min ?? 0;
  const max = o.max ?? Number.MAX_SAFE_INTEGER;
  const want = `an integer between ${min} and ${max === Number.MAX_SAFE_INTEGER ? 'any larger number' : max}`;
  return {
    description: o.description,
    example: o.example,
    default: o.default === undefined ? undefined : String(o.default),
    parse(raw, name) {
      if (unset(raw)) return o.default;
      const n = Number(raw!.trim());
      if (!Number.isInteger(n) || n < min || n > max) bad(name, raw!, want);
      return n;
    },
  };
}

/** true/false, 1/0, yes/no, on/off (any case). */
export function envBool(o: Doc & { default?: boolean }): EnvVar<boolean> {
  return {
    description: o.description,
    example: o.example,
    default: o.default ? 'true' : undefined,
    parse(raw, name) {
      if (unset(raw)) return o.default ?? false;
      const v = raw!.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      return bad(name, raw!, 'true or false');
    },
  };
}

/** A comma-separated list; blank entries are dropped. */
export function envList(o: Doc): EnvVar<string[]> {
  return {
    description: o.description,
    example: o.example,
    parse: (raw) =>
      (raw ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
  };
}

/** Free text. */
export function envString(o: Doc & { default: string }): EnvVar<string>;
export function envString(o: Doc): EnvVar<string | undefined>;
export function envString(o: Doc & { default?: string }): EnvVar<string | undefined> {
  return { description: o.description, example: o.example, default: o.default, parse: (raw) => (unset(raw) ? o.default : raw) };
}

/** A credential: masked in logs, results and --help; never given a default. */
export function envSecret(o: Doc): EnvVar<string | undefined> {
  return { description: o.description, example: o.example, secret: true, parse: (raw) => (unset(raw) ? undefined : raw!.trim()) };
}

/** One of a fixed set of words (case-insensitive). */
export function envEnum<const V extends string>(o: Doc & { values: readonly V[]; default: V }): EnvVar<V> {
  return {
    description: o.description,
    example: o.example,
    default: o.default,
    parse(raw, name) {
      if (unset(raw)) return o.default;
      const v = raw!.trim().toLowerCase() as V;
      if (!o.values.includes(v)) bad(name, raw!, `one of ${o.values.join(', ')}`);
      return v;
    },
  };
}

/** An absolute http(s) URL (or the protocols given), returned without a trailing slash. */
export function envUrl(o: Doc & { default: string; protocols?: string[] }): EnvVar<string>;
export function envUrl(o: Doc & { protocols?: string[] }): EnvVar<string | undefined>;
export function envUrl(o: Doc & { default?: string; protocols?: string[] }): EnvVar<string | undefined> {
  const protocols = o.protocols ?? ['http:', 'https:'];
  return {
    description: o.description,
    example: o.example,
    default: o.default,
    secret: false,
    parse(raw, name) {
      if (unset(raw)) return o.default;
      let u: URL;
      try {
        u = new URL(raw!.trim());
      } catch {
        return bad(name, raw!, 'an absolute URL');
      }
      if (!protocols.includes(u.protocol)) bad(name, raw!, `an ${protocols.map((p) => p.slice(0, -1)).join(' or ')} URL`);
      return u.href.replace(/\/$/, '');
    },
  };
}

export type EnvDecl = Record<string, EnvSpec | EnvVar<unknown>>;
export type EnvValues<D extends EnvDecl> = { [K in keyof D]: D[K] extends EnvVar<infer T> ? T : string | undefined };

const isVar = (s: EnvSpec | EnvVar<unknown>): s is EnvVar<unknown> => typeof (s as EnvVar<unknown>).parse === 'function';

/** Parses every declared variable from `env`; the first invalid one is a ConfigError naming it. */
export function readEnv<D extends EnvDecl>(decl: D, env: NodeJS.ProcessEnv): EnvValues<D> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(decl)) {
    const raw = env[name];
    out[name] = isVar(spec) ? spec.parse(raw, name) : unset(raw) ? spec.default : raw;
  }
  return out as EnvValues<D>;
}
