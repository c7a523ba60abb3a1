import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InferscaleError } from '../../core/errors.js';
import { poolOptions, simulateCommand, type SimulateCliOptions } from '../cli.js';
import { DEFAULT_POOL_ROUNDS } from '../simulate.js';

/** `simulate ARGS` parsed by the real command, its action replaced (no trace is read). */
function parsed(args: string[]): SimulateCliOptions {
  const cmd = simulateCommand().exitOverride();
  cmd.action(() => {});
  cmd.parse(args, { from: 'user' });
  return cmd.opts<SimulateCliOptions>();
}

const POOL = ['--pool', '16x80Gi', '--replica-memory', '16Gi', '--idle', 'sleep'];

test('simulate --sleep-ram --gpus-per-host --pool-rounds: parsed into the pool spec and the rounds', () => {
  const o = poolOptions(parsed([...POOL, '--sleep-ram', '1Ti', '--gpus-per-host', '4', '--pool-rounds', '5']));
  assert.equal(o.pool?.sleepRamPerHostMb, 1024 * 1024);
  assert.equal(o.pool?.gpusPerHost, 4);
  assert.equal(o.poolRounds, 5);
  const defaults = poolOptions(parsed(POOL));
  assert.equal(defaults.pool?.sleepRamPerHostMb, undefined, 'no --sleep-ram: sleepers not bounded');
  assert.equal(defaults.poolRounds, DEFAULT_POOL_ROUNDS, "the flag's default is the simulator's");
  assert.equal(poolOptions(parsed([...POOL, '--sleep-ram', '512Gi'])).pool?.gpusPerHost, 8, 'hosts of 8 GPUs by default');
});

test('simulate: bad --sleep-ram, --gpus-per-host and --pool-rounds are refused naming the flag', () => {
  const refused = (args: string[], flag: string, why: RegExp) =>
    assert.throws(
      () => poolOptions(parsed(args)),
      (e: unknown) => e instanceof InferscaleError && e.code === 'invalid_argument' && e.message.startsWith(`${flag}: `) && why.test(e.message),
      `${args.join(' ')}: refused naming ${flag}`,
    );
  refused([...POOL, '--sleep-ram', 'lots'], '--sleep-ram', /lots/);
  refused([...POOL, '--sleep-ram', '8Gi'], '--sleep-ram', /holds no sleeper of --replica-memory 16Gi/);
  refused(['--pool', '16x80Gi', '--replica-memory', '16Gi', '--sleep-ram', '512Gi'], '--sleep-ram', /goes with --idle sleep/);
  refused(['--idle', 'sleep', '--sleep-ram', '512Gi'], '--sleep-ram', /goes with --pool/);
  for (const bad of ['0', '2.5', 'x', '-1']) refused([...POOL, '--sleep-ram', '512Gi', '--gpus-per-host', bad], '--gpus-per-host', /whole number >= 1/);
  for (const bad of ['-1', '1.5', 'many', '']) refused([...POOL, '--pool-rounds', bad], '--pool-rounds', /whole number >= 0/);
  assert.equal(poolOptions(parsed([...POOL, '--pool-rounds', '0'])).poolRounds, 0, '0: replay only, nothing fed back');
});
