/**
 * The API writes of the Kubernetes provider: create a deployment's objects if missing, write the replica
 * count through the scale subresource (refusing when an HPA or KEDA owns it), annotate pods, clean up.
 */
import { InferscaleError } from '../../core/errors.js';
import { apiMessage, isConflict, isForbidden, isNotFound, MERGE_PATCH, type KubeClient } from './client.js';
import { LABEL_DEPLOYMENT, LABEL_MANAGED_BY, MANAGED_BY } from './labels.js';
import type { RenderedWorkload } from './render.js';

export class WorkloadApi {
  private hpaForbiddenLogged = false;
  /** the replica counts this server wrote last, to notice another writer */
  private readonly written = new Map<string, number>();

  constructor(
    private readonly k: KubeClient,
    private readonly log: (line: string) => void,
  ) {}

  private get ns(): string {
    return this.k.namespace;
  }

  /** Creates the Service, PDB and Deployment (at 0 replicas) where missing; refuses objects inferscale does not manage. */
  async ensure(r: RenderedWorkload): Promise<void> {
    const create = async (kind: string, name: string, fn: () => Promise<unknown>, read: () => Promise<{ metadata?: { labels?: Record<string, string> } }>) => {
      try {
        await fn();
      } catch (e) {
        if (!isConflict(e)) throw e;
        const cur = await read();
        if (cur.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY) {
          throw new InferscaleError(
            'conflict',
            `${kind} ${this.ns}/${name} exists and is not managed by inferscale; rename the deployment or remove that ${kind}`,
          );
        }
      }
    };
    const svc = r.service.metadata!.name!;
    await create(
      'Service',
      svc,
      () => this.k.core.createNamespacedService({ namespace: this.ns, body: r.service }),
      () => this.k.core.readNamespacedService({ name: svc, namespace: this.ns }),
    );
    await create(
      'PodDisruptionBudget',
      svc,
      () => this.k.policy.createNamespacedPodDisruptionBudget({ namespace: this.ns, body: r.pdb }),
      () => this.k.policy.readNamespacedPodDisruptionBudget({ name: svc, namespace: this.ns }),
    );
    const body = { ...r.deployment, spec: { ...r.deployment.spec!, replicas: 0 } };
    await create(
      'Deployment',
      r.workload,
      () => this.k.apps.createNamespacedDeployment({ namespace: this.ns, body }),
      () => this.k.apps.readNamespacedDeployment({ name: r.workload, namespace: this.ns }),
    );
  }

  /** One writer of the replica count: an HPA (KEDA makes one per ScaledObject) on the Deployment means inferscale steps back. */
  async assertSoleWriter(workload: string): Promise<void> {
    let hpas;
    try {
      hpas = await this.k.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: this.ns });
    } catch (e) {
      if (!isForbidden(e)) throw e;
      if (!this.hpaForbiddenLogged)
        this.log(`kubernetes: cannot list HorizontalPodAutoscalers in ${this.ns} (forbidden): not checking for other writers of the replica count`);
      this.hpaForbiddenLogged = true;
      return;
    }
    const owner = hpas.items.find((h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec.scaleTargetRef.name === workload);
    if (owner) {
      const name = owner.metadata?.name ?? '?';
      const via = name.startsWith('keda-hpa-') ? ` (made by the KEDA ScaledObject ${name.slice('keda-hpa-'.length)})` : '';
      throw new InferscaleError(
        'conflict',
        `Deployment ${this.ns}/${workload} is scaled by HorizontalPodAutoscaler ${name}${via}; inferscale will not fight over its replica count: remove that autoscaler and use "inferscale deployment autoscale" instead`,
      );
    }
  }

  /** Writes spec.replicas through the scale subresource with optimistic concurrency; returns the count before. */
  async setScale(workload: string, replicas: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const scale = await this.k.apps.readNamespacedDeploymentScale({ name: workload, namespace: this.ns });
      const before = scale.spec?.replicas ?? 0;
      const last = this.written.get(workload);
      if (last !== undefined && last !== before)
        this.log(
          `kubernetes: the replica count of ${this.ns}/${workload} was changed outside inferscale (${last} -> ${before}); inferscale sets it back to ${replicas}`,
        );
      if (before === replicas) {
        this.written.set(workload, replicas);
        return before;
      }
      try {
        await this.k.apps.replaceNamespacedDeploymentScale({ name: workload, namespace: this.ns, body: { ...scale, spec: { replicas } } });
        this.written.set(workload, replicas);
        return before;
      } catch (e) {
        if (!isConflict(e) || attempt >= 4) throw e;
      }
    }
  }

  /** Merge-patches pod annotations (null removes one); a pod that is gone is ignored. */
  async annotatePod(pod: string, annotations: Record<string, string | null>): Promise<boolean> {
    try {
      await this.k.core.patchNamespacedPod({ name: pod, namespace: this.ns, body: { metadata: { annotations } } }, MERGE_PATCH);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  async deleteWorkload(workload: string): Promise<void> {
    this.written.delete(workload);
    await this.k.apps.deleteNamespacedDeployment({ name: workload, namespace: this.ns }).catch((e) => {
      if (!isNotFound(e)) throw e;
    });
  }

  /** Deletes every object of an inferscale deployment (idempotent). */
  async deleteAll(deployment: string): Promise<void> {
    const sel = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_DEPLOYMENT}=${deployment}`;
    const deps = await this.k.apps.listNamespacedDeployment({ namespace: this.ns, labelSelector: sel });
    for (const d of deps.items) await this.deleteWorkload(d.metadata!.name!);
    const ignore404 = (e: unknown) => {
      if (!isNotFound(e)) throw e;
    };
    await this.k.core.deleteNamespacedService({ name: deployment, namespace: this.ns }).catch(ignore404);
    await this.k.policy.deleteNamespacedPodDisruptionBudget({ name: deployment, namespace: this.ns }).catch(ignore404);
  }

  async podLogs(pod: string, lines: number): Promise<string[]> {
    try {
      const text = await this.k.core.readNamespacedPodLog({ name: pod, namespace: this.ns, container: 'engine', tailLines: lines });
      return text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
    } catch (e) {
      if (isNotFound(e)) return [];
      return [`(logs of pod ${pod} unavailable: ${apiMessage(e)})`];
    }
  }
}
