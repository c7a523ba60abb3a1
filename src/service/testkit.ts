/**
 * For tests: a DeploymentService in process, on a real in-memory store under a fake clock, with `gpus`
 * virtual a5000 GPUs. Nothing is started (the reconciler is not there: `kick` does nothing).
 */
import { tmpdir } from 'node:os';
import { FakeClock } from '../core/clock.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { Store } from '../store/store.js';
import { virtualGpus } from '../placement/inventory.js';
import { KeyBox } from '../security/secrets.js';
import { LocalProvider } from '../providers/local/provider.js';
import { DeploymentService } from './deployments.js';

export function inProcessService(gpus = 128): { clock: FakeClock; store: Store; deployments: DeploymentService } {
  const clock = new FakeClock(Date.UTC(2025, 0, 6));
  const store = new Store(openDb(':memory:', SCHEMA));
  const inventory = virtualGpus(gpus, 'a5000');
  const deployments = new DeploymentService({
    store,
    clock,
    inventory,
    keys: new KeyBox('ab'.repeat(32)),
    provider: new LocalProvider({ clock, logDir: tmpdir(), inventory }),
    baseUrl: () => 'http://127.0.0.1',
    kick: () => undefined,
  });
  return { clock, store, deployments };
}
