import type { EngineName } from '../domain/types.js';

/** What a provider needs to start one replica of an engine. */
export interface EngineLaunch {
  modelName: string;
  /** the stored model file when the model is in the model store (`<dataDir>/models/<name>/<file>`) */
  modelPath?: string;
  engineParams: string;
  host: string;
  port: number;
  /** GPU indices this replica holds (becomes CUDA_VISIBLE_DEVICES) */
  gpus: number[];
  gpuCount: number;
  /** a fractional replica: its share of its one GPU's memory (MiB) and that GPU's memory; the engine keeps within the share */
  gpuMemory?: { shareMb: number; totalMb: number };
  /** the replica's engine key (engine-key.ts): the engine must refuse inference requests without it */
  apiKey?: string;
  /** start with sleep mode on (its deployment's idle replicas sleep: src/engines/sleep-mode.ts) */
  sleepMode?: boolean;
}

export interface EngineCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * One engine (sim, llama.cpp, vLLM, SGLang, a custom command) behind one interface: it validates its
 * parameters up front (so bad params fail the create, not the replica), says how to start a replica
 * and where its health endpoint is.
 */
export interface EngineDriver {
  readonly name: EngineName;
  /** Throws invalid_argument naming the parameter and its limits. */
  validateParams(params: string): void;
  command(launch: EngineLaunch): EngineCommand;
  readonly healthPath: string;
  readonly metricsPath?: string;
  /** one line per accepted parameter, for --engine-parameter-help */
  paramHelp(): string[];
}
