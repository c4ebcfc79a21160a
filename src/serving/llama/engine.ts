/**
 * The llama.cpp chat engine (node-llama-cpp): answers GenerateRequests from a GGUF file with
 * everything the PyTorch engine promises for them (the same prompt tokens, sampling controls, stop
 * strings, n choices with seed + i, streaming, usage, cancellation, structured output), except
 * functions, which stay with the PyTorch engine (`unsupported` says so and the router sends them
 * there). Requests to one model run together as sequences of one context, batched by llama.cpp;
 * beyond its sequences they wait in a bounded queue, and beyond that they are refused (429).
 */
import { availableParallelism } from "node:os";
import type { LlamaContextSequence } from "node-llama-cpp";
import { ServeGenerateOp } from "../../../protocol/index.ts";
import { TailorError } from "../../errors/index.ts";
import type { Choice, CountTokensRequest, GenerateEvent, GenerateRequest } from "../inference.ts";
import { decodeChoice } from "./decode.ts";
import { type LoadedModel, ModelPool } from "./models.ts";
import { unsupportedReason } from "./support.ts";
import type { LlamaChatEngine, LlamaEngineOptions } from "./types.ts";

export class LlamaEngine implements LlamaChatEngine {
  readonly #pool: ModelPool;

  constructor(opts: LlamaEngineOptions = {}) {
    this.#pool = new ModelPool({
      threads: opts.threads ?? availableParallelism(),
      sequences: opts.sequences ?? 8,
      maxQueue: opts.maxQueue ?? 32,
      maxModels: opts.maxModels ?? 2,
      onLog: opts.onLog,
    });
  }

  unsupported(req: GenerateRequest): string | null {
    return unsupportedReason(req);
  }

  async *generate(
    gguf: string,
    req: GenerateRequest,
    opts: { signal?: AbortSignal | undefined; stream?: boolean | undefined } = {},
  ): AsyncGenerator<GenerateEvent, void, undefined> {
    const op = parse(req);
    const why = unsupportedReason(req);
    if (why !== null)
      throw new TailorError({
        code: "invalid_argument",
        message: `llama.cpp cannot answer this request: ${why}`,
      });
    const { signal } = opts;
    const stream = opts.stream ?? true;
    if (signal?.aborted) return;
    const loaded = await this.#pool.acquire(gguf);
    let sequence: LlamaContextSequence | undefined;
    const closing: Promise<unknown>[] = [];
    let run: ReturnType<typeof decodeChoice> | undefined;
    const started = performance.now();
    try {
      const grammar = await loaded.grammars.for(op.response_format, op.constrained);
      const prompt = loaded.prompt.tokens(op.messages);
      const room = loaded.context.contextSize - 1 - prompt.length;
      if (room < 1) {
        throw new TailorError({
          code: "invalid_argument",
          message: `the conversation is ${prompt.length} tokens; llama.cpp holds ${loaded.context.contextSize} for ${loaded.file}, the answer included. Shorten it`,
          details: { field: "messages" },
        });
      }
      sequence = await loaded.slots.acquire(signal);
      if (sequence === undefined) return; // aborted while waiting
      const choices: Choice[] = [];
      let completionTokens = 0;
      for (let index = 0; index < op.n; index++) {
        if (index > 0) {
          // keep the prompt's state but its last token, which is evaluated again to sample anew
          await Promise.all(closing);
          const end = sequence.nextTokenIndex;
          await sequence.eraseContextTokenRanges([{ start: prompt.length - 1, end }]);
        }
        run = decodeChoice({
          model: loaded.model,
          sequence,
          input: index === 0 ? prompt : prompt.slice(-1),
          temperature: op.temperature,
          topP: op.top_p,
          topK: op.top_k,
          seed: op.seed + index,
          grammar,
          maxTokens: Math.min(op.max_tokens, room),
          stops: op.stop,
          signal,
          closing,
        });
        for (;;) {
          const step = await run.next();
          if (step.done) {
            if (step.value.finish === "cancelled") return; // as InferenceEngine: the iterable ends
            choices.push({ index, text: step.value.text, finish_reason: step.value.finish });
            completionTokens += step.value.tokens;
            break;
          }
          if (stream) yield { type: "delta", index, text: step.value };
        }
      }
      yield {
        type: "result",
        choices,
        prompt_tokens: prompt.length,
        completion_tokens: completionTokens,
      };
    } finally {
      // a consumer that left mid-answer leaves the choice suspended: end it, closing its tokens
      if (run !== undefined) await run.return({ text: "", finish: "cancelled", tokens: 0 });
      void settle(loaded, sequence, closing, started, this.#pool);
    }
  }

  async countTokens(
    gguf: string,
    req: CountTokensRequest,
    opts: { signal?: AbortSignal | undefined } = {},
  ): Promise<number> {
    const why = unsupportedReason({ messages: req.messages, tools: req.tools });
    if (why !== null) {
      throw new TailorError({
        code: "invalid_argument",
        message: `llama.cpp does not count this conversation: ${why}`,
      });
    }
    if (opts.signal?.aborted)
      throw new TailorError({ code: "cancelled", message: "count_tokens was cancelled" });
    const loaded = await this.#pool.acquire(gguf);
    try {
      return loaded.prompt.tokens(req.messages, req.addGenerationPrompt ?? true).length;
    } finally {
      this.#pool.release(loaded);
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

/** Gives the sequence back, cleared, once what is still running on it has ended; then the model. */
async function settle(
  loaded: LoadedModel,
  sequence: LlamaContextSequence | undefined,
  closing: Promise<unknown>[],
  started: number,
  pool: ModelPool,
): Promise<void> {
  try {
    if (sequence !== undefined) {
      await Promise.all(closing);
      await sequence.clearHistory().catch(() => undefined);
      loaded.slots.release(sequence, (performance.now() - started) / 1000);
    }
  } finally {
    pool.release(loaded);
  }
}

type Op = ReturnType<typeof ServeGenerateOp.parse>;

function parse(req: GenerateRequest): Op {
  const { adapterDir: _, ...rest } = req;
  const parsed = ServeGenerateOp.safeParse({ ...rest, op: "generate", id: "llama" });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new TailorError({
      code: "invalid_argument",
      message: `invalid generate request: ${issues.join("; ")}`,
    });
  }
  return parsed.data;
}
