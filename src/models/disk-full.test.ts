import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../core/clock.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { failingWrites } from '../test/full-disk.js';
import { ModelService } from './service.js';
import { startOrigin } from './test-origin.js';

// A download whose progress and outcome cannot be written (SQLITE_FULL injected, src/test/full-disk.ts):
// the process does not die of it, and the next start records the finished file.
test('a model download on a full disk ends without an unhandled error; the next start records it ready', async () => {
  const origin = await startOrigin();
  const dir = mkdtempSync(join(tmpdir(), 'inferscale-mfull-'));
  origin.files.set('/m.gguf', { data: randomBytes(200_000) });
  let full = false;
  const db = failingWrites(openDb(join(dir, 'db.sqlite'), SCHEMA), () => full);
  const lines: string[] = [];
  const make = () =>
    new ModelService({ db, clock: systemClock, dataDir: dir, deployments: () => [], env: {}, log: (l) => lines.push(l), download: { backoffMs: 5 } });
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const first = make();
    await first.create({ name: 'm', from: `${origin.url}/m.gguf` });
    full = true;
    await first.settled('m');
    assert.ok(
      lines.some((l) => /model m: cannot record ready \(database or disk is full\)/.test(l)),
      lines.join('\n'),
    );
    assert.equal(first.view('m').state, 'downloading', 'not recorded');
    await first.close();
    full = false;
    const second = make();
    second.resumeInterrupted();
    await second.settled('m');
    assert.equal(second.view('m').state, 'ready');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await origin.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
