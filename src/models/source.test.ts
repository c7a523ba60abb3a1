import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSource, safeFileName, validateModelName } from './source.js';
import { sourceArg } from './cli.js';

test('hf:ORG/REPO/FILE resolves to /resolve/main/FILE on the endpoint (overridable by INFERSCALE_HF_ENDPOINT)', () => {
  const s = parseSource('hf:ggml-org/models/tinyllamas/stories260K.gguf', {});
  assert.equal(s.kind, 'hf');
  assert.equal(s.location, 'https://huggingface.co/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf');
  assert.equal(s.fileName, 'stories260K.gguf');
  const local = parseSource('hf:org/repo/model.Q4_K_M.gguf', { INFERSCALE_HF_ENDPOINT: 'http://127.0.0.1:9/' });
  assert.equal(local.location, 'http://127.0.0.1:9/org/repo/resolve/main/model.Q4_K_M.gguf');
  const repoOnly = parseSource('hf:org/repo', {});
  assert.deepEqual(
    [repoOnly.file, repoOnly.revision, repoOnly.location, repoOnly.fileName],
    ['', 'main', 'https://huggingface.co/org/repo', 'repo'],
    'no file: the whole repository',
  );
  const pinned = parseSource('hf:org/repo@v1.0/sub/m.gguf', { HF_ENDPOINT: 'https://mirror.example/' });
  assert.equal(pinned.location, 'https://mirror.example/org/repo/resolve/v1.0/sub/m.gguf', 'a revision, and HF_ENDPOINT for a mirror');
  assert.equal(
    parseSource('hf:org/repo@abc', { HF_ENDPOINT: 'https://mirror.example', INFERSCALE_HF_ENDPOINT: 'http://127.0.0.1:9' }).location,
    'http://127.0.0.1:9/org/repo',
  );
  for (const bad of ['hf:org/repo@', 'hf:org/repo@a@b', 'hf:org/repo@../x']) assert.throws(() => parseSource(bad, {}), /from: .*REVISION/, bad);
});

test('URLs, absolute paths and file:// URLs; bad sources are refused naming "from"', () => {
  const u = parseSource('https://example.com/m/x%20y.gguf?sig=1', {});
  assert.deepEqual([u.kind, u.fileName], ['url', 'x_y.gguf']);
  const f = parseSource('/data/models/a.gguf', {});
  assert.deepEqual([f.kind, f.location, f.fileName], ['file', '/data/models/a.gguf', 'a.gguf']);
  assert.equal(parseSource('file:///tmp/b.gguf', {}).location, '/tmp/b.gguf');
  for (const [bad, re] of [
    ['relative/a.gguf', /from: .*absolute path/],
    ['hf:only-org', /from: .*hf:ORG\/REPO/],
    ['hf:org/../x', /from: /],
    ['s3://bucket/a.gguf', /from: unsupported scheme/],
    ['', /from: is required/],
  ] as const) {
    assert.throws(
      () => parseSource(bad, {}),
      (e: any) => e.code === 'invalid_argument' && re.test(e.message),
      bad,
    );
  }
});

test('model names and stored file names are safe', () => {
  assert.equal(validateModelName('llama-3.2-1b-q4'), 'llama-3.2-1b-q4');
  for (const bad of ['Upper', '-x', 'x-', 'a..b', 'a/b', '', 'x'.repeat(65)]) assert.throws(() => validateModelName(bad), /name: must be 1-64/);
  assert.equal(safeFileName('../../etc/passwd'), 'passwd');
  assert.equal(safeFileName('x.partial'), 'x.partial.bin');
});

test('the CLI makes relative paths absolute against its own directory (the server reads them)', () => {
  assert.equal(sourceArg('../shared/models/stories260K.gguf', '/work/main'), '/work/shared/models/stories260K.gguf');
  assert.equal(sourceArg('hf:a/b/c.gguf', '/x'), 'hf:a/b/c.gguf');
  assert.equal(sourceArg('https://h/x.gguf', '/x'), 'https://h/x.gguf');
});
