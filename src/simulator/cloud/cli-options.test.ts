import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderReport, runSimulateCli, type SimulateCliOptions } from '../cli.js';
import { cloudOptions } from './cli-options.js';

const H = 3_600_000;

test('cloudOptions: none without --capacity; flags that need it refused', () => {
  assert.equal(cloudOptions({}, H, 1), undefined);
  assert.throws(() => cloudOptions({ catalog: 'x.json' }, H, 1), /--catalog: goes with --capacity/);
  assert.throws(() => cloudOptions({ capacity: 'cheap' }, H, 1), /--capacity: must be one of on-demand, spot, mixed, skyserve/);
  assert.throws(() => cloudOptions({ capacity: 'spot', onDemandFloor: '1' }, H, 1), /--on-demand-floor: only applies to --capacity mixed or skyserve/);
  assert.throws(() => cloudOptions({ capacity: 'mixed', spotAvailability: 'stormy' }, H, 1), /--spot-availability: "stormy" is not a preset/);
  assert.throws(() => cloudOptions({ capacity: 'mixed', spotZones: '0' }, H, 1), /--spot-zones: "0" must be a whole number from 1 to 64/);
  const c = cloudOptions({ capacity: 'mixed', onDemandFloor: '2', spotAvailability: '2:1', spotZones: '2', fallbackAfter: '60s' }, 10 * H, 1);
  assert.ok(c);
  assert.equal(c.onDemandFloor, 2);
  assert.equal(c.zones.length, 2);
  assert.equal(c.fallbackAfterMs, 60_000);
  assert.equal(c.node.name, 'p4d.24xlarge');
});

test('simulate --capacity: spot costs less than on-demand at the catalog prices; a replayed availability file and catalog are read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spotsim-'));
  const trace = join(dir, 'trace.csv');
  // 30 minutes, a request every 3 s
  const stamp = (s: number) => `2024-01-01 00:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.0000000`;
  const rows = Array.from({ length: 600 }, (_, k) => `${stamp(k * 3)},200,50`);
  writeFileSync(trace, `TIMESTAMP,ContextTokens,GeneratedTokens\n${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'zones.csv'), 'zone,start_s,end_s,state\nz1,600,1200,down\nz2,0,1800,up\n');
  writeFileSync(
    join(dir, 'catalog.json'),
    JSON.stringify({ nodeTypes: [{ name: 'l4', gpuType: 'l4', gpus: 1, gpuMemoryGiB: 24, onDemandUsdPerHour: 1, spotUsdPerHour: 0.3 }] }),
  );
  const base: SimulateCliOptions = {
    trace,
    policy: 'ours',
    sloTtft: '2s',
    pricePerGpuHour: '2',
    baselineMin: 'own',
    seed: '1',
    queueTimeout: '120s',
    maxQueued: '10000',
    idleProbe: '30s',
    output: 'json',
    catalog: join(dir, 'catalog.json'),
    availability: join(dir, 'zones.csv'),
  };
  const od = await runSimulateCli({ ...base, capacity: 'on-demand' });
  const spot = await runSimulateCli({ ...base, capacity: 'spot' });
  const [o, s] = [od.policies[0], spot.policies[0]];
  assert.ok(o.cloud && s.cloud);
  assert.equal(o.cloud.spotHours, 0);
  assert.equal(s.cloud.onDemandHours, 0);
  assert.equal(o.costUsd, o.cloud.costUsd);
  assert.ok(Math.abs(o.costUsd - o.cloud.onDemandHours) < 0.01);
  assert.ok(s.costUsd < o.costUsd);
  assert.deepEqual(
    (spot.settings.cloud as { zones: unknown[] }).zones.map((z) => (z as { zone: string }).zone),
    ['z1', 'z2'],
  );
  assert.match(renderReport(spot, 'table'), /ours: \$[0-9.]+ \(on-demand 0\.00 h, spot [0-9.]+ h\), preemptions \d+, requests retried 0, lost 0/);
  await assert.rejects(runSimulateCli({ ...base, capacity: 'mixed', idle: 'sleep' }), /--idle: sleep does not go with --capacity/);
});
