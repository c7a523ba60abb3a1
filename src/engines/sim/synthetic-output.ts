/**
 * What the simulator "generates": deterministic filler words (one token each, by countTokens) and
 * small deterministic embedding vectors.
 */

const WORDS = [
  'the',
  'quick',
  'brown',
  'fox',
  'jumps',
  'over',
  'a',
  'lazy',
  'dog',
  'while',
  'seven',
  'bright',
  'models',
  'serve',
  'many',
  'tokens',
  'every',
  'second',
  'on',
  'one',
  'GPU',
];

/** The i-th (0-based) filler word; the sequence cycles through a fixed list. */
export function fillerWord(i: number): string {
  return WORDS[i % WORDS.length];
}

/** The text piece for output token i: words are joined by single spaces, none before the first. */
export function fillerPiece(i: number, leadingSpace: boolean): string {
  return i === 0 && !leadingSpace ? fillerWord(0) : ` ${fillerWord(i)}`;
}

/** The whole filler text of n tokens (as the pieces would concatenate). */
export function fillerText(n: number, leadingSpace = false): string {
  let out = '';
  for (let i = 0; i < n; i++) out += fillerPiece(i, leadingSpace);
  return out;
}

/** Dimensions of the simulated embeddings. */
export const EMBEDDING_DIMS = 8;

/** 32-bit FNV-1a over the UTF-16 code units of s. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A unit-length vector of EMBEDDING_DIMS numbers that depends only on the input text. */
export function embeddingOf(text: string): number[] {
  let state = fnv1a(text) || 1;
  const v: number[] = [];
  for (let i = 0; i < EMBEDDING_DIMS; i++) {
    // xorshift32 steps seeded by the hash
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    v.push(state / 0xffffffff - 0.5);
  }
  const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
  return v.map((x) => Math.round((x / norm) * 1e6) / 1e6);
}
