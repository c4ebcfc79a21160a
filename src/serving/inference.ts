/**
 * The long-lived inference engine: one `python -m tailor_engine serve` process, started on first use,
 * that keeps recently used models loaded, streams generated text, cancels a generation when its
 * signal aborts, computes embeddings, counts prompt tokens, finds names and classifies texts with
 * classifiers (requests to one classifier batched together: classify.ts). If the process dies, what was pending
 * fails with `engine_crashed` and the next request starts a fresh process.
 */
import type { z } from "zod";
import {
  type EngineMessageOf,
  type NameKind,
  type NameSpan,
  type ServeCountTokensOp,
  type ServeGenerateOp,
  ServeOp,
} from "../../protocol/index.ts";
import { engineFailure } from "../engine/process.ts";
import { TailorError } from "../errors/index.ts";
import { ClassifyBatcher, type ClassifyResult } from "./classify.ts";
import { Connection, type Reply } from "./internal/connection.ts";
import { Inbox } from "./internal/inbox.ts";

export interface InferenceEngineOptions {
  /** Chat models (base + adapter) kept loaded; the least recently used is dropped (default 3). */
  maxModels?: number | undefined;
  /** Each line the engine logs (its stderr, and its loading progress). */
  onLog?: ((line: string) => void) | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** A stdout line longer than this is a protocol violation (default 64 MiB: large embeddings). */
  maxLineBytes?: number | undefined;
  /** Grace periods of close(): end stdin, wait, SIGTERM, wait, SIGKILL. */
  graceMs?: { afterClose: number; afterTerm: number } | undefined;
}

/**
 * One generation: the engine's `generate` operation without what this client adds (`op`, `id`,
 * `stream`), with the adapter folder named as the models domain names it.
 */
export type GenerateRequest = Omit<
  z.input<typeof ServeGenerateOp>,
  "op" | "id" | "stream" | "adapter_dir"
> & { adapterDir?: string | undefined };

/** One answer of a generation, as the engine's `result` reply carries it. */
export type Choice = EngineMessageOf<"result">["choices"][number];
export type FinishReason = Choice["finish_reason"];
/**
 * What `generate` yields: the engine's `delta` replies as text comes and `tool_call_delta` replies
 * as function calls come (a call's first fragment names the function, later ones add to its
 * arguments' JSON text), then its `result`, whose choices carry the parsed calls.
 */
export type GenerateEvent =
  | Omit<EngineMessageOf<"delta">, "id">
  | Omit<EngineMessageOf<"tool_call_delta">, "id">
  | Omit<EngineMessageOf<"result">, "id">;

/** Prompt tokens of a conversation: the engine's `count_tokens` operation, named as above. */
export type CountTokensRequest = Omit<
  z.input<typeof ServeCountTokensOp>,
  "op" | "id" | "adapter_dir" | "add_generation_prompt"
> & {
  adapterDir?: string | undefined;
  /** Count the opening of the assistant's turn too, as generation does (default true). */
  addGenerationPrompt?: boolean | undefined;
};

type Op = z.output<typeof ServeOp>;
/** An operation as this client writes it, before it gets its `id`. */
type NewOp =
  z.input<typeof ServeOp> extends infer O ? (O extends unknown ? Omit<O, "id"> : never) : never;
type Final<T extends Reply["type"]> = Extract<Reply, { type: T }>;

export class InferenceEngine {
  readonly #opts: InferenceEngineOptions;
  #connection: Connection | undefined;
  #nextId = 0;
  #closed = false;
  readonly #classifier = new ClassifyBatcher(async (modelDir, input, signal) => {
    const op = this.#op({ op: "classify", model_dir: modelDir, input });
    const { id: _, type: __, ...out } = expect(await this.#request(op, signal), "classifications");
    return out;
  });

  constructor(opts: InferenceEngineOptions = {}) {
    this.#opts = opts;
  }

  /** The process id of the running engine, if one runs. */
  get pid(): number | undefined {
    return this.#connection?.alive ? this.#connection.pid : undefined;
  }

  /**
   * Streams one generation: `delta`s as text is generated and `tool_call_delta`s as calls are
   * (unless `stream: false`), then one `result`. Functions, `tool_choice` and `response_format`
   * pass to the engine as they are; with `constrained` (the default) calls and structured output
   * are decoded under their JSON Schemas, so they always parse and validate. Aborting the signal (or leaving the loop early) cancels it and ends the iterable.
   */
  async *generate(
    req: GenerateRequest,
    opts: { signal?: AbortSignal | undefined; stream?: boolean | undefined } = {},
  ): AsyncGenerator<GenerateEvent, void, undefined> {
    const { adapterDir, ...rest } = req;
    const op = this.#op({
      ...rest,
      op: "generate",
      adapter_dir: adapterDir,
      stream: opts.stream ?? true,
    });
    if (opts.signal?.aborted) return;
    const inbox = new Inbox<Reply>();
    const connection = this.#connect();
    connection.send(op, inbox);
    let finished = false;
    try {
      for (;;) {
        const reply = await inbox.next(opts.signal);
        if (reply === undefined) return; // aborted
        if (reply.type === "delta") {
          yield { type: "delta", index: reply.index, text: reply.text };
          continue;
        }
        if (reply.type === "tool_call_delta") {
          const { id: _, ...fragment } = reply;
          yield fragment;
          continue;
        }
        finished = true;
        const { choices, prompt_tokens, completion_tokens } = expect(reply, "result");
        yield { type: "result", choices, prompt_tokens, completion_tokens };
        return;
      }
    } catch (e) {
      finished = true;
      throw e;
    } finally {
      if (!finished) connection.cancel(op.id);
    }
  }

  /** Unit-length embedding vectors, one per input (default model: all-MiniLM-L6-v2, 384 dims). */
  async embed(
    input: string[],
    opts: { model?: string | undefined; signal?: AbortSignal | undefined } = {},
  ): Promise<{ data: number[][]; prompt_tokens: number }> {
    const op = this.#op({ op: "embed", input, model: opts.model });
    const { data, prompt_tokens } = expect(await this.#request(op, opts.signal), "embeddings");
    return { data, prompt_tokens };
  }

  /** Prompt tokens of a conversation with the model's own tokenizer and chat template. */
  async countTokens(
    req: CountTokensRequest,
    opts: { signal?: AbortSignal | undefined } = {},
  ): Promise<number> {
    const op = this.#op({
      op: "count_tokens",
      base: req.base,
      adapter_dir: req.adapterDir,
      messages: req.messages,
      tools: req.tools,
      add_generation_prompt: req.addGenerationPrompt,
    });
    return expect(await this.#request(op, opts.signal), "token_count").prompt_tokens;
  }

  /**
   * Labels with scores for each text from the classifier saved in `modelDir` (a folder with
   * tailor_classifier.json). Requests to the same classifier that arrive while it works go to the
   * engine together.
   */
  classify(
    modelDir: string,
    input: string[],
    opts: { signal?: AbortSignal | undefined } = {},
  ): Promise<ClassifyResult> {
    return this.#classifier.classify(modelDir, input, opts.signal);
  }

  /**
   * The names in each text (people; places and organisations when `kinds` asks), found by the
   * engine's named-entity model: one list per text, offsets in UTF-16 code units.
   */
  async findNames(
    input: string[],
    opts: { kinds?: NameKind[] | undefined; signal?: AbortSignal | undefined } = {},
  ): Promise<NameSpan[][]> {
    const op = this.#op({ op: "find_names", input, kinds: opts.kinds });
    return expect(await this.#request(op, opts.signal), "names").results;
  }

  /** Stops the engine: pending requests end (cancelled) and later ones are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.close();
  }

  #op(fields: NewOp): Op {
    const parsed = ServeOp.safeParse({ ...fields, id: `op-${++this.#nextId}` });
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
      throw new TailorError({
        code: "invalid_argument",
        message: `invalid ${String(fields.op)} request: ${issues.join("; ")}`,
      });
    }
    return parsed.data;
  }

  #connect(): Connection {
    if (this.#closed) {
      throw new TailorError({ code: "cancelled", message: "the inference engine is closed" });
    }
    if (!this.#connection?.alive) {
      const connection: Connection = new Connection({
        maxModels: this.#opts.maxModels ?? 3,
        env: this.#opts.env,
        onLog: this.#opts.onLog,
        maxLineBytes: this.#opts.maxLineBytes ?? 64 << 20,
        graceMs: this.#opts.graceMs ?? { afterClose: 10_000, afterTerm: 5_000 },
        onExit: () => {
          if (this.#connection === connection) this.#connection = undefined;
        },
      });
      this.#connection = connection;
    }
    return this.#connection;
  }

  /** Sends one operation and waits for its single reply. */
  #request(op: Op, signal: AbortSignal | undefined): Promise<Reply> {
    if (signal?.aborted) return Promise.reject(cancelled(op));
    const connection = this.#connect();
    return new Promise<Reply>((resolve, reject) => {
      const onAbort = () => {
        connection.cancel(op.id);
        reject(cancelled(op));
      };
      const done = () => signal?.removeEventListener("abort", onAbort);
      signal?.addEventListener("abort", onAbort, { once: true });
      connection.send(op, {
        message: (reply) => {
          done();
          resolve(reply);
        },
        fail: (error) => {
          done();
          reject(error);
        },
      });
    });
  }
}

function cancelled(op: Op): TailorError {
  return new TailorError({ code: "cancelled", message: `${op.op} was cancelled` });
}

/** The reply an operation should end with; the engine's `error` becomes a TailorError. */
function expect<T extends Reply["type"]>(reply: Reply, type: T): Final<T> {
  if (reply.type === "error") throw engineFailure(reply);
  if (reply.type !== type) {
    throw new TailorError({
      code: "engine_protocol",
      message: `the engine answered ${reply.type} where ${type} was expected`,
    });
  }
  return reply as Final<T>;
}
