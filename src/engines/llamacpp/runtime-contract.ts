/** What the llamacpp server asks of a loaded model (runtime.ts makes it; tests fake it): apart, so sleep.ts and the server share it. */
import type { GenerateInput, Sampling } from './requests.js';
import type { Finish } from './responses.js';

export interface GenerateResult {
  text: string;
  promptTokens: number;
  completionTokens: number;
  finish: Finish;
}

/** A loaded model with `parallel` sequences; the server never calls generate more than that at once. */
export interface LlamaRuntime {
  /** context tokens of one sequence */
  readonly contextSize: number;
  generate(input: GenerateInput & Sampling, o: { signal: AbortSignal; onText: (text: string) => void }): Promise<GenerateResult>;
  /** One vector per text, in order, from an embedding context the runtime creates on first use. */
  embed(texts: string[]): Promise<{ vectors: number[][]; promptTokens: number }>;
  close(): Promise<void>;
}
