/**
 * A Trace: arrivals sorted by time, stored as parallel typed arrays (struct of arrays) so that
 * multi-million-request traces stay compact and the simulator's loop reads numbers, not objects.
 */
import { invalid } from '../../core/errors.js';

export interface Trace {
  /** short label for reports, e.g. "azure-llm-code-2023" */
  readonly name: string;
  /** one line on where the arrivals come from and how they were drawn */
  readonly description: string;
  /** arrival times in ms from the start of the trace, ascending */
  readonly at: Float64Array;
  readonly promptTokens: Uint32Array;
  readonly completionTokens: Uint32Array;
  /** per arrival, an index into `deployments`; absent when the trace has a single deployment */
  readonly deployment?: Uint32Array;
  /** deployment names; one entry for a single-deployment trace */
  readonly deployments: readonly string[];
  /** wall-clock epoch ms of at = 0 when known (time-of-day schedules, forecasts), else 0 */
  readonly epochMs: number;
  /** span of the trace in ms (at least the last arrival; a loader may report the full window) */
  readonly durationMs: number;
}

/** One arrival as an object, for small traces, tests and adapters. */
export interface TraceArrival {
  at: number;
  promptTokens: number;
  completionTokens: number;
  deployment?: string;
}

export function traceLength(t: Trace): number {
  return t.at.length;
}

export function arrivalAt(t: Trace, i: number): TraceArrival {
  const a: TraceArrival = { at: t.at[i], promptTokens: t.promptTokens[i], completionTokens: t.completionTokens[i] };
  if (t.deployment) a.deployment = t.deployments[t.deployment[i]];
  return a;
}

/** Growable column storage; `finish()` sorts by time (stable) when arrivals came out of order. */
export class TraceBuilder {
  private n = 0;
  private at = new Float64Array(1024);
  private prompt = new Uint32Array(1024);
  private completion = new Uint32Array(1024);
  private dep = new Uint32Array(1024);
  private sorted = true;
  private readonly names: string[] = [];
  private readonly nameIndex = new Map<string, number>();

  get length(): number {
    return this.n;
  }

  /** Index of a deployment name, added on first use. */
  deploymentIndex(name: string): number {
    let i = this.nameIndex.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(name);
      this.nameIndex.set(name, i);
    }
    return i;
  }

  push(at: number, promptTokens: number, completionTokens: number, deployment = 0): void {
    if (this.n === this.at.length) this.grow();
    const i = this.n++;
    if (i > 0 && at < this.at[i - 1]) this.sorted = false;
    this.at[i] = at;
    this.prompt[i] = promptTokens;
    this.completion[i] = completionTokens;
    this.dep[i] = deployment;
  }

  finish(meta: { name: string; description: string; epochMs?: number; durationMs?: number; deployments?: string[] }): Trace {
    const n = this.n;
    let at = this.at.slice(0, n);
    let prompt = this.prompt.slice(0, n);
    let completion = this.completion.slice(0, n);
    let dep = this.dep.slice(0, n);
    if (!this.sorted) {
      const order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      const src = at;
      order.sort((a, b) => src[a] - src[b] || a - b);
      at = permute(at, order, new Float64Array(n));
      prompt = permute(prompt, order, new Uint32Array(n));
      completion = permute(completion, order, new Uint32Array(n));
      dep = permute(dep, order, new Uint32Array(n));
    }
    const deployments = meta.deployments ?? (this.names.length > 0 ? this.names.slice() : [meta.name]);
    const last = n > 0 ? at[n - 1] : 0;
    return {
      name: meta.name,
      description: meta.description,
      at,
      promptTokens: prompt,
      completionTokens: completion,
      deployment: deployments.length > 1 ? dep : undefined,
      deployments,
      epochMs: meta.epochMs ?? 0,
      durationMs: Math.max(meta.durationMs ?? 0, last),
    };
  }

  private grow(): void {
    const cap = this.at.length * 2;
    const at = new Float64Array(cap);
    at.set(this.at);
    this.at = at;
    const p = new Uint32Array(cap);
    p.set(this.prompt);
    this.prompt = p;
    const c = new Uint32Array(cap);
    c.set(this.completion);
    this.completion = c;
    const d = new Uint32Array(cap);
    d.set(this.dep);
    this.dep = d;
  }
}

function permute<T extends Float64Array | Uint32Array>(src: T, order: Uint32Array, out: T): T {
  for (let i = 0; i < order.length; i++) out[i] = src[order[i]];
  return out;
}

/** Builds a trace from arrival objects (any order); names become deployments. */
export function traceFromArrivals(
  arrivals: readonly TraceArrival[],
  meta: { name?: string; description?: string; epochMs?: number; durationMs?: number } = {},
): Trace {
  const b = new TraceBuilder();
  const name = meta.name ?? 'trace';
  for (const a of arrivals) {
    if (!Number.isFinite(a.at) || a.at < 0) throw invalid('trace', `arrival time must be a finite ms offset >= 0, got ${a.at}`);
    const d = a.deployment === undefined ? b.deploymentIndex(name) : b.deploymentIndex(a.deployment);
    b.push(a.at, Math.max(0, Math.round(a.promptTokens)), Math.max(0, Math.round(a.completionTokens)), d);
  }
  return b.finish({ name, description: meta.description ?? `${arrivals.length} arrivals`, epochMs: meta.epochMs, durationMs: meta.durationMs });
}

/**
 * Adapter for replaying a deployment's real traffic: rows with absolute `at` (epoch ms or any origin),
 * shifted so the first arrival is at 0; the origin is kept as `epochMs`.
 */
export function traceFromRequestLog(rows: readonly { at: number; promptTokens: number; completionTokens: number }[], name = 'request-log'): Trace {
  let origin = Infinity;
  for (const r of rows) if (r.at < origin) origin = r.at;
  if (!Number.isFinite(origin)) origin = 0;
  const shifted = rows.map((r) => ({ at: r.at - origin, promptTokens: r.promptTokens, completionTokens: r.completionTokens }));
  return traceFromArrivals(shifted, { name, description: `${rows.length} logged requests`, epochMs: origin });
}

/** Splits a multi-deployment trace into one trace per deployment (in `deployments` order). */
export function splitByDeployment(t: Trace): Trace[] {
  const dep = t.deployment;
  if (!dep) return [t];
  const k = t.deployments.length;
  const counts = new Uint32Array(k);
  for (let i = 0; i < dep.length; i++) counts[dep[i]]++;
  const parts: { at: Float64Array; p: Uint32Array; c: Uint32Array; n: number }[] = Array.from({ length: k }, (_, d) => ({
    at: new Float64Array(counts[d]),
    p: new Uint32Array(counts[d]),
    c: new Uint32Array(counts[d]),
    n: 0,
  }));
  for (let i = 0; i < t.at.length; i++) {
    const part = parts[dep[i]];
    const j = part.n++;
    part.at[j] = t.at[i];
    part.p[j] = t.promptTokens[i];
    part.c[j] = t.completionTokens[i];
  }
  return parts.map((part, d) => ({
    name: t.deployments[d],
    description: `${t.name}: deployment ${t.deployments[d]}`,
    at: part.at,
    promptTokens: part.p,
    completionTokens: part.c,
    deployments: [t.deployments[d]],
    epochMs: t.epochMs,
    durationMs: t.durationMs,
  }));
}

/** Arrivals in [fromMs, toMs), shifted to start at 0 (epochMs moves along). */
export function sliceTrace(t: Trace, fromMs: number, toMs: number): Trace {
  const lo = lowerBound(t.at, fromMs);
  const hi = lowerBound(t.at, toMs);
  const at = t.at.slice(lo, hi);
  for (let i = 0; i < at.length; i++) at[i] -= fromMs;
  return {
    ...t,
    at,
    promptTokens: t.promptTokens.slice(lo, hi),
    completionTokens: t.completionTokens.slice(lo, hi),
    deployment: t.deployment?.slice(lo, hi),
    epochMs: t.epochMs + fromMs,
    durationMs: Math.min(t.durationMs, toMs) - fromMs,
  };
}

export function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
