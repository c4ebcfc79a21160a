/**
 * `tailor retrain NAME`: a new version of a model name from its accepted reviews, mixed with a sample
 * of its original examples, continuing from the version in use; the gate at the job's end decides
 * whether the name moves to it. `--dry-run` prints the plan only; `--wait` watches the job (run here
 * when no worker is running) and prints the gate's decision.
 */
import type { Command } from "commander";
import { describeSpec, type Job, workersRunning } from "../../jobs/index.ts";
import { startRetrain } from "../../retrain/index.ts";
import type { Services } from "../../services/index.ts";
import { positiveInt, positiveNumber } from "../args.ts";
import { printJson, say } from "../output.ts";
import { withTailor } from "../services.ts";
import { watchJob } from "../watch.ts";
import { localUser } from "./assistants-admin.ts";

interface RetrainFlags {
  sample?: number;
  heldOutShare?: number;
  dryRun?: boolean;
  wait?: boolean;
  epochs?: number;
  lr?: number;
  batchSize?: number;
  loraRank?: number;
  seed?: number;
  json?: boolean;
}

/** `auto` (or leaving the flag out) lets Tailor choose; a number sets the value. */
const autoOr =
  (parse: (v: string) => number) =>
  (v: string): number | undefined =>
    v === "auto" ? undefined : parse(v);

export function registerRetrain(program: Command): void {
  program
    .command("retrain")
    .description(
      "retrain a model name on its accepted reviews (tailor review), continuing from the version in use; the gate decides whether the name moves to the new model",
    )
    .argument("<name>", "the model name (e.g. support)")
    .option(
      "--sample <n>",
      "original examples to mix in, so old skills are kept (default: twice the corrections trained on, at least 20, as many as there are)",
      (v) => positiveInt(v, "--sample", true),
    )
    .option(
      "--held-out-share <x>",
      "share of the accepted reviews held out for the gate (0-0.9, default 0.25; at least one of two or more)",
      (v) => positiveNumber(v, "--held-out-share", true),
    )
    .option("--dry-run", "print the plan only: nothing is stored, no job is made")
    .option(
      "--epochs <auto|n>",
      "passes over the data (auto: from the data size)",
      autoOr((v) => positiveInt(v, "--epochs")),
    )
    .option(
      "--lr <auto|x>",
      "learning rate (auto: from the base model's size)",
      autoOr((v) => positiveNumber(v, "--lr")),
    )
    .option(
      "--batch-size <auto|n>",
      "examples per step (auto: from the machine)",
      autoOr((v) => positiveInt(v, "--batch-size")),
    )
    .option(
      "--lora-rank <auto|n>",
      "must be the current model's (its adapter's size is fixed)",
      autoOr((v) => positiveInt(v, "--lora-rank")),
    )
    .option("--seed <n>", "random seed (default 42)", (v) => positiveInt(v, "--seed", true))
    .option("--wait", "watch the job to its end and print the gate's decision")
    .option("--json", "print the plan as JSON (with --wait: the job's events as JSON lines)")
    .action((name: string, flags: RetrainFlags, cmd: Command) =>
      withTailor((svc) => retrain(svc, name, flags, cmd)),
    );
}

async function retrain(
  svc: Services,
  name: string,
  flags: RetrainFlags,
  cmd: Command,
): Promise<void> {
  const { plan, job } = await startRetrain(svc, name, {
    sample: flags.sample,
    heldOutShare: flags.heldOutShare,
    dryRun: flags.dryRun,
    requestedBy: `cli:${localUser()}`, // as `tailor models` writes the CLI's user in a name's history
    hyperparameters: {
      epochs: flags.epochs,
      learningRate: flags.lr,
      batchSize: flags.batchSize,
      loraRank: flags.loraRank,
      seed: flags.seed,
    },
  });
  if (flags.json && !(flags.wait && job)) printJson(plan);
  else {
    console.log(
      `retrain ${plan.name}: from version ${plan.current.version} (${plan.current.model})${flags.dryRun ? " (dry run)" : ""}`,
    );
    for (const line of plan.notes) console.log(`  ${line}`);
  }
  if (!job) {
    if (!flags.json)
      console.log(
        `dry run: nothing was stored; \`tailor retrain ${name}\` without --dry-run starts it`,
      );
    return;
  }
  const workers = workersRunning(svc.jobs);
  if (!flags.json) {
    console.log(
      `examples: ${plan.dataset_id}${plan.held_out_dataset_id ? `; corrections held out: ${plan.held_out_dataset_id}` : ""}${plan.original_held_out ? `; original held-out: ${plan.original_held_out}` : ""}`,
    );
    console.log(
      `job ${job.id}: ${job.model_name} on ${job.spec.train_examples} examples, continuing from ${plan.current.model}`,
    );
    for (const line of describeSpec(job.spec)) console.log(`  ${line}`);
  }
  if (!flags.wait) {
    if (!flags.json)
      console.log(
        workers.length
          ? `watch it with \`tailor jobs follow ${job.id}\``
          : `no worker is running: start one with \`tailor worker\`, or watch it run here with \`tailor jobs follow ${job.id} --run\``,
      );
    return;
  }
  if (!flags.json && workers.length)
    say(`a worker is running (${workers.map((w) => w.id).join(", ")}); it will run the job`);
  const done = await watchJob(svc, job.id, {
    json: Boolean(flags.json),
    runHere: workers.length === 0,
    verbose: Boolean(cmd.optsWithGlobals().verbose),
  });
  if (!flags.json) for (const line of gateLines(done)) console.log(line);
}

/** The gate's decision as the job recorded it (src/jobs/recipe/gate.ts), in words. */
export function gateLines(job: Job): string[] {
  const gate = job.result?.gate ?? null;
  if (!gate)
    return [
      `model ${job.fine_tuned_model ?? job.model_name}: the gate did not decide${job.result?.summary ? ` (${job.result.summary})` : ""}`,
    ];
  const name = job.spec.retrain?.name ?? "the name";
  // the reason in full is the job's last event, printed just before
  const lines = [
    gate.promote
      ? `promoted: ${name} now answers with ${gate.candidate.model}`
      : `not promoted: ${name} still answers with version ${gate.current.version} (${gate.current.model}); the new model is kept as ${gate.candidate.model}`,
  ];
  for (const s of gate.sets)
    lines.push(
      `  ${s.name}: ${s.examples} example${s.examples === 1 ? "" : "s"}, ${s.metric} ${fmt(s.current)} (version ${gate.current.version}) -> ${fmt(s.candidate)} (new): ${s.better} better, ${s.worse} worse`,
    );
  return lines;
}

const fmt = (x: number) => (Math.abs(x) <= 1 ? x.toFixed(3) : x.toFixed(1));
