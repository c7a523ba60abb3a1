/**
 * Token lengths for formats that carry none (Azure Functions counts, ServeGen rates, generators).
 * Default: lognormal prompt and output lengths shaped like the Azure LLM *conversation* trace of the
 * Splitwise paper (median prompt ~1k tokens, median output ~130 tokens, long right tails), clamped.
 */
import { lognormal, type Rand } from '../random.js';

export interface TokenDistribution {
  promptMedian: number;
  promptSigma: number;
  promptMax: number;
  completionMedian: number;
  completionSigma: number;
  completionMax: number;
}

export const DEFAULT_TOKENS: TokenDistribution = Object.freeze({
  promptMedian: 1024,
  promptSigma: 1.0,
  promptMax: 8192,
  completionMedian: 128,
  completionSigma: 0.9,
  completionMax: 2048,
});

/**
 * Long prompts: a median of 4,000 prompt tokens (document summarisation or retrieval-augmented prompts),
 * within an 8k context with the output; output median 200 tokens.
 */
export const LONG_PROMPT_TOKENS: TokenDistribution = Object.freeze({
  promptMedian: 4000,
  promptSigma: 0.4,
  promptMax: 7680,
  completionMedian: 200,
  completionSigma: 0.6,
  completionMax: 512,
});

/** Draws one (prompt, completion) pair into `out` (avoids allocating per arrival). */
export function drawTokens(rand: Rand, d: TokenDistribution, out: { prompt: number; completion: number }): void {
  out.prompt = clampRound(lognormal(rand, Math.log(d.promptMedian), d.promptSigma), d.promptMax);
  out.completion = clampRound(lognormal(rand, Math.log(d.completionMedian), d.completionSigma), d.completionMax);
}

function clampRound(x: number, max: number): number {
  const r = Math.round(x);
  return r < 1 ? 1 : Math.min(r, max);
}

/** "median:sigma:max,median:sigma:max" (prompt then completion) -> distribution, for CLI flags. */
export function parseTokenDistribution(text: string): TokenDistribution {
  const [p, c] = text.split(',');
  const parse = (s: string | undefined, fallback: [number, number, number]): [number, number, number] => {
    if (!s) return fallback;
    const parts = s.split(':').map(Number);
    return [parts[0] || fallback[0], parts[1] ?? fallback[1], parts[2] || fallback[2]];
  };
  const d = DEFAULT_TOKENS;
  const [pm, ps, px] = parse(p, [d.promptMedian, d.promptSigma, d.promptMax]);
  const [cm, cs, cx] = parse(c, [d.completionMedian, d.completionSigma, d.completionMax]);
  return { promptMedian: pm, promptSigma: ps, promptMax: px, completionMedian: cm, completionSigma: cs, completionMax: cx };
}
