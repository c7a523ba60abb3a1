/** The Kubernetes clients of one zone, from a kubeconfig or in-cluster credentials, and error helpers. */
import { homedir } from 'node:os';
import {
  ApiException,
  AppsV1Api,
  AutoscalingV2Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';

export interface KubeConfigSource {
  kubeconfig?: string;
  context?: string;
}

/**
 * A kubeconfig file when given; else the pod's service account when running in a cluster; else
 * $KUBECONFIG or ~/.kube/config (the client library's default order).
 */
export function loadKubeConfig(src: KubeConfigSource, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (src.kubeconfig) kc.loadFromFile(src.kubeconfig.startsWith('~/') ? homedir() + src.kubeconfig.slice(1) : src.kubeconfig);
  else if (env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (src.context) kc.setCurrentContext(src.context);
  return kc;
}

export class KubeClient {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly policy: PolicyV1Api;
  readonly autoscaling: AutoscalingV2Api;
  readonly coordination: CoordinationV1Api;
  readonly custom: CustomObjectsApi;

  constructor(
    readonly kc: KubeConfig,
    readonly namespace: string,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.policy = kc.makeApiClient(PolicyV1Api);
    this.autoscaling = kc.makeApiClient(AutoscalingV2Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }
}

/**
 * Patch calls of @kubernetes/client-node default to JSON Patch; a merge-patch body needs its own
 * Content-Type or the API server refuses it.
 */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The HTTP status of an API error, or undefined for anything else (network errors included). */
export function apiStatus(e: unknown): number | undefined {
  if (e instanceof ApiException) return e.code;
  const code = (e as { code?: unknown; statusCode?: unknown })?.statusCode ?? (e as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (e: unknown) => apiStatus(e) === 404;
export const isConflict = (e: unknown) => apiStatus(e) === 409;
export const isForbidden = (e: unknown) => apiStatus(e) === 403;

/** One line for logs and events: the API server's message when there is one. */
export function apiMessage(e: unknown): string {
  if (e instanceof ApiException) {
    const body = e.body as { message?: string } | string | undefined;
    const msg =
      typeof body === 'string'
        ? (() => {
            try {
              return JSON.parse(body).message;
            } catch {
              return body;
            }
          })()
        : body?.message;
    return `HTTP ${e.code}${msg ? `: ${msg}` : ''}`;
  }
  return (e as Error)?.message ?? String(e);
}

/** Dates arrive as Date from typed list calls and as strings from watch events. */
export function toMs(v: Date | string | undefined | null): number | undefined {
  if (v === undefined || v === null) return undefined;
  const ms = v instanceof Date ? v.getTime() : Date.parse(v);
  return Number.isFinite(ms) ? ms : undefined;
}
