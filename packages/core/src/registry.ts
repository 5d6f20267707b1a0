// The registry: what a server declares (its tools, grouped in toolsets, its resources and prompts,
// its environment and flags), and which of them a given configuration registers. The declaration is
// static: docs, config/servers.json and the repository's contract test read the same lists the
// runtime does; a tool that depends on configuration says so with `enabled(config)`.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Logger } from 'pino';
import { ConfigError, type CommonConfig, type EnvSpec, type OptionSpec, type ParsedArgs } from './config.js';
import type { AuthCommandSpec } from './auth/flow.js';
import type { PipelineStep } from './pipeline.js';
import type { SessionHandle } from './session.js';
import { isReadOnlyTool, type PromptDef, type ResourceTemplateDef, type ToolDef } from './tool.js';

export interface ToolsetDef {
  /** One line: what the group lets an agent do. */
  description: string;
  /** Registered when `--toolsets` is not given (default true). */
  default?: boolean;
}

export interface ServerDef<C = any, S = any> {
  /** Short name: "filesystem" → binary bizmcp-filesystem. */
  name: string;
  version: string;
  title: string;
  description: string;
  /** Sent to clients in `initialize` (how to use this server well). */
  instructions?: string;
  /** Every variable the server reads, declared with core's env helpers (envInt, envSecret, …). */
  env: Record<string, EnvSpec>;
  options?: Record<string, OptionSpec>;
  positionals?: { name: string; description: string };
  /** Reads the server's own settings; throw ConfigError (or use parseWith/readEnv) for a bad value. */
  parseConfig(args: ParsedArgs, common: CommonConfig): C;
  /** The capability groups of this server's tools, by name. */
  toolsets: Record<string, ToolsetDef>;
  /** Every tool, always the same list; `enabled(config)` and the common flags select among them. */
  tools: ToolDef<S>[];
  resources?: ResourceTemplateDef<S>[];
  prompts?: PromptDef<S>[];
  /** Servers that store an OAuth authorisation: the `auth` subcommand's flow settings
   *  (`bizmcp-<name> auth` runs the loopback flow and stores the refresh token; see auth/flow.ts). */
  auth?: AuthCommandSpec['flow'];
  /** Extra steps in the call pipeline (see pipeline.ts), placed with `before`/`after`. */
  steps?: PipelineStep[];
  /** Creates the server's state. Must be cheap and synchronous: slow work (connecting, opening a
   *  database, launching a browser) starts here as a promise or waits for the first call. Cleanup
   *  is registered with `rt.onClose`. */
  setup(config: C, rt: Runtime): S;
}

export function defineServer<C, S>(def: ServerDef<C, S>): ServerDef<C, S> {
  for (const t of def.tools) {
    if (!def.toolsets[t.toolset]) throw new Error(`${def.name}: tool ${t.name} is in toolset "${t.toolset}", which the server does not declare`);
  }
  return def;
}

export interface Runtime {
  name: string;
  log: Logger;
  common: CommonConfig;
  /** Aborted when the server shuts down. */
  shutdownSignal: AbortSignal;
  /** Called with a client's root URIs after it initialized and whenever they change (only when
   *  the client supports roots), with the session they belong to: what a listener derives from
   *  them must be kept for that session only (see Sandbox.followClientRoots). */
  onClientRoots(listener: (uris: string[], session: SessionHandle) => void | Promise<void>): void;
  /** Runs `fn` once the client has finished initializing (after `initialize` was answered): the
   *  place to start slow background work without delaying the handshake. */
  onInitialized(fn: () => void): void;
  /** Runs `fn` at shutdown (pools, browsers, timers), within the 2 s shutdown budget. */
  onClose(fn: () => unknown): void;
}

export function binName(def: Pick<ServerDef, 'name'>): string {
  return `bizmcp-${def.name}`;
}

/** The toolsets `--toolsets` asked for, or the default ones. */
export function chosenToolsets(def: Pick<ServerDef, 'name' | 'toolsets'>, requested: string[] | undefined): Set<string> {
  const names = Object.keys(def.toolsets);
  if (!requested) return new Set(names.filter((n) => def.toolsets[n].default !== false));
  if (requested.includes('all')) return new Set(names);
  for (const n of requested) if (!def.toolsets[n]) throw new ConfigError(`unknown toolset "${n}" in --toolsets; ${binName(def)} has: ${names.join(', ')} (or all)`);
  return new Set(requested);
}

/**
 * The tools a configuration registers: `--toolsets` (or the default toolsets) chooses groups;
 * `--tools` names exact tools instead (from any toolset); `--exclude-tools` removes some; `--read-only`
 * keeps only tools that change nothing; a tool whose `enabled(config)` is false is never registered.
 */
export function selectTools<S>(def: ServerDef<any, S>, config: unknown, common: CommonConfig): ToolDef<S>[] {
  const byName = new Map(def.tools.map((t) => [t.name, t]));
  for (const n of [...(common.tools ?? []), ...common.excludeTools]) {
    if (!byName.has(n)) throw new ConfigError(`unknown tool "${n}" in --tools/--exclude-tools; ${binName(def)} has: ${[...byName.keys()].join(', ')}`);
  }
  for (const n of common.tools ?? []) {
    if (byName.get(n)!.enabled?.(config) === false) throw new ConfigError(`tool "${n}" in --tools is not available with this configuration (see its description in --help)`);
  }
  const sets = chosenToolsets(def, common.toolsets);
  return def.tools.filter(
    (t) => (common.tools ? common.tools.includes(t.name) : sets.has(t.toolset)) && !common.excludeTools.includes(t.name) && (!common.readOnly || isReadOnlyTool(t)) && t.enabled?.(config) !== false,
  );
}

export const enabledFor = <T extends { enabled?(config: any): boolean }>(list: T[] | undefined, config: unknown): T[] => (list ?? []).filter((x) => x.enabled?.(config) !== false);

const jsonSchemaCache = new WeakMap<z.ZodType, Record<string, unknown>>();
/** JSON Schema of a zod schema, without the $schema key (smaller tools/list). */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const cached = io === 'input' ? jsonSchemaCache.get(schema) : undefined;
  if (cached) return cached;
  const js = portable(z.toJSONSchema(schema, { io, unrepresentable: 'any' })) as Record<string, unknown>;
  delete js.$schema;
  if (io === 'input') jsonSchemaCache.set(schema, js);
  return js;
}

/** A value of any JSON type, spelled so that it constrains something (see `portable`). */
const ANY_JSON = ['string', 'number', 'boolean', 'null', 'object', 'array'].map((type) => ({ type }));
/** Keywords that say nothing about the value: a schema with only these accepts anything. */
const ANNOTATIONS = new Set(['description', 'title', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly', '$comment', '$schema', '$id']);
const SUBSCHEMA = ['items', 'additionalProperties', 'not', 'contains', 'propertyNames', 'additionalItems', 'unevaluatedItems', 'unevaluatedProperties'];
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const SUBSCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];

/**
 * Rewrites a JSON Schema into the spelling every client maps: a `type` array becomes `anyOf`
 * branches of one type each (clients that translate tool schemas into a single-type dialect reject
 * or loosen the array form), and a schema that constrains nothing (`{}`, from `z.unknown()`) becomes
 * an explicit "any JSON value". Same contract, mutated in place.
 */
export function portable(node: unknown, key?: string): unknown {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return node;
  const n = node as Record<string, unknown>;
  if (Array.isArray(n.type) && !n.anyOf) {
    n.anyOf = (n.type as string[]).map((type) => ({ type }));
    delete n.type;
  }
  if (key !== 'not' && Object.keys(n).every((k) => ANNOTATIONS.has(k))) n.anyOf = ANY_JSON.map((b) => ({ ...b }));
  for (const k of SUBSCHEMA) if (k in n) portable(n[k], k);
  for (const k of SUBSCHEMA_MAPS) if (n[k] && typeof n[k] === 'object') for (const v of Object.values(n[k] as object)) portable(v);
  for (const k of SUBSCHEMA_LISTS) if (Array.isArray(n[k])) for (const v of n[k] as unknown[]) portable(v);
  return n;
}

export function toolListing(t: ToolDef): Tool {
  return {
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema: toJsonSchema(t.input, 'input') as Tool['inputSchema'],
    outputSchema: toJsonSchema(t.output, 'output') as Tool['outputSchema'],
    annotations: { title: t.title, ...t.annotations },
  };
}

/** `--help` section: each toolset, whether it is on by default, and its tools. */
export function renderToolsets(def: Pick<ServerDef, 'toolsets' | 'tools'>): string[] {
  const lines = ['Toolsets (--toolsets a,b or all; default: those marked *):'];
  for (const [name, ts] of Object.entries(def.toolsets)) {
    const tools = def.tools.filter((t) => t.toolset === name).map((t) => t.name + (isReadOnlyTool(t) ? '' : ' (writes)'));
    lines.push(`  ${(ts.default === false ? '  ' : '* ') + name}`.padEnd(34) + ` ${ts.description}`);
    if (tools.length) lines.push(`${''.padEnd(35)}${tools.join(', ')}`);
  }
  return lines;
}

export type { Server };
