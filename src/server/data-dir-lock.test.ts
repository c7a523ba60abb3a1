import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLock } from './data-dir-lock.js';
import type { ProcessIdentity } from '../providers/local/identity.js';

const dir = () => mkdtempSync(join(tmpdir(), 'inferscale-lock-'));

test("one server per data dir: a second is refused with the first one's pid and port; released, the dir can be taken again", () => {
  const d = dir();
  try {
    const a = DataDirLock.acquire(d);
    assert.throws(() => DataDirLock.acquire(d), new RegExp(`in use by another inferscale server: pid ${process.pid}, still starting`));
    a.listening('http://127.0.0.1:4321', 4321);
    assert.throws(
      () => DataDirLock.acquire(d),
      (e: any) => e.code === 'conflict' && /pid \d+, port 4321 \(http:\/\/127\.0\.0\.1:4321\)/.test(e.message),
    );
    a.release();
    assert.equal(existsSync(join(d, 'server.lock')), false);
    DataDirLock.acquire(d).release();
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('a stale lock is taken over: its process is gone, or its pid now belongs to another program', () => {
  const d = dir();
  try {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(d, 'server.lock'), JSON.stringify({ pid: Number(dead.stdout), start: 'x', port: 1 }));
    const lines: string[] = [];
    const a = DataDirLock.acquire(d, { log: (l) => lines.push(l) });
    assert.match(lines[0], /taking over the stale lock of pid \d+/);
    assert.equal(JSON.parse(readFileSync(join(d, 'server.lock'), 'utf8')).pid, process.pid);
    a.release();
    // our own pid, but recorded with another start: a reused pid, not the holder
    const identity: ProcessIdentity = { startOf: () => 'now', isReplica: () => false, replicasOf: () => [] };
    writeFileSync(join(d, 'server.lock'), JSON.stringify({ pid: process.pid, start: 'long ago', port: 1 }));
    DataDirLock.acquire(d, { identity, pid: 999_999 }).release();
    // the same pid with the recorded start is the holder
    writeFileSync(join(d, 'server.lock'), JSON.stringify({ pid: process.pid, start: 'now', port: 1, url: 'http://x:1' }));
    assert.throws(() => DataDirLock.acquire(d, { identity, pid: 999_999 }), /pid \d+, port 1/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
