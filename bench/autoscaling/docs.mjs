/** Renders the corpus "## Autoscaling" section of docs/benchmarks.md from a run of run.mjs. */
import { AIMS, PEERS, percentile, REACHED, scoreRow, TOLERANCE } from './corpus.mjs';
import { PROFILES, QUICK, SERVEGEN_CAP, SERVEGEN_MIN_S, SETTINGS } from './scenarios.mjs';

const pct = (x) => `${(x * 100).toFixed(2)}%`;
const share = (x) => `${(x * 100).toFixed(1)}%`;
const x2 = (x) => `${x.toFixed(2)}x`;
const yes = (ok) => (ok ? 'met' : '**not met**');
const n = (x) => x.toLocaleString('en-US');

function protocol(results) {
  const sg = results.filter((r) => r.group === 'servegen' && r.profile === 'a100');
  const cut = sg.filter((r) => r.hours < 23.99).length;
  const gens = [...new Map(results.filter((r) => r.group === 'generated').map((r) => [r.key, r])).values()];
  const out = [];
  out.push(`- **Scenarios** (${new Set(results.map((r) => r.key)).size}), each one deployment unless said:`);
  out.push(
    `  - every client of ServeGen m-small (${sg.length} of the 43 chunks have traffic) as its own deployment, over its typical day: ` +
      'the upper median, by requests, of the trace days on which it has traffic, whole (24 h) when it holds at most ' +
      `${n(SERVEGEN_CAP)} requests; for the ${cut} busier clients, the stretch of that day that starts at its quietest 600 s window and runs on ` +
      `(then back before it, at the day's end) until it holds ${n(SERVEGEN_CAP)} requests, at least ${SERVEGEN_MIN_S / 3600} h (the climb out of the trough). ` +
      'Arrivals are drawn per 600 s window with its Gamma/Weibull inter-arrival shape at its rate (seed 1); the trace has no token counts, so lengths are lognormal (prompt median 1,024, output median 128).',
  );
  out.push('  - the six-client mix: ServeGen clients 2, 7, 13, 16, 21 and 24 summed into one deployment, trace day 9 (24 h, all six active).');
  out.push(
    '  - the 500 Azure Functions (8 h, 3,037,902 invocations), one scenario: each function its own deployment, GPU-hours and attainment summed over them; invocations placed uniformly at random inside their minute (seeded), token lengths as for ServeGen.',
  );
  out.push('  - the Azure LLM code trace (1 h, 8,819 requests, token counts as logged).');
  out.push(`  - seeded generators (\`src/simulator/traces/generators.ts\`, seed 1): ${gens.map((g) => g.title).join('; ')}.`);
  out.push("- **Replica profiles** (engine-simulator flags; ours' spec, whose target and maximum the peers share):");
  out.push('');
  out.push('  | profile | engine | ours (`--autoscale`) |');
  out.push('  |---|---|---|');
  for (const p of Object.values(PROFILES)) out.push(`  | ${p.key} | \`${p.engineFlags}\` | \`${p.autoscaleFlags}\` |`);
  out.push('');
  out.push(
    '  a100: one A100-80GB serving a 7-8B model (Llama-3-8B class, bf16) with vLLM: prefill of ~10k tokens/s (0.1 ms per prompt token), ' +
      '~80 tokens/s single-stream decode (12 ms per token), 2% slower steps per extra running sequence, 32 sequences at most (estimates from the datasheet and usual vLLM figures, not measurements). ' +
      "small: a smaller GPU, 16 sequences, 20 ms per token, the simulator's defaults for the rest (3% slowdown per extra sequence, 10% jitter).",
  );
  out.push(
    `- **ours with and without a TTFT SLO**: each scenario x profile runs ours as above ("no SLO") and with \`--ttft-p95 2s\` added ("SLO"; \`--ttft-p95 1s\` for the long-prompt scenario). ` +
      'The peers do not read that field, so one run of each serves both rows.',
  );
  out.push(
    `- **Settings**: cold start ${SETTINGS.coldStartMs / 1000} s; measuring SLO: time to first token <= ${SETTINGS.sloTtftMs / 1000} s (1 s for long prompts), failed requests count as misses; ` +
      `$${SETTINGS.pricePerGpuHour} per GPU-hour; gateway queue timeout ${SETTINGS.queueTimeoutMs / 1000} s; seed ${SETTINGS.seed}; idle probe ${SETTINGS.idleProbeMs / 1000} s (at zero and quiet the simulator asks a policy every 8 s instead of every second; the peers only leave zero on a request, so their results do not depend on it). ` +
      "Each deployment starts warm, with the replicas its target asks for at the first minute's load. The baselines keep their projects' other defaults, minimum replicas included (KPA and KEDA 0; Ray, HPA and SkyServe 1).",
  );
  out.push(
    '- **Foresight reference** (`report.references.foresight`): per second, ceil(peak concurrent sequences / max-num-seqs) replicas, each started one cold start before it is needed and billed from its start, idle gaps shorter than a cold start bridged; ' +
      'service times at one running sequence, so it ignores the batching slowdown (and the maximum of 64 replicas).',
  );
  out.push(
    `- **Win** (per row: scenario x profile x ours with or without the SLO): bar = the best autoscaling peer's attainment (${PEERS.join(', ')}; static-peak and static-mean are yardsticks, not peers) minus ${TOLERANCE * 100} points; ` +
      'ours wins when its attainment is at or above the bar AND it has the fewest GPU-hours among the policies (peers and ours) at or above the bar (a tie goes to ours). ' +
      'Attainment gap = best peer attainment - ours, in points (positive: ours below).',
  );
  out.push(
    `- **Runaway**: per scenario x profile where no autoscaling policy (the peers, ours with or without the SLO; static-peak, which holds the peak's replicas all along, left out) has ${REACHED * 100}% of requests within the SLO (ours' p95 target out of reach), ours with the SLO / ours without it, in GPU-hours ` +
      '(ours without the SLO stands in for the load term of its replica count); the aim is at most 2x.',
  );
  return out;
}

function perScenario(results) {
  const out = [
    '| scenario | profile | requests | window | foresight GPU-h | best peer (att) | no SLO: ours/fs | att | winner | SLO: ours/fs | att | winner |',
    '|---|---|---:|---|---:|---|---:|---:|---|---:|---:|---|',
  ];
  for (const r of results) {
    const off = scoreRow(r, 'off');
    const on = r.variants.on.ours ? scoreRow(r, 'on') : undefined;
    const cell = (row) => (row ? `${x2(row.vsForesight)} | ${pct(row.ours.sloAttainment)} | ${row.win ? '**ours**' : row.winner}` : '| |');
    const best = off.bestPeer ? `${off.bestPeer.name} ${pct(off.bestPeer.sloAttainment)}` : '-';
    out.push(
      `| ${r.key} | ${r.profile} | ${n(r.requests)} | ${r.span.startsWith('day') ? `${r.span} (${+r.hours.toFixed(1)} h)` : `${+r.hours.toFixed(1)} h`} | ${r.foresightGpuHours.toFixed(1)} | ${best} | ${cell(off)} | ${cell(on)} |`,
    );
  }
  return out;
}

/** Rows of one scenario x profile that lost the same way with and without the SLO are named once, "(both)". */
function merged(rows) {
  const out = [];
  for (const r of rows) {
    const twin = out.find((o) => o.key === r.key && o.profile === r.profile && o.why === r.why);
    if (twin) twin.label = `${r.key} ${r.profile} (both)`;
    else out.push({ ...r, label: r.name });
  }
  return out;
}

function losses(rows) {
  const lost = rows.filter((r) => !r.win);
  const att = lost.filter((r) => r.why.startsWith('attainment')).sort((a, b) => b.gapPp - a.gapPp);
  const cost = lost.filter((r) => !r.why.startsWith('attainment'));
  const ratio = (r) => Number(/\(([0-9.]+)x\)$/.exec(r.why)?.[1] ?? 0);
  cost.sort((a, b) => ratio(b) - ratio(a));
  const list = (xs) =>
    merged(xs)
      .slice(0, 12)
      .map((r) => `${r.label}: ${r.why}`)
      .join('; ') || 'none';
  const out = [];
  out.push(`- Below the bar on attainment (${att.length} rows), largest gaps first: ${list(att)}.`);
  out.push(`- At the bar but a peer cheaper (${cost.length} rows), largest GPU-hour ratios first: ${list(cost)}.`);
  const winners = {};
  for (const r of lost) winners[r.winner] = (winners[r.winner] ?? 0) + 1;
  out.push(
    `- Winners where ours loses: ${
      Object.entries(winners)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }.`,
  );
  return out;
}

export function sectionMarkdown({ results, summary: s, run }) {
  const m = run.machine;
  const dist = (d) => `p10 ${d.p10.toFixed(2)}, median ${d.median.toFixed(2)}, p90 ${d.p90.toFixed(2)}, max ${d.max.toFixed(2)}`;
  const out = [];
  out.push(
    'How close does ours get to a foresight schedule, and does it beat the autoscaling peers, across a corpus of real and generated traffic? ' +
      "Every policy replays each scenario through the simulator (`src/simulator`: the gateway's own `Admission` routing and queue, the engine simulator's service model, the policies of `src/autoscaler`). " +
      'Generated by `bench/autoscaling/run.mjs`; do not edit by hand.',
  );
  out.push('');
  out.push('```');
  out.push('npm run bench:autoscaling                 # npm run build && node bench/autoscaling/run.mjs: the whole corpus, writes this section');
  out.push(
    `node bench/autoscaling/run.mjs --quick   # ${QUICK.filter((q) => q.startsWith('servegen-')).length} ServeGen clients, the code trace, the generators; a100 only; no docs`,
  );
  out.push('#   --only REGEX (scenario key or key/profile)  --profile a100|small  --policies ours,kpa,...  --jobs N  --json PATH  --no-docs');
  out.push('```');
  out.push('');
  out.push(
    `Run ${m.date} on ${m.nproc} cores (${m.cpu}), Node ${m.node}, load average at start ${m.load} (the machine was shared with other work, so wall times are upper bounds): ` +
      `${results.length} scenario x profile jobs in **${(run.wallS / 60).toFixed(1)} min** on ${run.jobs} worker threads (${(run.cpuS / 60).toFixed(1)} min of CPU time); 500 functions (both cores, simulate()'s worker pool): ${run.functionTimes.join('; ')}. ` +
      'Per-scenario results (GPU-hours, attainment, x foresight, cold starts of every policy) in `bench/autoscaling/results/corpus.json`.',
  );
  out.push('');
  out.push('### Protocol');
  out.push('');
  out.push(...protocol(results));
  out.push('');
  out.push('### Summary against the aims');
  out.push('');
  out.push('| aim | result | |');
  out.push('|---|---|---|');
  out.push(`| ours wins >= ${AIMS.winShare * 100}% of rows | ${s.wins} of ${s.count} = ${share(s.winShare)} | ${yes(s.aims.winShare)} |`);
  out.push(`| geometric mean of ours / foresight <= ${AIMS.geomean}x | ${x2(s.geomean)} | ${yes(s.aims.geomean)} |`);
  const rw = s.runaway;
  out.push(
    `| no runaway > ${AIMS.runaway}x where the SLO is unreachable | ${rw.unreachable} such scenario x profile; ${rw.worst ? `worst ${rw.worst.name} ${x2(rw.worst.ratio)}` : 'none'}${rw.over.length ? `; over: ${rw.over.join(', ')}` : ''} | ${yes(s.aims.runaway)} |`,
  );
  out.push('');
  out.push('| rows | wins | geomean ours/fs |');
  out.push('|---|---:|---:|');
  for (const [label, m2] of [
    ['group', s.byGroup],
    ['profile', s.byProfile],
    ['ours SLO', s.bySlo],
  ]) {
    for (const [k, v] of Object.entries(m2)) out.push(`| ${label} ${k} | ${v.wins} / ${v.count} | ${x2(v.geomean)} |`);
  }
  out.push('');
  out.push(`- ours / foresight: ${dist(s.vsForesight)}. Worst: ${s.worstForesight.map((w) => `${w.name} ${x2(w.vsForesight)}`).join(', ')}.`);
  out.push(
    `- attainment gap to the best peer (points, positive = ours below): ${dist(s.gapPp)}. Worst: ${s.worstGap.map((w) => `${w.name} ${w.gapPp.toFixed(2)} (vs ${w.bestPeer})`).join(', ')}.`,
  );
  const ratios = rw.rows.map((r) => r.ratio);
  out.push(
    `- ours with the SLO / without it, where the SLO is out of reach: ${ratios.length ? `min ${x2(Math.min(...ratios))}, median ${x2(percentile(ratios, 50))}, max ${x2(Math.max(...ratios))} over ${rw.rows.map((r) => r.name).join(', ')}` : 'no such scenario'}; ` +
      `largest anywhere ${rw.worstAnyScenario ? `${rw.worstAnyScenario.name} ${x2(rw.worstAnyScenario.ratio)}` : '-'}.`,
  );
  out.push('');
  out.push('### Where ours loses');
  out.push('');
  out.push(...losses(s.rows));
  out.push('');
  out.push('### Per scenario');
  out.push('');
  out.push(
    "ours/fs: ours' GPU-hours / the foresight reference; att: share of requests within the SLO; winner: the cheapest policy at or above the bar (**ours** = a win).",
  );
  out.push('');
  out.push(...perScenario(results));
  return out.join('\n');
}
