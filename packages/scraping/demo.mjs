// Demo plan: a small local site served inside the demo. It is on 127.0.0.1, a private address, so
// the demo starts the server with --allow-private (the default refuses it, as it should).
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';

const page = `<!doctype html><html lang="en"><head><title>Acme — Pricing</title>
<meta name="description" content="Plans and prices">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Product","name":"Acme Pro","offers":{"price":"49","priceCurrency":"EUR"}}</script></head>
<body><nav><a href="/">Home</a> <a href="/pricing">Pricing</a></nav>
<main><h1>Pricing</h1><p>Choose the plan that fits your team.</p>
<ul><li class="plan"><b class="name">Starter</b> <span class="price">€9</span></li><li class="plan"><b class="name">Pro</b> <span class="price">€49</span></li></ul>
<p id="js">Loading live availability…</p></main><footer>© Acme</footer>
<script>setTimeout(() => { document.getElementById('js').textContent = 'Live: 3 seats left on Pro'; }, 100);</script></body></html>`;

export default {
  async prepare() {
    const server = createServer((req, res) => {
      if (req.url === '/robots.txt') return res.end('User-agent: *\nDisallow: /admin\n');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${server.address().port}`;
    const calls = [
      { name: 'scrape_url', arguments: { url: `${base}/pricing`, main_content: true } },
      {
        name: 'extract_structured_data',
        arguments: {
          url: `${base}/pricing`,
          fields: { plans: { selector: '.plan', fields: { name: { selector: '.name' }, price: { selector: '.price' } } } },
          include_open_graph: false,
          include_microdata: false,
        },
      },
      { name: 'scrape_url', arguments: { url: `${base}/admin` }, expectError: true },
    ];
    if (existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) {
      calls.push({ name: 'scrape_dynamic_page', arguments: { url: `${base}/pricing`, main_content: true, format: 'text' } });
      calls.push({ name: 'take_screenshot', arguments: { url: `${base}/pricing`, width: 800, height: 400 } });
    }
    const chromium = existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium');
    return {
      note: `on a local site at ${base} (--allow-private)${chromium ? '' : '; rendered pages and screenshots skipped: no Chromium (run `npm run setup` as root on Debian, or set CHROMIUM_PATH)'}`,
      args: ['--allow-private'],
      env: { SCRAPING_DELAY_MS: '0' },
      calls,
      cleanup: () => new Promise((r) => server.close(r)),
    };
  },
};
