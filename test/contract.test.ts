// The contract every server keeps, checked over every server package found in packages/*: a new
// server is checked the moment it exists, with no list to edit.
//   - every tool: a title, a description written for a model, all four annotation hints explicit,
//     an output schema, a toolset its server declares; names and (new) argument names snake_case;
//   - hints that agree with each other (read-only tools are neither destructive nor changing);
//   - `--read-only` (with every toolset) registers only tools with readOnlyHint: true, and at least one;
//   - every toolset has tools, and every tool is in the generated docs page of its server;
//   - the server speaks to users: no tool text refers to where the project came from;
//   - tool schemas in the spelling every client maps (no `type` arrays, no schema that constrains nothing).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildServer, toJsonSchema, TOOL_NAME, type ServerDef, type ToolDef } from '@bizmcp/core';

const root = join(import.meta.dirname, '..');
const modules = import.meta.glob<{ default: ServerDef }>('../packages/*/src/server.ts', { eager: true });
const servers = Object.entries(modules)
  .filter(([file]) => !file.includes('/core/'))
  .map(([, m]) => m.default)
  .sort((a, b) => a.name.localeCompare(b.name));

// The filesystem server keeps the reference server's camelCase argument names for drop-in use
// (and its own arguments follow them); every other server uses snake_case.
const CAMEL_CASE_SERVERS = new Set(['filesystem']);
const SNAKE = /^[a-z][a-z0-9_]*$/;
const HINTS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;
const ORIGIN_WORDS = /\b(seed|the guide|guide's)\b/i;

const quiet = { write() {} };

describe('the server contract', () => {
  it('finds the server packages', () => {
    const dirs = Object.keys(modules).filter((f) => !f.includes('/core/'));
    expect(dirs.length).toBeGreaterThanOrEqual(5);
  });

  for (const def of servers) {
    describe(def.name, () => {
      it('every tool is complete: title, description, four hints, output schema, declared toolset', () => {
        const seen = new Set<string>();
        for (const t of def.tools as ToolDef[]) {
          const where = `${def.name}.${t.name}`;
          expect(seen.has(t.name), `${where} is defined twice`).toBe(false);
          seen.add(t.name);
          expect(t.name, where).toMatch(TOOL_NAME);
          expect(t.title.trim().length, `${where} title`).toBeGreaterThan(2);
          expect(t.description.trim().length, `${where} description is too short for a model`).toBeGreaterThanOrEqual(40);
          for (const h of HINTS) expect(typeof t.annotations[h], `${where} ${h} must be explicit`).toBe('boolean');
          expect(t.output, `${where} output schema`).toBeDefined();
          expect(toJsonSchema(t.output, 'output').type, `${where} output schema is an object`).toBe('object');
          expect(def.toolsets[t.toolset], `${where} toolset "${t.toolset}" is not declared`).toBeDefined();
        }
      });

      it('schemas are portable: no `type` arrays, nothing that constrains nothing, no bare boolean schemas', () => {
        for (const t of def.tools as ToolDef[]) {
          for (const io of ['input', 'output'] as const) {
            const problems: string[] = [];
            unportable(toJsonSchema(io === 'input' ? t.input : t.output, io), '', undefined, problems);
            expect(problems, `${def.name}.${t.name} ${io} schema`).toEqual([]);
          }
        }
      });

      it('hints agree: read-only tools neither destroy nor change', () => {
        for (const t of def.tools as ToolDef[]) {
          if (t.annotations.readOnlyHint) {
            expect(t.annotations.destructiveHint, `${t.name}`).toBe(false);
            expect(t.outcomeGuard, `${t.name} is read-only but guards an outcome`).toBeUndefined();
          }
        }
      });

      it("arguments are snake_case (the filesystem server keeps the reference server's names)", () => {
        for (const t of def.tools as ToolDef[]) {
          const props = Object.keys((toJsonSchema(t.input, 'input') as { properties?: object }).properties ?? {});
          for (const p of props) expect(p, `${def.name}.${t.name} argument`).toMatch(CAMEL_CASE_SERVERS.has(def.name) ? /^[a-z][a-zA-Z0-9_]*$/ : SNAKE);
        }
      });

      it('every toolset has tools and a description', () => {
        for (const [name, ts] of Object.entries(def.toolsets)) {
          expect(ts.description.length, name).toBeGreaterThan(10);
          expect(
            def.tools.some((t) => t.toolset === name),
            `toolset ${name} has no tool`,
          ).toBe(true);
        }
      });

      it('--read-only registers only read-only tools, and some when the server has any', async () => {
        const built = buildServer(def, { argv: ['--read-only', '--toolsets', 'all'], env: {}, logStream: quiet });
        try {
          // (a server just made by scripts/new-server.mjs has no tools yet)
          if (def.tools.length) expect(built.tools.length).toBeGreaterThan(0);
          for (const t of built.tools) expect(t.annotations.readOnlyHint, `${t.name} survives --read-only`).toBe(true);
        } finally {
          await built.close();
        }
      });

      it('every tool is in the generated docs page', () => {
        const page = join(root, 'docs', 'servers', `${def.name}.md`);
        expect(existsSync(page), `${page} is missing: run npm run docs`).toBe(true);
        const text = readFileSync(page, 'utf8');
        for (const t of def.tools) expect(text, `${t.name} is not in ${page}`).toContain(`### ${t.name}\n`);
      });

      it("speaks to users: no tool or toolset text refers to the project's origins", () => {
        const texts = [def.description, def.instructions ?? '', ...def.tools.flatMap((t) => [t.title, t.description]), ...Object.values(def.toolsets).map((t) => t.description)];
        for (const t of texts) expect(t, t.slice(0, 80)).not.toMatch(ORIGIN_WORDS);
      });
    });
  }
});

/** What clients that map tool schemas onto a narrower dialect trip on (see core's `portable`). */
function unportable(node: unknown, path: string, key: string | undefined, out: string[]): void {
  if (typeof node === 'boolean') {
    if (key !== 'additionalProperties' && key !== 'unevaluatedProperties') out.push(`${path || '(root)'}: bare ${node}`);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const n = node as Record<string, unknown>;
  if (Array.isArray(n.type)) out.push(`${path}: type ${JSON.stringify(n.type)}`);
  const meta = new Set(['description', 'title', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly', '$comment', '$schema', '$id']);
  if (key !== 'not' && Object.keys(n).every((k) => meta.has(k))) out.push(`${path || '(root)'}: constrains nothing`);
  for (const k of ['items', 'additionalProperties', 'not', 'contains', 'propertyNames']) if (k in n) unportable(n[k], `${path}.${k}`, k, out);
  for (const k of ['properties', 'patternProperties', '$defs']) for (const [name, v] of Object.entries((n[k] as object) ?? {})) unportable(v, `${path}.${name}`, k, out);
  for (const k of ['anyOf', 'oneOf', 'allOf', 'prefixItems']) ((n[k] as unknown[]) ?? []).forEach((v, i) => unportable(v, `${path}.${k}[${i}]`, k, out));
}
