/**
 * The engine's answers in OpenAI's words: a choice's text and calls as `message` (content null when
 * it only calls functions; `function_call` when the request used the legacy `functions`), and, when
 * streamed, as `delta` chunks the official SDKs assemble (a call's first fragment has its id, type,
 * name and empty arguments; later fragments, with the same `index`, carry more of the arguments).
 */
import { randomBytes } from "node:crypto";
import type { z } from "@hono/zod-openapi";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatFinishReason,
} from "../../../../protocol/api/index.ts";
import type { Choice, FinishReason, GenerateEvent } from "../../../serving/index.ts";

type Message = z.infer<typeof ChatCompletion>["choices"][number]["message"];
type ChunkChoice = z.infer<typeof ChatCompletionChunk>["choices"][number];
type Delta = ChunkChoice["delta"];
type ToolCallDelta = Extract<GenerateEvent, { type: "tool_call_delta" }>;

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A call's id as OpenAI makes them: `call_` and 24 letters and digits. */
export function callId(): string {
  return `call_${[...randomBytes(24)].map((b) => ID_ALPHABET[b % ID_ALPHABET.length]).join("")}`;
}

/** A choice of the engine's answer, or one a moderation policy blocked (`content_filter`). */
export type AnswerChoice = Omit<Choice, "finish_reason"> & {
  finish_reason: FinishReason | "content_filter";
};

/** The engine's reason in OpenAI's words (OpenAI has no "cancelled": it reads as "stop"). */
function finish(
  ch: Pick<AnswerChoice, "finish_reason" | "tool_calls">,
  legacy: boolean,
): ChatFinishReason {
  const r = ch.finish_reason;
  if (r === "length" || r === "content_filter") return r;
  if (r === "tool_calls" || (r === "stop" && ch.tool_calls?.length)) {
    return legacy ? "function_call" : "tool_calls";
  }
  return "stop";
}

/** One choice of a complete answer. */
export function toAnswer(ch: AnswerChoice, legacy: boolean) {
  const calls = ch.tool_calls ?? [];
  const message: Message = {
    role: "assistant",
    content: calls.length && !ch.text ? null : ch.text,
    refusal: null,
  };
  const [first] = calls;
  if (legacy && first) message.function_call = { name: first.name, arguments: first.arguments };
  if (!legacy && calls.length) {
    message.tool_calls = calls.map((c) => ({
      id: callId(),
      type: "function" as const,
      function: { name: c.name, arguments: c.arguments },
    }));
  }
  return { index: ch.index, message, finish_reason: finish(ch, legacy), logprobs: null };
}

/** The chunks of a streamed answer, from the engine's events; remembers what each choice sent. */
export class AnswerChunks {
  readonly #legacy: boolean;
  /** Choices whose first chunk (with the role) has gone. */
  readonly #started = new Set<number>();
  /** Per choice, the ids of the calls whose first fragment has gone. */
  readonly #calls = new Map<number, string[]>();

  constructor(legacy: boolean) {
    this.#legacy = legacy;
  }

  /** Newly generated text of one choice. */
  text(index: number, text: string): ChunkChoice[] {
    return [this.#chunk(index, { content: text })];
  }

  /** A fragment of a call: its opening (id, type, name) the first time, then its arguments. */
  call(ev: ToolCallDelta): ChunkChoice[] {
    const ids = this.#calls.get(ev.index) ?? [];
    this.#calls.set(ev.index, ids);
    const out: (ChunkChoice | undefined)[] = [];
    if (ids[ev.call] === undefined) {
      const id = callId();
      ids[ev.call] = id;
      out.push(this.#opening(ev.index, ev.call, id, ev.name ?? ""));
    }
    if (ev.arguments) out.push(this.#arguments(ev.index, ev.call, ev.arguments));
    return out.filter((c): c is ChunkChoice => c !== undefined);
  }

  /**
   * A choice a moderation policy blocked: its refusal (after a blank line when checked text went
   * before it), then `content_filter`.
   */
  filtered(index: number, refusal: string): ChunkChoice[] {
    const content = this.#started.has(index) ? `\n\n${refusal}` : refusal;
    return [
      this.#chunk(index, { content }),
      { index, delta: {}, finish_reason: "content_filter", logprobs: null },
    ];
  }

  /** The end of a choice: whatever the stream has not carried yet, then its finish reason. */
  end(ch: AnswerChoice): ChunkChoice[] {
    const out: (ChunkChoice | undefined)[] = [];
    const calls = ch.tool_calls ?? [];
    if (!this.#started.has(ch.index) && (ch.text || !calls.length)) {
      out.push(this.#chunk(ch.index, { content: ch.text }));
    }
    const ids = this.#calls.get(ch.index) ?? [];
    calls.forEach((c, k) => {
      if (ids[k] !== undefined) return;
      const id = callId();
      ids[k] = id;
      out.push(this.#opening(ch.index, k, id, c.name));
      if (c.arguments) out.push(this.#arguments(ch.index, k, c.arguments));
    });
    this.#calls.set(ch.index, ids);
    out.push({
      index: ch.index,
      delta: {},
      finish_reason: finish(ch, this.#legacy),
      logprobs: null,
    });
    return out.filter((c): c is ChunkChoice => c !== undefined);
  }

  #opening(index: number, call: number, id: string, name: string): ChunkChoice | undefined {
    if (this.#legacy) {
      // One call at most in the legacy form; later ones have nowhere to go.
      return call === 0
        ? this.#chunk(index, { function_call: { name, arguments: "" } })
        : undefined;
    }
    return this.#chunk(index, {
      tool_calls: [{ index: call, id, type: "function", function: { name, arguments: "" } }],
    });
  }

  #arguments(index: number, call: number, args: string): ChunkChoice | undefined {
    if (this.#legacy) {
      return call === 0 ? this.#chunk(index, { function_call: { arguments: args } }) : undefined;
    }
    return this.#chunk(index, { tool_calls: [{ index: call, function: { arguments: args } }] });
  }

  /** A chunk of one choice; its first carries the role (and null content when it opens a call). */
  #chunk(index: number, delta: Delta): ChunkChoice {
    const first = !this.#started.has(index);
    this.#started.add(index);
    const opening: Delta = first
      ? { role: "assistant", ...(delta.content === undefined ? { content: null } : {}) }
      : {};
    return { index, delta: { ...opening, ...delta }, finish_reason: null, logprobs: null };
  }
}
