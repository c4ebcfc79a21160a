import type { Command } from "commander";
import { resolveCheckpoint } from "../../jobs/index.ts";
import { generateText } from "../../models/index.ts";
import { positiveInt, positiveNumber } from "../args.ts";
import { printJson } from "../output.ts";
import { withTailor } from "../services.ts";

interface GenerateFlags {
  prompt: string;
  system?: string;
  temperature: number;
  topP: number;
  topK: number;
  maxTokens: number;
  stop: string[];
  seed: number;
  json?: boolean;
}

export function registerGenerate(program: Command): void {
  program
    .command("generate")
    .argument(
      "<model>",
      "a model name, a checkpoint (JOB_ID:step-N), a folder, a .gguf file or a Hub id",
    )
    .description("answer one prompt with a base or fine-tuned model")
    .requiredOption("--prompt <text>", "the user's message")
    .option("--system <text>", "system message")
    .option(
      "--temperature <t>",
      "0 = always the most likely word (greedy); higher = more varied",
      (v) => positiveNumber(v, "--temperature", true),
      0,
    )
    .option(
      "--top-p <p>",
      "sample only from the most likely words that add up to p",
      (v) => positiveNumber(v, "--top-p"),
      1,
    )
    .option(
      "--top-k <k>",
      "sample only from the k most likely words (0 = no limit)",
      (v) => positiveInt(v, "--top-k", true),
      0,
    )
    .option(
      "--max-tokens <n>",
      "stop after this many tokens",
      (v) => positiveInt(v, "--max-tokens"),
      256,
    )
    .option(
      "--stop <text>",
      "stop when this text appears (repeatable)",
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option("--seed <n>", "random seed for sampling", (v) => positiveInt(v, "--seed", true), 0)
    .option("--json", "print JSON")
    .action(async (model: string, f: GenerateFlags) => {
      const result = await generateText(
        withTailor((s) => resolveCheckpoint(s.jobs, model)) ?? model,
        {
          messages: [
            ...(f.system ? [{ role: "system" as const, content: f.system }] : []),
            { role: "user", content: f.prompt },
          ],
          temperature: f.temperature,
          top_p: f.topP,
          top_k: f.topK,
          max_tokens: f.maxTokens,
          stop: f.stop,
          seed: f.seed,
        },
      );
      if (f.json)
        return printJson({
          model,
          text: result.text,
          finish_reason: result.finish_reason,
          usage: {
            prompt_tokens: result.prompt_tokens,
            completion_tokens: result.completion_tokens,
          },
        });
      console.log(result.text);
    });
}
