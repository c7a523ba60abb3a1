/**
 * Checks generated objects against the Kubernetes OpenAPI schemas (the `kubernetes-models` validators)
 * plus the API server's own rules that a schema cannot express (names, label syntax, selector vs template
 * labels, extended resources). Returns problems as lines; empty means valid.
 */
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Lease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';
import { Secret } from 'kubernetes-models/v1/Secret';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';

type AnyObj = {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: any;
};

const MODELS: Record<string, new (d: any) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'coordination.k8s.io/v1/Lease': Lease,
  'v1/Secret': Secret,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'apiextensions.k8s.io/v1/CustomResourceDefinition': CustomResourceDefinition,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
};

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function labelKeyProblem(key: string): string | undefined {
  const [prefix, name] = key.includes('/') ? key.split('/', 2) : [undefined, key];
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return `label key "${key}": prefix is not a DNS subdomain`;
  if (!name || name.length > 63 || !LABEL_NAME.test(name)) return `label key "${key}": name part is not a valid label name`;
  return undefined;
}

function labelProblems(where: string, labels: Record<string, string> | undefined): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    const p = labelKeyProblem(k);
    if (p) out.push(`${where}: ${p}`);
    if (v.length > 63 || !LABEL_VALUE.test(v)) out.push(`${where}: label "${k}" value "${v}" is not a valid label value`);
  }
  return out;
}

function podSpecProblems(where: string, spec: any): string[] {
  const out: string[] = [];
  for (const c of spec?.containers ?? []) {
    if (!DNS_LABEL.test(c.name ?? '')) out.push(`${where}: container name "${c.name}" is not a DNS label`);
    for (const p of c.ports ?? [])
      if (p.name && (p.name.length > 15 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p.name)))
        out.push(`${where}: port name "${p.name}" is not an IANA service name`);
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const k of new Set([...Object.keys(req), ...Object.keys(lim)])) {
      if (!k.includes('/') || k.startsWith('kubernetes.io/')) continue;
      // extended resources cannot be overcommitted: a limit is required and a request must equal it
      if (lim[k] === undefined) out.push(`${where}: extended resource ${k} needs a limit`);
      else if (req[k] !== undefined && String(req[k]) !== String(lim[k]))
        out.push(`${where}: extended resource ${k} request ${req[k]} must equal its limit ${lim[k]}`);
    }
  }
  for (const t of spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const e of t.matchExpressions ?? []) {
      if ((e.operator === 'In' || e.operator === 'NotIn') && !(e.values?.length > 0)) out.push(`${where}: node selector ${e.key} ${e.operator} needs values`);
      if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && e.values?.length)
        out.push(`${where}: node selector ${e.key} ${e.operator} takes no values`);
    }
  }
  return out;
}

/** Problems with one object; [] when the API server would accept it. */
export function validateObject(obj: AnyObj): string[] {
  const id = `${obj.kind ?? '?'}/${obj.metadata?.name ?? '?'}`;
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  const out: string[] = [];
  if (!Model) return [`${id}: no schema known for ${obj.apiVersion} ${obj.kind}`];
  try {
    new Model(JSON.parse(JSON.stringify(obj))).validate();
  } catch (e) {
    out.push(`${id}: ${(e as Error).message}`);
  }
  const name = obj.metadata?.name ?? '';
  const nameOk =
    obj.kind === 'Service' || obj.kind === 'Namespace' ? name.length <= 63 && DNS_LABEL.test(name) : name.length <= 253 && DNS_SUBDOMAIN.test(name);
  if (!nameOk) out.push(`${id}: metadata.name "${name}" is not a valid ${obj.kind} name`);
  out.push(...labelProblems(`${id} metadata.labels`, obj.metadata?.labels));
  for (const k of Object.keys(obj.metadata?.annotations ?? {})) {
    const p = labelKeyProblem(k);
    if (p) out.push(`${id} metadata.annotations: ${p.replace('label key', 'annotation key')}`);
  }
  if (obj.kind === 'Deployment') {
    const sel: Record<string, string> = obj.spec?.selector?.matchLabels ?? {};
    const tl: Record<string, string> = obj.spec?.template?.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(sel)) if (tl[k] !== v) out.push(`${id}: spec.selector ${k}=${v} does not match the template labels`);
    out.push(...labelProblems(`${id} template labels`, tl));
    out.push(...podSpecProblems(`${id} template`, obj.spec?.template?.spec));
  }
  return out;
}

/** Validates several objects; throws one error listing every problem. */
export function assertValidObjects(objs: readonly AnyObj[]): void {
  const problems = objs.flatMap((o) => validateObject(o));
  if (problems.length) throw new Error(`invalid Kubernetes objects:\n  ${problems.join('\n  ')}`);
}
