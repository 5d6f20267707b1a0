// A streaming XML walk (saxes: no tree, no recursion, so deep nesting costs nothing) for the parts
// of presentations and OpenDocument packages that this module reads itself.
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { DocError } from './collect.js';

export interface XmlHandlers {
  open?(name: string, attrs: Record<string, string>, selfClosing: boolean): void;
  close?(name: string): void;
  text?(t: string): void;
}

export function walkXml(xml: string, h: XmlHandlers, part: string): void {
  const p = new SaxesParser({ xmlns: false });
  p.on('error', (e) => {
    throw new DocError(`The document is damaged (${part}): ${e.message}`);
  });
  if (h.open) {
    const open = h.open;
    p.on('opentag', (t: SaxesTagPlain) => open(t.name, t.attributes as Record<string, string>, t.isSelfClosing));
  }
  if (h.close) {
    const close = h.close;
    p.on('closetag', (t) => close(t.name));
  }
  if (h.text) p.on('text', h.text);
  p.write(xml).close();
}

/** Relationship targets by id from a .rels part, resolved against the folder of the part they belong to. */
export function relationships(xml: string, base: string): Map<string, { target: string; type: string }> {
  const out = new Map<string, { target: string; type: string }>();
  walkXml(
    xml,
    {
      open(name, a) {
        if (name !== 'Relationship' || a.TargetMode === 'External') return;
        out.set(a.Id, { target: resolvePath(base, a.Target ?? ''), type: a.Type ?? '' });
      },
    },
    'relationships',
  );
  return out;
}

export function resolvePath(base: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const parts = base.split('/').filter(Boolean);
  for (const seg of target.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg && seg !== '.') parts.push(seg);
  }
  return parts.join('/');
}
