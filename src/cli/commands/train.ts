import type { Command } from "commander";
import { TailorError } from "../../errors/index.ts";
import {
  createJob,
  DEFAULT_CLASSIFIER_BASE,
  describeSpec,
  jobView,
  type TrainingMethod,
  workersRunning,
} from "../../jobs/index.ts";
import type { Services } from "../../services/index.ts";
import { positiveInt, positiveNumber } from "../args.ts";
import { printJson, say } from "../output.ts";
import { withTailor } from "../services.ts";
import { watchJob } from "../watch.ts";

interface TrainFlags {
  base?: string;
  data: string;
  val?: string;
  epochs?: number;
  lr?: number;
  batchSize?: number;
  loraRank?: number;
  seed?: number;
  name?: string;
  checkpointEvery?: number;
  earlyStop: boolean;
  minDelta?: number;
  method: string;
  beta?: number;
  processes?: number;
  nodes?: number;
  shard?: boolean;
  gpu?: boolean;
  task?: string;
  wait?: boolean;
  json?: boolean;
}

/** `auto` (or leaving the flag out) lets Tailor choose; a number sets the value. */
const autoOr =
  (parse: (v: string) => number) =>
  (v: string): number | undefined =>
    v === "auto" ? undefined : parse(v);

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("create a fine-tuning job (LoRA) on your examples; --wait to watch it to the end")
    .option(
      "--base <model>",
      `base model: a name (see \`tailor models list\`), a folder, a .gguf file or a Hub id (--task classify: an encoder, by default ${DEFAULT_CLASSIFIER_BASE})`,
    )
    .requiredOption(
      "--data <file|id>",
      "training examples: a JSONL/CSV file or a stored dataset id (ds-…)",
    )
    .option("--val <file|id>", "held-out examples to measure validation loss on")
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
      "size of the trained add-on (auto: from the base model's size)",
      autoOr((v) => positiveInt(v, "--lora-rank")),
    )
    .option("--seed <n>", "random seed (default 42)", (v) => positiveInt(v, "--seed", true))
    .option("--name <name>", "name of the new model (default: <base>-ft-<job>)")
    .option("--checkpoint-every <n>", "also save a checkpoint every n steps", (v) =>
      positiveInt(v, "--checkpoint-every"),
    )
    .option("--no-early-stop", "train every epoch even when validation loss rises")
    .option(
      "--min-delta <x>",
      "to be ready, the model must beat its base on the held-out test by this much (0-1; default 0: at least as good)",
      (v) => positiveNumber(v, "--min-delta", true),
    )
    .option(
      "--method <supervised|dpo>",
      "supervised: learn the example answers; dpo: learn from preference pairs (preferred vs non-preferred answers)",
      "supervised",
    )
    .option(
      "--beta <auto|x>",
      "dpo: how strongly the model is held to where it started (auto: 0.1)",
      autoOr((v) => positiveNumber(v, "--beta")),
    )
    .option(
      "--task <generate|classify>",
      "classify: train a text classifier (labels for texts) instead of a model that writes answers",
    )
    .option(
      "--processes <n>",
      "train on n engine processes (torchrun: one per GPU, or sharing the CPU cores); supervised only",
      (v) => positiveInt(v, "--processes"),
    )
    .option(
      "--nodes <m>",
      "train on m machines at once, one worker on each (sharing the store and TAILOR_SHARED_DIR), --processes on each; supervised only",
      (v) => positiveInt(v, "--nodes"),
    )
    .option(
      "--shard",
      "split the base's weights across the processes (FSDP), for a base too big for one GPU; with --processes or --nodes",
    )
    .option("--gpu", "run only on a worker that offers a GPU (the job waits in the queue for one)")
    .option("--wait", "watch the job to its end (runs it here when no worker is running)")
    .option("--json", "print JSON (with --wait: the job's events as JSON lines)")
    .action((flags: TrainFlags, cmd: Command) => withTailor((svc) => train(svc, flags, cmd)));
}

async function train(svc: Services, flags: TrainFlags, cmd: Command): Promise<void> {
  const method = trainingMethod(flags);
  const base = flags.base ?? (method === "classify" ? DEFAULT_CLASSIFIER_BASE : undefined);
  if (!base)
    throw new TailorError({
      code: "invalid_argument",
      message:
        "--base is needed: the model to fine-tune, e.g. --base smollm2-135m-instruct (`tailor models list` shows them); only --task classify has a default",
      details: { field: "base" },
    });
  const job = await createJob(svc, {
    base,
    data: flags.data,
    val: flags.val,
    name: flags.name,
    epochs: flags.epochs,
    learningRate: flags.lr,
    batchSize: flags.batchSize,
    loraRank: flags.loraRank,
    seed: flags.seed,
    checkpointEverySteps: flags.checkpointEvery,
    earlyStopping: flags.earlyStop,
    gateMinDelta: flags.minDelta,
    method,
    beta: flags.beta,
    processes: flags.processes,
    nodes: flags.nodes,
    shard: flags.shard,
    gpu: flags.gpu,
  });
  // the workers that can take it: any, or for a GPU job those that offer a GPU
  const workers = workersRunning(svc.jobs).filter((w) => !job.spec.gpu || w.gpus > 0);
  if (!flags.wait) {
    if (flags.json) printJson(jobView(job));
    else {
      say(
        `created ${job.id}: ${job.base} on ${job.spec.train_examples} examples -> ${job.model_name}`,
      );
      for (const line of describeSpec(job.spec)) say(`  ${line}`);
      console.log(job.id);
    }
    if (workers.length === 0 && job.spec.gpu)
      say(
        "no worker with a GPU is running: the job waits in the queue until `tailor worker` runs on a machine with one (on the same store)",
      );
    else if (workers.length === 0)
      say(
        `no worker is running: start one with \`tailor worker\` (it runs queued jobs), or watch this one run here with \`tailor jobs follow ${job.id} --run\``,
      );
    else say(`watch it with \`tailor jobs follow ${job.id}\``);
    return;
  }
  if (!flags.json) {
    say(
      `fine-tuning ${job.base} on ${job.spec.train_examples} examples -> ${job.model_name} (job ${job.id})`,
    );
    for (const line of describeSpec(job.spec)) say(`  ${line}`);
    if (workers.length)
      say(`a worker is running (${workers.map((w) => w.id).join(", ")}); it will run the job`);
  }
  const done = await watchJob(svc, job.id, {
    json: Boolean(flags.json),
    runHere: workers.length === 0,
    verbose: Boolean(cmd.optsWithGlobals().verbose),
  });
  if (!flags.json && done.status === "succeeded" && done.fine_tuned_model) {
    const p = done.result?.promotion;
    console.log(
      `model ${done.fine_tuned_model}: ${p?.status === "ready" ? "ready" : "needs review"}${p ? ` (${p.reason})` : ""}\ntry it: ${method === "classify" ? `tailor classify ${done.fine_tuned_model} "a text to label"` : `tailor generate ${done.fine_tuned_model} --prompt "..."`}\nits card: tailor models card ${done.fine_tuned_model}`,
    );
  }
}

/** `--method` and `--task` as the job's training method. */
function trainingMethod(flags: TrainFlags): TrainingMethod {
  if (flags.task !== undefined && !["generate", "classify"].includes(flags.task))
    throw new TailorError({
      code: "invalid_argument",
      message: `--task ${flags.task}: use generate or classify`,
      details: { field: "task" },
    });
  if (flags.task === "classify") return "classify";
  if (flags.method !== "supervised" && flags.method !== "dpo")
    throw new TailorError({
      code: "invalid_argument",
      message: `--method ${flags.method}: use supervised or dpo`,
      details: { field: "method" },
    });
  return flags.method;
}
