/**
 * Shared state in the cluster. The leader writes every deployment as an InferenceDeployment resource
 * (spec, then status through the status subresource) plus its key-hash Secret, and deletes those of
 * deleted deployments (DeploymentMirror). Every gateway replica reads them back into deployment rows
 * (ClusterDeployments), so followers authenticate and route without the leader's SQLite file.
 */
import { isDeepStrictEqual } from 'node:util';
import type { V1Secret } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.js';
import type { DeploymentRow } from '../store/store.js';
import { apiMessage, isConflict, isNotFound, type KubeClient } from '../providers/kubernetes/client.js';
import {
  ANNOTATION_ID,
  appliedSpec,
  FINALIZER,
  CRD_GROUP,
  CRD_PLURAL,
  CRD_VERSION,
  fromResource,
  keySecret,
  keySecretName,
  toResource,
  type InferenceDeploymentResource,
  type MirroredDeployment,
} from '../providers/kubernetes/crd.js';
import type { CapacitySpec } from '../domain/capacity.js';
import { createRefusedConditions, deploymentConditions, editReason } from '../providers/kubernetes/crd-conditions.js';
import { WatchedCache } from '../providers/kubernetes/informer.js';
import type { SharedModel } from '../models/service.js';
import { LABEL_DEPLOYMENT, LABEL_MANAGED_BY, MANAGED_BY, MANAGED_SELECTOR } from '../providers/kubernetes/labels.js';

const crd = { group: CRD_GROUP, version: CRD_VERSION, plural: CRD_PLURAL };
/** the ConfigMap holding server-wide settings every leader restores: GPU quotas, the model catalog, GPU prices */
export const SETTINGS_CONFIGMAP = 'inferscale-settings';
const QUOTAS_KEY = 'gpu-quotas.json';
const MODELS_KEY = 'models.json';
const PRICES_KEY = 'gpu-prices.json';
const SPOT_PRICES_KEY = 'gpu-spot-prices.json';

/** What the settings ConfigMap holds (models: those pods can fetch, src/models SharedModel). */
export interface ClusterSettings {
  quotas: Record<string, number>;
  models: SharedModel[];
  /** USD per GPU-hour by GPU type (`cost prices`) */
  prices: Record<string, number>;
  /** USD per GPU-hour on spot nodes by GPU type (`cost price set TYPE USD --spot USD`) */
  spotPrices?: Record<string, number>;
}
/** Equal as JSON, whatever the key order (the API server returns a resource's keys sorted) and without undefined fields. */
const plain = (a: unknown): unknown => (a === undefined ? undefined : JSON.parse(JSON.stringify(a)));
const same = (a: unknown, b: unknown) => isDeepStrictEqual(plain(a), plain(b));

/** How often the leader checks a key Secret it already wrote (it is recreated if someone deleted it), unless a watch says it is gone sooner. */
export const SECRET_RECHECK_MS = 60_000;

export interface MirrorOptions {
  now?: () => number;
  /** whether a watch still sees this key Secret (absent: it is checked again at once) */
  secretSeen?: (name: string) => boolean;
  /** a deployment's capacity type and on-demand floor (by id), written into its spec (absent: on-demand) */
  capacityOf?: (deploymentId: string) => CapacitySpec;
}

/** A change someone made to a resource's spec (e.g. `kubectl edit`): the fields that differ from what the leader last wrote. */
export type SpecEdit = Record<string, unknown>;

/** What came of an edit: the deployment as it then stands, and what to say on the resource (a Kubernetes Event). */
export interface EditOutcome {
  row: DeploymentRow;
  refused: boolean;
  message: string;
  /** the error code of a refused edit (`autoscaling_enabled`: a scale of an autoscaled deployment) */
  code?: string;
}

/** What the leader does about changes made to the resources in the cluster (src/cluster/edits.ts). */
export interface MirrorHooks {
  /** a deployment's spec was changed: apply what can be */
  onEdit?: (d: DeploymentRow, edit: SpecEdit) => EditOutcome;
  /** a resource someone created (`kubectl apply`): the deployment made from it, or why none was */
  onApply?: (r: InferenceDeploymentResource) => DeploymentRow | Error;
  /** a deployment's resource is being deleted (`kubectl delete`): delete the deployment (drain, then stop) */
  onDelete?: (d: DeploymentRow) => void;
}

export class DeploymentMirror {
  /** per key Secret: its data as last written or checked, and when */
  private readonly secrets = new Map<string, { data: unknown; at: number }>();

  private readonly now: () => number;

  constructor(
    private readonly k: KubeClient,
    private readonly log: (line: string) => void,
    private readonly o: MirrorOptions = {},
  ) {
    this.now = o.now ?? Date.now;
  }

  /**
   * Writes `rows` (with their ready counts) and the resources' fate:
   * - a spec someone changed since a leader wrote it (its applied-spec annotation) goes to `onEdit` first,
   *   with the changed fields; what it returns is written (the edit kept, or set back);
   * - a resource being deleted goes to `onDelete`; it stays (our finalizer) until its deployment is gone;
   * - a resource someone created goes to `onApply`; the deployment made from it is written into it, or
   *   its status says why none was;
   * - the resources of deployments that are gone are deleted (the finalizer released), with their key Secrets.
   */
  async sync(rows: readonly DeploymentRow[], ready: (id: string) => number, coldStartMs?: (id: string) => number, hooks: MirrorHooks = {}): Promise<void> {
    const namespace = this.k.namespace;
    const list = (await this.k.custom.listNamespacedCustomObject({ ...crd, namespace })) as { items: InferenceDeploymentResource[] };
    const byName = new Map(list.items.map((r) => [r.metadata.name, r]));
    const live = new Map(rows.map((d) => [d.name, d]));
    // a resource is a deployment's when it carries that deployment's id (not one copied from another's YAML)
    const ours = (r: InferenceDeploymentResource) => {
      const id = r.metadata.annotations?.[ANNOTATION_ID];
      const owner = id ? rows.find((d) => d.id === id) : undefined;
      return !!id && (!owner || owner.name === r.metadata.name);
    };
    for (const d of rows.filter((x) => !x.deleting)) {
      try {
        const cur = byName.get(d.name);
        if (cur?.metadata.deletionTimestamp && ours(cur)) {
          if (hooks.onDelete) {
            hooks.onDelete(d);
            await this.event(cur, 'Normal', 'Deleting', `deleting deployment ${d.name}: its replicas drain, then stop; the resource goes with them`);
          }
          continue;
        }
        const edit = cur && ours(cur) && hooks.onEdit ? this.editOf(cur) : undefined;
        const outcome = edit ? hooks.onEdit!(d, edit) : undefined;
        await this.write(outcome?.row ?? d, cur, ready(d.id), coldStartMs?.(d.id), outcome);
        if (outcome && cur) await this.event(cur, outcome.refused ? 'Warning' : 'Normal', editReason(outcome), outcome.message);
      } catch (e) {
        this.log(`mirror: ${d.name}: ${apiMessage(e)}`);
      }
    }
    for (const r of list.items) {
      if (!hooks.onApply || ours(r) || live.has(r.metadata.name) || r.metadata.deletionTimestamp) continue;
      try {
        const made = hooks.onApply(r);
        if (made instanceof Error) await this.refuse(r, made.message);
        else {
          await this.write(made, r, ready(made.id), coldStartMs?.(made.id));
          await this.event(r, 'Normal', 'Created', `created deployment ${made.name} (its API key: inferscale deployment reveal-api-key ${made.name})`);
        }
      } catch (e) {
        this.log(`mirror: ${r.metadata.name}: ${apiMessage(e)}`);
      }
    }
    for (const r of list.items) {
      const { name } = r.metadata;
      const d = live.get(name);
      if (!ours(r) || (d && !d.deleting)) continue;
      if (!r.metadata.deletionTimestamp)
        await this.k.custom
          .deleteNamespacedCustomObject({ ...crd, namespace, name })
          .catch((e) => !isNotFound(e) && this.log(`mirror: delete ${name}: ${apiMessage(e)}`));
      if (d) continue; // draining: the resource shows it until the deployment is gone
      await this.release(name).catch((e) => this.log(`mirror: release ${name}: ${apiMessage(e)}`));
      await this.k.core
        .deleteNamespacedSecret({ name: keySecretName(name), namespace })
        .catch((e) => !isNotFound(e) && this.log(`mirror: delete key of ${name}: ${apiMessage(e)}`));
      this.secrets.delete(keySecretName(name));
    }
  }

  /** Removes our finalizer from a resource being deleted, so that it goes. */
  private async release(name: string): Promise<void> {
    const namespace = this.k.namespace;
    let r: InferenceDeploymentResource;
    try {
      r = (await this.k.custom.getNamespacedCustomObject({ ...crd, namespace, name })) as InferenceDeploymentResource;
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (!r.metadata.finalizers?.includes(FINALIZER)) return;
    await this.k.custom.replaceNamespacedCustomObject({
      ...crd,
      namespace,
      name,
      body: { ...r, metadata: { ...r.metadata, finalizers: r.metadata.finalizers.filter((f) => f !== FINALIZER) } },
    });
  }

  /** A resource no deployment could be made from: its status says why (written when it changes). */
  private async refuse(r: InferenceDeploymentResource, message: string): Promise<void> {
    const generation = (r.metadata as { generation?: number }).generation;
    const status = {
      status: 'failed',
      statusDetails: `not created: ${message}`,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      conditions: createRefusedConditions(message, r.status?.conditions, this.now(), generation),
    };
    if (same(r.status, status)) return;
    this.log(`mirror: InferenceDeployment ${r.metadata.name} applied in the cluster: ${status.statusDetails}`);
    await this.k.custom.replaceNamespacedCustomObjectStatus({ ...crd, namespace: this.k.namespace, name: r.metadata.name, body: { ...r, status } });
    await this.event(r, 'Warning', 'CreateRefused', message);
  }

  /** A Kubernetes Event on a resource (what `kubectl describe` shows); best effort: a failure is logged. */
  private async event(r: InferenceDeploymentResource, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const namespace = this.k.namespace;
    const now = new Date(this.now());
    try {
      await this.k.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${r.metadata.name}.` },
          involvedObject: {
            apiVersion: `${CRD_GROUP}/${CRD_VERSION}`,
            kind: 'InferenceDeployment',
            name: r.metadata.name,
            namespace,
            uid: (r.metadata as { uid?: string }).uid,
          },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: 'inferscale' },
          reportingComponent: 'inferscale',
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (e) {
      this.log(`mirror: event on ${r.metadata.name}: ${apiMessage(e)}`);
    }
  }

  /** The spec fields of `cur` that differ from what a leader last wrote (undefined: none, or no record of it). */
  private editOf(cur: InferenceDeploymentResource): SpecEdit | undefined {
    const last = appliedSpec(cur);
    if (!last || same(cur.spec, last)) return undefined;
    const edit: SpecEdit = {};
    for (const key of new Set([...Object.keys(last), ...Object.keys(cur.spec)])) {
      if (!same(cur.spec[key], last[key])) edit[key] = plain(cur.spec[key]) ?? null;
    }
    return edit;
  }

  /** Writes the GPU quotas (`limits gpu`), the model catalog and the GPU prices (on-demand and spot) into the settings ConfigMap when they changed. */
  async syncSettings(s: ClusterSettings): Promise<void> {
    const namespace = this.k.namespace;
    const data = {
      [QUOTAS_KEY]: sortedJson(s.quotas),
      [MODELS_KEY]: JSON.stringify([...s.models].sort((a, b) => a.name.localeCompare(b.name))),
      [PRICES_KEY]: sortedJson(s.prices),
      [SPOT_PRICES_KEY]: sortedJson(s.spotPrices ?? {}),
    };
    try {
      const cm = await this.k.core.readNamespacedConfigMap({ name: SETTINGS_CONFIGMAP, namespace });
      if (Object.entries(data).every(([k, v]) => cm.data?.[k] === v)) return;
      await this.k.core.replaceNamespacedConfigMap({ name: SETTINGS_CONFIGMAP, namespace, body: { ...cm, data: { ...cm.data, ...data } } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await this.k.core.createNamespacedConfigMap({
        namespace,
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: SETTINGS_CONFIGMAP, labels: { [LABEL_MANAGED_BY]: MANAGED_BY } }, data },
      });
    }
  }

  private async write(
    d: DeploymentRow,
    cur: InferenceDeploymentResource | undefined,
    ready: number,
    coldStartMs: number | undefined,
    edit?: EditOutcome,
  ): Promise<void> {
    const namespace = this.k.namespace;
    const want = toResource(d, ready, coldStartMs, this.o.capacityOf?.(d.id));
    const secret = keySecret(d);
    const name = secret.metadata!.name!;
    const known = this.secrets.get(name);
    if (!known || !same(known.data, secret.data) || this.now() - known.at >= SECRET_RECHECK_MS || this.o.secretSeen?.(name) === false) {
      try {
        await this.k.core.createNamespacedSecret({ namespace, body: secret });
      } catch (e) {
        if (!isConflict(e)) throw e;
        const s = await this.k.core.readNamespacedSecret({ name, namespace });
        if (Object.entries(secret.data!).some(([k, v]) => s.data?.[k] !== v))
          await this.k.core.replaceNamespacedSecret({ name, namespace, body: { ...s, data: secret.data } });
      }
      this.secrets.set(name, { data: secret.data, at: this.now() });
    }
    let obj = cur;
    if (!obj)
      obj = (await this.k.custom.createNamespacedCustomObject({ ...crd, namespace, body: { ...want, status: undefined } })) as InferenceDeploymentResource;
    else if (
      !same(obj.spec, want.spec) ||
      Object.entries({ ...want.metadata.annotations, ...want.metadata.labels }).some(
        ([key, v]) => (obj!.metadata.annotations?.[key] ?? obj!.metadata.labels?.[key]) !== v,
      ) ||
      !obj.metadata.finalizers?.includes(FINALIZER)
    ) {
      // others' labels, annotations (kubectl's last-applied-configuration) and finalizers are kept
      const metadata = {
        ...obj.metadata,
        labels: { ...obj.metadata.labels, ...want.metadata.labels },
        annotations: { ...obj.metadata.annotations, ...want.metadata.annotations },
        finalizers: [...new Set([...(obj.metadata.finalizers ?? []), FINALIZER])],
      };
      obj = (await this.k.custom.replaceNamespacedCustomObject({
        ...crd,
        namespace,
        name: d.name,
        body: { ...obj, metadata, spec: want.spec },
      })) as InferenceDeploymentResource;
    }
    // what `kubectl wait --for=condition=Ready` and GitOps health checks read, for the generation just written
    const generation = (obj.metadata as { generation?: number }).generation;
    const conditions = deploymentConditions(
      { status: d.status, statusDetails: d.statusDetails, desired: d.replicas, ready, autoscaled: !!d.autoscale, generation, edit },
      obj.status?.conditions,
      this.now(),
    );
    want.status = { ...want.status, ...(generation !== undefined ? { observedGeneration: generation } : {}), conditions };
    if (!same(obj.status, want.status)) {
      await this.k.custom.replaceNamespacedCustomObjectStatus({ ...crd, namespace, name: d.name, body: { ...obj, status: want.status } });
    }
  }
}

const sortedJson = (o: Record<string, number>) => JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))));

/**
 * The settings the leader wrote (empty when none were ever written), as stored: a key that is not JSON
 * counts as empty (`log` says so). The entries are not checked here: see src/cluster/settings.ts.
 */
export async function readSettings(k: KubeClient, log?: (line: string) => void): Promise<ClusterSettings> {
  try {
    const cm = await k.core.readNamespacedConfigMap({ name: SETTINGS_CONFIGMAP, namespace: k.namespace });
    const read = <T>(key: string, none: T): T => {
      if (!cm.data?.[key]) return none;
      try {
        return JSON.parse(cm.data[key]) as T;
      } catch {
        log?.(`cluster: ${SETTINGS_CONFIGMAP} ${key} is not JSON: ignored`);
        return none;
      }
    };
    return { quotas: read(QUOTAS_KEY, {}), models: read(MODELS_KEY, []), prices: read(PRICES_KEY, {}), spotPrices: read(SPOT_PRICES_KEY, {}) };
  } catch (e) {
    if (isNotFound(e)) return { quotas: {}, models: [], prices: {}, spotPrices: {} };
    throw e;
  }
}

/**
 * A fresh read of the shared state (not a watch cache): every deployment, and the name of every resource.
 * A resource whose key Secret is gone (deleted by hand) gets a new key from `newKey`, named in `rekeyed`,
 * rather than being dropped: a leader must not delete a deployment it merely could not read whole.
 */
export async function readClusterDeployments(
  k: KubeClient,
  newKey: () => { hash: Buffer; sealed: string },
): Promise<{ rows: MirroredDeployment[]; names: Set<string>; rekeyed: string[] }> {
  const namespace = k.namespace;
  const list = (await k.custom.listNamespacedCustomObject({ ...crd, namespace, labelSelector: MANAGED_SELECTOR })) as { items: InferenceDeploymentResource[] };
  const secrets = await k.core.listNamespacedSecret({ namespace, labelSelector: MANAGED_SELECTOR });
  const byDeployment = new Map(secrets.items.map((s) => [s.metadata?.labels?.[LABEL_DEPLOYMENT], s]));
  const rows: MirroredDeployment[] = [];
  const rekeyed: string[] = [];
  for (const r of list.items) {
    let row = fromResource(r, byDeployment.get(r.metadata.name));
    if (!row && r.metadata.annotations?.[ANNOTATION_ID]) {
      const key = newKey();
      row = fromResource(r, { data: { 'key-sha256': key.hash.toString('base64'), 'key-sealed': Buffer.from(key.sealed).toString('base64') } });
      if (row) rekeyed.push(r.metadata.name);
    }
    if (row) rows.push(row);
  }
  return { rows, names: new Set(list.items.map((r) => r.metadata.name)), rekeyed };
}

/** The deployments as the cluster has them, kept current by watches on the resources and their key Secrets. */
export class ClusterDeployments {
  readonly resources: WatchedCache<InferenceDeploymentResource & { metadata: { name: string } }>;
  readonly secrets: WatchedCache<V1Secret>;

  constructor(k: KubeClient, clock: Clock, log: (line: string) => void) {
    const namespace = k.namespace;
    this.resources = new WatchedCache({
      kc: k.kc,
      path: `/apis/${CRD_GROUP}/${CRD_VERSION}/namespaces/${namespace}/${CRD_PLURAL}`,
      labelSelector: MANAGED_SELECTOR,
      clock,
      log,
      what: 'inference deployments',
      list: () => k.custom.listNamespacedCustomObject({ ...crd, namespace, labelSelector: MANAGED_SELECTOR }),
    });
    this.secrets = new WatchedCache<V1Secret>({
      kc: k.kc,
      path: `/api/v1/namespaces/${namespace}/secrets`,
      labelSelector: MANAGED_SELECTOR,
      clock,
      log,
      what: 'deployment key secrets',
      list: () => k.core.listNamespacedSecret({ namespace, labelSelector: MANAGED_SELECTOR }),
    });
  }

  async start(timeoutMs?: number): Promise<boolean> {
    const [a, b] = await Promise.all([this.resources.start(timeoutMs), this.secrets.start(timeoutMs)]);
    return a && b;
  }

  async stop(): Promise<void> {
    await Promise.all([this.resources.stop(), this.secrets.stop()]);
  }

  onChange(fn: () => void): void {
    this.resources.onChange(fn);
    this.secrets.onChange(fn);
  }

  /** The leader's cold-start estimate for a deployment (by id), when it wrote one. */
  coldStartMs(id: string): number | undefined {
    const r = this.resources.list().find((x) => x.metadata.annotations?.[ANNOTATION_ID] === id);
    const v = (r?.status as { coldStartMs?: unknown } | undefined)?.coldStartMs;
    return typeof v === 'number' ? v : undefined;
  }

  /** The deployments gateways serve: complete resources that are not being deleted. */
  rows(): MirroredDeployment[] {
    const secrets = new Map(this.secrets.list().map((s) => [s.metadata?.labels?.[LABEL_DEPLOYMENT], s]));
    return this.resources
      .list()
      .map((r) => fromResource(r, secrets.get(r.metadata.name)))
      .filter((d): d is MirroredDeployment => !!d && !d.deleting);
  }
}
