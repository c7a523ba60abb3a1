import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN } from '../api/testkit.js';
import { cliUnderTest } from './testkit.js';

test('contexts: add, use, list, remove in a 0600 config file; INFERSCALE_URL and INFERSCALE_TOKEN win over the current one', async (t) => {
  const { cli, close, url } = await cliUnderTest();
  const down = await cliUnderTest();
  await down.close();
  const home = mkdtempSync(join(tmpdir(), 'inferscale-ctx-'));
  t.after(async () => {
    await close();
    rmSync(home, { recursive: true, force: true });
  });
  /** no INFERSCALE_URL or INFERSCALE_TOKEN: the contexts decide */
  const env = { XDG_CONFIG_HOME: home, INFERSCALE_URL: undefined, INFERSCALE_TOKEN: undefined, INFERSCALE_DATA_DIR: join(home, 'no-data') };
  const ctx = (args: string[], more: Record<string, string | undefined> = {}) => cli(args, { env: { ...env, ...more } });

  assert.deepEqual(await ctx(['context', 'add', 'lab', '--url', `${url}/`, '--token', ADMIN_TOKEN]), { code: 0, stdout: 'lab: added (current)\n', stderr: '' });
  assert.deepEqual(await ctx(['context', 'add', 'gone', '--url', down.url, '--token', 'ist-other']), { code: 0, stdout: 'gone: added\n', stderr: '' });
  const file = join(home, 'inferscale', 'config.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
    currentContext: 'lab',
    contexts: { lab: { url, token: ADMIN_TOKEN }, gone: { url: down.url, token: 'ist-other' } },
  });

  const list = await ctx(['context', 'list']);
  const rows = list.stdout.trimEnd().split('\n');
  const esc = (u: string) => u.replace(/\./g, '\\.');
  assert.equal(rows.length, 3);
  assert.match(rows[0], /^CURRENT +NAME +URL +TOKEN$/);
  assert.match(rows[1], new RegExp(`^\\* +lab +${esc(url)} +set$`));
  assert.match(rows[2], new RegExp(`^ +gone +${esc(down.url)} +set$`));
  assert.doesNotMatch(list.stdout, /ist-/, 'tokens are never shown');
  assert.deepEqual(JSON.parse((await ctx(['context', 'list', '-o', 'json'])).stdout)[0], { name: 'lab', url, current: true, hasToken: true });

  assert.equal((await ctx(['deployment', 'create', 'chat', '--model-name', 'm', '-o', 'name'])).stdout, 'chat\n', 'the current context is used');
  assert.equal((await ctx(['deployment', 'list', '-o', 'name'], { INFERSCALE_URL: down.url })).code, 5, 'INFERSCALE_URL wins over the context');
  assert.equal((await ctx(['deployment', 'list'], { INFERSCALE_TOKEN: 'ist-wrong' })).code, 4, "INFERSCALE_TOKEN wins over the context's token");

  assert.deepEqual(await ctx(['context', 'use', 'gone']), { code: 0, stdout: 'gone: current\n', stderr: '' });
  const unreachable = await ctx(['deployment', 'list']);
  assert.equal(unreachable.code, 5);
  assert.match(unreachable.stderr, new RegExp(`cannot reach the inferscale server at ${down.url.replace(/\./g, '\\.')} \\(context gone\\)`));

  const once = await ctx(['--context', 'lab', 'deployment', 'list', '-o', 'name'], { INFERSCALE_URL: down.url, INFERSCALE_TOKEN: 'ist-wrong' });
  assert.deepEqual([once.code, once.stdout], [0, 'chat\n'], "--context wins over the environment and the current context, with the context's token");
  assert.equal((await ctx(['deployment', 'list', '--context', 'lab', '-o', 'name'])).stdout, 'chat\n', 'after the subcommand too');
  const noSuch = await ctx(['--context', 'nope', 'deployment', 'list']);
  assert.deepEqual([noSuch.code, noSuch.stderr], [3, 'error (not_found): context "nope" not found\n']);

  const missing = await ctx(['context', 'use', 'nope']);
  assert.deepEqual([missing.code, missing.stderr], [3, 'error (not_found): context "nope" not found\n']);
  const badUrl = await ctx(['context', 'add', 'x', '--url', 'gpu-box:8080']);
  assert.equal(badUrl.code, 2);
  assert.match(badUrl.stderr, /^error \(invalid_argument\): url: /);

  assert.deepEqual(await ctx(['context', 'remove', 'gone']), { code: 0, stdout: 'gone: removed\n', stderr: '' });
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).currentContext, null, 'removing the current context leaves none current');
  assert.equal(statSync(file).mode & 0o777, 0o600, 'still 0600 after a rewrite');
});
