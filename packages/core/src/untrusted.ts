// The untrusted-text layer: what every server runs on text written by strangers (mail, web pages,
// chat messages, documents, CRM notes) before a model reads it.
//
// 1. Invisible characters, chosen by Unicode property rather than by list: every
//    Default_Ignorable_Code_Point, Bidi_Control and format (Cf) character, noncharacters, C0/C1
//    controls other than tab/LF/CR, and blank look-alikes that are none of these (U+2800 BRAILLE
//    PATTERN BLANK; the Hangul fillers U+115F, U+1160, U+3164, U+FFA0 are default-ignorable already).
//    Kept where text needs them: ZWJ between two emoji (family, profession, flag sequences), VS15/VS16
//    after an emoji character, the tag sequences of the three RGI subdivision flags (England,
//    Scotland, Wales), ZWJ/ZWNJ between two letters of a script that uses them for shaping (Arabic,
//    Persian, Indic and other South/South-East Asian scripts), and the visible Arabic/Syriac/Kaithi
//    number signs that Unicode files as Cf. Bidi controls (LRM, RLM, U+061C, embeddings, overrides,
//    isolates) are removed: they only change the order glyphs are displayed in, never the text a
//    model reads, and they are how displayed and read text are made to differ.
// 2. Hidden HTML: a CSS-aware pass (postcss for declarations, cheerio's selector engine for <style>
//    rules, cascade with specificity, !important and inheritance) that removes what a reader of the
//    rendered message or page does not see, and counts it.
import type { CheerioAPI } from 'cheerio';
import type { AnyNode, Element, Text } from 'domhandler';
import { cjsExports } from './interop.js';

// ---------------------------------------------------------------- invisible characters

// The first alternative is a whole subdivision flag (kept); the class lists every candidate.
const CANDIDATES =
  /(\u{1F3F4}\u{E0067}\u{E0062}(?:\u{E0065}\u{E006E}\u{E0067}|\u{E0073}\u{E0063}\u{E0074}|\u{E0077}\u{E006C}\u{E0073})\u{E007F})|[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}\p{Cf}\p{Noncharacter_Code_Point}\u2800\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/gu;

/** Visible signs that Unicode classifies as format characters (prepended concatenation marks). */
const VISIBLE_CF = new Set([0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06dd, 0x070f, 0x0890, 0x0891, 0x08e2, 0x110bd, 0x110cd]);

const PICTO = /^\p{Extended_Pictographic}$/u;
const EMOJI = /^\p{Emoji}$/u;
const EMOJI_MOD = /^\p{Emoji_Modifier}$/u;
// Scripts whose shaping uses ZWJ/ZWNJ inside words (Persian "می‌خواهم", Malayalam chillus, Sinhala
// conjuncts): a joiner between two letters or marks of these scripts is part of the word.
const JOINING =
  /^[\p{Script_Extensions=Arabic}\p{Script_Extensions=Syriac}\p{Script_Extensions=Nko}\p{Script_Extensions=Mongolian}\p{Script_Extensions=Devanagari}\p{Script_Extensions=Bengali}\p{Script_Extensions=Gurmukhi}\p{Script_Extensions=Gujarati}\p{Script_Extensions=Oriya}\p{Script_Extensions=Tamil}\p{Script_Extensions=Telugu}\p{Script_Extensions=Kannada}\p{Script_Extensions=Malayalam}\p{Script_Extensions=Sinhala}\p{Script_Extensions=Myanmar}\p{Script_Extensions=Khmer}\p{Script_Extensions=Tibetan}]$/u;
const LETTER_OR_MARK = /^[\p{L}\p{M}]$/u;

const before = (s: string, i: number): string => {
  if (i <= 0) return '';
  const lo = s.charCodeAt(i - 1);
  return lo >= 0xdc00 && lo <= 0xdfff && i >= 2 ? s.slice(i - 2, i) : s[i - 1];
};
const after = (s: string, i: number): string => {
  const cp = s.codePointAt(i);
  return cp === undefined ? '' : String.fromCodePoint(cp);
};

function keep(ch: string, offset: number, s: string): boolean {
  const cp = ch.codePointAt(0)!;
  if (VISIBLE_CF.has(cp)) return true;
  const prev = before(s, offset);
  const next = after(s, offset + ch.length);
  if (cp === 0xfe0f || cp === 0xfe0e) return prev !== '' && EMOJI.test(prev);
  if (cp === 0x200d || cp === 0x200c) {
    if (prev && next && JOINING.test(prev) && JOINING.test(next) && LETTER_OR_MARK.test(prev) && LETTER_OR_MARK.test(next)) return true;
    if (cp === 0x200c || !PICTO.test(next)) return false;
    if (PICTO.test(prev)) return true;
    // 👩🏽‍💻, 🏳️‍🌈: a skin tone or VS16 between the pictograph and the joiner
    if (prev === '\uFE0F' || EMOJI_MOD.test(prev)) return PICTO.test(before(s, offset - prev.length));
  }
  return false;
}

/**
 * Removes invisible characters (see the header of this file for the exact set and what is kept).
 * Every string that came from outside goes through it: bodies, names, subjects, file names,
 * content types, header values, link texts, alt texts, titles.
 */
export function stripInvisible(text: string): string {
  if (typeof text !== 'string') return '';
  return text.replace(CANDIDATES, (m: string, flag: string | undefined, offset: number, s: string) => (flag || keep(m, offset, s) ? m : ''));
}

/** How many invisible characters stripInvisible would remove. */
export function countInvisible(text: string): number {
  let n = 0;
  text.replace(CANDIDATES, (m: string, flag: string | undefined, offset: number, s: string) => {
    if (!flag && !keep(m, offset, s)) n++;
    return m;
  });
  return n;
}

/** stripInvisible on a value that is not necessarily a string ('' for anything else). */
export const cleanText = (s: unknown): string => (typeof s === 'string' ? stripInvisible(s) : '');

/** stripInvisible on every string inside a JSON-like value (objects, arrays), keys included. */
export function cleanDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return stripInvisible(value) as T;
  if (depth > 200 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => cleanDeep(v, depth + 1)) as T;
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[stripInvisible(k)] = cleanDeep(v, depth + 1);
  return out as T;
}

// ---------------------------------------------------------------- hidden HTML

type Postcss = typeof import('postcss');
let postcss: Postcss | undefined;
let cheerio: typeof import('cheerio') | undefined;
let htmlToText: typeof import('html-to-text') | undefined;

/** Properties the pass reads; everything else in a style sheet is ignored. */
const PROPS = new Set([
  'display',
  'visibility',
  'content-visibility',
  'opacity',
  'filter',
  'font-size',
  'font',
  'color',
  '-webkit-text-fill-color',
  'background',
  'background-color',
  'background-image',
  'width',
  'height',
  'max-width',
  'max-height',
  'overflow',
  'overflow-x',
  'overflow-y',
  'position',
  'left',
  'top',
  'right',
  'bottom',
  'clip',
  'clip-path',
  'transform',
  'text-indent',
  'margin-left',
  'margin-top',
]);

interface Decl {
  value: string;
  /** Sort key: important, inline, specificity (a, b, c), source order. */
  rank: [number, number, number, number, number, number];
}

const unescapeCss = (s: string) =>
  s.replace(/\\([0-9a-fA-F]{1,6})[ \t\n\r\f]?|\\([^\n])/g, (_m, hex: string | undefined, ch: string | undefined) => {
    if (hex) {
      const cp = parseInt(hex, 16);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '\uFFFD';
    }
    return ch ?? '';
  });

/** Declarations of a rule body or a style attribute, comments removed, escapes decoded. */
function declarations(pc: Postcss, body: string): { prop: string; value: string; important: boolean }[] {
  const out: { prop: string; value: string; important: boolean }[] = [];
  try {
    const root = pc.parse(`x{${body}}`);
    root.walkDecls((d) => {
      const prop = unescapeCss(d.prop).trim().toLowerCase();
      if (PROPS.has(prop)) out.push({ prop, value: stripInvisible(unescapeCss(d.value)).trim().toLowerCase(), important: Boolean(d.important) });
    });
    return out;
  } catch {
    // Not parseable as one rule (a stray brace): read it the way a browser reads a declaration
    // list, one declaration per semicolon.
    for (const part of body.replace(/\/\*[\s\S]*?(\*\/|$)/g, '').split(';')) {
      const i = part.indexOf(':');
      if (i < 0) continue;
      const prop = unescapeCss(part.slice(0, i)).trim().toLowerCase();
      let value = stripInvisible(unescapeCss(part.slice(i + 1)))
        .trim()
        .toLowerCase();
      const important = /!\s*important\s*$/.test(value);
      if (important) value = value.replace(/!\s*important\s*$/, '').trim();
      if (PROPS.has(prop)) out.push({ prop, value, important });
    }
    return out;
  }
}

/** Approximate selector specificity (ids, classes/attributes/pseudo-classes, types). */
function specificity(sel: string): [number, number, number] {
  const s = sel.replace(/"[^"]*"|'[^']*'/g, '').replace(/\[[^\]]*\]/g, ' .a ');
  const ids = (s.match(/#[\w-]+/g) ?? []).length;
  const classes = (s.match(/\.[\w-]+/g) ?? []).length + (s.match(/(^|[^:]):(?!not|is|where)[\w-]+/g) ?? []).length;
  const types = (s.match(/(^|[\s>+~(])[a-z][\w-]*/gi) ?? []).length;
  return [ids, classes, types];
}

const higher = (a: Decl['rank'], b: Decl['rank']) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
};

// Media that a screen reader of the message never sees: rules inside them are ignored. Every other
// media query is taken as matching (one hypothetical viewport where all of them apply): hiding by
// viewport size still counts as hiding.
const inertMedia = (params: string) => /^\s*(only\s+)?(print|speech)\s*$/i.test(params) || /^\s*not\s+(all|screen)\b/i.test(params);

// ---- values

type RGBA = [number, number, number, number];
const NAMED: Record<string, RGBA> = {
  transparent: [0, 0, 0, 0],
  black: [0, 0, 0, 1],
  white: [255, 255, 255, 1],
  silver: [192, 192, 192, 1],
  gray: [128, 128, 128, 1],
  grey: [128, 128, 128, 1],
  red: [255, 0, 0, 1],
  maroon: [128, 0, 0, 1],
  yellow: [255, 255, 0, 1],
  olive: [128, 128, 0, 1],
  lime: [0, 255, 0, 1],
  green: [0, 128, 0, 1],
  aqua: [0, 255, 255, 1],
  cyan: [0, 255, 255, 1],
  teal: [0, 128, 128, 1],
  blue: [0, 0, 255, 1],
  navy: [0, 0, 128, 1],
  fuchsia: [255, 0, 255, 1],
  magenta: [255, 0, 255, 1],
  purple: [128, 0, 128, 1],
  orange: [255, 165, 0, 1],
  whitesmoke: [245, 245, 245, 1],
  snow: [255, 250, 250, 1],
  ivory: [255, 255, 240, 1],
  ghostwhite: [248, 248, 255, 1],
  floralwhite: [255, 250, 240, 1],
  mintcream: [245, 255, 250, 1],
  azure: [240, 255, 255, 1],
};

const num = (s: string, scale = 1) => {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(%?)$/.exec(s.trim());
  if (!m) return undefined;
  return m[2] ? (Number(m[1]) / 100) * scale : Number(m[1]);
};
const alphaOf = (s: string | undefined) => {
  if (s === undefined) return 1;
  const a = num(s, 1);
  return a === undefined ? 1 : Math.max(0, Math.min(1, a));
};

function hsl(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [f(0) * 255, f(8) * 255, f(4) * 255];
}

/** A colour as RGBA, undefined when unknown (system colours, var(), currentcolor, gradients). */
export function parseColor(v: string): RGBA | undefined {
  const s = v.trim().toLowerCase();
  if (NAMED[s]) return NAMED[s];
  let m = /^#([0-9a-f]{3,8})$/.exec(s);
  if (m) {
    const h = m[1];
    if (h.length === 3 || h.length === 4) return [parseInt(h[0] + h[0], 16), parseInt(h[1] + h[1], 16), parseInt(h[2] + h[2], 16), h.length === 4 ? parseInt(h[3] + h[3], 16) / 255 : 1];
    if (h.length === 6 || h.length === 8) return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16), h.length === 8 ? parseInt(h.slice(6, 8), 16) / 255 : 1];
    return undefined;
  }
  m = /^(rgba?|hsla?)\(([^)]*)\)$/.exec(s);
  if (!m) return undefined;
  const [body, slashAlpha] = m[2].split('/');
  const parts = body.split(/[\s,]+/).filter(Boolean);
  const alpha = alphaOf(slashAlpha?.trim() ?? parts[3]);
  if (m[1].startsWith('rgb')) {
    const c = parts.slice(0, 3).map((p) => num(p, 255));
    if (c.length < 3 || c.some((x) => x === undefined)) return alpha === 0 ? [0, 0, 0, 0] : undefined;
    return [c[0]!, c[1]!, c[2]!, alpha];
  }
  const h = parseFloat(parts[0]);
  const sat = num(parts[1] ?? '', 1);
  const light = num(parts[2] ?? '', 1);
  if (Number.isNaN(h) || sat === undefined || light === undefined) return alpha === 0 ? [0, 0, 0, 0] : undefined;
  return [...hsl(((h % 360) + 360) % 360, sat > 1 ? sat / 100 : sat, light > 1 ? light / 100 : light), alpha];
}

/** A length in CSS pixels; `em` relative to `emPx`. Undefined when unknown (vw, calc(), auto). */
export function lengthPx(v: string, emPx = 16, percentOf?: number): number | undefined {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)([a-z%]*)$/.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  if (n === 0) return 0;
  const unit = m[2];
  const f: Record<string, number> = {
    '': 1,
    px: 1,
    pt: 4 / 3,
    pc: 16,
    in: 96,
    cm: 96 / 2.54,
    mm: 96 / 25.4,
    q: 96 / 101.6,
    em: emPx,
    rem: 16,
    ex: emPx / 2,
    ch: emPx / 2,
    cap: emPx * 0.7,
    lh: emPx * 1.2,
  };
  if (unit === '%') return percentOf === undefined ? undefined : (n / 100) * percentOf;
  return f[unit] === undefined ? undefined : n * f[unit];
}

const FONT_KEYWORDS: Record<string, number> = { 'xx-small': 9, 'x-small': 10, small: 13, medium: 16, large: 18, 'x-large': 24, 'xx-large': 32, 'xxx-large': 48 };

/** Computed font size in px from a font-size value (or the size inside a `font` shorthand). */
function fontSize(value: string, parentPx: number, shorthand: boolean): number | undefined {
  if (value === 'inherit' || value === 'unset') return parentPx;
  if (value === 'initial') return 16;
  if (value === 'smaller') return parentPx / 1.2;
  if (value === 'larger') return parentPx * 1.2;
  if (!shorthand) return FONT_KEYWORDS[value] ?? lengthPx(value, parentPx, parentPx);
  for (const tok of value.split(/\s+/)) {
    const size = tok.split('/')[0];
    if (FONT_KEYWORDS[size] !== undefined) return FONT_KEYWORDS[size];
    const px = lengthPx(size, parentPx, parentPx);
    if (px !== undefined && /[a-z%]$|^0$/.test(size)) return px;
  }
  return undefined;
}

const zeroish = (v: string | undefined, emPx: number) => {
  if (v === undefined) return false;
  const px = lengthPx(v, emPx);
  return px !== undefined && px <= 1;
};

/** `clip: rect(...)` whose box is at most 1px either way. */
function clipsAll(v: string): boolean {
  const m = /^rect\(([^)]*)\)$/.exec(v);
  if (!m) return false;
  const [t, r, b, l] = m[1]
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((x) => (x === 'auto' ? undefined : lengthPx(x)));
  if (t === undefined || r === undefined || b === undefined || l === undefined) return false;
  return r - l <= 1 || b - t <= 1;
}

/** `clip-path` that leaves nothing: inset(50%) or more, a zero circle/ellipse, a degenerate polygon. */
function clipPathAll(v: string): boolean {
  let m = /^inset\(([^)]*)\)/.exec(v);
  if (m) {
    const p = m[1]
      .split(/\s+round\s+/)[0]
      .split(/\s+/)
      .filter(Boolean);
    const [t, r = t, b = t, l = r] = p.map((x) => (x.endsWith('%') ? Number(x.slice(0, -1)) : NaN));
    return [t, r, b, l].every((x) => !Number.isNaN(x)) && (t + b >= 100 || l + r >= 100);
  }
  m = /^(circle|ellipse)\(\s*([^)\s]+)(?:\s+([^)\s]+))?/.exec(v);
  if (m) return lengthPx(m[2]) === 0 || (m[1] === 'ellipse' && m[3] !== undefined && lengthPx(m[3]) === 0);
  m = /^polygon\(([^)]*)\)/.exec(v);
  if (m) {
    const points = m[1]
      .replace(/^\s*(nonzero|evenodd)\s*,/, '')
      .split(',')
      .map((p) => p.trim().replace(/\s+/g, ' '));
    return points.length > 0 && points.every((p) => p === points[0]);
  }
  return false;
}

const farOff = (v: string | undefined, emPx: number) => {
  if (v === undefined) return false;
  const px = lengthPx(v, emPx);
  return px !== undefined && px <= -500;
};

/** Why an element (and everything inside it) is not rendered, or undefined. */
function hiddenBox(el: Element, get: (p: string) => string | undefined, emPx: number): string | undefined {
  const name = el.name.toLowerCase();
  if (name === 'template' || name === 'datalist' || (name === 'dialog' && el.attribs.open === undefined)) return name;
  if (el.attribs.hidden !== undefined) return 'hidden attribute';
  const display = get('display');
  if (display === 'none') return 'display:none';
  if (get('content-visibility') === 'hidden') return 'content-visibility:hidden';
  const opacity = get('opacity');
  if (opacity !== undefined) {
    const o = num(opacity, 1);
    if (o !== undefined && o <= 0.05) return 'opacity';
  }
  const filter = get('filter');
  if (filter && /opacity\(\s*(0*\.?0+%?|0)\s*\)/.test(filter)) return 'filter:opacity(0)';
  const transform = get('transform');
  if (transform && /scale[xy3d]*\(\s*0*\.?0+(\s*[,)]|\s)/.test(transform)) return 'transform:scale(0)';
  if (transform && /translate(x|3d)?\(\s*-\d{3,}/.test(transform) && farOff(/translate(?:x|3d)?\(\s*([^,\s)]+)/.exec(transform)?.[1], emPx)) return 'translated off-screen';
  const overflow = [get('overflow'), get('overflow-x'), get('overflow-y')].some((o) => o !== undefined && /\b(hidden|clip)\b/.test(o));
  if (overflow && (zeroish(get('width'), emPx) || zeroish(get('height'), emPx) || zeroish(get('max-width'), emPx) || zeroish(get('max-height'), emPx))) return 'zero-size box';
  const position = get('position');
  const positioned = position === 'absolute' || position === 'fixed';
  const clip = get('clip');
  if (positioned && clip && clipsAll(clip)) return 'clip';
  const clipPath = get('clip-path');
  if (clipPath && clipPathAll(clipPath)) return 'clip-path';
  if (positioned && (farOff(get('left'), emPx) || farOff(get('top'), emPx) || farOff(get('right'), emPx) || farOff(get('bottom'), emPx))) return 'off-screen';
  if (farOff(get('margin-left'), emPx) || farOff(get('margin-top'), emPx) || farOff(get('text-indent'), emPx)) return 'off-screen';
  return undefined;
}

const close = (a: RGBA, b: RGBA) => Math.abs(a[0] - b[0]) <= 8 && Math.abs(a[1] - b[1]) <= 8 && Math.abs(a[2] - b[2]) <= 8;

/** Background from `background`/`background-color`/`bgcolor`: a colour, 'image' (unknown), or undefined (none). */
function backgroundOf(get: (p: string) => string | undefined, attr: string | undefined): RGBA | 'image' | undefined {
  const image = get('background-image');
  const short = get('background');
  if ((image && image !== 'none') || (short && /url\(|gradient\(|image\(/.test(short))) return 'image';
  const explicit = get('background-color');
  const fromShort = short
    ? short
        .split(/\s+(?![^(]*\))/)
        .map(parseColor)
        .find((c) => c !== undefined)
    : undefined;
  const value = explicit !== undefined ? (parseColor(explicit) ?? 'image') : (fromShort ?? (attr ? parseColor(attr.toLowerCase()) : undefined));
  if (value === 'image' || value === undefined) return value;
  return value[3] === 0 ? undefined : value;
}

export interface HiddenPassOptions {
  /** The page background when nothing sets one (white, as mail clients and browsers draw it). */
  background?: RGBA;
}

/**
 * Removes from a loaded document everything a reader of the rendered page does not see: elements
 * (with their content) that are not rendered or are invisible, and text whose computed style
 * makes it invisible; the text that stays loses its invisible characters (stripInvisible).
 * Returns how many elements were removed or emptied.
 */
export async function removeHidden($: CheerioAPI, opts: HiddenPassOptions = {}): Promise<number> {
  postcss ??= (await import('postcss')).default as unknown as Postcss;
  const pc = postcss;
  const decls = new Map<Element, Map<string, Decl>>();
  const put = (el: Element, prop: string, value: string, rank: Decl['rank']) => {
    let m = decls.get(el);
    if (!m) decls.set(el, (m = new Map()));
    const prev = m.get(prop);
    if (!prev || higher(rank, prev.rank)) m.set(prop, { value, rank });
  };
  let order = 0;
  // <style> sheets
  $('style').each((_i, styleEl) => {
    const media = (styleEl as Element).attribs?.media;
    if (media && inertMedia(media)) return;
    let root;
    try {
      root = pc.parse($(styleEl).text());
    } catch {
      return;
    }
    root.walkRules((rule) => {
      for (let p = rule.parent; p && p.type !== 'root'; p = p.parent) {
        if (p.type === 'atrule') {
          const at = p as import('postcss').AtRule;
          if (/keyframes|font-face|page|counter-style|property/i.test(at.name)) return;
          if (at.name.toLowerCase() === 'media' && inertMedia(at.params)) return;
        }
      }
      const body = (rule.nodes ?? [])
        .filter((n) => n.type === 'decl')
        .map((n) => n.toString())
        .join(';');
      const list = declarations(pc, body);
      if (!list.length) return;
      for (const sel of rule.selectors) {
        // Dynamic states and pseudo-elements describe no element's resting style.
        if (/::|:(hover|focus|active|visited|target|checked|focus-within|focus-visible|before|after|first-line|first-letter|selection|placeholder)\b/i.test(sel)) continue;
        let matched: Element[];
        try {
          matched = $(sel)
            .toArray()
            .filter((n): n is Element => n.type === 'tag' || n.type === 'script' || n.type === 'style');
        } catch {
          continue; // a selector cheerio does not support
        }
        const [a, b, c] = specificity(sel);
        order++;
        for (const el of matched) for (const d of list) put(el, d.prop, d.value, [d.important ? 1 : 0, 0, a, b, c, order]);
      }
    });
  });
  // inline styles
  $('[style]').each((_i, el) => {
    for (const d of declarations(pc, (el as Element).attribs.style ?? '')) put(el as Element, d.prop, d.value, [d.important ? 1 : 0, 1, 0, 0, 0, ++order]);
  });

  const removeEls: Element[] = [];
  const removeText: Text[] = [];
  let emptied = 0;
  const pageBg: RGBA = opts.background ?? [255, 255, 255, 1];
  interface State {
    visible: boolean;
    color: RGBA | undefined;
    fontPx: number;
    bg: RGBA | 'image';
  }
  const rootNode = $.root().get(0)!;
  const stack: [AnyNode, State][] = [[rootNode, { visible: true, color: [0, 0, 0, 1], fontPx: 16, bg: pageBg }]];
  while (stack.length) {
    const [node, parent] = stack.pop()!;
    let state = parent;
    if (node.type === 'tag') {
      const el = node as Element;
      const name = el.name.toLowerCase();
      if (name === 'head' || name === 'script' || name === 'style' || name === 'title') continue;
      const own = decls.get(el);
      const get = (p: string) => {
        const v = own?.get(p)?.value;
        return v === 'inherit' || v === 'unset' || v === 'initial' || v === 'revert' ? undefined : v;
      };
      if (hiddenBox(el, get, parent.fontPx)) {
        removeEls.push(el);
        continue;
      }
      const vis = own?.get('visibility')?.value;
      const fs = own?.get('font-size')?.value;
      const font = own?.get('font')?.value;
      const colorValue = own?.get('-webkit-text-fill-color')?.value ?? own?.get('color')?.value ?? (name === 'font' ? el.attribs.color?.toLowerCase() : undefined);
      // the legacy `background` attribute of table cells and body is an image behind the text
      const bg = el.attribs.background?.trim() ? 'image' : backgroundOf(get, el.attribs.bgcolor);
      let fontPx = parent.fontPx;
      if (fs !== undefined) fontPx = fontSize(fs, parent.fontPx, false) ?? parent.fontPx;
      else if (font !== undefined) fontPx = fontSize(font, parent.fontPx, true) ?? parent.fontPx;
      state = {
        visible: vis === undefined || vis === 'inherit' || vis === 'unset' ? parent.visible : vis === 'visible' || vis === 'initial',
        color:
          colorValue === undefined || colorValue === 'inherit' || colorValue === 'unset' || colorValue === 'currentcolor'
            ? parent.color
            : colorValue === 'initial'
              ? [0, 0, 0, 1]
              : parseColor(colorValue),
        fontPx,
        bg: bg ?? parent.bg,
      };
      let hiddenText = false;
      const invisibleText = !state.visible || state.fontPx <= 1 || (state.color !== undefined && (state.color[3] <= 0.05 || (state.bg !== 'image' && close(state.color, state.bg))));
      for (const c of el.children) {
        if (c.type === 'text' && invisibleText && (c as Text).data.trim()) {
          removeText.push(c as Text);
          hiddenText = true;
        } else if (c.type === 'text') {
          // invisible characters go before any converter sees them: some take U+200B or U+FEFF
          // for a space and would split a word in two
          (c as Text).data = stripInvisible((c as Text).data);
        }
        // an image is not text: its alt is only shown when it does not load
        if (c.type === 'tag' && invisibleText && (c as Element).name === 'img' && !state.visible) {
          removeEls.push(c as Element);
          hiddenText = true;
        }
      }
      if (hiddenText) emptied++;
    }
    const kids = (node as Element).children;
    if (node.type === 'root') for (const c of kids) if (c.type === 'text') (c as Text).data = stripInvisible((c as Text).data);
    if (kids) for (let i = kids.length - 1; i >= 0; i--) if (kids[i].type === 'tag' || kids[i].type === 'root') stack.push([kids[i], state]);
  }
  // Empty hidden boxes (spacers, tracking pixels' wrappers) are removed but not counted: the count
  // says the message or page hid something a reader could have read.
  const counted = removeEls.filter(carriesContent).length;
  for (const t of removeText) $(t).remove();
  for (const el of removeEls) $(el).remove();
  return counted + emptied;
}

/** Whether an element holds text (beyond whitespace and invisible characters) or an image with alt text. */
function carriesContent(root: Element): boolean {
  const stack: AnyNode[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'text' && stripInvisible((n as Text).data).trim()) return true;
    if (n.type === 'tag') {
      const el = n as Element;
      if (el.name === 'img' && el.attribs.alt?.trim()) return true;
      if (el.name === 'input' && el.attribs.value?.trim()) return true;
      for (const c of el.children) stack.push(c);
    }
  }
  return false;
}

/** HTML in, the same HTML without what its reader does not see (see removeHidden), plus the count. */
export async function visibleHtml(html: string, opts: HiddenPassOptions = {}): Promise<{ html: string; hiddenRemoved: number }> {
  cheerio ??= await import('cheerio');
  const $ = cheerio.load(html, { xml: { xmlMode: false, decodeEntities: true } });
  const hiddenRemoved = await removeHidden($, opts);
  return { html: serialize($.root().get(0)!), hiddenRemoved };
}

/**
 * The text of an HTML body as its reader sees it: `visibleHtml`, then converted to plain text
 * (no line wrapping; images, scripts, styles and templates skipped). For mail bodies that have only
 * HTML. Throws RangeError on nesting too deep to walk.
 */
export async function visibleText(html: string): Promise<{ text: string; hiddenRemoved: number }> {
  const visible = await visibleHtml(html);
  htmlToText ??= cjsExports(await import('html-to-text'), 'convert');
  const text = htmlToText.convert(visible.html, {
    wordwrap: false,
    limits: { maxDepth: 500 },
    selectors: ['img', 'head', 'script', 'style', 'noscript', 'template'].map((selector) => ({ selector, format: 'skip' })),
  });
  return { text, hiddenRemoved: visible.hiddenRemoved };
}

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const RAW = new Set(['script', 'style', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext']);
const escapeText = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (t: string) => t.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/**
 * Serializes a document without recursion (cheerio's serializer overflows the stack a few thousand
 * levels down, a depth a hostile message reaches easily). Comments and directives are dropped.
 */
function serialize(root: AnyNode): string {
  const out: string[] = [];
  const stack: (AnyNode | string)[] = [root];
  while (stack.length) {
    const item = stack.pop()!;
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    if (item.type === 'text') {
      const parent = item.parent;
      const raw = parent !== null && parent.type !== 'root' && RAW.has(((parent as Element).name ?? '').toLowerCase());
      out.push(raw ? (item as Text).data : escapeText((item as Text).data));
      continue;
    }
    if (item.type === 'tag' || item.type === 'script' || item.type === 'style') {
      const el = item as Element;
      const attrs = Object.entries(el.attribs ?? {})
        .map(([k, v]) => ` ${k}="${escapeAttr(v)}"`)
        .join('');
      out.push(`<${el.name}${attrs}>`);
      if (VOID.has(el.name.toLowerCase())) continue;
      stack.push(`</${el.name}>`);
    } else if (item.type !== 'root' && item.type !== 'cdata') continue;
    const kids = (item as Element).children ?? [];
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
  return out.join('');
}
