import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { podTemplateOf, restrictedProblems, restrictedWorkloadProblems } from './pod-security.js';

const goodSpec = () => ({
  securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [
    {
      name: 'server',
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      volumeMounts: [
        { name: 'data', mountPath: '/var/lib/x' },
        { name: 'tmp', mountPath: '/tmp' },
        { name: 'cfg', mountPath: '/etc/x', readOnly: true },
      ],
    },
  ],
  volumes: [
    { name: 'data', emptyDir: {} },
    { name: 'tmp', emptyDir: {} },
    { name: 'cfg', configMap: { name: 'c' } },
  ],
});

describe('Pod Security "restricted" with a read-only root filesystem', () => {
  it('admits a compliant pod', () => {
    assert.deepEqual(restrictedProblems('p', goodSpec()), []);
  });

  const cases: [string, (s: any) => void, string][] = [
    ['runAsNonRoot missing', (s) => delete s.securityContext.runAsNonRoot, 'runAsNonRoot must be true'],
    ['runAsNonRoot false on the container', (s) => (s.containers[0].securityContext.runAsNonRoot = false), 'runAsNonRoot must be true'],
    ['root user', (s) => (s.securityContext.runAsUser = 0), 'runAsUser 0'],
    [
      'privilege escalation left to the default',
      (s) => delete s.containers[0].securityContext.allowPrivilegeEscalation,
      'allowPrivilegeEscalation must be false',
    ],
    ['capabilities not dropped', (s) => (s.containers[0].securityContext.capabilities = { drop: ['NET_RAW'] }), 'capabilities must drop ALL'],
    ['a capability added', (s) => (s.containers[0].securityContext.capabilities.add = ['SYS_ADMIN']), 'capability SYS_ADMIN'],
    ['no seccomp profile', (s) => delete s.securityContext.seccompProfile, 'seccompProfile must be'],
    ['seccomp Unconfined', (s) => (s.containers[0].securityContext.seccompProfile = { type: 'Unconfined' }), 'seccompProfile must be'],
    ['a writable root filesystem', (s) => (s.containers[0].securityContext.readOnlyRootFilesystem = false), 'readOnlyRootFilesystem must be true'],
    [
      'no /tmp volume',
      (s) => (s.containers[0].volumeMounts = s.containers[0].volumeMounts.filter((m: any) => m.mountPath !== '/tmp')),
      '/tmp must be an emptyDir',
    ],
    [
      'no writable data volume',
      (s) => (s.containers[0].volumeMounts = s.containers[0].volumeMounts.filter((m: any) => m.name !== 'data')),
      'no writable data volume',
    ],
    ['a hostPath volume', (s) => s.volumes.push({ name: 'h', hostPath: { path: '/' } }), 'volume h of type hostPath'],
    ['host network', (s) => (s.hostNetwork = true), 'hostNetwork'],
    ['a host port', (s) => (s.containers[0].ports = [{ containerPort: 80, hostPort: 80 }]), 'hostPort 80'],
    [
      'a privileged init container',
      (s) =>
        (s.initContainers = [
          {
            name: 'init',
            securityContext: { ...goodSpec().containers[0].securityContext, privileged: true },
            volumeMounts: goodSpec().containers[0].volumeMounts,
          },
        ]),
      'container init: privileged',
    ],
  ];
  for (const [what, mutate, expected] of cases) {
    it(`refuses ${what}`, () => {
      const s = goodSpec();
      mutate(s);
      const problems = restrictedProblems('p', s);
      assert.ok(
        problems.some((p) => p.includes(expected)),
        `${expected} in ${JSON.stringify(problems)}`,
      );
    });
  }

  it('finds the pod template of each workload kind and skips other objects', () => {
    const template = { spec: goodSpec() };
    assert.equal(podTemplateOf({ kind: 'Deployment', spec: { template } }), template);
    assert.equal(podTemplateOf({ kind: 'CronJob', spec: { jobTemplate: { spec: { template } } } }), template);
    assert.equal(podTemplateOf({ kind: 'Service', spec: {} }), undefined);
    const bad = { kind: 'StatefulSet', metadata: { name: 's' }, spec: { template: { spec: { ...goodSpec(), hostPID: true } } } };
    assert.deepEqual(restrictedWorkloadProblems([{ kind: 'ConfigMap' }, bad]), ['StatefulSet/s: hostPID is not allowed']);
  });
});
