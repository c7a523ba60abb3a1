/**
 * Synthetic, seeded arrival generators: Poisson, diurnal (sinusoidal rate), bursts on a base rate, on-off
 * traffic, a flash crowd, and long prompts.
 * Non-constant rates are drawn by thinning (Lewis-Shedler): candidates at the peak rate, each kept with
 * probability rate(t) / peak. Token lengths come from `tokens` (DEFAULT_TOKENS unless given).
 */
import { invalid } from '../../core/errors.js';
import { exponential, mulberry32 } from '../random.js';
import { DEFAULT_TOKENS, drawTokens, LONG_PROMPT_TOKENS, type TokenDistribution } from './tokens.js';
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
  return generateRate(() => o.rate, o.rate, {
    ...o,
    name: o.name ?? 'poisson',
    description: `Poisson ${o.rate}/s for ${o.durationMs / 1000} s (seed ${o.seed ?? 1})`,
  });
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

/** `high` for `widthMs` of every `everyMs` from `firstMs` on, else `low`. */
function squareWave(firstMs: number, everyMs: number, widthMs: number, high: number, low: number): (tMs: number) => number {
  return (t) => {
    const k = t - firstMs;
    return k >= 0 && k % everyMs < widthMs ? high : low;
  };
}

/** A base rate, and every `everyMs` a burst of `burstRate` lasting `burstMs` (first burst at `firstMs`). */
export function burstTrace(o: Common & { baseRate: number; burstRate: number; everyMs: number; burstMs: number; firstMs?: number }): Trace {
  const rateAt = squareWave(o.firstMs ?? o.everyMs / 2, o.everyMs, o.burstMs, o.burstRate, o.baseRate);
  return generateRate(rateAt, Math.max(o.baseRate, o.burstRate), {
    ...o,
    name: o.name ?? 'bursts',
    description: `bursts: base ${o.baseRate}/s, ${o.burstRate}/s for ${o.burstMs / 1000} s every ${o.everyMs / 1000} s (seed ${o.seed ?? 1})`,
  });
}

/** On-off traffic: `rate` for `onMs`, then nothing for `offMs`, repeated; the first on-period starts at `firstMs` (default 0). */
export function onOffTrace(o: Common & { rate: number; onMs: number; offMs: number; firstMs?: number }): Trace {
  return generateRate(squareWave(o.firstMs ?? 0, o.onMs + o.offMs, o.onMs, o.rate, 0), o.rate, {
    ...o,
    name: o.name ?? 'on-off',
    description: `on-off: ${o.rate}/s for ${o.onMs / 1000} s, then idle for ${o.offMs / 1000} s (seed ${o.seed ?? 1})`,
  });
}

/**
 * A flash crowd: `baseRate`, then from `atMs` a linear rise over `rampMs` to `peakRate`, held for `holdMs`,
 * then a linear fall back to the base over `decayMs`.
 */
export function flashCrowdTrace(o: Common & { baseRate: number; peakRate: number; atMs: number; rampMs: number; holdMs: number; decayMs: number }): Trace {
  const { baseRate: base, peakRate: peak, atMs: at, rampMs: ramp, holdMs: hold, decayMs: decay } = o;
  const rateAt = (t: number): number => {
    const k = t - at;
    if (k < 0 || k >= ramp + hold + decay) return base;
    if (k < ramp) return base + ((peak - base) * k) / ramp;
    if (k < ramp + hold) return peak;
    return peak - ((peak - base) * (k - ramp - hold)) / decay;
  };
  return generateRate(rateAt, Math.max(base, peak), {
    ...o,
    name: o.name ?? 'flash-crowd',
    description:
      `flash crowd: base ${base}/s, at ${at / 1000} s up to ${peak}/s over ${ramp / 1000} s, held ${hold / 1000} s, ` +
      `back over ${decay / 1000} s (seed ${o.seed ?? 1})`,
  });
}

/** Long prompts (LONG_PROMPT_TOKENS unless `tokens` is given) at a diurnal rate (amplitude 0, the default: Poisson). */
export function longPromptTrace(o: Common & { meanRate: number; amplitude?: number; periodMs?: number }): Trace {
  const tokens = o.tokens ?? LONG_PROMPT_TOKENS;
  const t = diurnalTrace({ ...o, tokens, amplitude: o.amplitude ?? 0, periodMs: o.periodMs ?? 86_400_000, name: o.name ?? 'long-prompts' });
  return { ...t, description: `long prompts (median ${tokens.promptMedian} tokens), ${t.description}` };
}
