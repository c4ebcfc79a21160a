/**
 * `tailor export MODEL --format peft|merged|gguf|ollama [--quantization Q] --out DIR`: a model
 * written out to run elsewhere (src/exports), with its card, a README and the next step.
 */
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { EXPORT_FORMATS } from "../../../protocol/api/exports.ts";
import { GGUF_QUANTIZATIONS } from "../../../protocol/index.ts";
import {
  checkTarget,
  type ExportFormat,
  type ExportResult,
  exportSubject,
  type GgufQuantization,
  humanBytes,
  storedSystemPrompt,
  writeExport,
} from "../../exports/index.ts";
import { resolveModelRef } from "../../jobs/index.ts";
import { formatSeconds, printJson, say, table } from "../output.ts";
import { withTailor } from "../services.ts";
import { ExportBar } from "./export-progress.ts";

interface ExportFlags {
  format: ExportFormat;
  quantization?: GgufQuantization;
  out: string;
  force?: boolean;
  json?: boolean;
}

export function registerExport(program: Command): void {
  program
    .command("export")
    .argument(
      "<model>",
      "a fine-tuned or base model (a name, support@v2, a checkpoint like MODEL:ckpt-step-N)",
    )
    .description(
      "write a model out to run elsewhere: the PEFT adapter, a merged Hugging Face folder, GGUF for llama.cpp / LM Studio, or an Ollama model; with its model card and a README",
    )
    .addOption(
      new Option(
        "--format <format>",
        "peft (the adapter), merged (Hugging Face folder), gguf (llama.cpp), ollama (GGUF + Modelfile)",
      )
        .choices(EXPORT_FORMATS)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option(
        "--quantization <q>",
        "GGUF weights for gguf and ollama: f16 (default, as trained), q8_0 (half the size), q4_0 (about a third)",
      ).choices(GGUF_QUANTIZATIONS),
    )
    .requiredOption("--out <dir>", "the folder to write (new or empty)")
    .option("--force", "replace --out if it already has files in it")
    .option("--json", "print the result as JSON")
    .action(async (model: string, f: ExportFlags, cmd: Command) => {
      const subject = withTailor((svc) =>
        exportSubject(
          { models: svc.models, systemPrompt: storedSystemPrompt(svc) },
          resolveModelRef(svc, model),
        ),
      );
      const out = resolve(f.out);
      checkTarget(out, f.force); // before the engine starts, not after minutes of work
      const verbose = Boolean(cmd.optsWithGlobals().verbose);
      const bar = new ExportBar();
      const stop = new AbortController();
      const onSigint = () => stop.abort();
      process.once("SIGINT", onSigint);
      const started = Date.now();
      let r: ExportResult;
      try {
        r = await writeExport(subject, {
          format: f.format,
          quantization: f.quantization,
          out,
          replace: f.force,
          shownDir: f.out,
          signal: stop.signal,
          onProgress: (p) => bar.update(p),
          onLog: verbose ? (l) => say(`[engine] ${l}`) : undefined,
        });
      } finally {
        bar.stop();
        process.off("SIGINT", onSigint);
      }
      const seconds = (Date.now() - started) / 1000;
      if (f.json) {
        printJson({
          model: subject.name,
          format: r.format,
          quantization: r.quantization,
          dir: r.dir,
          files: r.files,
          bytes: r.bytes,
          architecture: r.architecture,
          stop_tokens: r.stopTokens,
          system_prompt: subject.system,
          next_step: r.nextStep,
          seconds: Math.round(seconds * 10) / 10,
        });
        return;
      }
      const how = r.quantization ? `${r.format} (${r.quantization})` : r.format;
      console.log(
        `Exported ${subject.name} as ${how} to ${f.out} in ${formatSeconds(seconds)}: ${r.files.length} files, ${humanBytes(r.bytes)}.`,
      );
      console.log(table(r.files.map((x) => [`  ${x.name}`, humanBytes(x.bytes)])));
      if (subject.system) console.log(`The training's system prompt is set: "${subject.system}".`);
      console.log(`\nNext: ${r.nextStep}`);
    });
}
