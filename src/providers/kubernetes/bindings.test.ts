import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { choosePods } from './bindings.js';
import type { PodView } from './pods.js';

const pod = (name: string, o: Partial<PodView> = {}): PodView => ({
  name,
  deployment: 'd',
  workload: 'd-1',
  replicaId: undefined,
  ip: '10.0.0.1',
  ready: false,
  terminating: false,
  finished: false,
  nodeName: 'n',
  unschedulable: undefined,
  createdAt: 0,
  waitingReason: undefined,
  restarts: 0,
  ...o,
});

describe('choosing a pod for each waiting replica', () => {
  it("gives ready pods first, then scheduled, then the oldest; skips taken, terminating and other Deployments' pods", () => {
    const pods = [
      pod('pending', { nodeName: undefined }),
      pod('old', { createdAt: 1 }),
      pod('ready', { ready: true, createdAt: 5 }),
      pod('gone', { ready: true, terminating: true }),
      pod('other', { ready: true, workload: 'd-2' }),
      pod('taken', { ready: true }),
      pod('orphan', { replicaId: 'r-gone', createdAt: 9 }),
    ];
    const waiting = [
      { replicaId: 'a', workload: 'd-1' },
      { replicaId: 'b', workload: 'd-1' },
      { replicaId: 'c', workload: 'd-1' },
      { replicaId: 'e', workload: 'd-1' },
    ];
    const pairs = choosePods(waiting, pods, [{ podName: 'taken' }], (id) => id !== 'r-gone');
    assert.deepEqual(
      pairs.map(([e, p]) => `${e.replicaId}:${p.name}`),
      ['a:ready', 'b:old', 'c:orphan', 'e:pending'],
    );
  });
});
