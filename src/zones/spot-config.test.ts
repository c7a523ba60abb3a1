import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateZonesFile, type KubernetesZoneConfig } from './config.js';

const zone = (spot: unknown) => ({ zones: [{ name: 'k', type: 'kubernetes', gpuTypes: { l4: { match: [{ 'nvidia.com/gpu.product': [] }] } }, spot }] });
const spotOf = (spot: unknown) => (validateZonesFile(zone(spot)).zones[0] as KubernetesZoneConfig).spot;

test('spot presets fill the label and taints of Karpenter, GKE and AKS', () => {
  assert.deepEqual(spotOf({ preset: 'karpenter' }), {
    labelKey: 'karpenter.sh/capacity-type',
    spotValue: 'spot',
    onDemandValue: 'on-demand',
    taints: [],
    fallbackAfterSeconds: 300,
  });
  assert.deepEqual(spotOf({ preset: 'gke' })?.taints, [{ key: 'cloud.google.com/gke-spot', value: 'true', effect: 'NoSchedule' }]);
  assert.equal(spotOf({ preset: 'aks' })?.labelKey, 'kubernetes.azure.com/scalesetpriority');
  assert.equal(spotOf({ preset: 'aks' })?.onDemandValue, undefined);
});

test('any label may be written out, overriding a preset field by field', () => {
  const s = spotOf({ labelKey: 'example.com/lifecycle', spotValue: 'preemptible', fallbackAfterSeconds: 60 });
  assert.deepEqual(s, { labelKey: 'example.com/lifecycle', spotValue: 'preemptible', onDemandValue: undefined, taints: [], fallbackAfterSeconds: 60 });
  assert.equal(spotOf({ preset: 'gke', taints: [] })?.taints.length, 0);
});

test('a spot block without a label, or with an unknown preset, is refused naming the field', () => {
  assert.throws(() => validateZonesFile(zone({})), /zones\.0\.spot: needs a preset/);
  assert.throws(() => validateZonesFile(zone({ preset: 'ec2' })), /zones\.0\.spot\.preset/);
  assert.equal(spotOf(undefined), undefined);
});
