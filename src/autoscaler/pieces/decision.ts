/**
 * A PolicyResult whose reason text is built only when it is read: the simulator asks every policy every
 * second for millions of simulated seconds and never reads a reason; the live loop reads the few it records.
 */
import type { PolicyResult } from '../types.js';

export function lazyResult<S>(desired: number, state: S, reason: () => string): PolicyResult<S> {
  let text: string | undefined;
  return {
    desired,
    state,
    get reason(): string {
      if (text === undefined) text = reason();
      return text;
    },
  };
}
