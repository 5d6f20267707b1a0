// A small local web site for the tests on 127.0.0.2 ("public" through the test resolver), and an
// oracle server on 127.0.0.1 that stands for every private address and must receive nothing.
import { startRecordingServer, type RecordedRequest } from '@bizmcp/core/testing';

export interface Site {
  port: number;
  /** Every request the site received. */
  hits: RecordedRequest[];
  /** Most /hold requests open at the same time (the browser page cap). */
  maxHeld: number;
  /** /hold requests open now. */
  held(): number;
  oraclePort: number;
  /** Every request the oracle received: must stay empty. */
  oracleHits: RecordedRequest[];
  close(): Promise<void>;
}

const layout = (title: string, body: string, head = '') => `<!doctype html><html lang="en"><head><title>${title}</title>
<meta name="description" content="About ${title}"><link rel="canonical" href="/canonical/${encodeURIComponent(title)}">${head}</head>
<body><nav><a href="/">Home</a> <a href="/about">About</a> <a href="/private/secret">Secret</a> <a href="https://elsewhere.example/x">Elsewhere</a></nav>
<header>Site header</header>${body}<footer>Copyright footer</footer><script>var tracking = 1;</script></body></html>`;

export const ARTICLE_TEXT = 'Invoices are due thirty days after issue. Late payments accrue interest at the statutory rate, and reminders are sent weekly.';

export const pages: Record<string, () => { status?: number; type?: string; body: string | Buffer; headers?: Record<string, string> }> = {
  '/': () => ({ body: layout('Home', '<main><h1>Welcome</h1><p>Start at the <a href="/article">article</a> or the <a href="/products">products</a>.</p></main>') }),
  '/about': () => ({ body: layout('About', '<main><h1>About us</h1><p>We sell widgets. <a href="/article">Read more</a></p></main>') }),
  '/article': () => ({
    body: layout(
      'Payment terms',
      `<div class="sidebar"><a href="/ads">Buy now</a></div><article><h1>Payment terms</h1><p>${ARTICLE_TEXT}</p><p>Second paragraph with <strong>bold</strong> and a <a href="/about">link</a>.</p><ul><li>One</li><li>Two</li></ul></article>`,
    ),
  }),
  '/products': () => ({
    body: layout(
      'Products',
      `<main><ul class="products">
        <li class="product" itemscope itemtype="https://schema.org/Product"><a class="name" href="/p/1" itemprop="url"><span itemprop="name">Widget</span></a> <span class="price" itemprop="price" content="9.99">9.99 €</span></li>
        <li class="product"><a class="name" href="/p/2">Gadget</a> <span class="price">19.50 €</span></li>
      </ul></main>`,
      `<meta property="og:title" content="Our products"><meta property="og:type" content="website">
       <script type="application/ld+json">{"@context":"https://schema.org","@type":"Organization","name":"Acme"}</script>
       <script type="application/ld+json">{ broken json </script>`,
    ),
  }),
  '/hidden': () => ({
    body: layout('Hidden', `<main><p>Visible text\u200B with zero\u200Dwidth and tag chars \u{E0049}\u{E0067}\u{E006E}\u{E006F}\u{E0072}\u{E0065} and bidi \u202Ereversed\u202C end.</p></main>`),
  }),
  '/broken': () => ({ body: '<html><head><title>Broken</title><body><div><p>Unclosed paragraph<div>nested <b>bold<p>still here</div></span></table></body>' }),
  '/app': () => ({
    body: '<html><head><title>App</title></head><body><div id="root">loading…</div><script>setTimeout(() => { document.getElementById("root").innerHTML = "<h1>Rendered by JS</h1><p class=\'dyn\'>dynamic content</p>"; }, 150);</script></body></html>',
  }),
  '/scroll': () => ({
    body: `<html><head><title>Feed</title></head><body style="margin:0"><ul id="feed"></ul><script>
      let n = 0; const feed = document.getElementById('feed');
      function more() { for (let i = 0; i < 10 && n < 50; i++) { const li = document.createElement('li'); li.style.height = '120px'; li.textContent = 'item ' + (++n); feed.appendChild(li); } }
      more(); window.addEventListener('scroll', () => { if (window.innerHeight + window.scrollY >= document.body.scrollHeight - 5) setTimeout(more, 50); });
    </script></body></html>`,
  }),
  '/state': () => ({
    body: `<html><head><title>State</title></head><body><p id="seen">?</p><script>
      document.getElementById('seen').textContent = 'stored: ' + (localStorage.getItem('k') ?? 'nothing') + ', cookie: ' + (document.cookie || 'none');
      localStorage.setItem('k', 'from an earlier call'); document.cookie = 'c=earlier';
    </script></body></html>`,
  }),
  '/data.json': () => ({ type: 'application/json', body: '{"ok":true,"items":[1,2,3]}' }),
  '/image.png': () => ({ type: 'image/png', body: Buffer.alloc(3000, 1) }),
  '/report.pdf': () => ({ type: 'application/pdf', body: Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(20_000, 2)]) }),
  '/huge': () => ({ body: layout('Huge', `<main>${`<p>${'lorem ipsum dolor sit amet '.repeat(40)}</p>`.repeat(3000)}</main>`) }),
  '/deepish': () => ({ body: layout('Deepish', '<div>'.repeat(1400) + '<p>bottom <b>line</b></p>' + '</div>'.repeat(1400)) }),
  '/slow-image': () => ({ body: layout('Slow image', '<main><h1>Loading</h1><p>An image that takes its time.</p><img src="/hold?n=image" alt=""></main>') }),
  '/deep': () => ({ body: layout('Deep', '<div>'.repeat(20000) + 'bottom' + '</div>'.repeat(20000)) }),
  '/robots.txt': () => ({ type: 'text/plain', body: 'User-agent: *\nDisallow: /private/\nAllow: /private/open\n\nUser-agent: BadBot\nDisallow: /\n' }),
  '/private/secret': () => ({ body: layout('Secret', '<main><p>robots.txt says no</p></main>') }),
  '/private/open': () => ({ body: layout('Open', '<main><p>explicitly allowed</p></main>') }),
};

export async function startSite(): Promise<Site> {
  let held = 0;
  const oracle = await startRecordingServer((_req, res) => res.end('<html><body>oracle reached: internal data</body></html>'), { host: '127.0.0.1' });
  const oraclePort = oracle.port;
  const server = await startRecordingServer(
    (req, res) => {
      const u = new URL(req.url!, 'http://x');
      if (u.pathname === '/slow') return setTimeout(() => res.end('late'), 5000);
      if (u.pathname === '/hold') {
        held++;
        site.maxHeld = Math.max(site.maxHeld, held);
        return setTimeout(() => {
          held--;
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end(`<html><head><title>Held ${u.searchParams.get('n')}</title></head><body><p>held page</p></body></html>`);
        }, 400);
      }
      if (u.pathname === '/ssrf') {
        // a page whose scripts try to reach private addresses: none of it may arrive
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end(`<html><body><h1>SSRF page</h1><div id="out">waiting</div><script>
        const o = 'http://127.0.0.1:${oraclePort}';
        Promise.allSettled([
          fetch(o + '/fetch'), fetch('http://169.254.169.254/latest/meta-data/'),
          fetch('http://localhost:${oraclePort}/fetch2'), fetch('http://internal.example:${oraclePort}/byname'),
          new Promise((r) => { const i = new Image(); i.onload = i.onerror = r; i.src = o + '/img'; }),
          new Promise((r) => { try { const w = new WebSocket('ws://127.0.0.1:${oraclePort}/ws'); w.onerror = w.onclose = r; } catch (e) { r(); } }),
          new Promise((r) => { const x = new XMLHttpRequest(); x.onloadend = r; x.open('GET', o + '/xhr'); x.send(); }),
        ]).then(() => { document.getElementById('out').textContent = 'done'; });
      </script><iframe src="http://127.0.0.1:${oraclePort}/frame"></iframe><iframe src="file:///etc/passwd"></iframe>
      <iframe src="data:text/html,<p>data document</p>"></iframe><link rel="preconnect" href="http://169.254.169.254/"><link rel="prefetch" href="http://127.0.0.1:${oraclePort}/prefetch"></body></html>`);
      }
      if (u.pathname === '/redirect') {
        res.writeHead(302, { location: u.searchParams.get('to')! });
        return res.end();
      }
      const p = pages[u.pathname];
      if (!p) {
        res.writeHead(404, { 'content-type': 'text/html' });
        return res.end('<html><body>not found</body></html>');
      }
      const { status = 200, type = 'text/html; charset=utf-8', body, headers = {} } = p();
      res.writeHead(status, { 'content-type': type, ...headers });
      res.end(body);
    },
    { host: '127.0.0.2' },
  );
  const site: Site = {
    port: server.port,
    hits: server.hits,
    maxHeld: 0,
    held: () => held,
    oraclePort,
    oracleHits: oracle.hits,
    close: async () => {
      await server.close();
      await oracle.close();
    },
  };
  return site;
}

/** The test resolver: *.test names are the local site; anything else does not exist. */
export const lookup = async (host: string) => {
  if (host.endsWith('.test')) return [{ address: '127.0.0.2', family: 4 as const }];
  if (host === 'internal.example') return [{ address: '127.0.0.1', family: 4 as const }];
  throw Object.assign(new Error('no such host'), { code: 'ENOTFOUND' });
};
