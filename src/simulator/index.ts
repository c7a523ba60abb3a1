/** The simulator's public API. */
export { simulateCommand, runSimulateCli, renderReport } from './cli.js';
export { simulate, simulateOne, DEFAULT_PRICE_PER_GPU_HOUR, type SimulateOptions, type SimulationReport, type SimulateOneResult } from './simulate.js';
export { computeReferences, idealLoad, foresightSchedule, type References } from './references.js';
export { loadTrace, detectFormat, TRACE_FORMATS, type LoadTraceOptions, type TraceFormat } from './traces/load.js';
export { traceFromRequestLog, traceFromArrivals, splitByDeployment, sliceTrace, type Trace, type TraceArrival } from './traces/trace.js';
export { poissonTrace, diurnalTrace, burstTrace, onOffTrace, flashCrowdTrace, longPromptTrace } from './traces/generators.js';
export { DEFAULT_TOKENS, LONG_PROMPT_TOKENS, type TokenDistribution } from './traces/tokens.js';
export type { PolicyReport } from './report/summary.js';
export type { DeploymentResult, SimOptions } from './engine/options.js';
