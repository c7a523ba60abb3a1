/**
 * The Pod Security Standards' "restricted" profile (kubernetes.io/docs/concepts/security/pod-security-standards,
 * policy version v1.25 and later), checked on a workload's pod template the way the PodSecurity admission
 * controller checks a pod, plus what inferscale's manifests promise on top: a read-only root filesystem whose
 * writable paths (/tmp among them) are volumes. Returns problems as lines; empty means the pod is admitted.
 */

type AnyObj = Record<string, any>;

/** Volume types the restricted profile allows. */
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
/** Kinds whose pods come from `spec.template` (CronJob: `spec.jobTemplate.spec.template`). */
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);

/** The pod template of a workload object, or undefined for objects that make no pods. */
export function podTemplateOf(obj: AnyObj): AnyObj | undefined {
  if (obj.kind === 'Pod') return obj;
  if (WORKLOADS.has(obj.kind)) return obj.spec?.template;
  if (obj.kind === 'CronJob') return obj.spec?.jobTemplate?.spec?.template;
  return undefined;
}

const seccompOk = (p: AnyObj | undefined) => p?.type === 'RuntimeDefault' || p?.type === 'Localhost';

/** Problems of one pod spec under the restricted profile and a read-only root filesystem. */
export function restrictedProblems(where: string, spec: AnyObj | undefined): string[] {
  if (!spec) return [`${where}: no pod spec`];
  const out: string[] = [];
  const pod = spec.securityContext ?? {};
  for (const f of ['hostNetwork', 'hostPID', 'hostIPC'] as const) if (spec[f]) out.push(`${where}: ${f} is not allowed`);
  for (const s of pod.sysctls ?? []) if (!SAFE_SYSCTLS.has(s.name)) out.push(`${where}: sysctl ${s.name} is not allowed`);
  if (pod.runAsUser === 0) out.push(`${where}: runAsUser 0 (root)`);
  if (pod.seccompProfile && !seccompOk(pod.seccompProfile)) out.push(`${where}: seccompProfile ${pod.seccompProfile.type} is not RuntimeDefault or Localhost`);
  const volumes: AnyObj[] = spec.volumes ?? [];
  for (const v of volumes) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (!type || !RESTRICTED_VOLUMES.has(type)) out.push(`${where}: volume ${v.name} of type ${type} is not allowed`);
  }
  const emptyDirs = new Set(volumes.filter((v) => v.emptyDir).map((v) => v.name));
  const writable = new Set(volumes.filter((v) => v.emptyDir || v.persistentVolumeClaim || v.ephemeral).map((v) => v.name));
  const containers: AnyObj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
  if (!spec.containers?.length) out.push(`${where}: no containers`);
  for (const c of containers) {
    const at = `${where} container ${c.name}`;
    const sc = c.securityContext ?? {};
    if (sc.privileged) out.push(`${at}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${at}: allowPrivilegeEscalation must be false`);
    const runAsNonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    if (runAsNonRoot !== true) out.push(`${at}: runAsNonRoot must be true (pod or container)`);
    if (sc.runAsUser === 0) out.push(`${at}: runAsUser 0 (root)`);
    const seccomp = sc.seccompProfile ?? pod.seccompProfile;
    if (!seccompOk(seccomp)) out.push(`${at}: seccompProfile must be RuntimeDefault or Localhost (pod or container)`);
    const drop: string[] = sc.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) out.push(`${at}: capabilities must drop ALL`);
    for (const cap of sc.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') out.push(`${at}: capability ${cap} may not be added`);
    for (const p of c.ports ?? []) if (p.hostPort) out.push(`${at}: hostPort ${p.hostPort} is not allowed`);
    if (sc.procMount && sc.procMount !== 'Default') out.push(`${at}: procMount ${sc.procMount}`);
    if (sc.readOnlyRootFilesystem !== true) out.push(`${at}: readOnlyRootFilesystem must be true`);
    const mounts: AnyObj[] = c.volumeMounts ?? [];
    if (!mounts.some((m) => m.mountPath === '/tmp' && emptyDirs.has(m.name)))
      out.push(`${at}: /tmp must be an emptyDir volume (the root filesystem is read-only)`);
    if (!mounts.some((m) => m.mountPath !== '/tmp' && !m.readOnly && writable.has(m.name))) out.push(`${at}: no writable data volume besides /tmp`);
  }
  return out;
}

/** Problems of every workload among `objects`; objects that make no pods are skipped. */
export function restrictedWorkloadProblems(objects: readonly AnyObj[]): string[] {
  return objects.flatMap((o) => {
    const t = podTemplateOf(o);
    return t ? restrictedProblems(`${o.kind}/${o.metadata?.name}`, t.spec) : [];
  });
}
