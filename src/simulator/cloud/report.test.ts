import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeploymentResult } from '../engine/options.js';
import { type CloudStats, emptyStats } from './options.js';
import { cloudLines, sumCloudStats } from './report.js';

const res = (cloud?: Partial<CloudStats>) => ({ cloud: cloud ? { ...emptyStats(), ...cloud } : undefined }) as unknown as DeploymentResult;

test('sumCloudStats: none without the cloud model; summed over the deployments that have it, rounded', () => {
  assert.equal(sumCloudStats([res(), res()]), undefined);
  const s = sumCloudStats([
    res({ costUsd: 1.004, onDemandHours: 0.33333, spotHours: 1, preemptions: 2, retried: 3, lost: 1, cut: 1, fallbacks: 4, movesBack: 1 }),
    res(),
    res({ costUsd: 2.002, spotHours: 0.5, preemptions: 1 }),
  ]);
  assert.deepEqual(s, { costUsd: 3.01, onDemandHours: 0.3333, spotHours: 1.5, preemptions: 3, retried: 3, lost: 1, cut: 1, fallbacks: 4, movesBack: 1 });
});

test('cloudLines: one line per policy with cloud numbers, none for the others', () => {
  const cloud = sumCloudStats([res({ costUsd: 3.01, onDemandHours: 0.3333, spotHours: 1.5, preemptions: 3, retried: 3, lost: 1, fallbacks: 4, movesBack: 1 })]);
  assert.equal(
    cloudLines([{ name: 'ours', cloud }, { name: 'kpa' }]),
    'ours: $3.01 (on-demand 0.33 h, spot 1.50 h), preemptions 3, requests retried 3, lost 1, fallbacks 4, moves back 1\n',
  );
  assert.equal(cloudLines([{ name: 'kpa' }]), '');
});
