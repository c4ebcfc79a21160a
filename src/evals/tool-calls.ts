/**
 * Scores of answers whose expected form is a function call (or a mix of calls and words): did the
 * model decide right (call or words), call the right functions, with exactly the right arguments,
 * field by field, and do the arguments of the calls it made parse and fit the function's schema.
 */
import type { GeneratedCall, Tool } from "../../protocol/engine/tools.ts";
import type { MetricName } from "../../protocol/evals.ts";
import { checkCallArguments } from "../tools/index.ts";
import { rougeL } from "./metrics.ts";

/** An answer: words, calls, or both (calls null: it answered in words). */
export interface ToolAnswer {
  text: string;
  calls: GeneratedCall[] | null;
}

/** One answer against the expected one. */
export interface CallScore {
  expectsCall: boolean;
  /** It called (or tried to) when a call was expected, answered in words when words were. */
  decision: boolean;
  /** Null when words were expected. */
  functions: boolean | null;
  argumentsExact: boolean | null;
  /** Each expected argument ("function.field") and whether the answer gave exactly that value. */
  fields: { key: string; correct: boolean }[];
  /** Calls made, counting an attempt the engine could not read as a call that does not parse. */
  calls: number;
  parsed: number;
  valid: number;
  /** ROUGE-L of the words when words were expected, else null. */
  words: number | null;
  /** Tool accuracy for this answer: 1 when the decision is right and, for a call, exactly right. */
  score: number;
}

/** The arguments text as a JSON object, or null. */
export function parseArguments(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** JSON with object keys sorted: equal texts mean deep-equal values. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/**
 * Text that looks like a call the engine could not read: a `<tool_call>` block (Tailor's format
 * and many templates'), an answer that opens a JSON object with a name, or a name and arguments
 * anywhere. Counted as a call whose arguments do not parse.
 */
export function looksLikeCall(text: string): boolean {
  return /<tool_call>|^\s*\{\s*"name"\s*:|"name"\s*:\s*"[^"]*"\s*,\s*"(arguments|parameters)"\s*:/.test(
    text,
  );
}

const callKey = (c: { name: string; args: Record<string, unknown> | null }) =>
  `${c.name}(${c.args ? canonical(c.args) : "?"})`;

const sorted = (xs: string[]) => [...xs].sort().join("\n");

/** `expected.calls` are the example's; `predicted` is the model's answer. */
export function scoreCall(
  predicted: ToolAnswer,
  expected: ToolAnswer,
  tools: Tool[] | undefined,
): CallScore {
  const made = (predicted.calls ?? []).map((c) => ({
    name: c.name,
    args: parseArguments(c.arguments),
  }));
  const unread = made.length === 0 && looksLikeCall(predicted.text) ? 1 : 0;
  const called = made.length > 0 || unread > 0;
  const parsed = made.filter((c) => c.args !== null).length;
  // the data check's own test: an offered function, arguments a JSON object that fits its schema
  const valid = (predicted.calls ?? []).filter(
    (c) => checkCallArguments(tools ?? [], c, "call") === null,
  ).length;
  const want = (expected.calls ?? []).map((c) => ({
    name: c.name,
    args: parseArguments(c.arguments) ?? {},
  }));
  const expectsCall = want.length > 0;
  const decision = expectsCall === called;
  const base = { expectsCall, decision, calls: made.length + unread, parsed, valid };
  if (!expectsCall) {
    return {
      ...base,
      functions: null,
      argumentsExact: null,
      fields: [],
      words: rougeL(predicted.text, expected.text),
      score: decision ? 1 : 0,
    };
  }
  const functions = sorted(made.map((c) => c.name)) === sorted(want.map((c) => c.name));
  const argumentsExact = sorted(made.map(callKey)) === sorted(want.map(callKey));
  // each expected call against the answer's call to the same function (an exact one first)
  const unused = [...made];
  const fields = want.flatMap((w) => {
    let i = unused.findIndex((m) => callKey(m) === callKey(w));
    if (i < 0) i = unused.findIndex((m) => m.name === w.name);
    const got = i >= 0 ? unused.splice(i, 1)[0]?.args : null;
    return Object.keys(w.args).map((k) => ({
      key: `${w.name}.${k}`,
      correct: got != null && k in got && canonical(got[k]) === canonical(w.args[k]),
    }));
  });
  return {
    ...base,
    functions,
    argumentsExact,
    fields,
    words: null,
    score: argumentsExact ? 1 : 0,
  };
}

export type FieldTally = Record<string, { correct: number; total: number }>;

function share(xs: boolean[]): number | undefined {
  return xs.length ? xs.filter(Boolean).length / xs.length : undefined;
}

/**
 * The tool metrics over all answers. A metric with nothing to measure is left out (no call
 * expected: no function accuracy; no call made: no parse rate).
 */
export function toolMetrics(scores: CallScore[]): {
  metrics: Partial<Record<MetricName, number>>;
  fields: FieldTally;
} {
  const calls = scores.filter((s) => s.expectsCall);
  const words = scores.flatMap((s) => (s.words === null ? [] : [s.words]));
  const made = scores.reduce((n, s) => n + s.calls, 0);
  const fields: FieldTally = {};
  for (const f of scores.flatMap((s) => s.fields)) {
    const t = fields[f.key] ?? { correct: 0, total: 0 };
    t.total++;
    if (f.correct) t.correct++;
    fields[f.key] = t;
  }
  const all = Object.values(fields);
  const total = all.reduce((n, t) => n + t.total, 0);
  const m: Partial<Record<MetricName, number>> = {
    tool_accuracy: share(scores.map((s) => s.score === 1)) ?? 0,
    decision_accuracy: share(scores.map((s) => s.decision)) ?? 0,
  };
  const put = (k: MetricName, v: number | undefined) => {
    if (v !== undefined) m[k] = v;
  };
  put("function_accuracy", share(calls.map((s) => s.functions === true)));
  put("arguments_exact", share(calls.map((s) => s.argumentsExact === true)));
  put("argument_fields", total ? all.reduce((n, t) => n + t.correct, 0) / total : undefined);
  put("calls_parse", made ? scores.reduce((n, s) => n + s.parsed, 0) / made : undefined);
  put("calls_valid", made ? scores.reduce((n, s) => n + s.valid, 0) / made : undefined);
  put("words_rouge_l", words.length ? words.reduce((a, b) => a + b, 0) / words.length : undefined);
  return { metrics: m, fields };
}

/** A call as a reader sees it: `find_product({"query":"bell","max_price":20})`. */
export function callText(calls: GeneratedCall[]): string {
  return calls.map((c) => `${c.name}(${c.arguments})`).join("\n");
}

/** An answer as a reader sees it: its words, then its calls. */
export function answerText(a: ToolAnswer): string {
  return [a.text.trim(), a.calls?.length ? callText(a.calls) : ""].filter(Boolean).join("\n");
}
