/**
 * Seeded randomness for traces and the simulator: a small fast PRNG (mulberry32) and the samplers the
 * trace formats need (exponential, Gamma, Weibull, lognormal). Same seed, same numbers, on every machine.
 */

/** A seeded uniform generator in [0, 1). */
export type Rand = () => number;

/** mulberry32: 32-bit state, period 2^32, good enough for drawing arrivals; not for cryptography. */
export function mulberry32(seed: number): Rand {
  let a = seed >>> 0;
  return function next(): number {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes a seed with a stream number (e.g. a function index), so sub-streams are independent and stable. */
export function deriveSeed(seed: number, stream: number): number {
  let h = (seed ^ Math.imul(stream + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** A stable 32-bit hash of a string (FNV-1a), to seed per-name streams. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Uniform in (0, 1): never 0, so logarithms stay finite. */
function open01(rand: Rand): number {
  let u = rand();
  while (u === 0) u = rand();
  return u;
}

export function exponential(rand: Rand, rate: number): number {
  return -Math.log(open01(rand)) / rate;
}

/** Standard normal by Box-Muller (one value per call, the other discarded: simple and stateless). */
export function normal(rand: Rand): number {
  return Math.sqrt(-2 * Math.log(open01(rand))) * Math.cos(2 * Math.PI * rand());
}

/** exp(N(mu, sigma)): median e^mu. */
export function lognormal(rand: Rand, mu: number, sigma: number): number {
  return Math.exp(mu + sigma * normal(rand));
}

/** Gamma(shape k, scale theta) by Marsaglia-Tsang; shape < 1 by the boost u^(1/k). Mean k * theta. */
export function gamma(rand: Rand, shape: number, scale: number): number {
  if (shape < 1) return gamma(rand, shape + 1, scale) * open01(rand) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rand);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = open01(rand);
    if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
  }
}

/** Weibull(shape k, scale lambda) by inversion. Mean lambda * Gamma(1 + 1/k). */
export function weibull(rand: Rand, shape: number, scale: number): number {
  return scale * (-Math.log(open01(rand))) ** (1 / shape);
}

/** Lanczos approximation of the Gamma function (for Weibull means). */
export function gammaFn(z: number): number {
  if (z < 0.5) return Math.PI / (Math.sin(Math.PI * z) * gammaFn(1 - z));
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const x0 = z - 1;
  let x = c[0];
  for (let i = 1; i < g + 2; i++) x += c[i] / (x0 + i);
  const t = x0 + g + 0.5;
  return Math.sqrt(2 * Math.PI) * t ** (x0 + 0.5) * Math.exp(-t) * x;
}
