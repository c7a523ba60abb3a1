import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModuleGroup, type ServerModule } from './modules.js';

function recording(calls: string[], name: string, failStart = false): ServerModule {
  return {
    name,
    start: async () => {
      if (failStart) throw new Error(`${name} cannot start`);
      calls.push(`start ${name}`);
    },
    stop: () => void calls.push(`stop ${name}`),
  };
}

test('a group starts its modules in order and stops them in reverse, once', async () => {
  const calls: string[] = [];
  const g = new ModuleGroup([recording(calls, 'a'), recording(calls, 'b'), recording(calls, 'c')], () => undefined);
  await g.start();
  await g.start();
  assert.equal(g.isRunning, true);
  await g.stop();
  await g.stop();
  assert.equal(g.isRunning, false);
  assert.deepEqual(calls, ['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
  // a group can lead again after it stopped (an HA replica that leads, follows, leads)
  await g.start();
  assert.deepEqual(calls.slice(6), ['start a', 'start b', 'start c']);
});

test('a module that fails to start stops the ones started before it, and the error goes on', async () => {
  const calls: string[] = [];
  const g = new ModuleGroup([recording(calls, 'a'), recording(calls, 'b', true), recording(calls, 'c')], () => undefined);
  await assert.rejects(g.start(), /b cannot start/);
  assert.deepEqual(calls, ['start a', 'stop a']);
  assert.equal(g.isRunning, false);
});

test('a module that fails to stop is logged and the others still stop', async () => {
  const calls: string[] = [];
  const logged: string[] = [];
  const broken: ServerModule = {
    name: 'broken',
    start: () => undefined,
    stop: () => {
      throw new Error('stuck');
    },
  };
  const g = new ModuleGroup([recording(calls, 'a'), broken, recording(calls, 'c')], (l) => logged.push(l));
  await g.start();
  await g.stop();
  assert.deepEqual(calls, ['start a', 'start c', 'stop c', 'stop a']);
  assert.deepEqual(logged, ['stopping broken failed: stuck']);
});

test("the routes of a group are its modules' routes, in order", () => {
  const mounted: string[] = [];
  const g = new ModuleGroup(
    [
      { name: 'a', routes: () => void mounted.push('a'), start: () => undefined, stop: () => undefined },
      { name: 'b', start: () => undefined, stop: () => undefined },
      { name: 'c', routes: () => void mounted.push('c'), start: () => undefined, stop: () => undefined },
    ],
    () => undefined,
  );
  for (const mount of g.routes()) mount({} as never);
  assert.deepEqual(mounted, ['a', 'c']);
});
