import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT } from '../cli/exit-codes.js';
import { startTestServer, type TestServer } from '../test/harness.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(() => t.close());

test('cost price set TYPE USD --spot USD through the CLI and the API; a spot price above on-demand exits with the usage code and changes nothing', async () => {
  const set = await t.cli(['cost', 'price', 'set', 'a5000', '0.80', '--spot', '0.36']);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout.trim(), 'a5000: $0.80 per GPU-hour, spot $0.36');
  const above = await t.cli(['cost', 'price', 'set', 'a5000', '0.80', '--spot', '0.90']);
  assert.equal(above.code, EXIT.usage);
  assert.match(above.stderr, /spotUsdPerGpuHour: the spot price of a5000 \(\$0.9\) is above its on-demand price \(\$0.8\)/);
  const api = await t.api('PUT', '/cost/prices/a5000', { usdPerGpuHour: 0.3 });
  assert.equal(api.status, 400);
  assert.equal(api.body.error.details.reason, 'spot_above_on_demand');
  const list = await t.api('GET', '/cost/prices');
  assert.deepEqual(
    list.body.prices.find((p: { gpuType: string }) => p.gpuType === 'a5000'),
    { gpuType: 'a5000', usdPerGpuHour: 0.8, source: 'set', spotUsdPerGpuHour: 0.36 },
  );
  const unset = await t.cli(['cost', 'price', 'set', 'a5000', '0.80', '--spot', 'unset']);
  assert.equal(unset.stdout.trim(), 'a5000: $0.80 per GPU-hour');
});
