import { Command } from 'commander';
import { resolveDataDir } from '../config/paths.js';
import { startServer } from '../server/start-server.js';
import type { HaOptions } from '../cluster/member.js';
import type { KedaTlsOptions } from '../keda/tls.js';
import { gpuSharing } from '../placement/server-flags.js';

export function serverCommand(): Command {
  return new Command('server')
    .description('run the API, gateway and controller on this machine')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port', '8080')
    .option('--data-dir <dir>', 'state directory (default $INFERSCALE_DATA_DIR or ~/.inferscale)')
    .option('--virtual-gpus <n>', 'offer N virtual GPU slots instead of detecting NVIDIA GPUs')
    .option('--virtual-gpu-type <name>', 'type name of the virtual GPUs', 'vgpu')
    .option('--virtual-gpu-memory <size>', 'memory of each virtual GPU, e.g. 80Gi (lets --gpu-memory deployments share them)')
    .option('--packing <policy>', 'fractional replicas onto GPUs: binpack (fullest that fits) or spread (emptiest)', 'binpack')
    .option('--zones <file>', 'zones config (Kubernetes clusters); default $INFERSCALE_ZONES, else only the local zone')
    .option(
      '--ha <zone>',
      "run as one of several server replicas on Kubernetes: the state lives in this zone's namespace and a Lease picks the leader (default $INFERSCALE_HA_ZONE)",
    )
    .option('--ha-lease-seconds <s>', 'HA: how long a leader that stopped renewing keeps the Lease (renew deadline 2/3 of it, retries every 2/15)', '15')
    .option('--keda-port <port>', "serve KEDA's external scaler gRPC protocol on this port (docs/keda.md; default $INFERSCALE_KEDA_PORT, else off)")
    .option('--keda-tls-cert <file>', 'KEDA scaler: serve TLS with this PEM certificate (with --keda-tls-key; default $INFERSCALE_KEDA_TLS_CERT)')
    .option('--keda-tls-key <file>', "KEDA scaler: the certificate's PEM private key (default $INFERSCALE_KEDA_TLS_KEY)")
    .option(
      '--keda-tls-client-ca <file>',
      'KEDA scaler: require client certificates signed by this PEM CA (mutual TLS; default $INFERSCALE_KEDA_TLS_CLIENT_CA)',
    )
    .option(
      '--upstream-headers-timeout <s>',
      'gateway: seconds a replica may take to send response headers (a non-streamed completion: its whole answer) before the request fails over or ends 504 (docs/reliability.md)',
      '600',
    )
    .option(
      '--upstream-idle-timeout <s>',
      'gateway: seconds a replica may stay silent mid-response, or a client leave a response unread, before it ends',
      '300',
    )
    .option('--max-model-bytes <size>', 'the largest model file the model store downloads or copies, e.g. 80G (K, M, G, T: powers of 1024)', '256G')
    .option('--metrics-token <token>', '/metrics answers only "Authorization: Bearer <token>" (default $INFERSCALE_METRICS_TOKEN, else open)')
    .option(
      '--allow-private-sources',
      'let `model create --from` fetch from link-local and cloud-metadata addresses (169.254.0.0/16, fe80::/10, metadata.google.internal)',
    )
    .option('--stop-replicas-on-exit', 'stop replica processes when the server stops (default: keep them for the next start to adopt)')
    .action(async (o) => {
      const num = (name: string, v: string | undefined, min: number, max: number) => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name}: must be an integer between ${min} and ${max}, got "${v}"`);
        return n;
      };
      const s = await startServer({
        host: o.host,
        port: num('--port', o.port, 0, 65535),
        dataDir: resolveDataDir(o.dataDir),
        virtualGpus: num('--virtual-gpus', o.virtualGpus, 0, 1024),
        virtualGpuType: o.virtualGpuType,
        ...gpuSharing(o.virtualGpuMemory, o.packing),
        stopReplicasOnExit: !!o.stopReplicasOnExit,
        maxModelBytes: parseBytes('--max-model-bytes', o.maxModelBytes),
        allowPrivateSources: !!o.allowPrivateSources,
        metricsToken: o.metricsToken ?? (process.env.INFERSCALE_METRICS_TOKEN || undefined),
        zonesFile: o.zones,
        kedaPort: num('--keda-port', o.kedaPort ?? process.env.INFERSCALE_KEDA_PORT, 0, 65535),
        kedaTls: kedaTls(
          o.kedaTlsCert ?? process.env.INFERSCALE_KEDA_TLS_CERT,
          o.kedaTlsKey ?? process.env.INFERSCALE_KEDA_TLS_KEY,
          o.kedaTlsClientCa ?? process.env.INFERSCALE_KEDA_TLS_CLIENT_CA,
        ),
        gateway: {
          upstreamHeadersTimeoutMs: num('--upstream-headers-timeout', o.upstreamHeadersTimeout, 1, 86_400)! * 1000,
          upstreamIdleTimeoutMs: num('--upstream-idle-timeout', o.upstreamIdleTimeout, 1, 86_400)! * 1000,
        },
        ha:
          (o.ha ?? process.env.INFERSCALE_HA_ZONE)
            ? haOptions(o.ha ?? process.env.INFERSCALE_HA_ZONE, num('--ha-lease-seconds', o.haLeaseSeconds, 3, 300)!)
            : undefined,
      });
      let closing = false;
      const stop = (sig: string) => {
        if (closing) return;
        closing = true;
        console.log(`${sig}: stopping server${o.stopReplicasOnExit ? ' and replicas' : '; replicas keep running and are adopted at the next start'}`);
        void s.close().then(() => process.exit(0));
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}

/** The election timings from one number, in client-go's default proportions (15 s / 10 s / 2 s). */
export function haOptions(zone: string, leaseSeconds: number): HaOptions {
  const ms = leaseSeconds * 1000;
  return { zone, leaseDurationMs: ms, renewDeadlineMs: Math.round((ms * 2) / 3), retryPeriodMs: Math.round((ms * 2) / 15) };
}

/** The KEDA scaler's TLS files: a certificate needs its key (and a client CA needs both). */
function kedaTls(certFile: string | undefined, keyFile: string | undefined, clientCaFile: string | undefined): KedaTlsOptions | undefined {
  if (!certFile && !keyFile && !clientCaFile) return undefined;
  if (!certFile || !keyFile)
    throw new Error(
      `--keda-tls-cert and --keda-tls-key: give both (got ${certFile ? '--keda-tls-cert only' : keyFile ? '--keda-tls-key only' : '--keda-tls-client-ca only'})`,
    );
  return { certFile, keyFile, clientCaFile };
}

/** "80G", "512M", "1T", "1048576" -> bytes (K, M, G, T are powers of 1024). */
export function parseBytes(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT])?i?B?$/i.exec(text.trim());
  if (!m) throw new Error(`${flag}: a size like 80G, 512M or a number of bytes, got "${text}"`);
  const power = m[2] ? 'KMGT'.indexOf(m[2].toUpperCase()) + 1 : 0;
  return Math.round(Number(m[1]) * 1024 ** power);
}
