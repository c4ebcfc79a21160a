/**
 * Writes an export into a folder: the engine writes the weights (one `export` run, two for a
 * fine-tune's GGUF: the model and the adapter alone), then the Modelfile for Ollama, the model card
 * and a README. Everything is written into a temporary folder beside the target and renamed into
 * place at the end, so a half-written export is never at the target's path.
 */
import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import type { ExportRequest } from "../../protocol/index.ts";
import { isTailorError, TailorError } from "../errors/index.ts";
import { CARD_JSON, CARD_MARKDOWN } from "../evals/index.ts";
import { type Exported, engineExport } from "./engine-export.ts";
import { writeModelfile } from "./modelfile.ts";
import { renderReadme } from "./readme.ts";
import { type ExportSubject, exportQuantization } from "./subject.ts";
import type {
  ExportFile,
  ExportFormat,
  ExportProgress,
  ExportResult,
  ExportRunner,
  GgufQuantization,
} from "./types.ts";

export interface WriteOptions {
  format: ExportFormat;
  /** GGUF weights (gguf, ollama; default f16); refused for peft and merged. */
  quantization?: GgufQuantization | undefined;
  /** The folder to write: must not exist, or be empty (or anything, with `replace`). */
  out: string;
  /** Replace a folder that is already there (the CLI's --force). */
  replace?: boolean | undefined;
  /** How the next step names the folder (absent: the files alone, as after a download). */
  shownDir?: string | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: ExportProgress) => void) | undefined;
  /** The engine's log lines. */
  onLog?: ((line: string) => void) | undefined;
  /** The engine (default: the real one). */
  runner?: ExportRunner | undefined;
}

/** A file name from a model's id (`ft:tiny:support:abc` -> `ft-tiny-support-abc`). */
export function fileStem(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[-.]+|-+$/g, "") || "model";
}

/** Refuses a target that is a file, or a folder with files in it unless `replace`. */
export function checkTarget(out: string, replace = false): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) {
    throw new TailorError({
      code: "conflict",
      message: `${out} is a file; give a folder to write the export into`,
      details: { field: "out" },
    });
  }
  if (!replace && readdirSync(out).length > 0) {
    throw new TailorError({
      code: "conflict",
      message: `${out} already has files in it; choose a new folder, or replace it with --force`,
      details: { field: "out" },
    });
  }
}

/** Every file under `dir`, paths relative to it, sorted. */
export function listFiles(dir: string): ExportFile[] {
  const out: ExportFile[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push({ name: relative(dir, p), bytes: statSync(p).size });
    }
  };
  walk(dir);
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function writeExport(
  subject: ExportSubject,
  opts: WriteOptions,
): Promise<ExportResult> {
  const quantization = exportQuantization(subject, opts.format, opts.quantization);
  checkTarget(opts.out, opts.replace);
  const stage = join(
    dirname(opts.out),
    `.${basename(opts.out)}.export-${randomBytes(4).toString("hex")}`,
  );
  const stem = fileStem(subject.name);
  const q = quantization ?? "f16";
  const gguf = `${stem}-${q}.gguf`;
  // a GGUF LoRA adapter is small and loses most of its precision at q4_0: the engine writes q8_0
  const aq = q === "q4_0" ? "q8_0" : q;
  let adapterGguf = subject.adapterDir ? `${stem}-adapter-${aq}.gguf` : undefined;
  let adapterNote: string | undefined;
  const run = (format: ExportRequest["format"], out: string, quantization = q) =>
    engineExport(subject, { format, out, quantization }, opts);
  try {
    let main: Exported;
    if (opts.format === "peft" || opts.format === "merged") {
      main = await run(opts.format, stage);
    } else {
      mkdirSync(stage, { recursive: true });
      main = await run("gguf", join(stage, gguf));
      if (opts.format === "gguf" && adapterGguf) {
        try {
          await run("gguf_adapter", join(stage, adapterGguf), aq);
          if (aq !== q)
            adapterNote = `The adapter is written at ${aq}: at ${q} it would lose most of its small weights' precision.`;
        } catch (e) {
          // the merged model is written; an adapter llama.cpp cannot take is left out, saying why
          if (!isTailorError(e) || e.code !== "invalid_argument") throw e;
          adapterNote = `The adapter alone is not included: ${e.message}`;
          adapterGguf = undefined;
        }
      }
    }
    const ollamaName = fileStem(subject.name).toLowerCase();
    if (opts.format === "ollama") writeModelfile(stage, gguf, subject, main);
    for (const f of [CARD_MARKDOWN, CARD_JSON]) {
      const from = subject.cardDir && join(subject.cardDir, f);
      if (from && existsSync(from)) copyFileSync(from, join(stage, f));
    }
    const files = listFiles(stage).filter((f) => f.name !== "README.md");
    const readme = renderReadme({
      subject,
      format: opts.format,
      quantization,
      files,
      architecture: main.architecture,
      stopTokens: main.stop_tokens,
      gguf: opts.format === "peft" || opts.format === "merged" ? undefined : gguf,
      adapterGguf: opts.format === "gguf" ? adapterGguf : undefined,
      adapterNote,
      ollamaName,
    });
    writeFileSync(join(stage, "README.md"), readme);
    const written = listFiles(stage);
    moveIntoPlace(stage, opts.out);
    return {
      dir: opts.out,
      format: opts.format,
      quantization,
      files: written,
      bytes: written.reduce((n, f) => n + f.bytes, 0),
      architecture: main.architecture,
      stopTokens: main.stop_tokens,
      nextStep: nextStep(opts.format, subject.name, quantization, opts.shownDir),
    };
  } finally {
    rmSync(stage, { recursive: true, force: true }); // gone already when it was renamed
  }
}

/** Renames the finished folder to `out`, replacing what is there (checked by checkTarget). */
function moveIntoPlace(stage: string, out: string): void {
  if (!existsSync(out)) {
    renameSync(stage, out);
    return;
  }
  const old = `${stage}.old`;
  renameSync(out, old);
  renameSync(stage, out);
  rmSync(old, { recursive: true, force: true });
}

/**
 * The one command (or line of Python) to run after an export of `model`; `dir` is how the folder is
 * named to the user (absent: the files alone, as after a download).
 */
export function nextStep(
  format: ExportFormat,
  model: string,
  quantization: GgufQuantization | null,
  dir?: string,
): string {
  const at = (f: string) => (dir ? join(dir, f) : f);
  const stem = fileStem(model);
  switch (format) {
    case "peft":
      return `load it in Python with PeftModel.from_pretrained(base, ${JSON.stringify(dir ?? ".")}) (${at("README.md")} shows how)`;
    case "merged":
      return `load it in Python with AutoModelForCausalLM.from_pretrained(${JSON.stringify(dir ?? ".")})`;
    case "gguf":
      return `llama-cli -m ${at(`${stem}-${quantization ?? "f16"}.gguf`)} -cnv`;
    case "ollama":
      return `ollama create ${stem.toLowerCase()} -f ${at("Modelfile")}`;
  }
}
