import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dashboardFile, WEB_DIR } from './static.js';

test('dashboardFile: / and /ui/ map into web/, vendor files into node_modules/uplot, nothing escapes', () => {
  assert.equal(dashboardFile('/'), join(WEB_DIR, 'index.html'));
  assert.equal(dashboardFile('/?x=1'), join(WEB_DIR, 'index.html'));
  assert.equal(dashboardFile('/ui/app.js'), join(WEB_DIR, 'app.js'));
  assert.equal(dashboardFile('/ui/pages/deployment.js'), join(WEB_DIR, 'pages/deployment.js'));
  assert.ok(existsSync(dashboardFile('/ui/vendor/uplot.js')!), 'uPlot comes from node_modules');
  assert.ok(existsSync(dashboardFile('/ui/vendor/uplot.css')!));
  for (const bad of [
    '/ui/../package.json',
    '/ui/..%2F..%2Fpackage.json',
    '/ui/%2e%2e/src/x.ts',
    '/ui/.hidden.js',
    '/ui/vendor/other.js',
    '/ui/readme.md',
    '/ui/%zz',
    '/api/v1/x',
  ]) {
    assert.equal(dashboardFile(bad), undefined, bad);
  }
  for (const f of [
    'index.html',
    'app.js',
    'style.css',
    'favicon.svg',
    'lib/api.js',
    'lib/dom.js',
    'lib/charts.js',
    'pages/deployments.js',
    'pages/gpus.js',
    'pages/cost.js',
  ]) {
    assert.ok(existsSync(join(WEB_DIR, f)), `web/${f}`);
  }
});
