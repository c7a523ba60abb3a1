import { Command, Option } from 'commander';
import { resolveDataDir } from '../config/paths.js';
import { startServer } from '../server/start-server.js';
import type { HaOptions } from '../cluster/member.js';
import type { OnExit } from '../server/shutdown-route.js';
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
    .option(
      '--on-exit <keep|stop>',
      'when the server stops (Ctrl-C, SIGTERM): keep the replicas running for the next start to adopt, or drain and stop them (`inferscale down` stops kept ones)',
      'keep',
    )
    .addOption(new Option('--stop-replicas-on-exit', 'the same as --on-exit stop').hideHelp())
    .option('--sleep-ram <size>', 'host RAM sleeping replicas may hold together, e.g. 64Gi; past it the least recently used stop (default half the RAM)')
    .action(async (o) => {
      const onExit = parseOnExit(o.onExit, !!o.stopReplicasOnExit);
      const dataDir = resolveDataDir(o.dataDir);
      let stop: (why: string, replicas: OnExit) => void = () => undefined;
      const num = (name: string, v: string | undefined, min: number, max: number) => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name}: must be an integer between ${min} and ${max}, got "${v}"`);
        return n;
      };
      const s = await startServer({
        host: o.host,
        port: num('--port', o.port, 0, 65535),
        dataDir,
        virtualGpus: num('--virtual-gpus', o.virtualGpus, 0, 1024),
        virtualGpuType: o.virtualGpuType,
        ...gpuSharing(o.virtualGpuMemory, o.packing),
        stopReplicasOnExit: onExit === 'stop',
        onShutdownRequest: (replicas) => stop('inferscale down', replicas),
        maxModelBytes: parseBytes('--max-model-bytes', o.maxModelBytes),
        sleepRamBytes: o.sleepRam === undefined ? undefined : parseBytes('--sleep-ram', o.sleepRam),
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
      stop = (why, replicas) => {
        if (closing) return;
        closing = true;
        // counted before the store closes: the replicas this machine runs (not a Kubernetes zone's pods)
        const kept = replicas === 'keep' ? s.store.listLiveReplicas().filter((r) => r.port !== null).length : 0;
        console.log(`${why}: stopping server${replicas === 'stop' ? ', draining and stopping its replicas' : ''}`);
        void s.close({ stopReplicas: replicas === 'stop' }).then(() => {
          if (kept) console.log(keptReplicasHint(kept, dataDir));
          process.exit(0);
        });
      };
      process.on('SIGINT', () => stop('SIGINT', onExit));
      process.on('SIGTERM', () => stop('SIGTERM', onExit));
    });
}

/** `--on-exit keep|stop` (and the older `--stop-replicas-on-exit`, the same as `stop`). */
export function parseOnExit(text: string, stopFlag: boolean): OnExit {
  if (text !== 'keep' && text !== 'stop') throw new Error(`--on-exit: keep or stop, got "${text}"`);
  return stopFlag ? 'stop' : text;
}

/** What a server stopped with `--on-exit keep` prints: its replicas still hold their GPUs, and how to stop them. */
export function keptReplicasHint(count: number, dataDir: string): string {
  const which = count === 1 ? '1 replica keeps' : `${count} replicas keep`;
  return [
    `${which} running, holding its GPUs, for the next "inferscale server" to adopt.`,
    `To stop ${count === 1 ? 'it' : 'them'}: inferscale down --data-dir ${dataDir}`,
    '(or start the server with --on-exit stop to stop them whenever it stops)',
  ].join('\n');
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
