/**
 * One generation of an answer: the engine's request made from the turn's model, sampling and
 * constraints, its text streamed as `text` events (or not at all, when the answer is checked by a
 * moderation policy before anyone sees it), and its one choice with the tokens it took.
 */
import type { ChatMessage } from "../../../protocol/index.ts";
import { TailorError } from "../../errors/index.ts";
import type { ChatEngine, Choice, GenerateRequest } from "../../serving/index.ts";
import type { TurnEvent, TurnRequest } from "../types.ts";
import type { Offer } from "./tools.ts";

export interface Step {
  choice: Choice;
  prompt_tokens: number;
  completion_tokens: number;
}

/** The engine's request for one generation (one choice, calls and formats decoded under their schemas). */
export function generateRequest(
  req: Pick<TurnRequest, "model" | "sampling" | "responseFormat" | "parallelToolCalls">,
  messages: ChatMessage[],
  offer: Offer,
): GenerateRequest {
  const { model, sampling: s } = req;
  return {
    base: model.source,
    ...(model.adapterDir ? { adapterDir: model.adapterDir } : {}),
    messages,
    temperature: s.temperature,
    top_p: s.top_p,
    top_k: s.top_k,
    max_tokens: s.max_tokens,
    ...(s.seed !== undefined ? { seed: s.seed } : {}),
    ...(s.stop?.length ? { stop: s.stop } : {}),
    n: 1,
    ...(offer.tools ? { tools: offer.tools, tool_choice: offer.tool_choice } : {}),
    ...(req.parallelToolCalls !== undefined ? { parallel_tool_calls: req.parallelToolCalls } : {}),
    ...(req.responseFormat ? { response_format: req.responseFormat } : {}),
    constrained: true,
  };
}

/**
 * Runs one generation. With `stream`, its text is yielded as it comes, `prefix` before the first
 * piece (what separates it from the answer's earlier text); without, nothing is yielded. Returns
 * null when the signal ended it.
 */
export async function* generateStep(
  engine: Pick<ChatEngine, "generate">,
  request: GenerateRequest,
  opts: { signal: AbortSignal; stream: boolean; prefix: string },
): AsyncGenerator<TurnEvent, Step | null> {
  let streamed = "";
  const generation = engine.generate(request, { signal: opts.signal, stream: opts.stream });
  for await (const ev of generation) {
    if (opts.signal.aborted) return null;
    if (ev.type === "delta") {
      if (!opts.stream || !ev.text) continue;
      yield { type: "text", delta: streamed ? ev.text : `${opts.prefix}${ev.text}` };
      streamed += ev.text;
      continue;
    }
    if (ev.type === "tool_call_delta") continue;
    const choice = ev.choices[0];
    if (!choice)
      throw new TailorError({
        code: "engine_protocol",
        message: "the engine answered a generation without a choice",
      });
    // the engine's deltas add up to its text; whatever they did not carry goes now
    if (opts.stream && choice.text.startsWith(streamed) && choice.text.length > streamed.length) {
      const rest = choice.text.slice(streamed.length);
      yield { type: "text", delta: streamed ? rest : `${opts.prefix}${rest}` };
    }
    return {
      choice,
      prompt_tokens: ev.prompt_tokens,
      completion_tokens: ev.completion_tokens,
    };
  }
  if (opts.signal.aborted) return null;
  throw new TailorError({
    code: "engine_protocol",
    message: "the engine ended a generation without an answer",
  });
}
