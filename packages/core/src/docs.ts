// Documentation generated from the definitions themselves: the tools table of docs/servers/<name>.md
// and each server's entry in config/servers.json. The repository test `test/generated.test.ts`
// fails when a committed file differs from what these render (UPDATE_GENERATED=1 rewrites them).
import { COMMON_ENV, COMMON_OPTIONS } from './config.js';
import { DEFAULT_TIMEOUT_MS, rateLimitEnvName, timeoutEnvName } from './limits.js';
import { binName, toJsonSchema, type ServerDef } from './server.js';
import { isReadOnlyTool, type ToolDef } from './tool.js';

export const GENERATED_BEGIN = '<!-- BEGIN GENERATED: do not edit by hand, run `npm run docs` -->';
export const GENERATED_END = '<!-- END GENERATED -->';

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n+/g, ' ');

const toolsOf = (def: ServerDef): ToolDef[] => def.tools;

function describeArgs(t: ToolDef): string[] {
  const js = toJsonSchema(t.input, 'input') as { properties?: Record<string, any>; required?: string[] };
  const props = Object.entries(js.properties ?? {});
  if (!props.length) return ['No arguments.', ''];
  const lines = ['| argument | type | required | description |', '|---|---|---|---|'];
  for (const [name, p] of props) {
    const type = schemaType(p);
    const extras: string[] = [];
    if (p.default !== undefined) extras.push(`default \`${JSON.stringify(p.default)}\``);
    if (p.maximum !== undefined && p.maximum < Number.MAX_SAFE_INTEGER) extras.push(`max ${p.maximum}`);
    if (p.minimum !== undefined && p.minimum !== 0 && p.minimum > -Number.MAX_SAFE_INTEGER) extras.push(`min ${p.minimum}`);
    if (p.maxLength !== undefined) extras.push(`max length ${p.maxLength}`);
    if (p.maxItems !== undefined) extras.push(`max ${p.maxItems} items`);
    const desc = [p.description ?? '', extras.length ? `(${extras.join(', ')})` : ''].filter(Boolean).join(' ');
    lines.push(`| \`${name}\` | ${esc(type)} | ${js.required?.includes(name) ? 'yes' : 'no'} | ${esc(desc)} |`);
  }
  lines.push('');
  return lines;
}

function schemaType(p: any): string {
  if (!p || typeof p !== 'object') return 'any';
  if (p.enum) return p.enum.map((v: unknown) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (p.anyOf) {
    const types = new Set(p.anyOf.map((b: { type?: unknown }) => b.type));
    if (['string', 'number', 'boolean', 'null', 'object', 'array'].every((t) => types.has(t))) return 'any';
    return p.anyOf.map(schemaType).join(' or ');
  }
  if (p.type === 'array') return `${schemaType(p.items)}[]`;
  if (p.type === 'object') return p.additionalProperties && typeof p.additionalProperties === 'object' ? `map of ${schemaType(p.additionalProperties)}` : 'object';
  if (Array.isArray(p.type)) return p.type.join(' or ');
  return p.type ?? 'any';
}

function hints(t: ToolDef): string {
  const a = t.annotations;
  const out = [isReadOnlyTool(t) ? 'read-only' : 'writes'];
  if (a.destructiveHint) out.push('destructive');
  if (a.idempotentHint) out.push('idempotent');
  if (a.openWorldHint) out.push('open-world');
  return out.join(', ');
}

/** The generated part of docs/servers/<name>.md. */
export function renderServerDoc(def: ServerDef): string {
  const tools = toolsOf(def);
  const bin = binName(def);
  const lines: string[] = [GENERATED_BEGIN, '', `## Toolsets`, ''];
  lines.push('Select with `--toolsets a,b` (or `all`); without it, the toolsets on by default are registered.', '');
  lines.push('| toolset | on by default | tools | what it is for |', '|---|---|---|---|');
  for (const [name, ts] of Object.entries(def.toolsets)) {
    lines.push(
      `| \`${name}\` | ${ts.default === false ? 'no' : 'yes'} | ${tools
        .filter((t) => t.toolset === name)
        .map((t) => `\`${t.name}\``)
        .join(', ')} | ${esc(ts.description)} |`,
    );
  }
  lines.push('', `## Tools (${tools.length})`, '');
  lines.push('| tool | toolset | title | kind | kept by `--read-only` | timeout |', '|---|---|---|---|---|---|');
  for (const t of tools)
    lines.push(`| [\`${t.name}\`](#${t.name}) | ${t.toolset} | ${esc(t.title)} | ${hints(t)} | ${isReadOnlyTool(t) ? 'yes' : 'no'} | ${(t.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000} s |`);
  lines.push('');
  for (const t of tools) {
    lines.push(
      `### ${t.name}`,
      '',
      `**${t.title}** — ${hints(t)}; toolset \`${t.toolset}\`${t.enabled ? '; registered only under the configuration its description names' : ''}.`,
      '',
      t.description.trim(),
      '',
    );
    lines.push(...describeArgs(t));
    const limits = [`timeout ${(t.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000} s (\`${timeoutEnvName(t.name)}\`)`];
    if (t.rateLimit) limits.push(`rate limit ${t.rateLimit.points} calls per ${t.rateLimit.durationSec} s (\`${rateLimitEnvName(t.name)}\`)`);
    lines.push(`Limits: ${limits.join('; ')}.`, '');
  }
  const resources = def.resources ?? [];
  if (resources.length) {
    lines.push('## Resources', '', '| template | name | description |', '|---|---|---|');
    for (const r of resources) lines.push(`| \`${r.uriTemplate}\` | ${r.name} | ${esc(r.description)} |`);
    lines.push('');
  }
  const prompts = def.prompts ?? [];
  if (prompts.length) {
    lines.push('## Prompts', '', '| prompt | arguments | description |', '|---|---|---|');
    for (const p of prompts) lines.push(`| \`${p.name}\` | ${p.arguments.map((a) => `\`${a.name}\`${a.required ? '' : '?'}`).join(', ') || '—'} | ${esc(p.description)} |`);
    lines.push('');
  }
  lines.push('## Configuration', '', `Command: \`${bin}${def.positionals ? ` [${def.positionals.name}...]` : ''} [options]\``, '');
  if (def.positionals) lines.push(`Arguments: \`${def.positionals.name}\` — ${def.positionals.description}`, '');
  lines.push('| environment variable | description |', '|---|---|');
  for (const [k, v] of Object.entries(def.env))
    lines.push(`| \`${k}\` | ${esc(v.description)}${v.secret ? ' (secret: never logged or returned)' : ''}${v.default ? ` Default: \`${v.default}\`.` : ''} |`);
  lines.push(
    '',
    'Common to every bizmcp server: ' +
      Object.keys(COMMON_ENV)
        .map((k) => `\`${k}\``)
        .join(', ') +
      ' (see [the overview](../README.md)).',
    '',
  );
  const own = Object.entries(def.options ?? {});
  if (own.length) {
    lines.push('| option | description |', '|---|---|');
    for (const [k, v] of own) lines.push(`| \`--${k}\`${v.type === 'string' ? ' `<value>`' : ''} | ${esc(v.description)} |`);
    lines.push('');
  }
  lines.push(
    'Common options: ' +
      Object.keys(COMMON_OPTIONS)
        .map((k) => `\`--${k}\``)
        .join(', ') +
      '.',
    '',
    GENERATED_END,
  );
  return lines.join('\n') + '\n';
}

/** Replaces the generated block of an existing page, or builds a page around it. */
export function mergeGenerated(existing: string | undefined, generated: string, title: string): string {
  if (existing) {
    const a = existing.indexOf(GENERATED_BEGIN);
    const b = existing.indexOf(GENERATED_END);
    if (a !== -1 && b !== -1) return existing.slice(0, a) + generated + existing.slice(b + GENERATED_END.length + 1);
    return existing.trimEnd() + '\n\n' + generated;
  }
  return `# ${title}\n\n${generated}`;
}

/** The server's entry in config/servers.json. */
export function serverConfigEntry(def: ServerDef) {
  return {
    title: def.title,
    description: def.description,
    package: `@bizmcp/${def.name}`,
    command: binName(def),
    entry: `packages/${def.name}/dist/index.js`,
    args: def.positionals ? [`<${def.positionals.name}>`] : [],
    env: Object.fromEntries(
      Object.entries(def.env).map(([k, v]) => [
        k,
        { description: v.description, secret: Boolean(v.secret), ...(v.example ? { example: v.example } : {}), ...(v.default ? { default: v.default } : {}) },
      ]),
    ),
    options: Object.fromEntries(Object.entries(def.options ?? {}).map(([k, v]) => [`--${k}`, v.description])),
    toolsets: Object.fromEntries(Object.entries(def.toolsets).map(([k, v]) => [k, { description: v.description, default: v.default !== false }])),
    tools: toolsOf(def).map((t) => ({ name: t.name, toolset: t.toolset, readOnly: isReadOnlyTool(t), destructive: Boolean(t.annotations.destructiveHint) })),
  };
}
