import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { cliUnderTest } from './testkit.js';

test('-o and -O take table, json, yaml and name; yaml says what json says', async (t) => {
  const { cli, close } = await cliUnderTest();
  t.after(close);
  for (const name of ['chat', 'embed']) assert.equal((await cli(['deployment', 'create', name, '--model-name', 'm', '--replicas', '0'])).code, 0);

  const json = JSON.parse((await cli(['deployment', 'list', '-o', 'json'])).stdout);
  assert.deepEqual(JSON.parse((await cli(['deployment', 'list', '-O', 'json'])).stdout), json, '-O is the same option');
  const yaml = await cli(['deployment', 'list', '-o', 'yaml']);
  assert.equal(yaml.code, 0, yaml.stderr);
  assert.match(yaml.stdout, /^- id: /);
  assert.deepEqual(parse(yaml.stdout), json);
  assert.deepEqual(parse((await cli(['deployment', 'show', 'chat', '--output', 'yaml'])).stdout).name, 'chat');

  assert.deepEqual(await cli(['deployment', 'list', '-o', 'name']), { code: 0, stdout: 'chat\nembed\n', stderr: '' });
  assert.equal((await cli(['deployment', 'show', 'embed', '-o', 'name'])).stdout, 'embed\n');
  assert.deepEqual(
    parse((await cli(['deployment', 'events', 'chat', '-o', 'yaml'])).stdout),
    JSON.parse((await cli(['deployment', 'events', 'chat', '-o', 'json'])).stdout),
  );

  const engines = await cli(['engine', 'list']);
  assert.match(engines.stdout, /^sim\n(.+\n)+$/, 'one engine a line, as before -o');
  assert.equal((await cli(['engine', 'list', '-o', 'name'])).stdout, engines.stdout);
  assert.deepEqual(JSON.parse((await cli(['engines', 'list', '-O', 'json'])).stdout)[0], { name: 'sim' });

  const noNames = await cli(['limits', 'gpu', '-o', 'name']);
  assert.deepEqual([noNames.code, noNames.stdout], [2, '']);
  assert.match(noNames.stderr, /^error \(invalid_argument\): output: this command prints no named objects/);

  const help = await cli(['deployment', 'list', '--help']);
  assert.match(help.stdout.replace(/\s+/g, ' '), /-o, --output <format> output format \(choices: "table", "json", "yaml", "name", default: "table"\)/);
  assert.doesNotMatch(help.stdout, /-O <format>/, 'the alias is not listed twice');
});
