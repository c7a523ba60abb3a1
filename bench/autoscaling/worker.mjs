/** A worker thread of run.mjs: runs the jobs (scenario key, profile key) it is sent, one at a time. */
import { parentPort } from 'node:worker_threads';
import { allScenarios, PROFILES, runJob } from './scenarios.mjs';

const scenarios = new Map(allScenarios().map((s) => [s.key, s]));

parentPort.on('message', async ({ id, key, profile, policies }) => {
  try {
    const result = await runJob(scenarios.get(key), PROFILES[profile], { policies });
    parentPort.postMessage({ id, result });
  } catch (e) {
    parentPort.postMessage({ id, error: e?.stack ?? String(e) });
  }
});
