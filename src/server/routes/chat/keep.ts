/**
 * Keeping a chat completion for feedback: when the caller asks (`store: true`, as OpenAI's parameter)
 * or the model name asked keeps its completions, the first choice's answer is stored with the
 * conversation the model was given (after moderation's redaction; retrieved passages are not part
 * of it), the caller's metadata and the name's retention period (30 days without a name). A streamed
 * answer is kept once the stream has ended with it, a refusal (content_filter) as it was given.
 */
import type { z } from "@hono/zod-openapi";
import type { ChatCompletionRequest, ChatFinishReason } from "../../../../protocol/api/index.ts";
import type { ChatMessage } from "../../../../protocol/index.ts";
import { DEFAULT_RETENTION_DAYS } from "../../../completions/index.ts";
import type { GuardedEvent } from "../../../safety/moderation/index.ts";
import type { Principal, ServerContext } from "../../context.ts";
import { toAnswer } from "./answer.ts";

type Request = z.infer<typeof ChatCompletionRequest>;

/** The first choice as the caller got it. */
export interface KeptChoice {
  content: string | null;
  finish_reason: ChatFinishReason;
}

/** The retention in days if this completion is to be kept, else null. */
export function keepDays(ctx: Pick<ServerContext, "modelNames">, req: Request): number | null {
  const named = ctx.modelNames.resolve(req.model);
  const name = named ? ctx.modelNames.find(named.name) : null;
  if (req.store !== true && !name?.store_completions) return null;
  return name?.retention_days ?? DEFAULT_RETENTION_DAYS;
}

/**
 * What keeps this request's answer: a function to call once with the first choice (null: the
 * answer never came, nothing is kept). A no-op when the completion is not to be kept.
 */
export function completionKeeper(
  ctx: Pick<ServerContext, "modelNames" | "completions">,
  p: Principal,
  req: Request,
  head: { id: string; created: number; resolved_model: string; messages: ChatMessage[] },
): (choice: KeptChoice | null | undefined) => void {
  const days = keepDays(ctx, req);
  if (days === null) return () => {};
  return (choice) => {
    if (!choice) return;
    ctx.completions.save({
      ...head,
      model: req.model,
      owner: p.owner,
      keyId: p.keyId,
      answer: choice.content ?? "",
      finish_reason: choice.finish_reason,
      metadata: req.metadata ?? {},
      retentionDays: days,
    });
  };
}

/** The first choice of a streamed answer, as its events went to the caller. */
export class StreamedAnswer {
  #sent = "";
  #done: KeptChoice | null = null;

  constructor(private readonly legacy: boolean) {}

  see(ev: GuardedEvent): void {
    if (this.#done) return;
    if (ev.type === "delta" && ev.index === 0) this.#sent += ev.text;
    else if (ev.type === "filtered" && ev.index === 0) {
      // as AnswerChunks.filtered sends it: after the checked text, a blank line, then the refusal
      const content = this.#sent ? `${this.#sent}\n\n${ev.refusal}` : ev.refusal;
      this.#done = { content, finish_reason: "content_filter" };
    } else if (ev.type === "result") {
      const first = ev.choices.find((ch) => ch.index === 0);
      if (!first) return;
      const { message, finish_reason } = toAnswer(first, this.legacy);
      this.#done = { content: message.content, finish_reason };
    }
  }

  /** The first choice once the stream ended with it; null before (or when it never came). */
  get first(): KeptChoice | null {
    return this.#done;
  }
}
