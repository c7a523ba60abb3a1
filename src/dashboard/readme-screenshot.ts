/**
 * Regenerates docs/img/deployment-page.png, the README's picture of the deployment page: a server with
 * virtual GPUs, one autoscaled deployment under a few minutes of varying streamed traffic, then the page
 * in Chromium with the cursor on a scaling decision.
 *   npm run build && node dist/dashboard/readme-screenshot.js [seconds of traffic, default 240]
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startTestServer } from '../test/harness.js';

const OUT = fileURLToPath(new URL('../../docs/img/deployment-page.png', import.meta.url));
const seconds = Number(process.argv[2] ?? 240);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const t = await startTestServer();
await t.api('PUT', '/cost/prices/a5000', { usdPerGpuHour: 0.85 });
const created = await t.api('POST', '/deployments', {
  name: 'chat',
  modelName: 'llama-3.1-8b-instruct',
  gpuCount: 2,
  replicas: 1,
  engineParams: '--startup-seconds 1 --ttft-ms 45 --itl-ms 9',
  labels: { team: 'search', project: 'assistant' },
});
const key: string = created.body.apiKey;
const start = Date.now();
const elapsed = () => (Date.now() - start) / 1000;
/** requests per second: a slow swell with some noise */
const rate = () => Math.max(1, 6 + 7 * Math.sin((elapsed() / seconds) * Math.PI * 1.6) + Math.random() * 2);
let running = true;
const worker = async () => {
  while (running) {
    const workers = 6;
    await sleep((1000 * workers) / rate());
    await fetch(`${t.url}/d/chat/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hello' }], max_tokens: 16 + Math.floor(Math.random() * 32), stream: true }),
    })
      .then((r) => r.text())
      .catch(() => undefined);
  }
};
const workers = Array.from({ length: 6 }, worker);
await sleep(0.15 * seconds * 1000);
const auto = await t.api('PUT', '/deployments/chat/autoscale', { minReplicas: 1, maxReplicas: 4, targetOngoingRequests: 1.5, downscaleDelayMs: '30s' });
if (auto.status !== 200) throw new Error(`autoscale: ${JSON.stringify(auto.body)}`);
await sleep(Math.max(0, seconds - elapsed()) * 1000);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1180 }, deviceScaleFactor: 1 });
  await page.goto(`${t.url}/`);
  await page.fill('#login-token', t.server.adminToken);
  await page.click('#login-submit');
  await page.waitForSelector('[data-testid=create-deployment]');
  await page.goto(`${t.url}/#/d/chat`);
  await page.waitForFunction(() => Number((document.querySelector('[data-chart="replicas"]') as HTMLElement)?.dataset.points) > 10);
  await sleep(2500);
  // put the cursor on the second scaling decision so its reason shows
  const over = page.locator('[data-chart="replicas"] .u-over');
  const box = (await over.boundingBox())!;
  let hits = 0;
  for (let x = 2; x < box.width; x += 2) {
    await page.mouse.move(box.x + x, box.y + box.height / 2);
    if (await page.locator('[data-chart="replicas"] .chart-tip').isVisible()) {
      if (++hits === 2) break;
      x += 20;
    }
  }
  mkdirSync(fileURLToPath(new URL('../../docs/img/', import.meta.url)), { recursive: true });
  await page.screenshot({ path: OUT });
  console.log(`wrote ${OUT}`);
} finally {
  running = false;
  await Promise.all(workers);
  await browser.close();
  await t.close();
}
