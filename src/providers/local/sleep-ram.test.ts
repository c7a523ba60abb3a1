import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostRamOfSleep, storedWeightBytes, weightBytesOf } from './sleep-ram.js';

const dir = mkdtempSync(join(tmpdir(), 'inferscale-sleep-ram-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('weights of a repository: safetensors where there are any (a .bin copy beside them is not loaded), else the PyTorch files', () => {
  const repo = [
    { name: 'config.json', bytes: 700 },
    { name: 'model-00001-of-00002.safetensors', bytes: 4_000 },
    { name: 'model-00002-of-00002.safetensors', bytes: 1_000 },
    { name: 'pytorch_model.bin', bytes: 5_100 },
    { name: 'tokenizer.json', bytes: 9_000 },
  ];
  assert.equal(weightBytesOf(repo), 5_000);
  assert.equal(weightBytesOf(repo.filter((f) => !f.name.endsWith('.safetensors'))), 5_100);
  assert.equal(weightBytesOf([{ name: 'Model.Q4_K_M.GGUF', bytes: 300 }]), 300);
  assert.equal(weightBytesOf([{ name: 'config.json', bytes: 10 }]), 0);
});

test('stored weights read from disk: a file, a directory (links followed, subfolders left out), nothing for a missing path', async () => {
  writeFileSync(join(dir, 'one.gguf'), Buffer.alloc(1234));
  assert.equal(await storedWeightBytes(join(dir, 'one.gguf')), 1234);
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, 'original'), { recursive: true });
  writeFileSync(join(repo, 'config.json'), '{}');
  writeFileSync(join(dir, 'blob'), Buffer.alloc(2000));
  symlinkSync(join(dir, 'blob'), join(repo, 'model.safetensors'));
  writeFileSync(join(repo, 'original', 'consolidated.00.safetensors'), Buffer.alloc(5000));
  assert.equal(await storedWeightBytes(repo), 2000);
  assert.equal(await storedWeightBytes(join(dir, 'gone')), 0);
});

test("host RAM of a sleep: the engine's figure, else the stored weights, else the GPU memory as an upper bound, else unknown", async () => {
  writeFileSync(join(dir, 'w.safetensors'), Buffer.alloc(4096));
  const hint = { modelPath: join(dir, 'w.safetensors'), gpuMemoryBytes: 10 * 2 ** 30 };
  assert.deepEqual(await hostRamOfSleep({ hostRamBytes: 7, hostRamFrom: 'engine' }, hint), { hostRamBytes: 7, hostRamFrom: 'engine' });
  assert.deepEqual(await hostRamOfSleep({}, hint), { hostRamBytes: 4096, hostRamFrom: 'model-weights' });
  assert.deepEqual(await hostRamOfSleep({}, { ...hint, modelPath: join(dir, 'gone') }), { hostRamBytes: 10 * 2 ** 30, hostRamFrom: 'gpu-memory' });
  assert.deepEqual(await hostRamOfSleep({}, { gpuMemoryBytes: 0 }), {});
  assert.deepEqual(await hostRamOfSleep({}, undefined), {});
});
