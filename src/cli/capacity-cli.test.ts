import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT } from './exit-codes.js';
import { cliUnderTest } from './testkit.js';

test('--capacity and --on-demand-floor: shown by deployment show; refusals exit with the usage code naming the field and change nothing', async (t) => {
  const { cli, close } = await cliUnderTest();
  t.after(close);
  const created = await cli(['deployment', 'create', 'chat', '--model-name', 'm', '--capacity', 'on-demand']);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /^Capacity {8}on-demand$/m);

  const spot = await cli(['deployment', 'update', 'chat', '--capacity', 'spot']);
  assert.equal(spot.code, EXIT.usage);
  assert.match(spot.stderr, /capacity: zone "local" declares no spot nodes/);
  const floor = await cli(['deployment', 'update', 'chat', '--on-demand-floor', '1']);
  assert.equal(floor.code, EXIT.usage);
  assert.match(floor.stderr, /onDemandFloor: an on-demand floor only applies to --capacity mixed/);
  const bad = await cli(['deployment', 'create', 'x', '--model-name', 'm', '--capacity', 'cheap']);
  assert.equal(bad.code, EXIT.usage);
  assert.match(bad.stderr, /cheap/);

  const shown = await cli(['deployment', 'show', 'chat', '-O', 'json']);
  assert.deepEqual(JSON.parse(shown.stdout).capacity, { capacity: 'on-demand', onDemandFloor: 0 });
});
