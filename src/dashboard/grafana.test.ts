import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GatewayMetrics } from '../gateway/metrics.js';

// grafana/inferscale.json stays in step with the metrics the gateway exports.
const dashboard = JSON.parse(readFileSync(fileURLToPath(new URL('../../grafana/inferscale.json', import.meta.url)), 'utf8'));
const panels: any[] = dashboard.panels;
const exprs: string[] = panels.flatMap((p) => (p.targets ?? []).map((t: any) => t.expr));

test('grafana: every queried metric exists in GatewayMetrics, and every gateway metric is shown', async () => {
  const known = new Set((await new GatewayMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
  const used = new Set(exprs.flatMap((e) => e.match(/inferscale_[a-z_]+/g) ?? []).map((n) => n.replace(/_(bucket|sum|count)$/, '')));
  for (const n of used) assert.ok(known.has(n), `${n} is not exported by the gateway`);
  // inferscale's own series; not the process and Node.js runtime metrics (standard names, their own dashboards)
  // nor the build info (no deployment label: a label to read, not a series to plot)
  for (const n of known) if (n.startsWith('inferscale_') && n !== 'inferscale_build_info') assert.ok(used.has(n), `${n} has no panel`);
});

test('grafana: panels have unique ids, a Prometheus data source input and the deployment filter', () => {
  const ids = panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(dashboard.__inputs[0].pluginId, 'prometheus');
  assert.ok(dashboard.templating.list.some((v: any) => v.name === 'deployment'));
  for (const e of exprs) assert.match(e, /deployment=~"\$deployment"/, e);
});

test('grafana: every query is valid PromQL (promtool check rules)', (ctx) => {
  if (spawnSync('promtool', ['--version']).error) return ctx.skip('promtool not installed (Debian package "prometheus")');
  const dir = mkdtempSync(join(tmpdir(), 'grafana-promql-'));
  try {
    const rules = exprs.map(
      (e, i) =>
        `      - record: inferscale:check_${i}\n        expr: ${JSON.stringify(e.replaceAll('$__rate_interval', '1m').replaceAll('$deployment', '.*'))}`,
    );
    writeFileSync(join(dir, 'rules.yml'), `groups:\n  - name: grafana\n    rules:\n${rules.join('\n')}\n`);
    const r = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yml')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
