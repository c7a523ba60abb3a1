/**
 * The running parts of a server (reconciler, samplers, engine scraper, request log, KEDA scaler, ...) in one
 * shape: `{ routes?, start(), stop() }`. The server lists them in order and starts and stops each list as one
 * group (stopped in reverse), in single-server and HA mode alike: the leader gate is one group's start and stop.
 */
import type { MountRoutes } from '../api/app.js';

export interface ServerModule {
  /** what it is, for the log when it fails to start or stop */
  name: string;
  /** its REST routes, mounted on the API in the order of the list */
  routes?: MountRoutes;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

/**
 * Modules started in the order given and stopped in reverse. Starting twice or stopping a group not started
 * does nothing; a module that fails to start stops the ones already started before the error is thrown, and a
 * module that fails to stop is logged and the others still stop.
 */
export class ModuleGroup {
  private started: ServerModule[] = [];
  private running = false;

  constructor(
    private readonly modules: readonly ServerModule[],
    private readonly log: (line: string) => void,
  ) {}

  /** The routes of its modules, in order. */
  routes(): MountRoutes[] {
    return this.modules.flatMap((m) => (m.routes ? [m.routes] : []));
  }

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    for (const m of this.modules) {
      try {
        await m.start();
      } catch (e) {
        await this.stop();
        throw e;
      }
      this.started.push(m);
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const started = this.started.reverse();
    this.started = [];
    for (const m of started) {
      try {
        await m.stop();
      } catch (e) {
        this.log(`stopping ${m.name} failed: ${(e as Error).message}`);
      }
    }
  }
}
