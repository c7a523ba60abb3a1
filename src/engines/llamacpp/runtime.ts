/**
 * The one place that talks to node-llama-cpp: loads a GGUF model (prebuilt binaries from the npm
 * registry, never built here), creates one context with `parallel` sequences and generates on them.
 * Chat requests go through the model's chat template (LlamaChat), completions through LlamaCompletion.
 */
import {
  getLlama,
  LlamaChat,
  type LlamaEmbeddingContext,
  LlamaCompletion,
  LlamaLogLevel,
  resolveChatWrapper,
  type ChatHistoryItem,
  type LlamaContextSequence,
  type Token,
} from 'node-llama-cpp';
import { OpenAIError } from '../sim/openai-requests.js';
import type { LlamaCppParams } from './params.js';
import type { ChatMessage, GenerateInput, Sampling } from './requests.js';
import type { GenerateResult, LlamaRuntime } from './runtime-contract.js';

export interface LoadOptions {
  modelPath: string;
  params: LlamaCppParams;
  /** CUDA_VISIBLE_DEVICES as given to the replica: empty means no GPU was assigned */
  visibleDevices?: string;
  log: (line: string) => void;
}

function history(messages: ChatMessage[]): ChatHistoryItem[] {
  const out: ChatHistoryItem[] = messages.map((m) =>
    m.role === 'assistant'
      ? { type: 'model', response: [m.content] }
      : m.role === 'system'
        ? { type: 'system', text: m.content }
        : { type: 'user', text: m.content },
  );
  // a trailing assistant message is continued; otherwise the model answers the last user turn
  if (out[out.length - 1].type !== 'model') out.push({ type: 'model', response: [] });
  return out;
}

function gpuOption(p: LlamaCppParams, visible: string | undefined): 'auto' | 'cuda' | 'vulkan' | false {
  if (p.gpu === 'cpu') return false;
  if (p.gpu !== 'auto') return p.gpu;
  return visible === '' ? false : 'auto';
}

export async function loadRuntime(o: LoadOptions): Promise<LlamaRuntime> {
  const t0 = Date.now();
  const llama = await getLlama({
    gpu: gpuOption(o.params, o.visibleDevices),
    build: 'never',
    logLevel: LlamaLogLevel.warn,
    logger: (level, msg) => o.log(`[llama ${level}] ${msg.trimEnd()}`),
  });
  const model = await llama.loadModel({ modelPath: o.modelPath });
  const contextSize = o.params.ctxSizeGiven ? o.params.ctxSize : Math.min(o.params.ctxSize, model.trainContextSize);
  const context = await model.createContext({ contextSize, sequences: o.params.parallel, threads: o.params.threads });
  const free: LlamaContextSequence[] = [];
  for (let i = 0; i < o.params.parallel; i++) free.push(context.getSequence());
  const chatWrapper = resolveChatWrapper(model);
  // created on the first /v1/embeddings request, then kept; requests take turns on it
  let embedding: Promise<LlamaEmbeddingContext> | undefined;
  let embedTurn: Promise<unknown> = Promise.resolve();
  o.log(
    `llama.cpp loaded ${o.modelPath} in ${Date.now() - t0} ms: gpu=${llama.gpu || 'cpu'} ctx=${context.contextSize} x ${o.params.parallel} sequences, threads=${o.params.threads}, chat template ${chatWrapper.wrapperName}`,
  );

  return {
    contextSize: context.contextSize,
    async generate(input: GenerateInput & Sampling, g): Promise<GenerateResult> {
      const sequence = free.pop();
      if (!sequence) throw new OpenAIError(503, 'no free sequence', 'server_error', 'engine_overloaded');
      let completionTokens = 0;
      const common = {
        maxTokens: input.maxTokens,
        temperature: input.temperature,
        topP: input.topP,
        seed: input.seed,
        customStopTriggers: input.stop.length ? input.stop : undefined,
        signal: g.signal,
        stopOnAbortSignal: true,
        onToken: (t: Token[]) => (completionTokens += t.length),
        onTextChunk: g.onText,
      };
      try {
        if (input.kind === 'chat') {
          const h = history(input.messages);
          const promptTokens = chatWrapper.generateContextState({ chatHistory: h }).contextText.tokenize(model.tokenizer).length;
          if (promptTokens >= context.contextSize)
            throw new OpenAIError(
              400,
              `the messages take ${promptTokens} tokens; the context holds ${context.contextSize} (--ctx-size)`,
              'invalid_request_error',
              'context_length_exceeded',
              'messages',
            );
          const chat = new LlamaChat({ contextSequence: sequence, chatWrapper });
          try {
            const r = await chat.generateResponse(h, common);
            return { text: r.response, promptTokens, completionTokens, finish: r.metadata.stopReason === 'maxTokens' ? 'length' : 'stop' };
          } finally {
            chat.dispose();
          }
        }
        const promptTokens = model.tokenize(input.prompt).length;
        if (promptTokens >= context.contextSize)
          throw new OpenAIError(
            400,
            `the prompt takes ${promptTokens} tokens; the context holds ${context.contextSize} (--ctx-size)`,
            'invalid_request_error',
            'context_length_exceeded',
            'prompt',
          );
        const completion = new LlamaCompletion({ contextSequence: sequence });
        try {
          const r = await completion.generateCompletionWithMeta(input.prompt, common);
          return { text: r.response, promptTokens, completionTokens, finish: r.metadata.stopReason === 'maxTokens' ? 'length' : 'stop' };
        } finally {
          completion.dispose();
        }
      } finally {
        free.push(sequence);
      }
    },
    embed(texts) {
      const run = async () => {
        embedding ??= model.createEmbeddingContext({ contextSize: context.contextSize, threads: o.params.threads }).catch((e: unknown) => {
          embedding = undefined;
          throw e;
        });
        const ec = await embedding;
        const vectors: number[][] = [];
        let promptTokens = 0;
        for (const [i, text] of texts.entries()) {
          const tokens = model.tokenize(text);
          if (tokens.length > context.contextSize)
            throw new OpenAIError(
              400,
              `input[${i}] takes ${tokens.length} tokens; the context holds ${context.contextSize} (--ctx-size)`,
              'invalid_request_error',
              'context_length_exceeded',
              'input',
            );
          promptTokens += tokens.length;
          vectors.push([...(await ec.getEmbeddingFor(tokens)).vector]);
        }
        return { vectors, promptTokens };
      };
      const turn = embedTurn.then(run, run);
      embedTurn = turn.catch(() => {});
      return turn;
    },
    async close() {
      if (embedding) await (await embedding.catch(() => undefined))?.dispose();
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}
