import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { engineResult } from "../../engine/index.ts";
import { TailorError } from "../../errors/index.ts";
import { ModelName, ModelRegistry } from "../../models/index.ts";
import { positiveInt } from "../args.ts";
import { printJson, say, table } from "../output.ts";

export function registerModels(program: Command): void {
  const models = program.command("models").description("list and create models");

  models
    .command("list")
    .description("built-in, local base and fine-tuned models")
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) => {
      const entries = new ModelRegistry().list();
      if (opts.json) {
        return printJson(
          entries.map(({ manifest, ...e }) => ({
            ...e,
            ...(manifest?.kind === "fine_tuned"
              ? { base: manifest.base.name, training: manifest.training }
              : {}),
          })),
        );
      }
      console.log(
        table([
          ["NAME", "KIND", "ORIGIN", "DESCRIPTION"],
          ...entries.map((m) => [
            m.name,
            m.kind === "fine_tuned" ? "fine-tuned" : "base",
            m.origin,
            m.description,
          ]),
        ]),
      );
    });

  models
    .command("create-tiny")
    .argument("<name>", "name for the new model")
    .description(
      "make a tiny random Llama-architecture model with a real tokenizer, for quick tests (offline)",
    )
    .option("--hidden-size <n>", "hidden size", (v) => positiveInt(v, "--hidden-size"), 64)
    .option("--layers <n>", "number of layers", (v) => positiveInt(v, "--layers"), 2)
    .option("--seed <n>", "random seed", (v) => positiveInt(v, "--seed", true), 0)
    .option("--json", "print JSON")
    .action(
      async (
        name: string,
        opts: { hiddenSize: number; layers: number; seed: number; json?: boolean },
      ) => {
        const check = ModelName.safeParse(name);
        if (!check.success)
          throw new TailorError({
            code: "invalid_argument",
            message: `model name '${name}': ${check.error.issues[0]?.message}`,
          });
        const registry = new ModelRegistry();
        if (registry.exists(name))
          throw new TailorError({
            code: "model_exists",
            message: `a model named '${name}' already exists`,
          });
        mkdirSync(registry.dir, { recursive: true });
        const tmp = join(registry.dir, `.tmp-create-${name}`);
        rmSync(tmp, { recursive: true, force: true });
        try {
          const created = await engineResult(
            "create-tiny",
            { out_dir: tmp, seed: opts.seed, hidden_size: opts.hiddenSize, layers: opts.layers },
            "model_created",
          );
          registry.writeManifest(tmp, {
            kind: "base",
            name,
            created_at: Math.floor(Date.now() / 1000),
            source: { kind: "hf_dir", path: registry.modelDir(name) },
            description: `tiny random Llama (${created.parameters.toLocaleString("en")} parameters) for tests`,
          });
          renameSync(tmp, registry.modelDir(name));
          if (opts.json)
            return printJson({
              name,
              path: registry.modelDir(name),
              parameters: created.parameters,
            });
          say(
            `created ${name}: ${created.parameters.toLocaleString("en")} parameters, vocabulary ${created.vocab_size}, in ${registry.modelDir(name)}`,
          );
        } finally {
          if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
        }
      },
    );
}
