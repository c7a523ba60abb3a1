import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT } from '../cli/exit-codes.js';
import { cliUnderTest } from '../cli/testkit.js';
import { HistoryStore } from '../history/store.js';
import { virtualGpus } from '../placement/inventory.js';
import { costRoutes } from './cost-api.js';
import { CostService } from './service.js';

// `cost price set` in process: its confirmation goes through the CLI's streams (captured here), and a
// refused price changes nothing.
test('cost price set: confirms on stdout; a spot price above on-demand is refused and changes nothing', async (t) => {
  const { cli, close } = await cliUnderTest({
    routes: ({ store, clock }) => [
      (app) => costRoutes(app, new CostService({ store, history: new HistoryStore(store.db), clock, inventory: virtualGpus(8, 'a5000') })),
    ],
  });
  t.after(close);
  const set = await cli(['cost', 'price', 'set', 'l4', '0.80', '--spot', '0.36']);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /^l4: \$0\.80 per GPU-hour/m);
  assert.match(set.stdout, /0\.36/);

  const bad = await cli(['cost', 'price', 'set', 'l4', '0.80', '--spot', '0.90']);
  assert.equal(bad.code, EXIT.usage, bad.stderr);
  assert.equal(bad.stdout, '');
  const list = await cli(['cost', 'price', 'list', '-o', 'json']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /0\.36/, 'the earlier spot price stands');

  const removed = await cli(['cost', 'price', 'set', 'l4', 'unset']);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /^l4: price removed$/m);
});
