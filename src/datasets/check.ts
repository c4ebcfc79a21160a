import { createHash } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Moderator, NameFinder } from "../safety/index.ts";
import { GroupRateCheck } from "./group-rates.ts";
import { LabelCheck } from "./label-check.ts";
import { ModerationCheck } from "./moderation-check.ts";
import { PiiCheck } from "./pii-check.ts";
import { PreferenceCheck } from "./preference-check.ts";
import { type Example, type ProblemRecord, readRecords } from "./read/index.ts";
import {
  type DataReport,
  type ErrorCode,
  extent,
  histogram,
  type Issue,
  median,
  type WarningCode,
} from "./report.ts";
import { messageText, ToolUsage } from "./tool-usage.ts";

/** Counts tokens of a chat JSONL file with a base model (the engine, or a stand-in in unit tests). */
export type TokenCounter = (
  chatJsonl: string,
  opts: { measureSpeed: boolean },
) => Promise<{ counts: number[]; contextLength: number; tokensPerSecond: number | null }>;

export interface CheckOptions {
  val?: string | undefined;
  /** A file of held-out examples only: any number of them will do (training needs MIN_EXAMPLES). */
  purpose?: "train" | "validation";
  columns?: string | undefined;
  base?: string | undefined;
  tokenCounter?: TokenCounter | undefined;
  /** Epochs a fine-tune on `examples` examples would run, for the time estimate (default 3). */
  epochsFor?: (examples: number) => number;
  /** Training cuts examples longer than this (the engine's max_seq_length). */
  maxSeqLength?: number;
  /**
   * Where people's names come from: the engine's NameFinder in the CLI and the server, a stand-in
   * in unit tests. Absent or null: no names are looked for (the structured kinds still are).
   */
  names?: NameFinder | null | undefined;
  /**
   * The moderation model that checks the answers (warnings `harmful_answer`): an EngineModerator in
   * the CLI, a stand-in in unit tests. Absent or null: answers are not moderated.
   */
  moderator?: Moderator | null | undefined;
  /** Called with every example that passed, in order, once its personal data is known (to store or redact it). */
  onExample?: (example: Example, line: number, split: "train" | "val") => void | Promise<void>;
  /** Called as each slow part starts (reading a file, counting tokens), with what it is doing: the CLI says it on stderr. */
  onStage?: (message: string) => void;
}

export const MIN_EXAMPLES = 10;
export const RECOMMENDED_EXAMPLES = 50;
const MAX_LISTED = 200; // issues of one kind listed in full; the rest are counted

/** 48 bits of sha256 as a number: a small Map key (no string kept per example); collisions are
 * negligible below millions of examples. */
const sha = (s: string) => createHash("sha256").update(s).digest().readUIntBE(0, 6);
const normalize = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
const promptSide = (e: Example) =>
  e.messages
    .filter((m) => m.role !== "assistant")
    .map((m) => m.content)
    .join("\n");
/** What the model learns to say, calls included: two different calls are not the same answer. */
const answerSide = (e: Example) =>
  e.messages
    .filter((m) => m.role === "assistant")
    .map(messageText)
    .join("\n");

/**
 * Reads a data file (and its validation file) once, streaming, and reports in plain words what is
 * wrong, what is risky and what it contains. Memory grows with the number of examples only by a few
 * hashes and numbers per example, never with their text.
 */
export async function checkData(file: string, opts: CheckOptions = {}): Promise<DataReport> {
  const errors: Issue<ErrorCode>[] = [];
  const warnings: Issue<WarningCode>[] = [];
  const seenExact = new Map<number, number>();
  const seenNear = new Map<number, number>();
  const trainPrompts = new Map<number, number>();
  const answers = new Map<number, number>();
  const lines: number[] = [];
  const chars: number[] = [];
  const tmp = mkdtempSync(join(tmpdir(), "tailor-check-"));
  const chatFile = join(tmp, "examples.jsonl");
  const out = createWriteStream("", { fd: openSync(chatFile, "w") });
  let valCount = 0;
  const warn = (issue: Issue<WarningCode>) => {
    if (warnings.filter((w) => w.code === issue.code).length < MAX_LISTED) warnings.push(issue);
  };

  const problem = (p: ProblemRecord, f: string) => {
    if (errors.length < MAX_LISTED * 5)
      errors.push({
        line: p.line,
        file: f,
        code: p.code,
        ...(p.field ? { field: p.field } : {}),
        message: p.message,
      });
  };

  const piiCheck = new PiiCheck(opts.names ?? null, { maxIssues: MAX_LISTED * 5 });
  const toolUsage = new ToolUsage();
  const labelCheck = new LabelCheck();
  const groupRates = new GroupRateCheck();
  const pairCheck = new PreferenceCheck();
  const moderation = new ModerationCheck(opts.moderator ?? null, { maxIssues: MAX_LISTED });

  let tokens: number[] | null = null;
  let contextLength: number | null = null;
  let tokensPerSecond: number | null = null;
  // private data is always looked for (names too where a name finder is given); answers are moderated
  // in the training file only
  const reading = (f: string, moderated: boolean) =>
    opts.onStage?.(
      `reading ${f}, looking for private data${moderated ? " and harmful answers" : ""}`,
    );
  try {
    reading(file, Boolean(opts.moderator));
    for await (const rec of readRecords(file, { columns: opts.columns })) {
      if (rec.kind === "problem") {
        problem(rec, file);
        continue;
      }
      const e = rec.example;
      const exact = sha(JSON.stringify(e));
      const near = sha(normalize(e.messages.map(messageText).join("\n")));
      const earlier = seenExact.get(exact);
      if (earlier !== undefined) {
        warn({
          line: rec.line,
          lines: [earlier],
          file,
          code: "duplicate",
          message: `is the same example as line ${earlier}; duplicates make the model favour them`,
        });
      } else {
        seenExact.set(exact, rec.line);
        const nearEarlier = seenNear.get(near);
        if (nearEarlier !== undefined) {
          warn({
            line: rec.line,
            lines: [nearEarlier],
            file,
            code: "near_duplicate",
            message: `differs from line ${nearEarlier} only in case, spacing or punctuation`,
          });
        } else seenNear.set(near, rec.line);
      }
      trainPrompts.set(sha(normalize(promptSide(e))), rec.line);
      const answer = sha(normalize(answerSide(e)));
      answers.set(answer, (answers.get(answer) ?? 0) + 1);
      lines.push(rec.line);
      chars.push(e.messages.reduce((n, m) => n + messageText(m).length, 0));
      toolUsage.add(e, rec.line);
      labelCheck.add(e, rec.line, file);
      groupRates.add(e, rec.line);
      pairCheck.add(e, rec.line);
      await moderation.add(e, rec.line, file);
      await piiCheck.add(e, rec.line, file, () => opts.onExample?.(e, rec.line, "train"));
      if (!out.write(`${JSON.stringify(e)}\n`)) await once(out, "drain");
    }

    if (opts.val) {
      reading(opts.val, false);
      for await (const rec of readRecords(opts.val, { columns: opts.columns })) {
        if (rec.kind === "problem") {
          problem(rec, opts.val);
          continue;
        }
        valCount++;
        const trainLine = trainPrompts.get(sha(normalize(promptSide(rec.example))));
        if (trainLine !== undefined) {
          warn({
            line: rec.line,
            lines: [trainLine],
            file: opts.val,
            code: "in_training_and_validation",
            message: `is also in the training data (line ${trainLine}); validation then overstates how good the model is`,
          });
        }
        labelCheck.addValidation(rec.example, rec.line);
        pairCheck.addValidation(rec.example, rec.line);
        const { example, line } = rec;
        await piiCheck.add(example, line, opts.val, () => opts.onExample?.(example, line, "val"));
      }
    }
    await piiCheck.flush();
    await moderation.flush();
    out.end();
    await once(out, "close");

    const n = lines.length;
    if (opts.purpose === "validation") {
      if (n === 0) errors.push({ file, code: "too_few_examples", message: "no usable examples" });
    } else if (n < MIN_EXAMPLES) {
      errors.push({
        file,
        code: "too_few_examples",
        message: `only ${n} usable example${n === 1 ? "" : "s"}; fine-tuning needs at least ${MIN_EXAMPLES} (${RECOMMENDED_EXAMPLES} or more work much better)`,
      });
    } else if (n < RECOMMENDED_EXAMPLES) {
      warn({
        file,
        code: "few_examples",
        message: `${n} examples is few; ${RECOMMENDED_EXAMPLES}-100 good examples usually give a clearly better model`,
      });
    }
    // labelled texts repeat their labels by design: the label checks say what matters there
    if (n >= MIN_EXAMPLES && !labelCheck.active) {
      const top = extent(answers.values()).max;
      if (top / n >= 0.5) {
        warn({
          file,
          code: "similar_outputs",
          message: `${Math.round((top / n) * 100)}% of the answers are the same text; the model will learn to give that answer to everything`,
        });
      }
    }

    for (const w of toolUsage.warnings(file)) warn(w);
    for (const w of moderation.warnings(file)) warn(w);
    errors.push(...pairCheck.errors(file, opts.val));
    errors.push(...labelCheck.errors(file, opts.val, opts.purpose === "validation"));
    for (const w of labelCheck.warnings(file, opts.val)) warn(w);
    for (const w of groupRates.warnings(file)) warn(w);

    // a classifier reads texts with its own encoder, not a base model's chat template. Not beside the
    // scans above: the engine measures the training speed here, and it needs the machine to itself
    // (beside moderation it measured 63 tokens/s where alone it measures 189)
    if (opts.tokenCounter && n > 0 && !labelCheck.active) {
      opts.onStage?.(
        `counting tokens with ${opts.base ?? "the base model"} and measuring its training speed on this machine`,
      );
      const counted = await opts.tokenCounter(chatFile, { measureSpeed: true });
      tokens = counted.counts;
      contextLength = counted.contextLength;
      tokensPerSecond = counted.tokensPerSecond;
    }
  } finally {
    await piiCheck.settle();
    await moderation.settle();
    out.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
  const n = lines.length;
  const lengths = tokens ?? chars;
  const unit = tokens ? "tokens" : "characters";
  const mid = median(lengths);
  if (n >= MIN_EXAMPLES && mid > 0) {
    const outliers = lengths
      .map((v, i) => [v, lines[i] ?? 0] as const)
      .filter(([v]) => v > 10 * mid);
    if (outliers.length) {
      warn({
        file,
        lines: outliers.slice(0, 20).map(([, l]) => l),
        code: "uneven_lengths",
        message: `${outliers.length} example${outliers.length === 1 ? " is" : "s are"} over 10 times longer than the typical one (${Math.round(mid)} ${unit}): lines ${outliers
          .slice(0, 5)
          .map(([, l]) => l)
          .join(", ")}${outliers.length > 5 ? ", …" : ""}`,
      });
    }
  }
  if (tokens && contextLength) {
    const maxSeq = opts.maxSeqLength ?? 1024;
    // a preference pair is as long as its longer side
    pairCheck.longestSides(tokens).forEach((t, i) => {
      const line = lines[i] ?? 0;
      if (t > contextLength) {
        errors.push({
          line,
          file,
          code: "too_long_for_model",
          message: `is ${t} tokens long; ${opts.base ?? "the base model"} reads at most ${contextLength}. Shorten or split it`,
        });
      } else if (t > maxSeq) {
        warn({
          line,
          file,
          code: "will_be_cut",
          message: `is ${t} tokens long; training reads the first ${maxSeq}, so its end will not be learned`,
        });
      }
    });
  }

  const epochs = n > 0 ? (opts.epochsFor?.(n) ?? 3) : 0;
  const perEpoch = tokens ? tokens.reduce((a, b) => a + b, 0) : null;
  const order = (i: Issue<string>) => (i.file === file ? 0 : 1e12) + (i.line ?? 1e11); // training file first, file-wide last
  errors.sort((a, b) => order(a) - order(b));
  return {
    ok: errors.length === 0,
    file,
    val_file: opts.val ?? null,
    examples: n,
    errors,
    warnings,
    stats: {
      examples: n,
      validation_examples: valCount,
      base: opts.base ?? null,
      context_length: contextLength,
      tokens:
        tokens?.length && perEpoch !== null
          ? {
              ...extent(tokens),
              median: median(tokens),
              mean: perEpoch / tokens.length,
              histogram: histogram(tokens),
            }
          : null,
      tokens_per_epoch: perEpoch,
      epochs,
      estimated_training_seconds:
        perEpoch && tokensPerSecond ? Math.round((perEpoch * epochs) / tokensPerSecond) : null,
      tokens_per_second: tokensPerSecond,
      tool_calls: toolUsage.calls,
      examples_with_tools: toolUsage.examplesWithTools,
      ...(labelCheck.active ? { labels: labelCheck.summary() } : {}),
      ...(groupRates.summary() ? { group_rates: groupRates.summary() } : {}),
      ...(pairCheck.active ? { preference_pairs: pairCheck.pairs } : {}),
    },
    pii: piiCheck.issues,
    pii_counts: piiCheck.counts,
  };
}
