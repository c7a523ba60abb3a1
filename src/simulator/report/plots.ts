/** Plot series for the HTML report, collected policy by policy so per-request arrays can be dropped early. */
import type { DeploymentResult } from '../engine/options.js';
import { addPerSecondToGrid, addStepToGrid } from '../series.js';

export interface PlotData {
  bucketMs: number;
  /** replicas the foresight schedule needs (the load, in replicas), per bucket */
  loadReplicas: number[];
  /** ready + starting replicas per policy, per bucket (time-averaged, summed over deployments) */
  replicas: Record<string, number[]>;
  /** TTFT CDF per policy: [ms, fraction of all requests] */
  ttftCdf: Record<string, [number, number][]>;
}

export class PlotCollector {
  readonly bucketMs: number;
  private readonly buckets: number;
  private readonly data: PlotData;

  constructor(durationMs: number, points: number) {
    this.buckets = Math.max(1, points);
    this.bucketMs = Math.max(1000, Math.ceil(durationMs / this.buckets / 1000) * 1000);
    this.data = { bucketMs: this.bucketMs, loadReplicas: [], replicas: {}, ttftCdf: {} };
  }

  setLoad(neededPerDeployment: readonly Uint32Array[]): void {
    const grid = new Float64Array(this.buckets);
    for (const needed of neededPerDeployment) addPerSecondToGrid(needed, this.bucketMs, grid);
    this.data.loadReplicas = Array.from(grid, (x) => Math.round(x * 1000) / 1000);
  }

  addPolicy(name: string, res: readonly DeploymentResult[], ttftCdf: [number, number][]): void {
    const grid = new Float64Array(this.buckets);
    for (const r of res) {
      const tl = r.timeline;
      const both = tl.ready.map((x, i) => x + tl.starting[i]);
      addStepToGrid(tl.t, both, r.endMs, this.bucketMs, grid);
    }
    this.data.replicas[name] = Array.from(grid, (x) => Math.round(x * 1000) / 1000);
    this.data.ttftCdf[name] = ttftCdf.map(([ms, f]) => [Math.round(ms * 10) / 10, Math.round(f * 1e6) / 1e6]);
  }

  result(): PlotData {
    return this.data;
  }
}
