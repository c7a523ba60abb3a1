/** A worker thread of run.mjs: loads the mix once, then runs the cases it is sent, one at a time. */
import { parentPort } from 'node:worker_threads';
import { loadMix, runCase } from './cases.mjs';

const trace = loadMix();

parentPort.on('message', async ({ id, c }) => {
  try {
    parentPort.postMessage({ id, result: await runCase(trace, c) });
  } catch (e) {
    parentPort.postMessage({ id, error: e?.stack ?? String(e) });
  }
});
