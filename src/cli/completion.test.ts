import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from './program.js';
import { completionScript } from './completion.js';
import { cliUnderTest } from './testkit.js';

const has = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0;

function scriptFile(shell: string): { file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'inferscale-completion-'));
  const file = join(dir, `inferscale.${shell}`);
  writeFileSync(file, completionScript(shell, buildProgram()));
  return { file, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('inferscale completion bash|zsh|fish prints a script; another shell is a usage error', async (t) => {
  const { cli, close } = await cliUnderTest();
  t.after(close);
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = await cli(['completion', shell]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, completionScript(shell, buildProgram()));
    assert.match(r.stdout, /deployment/);
    assert.match(r.stdout, /inferscale/);
  }
  const bad = await cli(['completion', 'tcsh']);
  assert.deepEqual([bad.code, bad.stderr], [2, 'error (invalid_argument): shell: "tcsh" is not one of bash, zsh, fish\n']);
});

test('the bash script passes bash -n and completes commands, subcommands, aliases, options and their choices', (t) => {
  const { file, done } = scriptFile('bash');
  t.after(done);
  const syntax = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
  assert.equal(syntax.status, 0, syntax.stderr);
  /** COMPREPLY for the words typed, the last one being completed */
  const complete = (...words: string[]) => {
    const r = spawnSync(
      'bash',
      ['-c', `source "$0"; COMP_WORDS=(inferscale "$@"); COMP_CWORD=$#; _inferscale; printf '%s\\n' "\${COMPREPLY[@]}"`, file, ...words],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean).sort();
  };
  assert.deepEqual(complete('dep'), ['deployment', 'deployments']);
  assert.deepEqual(complete('deployment', 'sc'), ['scale']);
  assert.deepEqual(complete('deployments', 'lo'), ['logs'], 'through an alias');
  assert.deepEqual(complete('context', ''), ['add', 'list', 'remove', 'rm', 'use']);
  assert.deepEqual(complete('deployment', 'logs', 'chat', '--s'), ['--since']);
  assert.deepEqual(complete('deployment', 'list', '-o', ''), ['json', 'name', 'table', 'yaml']);
  assert.deepEqual(complete('simulate', '--output', 'h'), ['html']);
  assert.deepEqual(complete('deployment', 'create', 'x', '--model-name', ''), [], 'a free value: nothing offered (files by default)');
  assert.deepEqual(complete('completion', ''), []);
});

for (const shell of ['zsh', 'fish']) {
  test(`the ${shell} script passes ${shell} -n`, { skip: has(shell) ? false : `${shell} is not installed here` }, (t) => {
    const { file, done } = scriptFile(shell);
    t.after(done);
    const r = spawnSync(shell, ['-n', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
}

test('the fish script completes subcommands through aliases and the choices of -o', { skip: has('fish') ? false : 'fish is not installed here' }, (t) => {
  const { file, done } = scriptFile('fish');
  t.after(done);
  const complete = (line: string) => {
    const r = spawnSync('fish', ['-c', `source $argv[1]; complete -C $argv[2]`, file, line], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[0])
      .sort();
  };
  assert.deepEqual(complete('inferscale dep'), ['deployment', 'deployments']);
  assert.deepEqual(complete('inferscale deployments lo'), ['logs']);
  assert.deepEqual(complete('inferscale deployment list -o '), ['json', 'name', 'table', 'yaml']);
  assert.deepEqual(complete('inferscale context r'), ['remove', 'rm']);
});

test('the zsh script loads under compinit, registers _inferscale and answers from the tree', {
  skip: has('zsh') ? false : 'zsh is not installed here',
}, (t) => {
  const { file, done } = scriptFile('zsh');
  const home = mkdtempSync(join(tmpdir(), 'inferscale-zsh-'));
  t.after(() => {
    done();
    rmSync(home, { recursive: true, force: true });
  });
  const script = `autoload -U compinit && compinit -u -d ${home}/zcd; source $1; print $_comps[inferscale]; _inferscale_subs ' deployments'; print -l \${reply%%:*}; _inferscale_values ' deployment list -o'; print $reply`;
  const r = spawnSync('zsh', ['-f', '-c', script, 'zsh', file], { encoding: 'utf8', env: { ...process.env, HOME: home } });
  assert.equal(r.status, 0, r.stderr);
  const [registered, ...rest] = r.stdout.trimEnd().split('\n');
  assert.equal(registered, '_inferscale');
  assert.ok(rest.includes('logs') && rest.includes('scale'), rest.join(' '));
  assert.equal(rest.at(-1), 'table json yaml name');
});
