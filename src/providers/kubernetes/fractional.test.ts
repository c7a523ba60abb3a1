import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { engineDriver } from '../../engines/registry.js';
import { validateZonesFile, type KubernetesZoneConfig } from '../../zones/config.js';
import { fractionalRequest, migProfileMb, smallestMigProfile } from './fractional.js';

const fractionalShare = (z: KubernetesZoneConfig, gpuType: string, memoryMb: number) => fractionalRequest(z, gpuType, memoryMb).gpus;
import { renderWorkload, type WorkloadSpec } from './render.js';
import { validateObject } from './validate.js';
import { testZone } from './testkit.js';

/** the MIG profiles of an A100 80GB or H100 80GB (NVIDIA's MIG user guide) */
const MIG_80GB = ['1g.10gb', '1g.20gb', '2g.20gb', '3g.40gb', '4g.40gb', '7g.80gb'];
const H100 = testZone().gpuTypes.h100;

/** a zone as the zones file gives it, checked by its schema */
const parsedZone = (fractionalGpus: unknown, h100: Record<string, unknown> = { memory: '80Gi' }): KubernetesZoneConfig => {
  const raw = {
    name: 'fake-eks',
    type: 'kubernetes',
    namespace: 'inference',
    images: { ...testZone().images, sglang: 'lmsysorg/sglang:v0.4.6' },
    gpuTypes: { h100: { match: H100.match, ...h100 } },
    ...(fractionalGpus === undefined ? {} : { fractionalGpus }),
  };
  return validateZonesFile({ zones: [raw] }).zones[0] as KubernetesZoneConfig;
};

const spec = (over: Partial<WorkloadSpec> = {}): WorkloadSpec => ({
  name: 'chat',
  driver: engineDriver('vllm'),
  modelName: 'meta-llama/Llama-3.1-8B-Instruct',
  engineParams: '',
  gpuType: 'h100',
  gpuCount: 1,
  gpuMemoryMb: 20 * 1024,
  drainTimeoutMs: 60_000,
  labels: {},
  replicas: 1,
  ...over,
});

const engineOf = (z: KubernetesZoneConfig, s: WorkloadSpec) => {
  const r = renderWorkload(z, s);
  for (const o of [r.deployment, r.service, r.pdb]) assert.deepEqual(validateObject(o as never), [], `${o.kind} is valid`);
  return r.deployment.spec!.template.spec!.containers[0];
};
const argAfter = (args: string[] | undefined, flag: string) => args?.[args.indexOf(flag) + 1];

describe('the share of one GPU a fractional replica holds (its quota and cost)', () => {
  it("MIG: the profile's compute slices of 7; time-slicing or MPS: one slice; HAMi or unsliced time-slicing: its memory of the GPU", () => {
    const mig = parsedZone({ mode: 'mig' }, { memory: '80Gi', migProfiles: MIG_80GB });
    assert.equal(fractionalShare(mig, 'h100', 8 * 1024), 1 / 7, '1g.10gb');
    assert.equal(fractionalShare(mig, 'h100', 30 * 1024), 3 / 7, '3g.40gb');
    assert.equal(fractionalShare(parsedZone({ mode: 'time-slicing', slicesPerGpu: 4 }), 'h100', 10 * 1024), 0.25);
    assert.equal(fractionalShare(parsedZone({ mode: 'mps', slicesPerGpu: 8 }), 'h100', 10 * 1024), 0.125);
    assert.equal(fractionalShare(parsedZone({ mode: 'hami' }), 'h100', 20 * 1024), 0.25);
    assert.equal(fractionalShare(parsedZone({ mode: 'time-slicing' }), 'h100', 40 * 1024), 0.5);
    assert.throws(() => fractionalShare(parsedZone(undefined), 'h100', 10 * 1024), { code: 'unsupported', message: /runs whole GPUs only/ });
  });
});

describe('MIG profiles', () => {
  it('reads the memory in the name as decimal GB, at or under what the slice has', () => {
    assert.equal(migProfileMb('1g.10gb'), 9536);
    assert.equal(migProfileMb('7g.80gb'), 76293);
    assert.equal(migProfileMb('1g.5gb'), 4768);
  });

  it('picks the smallest profile that holds the memory; on a tie of memory, the one with fewer compute slices', () => {
    assert.equal(smallestMigProfile(MIG_80GB, 6 * 1024), '1g.10gb');
    assert.equal(smallestMigProfile(MIG_80GB, 10 * 1024), '1g.20gb', '10Gi is more than a 1g.10gb holds; 1g.20gb before 2g.20gb');
    assert.equal(smallestMigProfile(MIG_80GB, 30 * 1024), '3g.40gb');
    assert.equal(smallestMigProfile(MIG_80GB, 74 * 1024), '7g.80gb');
    assert.equal(smallestMigProfile(MIG_80GB, 75 * 1024), undefined);
    assert.equal(smallestMigProfile(['3g.40gb', '1g.10gb'], 9 * 1024), '1g.10gb', 'whatever order the zones file lists them in');
  });
});

describe('a fractional replica in a Kubernetes zone', () => {
  it('time-slicing: one slice of the shared resource, and the engine told its share of the whole GPU', () => {
    const z = parsedZone({ mode: 'time-slicing' });
    const c = engineOf(z, spec());
    assert.deepEqual(c.resources?.limits, { 'nvidia.com/gpu.shared': '1' });
    assert.equal(c.resources?.requests?.['nvidia.com/gpu.shared'], '1');
    assert.ok(!('nvidia.com/gpu' in (c.resources?.limits ?? {})), 'no whole GPU asked for');
    assert.equal(argAfter(c.args, '--gpu-memory-utilization'), '0.25', '20Gi of 80Gi');
    assert.ok(c.env?.some((e) => e.name === 'INFERSCALE_GPU_MEMORY_MIB' && e.value === String(20 * 1024)));
  });

  it('SGLang gets --mem-fraction-static; a renamed resource is used as written', () => {
    const z = parsedZone({ mode: 'time-slicing', resource: 'nvidia.com/gpu.timeslice' });
    const c = engineOf(z, spec({ driver: engineDriver('sglang'), gpuMemoryMb: 8 * 1024 }));
    assert.deepEqual(c.resources?.limits, { 'nvidia.com/gpu.timeslice': '1' });
    assert.equal(argAfter(c.args, '--mem-fraction-static'), '0.1');
  });

  it('HAMi: one GPU and gpumem in MiB; the engine sees only its limit, so its share is all of it', () => {
    const z = parsedZone({ mode: 'hami' });
    const c = engineOf(z, spec({ gpuMemoryMb: 12 * 1024 }));
    assert.deepEqual(c.resources?.limits, { 'nvidia.com/gpu': '1', 'nvidia.com/gpumem': String(12 * 1024) });
    assert.equal(argAfter(c.args, '--gpu-memory-utilization'), '1');
  });

  it('MIG: the smallest declared profile that holds the memory, and the share of that slice', () => {
    const z = parsedZone({ mode: 'mig' }, { migProfiles: MIG_80GB });
    const c = engineOf(z, spec({ gpuMemoryMb: 15 * 1024 }));
    assert.deepEqual(c.resources?.limits, { 'nvidia.com/mig-1g.20gb': '1' });
    assert.equal(argAfter(c.args, '--gpu-memory-utilization'), String(Math.floor(((15 * 1024) / migProfileMb('1g.20gb')) * 1000) / 1000));
  });

  it('a whole-GPU deployment renders as before, whatever the zone declares for fractional ones', () => {
    const plain = renderWorkload(testZone(), spec({ gpuMemoryMb: undefined, gpuCount: 2 }));
    const shared = renderWorkload(parsedZone({ mode: 'time-slicing' }), spec({ gpuMemoryMb: undefined, gpuCount: 2 }));
    assert.equal(shared.deployment.spec!.template.spec!.containers[0].resources?.limits?.['nvidia.com/gpu'], '2');
    assert.equal(shared.templateHash, renderWorkload(parsedZone(undefined), spec({ gpuMemoryMb: undefined, gpuCount: 2 })).templateHash);
    assert.ok(plain.templateHash);
  });

  it('refusals name gpuMemory and a stable reason', () => {
    const refused = (z: KubernetesZoneConfig, mb: number, code: string, reason: string, message: RegExp) =>
      assert.throws(
        () => fractionalRequest(z, 'h100', mb),
        (e: { code: string; details: { field: string; reason: string }; message: string }) => {
          assert.equal(e.code, code);
          assert.deepEqual([e.details.field, e.details.reason], ['gpuMemory', reason]);
          assert.match(e.message, message);
          return true;
        },
      );
    refused(testZone(), 1024, 'unsupported', 'no_fractional_gpus', /zone "fake-eks" runs whole GPUs only; declare .* "fractionalGpus"/);
    refused(parsedZone({ mode: 'time-slicing' }, {}), 1024, 'unsupported', 'gpu_memory_unknown', /add gpuTypes\.h100\.memory/);
    refused(parsedZone({ mode: 'time-slicing' }), 81 * 1024, 'invalid_argument', 'larger_than_gpu', /81Gi is more than a h100 GPU .* \(80Gi\)/);
    refused(parsedZone({ mode: 'mps', slicesPerGpu: 4 }), 21 * 1024, 'invalid_argument', 'larger_than_slice', /one of the 4 mps slices .* \(20Gi\)/);
    refused(parsedZone({ mode: 'mig' }), 1024, 'unsupported', 'no_mig_profiles', /gpuTypes\.h100\.migProfiles/);
    refused(
      parsedZone({ mode: 'mig' }, { migProfiles: ['1g.10gb', '3g.40gb'] }),
      40 * 1024,
      'invalid_argument',
      'larger_than_gpu',
      /largest MIG profile .* \(3g\.40gb: 37\.3Gi\)/,
    );
    assert.equal(fractionalRequest(parsedZone({ mode: 'mps', slicesPerGpu: 4 }), 'h100', 20 * 1024).resources['nvidia.com/gpu.shared'], '1');
  });

  it('the zones file refuses a mode it does not know, MPS without its slices, and a GPU memory that is not a size', () => {
    assert.throws(() => parsedZone({ mode: 'vgpu' }), /fractionalGpus\.mode/);
    assert.throws(() => parsedZone({ mode: 'mps' }), /fractionalGpus\.slicesPerGpu/);
    assert.throws(() => parsedZone({ mode: 'hami' }, { memory: 'lots' }), /gpuTypes\.h100\.memory: must be a memory size/);
    assert.throws(() => parsedZone({ mode: 'mig' }, { migProfiles: ['1g.10gb+me'] }), /migProfiles\.0: must be a MIG profile/);
  });
});
