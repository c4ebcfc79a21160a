/**
 * One choice on one llama.cpp sequence, token by token: sampled with the request's temperature
 * (0: greedy), top-p, top-k and seed, under a grammar when the request asks for structured output;
 * ended by an end-of-generation token of the model (`stop`, the token not counted, as the PyTorch
 * engine drops its EOS), a stop string (`stop`, the text cut where it begins), max_tokens or the
 * context's end (`length`), or the signal (`cancelled`, at once: the token being computed is left to
 * finish in the background). Text is yielded as it grows, holding back what could be the start of a
 * stop string or half a character, as the engine's streaming.py does.
 */
import {
  type LlamaContextSequence,
  type LlamaGrammar,
  LlamaGrammarEvaluationState,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";

export interface ChoiceRequest {
  model: LlamaModel;
  sequence: LlamaContextSequence;
  /** Tokens to evaluate before the first sampled one (the prompt, or what is left of it). */
  input: Token[];
  temperature: number;
  topP: number;
  /** 0: no top-k. */
  topK: number;
  seed: number;
  grammar: LlamaGrammar | null;
  maxTokens: number;
  stops: readonly string[];
  signal?: AbortSignal | undefined;
  /** Work left running when the choice ended early (the sequence is reused once it settles). */
  closing: Promise<unknown>[];
}

export interface ChoiceEnd {
  text: string;
  finish: "stop" | "length" | "cancelled";
  /** Generated tokens, end-of-generation token excluded. */
  tokens: number;
}

/** node-llama-cpp's schema grammars end in this; never inside the JSON they allow. */
const GRAMMAR_END = "\n\n\n\n";
const ABORTED = Symbol("aborted");

export async function* decodeChoice(req: ChoiceRequest): AsyncGenerator<string, ChoiceEnd, void> {
  const { model, grammar } = req;
  const stops = grammar ? [...req.stops, GRAMMAR_END] : [...req.stops];
  const tokens = req.sequence.evaluate(req.input, {
    temperature: req.temperature,
    topP: req.topP,
    topK: req.topK,
    minP: 0,
    seed: req.seed,
    yieldEogToken: true,
    ...(grammar
      ? { grammarEvaluationState: new LlamaGrammarEvaluationState({ model, grammar }) }
      : {}),
  });
  const generated: Token[] = [];
  let sent = "";
  let text = "";
  let finish: ChoiceEnd["finish"] = "length";
  try {
    for (;;) {
      if (generated.length >= req.maxTokens) break;
      const step = await untilAborted(tokens.next(), req.signal);
      if (step === ABORTED) {
        finish = "cancelled";
        break;
      }
      if (step.done || model.isEogToken(step.value)) {
        finish = "stop";
        break;
      }
      generated.push(step.value);
      text = model.detokenize(generated, false);
      const stopAt = cutAtStop(text, stops);
      if (stopAt !== null) {
        text = text.slice(0, stopAt);
        finish = "stop";
        break;
      }
      const safe = text.slice(0, safeEnd(text, stops, grammar !== null));
      if (safe.length > sent.length && safe.startsWith(sent)) {
        yield safe.slice(sent.length);
        sent = safe;
      }
    }
  } finally {
    // queued behind a step still being computed, if any; not awaited, so a cancel ends at once
    req.closing.push(tokens.return().catch(() => undefined));
  }
  if (grammar) text = text.trimEnd();
  if (finish !== "cancelled" && text.length > sent.length && text.startsWith(sent)) {
    yield text.slice(sent.length);
  }
  return { text, finish, tokens: generated.length };
}

export function cutAtStop(text: string, stops: readonly string[]): number | null {
  let cut: number | null = null;
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at >= 0 && (cut === null || at < cut)) cut = at;
  }
  return cut;
}

/**
 * Where text can be sent up to: not into a trailing replacement character (a character whose
 * remaining bytes are still to come), nor into the start of a possible stop string, nor (under a
 * grammar, whose answer is trimmed) into trailing whitespace.
 */
export function safeEnd(text: string, stops: readonly string[], trimmed = false): number {
  let end = text.length;
  while (end > 0 && text[end - 1] === "\ufffd") end--;
  let held = 0;
  for (const stop of stops) {
    for (let k = Math.min(stop.length - 1, end); k > held; k--) {
      if (text.slice(0, end).endsWith(stop.slice(0, k))) {
        held = k;
        break;
      }
    }
  }
  end -= held;
  if (trimmed) end = text.slice(0, end).trimEnd().length;
  return end;
}

function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T | typeof ABORTED> {
  if (signal === undefined) return work;
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
