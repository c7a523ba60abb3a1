/** A FIFO pool of the context's parallel sequences: who runs, who waits, who is turned away. */
import { OpenAIError } from '../sim/openai-requests.js';

export class Slots {
  running = 0;
  private readonly queue: Array<{ grant: () => void; cancel: () => void }> = [];

  constructor(
    private readonly size: number,
    private readonly maxWaiting: number,
  ) {}

  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Reserves a place now (throws 503 engine_overloaded when the queue is full) and resolves with a
   * release function once a sequence is free. Rejects if `signal` aborts while waiting.
   */
  acquire(signal: AbortSignal): Promise<() => void> {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.running--;
      const next = this.queue.shift();
      if (next) next.grant();
    };
    if (this.running < this.size) {
      this.running++;
      return Promise.resolve(release);
    }
    if (this.queue.length >= this.maxWaiting) {
      throw new OpenAIError(
        503,
        `engine overloaded: ${this.running} running and ${this.queue.length} waiting (--max-waiting ${this.maxWaiting})`,
        'server_error',
        'engine_overloaded',
      );
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          signal.removeEventListener('abort', entry.cancel);
          this.running++;
          resolve(release);
        },
        cancel: () => {
          const i = this.queue.indexOf(entry);
          if (i >= 0) this.queue.splice(i, 1);
          reject(new Error('client went away while waiting'));
        },
      };
      signal.addEventListener('abort', entry.cancel, { once: true });
      this.queue.push(entry);
    });
  }
}
