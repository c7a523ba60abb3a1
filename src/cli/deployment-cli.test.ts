import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cliUnderTest, type CliRun } from './testkit.js';
import { storeContents } from '../store/testkit.js';

const ok = (r: CliRun, what: string) => assert.equal(r.code, 0, `${what}: ${r.stderr}`);
/** The key/value block of `deployment show` (and create, scale) as an object: "Status Details  scaling" -> { 'Status Details': 'scaling' } */
const shown = (stdout: string): Record<string, string> =>
  Object.fromEntries(
    stdout.split('\n').flatMap((l) => {
      const m = /^(\S.*?) {2,}(.*)$/.exec(l);
      return m ? [[m[1], m[2]]] : [];
    }),
  );

test('deployment create, list, show, scale and delete: tables for people, -O json for programs', async (t) => {
  const { cli, close } = await cliUnderTest();
  t.after(close);

  const created = await cli(['deployment', 'create', 'chat', '--model-name', 'm', '--gpu-count', '2', '--label', 'team=a']);
  ok(created, 'create');
  const c = shown(created.stdout);
  assert.match(created.stdout, /^ID {14}\S+\nName {12}chat\n/, 'keys padded to the longest');
  assert.deepEqual([c.Name, c.Replicas, c['Total GPUs'], c.Labels, c['GPU Type'], c['Engine Params']], ['chat', '0/1 ready', '2', 'team=a', 'a5000', '-']);
  assert.match(c['API Key'], /^isk-\S+$/, 'the key is printed once, at creation');
  assert.equal(created.stderr, '');

  const json = await cli(['deployment', 'create', 'embed', '--model-name', 'e', '--replicas', '0', '-O', 'json']);
  ok(json, 'create -O json');
  const embed = JSON.parse(json.stdout);
  assert.deepEqual([embed.name, embed.replicas, embed.status], ['embed', 0, 'stopped']);
  assert.match(embed.apiKey, /^isk-/);

  const list = await cli(['deployment', 'list']);
  ok(list, 'list');
  const lines = list.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^NAME +ZONE +STATUS +MODEL +ENGINE +GPU TYPE +GPU COUNT +REPLICAS +TOTAL GPUS +URL$/);
  assert.deepEqual(
    lines.slice(1).map((l) => l.split(/ {2,}/)),
    [
      ['chat', 'local', 'creating', 'm', 'sim', 'a5000', '2', '0/1', '2', 'http://127.0.0.1/d/chat/v1'],
      ['embed', 'local', 'stopped', 'e', 'sim', 'a5000', '1', '0/0', '0', 'http://127.0.0.1/d/embed/v1'],
    ],
  );
  const listJson = await cli(['deployments', 'list', '-O', 'json']);
  assert.deepEqual(
    JSON.parse(listJson.stdout).map((d: { name: string }) => d.name),
    ['chat', 'embed'],
  );

  const show = await cli(['deployment', 'show', 'chat']);
  ok(show, 'show');
  assert.equal(shown(show.stdout).Status, 'creating');
  assert.equal(shown(show.stdout).Autoscaling, 'off (manual replicas)');
  assert.doesNotMatch(show.stdout, /API Key|isk-/, 'show never prints the key');
  const shownJson = JSON.parse((await cli(['deployment', 'show', 'chat', '-O', 'json'])).stdout);
  assert.deepEqual([shownJson.name, shownJson.gpuCount, shownJson.apiKey, shownJson.autoscaler], ['chat', 2, undefined, null]);

  const scaled = await cli(['deployment', 'scale', 'chat', '3']);
  ok(scaled, 'scale');
  assert.deepEqual([shown(scaled.stdout).Replicas, shown(scaled.stdout)['Status Details']], ['0/3 ready', 'scaling 1 -> 3']);
  assert.equal(JSON.parse((await cli(['deployment', 'scale', 'chat', '0', '-O', 'json'])).stdout).replicas, 0);

  const deleted = await cli(['deployment', 'delete', 'chat', 'embed']);
  ok(deleted, 'delete');
  assert.equal(deleted.stdout, 'chat: deleting\nembed: deleting\n');
  const gone = await cli(['deployment', 'show', 'chat']);
  assert.equal(gone.code, 3);
  assert.equal(gone.stderr, 'error (not_found): deployment "chat" not found\n');
  assert.equal(gone.stdout, '');
});

test('bad input: its exit code (2 usage, 3 not found, 7 conflict) and one error line naming the field and the limit; nothing is changed', async (t) => {
  const { cli, close, store } = await cliUnderTest();
  t.after(close);
  ok(await cli(['deployment', 'create', 'chat', '--model-name', 'm', '--replicas', '0']), 'create');
  const before = storeContents(store);
  const cases: [string[], number, RegExp][] = [
    [['deployment', 'scale', 'chat', 'abc'], 2, /^error \(invalid_argument\): replicas: must be an integer, got "abc"\n$/],
    [['deployment', 'scale', 'chat', '1001'], 2, /^error \(invalid_argument\): replicas: must be between 0 and 1000\n$/],
    [['deployment', 'scale', 'chat', '200'], 7, /^error \(quota_exceeded\): .*8/],
    [['deployment', 'scale', 'nope', '1'], 3, /^error \(not_found\): deployment "nope" not found\n$/],
    [['deployment', 'create', 'x', '--model-name', 'm', '--gpu-count', '9'], 2, /^error \(invalid_argument\): gpuCount: must be between 1 and 8\n$/],
    [['deployment', 'create', 'x', '--model-name', 'm', '--replicas', 'two'], 2, /^error \(invalid_argument\): replicas: must be an integer, got "two"\n$/],
    [['deployment', 'create', 'Bad_Name', '--model-name', 'm'], 2, /^error \(invalid_argument\): name: must be a DNS label/],
    [['deployment', 'create', 'x', '--model-name', 'm', '--label', 'novalue'], 2, /^error \(invalid_argument\): label: expected key=value, got "novalue"\n$/],
    [['deployment', 'create', 'chat', '--model-name', 'm'], 7, /^error \(already_exists\): deployment "chat" already exists\n$/],
    [['deployment', 'update', 'chat', '--gpu-count', '2'], 2, /^error \(immutable_field\): gpuCount: the GPU count of a deployment is fixed at creation \(1\)/],
    [['deployment', 'create', 'x'], 2, /required option '--model-name <model>' not specified/],
    [['deployment', 'list', '-o', 'xml'], 2, /option '-o, --output <format>' argument 'xml' is invalid. Allowed choices are table, json, yaml, name/],
    [['deployment', 'list', '-O', 'xml'], 2, /option '-O <format>' argument 'xml' is invalid. Allowed choices are table, json, yaml, name/],
    [
      ['deployment', 'create', 'x', '--model-name', 'm', '--wait', '--wait-timeout', '5 minutes'],
      2,
      /^error \(invalid_argument\): wait-timeout: "5 minutes" is not a duration/,
    ],
    [['deployment', 'frobnicate'], 2, /unknown command 'frobnicate'/],
  ];
  for (const [args, code, says] of cases) {
    const r = await cli(args);
    assert.equal(r.code, code, `${args.join(' ')}: exit ${code}`);
    assert.match(r.stderr, says, args.join(' '));
    assert.equal(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
    assert.deepEqual(storeContents(store), before, `${args.join(' ')}: nothing changed`);
  }
});

test('a wrong token and an unreachable server: exit 4 and 5 with what to do', async (t) => {
  const { cli, close } = await cliUnderTest();
  t.after(close);
  const denied = await cli(['deployment', 'list'], { token: 'ist-wrong' });
  assert.equal(denied.code, 4);
  assert.match(denied.stderr, /^error \(unauthorized\): admin token missing or wrong: set INFERSCALE_TOKEN/);
  const down = await cliUnderTest();
  await down.close();
  const unreachable = await cli(['deployment', 'list'], { url: down.url });
  assert.equal(unreachable.code, 5);
  assert.match(
    unreachable.stderr,
    new RegExp(
      `^error \\(unreachable\\): cannot reach the inferscale server at ${down.url.replace(/\./g, '\\.')} .*start it with "inferscale server" or set INFERSCALE_URL\\n$`,
    ),
  );
});

test('--help and --version exit 0 with their text on stdout', async (t) => {
  const { cli, close } = await cliUnderTest();
  t.after(close);
  const version = await cli(['--version']);
  assert.deepEqual(version, { code: 0, stdout: '0.1.0\n', stderr: '' });
  const help = await cli(['deployment', 'scale', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: inferscale deployment scale \[options\] <name> <replicas>/);
});
