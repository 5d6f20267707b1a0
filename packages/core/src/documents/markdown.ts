// Markdown from the small, well-formed HTML that mammoth writes (headings, paragraphs, emphasis,
// lists, tables, links, images, footnotes): a tiny tree builder and a renderer, one block at a time.
import { table } from './collect.js';

interface El {
  tag: string;
  attrs: Record<string, string>;
  children: Node[];
}
type Node = El | string;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
const decode = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });

const VOID = new Set(['br', 'img', 'hr']);

export function parseHtml(html: string): El {
  const root: El = { tag: 'root', attrs: {}, children: [] };
  const stack: El[] = [root];
  const re = /<(\/?)([a-zA-Z0-9]+)([^>]*)>|([^<]+)/g;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    const top = stack[stack.length - 1];
    if (m[4] !== undefined) {
      top.children.push(decode(m[4]));
      continue;
    }
    const tag = m[2].toLowerCase();
    if (m[1]) {
      const at = stack.map((e) => e.tag).lastIndexOf(tag);
      if (at > 0) stack.length = at;
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of m[3].matchAll(/([a-zA-Z-]+)="([^"]*)"/g)) attrs[a[1]] = decode(a[2]);
    const el: El = { tag, attrs, children: [] };
    top.children.push(el);
    if (!VOID.has(tag) && !m[3].endsWith('/')) stack.push(el);
  }
  return root;
}

function inline(n: Node): string {
  if (typeof n === 'string') return n.replace(/\s+/g, ' ');
  const inner = () => n.children.map(inline).join('');
  switch (n.tag) {
    case 'strong':
    case 'b': {
      const t = inner();
      return t.trim() ? `**${t}**` : t;
    }
    case 'em':
    case 'i': {
      const t = inner();
      return t.trim() ? `*${t}*` : t;
    }
    case 's':
    case 'del': {
      const t = inner();
      return t.trim() ? `~~${t}~~` : t;
    }
    case 'br':
      return '\n';
    case 'img':
      return n.attrs.alt ? `[image: ${n.attrs.alt}]` : '[image]';
    case 'a': {
      const t = inner();
      const href = n.attrs.href ?? '';
      return href && !href.startsWith('#') && t.trim() && t !== href ? `[${t}](${href})` : t;
    }
    case 'sup':
      return `^${inner()}`;
    default:
      return inner();
  }
}

function list(n: El, depth: number): string {
  let i = 0;
  const out: string[] = [];
  for (const c of n.children) {
    if (typeof c === 'string' || c.tag !== 'li') continue;
    i++;
    const text = c.children
      .filter((x) => typeof x === 'string' || (x.tag !== 'ul' && x.tag !== 'ol'))
      .map(inline)
      .join('')
      .trim();
    out.push(`${'  '.repeat(depth)}${n.tag === 'ol' ? `${i}.` : '-'} ${text}`);
    for (const sub of c.children) if (typeof sub !== 'string' && (sub.tag === 'ul' || sub.tag === 'ol')) out.push(list(sub, depth + 1));
  }
  return out.join('\n');
}

function rows(n: El): string[][] {
  const out: string[][] = [];
  const walk = (e: El) => {
    for (const c of e.children) {
      if (typeof c === 'string') continue;
      if (c.tag === 'tr') {
        const cells: string[] = [];
        for (const td of c.children) {
          if (typeof td === 'string' || (td.tag !== 'td' && td.tag !== 'th')) continue;
          cells.push(
            td.children
              .map((x) => (typeof x === 'string' ? x : x.tag === 'p' ? `${inline(x)} ` : inline(x)))
              .join('')
              .trim(),
          );
          for (let k = 1; k < Number(td.attrs.colspan ?? 1) && k < 100; k++) cells.push('');
        }
        out.push(cells);
      } else if (c.tag !== 'table') walk(c);
    }
  };
  walk(n);
  return out;
}

/** Renders one top-level block as markdown (without a trailing blank line). */
export function block(n: Node): string {
  if (typeof n === 'string') return n.trim();
  switch (n.tag) {
    case 'h1':
    case 'h2':
    case 'h3':
    case 'h4':
    case 'h5':
    case 'h6':
      return `${'#'.repeat(Number(n.tag[1]))} ${inline(n).trim()}`;
    case 'ul':
    case 'ol':
      return list(n, 0);
    case 'table': {
      const r = rows(n);
      return r.length ? table(r).trimEnd() : '';
    }
    case 'p':
      return inline(n).trim();
    default:
      return n.children.map(block).filter(Boolean).join('\n\n');
  }
}
