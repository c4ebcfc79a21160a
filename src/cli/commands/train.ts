import type { Command } from "commander";
import { planTraining } from "../../training/index.ts";
import { positiveInt, positiveNumber } from "../args.ts";
import { printJson, say } from "../output.ts";
import { TrainingProgress } from "../progress.ts";

interface TrainFlags {
  base: string;
  data: string;
  val?: string;
  epochs?: number;
  lr?: number;
  batchSize?: number;
  loraRank?: number;
  seed?: number;
  name?: string;
  json?: boolean;
  verbose?: boolean;
}

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("fine-tune a base model on your examples with LoRA")
    .requiredOption(
      "--base <model>",
      "base model: a name (see `tailor models list`), a folder, a .gguf file or a Hub id",
    )
    .requiredOption(
      "--data <file|id>",
      "training examples: a JSONL/CSV file or a stored dataset id (ds-…)",
    )
    .option("--val <file>", "held-out examples to measure validation loss on")
    .option("--epochs <n>", "passes over the data (default: from the data size)", (v) =>
      positiveInt(v, "--epochs"),
    )
    .option("--lr <x>", "learning rate (default 1e-3)", (v) => positiveNumber(v, "--lr"))
    .option("--batch-size <n>", "examples per step (default 4)", (v) =>
      positiveInt(v, "--batch-size"),
    )
    .option("--lora-rank <n>", "LoRA rank (default 8)", (v) => positiveInt(v, "--lora-rank"))
    .option("--seed <n>", "random seed (default 42)", (v) => positiveInt(v, "--seed", true))
    .option("--name <name>", "name of the new model (default: <base>-ft-<time>)")
    .option("--json", "print the engine's events as JSON lines")
    .action(async (flags: TrainFlags, cmd: Command) => {
      const verbose = Boolean(cmd.optsWithGlobals().verbose);
      const abort = new AbortController();
      const onSigint = () => {
        say("stopping at the next step (press Ctrl-C again to force)…");
        process.off("SIGINT", onSigint);
        abort.abort();
      };
      process.on("SIGINT", onSigint);
      const plan = await planTraining({
        base: flags.base,
        data: flags.data,
        val: flags.val,
        name: flags.name,
        epochs: flags.epochs,
        learningRate: flags.lr,
        batchSize: flags.batchSize,
        loraRank: flags.loraRank,
        seed: flags.seed,
        signal: abort.signal,
        ...(verbose ? { onLog: (l: string) => say(`[engine] ${l}`) } : {}),
      });
      if (!flags.json) {
        say(
          `fine-tuning ${plan.baseName} on ${plan.examples} examples${plan.valExamples ? ` (${plan.valExamples} held out)` : ""} -> ${plan.name}`,
        );
        for (const line of plan.hyperparameters.explanations) say(`  ${line}`);
      }
      const progress = new TrainingProgress();
      try {
        for await (const msg of plan.run()) {
          if (flags.json) printJson(msg);
          else if (msg.type === "completed") {
            progress.stop();
            say(
              `done in ${msg.train_seconds.toFixed(0)}s: loss ${msg.first_train_loss.toFixed(3)} -> ${msg.final_train_loss.toFixed(3)}`,
            );
            console.log(
              `model ${msg.model} saved in ${msg.path}\ntry it: tailor generate ${msg.model} --prompt "..."`,
            );
          } else progress.update(msg);
        }
      } finally {
        progress.stop();
        process.off("SIGINT", onSigint);
      }
    });
}
