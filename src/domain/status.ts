import type { DeploymentStatus, Replica } from './types.js';

/**
 * Derives a deployment's status from its desired count and its replicas (pure). `everReady` tells
 * a first deployment ("deploying") from a later change ("scaling").
 */
export function deriveStatus(input: {
  desired: number;
  replicas: readonly Pick<Replica, 'state' | 'stateReason' | 'generation'>[];
  everReady: boolean;
  generation: number;
  deleting?: boolean;
}): { status: DeploymentStatus; details: string } {
  const { desired, replicas } = input;
  if (input.deleting) return { status: 'deleting', details: 'stopping replicas' };
  const count = (s: string) => replicas.filter((r) => r.state === s).length;
  const ready = count('ready');
  const starting = count('starting');
  const pending = replicas.filter((r) => r.state === 'pending');
  const draining = count('draining');
  if (desired === 0 && ready + starting + pending.length + draining === 0) {
    return { status: 'stopped', details: 'scaled to zero; URL and API key are kept' };
  }
  const stale = replicas.some((r) => r.generation < input.generation && r.state !== 'stopped' && r.state !== 'failed');
  const parts = [`${ready}/${desired} ready`];
  if (starting) parts.push(`${starting} starting`);
  if (pending.length) parts.push(`${pending.length} pending: ${pending[0].stateReason}`);
  if (draining) parts.push(`${draining} draining`);
  const details = parts.join(', ');
  if (ready === desired && starting === 0 && pending.length === 0 && draining === 0 && !stale) {
    return { status: 'ready', details };
  }
  if (stale) return { status: 'updating', details };
  if (!input.everReady) {
    const failing = replicas.filter((r) => r.state === 'failed').length;
    if (failing >= 3 && ready === 0) return { status: 'error', details: `${details}; replicas keep failing` };
    return { status: ready === 0 && starting === 0 && pending.length === 0 ? 'creating' : 'deploying', details };
  }
  return { status: 'scaling', details };
}
