/**
 * Progress of a wait: on a TTY one line rewritten in place (with rate and ETA), otherwise plain lines, each
 * written when the plain text changes and at most once per `plainEveryMs` (logs and CI read those).
 */
import { duration } from '../models/progress-line.js';
import { cliIo } from './io.js';

export interface ProgressOptions {
  /** the least time between two plain lines (0: every change) */
  plainEveryMs?: number;
  now?: () => number;
}

export class ProgressWriter {
  private readonly tty: boolean;
  private shown = '';
  private lastPlain = '';
  private lastPlainAt = -Infinity;

  constructor(private readonly o: ProgressOptions = {}) {
    this.tty = cliIo().stderr.isTTY === true;
  }

  /** `line` on a TTY; `plain` (default `line`) as a line of its own otherwise. */
  update(line: string, plain = line): void {
    const err = cliIo().stderr;
    if (this.tty) {
      err.write(`\r${line.padEnd(this.shown.length)}`);
      this.shown = line;
      return;
    }
    const at = (this.o.now ?? Date.now)();
    if (plain === this.lastPlain || at - this.lastPlainAt < (this.o.plainEveryMs ?? 0)) return;
    err.write(`${plain}\n`);
    this.lastPlain = plain;
    this.lastPlainAt = at;
  }

  /** Ends the rewritten line (nothing to do for plain lines), then writes `message` on its own line if given. */
  done(message?: string): void {
    if (this.tty && this.shown) cliIo().stderr.write('\n');
    this.shown = '';
    if (message) cliIo().stderr.write(`${message}\n`);
  }
}

export interface ReadySample {
  at: number;
  ready: number;
}

/** e.g. "1/3 ready, 12s, ETA 24s": replicas ready out of desired, time since the wait began, ETA from the rate so far. */
export function readyProgress(first: ReadySample, now: ReadySample, desired: number): string {
  const secs = (now.at - first.at) / 1000;
  const gained = now.ready - first.ready;
  const eta = gained > 0 && now.ready < desired ? `, ETA ${duration(((desired - now.ready) * secs) / gained)}` : '';
  return `${now.ready}/${desired} ready, ${duration(secs)}${eta}`;
}
