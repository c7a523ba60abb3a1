import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cliUnderTest } from './testkit.js';

test('limits gpu: usage as a table and JSON; a quota set, refused when not a number, and removed', async (t) => {
  const { cli, close, store } = await cliUnderTest();
  t.after(close);
  assert.equal((await cli(['deployment', 'create', 'chat', '--model-name', 'm', '--gpu-count', '2'])).code, 0);
  const table = await cli(['limits', 'gpu']);
  assert.equal(table.code, 0);
  assert.deepEqual(
    table.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.split(/ {2,}/)),
    [
      ['GPU TYPE', 'USED', 'MAX', 'QUOTA', 'INVENTORY'],
      ['a5000', '2', '8', 'unset (inventory)', '8'],
    ],
  );
  assert.deepEqual(await cli(['limits', 'gpu', 'set', 'a5000', '4']), { code: 0, stdout: 'a5000: 2 used of 4\n', stderr: '' });
  assert.deepEqual(store.getQuotas(), { a5000: 4 });
  assert.deepEqual(JSON.parse((await cli(['limits', 'gpu', '-O', 'json'])).stdout), [{ gpuType: 'a5000', used: 2, max: 4, quota: 4, inventory: 8 }]);
  const bad = await cli(['limits', 'gpu', 'set', 'a5000', 'four']);
  assert.deepEqual(bad, { code: 2, stdout: '', stderr: 'error (invalid_argument): max: must be a non-negative integer or "unset", got "four"\n' });
  assert.deepEqual(store.getQuotas(), { a5000: 4 });
  assert.equal((await cli(['limits', 'gpu', 'set', 'a5000', 'unset'])).code, 0);
  assert.deepEqual(store.getQuotas(), {});
});
