// HTML → markdown, walking the DOM cheerio already parsed (no second parse of the page): headings,
// paragraphs, emphasis, code, lists, quotes, tables, links and images. Links to the page's own
// origin are written as paths (the page URL is given once), which keeps the output small.
import type { AnyNode, Element, Text } from 'domhandler';

const SKIP = new Set(['script', 'style', 'noscript', 'template', 'iframe', 'svg', 'canvas', 'head', 'title', 'meta', 'link', 'object', 'embed', 'button', 'select', 'option', 'input', 'textarea']);
const BLOCK = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'header',
  'footer',
  'nav',
  'aside',
  'figure',
  'figcaption',
  'form',
  'fieldset',
  'details',
  'summary',
  'address',
  'dl',
  'dt',
  'dd',
  'body',
  'html',
]);

export function toMarkdown(nodes: AnyNode[], pageUrl: string): string {
  const base = new URL(pageUrl);
  const href = (h: string | undefined): string | undefined => {
    if (!h || /^javascript:/i.test(h)) return undefined;
    try {
      const u = new URL(h, base);
      return u.origin === base.origin ? u.pathname + u.search + u.hash : u.href;
    } catch {
      return undefined;
    }
  };
  const out: string[] = [];
  const inline = (n: AnyNode): string => {
    if (n.type === 'text') return (n as Text).data.replace(/\s+/g, ' ');
    if (n.type !== 'tag' && n.type !== 'script' && n.type !== 'style') return '';
    const el = n as Element;
    const name = el.name.toLowerCase();
    if (SKIP.has(name)) return '';
    const inner = () => el.children.map(inline).join('');
    switch (name) {
      case 'br':
        return '  \n';
      case 'strong':
      case 'b': {
        const t = inner().trim();
        return t ? `**${t}** ` : '';
      }
      case 'em':
      case 'i': {
        const t = inner().trim();
        return t ? `_${t}_ ` : '';
      }
      case 'code':
        return `\`${textOf(el).replace(/`/g, "'")}\``;
      case 'a': {
        const t = inner().trim();
        const h = href(el.attribs.href);
        return h && t ? `[${t.replace(/[[\]]/g, '')}](${h})` : t;
      }
      case 'img': {
        const src = href(el.attribs.src);
        const alt = (el.attribs.alt ?? '').trim();
        return src && alt ? `![${alt}](${src})` : '';
      }
      default:
        return inner();
    }
  };
  const para = (s: string, prefix = '') => {
    const t = s
      .replace(/[ \t]+/g, ' ')
      .replace(/ *\n */g, '\n')
      .trim();
    if (t)
      out.push(
        prefix
          ? t
              .split('\n')
              .map((l) => prefix + l)
              .join('\n')
          : t,
      );
  };
  const block = (n: AnyNode, quote = ''): void => {
    if (n.type === 'text') {
      para((n as Text).data, quote);
      return;
    }
    if (n.type !== 'tag' && n.type !== 'root') return;
    const el = n as Element;
    const name = el.name?.toLowerCase() ?? 'root';
    if (SKIP.has(name)) return;
    if (/^h[1-6]$/.test(name)) return para('#'.repeat(Number(name[1])) + ' ' + el.children.map(inline).join('').trim(), quote);
    if (name === 'pre') {
      out.push('```\n' + textOf(el).replace(/\n$/, '') + '\n```');
      return;
    }
    if (name === 'hr') return void out.push('---');
    if (name === 'blockquote') {
      for (const c of el.children) block(c, quote + '> ');
      return;
    }
    if (name === 'ul' || name === 'ol') {
      let i = 1;
      const items: string[] = [];
      for (const c of el.children) {
        if (c.type !== 'tag' || (c as Element).name !== 'li') continue;
        const li = c as Element;
        const text = li.children
          .filter((x) => !(x.type === 'tag' && /^(ul|ol)$/.test((x as Element).name)))
          .map(inline)
          .join('')
          .replace(/\s+/g, ' ')
          .trim();
        const nested = li.children.filter((x) => x.type === 'tag' && /^(ul|ol)$/.test((x as Element).name));
        let line = `${quote}${name === 'ol' ? `${i++}.` : '-'} ${text}`;
        for (const sub of nested) {
          const start = out.length;
          block(sub, '');
          const subText = out.splice(start).join('\n');
          line +=
            '\n' +
            subText
              .split('\n')
              .map((l) => `${quote}  ${l}`)
              .join('\n');
        }
        items.push(line);
      }
      if (items.length) out.push(items.join('\n'));
      return;
    }
    if (name === 'table') {
      const rows = selectAll(el, 'tr').map((tr) =>
        tr.children.filter((c) => c.type === 'tag' && /^(td|th)$/.test((c as Element).name)).map((c) => inline(c).replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim()),
      );
      if (!rows.length) return;
      const width = Math.max(...rows.map((r) => r.length));
      const line = (r: string[]) => `| ${[...r, ...Array(width - r.length).fill('')].join(' | ')} |`;
      out.push([line(rows[0]), `|${' --- |'.repeat(width)}`, ...rows.slice(1).map(line)].join('\n'));
      return;
    }
    if (BLOCK.has(name) || name === 'root' || name === 'li') {
      // group inline runs into paragraphs, recurse into blocks
      let run = '';
      for (const c of el.children ?? []) {
        const isBlock = c.type === 'tag' && (BLOCK.has((c as Element).name) || /^(h[1-6]|pre|hr|blockquote|ul|ol|table)$/.test((c as Element).name));
        if (isBlock) {
          para(run, quote);
          run = '';
          block(c, quote);
        } else run += inline(c);
      }
      para(run, quote);
      return;
    }
    para(inline(el), quote);
  };
  for (const n of nodes) block(n);
  return out.join('\n\n');
}

function textOf(el: Element): string {
  let s = '';
  for (const c of el.children) s += c.type === 'text' ? (c as Text).data : c.type === 'tag' ? textOf(c as Element) : '';
  return s;
}

function selectAll(el: Element, tag: string): Element[] {
  const found: Element[] = [];
  const walk = (n: AnyNode) => {
    if (n.type !== 'tag') return;
    const e = n as Element;
    if (e.name === tag) found.push(e);
    if (e.name === 'table' && e !== el) return; // nested tables are not flattened into this one
    for (const c of e.children) walk(c);
  };
  for (const c of el.children) walk(c);
  return found;
}
