/** Label selectors, node affinity and taints, as the API server and the scheduler read them (the fake API and zone capacity use them). */

type Labels = Record<string, string> | undefined;
type Pred = (labels: Labels) => boolean;

/** Parses a label selector query string: `a=b,c!=d,e in (x,y),f notin (z),g,!h`. */
export function parseLabelSelector(q: string | undefined): Pred {
  if (!q) return () => true;
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of q) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur.trim());
  const preds: Pred[] = parts.map((p) => {
    let m = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(p);
    if (m) {
      const [, key, op, list] = m;
      const values = list.split(',').map((v) => v.trim());
      return op === 'in' ? (l) => l?.[key] !== undefined && values.includes(l[key]) : (l) => l?.[key] === undefined || !values.includes(l[key]);
    }
    m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(p);
    if (m) {
      const [, key, op, value] = m;
      return op === '!=' ? (l) => l?.[key] !== value : (l) => l?.[key] === value;
    }
    if (p.startsWith('!')) return (l) => l?.[p.slice(1)] === undefined;
    return (l) => l?.[p] !== undefined;
  });
  return (labels) => preds.every((f) => f(labels));
}

export interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

function requirementMatches(r: Requirement, labels: Labels): boolean {
  const v = labels?.[r.key];
  switch (r.operator) {
    case 'In':
      return v !== undefined && (r.values ?? []).includes(v);
    case 'NotIn':
      return v === undefined || !(r.values ?? []).includes(v);
    case 'Exists':
      return v !== undefined;
    case 'DoesNotExist':
      return v === undefined;
    case 'Gt':
      return v !== undefined && Number(v) > Number(r.values?.[0]);
    case 'Lt':
      return v !== undefined && Number(v) < Number(r.values?.[0]);
    default:
      return false;
  }
}

/** A metav1.LabelSelector object (matchLabels and matchExpressions ANDed). */
export function matchesSelector(sel: { matchLabels?: Record<string, string>; matchExpressions?: Requirement[] } | undefined, labels: Labels): boolean {
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels?.[k] !== v) return false;
  return (sel.matchExpressions ?? []).every((r) => requirementMatches(r, labels));
}

/** Required node affinity: terms are ORed, the expressions of one term ANDed; nodeSelector ANDed on top. */
export function nodeMatches(podSpec: any, nodeLabels: Labels): boolean {
  for (const [k, v] of Object.entries<string>(podSpec?.nodeSelector ?? {})) if (nodeLabels?.[k] !== v) return false;
  const terms: { matchExpressions?: Requirement[] }[] | undefined =
    podSpec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return true;
  return terms.some((t) => (t.matchExpressions ?? []).length > 0 && (t.matchExpressions ?? []).every((r) => requirementMatches(r, nodeLabels)));
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** Every NoSchedule/NoExecute taint of the node is tolerated by the pod. */
export function toleratesTaints(podSpec: any, taints: readonly Taint[]): boolean {
  const tols: any[] = podSpec?.tolerations ?? [];
  return taints
    .filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')
    .every((t) =>
      tols.some(
        (o) =>
          (o.effect === undefined || o.effect === t.effect) &&
          (o.key === undefined || o.key === t.key) &&
          (o.operator === 'Exists' || (o.value ?? '') === (t.value ?? '')),
      ),
    );
}
