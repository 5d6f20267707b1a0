// Fetching pages politely and safely: every request goes through core's net guard (no private,
// loopback or metadata address unless --allow-private), robots.txt is honoured unless
// --ignore-robots, a real User-Agent is sent, and requests to one host are spaced by a delay.
import { NetGuard, sleep, ToolError, type LookupAnswer } from '@bizmcp/core';

export interface ScrapeConfig {
  userAgent: string;
  /** Product token matched against robots.txt groups. */
  robotsAgent: string;
  ignoreRobots: boolean;
  allowPrivate: boolean;
  delayMs: number;
  maxPageBytes: number;
  timeoutMs: number;
  downloadDir?: string;
  maxDownloadBytes: number;
  chromiumPath: string | undefined;
  maxBrowserPages: number;
  /** Test seams (never set from the environment). */
  lookup?: (host: string) => Promise<LookupAnswer[]>;
  allowedNetworks?: string[];
  /** Called when a browser request reaches the sink proxy (it escaped interception). */
  onEscape?: (request: string) => void;
}

interface Rule {
  allow: boolean;
  pattern: string;
}

/** robots.txt: the group for our agent (or `*`), Allow/Disallow with the longest match winning. */
export class Robots {
  private constructor(private readonly rules: Rule[]) {}

  static parse(text: string, agent: string): Robots {
    const groups: { agents: string[]; rules: Rule[] }[] = [];
    let current: { agents: string[]; rules: Rule[] } | undefined;
    let lastWasAgent = false;
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.replace(/#.*/, '').trim();
      const m = /^([A-Za-z-]+)\s*:\s*(.*)$/.exec(line);
      if (!m) continue;
      const key = m[1].toLowerCase();
      const value = m[2].trim();
      if (key === 'user-agent') {
        if (!lastWasAgent || !current) {
          current = { agents: [], rules: [] };
          groups.push(current);
        }
        current.agents.push(value.toLowerCase());
        lastWasAgent = true;
        continue;
      }
      lastWasAgent = false;
      if (!current) continue;
      if (key === 'allow' || key === 'disallow') {
        if (value === '' && key === 'disallow') continue; // "Disallow:" allows everything
        current.rules.push({ allow: key === 'allow', pattern: value });
      }
    }
    const a = agent.toLowerCase();
    const mine = groups.filter((g) => g.agents.some((x) => x !== '*' && a.includes(x)));
    const chosen = mine.length ? mine : groups.filter((g) => g.agents.includes('*'));
    return new Robots(chosen.flatMap((g) => g.rules));
  }

  static allowAll(): Robots {
    return new Robots([]);
  }

  allows(pathAndQuery: string): boolean {
    let best: Rule | undefined;
    let bestLen = -1;
    for (const r of this.rules) {
      if (!matches(r.pattern, pathAndQuery)) continue;
      const len = r.pattern.length;
      if (len > bestLen || (len === bestLen && r.allow)) {
        best = r;
        bestLen = len;
      }
    }
    return !best || best.allow;
  }
}

function matches(pattern: string, path: string): boolean {
  const anchored = pattern.endsWith('$');
  const body = anchored ? pattern.slice(0, -1) : pattern;
  const re = new RegExp(
    '^' +
      body
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      (anchored ? '$' : ''),
  );
  return re.test(path);
}

export interface Page {
  url: string;
  status: number;
  contentType: string;
  body: Buffer;
  truncated: boolean;
  redirects: string[];
}

export class Fetcher {
  readonly guard: NetGuard;
  private robots = new Map<string, Promise<Robots>>();
  private lastHit = new Map<string, number>();

  constructor(readonly config: ScrapeConfig) {
    this.guard = new NetGuard({
      allowPrivate: config.allowPrivate,
      allowedNetworks: config.allowedNetworks,
      lookup: config.lookup,
      userAgent: config.userAgent,
      timeoutMs: config.timeoutMs,
      maxBytes: config.maxPageBytes,
    });
  }

  /** Throws when robots.txt forbids the URL (unless robots are ignored). */
  async checkRobots(url: URL, signal: AbortSignal): Promise<void> {
    if (this.config.ignoreRobots) return;
    let robots = this.robots.get(url.origin);
    if (!robots) {
      robots = this.guard
        .fetch(new URL('/robots.txt', url), { signal, maxBytes: 512 * 1024, timeoutMs: 10_000 })
        .then((r) => (r.status >= 200 && r.status < 300 ? Robots.parse(r.body.toString('utf8'), this.config.robotsAgent) : Robots.allowAll()))
        .catch((e) => {
          if (e instanceof ToolError && e.code === 'access_denied') throw e;
          return Robots.allowAll(); // unreachable robots.txt: no rules
        });
      this.robots.set(url.origin, robots);
    }
    if (!(await robots).allows(url.pathname + url.search)) {
      throw new ToolError(`robots.txt of ${url.origin} disallows ${url.pathname}`, {
        code: 'access_denied',
        hint: 'The site asks crawlers not to fetch this page. An operator can start the server with --ignore-robots.',
      });
    }
  }

  /** Waits so that requests to one host are at least `delayMs` apart. */
  async polite(host: string, signal: AbortSignal): Promise<void> {
    const now = Date.now();
    const next = Math.max(now, (this.lastHit.get(host) ?? 0) + this.config.delayMs);
    this.lastHit.set(host, next);
    if (next > now) await sleep(next - now, signal);
  }

  async get(input: string, signal: AbortSignal, opts: { maxBytes?: number } = {}): Promise<Page> {
    const { url } = await this.guard.checkUrl(input);
    await this.checkRobots(url, signal);
    await this.polite(url.host, signal);
    const r = await this.guard.fetch(url, { signal, maxBytes: opts.maxBytes ?? this.config.maxPageBytes, headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
    const ct = String(r.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    return { url: r.url, status: r.status, contentType: ct, body: r.body, truncated: r.truncated, redirects: r.redirects };
  }
}
