// Integration: runs main.js as a real child process.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LISTENING_PREFIX } from './main.js';
import { sseEvents } from './sim-harness.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/** Collects a child's stdout lines and lets a test wait for one matching a pattern. */
function lines(child: ChildProcess) {
  const seen: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    seen.push(l);
    for (const w of waiters.filter((w) => w.re.test(l))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(l);
    }
  });
  return {
    seen,
    next: (re: RegExp) =>
      new Promise<string>((resolve) => {
        const hit = seen.find((l) => re.test(l));
        if (hit) resolve(hit);
        else waiters.push({ re, resolve });
      }),
  };
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

test('bad engine flags exit 2 with the reason on stderr', async () => {
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--itl-ms', '99999'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  assert.equal(await exitOf(child), 2);
  assert.match(err, /--itl-ms must be between 0 and 10000, got 99999/);
});

test('child process: LISTENING line, serves, and on SIGTERM finishes the open stream then exits 0', async () => {
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--startup-seconds', '0', '--itl-ms', '1', '--model-name', 'm1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CUDA_VISIBLE_DEVICES: '3' },
  });
  try {
    const out = lines(child);
    const first = await out.next(/./);
    assert.match(first, new RegExp(`^${LISTENING_PREFIX} port=\\d+$`));
    const port = Number(first.split('=')[1]);
    assert.ok(port > 0);
    assert.match(await out.next(/CUDA_VISIBLE_DEVICES/), /CUDA_VISIBLE_DEVICES=3/);
    const base = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${base}/health`)).status, 200);

    const maxTokens = 200;
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'hi' }], max_tokens: maxTokens, stream: true }),
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('data: ')) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'stream ended before the first token');
      text += decoder.decode(value, { stream: true });
    }
    child.kill('SIGTERM');
    await out.next(/received SIGTERM/);
    const refused = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => (sock.destroy(), resolve(false)));
      sock.once('error', () => resolve(true));
    });
    assert.ok(refused, 'no new connections after SIGTERM');
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const events = sseEvents(text);
    assert.equal(events.at(-1), '[DONE]');
    assert.equal(events.length, maxTokens + 1, 'every token arrived');
    assert.equal(await exitOf(child), 0);
    assert.ok(
      out.seen.some((l) => /^POST \/v1\/chat\/completions 200 \d+ms$/.test(l)),
      out.seen.join('\n'),
    );
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
