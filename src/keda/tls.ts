/**
 * TLS for the KEDA scaler: a server certificate, and optionally a CA whose client certificates are then
 * required (mutual TLS, KEDA's `caCert` / `tlsClientCert` / `tlsClientKey`, or a TriggerAuthentication).
 * The files are checked when the server starts (an error names the flag) and read again every
 * REFRESH_MS, so a certificate that cert-manager rotates in its mounted Secret is used without a restart.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { InferscaleError } from '../core/errors.js';

export const REFRESH_MS = 60_000;

export interface KedaTlsOptions {
  certFile: string;
  keyFile: string;
  /** client certificates signed by this CA are required */
  clientCaFile?: string;
  /** how often the files are read again (default REFRESH_MS) */
  refreshMs?: number;
}

function check(flag: string, file: string, parse: (pem: Buffer) => unknown): void {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (e) {
    throw new InferscaleError('invalid_argument', `${flag}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      field: flag,
    });
  }
  try {
    parse(pem);
  } catch (e) {
    throw new InferscaleError(
      'invalid_argument',
      `${flag}: ${file} is not a PEM ${flag.endsWith('key') ? 'private key' : 'certificate'} (${(e as Error).message})`,
      { field: flag },
    );
  }
}

/** Checks the files (the server does at start, before it listens: an HA follower serves the scaler only once it leads). */
export function checkScalerTls(tls: KedaTlsOptions): void {
  check('--keda-tls-cert', tls.certFile, (pem) => new X509Certificate(pem));
  check('--keda-tls-key', tls.keyFile, (pem) => createPrivateKey(pem));
  if (tls.clientCaFile) check('--keda-tls-client-ca', tls.clientCaFile, (pem) => new X509Certificate(pem));
}

/** The first certificate a provider reads (it reads its files asynchronously; until then TLS handshakes fail). */
function firstRead(p: grpc.experimental.CertificateProvider, kind: 'identity' | 'ca'): Promise<void> {
  return new Promise((resolve, reject) => {
    const listener = (update: unknown) => {
      if (kind === 'identity') p.removeIdentityCertificateListener(listener);
      else p.removeCaCertificateListener(listener);
      if (update) resolve();
      else reject(new Error(`the ${kind === 'identity' ? 'certificate and key' : 'client CA'} could not be loaded`));
    };
    if (kind === 'identity') p.addIdentityCertificateListener(listener);
    else p.addCaCertificateListener(listener);
  });
}

/**
 * Server credentials: plaintext without `tls`; else TLS from files that are watched for rotation.
 * `ready` resolves once the files were read (serve only then).
 */
export function scalerCredentials(tls: KedaTlsOptions | undefined): { credentials: grpc.ServerCredentials; ready: Promise<void> } {
  if (!tls) return { credentials: grpc.ServerCredentials.createInsecure(), ready: Promise.resolve() };
  checkScalerTls(tls);
  const { FileWatcherCertificateProvider, createCertificateProviderServerCredentials } = grpc.experimental;
  const refreshIntervalMs = tls.refreshMs ?? REFRESH_MS;
  const identity = new FileWatcherCertificateProvider({ certificateFile: tls.certFile, privateKeyFile: tls.keyFile, refreshIntervalMs });
  const ca = tls.clientCaFile ? new FileWatcherCertificateProvider({ caCertificateFile: tls.clientCaFile, refreshIntervalMs }) : null;
  // grpc-js 1.14 declares the first parameter as the CA provider but passes it on as the identity (the
  // server's own certificate); the second is the CA (null: no client certificates asked for). The TLS
  // tests in server.test.ts fail if a later release changes that.
  const credentials = createCertificateProviderServerCredentials(identity, ca, ca !== null);
  return { credentials, ready: Promise.all([firstRead(identity, 'identity'), ca && firstRead(ca, 'ca')]).then(() => undefined) };
}
