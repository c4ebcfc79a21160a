/**
 * The demo's structured outputs: a few held-out e-mails answered by the base model given only the
 * JSON Schema of the fields (constrained decoding), by the tuned model as it is, and by the tuned
 * model with the schema; how many answers parse and how many fields are right, for each.
 */
import { readFileSync } from "node:fs";
import { Conversation, type ResponseFormat } from "../../protocol/index.ts";
import { type EvalExample, jsonFields, toEvalExamples } from "../evals/index.ts";
import type { ResolvedModel } from "../models/index.ts";
import type { InferenceEngine } from "../serving/index.ts";

export interface StructuredColumn {
  label: string;
  /** One answer per e-mail, in order. */
  answers: string[];
  /** Answers that are a JSON object. */
  parsed: number;
  /** Fields exactly right, over all e-mails, and how many there were. */
  correct: number;
  fields: number;
  /** Generating the answers took this long (0: they came from the evaluation). */
  seconds: number;
  /** Tokens generated, over all answers (0: they came from the evaluation). */
  tokens: number;
}

export interface StructuredComparison {
  examples: EvalExample[];
  columns: StructuredColumn[];
  /** What the comparison took, generation and model loading included. */
  seconds: number;
}

/** The first `n` conversations of a chat JSONL file, cut before their answers. */
export function heldOut(file: string, n: number): EvalExample[] {
  const records = readFileSync(file, "utf8")
    .split("\n")
    .map((text, i) => ({ text, line: i + 1 }))
    .filter((r) => r.text.trim())
    .slice(0, n)
    .map((r) => ({ line: r.line, messages: Conversation.parse(JSON.parse(r.text)).messages }));
  return toEvalExamples(records);
}

function column(
  label: string,
  generated: { answers: string[]; seconds: number; tokens: number },
  examples: EvalExample[],
): StructuredColumn {
  const { answers } = generated;
  const scores = answers.map((a, i) => jsonFields(a, examples[i]?.expected ?? ""));
  return {
    label,
    ...generated,
    parsed: scores.filter((s) => s?.valid).length,
    correct: scores.reduce((n, s) => n + (s?.correct ?? 0), 0),
    fields: scores.reduce((n, s) => n + (s?.fields ?? 0), 0),
  };
}

/**
 * Answers every example with the base and the tuned model, with and without the schema. `tuned`
 * answers already generated (by line, e.g. the job's evaluation) are used as they are.
 */
export async function compareStructured(opts: {
  engine: InferenceEngine;
  base: ResolvedModel;
  tuned: ResolvedModel;
  examples: EvalExample[];
  schema: Record<string, unknown>;
  tunedAnswers?: Map<number, string>;
  maxTokens: number;
}): Promise<StructuredComparison> {
  const started = performance.now();
  const format: ResponseFormat = {
    type: "json_schema",
    json_schema: { name: "email_fields", schema: opts.schema, strict: true },
  };
  let tokens = 0;
  const answer = async (
    model: ResolvedModel,
    messages: EvalExample["messages"],
    withSchema: boolean,
  ) => {
    for await (const ev of opts.engine.generate(
      {
        base: model.source,
        adapterDir: model.adapterDir,
        messages,
        max_tokens: opts.maxTokens,
        ...(withSchema ? { response_format: format } : {}),
      },
      { stream: false },
    ))
      if (ev.type === "result") {
        tokens += ev.completion_tokens;
        return ev.choices[0]?.text ?? "";
      }
    return "";
  };
  const all = async (model: ResolvedModel, withSchema: boolean, known?: Map<number, string>) => {
    const start = performance.now();
    tokens = 0;
    const answers: string[] = [];
    for (const ex of opts.examples)
      answers.push(known?.get(ex.line) ?? (await answer(model, ex.messages, withSchema)));
    return { answers, seconds: (performance.now() - start) / 1000, tokens };
  };
  const columns = [
    column("base + schema", await all(opts.base, true), opts.examples),
    column("tuned", await all(opts.tuned, false, opts.tunedAnswers), opts.examples),
    column("tuned + schema", await all(opts.tuned, true), opts.examples),
  ];
  return { examples: opts.examples, columns, seconds: (performance.now() - started) / 1000 };
}

const clip = (text: string, n = 70) => (text.length > n ? `${text.slice(0, n)}…` : text);
const percent = (n: number, of: number) => (of ? `${Math.round((n / of) * 100)}%` : "-");

/** The comparison as the demo prints it: each e-mail's three answers, then the totals. */
export function renderStructured(c: StructuredComparison): string {
  const width = Math.max(...c.columns.map((col) => col.label.length));
  const out: string[] = [];
  for (const [i, ex] of c.examples.entries()) {
    // the e-mail by its first line with something to say (not "Hello,")
    const lines = ex.messages.at(-1)?.content.split("\n") ?? [];
    const first = lines.find((l) => l.trim().length > 20) ?? lines[0] ?? "";
    out.push(`── held-out e-mail ${i + 1}: "${clip(first.trim())}"`);
    out.push(`  ${"expected".padEnd(width)}  ${ex.expected}`);
    for (const col of c.columns)
      out.push(
        `  ${col.label.padEnd(width)}  ${clip((col.answers[i] ?? "").trim(), 240) || "(empty)"}`,
      );
    out.push("");
  }
  out.push(`  ${"".padEnd(width)}  parses  fields right  generated in`);
  for (const col of c.columns)
    out.push(
      `  ${col.label.padEnd(width)}  ${`${col.parsed}/${c.examples.length}`.padEnd(6)}  ${percent(col.correct, col.fields).padEnd(12)}  ${
        col.tokens
          ? `${col.seconds.toFixed(1)}s (${(col.tokens / col.seconds).toFixed(1)} tokens/s)`
          : "(the evaluation above)"
      }`,
    );
  return out.join("\n");
}
