/**
 * What the leader does about InferenceDeployments changed in the cluster with `kubectl` (or a GitOps tool):
 * created (applySpecResource), edited (applySpecEdit) or deleted (deleteFromCluster).
 *
 * An InferenceDeployment edited in the cluster (`kubectl edit`, `kubectl patch`, `kubectl apply` of a
 * changed spec) reaches the leader's next write (mirror.ts) as the spec fields that differ from what it
 * last wrote. They go through the same DeploymentService as the API, so the same checks apply and the
 * same events are recorded; an edit that is refused is recorded as an event naming the field and the
 * reason. Durations may be text ("5m") or milliseconds. The resource is then written from the deployment as it stands: an accepted edit stays, a
 * refused one is set back.
 */
import { InferscaleError, toInferscaleError } from '../core/errors.js';
import { createSchema, updateSchema } from '../domain/validation.js';
import type { DeploymentService } from '../service/deployments.js';
import type { DeploymentRow, Store } from '../store/store.js';
import type { EditOutcome, SpecEdit } from './mirror.js';
import { specInMs, type InferenceDeploymentResource } from '../providers/kubernetes/crd.js';
import { DEFAULT_CAPACITY } from '../domain/capacity.js';

/** spec fields fixed at creation (or written by the leader only) */
const FIXED_FIELDS: readonly string[] = ['engine', 'zone', 'gpuType', 'gpuCount', 'gpuMemory', 'generation', 'apiKeySecret'];
/** spec fields written only where they differ from their default: removing one from the spec asks for the default */
const DEFAULTED_FIELDS: Readonly<Record<string, unknown>> = { capacity: DEFAULT_CAPACITY.capacity, onDemandFloor: DEFAULT_CAPACITY.onDemandFloor };
/** spec fields an edit changes through DeploymentService.update: those its schema takes, less the fixed ones it only refuses */
const UPDATE_FIELDS = Object.keys(updateSchema.shape).filter((f) => !FIXED_FIELDS.includes(f));
/** spec fields a new resource may give: those `POST /deployments` takes (the rest of a copied resource's spec, e.g. generation, is ignored) */
const CREATE_FIELDS = Object.keys(createSchema.shape).filter((f) => f !== 'name');

export interface EditDeps {
  deployments: Pick<DeploymentService, 'get' | 'create' | 'delete' | 'update' | 'scale' | 'setAutoscale' | 'disableAutoscale'>;
  store: Pick<Store, 'addEvent'>;
}

/**
 * A resource someone created (`kubectl apply`): the deployment made from it through the same checks as
 * `POST /deployments` (then its autoscale spec, if any), or the error that refused it.
 */
export function applySpecResource(deps: EditDeps, r: InferenceDeploymentResource, now: number): DeploymentRow | InferscaleError {
  const name = r.metadata.name;
  let spec: Record<string, unknown>;
  try {
    spec = specInMs(r.spec);
    deps.deployments.create({ name, ...Object.fromEntries(CREATE_FIELDS.filter((f) => spec[f] !== undefined && spec[f] !== null).map((f) => [f, spec[f]])) });
  } catch (e) {
    return toInferscaleError(e);
  }
  const d = deps.deployments.get(name);
  let note = '';
  if (spec.autoscale) {
    try {
      deps.deployments.setAutoscale(name, spec.autoscale);
    } catch (e) {
      note = `; its autoscale spec was refused (${toInferscaleError(e).message}) and is set back`;
    }
  }
  deps.store.addEvent(
    d.id,
    now,
    'cluster-edit',
    `created from an InferenceDeployment applied in the cluster${note}; its API key: inferscale deployment reveal-api-key ${name}`,
  );
  return deps.deployments.get(name);
}

/** A deployment's resource is being deleted in the cluster (`kubectl delete`): the deployment is deleted (drained, then stopped). */
export function deleteFromCluster(deps: EditDeps, d: DeploymentRow, now: number): void {
  deps.store.addEvent(d.id, now, 'cluster-edit', 'the InferenceDeployment was deleted in the cluster: deleting the deployment');
  deps.deployments.delete(d.name);
}

/** Applies what it can of `edit` to deployment `d`; returns the deployment as it stands afterwards, and what happened. */
export function applySpecEdit(deps: EditDeps, d: DeploymentRow, asEdited: SpecEdit, now: number): EditOutcome {
  const applied: string[] = [];
  let message: string;
  let refused = false;
  let code: string | undefined;
  try {
    // durations as text ("5m") become the milliseconds the service takes
    const edit = specInMs(asEdited);
    for (const [f, v] of Object.entries(DEFAULTED_FIELDS)) if (edit[f] === null) edit[f] = v;
    const fields = Object.keys(edit);
    const fixed = fields.find((f) => FIXED_FIELDS.includes(f));
    if (fixed)
      throw new InferscaleError('immutable_field', `${fixed}: is fixed at creation (or written by inferscale only); create a new deployment to change it`, {
        field: fixed,
      });
    const unknown = fields.find((f) => f !== 'replicas' && f !== 'autoscale' && !UPDATE_FIELDS.includes(f));
    if (unknown) throw new InferscaleError('invalid_argument', `${unknown}: unknown field`, { field: unknown });
    const update = Object.fromEntries(UPDATE_FIELDS.filter((f) => f in edit).map((f) => [f, edit[f]]));
    if (Object.keys(update).length) {
      deps.deployments.update(d.name, update);
      applied.push(...Object.keys(update));
    }
    if ('autoscale' in edit) {
      if (edit.autoscale === null) deps.deployments.disableAutoscale(d.name);
      else deps.deployments.setAutoscale(d.name, edit.autoscale);
      applied.push('autoscale');
    }
    if ('replicas' in edit) {
      deps.deployments.scale(d.name, { replicas: edit.replicas });
      applied.push('replicas');
    }
    message = `the InferenceDeployment was edited in the cluster: ${applied.join(', ')} applied`;
    deps.store.addEvent(d.id, now, 'cluster-edit', message);
  } catch (e) {
    const err = toInferscaleError(e);
    const outcome = applied.length ? `${applied.join(', ')} applied before that, the rest set back` : 'set back';
    message = `an edit of the InferenceDeployment in the cluster was refused: ${err.message}; ${outcome}`;
    refused = true;
    code = err.code;
    deps.store.addEvent(d.id, now, 'cluster-edit', message, { code: err.code, field: err.details.field });
  }
  return { row: deps.deployments.get(d.name), refused, message, ...(code ? { code } : {}) };
}
