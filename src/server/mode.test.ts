import { test } from 'node:test';
import assert from 'node:assert/strict';
import { singleServerMode, type MemberServices } from './mode.js';

test('a server alone leads at once, hears no other gateway and has no cluster member', async () => {
  const mode = singleServerMode();
  const calls: string[] = [];
  await mode.run({ lead: async () => void calls.push('lead'), unlead: async () => void calls.push('unlead') }, {} as MemberServices);
  assert.deepEqual(calls, ['lead']);
  assert.deepEqual(mode.remoteLoad('d1'), { ongoing: 0, queued: 0, arrivals: 0, ttftMs: [] });
  assert.equal(mode.clusterColdStartMs('d1'), undefined);
  assert.equal(mode.member(), undefined);
  assert.equal(mode.afterWrite, undefined, 'no write goes anywhere but the local store');
  await mode.close();
  assert.deepEqual(calls, ['lead'], 'closing does not unlead: the server stops its modules itself');
});
