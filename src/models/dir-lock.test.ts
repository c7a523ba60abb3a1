import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { waitFor } from '../test/harness.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../core/clock.js';
import { withDirLock } from './dir-lock.js';

test('one holder at a time; released however the work ends; a lock its holder stopped refreshing is taken over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferscale-lock-'));
  const lock = join(dir, 'repo.lock');
  const o = { clock: systemClock, pollMs: 5, heartbeatMs: 20, staleMs: 10_000 };
  try {
    let inside = 0;
    let most = 0;
    const waits: string[] = [];
    const work = (who: string) =>
      withDirLock(lock, who, { ...o, onWait: () => waits.push(who) }, async () => {
        most = Math.max(most, ++inside);
        assert.equal(readFileSync(lock, 'utf8'), who);
        await systemClock.sleep(30);
        inside--;
        return who;
      });
    assert.deepEqual(await Promise.all([work('a'), work('b'), work('c')]), ['a', 'b', 'c']);
    assert.equal(most, 1, 'never two holders');
    assert.equal(waits.length, 2, 'the two others waited');
    assert.equal(existsSync(lock), false);
    await assert.rejects(
      withDirLock(lock, 'x', o, async () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(existsSync(lock), false, 'released after a failure');
    // a live holder keeps its lock fresh: its mtime moves while it works
    const held = await withDirLock(lock, 'slow', o, async () => {
      const first = statSync(lock).mtimeMs;
      await waitFor(() => statSync(lock).mtimeMs > first, { what: 'a heartbeat', intervalMs: 10 });
      return 'refreshed';
    });
    assert.equal(held, 'refreshed');
    // a holder killed mid-fetch leaves its lock file: once older than staleMs it is taken over
    writeFileSync(lock, 'dead pod');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    assert.equal(await withDirLock(lock, 'next', o, async () => readFileSync(lock, 'utf8')), 'next');
    // a fresh lock is waited on, not taken: aborting the wait ends it
    writeFileSync(lock, 'alive');
    await assert.rejects(
      withDirLock(lock, 'impatient', { ...o, signal: AbortSignal.timeout(50) }, async () => 'never'),
      (e: Error) => e.name === 'TimeoutError',
    );
    assert.equal(readFileSync(lock, 'utf8'), 'alive');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
