import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferscaleError } from '../core/errors.js';
import {
  isActive,
  metricNameFor,
  metricSpec,
  metricValue,
  nextActivity,
  parseScalerMetadata,
  resolveTrigger,
  type KedaDeploymentSignals,
  type KedaTrigger,
} from './scaler.js';

const sig = (o: Partial<KedaDeploymentSignals> = {}): KedaDeploymentSignals => ({
  desiredReplicas: 0,
  readyReplicas: 0,
  ongoing: 0,
  queued: 0,
  ...o,
});

function ok(md: Record<string, string> | undefined): KedaTrigger {
  const t = parseScalerMetadata(md);
  if (t instanceof InferscaleError) assert.fail(`unexpected error: ${t.message}`);
  return t;
}

function err(md: Record<string, string> | undefined): InferscaleError {
  const t = parseScalerMetadata(md);
  assert.ok(t instanceof InferscaleError, `expected an error for ${JSON.stringify(md)}`);
  return t;
}

test('parse: defaults to desiredReplicas with target 1, and ignores KEDA keys', () => {
  assert.deepEqual(ok({ deployment: 'chat', scalerAddress: 'inferscale.inferscale:9443' }), {
    deployment: 'chat',
    metric: 'desiredReplicas',
    target: 1,
    metricName: 'inferscale-chat-desired-replicas',
  });
});

test('parse: request metrics default to target 8; an explicit target wins', () => {
  assert.deepEqual(ok({ deployment: 'chat', metric: 'ongoingRequests' }), {
    deployment: 'chat',
    metric: 'ongoingRequests',
    target: 8,
    metricName: 'inferscale-chat-ongoing-requests',
  });
  assert.equal(ok({ deployment: 'chat', metric: 'queuedRequests' }).target, 8);
  assert.equal(ok({ deployment: 'chat', metric: 'queuedRequests', target: '16' }).target, 16);
  assert.equal(ok({ deployment: 'chat', target: ' 0.5 ' }).target, 0.5);
  assert.equal(ok({ deployment: 'chat', target: '' }).target, 1, 'an empty target is the default');
  assert.equal(ok({ deployment: 'chat', target: '1000000' }).target, 1_000_000);
  assert.equal(ok({ deployment: 'chat', target: '0.001' }).target, 0.001);
});

test('parse: a missing or malformed deployment is invalid_argument naming the field', () => {
  const missing: (Record<string, string> | undefined)[] = [undefined, {}, { deployment: '  ' }, { metric: 'ongoingRequests' }];
  for (const md of missing) {
    const e = err(md);
    assert.equal(e.code, 'invalid_argument');
    assert.equal(e.details.field, 'deployment');
    assert.match(e.message, /^deployment: .*required/);
  }
  for (const deployment of ['Chat', 'chat_1', '1chat', 'chat-', 'a'.repeat(64)]) {
    const e = err({ deployment });
    assert.equal(e.details.field, 'deployment');
    assert.match(e.message, /^deployment: /);
  }
});

test('parse: an unknown metric is invalid_argument listing the choices', () => {
  const e = err({ deployment: 'chat', metric: 'rps' });
  assert.equal(e.code, 'invalid_argument');
  assert.equal(e.details.field, 'metric');
  assert.match(e.message, /desiredReplicas, ongoingRequests, queuedRequests \(got "rps"\)/);
});

test('parse: a target out of range or not a number is invalid_argument naming target and the limits', () => {
  for (const target of ['0', '-1', 'abc', '0.0001', '1000001', '1e3', 'Infinity', '0x10', '1.']) {
    const e = err({ deployment: 'chat', target });
    assert.equal(e.code, 'invalid_argument', target);
    assert.equal(e.details.field, 'target');
    assert.match(e.message, /^target: must be a number from 0\.001 to 1000000 \(got "/);
  }
});

test('resolve: an unknown deployment is not_found naming the field; a known one comes with its signals', () => {
  const lookup = (d: string) => (d === 'chat' ? sig({ ongoing: 3 }) : undefined);
  const miss = resolveTrigger({ deployment: 'nope' }, lookup);
  assert.ok(miss instanceof InferscaleError);
  assert.equal(miss.code, 'not_found');
  assert.equal(miss.details.field, 'deployment');
  assert.match(miss.message, /deployment.*"nope" not found/);
  const bad = resolveTrigger({ deployment: 'chat', target: '0' }, lookup);
  assert.ok(bad instanceof InferscaleError && bad.details.field === 'target', 'metadata errors come before the lookup');
  const hit = resolveTrigger({ deployment: 'chat' }, lookup);
  assert.ok(!(hit instanceof InferscaleError));
  assert.equal(hit.signals.ongoing, 3);
});

test('metric names are lowercase and valid Kubernetes names', () => {
  for (const m of ['desiredReplicas', 'ongoingRequests', 'queuedRequests'] as const) {
    assert.match(metricNameFor('llama-3-8b', m), /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  }
});

test('metric spec: the target as a float, and as the nearest whole number of at least 1 for older KEDA', () => {
  assert.deepEqual(metricSpec(ok({ deployment: 'chat' })), {
    metricName: 'inferscale-chat-desired-replicas',
    targetSize: 1,
    targetSizeFloat: 1,
  });
  assert.deepEqual(metricSpec(ok({ deployment: 'chat', target: '0.25' })), {
    metricName: 'inferscale-chat-desired-replicas',
    targetSize: 1,
    targetSizeFloat: 0.25,
  });
  assert.equal(metricSpec(ok({ deployment: 'chat', metric: 'ongoingRequests', target: '24' })).targetSize, 24);
});

test('metric value: the chosen signal; negative or non-finite counts read as 0', () => {
  const s = sig({ desiredReplicas: 3, readyReplicas: 2, ongoing: 40, queued: 7 });
  assert.deepEqual(metricValue(ok({ deployment: 'chat' }), s), {
    metricName: 'inferscale-chat-desired-replicas',
    metricValue: 3,
    metricValueFloat: 3,
  });
  assert.equal(metricValue(ok({ deployment: 'chat', metric: 'ongoingRequests' }), s).metricValue, 40);
  assert.equal(metricValue(ok({ deployment: 'chat', metric: 'queuedRequests' }), s).metricValue, 7);
  const broken = sig({ desiredReplicas: -1, ongoing: NaN, queued: Infinity });
  for (const metric of ['desiredReplicas', 'ongoingRequests', 'queuedRequests']) {
    const v = metricValue(ok({ deployment: 'chat', metric }), broken);
    assert.equal(v.metricValue, 0, metric);
    assert.equal(v.metricValueFloat, 0, metric);
  }
  const frac = metricValue(ok({ deployment: 'chat', metric: 'ongoingRequests' }), sig({ ongoing: 2.6 }));
  assert.deepEqual([frac.metricValue, frac.metricValueFloat], [3, 2.6]);
});

test('active: requests in flight or queued, or replicas wanted', () => {
  assert.equal(isActive(sig()), false);
  assert.equal(isActive(sig({ readyReplicas: 2 })), false, 'replicas still up while inferscale wants none is idle');
  assert.equal(isActive(sig({ ongoing: 1 })), true);
  assert.equal(isActive(sig({ queued: 1 })), true);
  assert.equal(isActive(sig({ desiredReplicas: 1 })), true);
  assert.equal(isActive(sig({ ongoing: -3, queued: NaN, desiredReplicas: -1 })), false);
});

test('stream updates: push the first value and every change, nothing when unchanged, end when gone', () => {
  assert.deepEqual(nextActivity(undefined, sig()), { kind: 'push', active: false });
  assert.deepEqual(nextActivity(false, sig()), { kind: 'unchanged' });
  assert.deepEqual(nextActivity(false, sig({ queued: 2 })), { kind: 'push', active: true });
  assert.deepEqual(nextActivity(true, sig({ desiredReplicas: 1 })), { kind: 'unchanged' });
  assert.deepEqual(nextActivity(true, sig()), { kind: 'push', active: false });
  assert.deepEqual(nextActivity(true, undefined), { kind: 'gone' });
  assert.deepEqual(nextActivity(undefined, undefined), { kind: 'gone' });
});
