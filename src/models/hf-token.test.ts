import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../core/clock.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { isMetadataAddress, ModelService } from './service.js';
import { startOrigin } from './test-origin.js';

// Two local HTTP origins: one stands in for the Hugging Face Hub (INFERSCALE_HF_ENDPOINT), the other for
// any host a catalog entry could name. The HF token goes to the first only.
test('the Hugging Face token is sent to the Hugging Face origin only, whatever a model entry says', async () => {
  const hub = await startOrigin();
  const other = await startOrigin();
  const dir = mkdtempSync(join(tmpdir(), 'inferscale-hf-'));
  const data = randomBytes(1000);
  const sha = createHash('sha256').update(data).digest('hex');
  hub.files.set('/org/repo/resolve/main/a.gguf', { data });
  other.files.set('/org/repo/resolve/main/b.gguf', { data });
  const svc = new ModelService({
    db: openDb(':memory:', SCHEMA),
    clock: systemClock,
    dataDir: dir,
    deployments: () => [],
    env: { INFERSCALE_HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_secret' },
    download: { backoffMs: 5 },
  });
  try {
    svc.adoptShared([
      { name: 'a', source: 'hf:org/repo/a.gguf', kind: 'hf', location: `${hub.url}/org/repo/resolve/main/a.gguf`, fileName: 'a.gguf', sha256: sha },
      { name: 'b', source: 'hf:org/repo/b.gguf', kind: 'hf', location: `${other.url}/org/repo/resolve/main/b.gguf`, fileName: 'b.gguf', sha256: sha },
    ]);
    svc.resumeInterrupted();
    await Promise.all([svc.settled('a'), svc.settled('b')]);
    assert.deepEqual(
      hub.seen.map((s) => s.auth),
      ['Bearer hf_secret'],
    );
    assert.deepEqual(
      other.seen.map((s) => s.auth),
      [undefined],
      'no token to another origin',
    );
    assert.equal(svc.view('b').state, 'ready');
  } finally {
    await svc.close();
    await hub.close();
    await other.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("model sources: not the server's own data dir, not link-local or metadata addresses unless allowed", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferscale-src-'));
  const make = () => new ModelService({ db: openDb(':memory:', SCHEMA), clock: systemClock, dataDir: dir, deployments: () => [], env: {} });
  try {
    writeFileSync(join(dir, 'secret.key'), 'k');
    const svc = make();
    await assert.rejects(svc.create({ name: 'key', from: join(dir, 'secret.key') }), /in the server's data dir/);
    // a link elsewhere to a file of the data dir is the same file
    const elsewhere = mkdtempSync(join(tmpdir(), 'inferscale-link-'));
    symlinkSync(join(dir, 'secret.key'), join(elsewhere, 'model.gguf'));
    await assert.rejects(svc.create({ name: 'key2', from: join(elsewhere, 'model.gguf') }), /in the server's data dir/);
    rmSync(elsewhere, { recursive: true, force: true });
    for (const from of [
      'http://169.254.169.254/latest/meta-data/iam',
      'http://[fe80::1]/x.gguf',
      'http://metadata.google.internal/x',
      'http://[::ffff:169.254.169.254]/x',
    ]) {
      await assert.rejects(svc.create({ name: 'meta', from }), /link-local or cloud-metadata address/, from);
    }
    assert.equal(isMetadataAddress('10.0.0.1'), false);
    assert.equal(isMetadataAddress('127.0.0.1'), false);
    // (the allowed case is not tried here: it would fetch from outside this machine)
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
