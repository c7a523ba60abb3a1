import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { createHandler, normalisePath } from './handler.js';

test('paths are normalised before routing; encoded dots and slashes are refused', () => {
  assert.equal(normalisePath('/api/v1/health/../deployments'), '/api/v1/deployments');
  assert.equal(normalisePath('/api/v1//deployments/./x?a=../b'), '/api/v1/deployments/x?a=../b');
  assert.equal(normalisePath('/d/chat/v1/../../../api/v1/gpus'), '/api/v1/gpus');
  assert.equal(normalisePath('/..'), '/');
  assert.equal(normalisePath('/api/v1/%2e%2e/deployments'), undefined);
  assert.equal(normalisePath('/api/v1/deployments%2Fx'), undefined);
  assert.equal(normalisePath('/d/chat/v1/chat/completions'), '/d/chat/v1/chat/completions');
  assert.equal(normalisePath('/api/v1/deployments/caf%C3%A9'), '/api/v1/deployments/caf%C3%A9');
});

const listen = (s: Server) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)));

test('a follower answers /api/v1/health itself, but /api/v1/health/../deployments goes to the leader', async () => {
  const leaderSaw: string[] = [];
  const leader = createServer((req, res) => {
    leaderSaw.push(req.url!);
    res.end('{}');
  });
  const leaderPort = await listen(leader);
  const localSaw: string[] = [];
  const handler = createHandler({
    gateway: { handle: () => false } as never,
    api: (req, res) => {
      localSaw.push(req.url!);
      res.end('{}');
    },
    metrics: {} as never,
    observability: { handle: () => false },
    member: () =>
      ({
        currentRole: 'follower',
        leaderUrl: () => `http://127.0.0.1:${leaderPort}`,
        verifiedLeaderUrl: async () => `http://127.0.0.1:${leaderPort}`,
      }) as never,
    started: () => true,
  });
  const follower = createServer(handler);
  const port = await listen(follower);
  try {
    for (const p of ['/api/v1/health', '/api/v1/health/../deployments', '/api/v1/healthy', '/api/v1/cluster/../gpus']) {
      // sent as is (fetch would resolve the dots itself)
      await new Promise<void>((resolve, reject) => {
        const c = connect(port, '127.0.0.1', () => c.write(`GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
        c.on('data', () => undefined);
        c.on('close', () => resolve());
        c.on('error', reject);
      });
    }
    assert.deepEqual(localSaw, ['/api/v1/health']);
    assert.deepEqual(leaderSaw, ['/api/v1/deployments', '/api/v1/healthy', '/api/v1/gpus']);
  } finally {
    follower.close();
    leader.close();
  }
});

test("a follower sends nothing to a Lease URL not shown to be a server pod's: 503 no_leader", async () => {
  const handler = createHandler({
    gateway: { handle: () => false } as never,
    api: () => assert.fail('answered locally'),
    metrics: {} as never,
    observability: { handle: () => false },
    member: () => ({ currentRole: 'follower', leaderUrl: () => 'http://169.254.169.254', verifiedLeaderUrl: async () => undefined }) as never,
    started: () => true,
  });
  const follower = createServer(handler);
  const port = await listen(follower);
  try {
    const r = await fetch(`http://127.0.0.1:${port}/api/v1/deployments`, { headers: { authorization: 'Bearer ist-admin' } });
    assert.equal(r.status, 503);
    const body = (await r.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'no_leader');
    assert.match(body.error.message, /169\.254\.169\.254, not shown to be a server pod's/);
  } finally {
    follower.close();
  }
});

test('/metrics with a metrics token: 401 without it, the text with it', async () => {
  const handler = createHandler({
    gateway: { handle: () => false } as never,
    api: () => assert.fail('not the API'),
    metrics: { registry: { metrics: async () => 'up 1\n', contentType: 'text/plain' } } as never,
    observability: { handle: () => false },
    member: () => undefined,
    started: () => true,
    metricsToken: 'imt-secret',
  });
  const server = createServer(handler);
  const port = await listen(server);
  try {
    const none = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'unauthorized');
    assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: 'Bearer imt-wrong' } })).status, 401);
    const ok = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: 'Bearer imt-secret' } });
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'up 1\n');
  } finally {
    server.close();
  }
});
