import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../core/clock.js';
import { waitFor } from '../../test/harness.js';
import { LocalProvider } from './provider.js';
import type { EngineDriver } from '../../engines/types.js';

// A real process writing its log through the provider (O_APPEND), rotated while it writes.
test('replica log files are rotated past their size (the replica writes on) and deleted when long unwritten', async () => {
  const logDir = mkdtempSync(join(tmpdir(), 'inferscale-logs-'));
  const provider = new LocalProvider({ clock: systemClock, logDir, logMaxBytes: 10_000, logMaxAgeMs: 3_600_000 });
  const chatty: EngineDriver = {
    name: 'command',
    healthPath: '/health',
    validateParams: () => undefined,
    paramHelp: () => [],
    command: () => ({ command: process.execPath, args: ['-e', 'setInterval(() => console.log("x".repeat(99)), 2)'], env: {} }),
  };
  const h = await provider.start('chat-abc', 'chat', chatty, { modelName: 'm', engineParams: '', gpus: [], gpuCount: 0 });
  const log = join(logDir, 'chat', 'chat-abc.log');
  mkdirSync(join(logDir, 'old'));
  const stale = join(logDir, 'old', 'old-1.log');
  writeFileSync(stale, 'gone long ago\n');
  utimesSync(stale, new Date(Date.now() - 7_200_000), new Date(Date.now() - 7_200_000));
  try {
    await waitFor(() => statSync(log).size > 10_000, { what: 'the log past its size' });
    await provider.maintainLogs();
    assert.ok(statSync(`${log}.1`).size > 10_000, 'the old part kept once');
    assert.equal(existsSync(stale), false, 'a log unwritten for longer than its age is deleted');
    const after = statSync(log).size;
    assert.ok(after < 10_000, `emptied: ${after}`);
    await waitFor(() => statSync(log).size > after, { what: 'the replica writes on' });
    assert.match(readFileSync(log, 'utf8').split('\n').filter(Boolean).pop()!, /^x+$/, 'whole lines at the new end');
  } finally {
    await provider.stop(h, 500);
    provider.close();
    rmSync(logDir, { recursive: true, force: true });
  }
});
