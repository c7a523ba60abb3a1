import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CATALOG, DEFAULT_NODE_TYPE, DEFAULT_SPOT_RATIO, findNodeType, parseCatalog, replicaUsdPerHour } from './catalog.js';

test('default catalog: every spot price below its on-demand one; unpublished spot at the stated ratio', () => {
  for (const n of DEFAULT_CATALOG) assert.ok(n.spotUsdPerHour < n.onDemandUsdPerHour, n.name);
  const p5 = findNodeType(DEFAULT_CATALOG, 'p5.4xlarge');
  assert.equal(p5.spotUsdPerHour, Math.round(6.88 * DEFAULT_SPOT_RATIO * 10_000) / 10_000);
  assert.equal(findNodeType(DEFAULT_CATALOG, DEFAULT_NODE_TYPE).gpus, 8);
});

test('parseCatalog: spot defaults to the ratio; errors name the field and change nothing', () => {
  const ok = parseCatalog(JSON.stringify({ nodeTypes: [{ name: 'a', gpuType: 'l4', gpus: 1, gpuMemoryGiB: 24, onDemandUsdPerHour: 1 }] }));
  assert.equal(ok[0].spotUsdPerHour, DEFAULT_SPOT_RATIO);
  const bad = (value: unknown, field: RegExp) =>
    assert.throws(
      () => parseCatalog(JSON.stringify(value)),
      (e: Error & { code?: string }) => e.code === 'invalid_argument' && field.test(e.message),
    );
  bad({ nodeTypes: [{ name: 'a', gpuType: 'l4', gpus: 0, gpuMemoryGiB: 24, onDemandUsdPerHour: 1 }] }, /^--catalog\.nodeTypes\[0\]\.gpus: must be at least 1/);
  bad({ nodeTypes: [{ name: 'a', gpuType: 'l4', gpus: 1, gpuMemoryGiB: 24, onDemandUsdPerHour: 1, spotUsdPerHour: 2 }] }, /spotUsdPerHour: 2 is above/);
  bad({ nodeTypes: [] }, /^--catalog\.nodeTypes: must list at least one/);
  bad({ nodeTypes: [{ name: 'a', gpuType: 'l4', gpus: 1, gpuMemoryGiB: 24, onDemandUsdPerHour: 1, color: 'red' }] }, /^--catalog\.nodeTypes\[0\]/);
  const twice = { name: 'a', gpuType: 'l4', gpus: 1, gpuMemoryGiB: 24, onDemandUsdPerHour: 1 };
  bad({ nodeTypes: [twice, twice] }, /nodeTypes\[1\]\.name: "a" is listed twice/);
  assert.throws(() => parseCatalog('{'), /--catalog: not JSON/);
  assert.throws(() => findNodeType(ok, 'b'), /--node-type: "b" is not in the catalog \(known: a\)/);
});

test('replicaUsdPerHour: a replica pays its share of a node, or whole nodes when wider', () => {
  const n = { name: 'p', gpuType: 'a100', gpus: 8, gpuMemoryGiB: 40, onDemandUsdPerHour: 24, spotUsdPerHour: 8 };
  assert.equal(replicaUsdPerHour(n, 1, 'on-demand'), 3);
  assert.equal(replicaUsdPerHour(n, 2, 'spot'), 2);
  assert.equal(replicaUsdPerHour(n, 12, 'on-demand'), 48);
});
