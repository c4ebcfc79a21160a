import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import type { EvaluationReport } from "../../../protocol/evals.ts";
import { readEvaluation, renderHtml } from "../../evals/index.ts";
import { createJob, resolveModelRef, workersRunning } from "../../jobs/index.ts";
import { tailorHome } from "../../models/index.ts";
import type { Services } from "../../services/index.ts";
import { InferenceEngine } from "../../serving/index.ts";
import { positiveInt } from "../args.ts";
import { say } from "../output.ts";
import { withTailor } from "../services.ts";
import { compareStructured, heldOut, renderStructured } from "../structured-demo.ts";
import { watchJob } from "../watch.ts";
import { printReport } from "./eval.ts";

const EXAMPLES = fileURLToPath(new URL("../../../examples/email-to-json/", import.meta.url));

function indent(text: string, prefix = "    "): string {
  return (text.trim() || "(empty)")
    .split("\n")
    .map((l) => prefix + l)
    .join("\n");
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "fine-tune SmolLM2-135M to turn customer e-mails into JSON, show base vs tuned answers, then both held to the fields' JSON Schema (structured outputs)",
    )
    .option("--base <model>", "base model", "smollm2-135m-instruct")
    .option(
      "--prompts <n>",
      "held-out e-mails to show side by side",
      (v) => positiveInt(v, "--prompts"),
      3,
    )
    .option(
      "--structured <n>",
      "held-out e-mails answered with and without the JSON Schema at the end (0: skip that step)",
      (v) => positiveInt(v, "--structured", true),
      3,
    )
    .option("--no-studio", "end without opening the studio")
    .action(
      async (flags: { base: string; prompts: number; structured: number; studio: boolean }) => {
        say(readFileSync(`${EXAMPLES}README.md`, "utf8").split("\n").slice(0, 3).join("\n"));
        const home = tailorHome();
        const tuned = await withTailor((svc) =>
          trainAndCompare(svc, flags.base, flags.prompts, flags.structured),
        );
        if (!tuned) return; // cancelled with Ctrl-C
        console.log(`its model card: bin/tailor models card ${tuned}`);
        if (!flags.studio || !process.stdout.isTTY) {
          console.log(
            "see it all in the studio (results, playground, the API snippet): bin/tailor serve, then open the link it prints",
          );
          return;
        }
        const { startServer } = await import("../../server/index.ts");
        const { llamaServingFromEnv } = await import("../../serving/index.ts");
        const server = await startServer({ home, port: 8700, llama: llamaServingFromEnv() }).catch(
          (e: Error) => {
            say(`the studio could not start (${e.message}); run bin/tailor serve yourself`);
            return null;
          },
        );
        if (!server) return;
        console.log(
          `\nthe studio is open (results, playground, the API snippet): ${server.studioUrl}\nCtrl-C stops it.`,
        );
        await new Promise<void>((resolve) => {
          process.once("SIGINT", resolve);
          process.once("SIGTERM", resolve);
        });
        await server.close();
        console.log(
          `try it yourself: bin/tailor generate ${tuned} --system "Extract the fields of this customer e-mail as JSON." --prompt "..."`,
        );
      },
    );
}

/**
 * Structured outputs: the base model held to the JSON Schema of the fields, the tuned model as it
 * is (its answers from the evaluation above), and the tuned model held to the schema.
 */
async function showStructured(
  svc: Services,
  base: string,
  tuned: string,
  emails: number,
  report: EvaluationReport | null,
): Promise<void> {
  say(
    `\n3/3  structured outputs: ${base} given only the JSON Schema of the fields, ${tuned} as it is, and with the schema (examples/email-to-json/schema.json)\n`,
  );
  const engine = new InferenceEngine();
  try {
    const result = await compareStructured({
      engine,
      base: resolveModelRef(svc, base),
      tuned: resolveModelRef(svc, tuned),
      examples: heldOut(`${EXAMPLES}val.jsonl`, emails),
      schema: JSON.parse(readFileSync(`${EXAMPLES}schema.json`, "utf8")) as Record<string, unknown>,
      tunedAnswers: new Map(report?.examples.map((ex) => [ex.line, ex.outputs[0] ?? ""]) ?? []),
      maxTokens: 160,
    });
    console.log(renderStructured(result));
    console.log(
      `\n(${Math.round(result.seconds)}s; the schema is kept by constrained decoding: the engine only lets the model write tokens that keep the answer valid)`,
    );
  } catch (e) {
    say(`structured outputs could not be shown: ${(e as Error).message}`);
  } finally {
    await engine.close();
  }
}

/** Fine-tunes the demo's model, then shows it against its base; null when it was cancelled. */
async function trainAndCompare(
  svc: Services,
  base: string,
  prompts: number,
  structured: number,
): Promise<string | null> {
  const steps = structured > 0 ? 3 : 2;
  const job = await createJob(svc, {
    base,
    data: `${EXAMPLES}train.jsonl`,
    val: `${EXAMPLES}val.jsonl`,
    epochs: 3,
    learningRate: 2e-3,
    batchSize: 4,
    loraRank: 16,
    name: `northwind-email-json-${new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14)}`,
  });
  say(
    `\n1/${steps}  fine-tuning ${job.base} on ${job.spec.train_examples} examples (${job.spec.hyperparameters.epochs} epochs, job ${job.id}); at the end it is tested against ${job.base} on ${job.spec.validation.examples} held-out e-mails…`,
  );
  const done = await watchJob(svc, job.id, {
    json: false,
    runHere: workersRunning(svc.jobs).length === 0,
  });
  if (done.status !== "succeeded" || !done.fine_tuned_model) return null; // cancelled with Ctrl-C
  const tuned = done.fine_tuned_model;
  const folder = svc.models.modelDir(tuned);
  const report = readEvaluation(folder);
  const promotion = svc.models.get(tuned)?.manifest;
  say(`\n2/${steps}  ${tuned} against ${job.base} on the held-out e-mails\n`);
  if (report) {
    for (const [i, ex] of report.examples.slice(0, prompts).entries()) {
      const [after, before] = ex.outputs;
      const [a, b] = ex.scores.map((x) => `${Math.round((x ?? 0) * 100)}% of the fields right`);
      console.log(
        `── held-out e-mail ${i + 1} ──\n${indent(ex.prompt)}\n  expected:\n${indent(ex.expected)}`,
      );
      console.log(
        `  base (${b}):\n${indent(before ?? "")}\n  tuned (${a}):\n${indent(after ?? "")}\n`,
      );
    }
    printReport(report, promotion?.kind === "fine_tuned" ? (promotion.promotion ?? null) : null);
    const reports = join(svc.home, "reports");
    mkdirSync(reports, { recursive: true });
    const html = join(reports, `${tuned}.html`);
    writeFileSync(html, renderHtml(report));
    console.log(`\nthe whole comparison, with charts: ${html}`);
  }
  if (structured > 0) await showStructured(svc, job.base, tuned, structured, report);
  return tuned;
}
