import { join } from "node:path";
import type { Command } from "commander";
import type { MetricName } from "../../../protocol/evals.ts";
import { TailorError } from "../../errors/index.ts";
import {
  againstParent,
  CARD_MARKDOWN,
  metricLabel,
  readEvaluation,
  renderCardMarkdown,
} from "../../evals/index.ts";
import { describeParent, modelCardOf, parentLineage } from "../../jobs/index.ts";
import { createTinyModel } from "../../models/index.ts";
import { MODERATION_MODEL, moderationCard } from "../../safety/index.ts";
import { positiveInt } from "../args.ts";
import { formatSeconds, printJson, say, table } from "../output.ts";
import { withTailor } from "../services.ts";
import { registerModelsHealth } from "./models-health.ts";
import { modelOfName, registerModelsNames } from "./models-names.ts";

function statusOf(m: { manifest: unknown; kind: string }): string {
  const manifest = m.manifest as { promotion?: { status: string } } | null;
  if (m.kind !== "fine_tuned") return "-";
  return manifest?.promotion?.status === "ready" ? "ready" : "needs review";
}

export function registerModels(program: Command): void {
  const models = program.command("models").description("list and create models");
  registerModelsHealth(models);
  registerModelsNames(models);

  models
    .command("list")
    .description("built-in, local base and fine-tuned models")
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) => {
      const entries = withTailor((svc) => svc.models).list();
      if (opts.json) {
        return printJson(
          entries.map(({ manifest, ...e }) => ({
            ...e,
            ...(manifest?.kind === "fine_tuned"
              ? {
                  base: manifest.base.name,
                  parent: manifest.parent?.name ?? null,
                  training: manifest.training,
                }
              : {}),
          })),
        );
      }
      console.log(
        table([
          ["NAME", "KIND", "STATUS", "ORIGIN", "DESCRIPTION"],
          ...entries.map((m) => [
            m.name,
            m.kind === "fine_tuned" ? "fine-tuned" : "base",
            statusOf(m),
            m.origin,
            m.description,
          ]),
        ]),
      );
    });

  models
    .command("show")
    .argument("<name>", "a model, or a model name (its current version; support@v2 for another)")
    .description(
      "what a model is; for a fine-tuned one: its training, its test and whether it is ready",
    )
    .option("--json", "print JSON")
    .action((ref: string, opts: { json?: boolean }) => {
      const name = modelOfName(ref); // a model name: its current version (name@v2: that one)
      const registry = withTailor((svc) => svc.models);
      const entry = registry.get(name);
      if (!entry)
        throw new TailorError({
          code: "model_not_found",
          message: `no model named '${name}'; \`tailor models list\` shows them`,
        });
      const m = entry.manifest;
      const evaluation = m?.kind === "fine_tuned" ? readEvaluation(registry.modelDir(name)) : null;
      const from = m?.kind === "fine_tuned" ? m.parent : undefined;
      const parent = from ? withTailor((svc) => parentLineage(svc, from)) : null;
      if (opts.json) {
        const { manifest, ...rest } = entry;
        return printJson({
          ...rest,
          ...(manifest?.kind === "fine_tuned"
            ? {
                base: manifest.base.name,
                parent,
                training: manifest.training,
                promotion: manifest.promotion ?? null,
                evaluation,
                tools: manifest.tools ?? null,
                tool_format: manifest.tool_format ?? null,
              }
            : {}),
        });
      }
      const lines: string[][] = [
        ["name", entry.name],
        ["kind", entry.kind === "fine_tuned" ? "fine-tuned" : "base"],
        ["description", entry.description],
      ];
      if (entry.path) lines.push(["folder", entry.path]);
      if (m?.kind !== "fine_tuned") {
        console.log(table(lines));
        return;
      }
      const t = m.training;
      lines.push(
        ["base", m.base.name],
        ...(parent ? [["continued from", describeParent(parent)]] : []),
        ["created", new Date(m.created_at * 1000).toISOString().replace("T", " ").slice(0, 19)],
        ...(t.job_id ? [["job", t.job_id]] : []),
        [
          "training",
          `${t.train_examples} examples, ${t.epochs} epochs, ${t.steps} steps in ${formatSeconds(t.train_seconds)}`,
        ],
        ["training loss", `${t.first_train_loss.toFixed(3)} -> ${t.final_train_loss.toFixed(3)}`],
        [
          "validation",
          t.val_file
            ? `${t.val_file}${t.best_val_loss !== undefined ? `; lowest validation loss ${t.best_val_loss.toFixed(3)} at step ${t.model_step ?? t.steps}` : ""}`
            : "none",
        ],
        ...(m.tools
          ? [
              [
                "functions",
                `${m.tools.map((tool) => tool.function.name).join(", ")} (calls written in ${m.tool_format?.kind === "template" ? "the base's own format" : "Tailor's format"})`,
              ],
            ]
          : []),
        [
          "status",
          m.promotion
            ? m.promotion.status === "ready"
              ? "ready"
              : "needs review"
            : "needs review (not evaluated)",
        ],
      );
      console.log(table(lines));
      if (m.promotion) console.log(`\n${m.promotion.reason}`);
      if (evaluation) {
        const [a, b] = evaluation.models;
        console.log(
          `\ntested on ${evaluation.data.examples} held-out examples (${evaluation.data.source}):`,
        );
        console.log(
          table([
            ["METRIC", a?.model ?? "", ...(b ? [b.model] : [])],
            ...Object.entries(a?.metrics ?? {}).map(([k, v]) => {
              const f = (x: number | undefined) =>
                x === undefined
                  ? "-"
                  : k === "length_ratio"
                    ? x.toFixed(2)
                    : `${(x * 100).toFixed(1)}%`;
              const key = k as MetricName;
              return [
                `${metricLabel(key)}${k === evaluation.primary_metric ? " *" : ""}`,
                f(v),
                ...(b ? [f(b.metrics[key])] : []),
              ];
            }),
          ]),
        );
        if (evaluation.outcome)
          console.log(
            `better than ${evaluation.classification ? "the majority-label baseline" : "the base"} on ${evaluation.outcome.wins}, worse on ${evaluation.outcome.losses}, the same on ${evaluation.outcome.ties}`,
          );
        if (evaluation.parent)
          console.log(
            againstParent(
              evaluation.parent,
              evaluation.models[0]?.metrics ?? {},
              evaluation.primary_metric,
            ),
          );
      }
      console.log(
        `\nmodel card: tailor models card ${name} (also ${join(registry.modelDir(name), CARD_MARKDOWN)})`,
      );
    });

  models
    .command("card")
    .argument(
      "<name>",
      `a fine-tuned model, a model name (its current version), or ${MODERATION_MODEL}`,
    )
    .description("the model card: data, settings, curves, test results, intended use and limits")
    .option("--json", "print the card as JSON instead of Markdown")
    .action((name: string, opts: { json?: boolean }) => {
      if (name === MODERATION_MODEL && !opts.json) {
        process.stdout.write(moderationCard());
        return;
      }
      const id = modelOfName(name); // a model name: its current version
      const card = withTailor((svc) => modelCardOf(svc, id));
      if (opts.json) return printJson(card);
      process.stdout.write(renderCardMarkdown(card));
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
        const registry = withTailor((svc) => svc.models);
        const made = await createTinyModel(registry, name, opts);
        if (opts.json) return printJson({ name, path: made.path, parameters: made.parameters });
        say(
          `created ${name}: ${made.parameters.toLocaleString("en")} parameters, vocabulary ${made.vocab_size}, in ${made.path}`,
        );
      },
    );
}
