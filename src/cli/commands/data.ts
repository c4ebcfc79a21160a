import type { Command } from "commander";
import {
  checkData,
  type DatasetStore,
  type DatasetVersion,
  engineTokenCounter,
} from "../../datasets/index.ts";
import { TailorError } from "../../errors/index.ts";
import { EngineModerator, EngineNameFinder } from "../../safety/index.ts";
import { InferenceEngine } from "../../serving/index.ts";
import { defaultEpochs } from "../../training/index.ts";
import { positiveNumber } from "../args.ts";
import { printJson, say, table } from "../output.ts";
import { renderReport } from "../report.ts";
import { withTailor } from "../services.ts";

interface CheckFlags {
  base: string;
  val?: string;
  columns?: string;
  tokens: boolean;
  moderation: boolean;
  json?: boolean;
}

const withStore = <T>(fn: (store: DatasetStore) => T): T => withTailor((s) => fn(s.datasets));

function summary(v: DatasetVersion) {
  const { report, ...rest } = v;
  return { ...rest, warnings: report.warnings.length, pii: report.pii_counts };
}

/** A check's slow parts as they start, on stderr (stdout keeps the report, or its JSON). */
const sayStage = (message: string) => say(`${message}…`);

export function registerData(program: Command): void {
  const data = program.command("data").description("check, store and manage your examples");
  const tokenOptions = (c: Command) =>
    c
      .option(
        "--base <model>",
        "count tokens and estimate training time with this base model",
        "smollm2-135m-instruct",
      )
      .option("--no-tokens", "skip token counts")
      .option("--val <file>", "validation examples, checked against the training ones")
      .option(
        "--columns <prompt,completion>",
        "CSV/TSV: the two columns to use when the header does not say",
      );

  tokenOptions(
    data
      .command("check")
      .argument("<file>", "JSONL, CSV or TSV")
      .description(
        "report errors, warnings, private data and statistics; exit 1 when there are errors",
      ),
  )
    .option("--json", "print the report as JSON")
    .option("--no-moderation", "do not check the answers with the moderation model")
    .action(async (file: string, f: CheckFlags) => {
      // people's names come from the engine's named-entity model, harmful answers from moderation
      const engine = new InferenceEngine();
      const report = await checkData(file, {
        epochsFor: defaultEpochs,
        val: f.val,
        columns: f.columns,
        base: f.base,
        names: new EngineNameFinder(engine),
        moderator: f.moderation ? new EngineModerator(engine) : null,
        ...(f.tokens ? { tokenCounter: engineTokenCounter(f.base) } : {}),
        onStage: sayStage,
      }).finally(() => engine.close());
      if (f.json) printJson(report);
      else console.log(renderReport(report));
      if (!report.ok) process.exitCode = 1;
    });

  tokenOptions(
    data
      .command("add")
      .argument("<file>", "JSONL, CSV or TSV")
      .description("check the file and store it as an immutable dataset version"),
  )
    .option("--name <name>", "a name for the dataset (default: the file name)")
    .option("--redact", "replace private data with placeholders such as [EMAIL] in the stored copy")
    .option(
      "--val-split <fraction>",
      "hold out this fraction for validation (e.g. 0.1)",
      (v) => positiveNumber(v, "--val-split", true),
      0,
    )
    .option("--json", "print JSON")
    .action(
      async (
        file: string,
        f: CheckFlags & { name?: string; redact?: boolean; valSplit: number },
      ) => {
        if (f.valSplit >= 1)
          throw new TailorError({
            code: "invalid_argument",
            message: "--val-split must be below 1 (e.g. 0.1 for 10%)",
          });
        await withStore(async (store) => {
          try {
            const { version, created } = await store.add(file, {
              epochsFor: defaultEpochs,
              name: f.name,
              redact: Boolean(f.redact),
              valSplit: f.valSplit,
              val: f.val,
              columns: f.columns,
              base: f.base,
              ...(f.tokens ? { tokenCounter: engineTokenCounter(f.base) } : {}),
              onStage: sayStage,
            });
            if (f.json) return printJson({ ...summary(version), created });
            console.log(renderReport(version.report));
            say("");
            if (version.redaction) {
              const replaced = Object.entries(version.redaction).map(([t, n]) => `${n} ${t}`);
              say(
                `redacted: ${replaced.length ? replaced.join(", ") : "nothing found to replace"} (your file ${file} is unchanged)`,
              );
            }
            say(
              `${created ? "stored" : "already stored"} as ${version.id} (${version.train_examples} training, ${version.val_examples} validation examples)`,
            );
            console.log(version.id);
          } catch (e) {
            if (e instanceof TailorError && e.details.report && !f.json)
              console.log(renderReport(e.details.report as Parameters<typeof renderReport>[0]));
            throw e;
          }
        });
      },
    );

  data
    .command("list")
    .description("stored dataset versions")
    .option("--json", "print JSON")
    .action((f: { json?: boolean }) =>
      withStore((store) => {
        const all = store.list();
        if (f.json) return printJson(all.map(summary));
        if (!all.length) return say("no datasets yet: tailor data add FILE");
        console.log(
          table([
            ["ID", "NAME", "EXAMPLES", "VALIDATION", "REDACTED", "CREATED"],
            ...all.map((v) => [
              v.id,
              v.name,
              String(v.train_examples),
              String(v.val_examples),
              v.redacted ? "yes" : "no",
              new Date(v.created_at * 1000).toISOString().slice(0, 16).replace("T", " "),
            ]),
          ]),
        );
      }),
    );

  data
    .command("show")
    .argument("<id>")
    .description("a dataset version and its report")
    .option("--json", "print JSON")
    .action((id: string, f: { json?: boolean }) =>
      withStore((store) => {
        const v = store.get(id);
        if (f.json) return printJson(v);
        console.log(
          `${v.id} "${v.name}" from ${v.source_file}: ${v.train_examples} training, ${v.val_examples} validation examples${v.redacted ? ", redacted" : ""}\n`,
        );
        console.log(renderReport(v.report));
      }),
    );

  data
    .command("cat")
    .argument("<id>")
    .description("print the stored examples (chat JSONL)")
    .option("--val", "print the validation split instead")
    .action((id: string, f: { val?: boolean }) => {
      withStore((store) => process.stdout.write(store.cat(id, f.val ? "val" : "train")));
    });

  data
    .command("rm")
    .argument("<id>")
    .description("delete a dataset version and its stored bytes")
    .option("--json", "print JSON")
    .action((id: string, f: { json?: boolean }) =>
      withStore((store) => {
        const r = store.remove(id);
        if (f.json) return printJson({ id, deleted: true, deleted_blobs: r.deletedBlobs });
        say(
          `deleted ${id} and ${r.deletedBlobs} stored file${r.deletedBlobs === 1 ? "" : "s"}. Models already trained on it are kept; delete them separately if needed.`,
        );
      }),
    );
}
