import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { loadExamples } from "../../datasets/index.ts";
import { parseObject } from "../../evals/index.ts";
import { createJob, workersRunning } from "../../jobs/index.ts";
import { generateText, tailorHome } from "../../models/index.ts";
import { positiveInt } from "../args.ts";
import { say } from "../output.ts";
import { watchJob } from "../watch.ts";

const EXAMPLES = fileURLToPath(new URL("../../../examples/email-to-json/", import.meta.url));
const FIELDS = ["intent", "order_id", "customer_name", "urgency"] as const;

/** How many of the checkable fields an answer got right (null if it is not a JSON object). */
function score(answer: string, expected: string): number | null {
  const got = parseObject(answer);
  const want = parseObject(expected);
  if (!got || !want) return null;
  return FIELDS.filter((f) => got[f] === want[f]).length;
}

function indent(text: string, prefix = "    "): string {
  return text
    .trim()
    .split("\n")
    .map((l) => prefix + l)
    .join("\n");
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "fine-tune SmolLM2-135M to turn customer e-mails into JSON, and show base vs tuned answers",
    )
    .option("--base <model>", "base model", "smollm2-135m-instruct")
    .option(
      "--prompts <n>",
      "held-out e-mails to compare on",
      (v) => positiveInt(v, "--prompts"),
      3,
    )
    .action(async (flags: { base: string; prompts: number }) => {
      const val = (await loadExamples(`${EXAMPLES}val.jsonl`)).slice(0, flags.prompts);
      say(readFileSync(`${EXAMPLES}README.md`, "utf8").split("\n").slice(0, 3).join("\n"));
      const home = tailorHome();
      const job = await createJob({
        home,
        base: flags.base,
        data: `${EXAMPLES}train.jsonl`,
        val: `${EXAMPLES}val.jsonl`,
        epochs: 3,
        learningRate: 2e-3,
        batchSize: 4,
        loraRank: 16,
        name: `northwind-email-json-${new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14)}`,
      });
      const answer = async (model: string, messages: (typeof val)[number]["messages"]) =>
        (
          await generateText(model, {
            messages: messages.filter((m) => m.role !== "assistant"),
            max_tokens: 96,
          })
        ).text;

      say(`\n1/3  asking the base model ${job.base} (before fine-tuning)…`);
      const before: string[] = [];
      for (const ex of val) before.push(await answer(job.base, ex.messages));

      say(
        `\n2/3  fine-tuning on ${job.spec.train_examples} examples (${job.spec.hyperparameters.epochs} epochs, job ${job.id})…`,
      );
      const done = await watchJob(home, job.id, {
        json: false,
        runHere: workersRunning(home).length === 0,
      });
      if (done.status !== "succeeded" || !done.fine_tuned_model) return; // cancelled with Ctrl-C
      const tuned = done.fine_tuned_model;

      say(`\n3/3  asking the fine-tuned model ${tuned}…\n`);
      const totals = { base: 0, tuned: 0, baseJson: 0, tunedJson: 0 };
      for (const [i, ex] of val.entries()) {
        const email = ex.messages.find((m) => m.role === "user")?.content ?? "";
        const expected = ex.messages.find((m) => m.role === "assistant")?.content ?? "";
        const after = await answer(tuned, ex.messages);
        const b = score(before[i] ?? "", expected);
        const a = score(after, expected);
        totals.base += b ?? 0;
        totals.tuned += a ?? 0;
        totals.baseJson += b === null ? 0 : 1;
        totals.tunedJson += a === null ? 0 : 1;
        const mark = (s: number | null) =>
          s === null ? "not JSON" : `${s}/${FIELDS.length} fields right`;
        console.log(
          `── held-out e-mail ${i + 1} ──\n${indent(email)}\n  expected:\n${indent(expected)}`,
        );
        console.log(
          `  base (${mark(b)}):\n${indent(before[i] ?? "")}\n  tuned (${mark(a)}):\n${indent(after)}\n`,
        );
      }
      const n = val.length * FIELDS.length;
      console.log(`summary on ${val.length} held-out e-mails:`);
      console.log(
        `  base  ${job.base}: ${totals.baseJson}/${val.length} valid JSON, ${totals.base}/${n} fields right`,
      );
      console.log(
        `  tuned ${tuned}: ${totals.tunedJson}/${val.length} valid JSON, ${totals.tuned}/${n} fields right`,
      );
      console.log(
        `\ntry it yourself: bin/tailor generate ${tuned} --system "Extract the fields of this customer e-mail as JSON." --prompt "..."`,
      );
    });
}
