// deploy/ as a cluster admin applies it: `kubectl kustomize` renders the base, each overlay, and each with its
// monitoring component; every rendered object passes the Kubernetes schemas (kubernetes-models, as
// src/zones/manifests.test.ts does for the files); every workload passes Pod Security "restricted"; the
// PrometheusRule passes `promtool check rules` and alerts on metrics the server really exports.
// Skipped only without kubectl (.ci/run installs it, so CI renders).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dumpYaml, loadAllYaml } from '@kubernetes/client-node';
import { validateObject } from '../providers/kubernetes/validate.js';
import { commonLabels } from '../providers/kubernetes/render.js';
import { parseZonesFile } from '../zones/load.js';
import { GatewayMetrics } from '../gateway/metrics.js';
import { ClusterMetrics } from '../cluster/metrics.js';
import { restrictedWorkloadProblems } from './pod-security.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const NO_KUBECTL = kubectl.error ? 'kubectl not installed: .ci/run installs it (see docs/kubernetes.md, "What is verified")' : false;
const hasPromtool = !spawnSync('promtool', ['--version']).error;

interface Rendering {
  name: string;
  dir: string;
  components: string[];
}
/** Every overlay, alone and with its monitoring component, and the base with the shared one. */
function renderings(): Rendering[] {
  const out: Rendering[] = [
    { name: 'base', dir: 'base', components: [] },
    { name: 'base + monitoring', dir: 'base', components: ['components/monitoring'] },
  ];
  for (const o of readdirSync(join(DEPLOY, 'overlays'))) {
    const dir = `overlays/${o}`;
    out.push({ name: o, dir, components: [] });
    assert.ok(existsSync(join(DEPLOY, dir, 'monitoring', 'kustomization.yaml')), `${dir} has a monitoring component tuned to its zone`);
    out.push({ name: `${o} + monitoring`, dir, components: [`${dir}/monitoring`] });
  }
  return out;
}

type Obj = Record<string, any>;

function render(r: Rendering, scratch: string): Obj[] {
  let root = join(DEPLOY, r.dir);
  if (r.components.length) {
    // what an admin writes to add a component: kustomize takes only relative paths to other directories
    root = mkdtempSync(join(scratch, 'k-'));
    const rel = (p: string) => relative(root, join(DEPLOY, p));
    writeFileSync(
      join(root, 'kustomization.yaml'),
      dumpYaml({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [rel(r.dir)], components: r.components.map(rel) }),
    );
  }
  const k = spawnSync('kubectl', ['kustomize', root], { encoding: 'utf8' });
  assert.equal(k.status, 0, `kubectl kustomize ${r.name}: ${k.stderr}\n(kubectl ${kubectl.stdout.trim()}: components need kustomize 3.7 or later)`);
  return JSON.parse(JSON.stringify(loadAllYaml(k.stdout))).filter(Boolean);
}

const byKind = (objs: Obj[], kind: string, name?: string) => objs.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
const one = (objs: Obj[], kind: string, name: string) => {
  const found = byKind(objs, kind, name);
  assert.equal(found.length, 1, `one ${kind}/${name}`);
  return found[0];
};
const zonesOf = (objs: Obj[]) => parseZonesFile(one(objs, 'ConfigMap', 'inferscale-zones').data['zones.yaml']).zones;
const seconds = (d: string) => {
  const m = /^(\d+)(s|m|h)$/.exec(d);
  assert.ok(m, `duration ${d}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
};

/** Names of the series the server exports at /metrics (histograms add _bucket, _sum and _count). */
function exportedSeries(): Set<string> {
  const g = new GatewayMetrics();
  new ClusterMetrics(g.registry, { leading: () => true, gateways: () => [] });
  const names = g.registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name);
  return new Set(names.flatMap((n) => [n, `${n}_bucket`, `${n}_sum`, `${n}_count`]));
}

describe('deploy/ rendered with kubectl kustomize', { skip: NO_KUBECTL }, () => {
  let scratch: string;
  const rendered = new Map<string, Obj[]>();
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'inferscale-kustomize-'));
    for (const r of renderings()) rendered.set(r.name, render(r, scratch));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('renders the base and every overlay, alone and with monitoring', () => {
    assert.deepEqual([...rendered.keys()].sort(), ['base', 'base + monitoring', 'eks-karpenter', 'eks-karpenter + monitoring', 'gke', 'gke + monitoring']);
  });

  it('every rendered object passes the Kubernetes schemas and API rules, in the inferscale namespace', () => {
    for (const [name, objs] of rendered) {
      for (const o of objs) {
        if (o.apiVersion === 'monitoring.coreos.com/v1') continue; // the Prometheus operator's kinds: checked below
        assert.deepEqual(validateObject(o), [], `${name}: ${o.kind}/${o.metadata?.name}`);
        const clusterScoped = ['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind);
        assert.equal(o.metadata.namespace, clusterScoped ? undefined : 'inferscale', `${name}: ${o.kind}/${o.metadata.name} namespace`);
      }
    }
  });

  it('every container of every workload passes Pod Security "restricted" with a read-only root filesystem', () => {
    for (const [name, objs] of rendered) {
      assert.ok(
        objs.some((o) => o.kind === 'Deployment'),
        `${name} has a workload`,
      );
      assert.deepEqual(restrictedWorkloadProblems(objs), [], name);
    }
  });

  it('the server runs the image the zone gives to sim and llamacpp pods, in HA mode on that zone', () => {
    for (const [name, objs] of rendered) {
      const pod = one(objs, 'Deployment', 'inferscale').spec.template.spec;
      const image: string = pod.containers[0].image;
      assert.match(image, /^ghcr\.io\/inferscale\/inferscale:/, `${name}: the image from kustomization.yaml`);
      const args: string[] = pod.containers[0].args;
      const zone = zonesOf(objs).find((z) => z.name === args[args.indexOf('--ha') + 1]);
      assert.ok(zone && zone.type === 'kubernetes', `${name}: --ha names a Kubernetes zone`);
      assert.equal(zone.namespace, 'inferscale', `${name}: replicas run beside the server`);
      for (const engine of ['sim', 'llamacpp']) assert.equal(zone.images[engine], image, `${name}: images.${engine}`);
    }
  });

  it("the engines' NetworkPolicy is in every rendering and fences the pods inferscale renders", () => {
    const engine = commonLabels({ name: 'chat', labels: {}, gpuType: 'l4' });
    for (const [name, objs] of rendered) {
      const np = one(objs, 'NetworkPolicy', 'inferscale-engines');
      const exprs: Obj[] = np.spec.podSelector.matchExpressions;
      assert.ok(
        exprs.every((e) => (e.operator === 'Exists' ? e.key in engine : e.values.includes(engine[e.key]))),
        `${name}: selects engine pods`,
      );
      const from = np.spec.ingress.flatMap((i: Obj) => i.from ?? i._from);
      assert.deepEqual(
        from.map((f: Obj) => f.podSelector.matchLabels),
        [one(objs, 'Deployment', 'inferscale').spec.template.metadata.labels],
        `${name}: admits the server pods only`,
      );
    }
  });

  it('the ServiceMonitor scrapes /metrics on a port of the Service inferscale', () => {
    for (const [name, objs] of rendered) {
      const monitors = byKind(objs, 'ServiceMonitor');
      if (!name.includes('monitoring')) {
        assert.deepEqual(monitors, [], `${name}: monitoring is optional`);
        continue;
      }
      const sm = one(objs, 'ServiceMonitor', 'inferscale');
      const svc = one(objs, 'Service', 'inferscale');
      for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) assert.equal(svc.metadata.labels[k], v, `${name}: selects the Service by ${k}`);
      const ports = svc.spec.ports.map((p: Obj) => p.name);
      for (const e of sm.spec.endpoints) {
        assert.ok(ports.includes(e.port), `${name}: port ${e.port} of the Service`);
        assert.equal(e.path, '/metrics');
      }
    }
  });

  it('the alerts use the metrics the server exports and fire when the issue says', () => {
    const series = exportedSeries();
    for (const [name, objs] of rendered) {
      const rules = byKind(objs, 'PrometheusRule');
      if (!name.includes('monitoring')) continue;
      const groups: Obj[] = one(objs, 'PrometheusRule', 'inferscale').spec.groups;
      const all: Obj[] = groups.flatMap((g) => g.rules);
      const recorded = new Set(all.filter((r) => r.record).map((r) => r.record));
      for (const r of all) {
        for (const m of r.expr.match(/\binferscale_[a-z0-9_]+/g) ?? [])
          assert.ok(series.has(m), `${name}: ${r.alert ?? r.record} uses ${m}, which the server does not export`);
        for (const m of r.expr.match(/\binferscale:[a-z0-9_:]+/g) ?? []) assert.ok(recorded.has(m), `${name}: ${m} is recorded`);
      }
      const alert = (a: string) => {
        const found = all.find((r) => r.alert === a);
        assert.ok(found, `${name}: alert ${a}`);
        return found;
      };
      assert.equal(seconds(alert('InferscaleTTFTSLOBreached').for), 600, 'TTFT SLO breached for 10 minutes');
      assert.match(alert('InferscaleQueueGrowing').expr, /deriv\(inferscale_gateway_requests_queued/);
      assert.match(alert('InferscaleCostBurnAboveBudget').expr, />\s*\d/);
      const zone = zonesOf(objs)[0];
      assert.ok(zone.type === 'kubernetes', `${name}: a Kubernetes zone`);
      assert.equal(
        seconds(alert('InferscaleReplicasPendingForGpu').for),
        zone.nodeProvisioningSeconds,
        `${name}: pending longer than the zone's nodeProvisioningSeconds`,
      );
      assert.equal(rules.length, 1);
    }
  });

  it('the PrometheusRule passes promtool check rules', (t) => {
    if (!hasPromtool) return t.skip('promtool not installed (Debian package "prometheus", which .ci/run installs)');
    for (const [name, objs] of rendered) {
      if (!name.includes('monitoring')) continue;
      const file = join(scratch, `${name.replace(/\W+/g, '-')}.rules.yml`);
      writeFileSync(file, dumpYaml({ groups: one(objs, 'PrometheusRule', 'inferscale').spec.groups }));
      const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /SUCCESS: 7 rules found/);
    }
  });
});

describe('kubectl kustomize', () => {
  it('is installed, or the render tests say why they skip', (t) => {
    if (NO_KUBECTL) return t.skip(NO_KUBECTL);
    assert.match(kubectl.stdout, /Kustomize Version: v[4-9]\./, "kustomize 4 or later (components, patches with a path); Debian 12's kubernetes-client has v2");
  });
});
