// TLS and mutual TLS on the KEDA scaler: real certificates made with the openssl CLI, real gRPC clients.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { externalScalerService, startKedaScaler, type KedaScalerServer, type KedaSource } from './grpc-server.js';
import { scalerCredentials } from './tls.js';
import { waitFor } from '../test/harness.js';

let dir: string;
const file = (name: string) => join(dir, name);
const pem = (name: string) => readFileSync(file(name));
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A CA, and certificates it signs (for 127.0.0.1: the server; clientAuth: a client). */
function ca(name: string): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  );
}
function signed(name: string, by: string, ext: string): void {
  writeFileSync(file(`${name}.ext`), `${ext}\n`);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${by}.crt`,
    '-CAkey',
    `${by}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  );
}

const source: KedaSource = {
  signals: (d) => (d === 'chat' ? { desiredReplicas: 1, readyReplicas: 1, ongoing: 0, queued: 0 } : undefined),
  onChange: () => () => undefined,
};
const log = () => undefined;

/** IsActive over `creds`: the result, or the gRPC status code of the failure. */
function isActive(port: number, creds: grpc.ChannelCredentials): Promise<boolean | number> {
  const Ctor = externalScalerService();
  const client = new Ctor(`127.0.0.1:${port}`, creds) as unknown as grpc.Client & {
    IsActive: (req: unknown, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: { result: boolean }) => void) => void;
  };
  return new Promise((resolve) => {
    client.IsActive({ name: 'x', namespace: 'apps', scalerMetadata: { deployment: 'chat' } }, { deadline: Date.now() + 5_000 }, (e, r) => {
      client.close();
      resolve(e ? e.code : r.result);
    });
  });
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'keda-tls-'));
  ca('ca');
  ca('other-ca');
  signed('server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  signed('client', 'ca', 'extendedKeyUsage=clientAuth');
  signed('stranger', 'other-ca', 'extendedKeyUsage=clientAuth');
  signed('server2', 'other-ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the KEDA scaler over TLS', () => {
  let s: KedaScalerServer | undefined;
  after(async () => s?.close());

  it('serves TLS clients that trust its CA; a plaintext client gets nothing', async () => {
    s = await startKedaScaler({ host: '127.0.0.1', port: 0, source, log, tls: { certFile: file('server.crt'), keyFile: file('server.key') } });
    assert.equal(await isActive(s.port, grpc.credentials.createSsl(pem('ca.crt'))), true);
    assert.equal(await isActive(s.port, grpc.credentials.createInsecure()), grpc.status.UNAVAILABLE);
    assert.equal(await isActive(s.port, grpc.credentials.createSsl(pem('other-ca.crt'))), grpc.status.UNAVAILABLE, 'a client that does not trust the server');
    await s.close();
    s = undefined;
  });

  it('with a client CA, only clients with a certificate it signed get in (mutual TLS)', async () => {
    s = await startKedaScaler({
      host: '127.0.0.1',
      port: 0,
      source,
      log,
      tls: { certFile: file('server.crt'), keyFile: file('server.key'), clientCaFile: file('ca.crt') },
    });
    assert.equal(await isActive(s.port, grpc.credentials.createSsl(pem('ca.crt'), pem('client.key'), pem('client.crt'))), true);
    assert.equal(await isActive(s.port, grpc.credentials.createSsl(pem('ca.crt'))), grpc.status.UNAVAILABLE, 'no client certificate');
    assert.equal(
      await isActive(s.port, grpc.credentials.createSsl(pem('ca.crt'), pem('stranger.key'), pem('stranger.crt'))),
      grpc.status.UNAVAILABLE,
      'signed by another CA',
    );
    await s.close();
    s = undefined;
  });

  it('a rotated certificate (new files in place) is served without a restart', async () => {
    copyFileSync(file('server.crt'), file('live.crt'));
    copyFileSync(file('server.key'), file('live.key'));
    s = await startKedaScaler({ host: '127.0.0.1', port: 0, source, log, tls: { certFile: file('live.crt'), keyFile: file('live.key'), refreshMs: 200 } });
    assert.equal(await isActive(s.port, grpc.credentials.createSsl(pem('ca.crt'))), true);
    copyFileSync(file('server2.crt'), file('live.crt'));
    copyFileSync(file('server2.key'), file('live.key'));
    await waitFor(async () => (await isActive(s!.port, grpc.credentials.createSsl(pem('other-ca.crt')))) === true, { what: 'the new certificate served' });
    await s.close();
    s = undefined;
  });

  it('the server command refuses half a TLS setting, or a bad file, before it starts anything', async () => {
    const main = fileURLToPath(new URL('../cli/main.js', import.meta.url));
    const data = mkdtempSync(join(tmpdir(), 'keda-tls-data-'));
    const server = (...flags: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [main, 'server', '--port', '0', '--data-dir', data, '--virtual-gpus', '1', '--keda-port', '0', ...flags],
          { timeout: 30_000 },
          (e, _out, stderr) => resolve({ code: e ? (e.code as number) : 0, stderr }),
        );
      });
    const half = await server('--keda-tls-cert', file('server.crt'));
    assert.equal(half.code, 1);
    assert.match(half.stderr, /--keda-tls-cert and --keda-tls-key: give both \(got --keda-tls-cert only\)/);
    const bad = await server('--keda-tls-cert', file('server.crt'), '--keda-tls-key', file('ca.crt'));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /error \(invalid_argument\): --keda-tls-key: .*ca\.crt is not a PEM private key/);
    assert.equal(existsSync(join(data, 'inferscale.db')), false, 'nothing was created');
    rmSync(data, { recursive: true, force: true });
  });

  it('unreadable or wrong files are refused at start, naming the flag', () => {
    assert.throws(() => scalerCredentials({ certFile: file('nope.crt'), keyFile: file('server.key') }), /--keda-tls-cert: cannot read .*nope\.crt: ENOENT/);
    assert.throws(
      () => scalerCredentials({ certFile: file('server.crt'), keyFile: file('server.crt') }),
      /--keda-tls-key: .*server\.crt is not a PEM private key/,
    );
    assert.throws(
      () => scalerCredentials({ certFile: file('server.crt'), keyFile: file('server.key'), clientCaFile: file('server.key') }),
      /--keda-tls-client-ca: .* is not a PEM certificate/,
    );
  });
});
