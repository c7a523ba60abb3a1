/**
 * Synthetic, seeded arrival generators: Poisson, diurnal (sinusoidal rate) and bursts on a base rate.
 * Non-constant rates are drawn by thinning (Lewis-Shedler): candidates at the peak rate, each kept with
 * probability rate(t) / peak. Token lengths come from `tokens` (DEFAULT_TOKENS unless given).
 */
import { invalid } from '../../core/errors.js';
import { exponential, mulberry32 } from '../random.js';
import { DEFAULT_TOKENS, drawTokens, type TokenDistribution } from './tokens.js';
import { TraceBuilder, type Trace } from './trace.js';

interface Common {
  durationMs: number;
  seed?: number;
  tokens?: TokenDistribution;
  name?: string;
}

/** Arrivals with rate `rateAt(t)` per second (t in ms), bounded by `peak`. */
export function generateRate(rateAt: (tMs: number) => number, peak: number, o: Common & { description: string }): Trace {
  if (!(o.durationMs > 0)) throw invalid('durationMs', 'must be > 0');
  const rand = mulberry32(o.seed ?? 1);
  const tokens = o.tokens ?? DEFAULT_TOKENS;
  const b = new TraceBuilder();
  const tok = { prompt: 0, completion: 0 };
  if (peak > 0) {
    for (let t = exponential(rand, peak) * 1000; t < o.durationMs; t += exponential(rand, peak) * 1000) {
      if (rand() * peak >= rateAt(t)) continue;
      drawTokens(rand, tokens, tok);
      b.push(t, tok.prompt, tok.completion);
    }
  }
  return b.finish({ name: o.name ?? 'generated', description: o.description, durationMs: o.durationMs });
}

export function poissonTrace(o: Common & { rate: number }): Trace {
  return generateRate(() => o.rate, o.rate, { ...o, name: o.name ?? 'poisson', description: `Poisson ${o.rate}/s for ${o.durationMs / 1000} s (seed ${o.seed ?? 1})` });
}

/** rate(t) = mean * (1 + amplitude * sin(2 pi t / period)), amplitude in [0, 1]. */
export function diurnalTrace(o: Common & { meanRate: number; amplitude: number; periodMs: number }): Trace {
  const a = Math.min(1, Math.max(0, o.amplitude));
  const w = (2 * Math.PI) / o.periodMs;
  return generateRate((t) => o.meanRate * (1 + a * Math.sin(w * t)), o.meanRate * (1 + a), {
    ...o,
    name: o.name ?? 'diurnal',
    description: `diurnal: mean ${o.meanRate}/s, amplitude ${a}, period ${o.periodMs / 1000} s (seed ${o.seed ?? 1})`,
  });
}

/** A base rate, and every `everyMs` a burst of `burstRate` lasting `burstMs` (first burst at `firstMs`). */
export function burstTrace(o: Common & { baseRate: number; burstRate: number; everyMs: number; burstMs: number; firstMs?: number }): Trace {
  const first = o.firstMs ?? o.everyMs / 2;
  const rateAt = (t: number): number => {
    const k = t - first;
    return k >= 0 && k % o.everyMs < o.burstMs ? o.burstRate : o.baseRate;
  };
  return generateRate(rateAt, Math.max(o.baseRate, o.burstRate), {
    ...o,
    name: o.name ?? 'bursts',
    description: `bursts: base ${o.baseRate}/s, ${o.burstRate}/s for ${o.burstMs / 1000} s every ${o.everyMs / 1000} s (seed ${o.seed ?? 1})`,
  });
}
