/**
 * A watch-backed cache of one kind of object that survives errors: @kubernetes/client-node's ListWatch
 * re-lists on 410 Gone and re-watches when a stream ends, but stops on any other error; this restarts it
 * with a capped backoff (on the injected clock) and keeps the cache it had meanwhile.
 */
import { makeInformer, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Clock, Timer } from '../../core/clock.js';
import { apiMessage } from './client.js';

export type ChangeType = 'add' | 'update' | 'delete';

export interface WatchedCacheOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  /** e.g. /api/v1/namespaces/NS/pods */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  clock: Clock;
  log: (line: string) => void;
  what: string;
}

export class WatchedCache<T extends KubernetesObject> {
  private readonly informer: Informer<T> & { list(ns?: string): T[]; get(name: string, ns?: string): T | undefined };
  private readonly listeners = new Set<(type: ChangeType, obj: T) => void>();
  private stopped = false;
  private synced = false;
  private readonly syncWaiters: (() => void)[] = [];
  private backoffMs = 500;
  private restartTimer?: Timer;
  /** restarts after errors, for tests and metrics */
  restarts = 0;

  constructor(private readonly o: WatchedCacheOptions<T>) {
    const list = async () => {
      const l = await o.list();
      this.markSynced();
      return l;
    };
    this.informer = makeInformer<T>(o.kc, o.path, list, o.labelSelector) as WatchedCache<T>['informer'];
    this.informer.on('add', (obj) => this.emit('add', obj));
    this.informer.on('update', (obj) => this.emit('update', obj));
    this.informer.on('delete', (obj) => this.emit('delete', obj));
    this.informer.on('error', (err) => this.onError(err));
  }

  /** Starts watching; resolves once the first list arrived (or `timeoutMs` passed: then false). */
  async start(timeoutMs = 10_000): Promise<boolean> {
    void this.informer.start().catch((e: unknown) => this.onError(e));
    if (this.synced) return true;
    return new Promise<boolean>((resolve) => {
      const t = this.o.clock.setTimeout(() => resolve(this.synced), timeoutMs);
      this.syncWaiters.push(() => {
        t.cancel();
        resolve(true);
      });
    });
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.restartTimer?.cancel();
    await this.informer.stop();
  }

  list(): T[] {
    return this.informer.list();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  onChange(fn: (type: ChangeType, obj: T) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private markSynced(): void {
    this.backoffMs = 500;
    if (this.synced) return;
    this.synced = true;
    for (const w of this.syncWaiters.splice(0)) w();
  }

  private emit(type: ChangeType, obj: T): void {
    this.backoffMs = 500;
    for (const l of this.listeners) l(type, obj);
  }

  private onError(err: unknown): void {
    if (this.stopped) return;
    this.restarts++;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(30_000, this.backoffMs * 2);
    this.o.log(`kubernetes: watch of ${this.o.what} failed (${apiMessage(err)}); restarting in ${Math.round(wait / 100) / 10} s`);
    this.restartTimer?.cancel();
    this.restartTimer = this.o.clock.setTimeout(() => {
      if (!this.stopped) void this.informer.start().catch((e: unknown) => this.onError(e));
    }, wait);
  }
}
