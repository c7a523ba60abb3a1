import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startTestServer, FAST_SIM, waitFor } from '../test/harness.js';
import { chromiumMissing, launchChromium } from '../test/browser.js';

// The web dashboard in real Chromium: log in, create a deployment, scale it, watch the page follow.
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const skip = chromiumMissing;

test('dashboard: log in, create a deployment, scale it, see replicas and charts follow', { skip, timeout: 180_000 }, async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const t = await startTestServer();
  const browser = await launchChromium();
  let load: Promise<void> | undefined;
  let loading = true;
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 960 } });
    const problems: string[] = [];
    const urls: string[] = [];
    // the one 401 is the wrong token typed on purpose below
    page.on('console', (m) => m.type() === 'error' && !m.text().includes('status of 401') && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => urls.push(r.url()));
    const token = t.server.adminToken;
    const testid = (id: string) => page.locator(`[data-testid="${id}"]`);

    await page.goto(`${t.url}/`);
    await page.waitForSelector('#login-token');
    assert.match(page.url(), /#\/login$/);
    await page.fill('#login-token', 'not-the-token');
    await page.click('#login-submit');
    await page.getByText('That token is not valid').waitFor();
    await page.screenshot({ path: `${ARTIFACTS}dashboard-login.png` });
    await page.fill('#login-token', token);
    await page.click('#login-submit');
    await testid('create-deployment').waitFor();
    assert.equal(await testid('cluster-badge').isHidden(), true, 'one server: no HA badge');

    // create through the form; the key is shown once
    await testid('create-deployment').click();
    await page.fill('input[name=name]', 'chat');
    await page.fill('input[name=modelName]', 'tiny-llama');
    await page.fill('input[name=engineParams]', FAST_SIM);
    await page.fill('input[name=gpuCount]', '2');
    await page.fill('input[name=replicas]', '1');
    await page.fill('input[name=team]', 'search');
    await page.click('[data-action=create]');
    const key = (await testid('api-key').textContent())!.trim();
    assert.match(key, /^isk-/);
    await page.click('[data-action=done]');
    await page.waitForURL(/#\/d\/chat$/);
    await page.waitForFunction(() => document.querySelector('[data-testid="replicas-value"]')?.textContent === '1/1', null, { timeout: 30_000 });
    await page.waitForFunction(() => (document.querySelector('[data-chart="replicas"]') as HTMLElement)?.dataset.lastReady === '1');

    // some traffic, so the request-rate and TTFT charts have something to show
    load = (async () => {
      while (loading) {
        await fetch(`${t.url}/d/chat/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'tiny-llama', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, stream: true }),
        })
          .then((r) => r.text())
          .catch(() => undefined);
        await new Promise((r) => setTimeout(r, 60));
      }
    })();
    await page.waitForFunction(() => Number((document.querySelector('[data-chart="rate"]') as HTMLElement)?.dataset.lastRequestRate) > 0);
    const pointsBefore = Number(await page.locator('[data-chart="replicas"]').getAttribute('data-points'));

    // scale 1 -> 2 through the form: the figure and the chart follow without a reload
    await testid('scale-input').fill('2');
    await testid('scale-submit').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="replicas-value"]')?.textContent === '2/2', null, { timeout: 30_000 });
    await page.waitForFunction(() => (document.querySelector('[data-chart="replicas"]') as HTMLElement)?.dataset.lastReady === '2');
    assert.ok(Number(await page.locator('[data-chart="replicas"]').getAttribute('data-points')) > pointsBefore, 'the replicas chart gained points');
    await page.getByText('scaled 1 -> 2').first().waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="logs"]')?.textContent?.includes('[chat-'));
    await page.mouse.move(0, 0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${ARTIFACTS}dashboard-deployment.png`, fullPage: true });
    await page.screenshot({ path: `${ARTIFACTS}dashboard-deployment-top.png` });

    // autoscaling settings through the form (min 2 keeps the replicas where they are), then off again
    await page.fill('input[name=minReplicas]', '2');
    await page.fill('input[name=maxReplicas]', '3');
    await page.fill('input[name=targetOngoingRequests]', '100');
    await page.click('.auto-form button[type=submit]');
    await page.getByText('On: 2–3 replicas').waitFor();
    // the policy's learned capacity model, once it has decided (the page refreshes itself)
    await page.waitForFunction(() => document.querySelector('[data-testid="autoscaler-model"]')?.textContent?.startsWith('Capacity model: itl '), null, {
      timeout: 30_000,
    });
    await page.getByText('Turn off').click();
    await page.getByText('Off: the replica count is set by hand').waitFor();
    assert.equal(t.server.store.getDeploymentByName('chat')!.autoscale, null);

    await page.click('[data-nav=deployments]');
    await page.waitForFunction(() => document.querySelector('[data-deployment="chat"] [data-testid="list-replicas"]')?.textContent === '2/2');
    await page.screenshot({ path: `${ARTIFACTS}dashboard-list.png` });

    await page.click('[data-nav=gpus]');
    await page.waitForFunction(() => document.querySelectorAll('.gpu-held').length === 4);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-gpus.png`, fullPage: true });

    await page.click('[data-nav=cost]');
    await page.locator('.total-row').waitFor();
    await page.screenshot({ path: `${ARTIFACTS}dashboard-cost.png`, fullPage: true });

    // delete with confirmation: the name must be typed
    loading = false;
    await load;
    await page.goto(`${t.url}/#/d/chat`);
    await testid('delete').click();
    await page.click('[data-action=delete]');
    await page.getByText('Type "chat" to confirm').waitFor();
    await testid('delete-confirm').fill('chat');
    await page.click('[data-action=delete]');
    await page.waitForURL(/#\/$/);
    await waitFor(() => t.server.store.getDeploymentByName('chat') === undefined, { timeoutMs: 30_000, what: 'chat deleted' });

    assert.ok(!urls.some((u) => u.includes(token)), 'the admin token never appears in a URL');
    assert.deepEqual(problems, [], 'no console errors (CSP violations included)');
  } finally {
    loading = false;
    await load;
    await browser.close();
    await t.close();
  }
});
