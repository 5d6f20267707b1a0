// bizmcp-scraping, in one run: scrape_url on a 1 MB local HTML page (markdown), scrape_dynamic_page
// on it once the browser is warm, and the size of what the model receives compared with
// @playwright/mcp's browser_navigate + browser_snapshot on the same pages (both on Debian's
// Chromium). Tokens are estimated as characters / 4.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fmt, lower, median, RawServer, reportRatios, sized, table } from './lib/harness.mjs';

const require = createRequire(import.meta.url);
const ours = join(import.meta.dirname, '..', 'packages/scraping/dist/index.js');
const pwmcp = join(import.meta.dirname, 'node_modules', '@playwright', 'mcp', 'cli.js');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const para = (i) => `<p>Paragraph ${i}: invoices are due thirty days after issue; late payments accrue interest at the statutory rate. <a href="/doc/${i}">details ${i}</a></p>`;
const article = `<!doctype html><html><head><title>Big page</title></head><body><nav>${Array.from({ length: 50 }, (_, i) => `<a href="/n${i}">Menu ${i}</a>`).join(' ')}</nav><main><h1>Terms</h1>${Array.from({ length: 6000 }, (_, i) => para(i)).join('\n')}</main><footer>footer</footer></body></html>`;
const pages = {
  '/big': article,
  '/shop': `<!doctype html><html><head><title>Shop</title></head><body><nav>${Array.from({ length: 30 }, (_, i) => `<a href="/c${i}">Category ${i}</a>`).join(' ')}</nav><main><h1>Products</h1><ul>${Array.from({ length: 200 }, (_, i) => `<li class="p"><a href="/p/${i}">Product ${i}</a> <span>€${i}.99</span> <button>Add to cart</button></li>`).join('')}</ul></main></body></html>`,
  '/news': `<!doctype html><html><head><title>News</title></head><body><header><a href="/">Home</a><input placeholder="Search"></header><main>${Array.from({ length: 40 }, (_, i) => `<article><h2><a href="/a/${i}">Headline ${i}</a></h2><p>${'Summary text of the story. '.repeat(8)}</p></article>`).join('')}</main><aside>${Array.from({ length: 20 }, (_, i) => `<a href="/t/${i}">Trending ${i}</a>`).join('<br>')}</aside></body></html>`,
};
const server = createServer((req, res) => {
  if (req.url === '/robots.txt') return res.end('');
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(pages[req.url] ?? '<html><body>none</body></html>');
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
console.log(`1 MB page: ${(Buffer.byteLength(article) / 1024 / 1024).toFixed(2)} MB`);

const s = new RawServer(process.execPath, [ours, '--allow-private'], { LOG_LEVEL: 'warn', SCRAPING_DELAY_MS: '0' });
await s.start();
const time = async (tool, args, n, pauseMs = 0) => {
  const ts = [];
  let last;
  for (let i = 0; i < n; i++) {
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    const t0 = performance.now();
    last = await s.call(tool, args, { timeout: 120_000 });
    ts.push(performance.now() - t0);
    if (last.isError) throw new Error(JSON.stringify(last.content));
  }
  return { ms: median(ts), r: last };
};
await time('scrape_url', { url: `${base}/big`, max_length: 200_000 }, 2);
const stat = await time('scrape_url', { url: `${base}/big`, max_length: 200_000 }, sized(5, 3));
await time('scrape_dynamic_page', { url: `${base}/big`, max_length: 200_000, settle_ms: 0 }, 1); // launches the browser
// A second apart, untimed, as an agent's calls are (its model answers in between): the server
// prepares the next call's fresh context in that time, as the floor below creates its context
// before its clock starts. Back to back, the preparation overlaps the next load instead.
const dyn = await time('scrape_dynamic_page', { url: `${base}/big`, max_length: 200_000, settle_ms: 0 }, sized(5, 3), 1000);
const dynBackToBack = await time('scrape_dynamic_page', { url: `${base}/big`, max_length: 200_000, settle_ms: 0 }, sized(5, 3));

// The floor: the same Chromium loading the page and serialising its DOM, with no interception,
// no guard and no markdown (playwright-core straight, one warm context per load).
const { chromium: pwChromium } = require('playwright-core');
const browser = await pwChromium.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
const floorTimes = [];
for (let i = 0; i < sized(6, 4); i++) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const t0 = performance.now();
  await page.goto(`${base}/big`, { waitUntil: 'load' });
  await page.evaluate(() => document.documentElement.outerHTML.length);
  if (i > 0) floorTimes.push(performance.now() - t0);
  await ctx.close();
}
await browser.close();
const floor = median(floorTimes);

const size = (r) => (r.content ?? []).filter((c) => c.type === 'text').reduce((n, c) => n + c.text.length, 0);
const rows = [];
const tokenRatios = {};
const pw = new RawServer(process.execPath, [pwmcp, '--headless', '--executable-path', chromium, '--isolated', '--no-sandbox'], {});
await pw.start();
for (const p of ['/big', '/shop', '/news']) {
  const mine = await s.call('scrape_dynamic_page', { url: `${base}${p}`, main_content: true, max_length: 200_000, settle_ms: 0 }, { timeout: 120_000 });
  const nav = await pw.call('browser_navigate', { url: `${base}${p}` }, { timeout: 120_000 });
  const snap = await pw.call('browser_snapshot', {}, { timeout: 120_000 });
  const theirs = size(nav) + size(snap);
  tokenRatios[`main-content tokens of ${p}, bizmcp markdown / @playwright/mcp navigate + snapshot`] = lower(size(mine) / theirs);
  rows.push({
    page: p,
    'bizmcp markdown tokens': Math.round(size(mine) / 4),
    '@playwright/mcp tokens (navigate + snapshot)': `${Math.round(theirs / 4)} (${Math.round(size(nav) / 4)} + ${Math.round(size(snap) / 4)})`,
    ratio: fmt(size(mine) / theirs, 2),
  });
}
await pw.stop();
await s.stop();
server.close();

console.log(`\nScraping (${new Date().toISOString().slice(0, 10)}, ${process.version}, Chromium ${chromium})\n`);
console.log(`scrape_url, 1 MB page to markdown: ${stat.ms.toFixed(0)} ms (target < 150 ms)`);
console.log(`scrape_dynamic_page, same page, warm browser: ${dyn.ms.toFixed(0)} ms (target < 400 ms)`);
console.log(`  floor: Chromium alone loading it and serialising the DOM: ${floor.toFixed(0)} ms (ours / floor: ${fmt(dyn.ms / floor, 2)}; target <= 1.3)`);
console.log(`  calls back to back: ${dynBackToBack.ms.toFixed(0)} ms (${fmt(dynBackToBack.ms / floor, 2)}x the floor)\n`);
console.log(table(rows, ['page', 'bizmcp markdown tokens', '@playwright/mcp tokens (navigate + snapshot)', 'ratio']));
console.log('\nratio = our main-content markdown / (browser_navigate + browser_snapshot) text (target <= 0.5)');
reportRatios({
  'scrape_dynamic_page time, bizmcp / Chromium alone': lower(dyn.ms / floor),
  'scrape_dynamic_page time, calls back to back, bizmcp / Chromium alone': lower(dynBackToBack.ms / floor),
  ...tokenRatios,
});
