/**
 * Tailor's moderation model (tailor-moderation: all-MiniLM-L6-v2 embeddings + a logistic probe per
 * category, src/safety/moderation/model/head.json), measured through the real engine:
 * - quality on sets it never saw: precision and recall per category group and for any harm on
 *   src/safety/moderation/data/heldout.jsonl, and the share of ordinary support, school and clinic
 *   texts flagged (false flags) on ordinary.jsonl;
 * - speed: texts per second for those sets in one call, for short answers in one call, for single
 *   requests one after another against the same requests sent together (they are batched), after
 *   the engine has loaded the encoder;
 * - with --data-check [MB]: `tailor data check`'s throughput on the 10 MB chat file that
 *   bench/data-check.ts makes, without and with the moderation of every answer, side by side.
 * Usage: npx tsx bench/moderation.ts [--data-check 10] [--json]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { checkData } from "../src/datasets/index.ts";
import { DATA_DIR, readLabelled } from "../src/safety/moderation/data.ts";
import { evaluate, renderTables } from "../src/safety/moderation/measure.ts";
import { EngineModerator } from "../src/safety/moderation/model.ts";
import { InferenceEngine } from "../src/serving/index.ts";
import { cpuSummary, median } from "./lib/python.ts";
import { makeSupportFile } from "./lib/support-file.ts";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? "") : undefined;
};
const json = process.argv.includes("--json");
const dataCheckMb = arg("--data-check");

const seconds = async (fn: () => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
};

async function main(): Promise<void> {
  const engine = new InferenceEngine();
  const moderator = new EngineModerator(engine);
  const load = loadavg()[0] ?? 0;
  try {
    await moderator.moderate(["warm up: the engine loads the encoder"]);
    const heldout = readLabelled(join(DATA_DIR, "heldout.jsonl"));
    const ordinary = readLabelled(join(DATA_DIR, "ordinary.jsonl"));
    const quality = await evaluate(moderator, { heldout, ordinary });

    const short = Array.from(
      { length: 256 },
      (_, i) =>
        `Thanks for writing. Please bring the bike in; a check is free under warranty (${i}).`,
    );
    const shortBatch = short.length / (await seconds(() => moderator.moderate(short)));
    const singles = short.slice(0, 32);
    const oneByOne: number[] = [];
    for (const t of singles) oneByOne.push(await seconds(() => moderator.moderate([t])));
    const together = await seconds(() => Promise.all(singles.map((t) => moderator.moderate([t]))));

    let dataCheck: Record<string, number> | null = null;
    if (dataCheckMb !== undefined) {
      const dir = mkdtempSync(join(tmpdir(), "tailor-bench-moderation-"));
      try {
        const file = join(dir, "chat.jsonl");
        makeSupportFile(file, Number(dataCheckMb || "10"));
        const mb = statSync(file).size / 1024 / 1024;
        let examples = 0;
        const without = await seconds(async () => {
          examples = (await checkData(file)).examples;
        });
        let flagged = 0;
        const withModeration = await seconds(async () => {
          const r = await checkData(file, { moderator });
          flagged = r.warnings.filter((w) => w.code === "harmful_answer").length;
        });
        dataCheck = {
          mb,
          examples,
          seconds_without: without,
          seconds_with: withModeration,
          mb_per_second_without: mb / without,
          mb_per_second_with: mb / withModeration,
          answers_per_second_with: examples / withModeration,
          slowdown: withModeration / without,
          harmful_answer_warnings: flagged,
        };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    const result = {
      benchmark: "moderation",
      cpu: cpuSummary(),
      load_average_at_start: load,
      heldout: quality.heldout,
      ordinary: quality.ordinary,
      speed: {
        heldout_and_ordinary_texts_per_second: quality.textsPerSecond,
        short_texts_per_second: shortBatch,
        single_request_median_ms: median(oneByOne) * 1000,
        singles_one_by_one_seconds: oneByOne.reduce((a, b) => a + b, 0),
        singles_together_seconds: together,
      },
      data_check: dataCheck,
    };
    if (json) return console.log(JSON.stringify(result));
    console.log(renderTables(quality.heldout, quality.ordinary));
    const s = result.speed;
    console.log(
      `\nspeed (${result.cpu.model}, ${result.cpu.cores} cores, load average ${load.toFixed(1)} at start):`,
    );
    console.log(
      `  held-out + ordinary (${heldout.length + ordinary.length} texts, 1-6 sentences) in one call: ${s.heldout_and_ordinary_texts_per_second?.toFixed(1)} texts/s`,
    );
    console.log(`  256 short answers in one call: ${s.short_texts_per_second.toFixed(1)} texts/s`);
    console.log(
      `  32 one-text requests: one after another ${s.singles_one_by_one_seconds.toFixed(2)} s (median ${s.single_request_median_ms.toFixed(0)} ms each), sent together ${s.singles_together_seconds.toFixed(2)} s (${(s.singles_one_by_one_seconds / s.singles_together_seconds).toFixed(1)}x: batched)`,
    );
    if (dataCheck) {
      console.log(
        `\ndata check of a ${dataCheck.mb?.toFixed(0)} MB chat file (${dataCheck.examples} examples):`,
      );
      console.log(
        `  without moderation ${dataCheck.seconds_without?.toFixed(1)} s (${dataCheck.mb_per_second_without?.toFixed(2)} MB/s)`,
      );
      console.log(
        `  with moderation    ${dataCheck.seconds_with?.toFixed(1)} s (${dataCheck.mb_per_second_with?.toFixed(2)} MB/s, ${dataCheck.answers_per_second_with?.toFixed(0)} answers/s): ${dataCheck.slowdown?.toFixed(1)}x slower, ${dataCheck.harmful_answer_warnings} answers flagged`,
      );
    }
  } finally {
    await engine.close();
  }
}

await main();
