/**
 * `/v1/models/{id}/export` and `/v1/exports`: a model written out to run elsewhere (Tailor's own
 * resource; OpenAI has none). The work runs in the background: poll the export until it is
 * `succeeded`, then download it from `download_url`.
 */
import { z } from "@hono/zod-openapi";
import { GGUF_QUANTIZATIONS } from "../engine/export.ts";
import { listOf, seconds } from "./shared.ts";

/**
 * `peft`: the adapter folder as PEFT writes it; `merged`: a Hugging Face folder of the base with
 * the adapter merged in; `gguf`: one GGUF file for llama.cpp (and the adapter alone as a GGUF LoRA
 * adapter); `ollama`: the GGUF with a Modelfile for `ollama create`.
 */
export const EXPORT_FORMATS = ["peft", "merged", "gguf", "ollama"] as const;
export const ExportFormat = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof ExportFormat>;
export const EXPORT_STATUSES = ["running", "succeeded", "failed"] as const;

export const ExportCreateRequest = z
  .object({
    format: ExportFormat,
    /** GGUF weights (gguf and ollama; default f16). */
    quantization: z.enum(GGUF_QUANTIZATIONS).optional(),
  })
  .openapi("ExportCreateRequest");
export type ExportCreateRequest = z.infer<typeof ExportCreateRequest>;

export const ExportObject = z
  .object({
    id: z.string().openapi({ example: "export-abc123" }),
    object: z.literal("export"),
    /** The model exported (its API id). */
    model: z.string(),
    format: ExportFormat,
    quantization: z.enum(GGUF_QUANTIZATIONS).nullable(),
    status: z.enum(EXPORT_STATUSES),
    /** While running: what the engine is doing, with a fraction done when it knows one. */
    progress: z
      .object({
        stage: z.string(),
        message: z.string(),
        current: z.number().nullable(),
        total: z.number().nullable(),
      })
      .nullable(),
    /** Why it failed, in words, with what to do. */
    error: z.string().nullable(),
    /** The files written (paths relative to the export's folder) once it succeeded. */
    files: z.array(z.object({ name: z.string(), bytes: z.number().int() })),
    bytes: z.number().int().nullable(),
    created_at: seconds,
    finished_at: seconds.nullable(),
    /**
     * GET it for the result: a base model's GGUF export is the GGUF file itself; every other export
     * (a fine-tune's GGUF holds the model and the adapter) a .tar.gz of the folder, which carries
     * the README and the model card too. Content-Disposition names the file.
     */
    download_url: z.string().nullable(),
    /** What to run next, e.g. `ollama create support -f Modelfile`. */
    next_step: z.string().nullable(),
  })
  .openapi("Export");
export type ExportObject = z.infer<typeof ExportObject>;

export const ExportList = listOf(ExportObject).openapi("ExportList");

/** `GET /v1/exports`: the caller's exports (an admin's: everyone's), newest first. */
export const ExportListQuery = z.object({
  model: z
    .string()
    .optional()
    .openapi({ description: "only this model's exports (its id)", example: "support" }),
});

/** `GET /v1/exports/{id}/content`: the download, or one file of the export by its name. */
export const ExportContentQuery = z.object({
  file: z
    .string()
    .optional()
    .openapi({ description: "one file of the export (a name from `files`)" }),
});

export const ExportDeleted = z
  .object({ id: z.string(), object: z.literal("export"), deleted: z.literal(true) })
  .openapi("ExportDeleted");
