import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseZonesFile } from './load.js';

describe('the zones file', () => {
  it('parses YAML with defaults filled in', () => {
    const f = parseZonesFile(`
zones:
  - name: eks
    type: kubernetes
    gpuTypes:
      l4:
        match:
          - karpenter.k8s.aws/instance-gpu-name: [l4]
          - nvidia.com/gpu.product: []
`);
    const z = f.zones[0];
    assert.equal(z.type, 'kubernetes');
    if (z.type !== 'kubernetes') return;
    assert.equal(z.namespace, 'default');
    assert.equal(z.provisioner, 'karpenter');
    assert.equal(z.gpuTypes.l4.resource, 'nvidia.com/gpu');
    assert.deepEqual(z.gpuTypes.l4.match[1], { 'nvidia.com/gpu.product': [] });
    assert.deepEqual(z.hfTokenSecret, { name: 'hf-token', key: 'token' });
    assert.deepEqual(z.modelCache, { type: 'pod' }, 'the default: each pod fetches into its own emptyDir');
  });

  it('accepts JSON, and names the field that is wrong', () => {
    assert.equal(parseZonesFile('{"zones":[{"name":"local","type":"local"}]}').zones.length, 1);
    assert.throws(() => parseZonesFile('zones:\n  - {name: Bad_Name, type: kubernetes, gpuTypes: {}}'), /zones\.0\.name: must be a DNS label/);
    assert.throws(
      () => parseZonesFile('zones:\n  - {name: a, type: kubernetes, gpuTypes: {l4: {match: []}}}'),
      /gpuTypes\.l4\.match: needs at least one label alternative/,
    );
    assert.throws(
      () => parseZonesFile('zones:\n  - {name: a, type: kubernetes, gpuTypes: {l4: {match: [{"bad key!": [x]}]}}}'),
      /must be a Kubernetes label key/,
    );
    assert.throws(
      () => parseZonesFile('zones:\n  - {name: a, type: kubernetes, gpuTypes: {}}\n  - {name: a, type: kubernetes, gpuTypes: {}}'),
      /zone "a" is declared twice/,
    );
    assert.throws(() => parseZonesFile('zones: [ {'), /not YAML or JSON/);
    assert.throws(
      () => parseZonesFile('zones:\n  - {name: a, type: kubernetes, gpuTypes: {}, hfTokenSecret: {name: hf, key: "a b"}}'),
      /zones\.0\.hfTokenSecret\.key: must be a Secret key/,
    );
    const cache = (c: string) => parseZonesFile(`zones:\n  - {name: a, type: kubernetes, gpuTypes: {}, modelCache: ${c}}`).zones[0] as { modelCache: unknown };
    assert.deepEqual(cache('{type: node}').modelCache, { type: 'node', path: '/var/lib/inferscale/models' });
    assert.deepEqual(cache('{type: pvc, claimName: models}').modelCache, { type: 'pvc', claimName: 'models' });
    assert.throws(() => cache('{type: node, path: relative}'), /modelCache\.path: must be an absolute path/);
    assert.throws(() => cache('{type: pvc}'), /modelCache\.claimName/);
  });
});
