import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { InferscaleError, toInferscaleError, type ErrorCode } from '../core/errors.js';
import {
  isActive,
  metricSpec,
  metricValue,
  nextActivity,
  resolveTrigger,
  unknownDeployment,
  type KedaDeploymentSignals,
  type KedaMetricSpec,
  type KedaMetricValue,
} from './scaler.js';
import { scalerCredentials, type KedaTlsOptions } from './tls.js';

/**
 * inferscale as a KEDA external scaler: a gRPC server for KEDA's `externalscaler.ExternalScaler`
 * (proto/externalscaler.proto), so ScaledObjects with trigger type `external` or `external-push` can
 * scale on an inferscale deployment's signals. User docs: docs/keda.md.
 *
 * Trigger metadata (parsed in scaler.ts): `deployment` (required; missing or malformed answers
 * INVALID_ARGUMENT, unknown NOT_FOUND, the message naming the field), `metric` (`desiredReplicas`
 * (default), `ongoingRequests`, `queuedRequests`), `target` (0.001 to 1000000; default 1 for
 * desiredReplicas, 8 for the others; out of range answers INVALID_ARGUMENT naming `target` and the limits).
 *
 * - GetMetricSpec: one metric, `inferscale-<deployment>-<metric in kebab case>`, with the target.
 * - GetMetrics: the metric's current value (whatever metricName KEDA sends, the trigger's metadata decides).
 * - IsActive: ongoing + queued > 0, or desiredReplicas > 0.
 * - StreamIsActive: the activity at once, then again whenever it changes (source.onChange); ends with
 *   NOT_FOUND when the deployment disappears; unsubscribes when KEDA cancels it or the server closes
 *   (closing ends open streams with OK, and KEDA reconnects).
 *
 * With `desiredReplicas` and target 1, KEDA's HPA asks for inferscale's own decision. A Kubernetes
 * Deployment that inferscale manages must not be a ScaledObject's target: inferscale refuses to share
 * the replica count with an HPA. This is for companion workloads and for clusters that want KEDA's view
 * of inferscale's demand.
 */

export type { KedaDeploymentSignals } from './scaler.js';

export interface KedaSource {
  /** signals of a deployment by inferscale deployment name; undefined when there is no such deployment */
  signals(deployment: string): KedaDeploymentSignals | undefined;
  /** subscribe to changes of a deployment's signals (called at most ~once a second per deployment, plus at once when a request arrives at zero); returns an unsubscribe */
  onChange(fn: (deployment: string) => void): () => void;
}

export interface KedaScalerServer {
  port: number;
  close(): Promise<void>;
}

/** The wire messages, as @grpc/proto-loader hands them over (defaults filled in, int64 as numbers). */
export interface ScaledObjectRef {
  name: string;
  namespace: string;
  scalerMetadata: Record<string, string>;
}
export interface IsActiveResponse {
  result: boolean;
}
export interface GetMetricSpecResponse {
  metricSpecs: KedaMetricSpec[];
}
export interface GetMetricsRequest {
  scaledObjectRef: ScaledObjectRef | null;
  metricName: string;
}
export interface GetMetricsResponse {
  metricValues: KedaMetricValue[];
}

const PROTO_URL = new URL('../../proto/externalscaler.proto', import.meta.url);
let service: grpc.ServiceClientConstructor | undefined;

/** The ExternalScaler service from proto/externalscaler.proto (loaded once): `.service` for a server, `new` for a client. */
export function externalScalerService(): grpc.ServiceClientConstructor {
  if (!service) {
    const def = protoLoader.loadSync(fileURLToPath(PROTO_URL), { keepCase: true, longs: Number, defaults: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { externalscaler: { ExternalScaler: grpc.ServiceClientConstructor } };
    service = pkg.externalscaler.ExternalScaler;
  }
  return service;
}

const GRPC_STATUS: Partial<Record<ErrorCode, grpc.status>> = {
  invalid_argument: grpc.status.INVALID_ARGUMENT,
  not_found: grpc.status.NOT_FOUND,
};

/** The one place an error becomes a gRPC status. */
function toStatus(err: unknown): Partial<grpc.StatusObject> {
  const e = toInferscaleError(err);
  return { code: GRPC_STATUS[e.code] ?? grpc.status.INTERNAL, details: e.message };
}

export async function startKedaScaler(o: {
  host: string;
  port: number;
  source: KedaSource;
  log: (line: string) => void;
  /** serve TLS (and with a client CA, require client certificates); default plaintext */
  tls?: KedaTlsOptions;
}): Promise<KedaScalerServer> {
  const { source, log } = o;
  const { credentials, ready } = scalerCredentials(o.tls);
  /** enders of the open StreamIsActive streams, so close() does not wait on them */
  const streams = new Set<() => void>();

  const resolve = (ref: ScaledObjectRef | null | undefined) => {
    try {
      return resolveTrigger(ref?.scalerMetadata, (d) => source.signals(d));
    } catch (err) {
      return toInferscaleError(err);
    }
  };

  /** answers a unary call from `f`, or its error */
  function unary<Req, Res>(f: (req: Req) => Res | InferscaleError): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      let res: Res | InferscaleError;
      try {
        res = f(call.request);
      } catch (err) {
        res = toInferscaleError(err);
      }
      if (res instanceof InferscaleError) callback(toStatus(res));
      else callback(null, res);
    };
  }

  const streamIsActive: grpc.handleServerStreamingCall<ScaledObjectRef, IsActiveResponse> = (call) => {
    const first = resolve(call.request);
    if (first instanceof InferscaleError) {
      call.emit('error', toStatus(first));
      return;
    }
    const { deployment } = first.trigger;
    const who = `${call.request.namespace}/${call.request.name}`;
    let last: boolean | undefined;
    let done = false;
    let unsubscribe = (): void => {};
    const finish = (err?: InferscaleError): void => {
      if (done) return;
      done = true;
      unsubscribe();
      streams.delete(end);
      if (call.cancelled) return;
      if (err) call.emit('error', toStatus(err));
      else call.end();
    };
    const end = (): void => finish();
    const update = (signals: KedaDeploymentSignals | undefined): void => {
      if (done) return;
      const next = nextActivity(last, signals);
      if (next.kind === 'gone') finish(unknownDeployment(deployment));
      else if (next.kind === 'push') {
        last = next.active;
        call.write({ result: next.active } satisfies IsActiveResponse);
      }
    };
    streams.add(end);
    call.on('cancelled', () => {
      log(`keda: StreamIsActive from ${who} for "${deployment}" cancelled`);
      finish();
    });
    unsubscribe = source.onChange((d) => {
      if (d !== deployment || done) return;
      let signals: KedaDeploymentSignals | undefined;
      try {
        signals = source.signals(d);
      } catch (err) {
        finish(toInferscaleError(err));
        return;
      }
      update(signals);
    });
    log(`keda: StreamIsActive from ${who} for "${deployment}" opened`);
    update(first.signals);
  };

  const server = new grpc.Server();
  server.addService(externalScalerService().service, {
    IsActive: unary<ScaledObjectRef, IsActiveResponse>((ref) => {
      const r = resolve(ref);
      return r instanceof InferscaleError ? r : { result: isActive(r.signals) };
    }),
    StreamIsActive: streamIsActive,
    GetMetricSpec: unary<ScaledObjectRef, GetMetricSpecResponse>((ref) => {
      const r = resolve(ref);
      return r instanceof InferscaleError ? r : { metricSpecs: [metricSpec(r.trigger)] };
    }),
    GetMetrics: unary<GetMetricsRequest, GetMetricsResponse>((req) => {
      const r = resolve(req.scaledObjectRef);
      return r instanceof InferscaleError ? r : { metricValues: [metricValue(r.trigger, r.signals)] };
    }),
  } satisfies grpc.UntypedServiceImplementation);

  const address = o.host.includes(':') && !o.host.startsWith('[') ? `[${o.host}]:${o.port}` : `${o.host}:${o.port}`;
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync(address, credentials, (err, port) => {
      if (err) {
        server.forceShutdown();
        rej(new Error(`keda scaler: cannot listen on ${address}: ${err.message}`));
      } else res(port);
    }),
  );
  await ready.catch((e: Error) => {
    server.forceShutdown();
    throw new Error(`keda scaler: ${e.message}`);
  });
  const security = !o.tls ? 'plaintext' : o.tls.clientCaFile ? 'TLS, client certificates required' : 'TLS';
  log(`keda: external scaler (gRPC externalscaler.ExternalScaler) listening on ${o.host}:${port} (${security})`);

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((res) => {
        for (const end of [...streams]) end();
        server.tryShutdown(() => res());
      });
      return closing;
    },
  };
}
