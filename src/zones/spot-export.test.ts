import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment } from '@kubernetes/client-node';
import { inProcessService } from '../service/testkit.js';
import { testZone } from '../providers/kubernetes/testkit.js';
import { exportObjects } from './export.js';

const spotZone = testZone({
  spot: { labelKey: 'karpenter.sh/capacity-type', spotValue: 'spot', onDemandValue: 'on-demand', taints: [], fallbackAfterSeconds: 300 },
});

test('export of a mixed deployment: its floor on an on-demand workload and the rest on a spot one, one Service', () => {
  const { deployments } = inProcessService();
  const d = { ...deployments.get(deployments.create({ name: 'mix', modelName: 'm', replicas: 3 }).name), gpuType: 'l4' };
  const objs = exportObjects(d, spotZone, undefined, { capacity: 'mixed', onDemandFloor: 1 }) as { kind: string }[];
  assert.deepEqual(
    objs.map((o) => o.kind),
    ['Deployment', 'Deployment', 'Service', 'PodDisruptionBudget'],
  );
  const [od, spot] = objs as V1Deployment[];
  assert.deepEqual([od.spec?.replicas, od.spec?.template.metadata?.labels?.['inferscale.dev/capacity-type']], [1, 'on-demand']);
  assert.deepEqual([spot.spec?.replicas, spot.spec?.template.metadata?.labels?.['inferscale.dev/capacity-type']], [2, 'spot']);
  // a zone without spot nodes, or no capacity given: the one workload as before
  assert.equal(exportObjects(d, testZone(), undefined, { capacity: 'mixed', onDemandFloor: 1 }).length, 3);
  assert.equal(exportObjects(d, spotZone).length, 3);
});
