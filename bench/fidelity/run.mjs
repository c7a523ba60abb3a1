#!/usr/bin/env node
// Fidelity: one short bursty trace through the live system (real gateway, engine-simulator replica
// processes, the real autoscaler) and through the simulator; writes the gaps to docs/benchmarks.md.
import { join } from 'node:path';
import { startTestServer } from '../../dist/test/harness.js';
import { burstTrace } from '../../dist/simulator/traces/generators.js';
import { runFidelity } from '../../dist/simulator/fidelity.js';
import { updateSection, machine } from '../lib/report.mjs';

const root = new URL('../../', import.meta.url).pathname;
const engineParams = '--startup-seconds 3 --ttft-ms 20 --itl-ms 20 --max-num-seqs 4 --jitter 0';
const autoscale = '--min 0 --max 6 --target-ongoing-requests 2 --scale-to-zero-after 10s --downscale-delay 10s';
const shape = { baseRate: 1, burstRate: 6, everyMs: 60_000, burstMs: 20_000, firstMs: 15_000, durationMs: 120_000, seed: 7 };
const tokens = { promptMedian: 64, promptSigma: 0.3, promptMax: 256, completionMedian: 30, completionSigma: 0.3, completionMax: 60 };
const trace = burstTrace({ ...shape, tokens });
const t = await startTestServer();
let r;
try {
  r = await runFidelity({ url: t.url, api: t.api }, { trace, engineParams, autoscale });
} finally {
  await t.close();
}
const pct = (x) => `${(x * 100).toFixed(1)}%`;
const md = `Command: \`npm run bench:fidelity\`. ${machine()}

Trace: bursts (1/s base, 6/s for 20 s every 60 s, from 15 s; 120 s; seed 7; ${trace.at.length} requests; prompt median 64, output median 30 tokens).
Engine simulator \`${engineParams}\`; autoscale \`${autoscale}\`; the simulator uses the cold start measured live (${(r.coldStartMs / 1000).toFixed(2)} s).

| measure | live | simulator | gap |
|---|---|---|---|
| GPU-seconds | ${r.live.gpuSeconds.toFixed(1)} | ${r.sim.gpuSeconds.toFixed(1)} | ${pct(r.gaps.gpuSeconds)} |
| ready replica-seconds | ${r.live.readyReplicaSeconds.toFixed(1)} | ${r.sim.readyReplicaSeconds.toFixed(1)} | timeline gap ${pct(r.gaps.readyTimeline)} (integral of the absolute difference / simulator's integral) |
| p50 end-to-end latency (ms) | ${r.live.p50LatencyMs.toFixed(0)} | ${r.sim.p50LatencyMs.toFixed(0)} | ${pct(r.gaps.p50Latency)} |
| failed requests | ${r.live.failed} | ${r.sim.failed} | |
`;
process.stdout.write(md);
if (process.argv.includes('--write')) updateSection(join(root, 'docs/benchmarks.md'), '## Fidelity', md);
process.exit(0);
