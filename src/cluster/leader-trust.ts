/**
 * Before a follower sends anything to the leader (a client's API call with its admin token, its own load
 * reports), the URL the Lease names must be shown to be a server pod's: the Lease's holder is a pod of this
 * namespace that carries the servers' labels, is not being deleted, and has the URL's host as its IP.
 * Whoever can write the Lease (or its annotation) cannot point the followers' credentials elsewhere without
 * also running a pod with the servers' labels at that address. A verdict is kept for `ttlMs` (default 30 s);
 * until one is reached, or when it says no, there is no leader to send to.
 */
import type { Clock } from '../core/clock.js';
import type { KubeClient } from '../providers/kubernetes/client.js';

export interface LeaderTrustOptions {
  client: Pick<KubeClient, 'core' | 'namespace'>;
  /** the labels every server pod carries (default app.kubernetes.io/name=inferscale, deploy/base/server.yaml) */
  serverLabels?: Record<string, string>;
  clock: Clock;
  log: (line: string) => void;
  ttlMs?: number;
}

export const DEFAULT_SERVER_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/name': 'inferscale' };

export class LeaderTrust {
  private verdict?: { holder: string; url: string; ok: boolean; at: number; why: string };
  private checking?: Promise<void>;

  constructor(private readonly o: LeaderTrustOptions) {}

  /** `url` when the holder has been shown to be a server pod at that address; undefined otherwise (a check starts). */
  trusted(holder: string, url: string): string | undefined {
    const v = this.verdict;
    const same = v && v.holder === holder && v.url === url;
    if (!same || this.o.clock.now() - v.at >= (this.o.ttlMs ?? 30_000)) void this.check(holder, url);
    return same && v.ok ? url : undefined;
  }

  /** Like `trusted`, but waits for a check when there is no verdict on this holder and URL yet. */
  async verified(holder: string, url: string): Promise<string | undefined> {
    const v = this.verdict;
    if (!v || v.holder !== holder || v.url !== url) await this.check(holder, url);
    return this.trusted(holder, url);
  }

  /** Checks now. */
  check(holder: string, url: string): Promise<void> {
    this.checking ??= this.judge(holder, url).finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async judge(holder: string, url: string): Promise<void> {
    let why = '';
    try {
      const pod = await this.o.client.core.readNamespacedPod({ name: holder, namespace: this.o.client.namespace });
      const labels = pod.metadata?.labels ?? {};
      const want = this.o.serverLabels ?? DEFAULT_SERVER_LABELS;
      const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
      const ips = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)].filter((x): x is string => !!x);
      if (!Object.entries(want).every(([k, v]) => labels[k] === v)) why = `pod ${holder} lacks the server labels ${JSON.stringify(want)}`;
      else if (pod.metadata?.deletionTimestamp) why = `pod ${holder} is being deleted`;
      else if (!ips.includes(host)) why = `${host} is not an address of pod ${holder} (${ips.join(', ') || 'none yet'})`;
    } catch (e) {
      why = `cannot read the Lease holder's pod ${holder}: ${(e as Error).message}`;
    }
    const ok = why === '';
    const was = this.verdict;
    if (!ok && (!was || was.why !== why)) this.o.log(`cluster: not sending to the leader URL ${url}: ${why}`);
    this.verdict = { holder, url, ok, at: this.o.clock.now(), why };
  }
}
