import type { Command } from "commander";
import {
  MODERATION_CATEGORIES,
  type ModerationCategory,
  type ModerationResult,
} from "../../../protocol/moderation.ts";
import { TailorError } from "../../errors/index.ts";
import { EngineModerator, MODERATION_MODEL, moderationCard } from "../../safety/index.ts";
import { InferenceEngine } from "../../serving/index.ts";
import { positiveNumber } from "../args.ts";
import { type TextToModerate, textsToModerate } from "../moderate-input.ts";
import { printJson, say, table } from "../output.ts";
import { CountProgress } from "../progress.ts";

interface ModerateFlags {
  json?: boolean;
  threshold: number;
  failOnFlag?: boolean;
  card?: boolean;
}

/** Texts sent to the moderator at a time (the progress bar moves after each). */
const CHUNK = 256;
const TEXT_WIDTH = 60;
const BAR_WIDTH = 30;

export function registerModerate(program: Command): void {
  program
    .command("moderate")
    .argument(
      "[text-or-file]",
      "a text, or a file: .txt (each non-empty line), .jsonl (each line's text, or each message of its messages), .csv/.tsv (a text column); - reads lines from stdin",
    )
    .description(
      `check texts with ${MODERATION_MODEL} (offline): flagged or not, with OpenAI's categories and scores`,
    )
    .option("--json", "print one JSON object per text (JSON lines)")
    .option(
      "--threshold <score>",
      "flag a category at this score (0-1; 0.5 is the model's own threshold for each category)",
      (v) => {
        const n = positiveNumber(v, "--threshold");
        if (n >= 1) {
          throw new TailorError({
            code: "invalid_argument",
            message: `--threshold ${v} must be between 0 and 1 (0.5 is the model's own)`,
          });
        }
        return n;
      },
      0.5,
    )
    .option("--fail-on-flag", "exit with status 1 when any text is flagged (for scripts and CI)")
    .option("--card", `print ${MODERATION_MODEL}'s model card (what it is, how it measured)`)
    .action(async (input: string | undefined, f: ModerateFlags, cmd: Command) => {
      if (f.card) {
        process.stdout.write(moderationCard());
        return;
      }
      if (input === undefined) {
        throw new TailorError({
          code: "invalid_argument",
          message: "give a text or a file to moderate (or --card for the model card)",
        });
      }
      const { texts, file } = textsToModerate(input);
      const verbose = Boolean(cmd.optsWithGlobals().verbose);
      const engine = new InferenceEngine(
        verbose ? { onLog: (l) => process.stderr.write(`[engine] ${l}\n`) } : {},
      );
      const moderator = new EngineModerator(engine);
      const progress = texts.length > CHUNK ? new CountProgress("moderating", texts.length) : null;
      const started = Date.now();
      const results: ModerationResult[] = [];
      try {
        for (let at = 0; at < texts.length; at += CHUNK) {
          const chunk = texts.slice(at, at + CHUNK);
          const out = await moderator.moderate(
            chunk.map((t) => t.text),
            { threshold: f.threshold },
          );
          if (f.json) {
            out.forEach((r, i) => {
              printJson(jsonLine(at + i, chunk[i], r));
            });
          }
          results.push(...out);
          progress?.update(results.length);
        }
      } finally {
        progress?.stop();
        await engine.close();
      }
      const flagged = results.filter((r) => r.flagged).length;
      if (f.failOnFlag && flagged > 0) process.exitCode = 1;
      if (f.json) return;
      if (texts.length === 1 && !file) {
        console.log(scoreBars(results[0] as ModerationResult, f.threshold));
        return;
      }
      console.log(resultTable(texts, results, file !== null));
      say(summary(results, (Date.now() - started) / 1000));
    });
}

/** A result's categories, highest score first. */
function ranked(r: ModerationResult): [ModerationCategory, number][] {
  return MODERATION_CATEGORIES.map(
    (c) => [c, r.category_scores[c]] as [ModerationCategory, number],
  ).sort((a, b) => b[1] - a[1]);
}

function jsonLine(index: number, t: TextToModerate | undefined, r: ModerationResult) {
  return {
    index,
    ...(t?.line !== undefined ? { line: t.line } : {}),
    ...(t?.where !== undefined ? { where: t.where } : {}),
    flagged: r.flagged,
    flagged_categories: MODERATION_CATEGORIES.filter((c) => r.categories[c]),
    category_scores: r.category_scores,
  };
}

/** One text: whether it is flagged, then every category with its score as a bar. */
function scoreBars(r: ModerationResult, threshold: number): string {
  const width = Math.max(...MODERATION_CATEGORIES.map((c) => c.length));
  const head = r.flagged
    ? `flagged: ${MODERATION_CATEGORIES.filter((c) => r.categories[c]).join(", ")}`
    : "not flagged";
  const lines = ranked(r).map(([c, score]) => {
    const mark = r.categories[c] ? "*" : " ";
    return `${mark} ${c.padEnd(width)}  ${score.toFixed(3)}  ${"█".repeat(Math.round(score * BAR_WIDTH))}`;
  });
  return [head, ...lines, `(* flagged: score at least ${threshold})`].join("\n");
}

function resultTable(texts: TextToModerate[], results: ModerationResult[], fromFile: boolean) {
  const rows = results.map((r, i) => {
    const t = texts[i] as TextToModerate;
    const top = ranked(r);
    const shown = r.flagged ? top.filter(([c]) => r.categories[c]).slice(0, 3) : top.slice(0, 1);
    return [
      String(fromFile ? (t.line ?? i + 1) : i + 1) + (t.where ? ` ${t.where}` : ""),
      r.flagged ? "FLAGGED" : "ok",
      shown.map(([c, s]) => `${c} ${s.toFixed(2)}`).join(", "),
      clip(t.text),
    ];
  });
  return table([[fromFile ? "LINE" : "#", "RESULT", "CATEGORIES (highest)", "TEXT"], ...rows]);
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > TEXT_WIDTH ? `${flat.slice(0, TEXT_WIDTH - 1)}…` : flat;
}

function summary(results: ModerationResult[], seconds: number): string {
  const groups = new Map<string, number>();
  for (const r of results) {
    const seen = new Set(
      MODERATION_CATEGORIES.filter((c) => r.categories[c]).map((c) => c.split("/")[0]),
    );
    for (const g of seen) groups.set(g as string, (groups.get(g as string) ?? 0) + 1);
  }
  const flagged = results.filter((r) => r.flagged).length;
  const by = [...groups]
    .sort((a, b) => b[1] - a[1])
    .map(([g, n]) => `${g} ${n}`)
    .join(", ");
  return `moderated ${results.length} texts with ${MODERATION_MODEL} in ${seconds.toFixed(1)}s: ${flagged} flagged${by ? ` (${by})` : ""}`;
}
