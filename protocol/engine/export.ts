/**
 * `export`: a model written out in a format other tools load. The engine writes the files; the
 * TypeScript side (src/exports) adds the model card, a README and, for Ollama, the Modelfile.
 */
import { z } from "zod";
import { count } from "./basics.ts";
import { ModelSource } from "./requests.ts";

/**
 * What the engine writes: `peft` the adapter folder as PEFT saves it; `merged` a Hugging Face
 * folder of the base with the adapter merged in; `gguf` one GGUF file of the merged model;
 * `gguf_adapter` the adapter alone as a GGUF LoRA adapter (`general.type = adapter`).
 */
export const ENGINE_EXPORT_FORMATS = ["peft", "merged", "gguf", "gguf_adapter"] as const;
export const EngineExportFormat = z.enum(ENGINE_EXPORT_FORMATS);
export type EngineExportFormat = z.infer<typeof EngineExportFormat>;

/** How a GGUF file stores its weights (f32 and f16 exactly as trained, q8_0 and q4_0 smaller). */
export const GGUF_QUANTIZATIONS = ["f32", "f16", "q8_0", "q4_0"] as const;
export const GgufQuantization = z.enum(GGUF_QUANTIZATIONS);
export type GgufQuantization = z.infer<typeof GgufQuantization>;

export const ExportRequest = z.object({
  base: ModelSource,
  /** The fine-tuned model's adapter; absent: the base alone (not for peft or gguf_adapter). */
  adapter_dir: z.string().min(1).optional(),
  format: EngineExportFormat,
  /** For gguf and gguf_adapter. */
  quantization: GgufQuantization.default("f16"),
  /**
   * Where to write: a folder for peft and merged (created; must not exist), a file for gguf and
   * gguf_adapter. The engine writes beside it and renames into place, so a half-written export is
   * never at this path.
   */
  out: z.string().min(1),
  /** The model's name, written into the files' metadata (GGUF general.name). */
  model_name: z.string().min(1),
});
export type ExportRequest = z.input<typeof ExportRequest>;

/** The export is written (terminal). */
export const Exported = z.object({
  type: z.literal("exported"),
  format: EngineExportFormat,
  /** The folder or file written (the request's `out`). */
  path: z.string(),
  /** Size on disk of everything written. */
  bytes: count,
  /** The base's architecture as Hugging Face names it (`LlamaForCausalLM`). */
  architecture: z.string(),
  /** The GGUF quantization written (null for peft and merged). */
  quantization: GgufQuantization.nullable(),
  /** The chat template written with the model (Jinja, as the tokenizer carries it). */
  chat_template: z.string().nullable(),
  /** The tokens that end the assistant's turn (`<|im_end|>`), for runtimes' stop settings. */
  stop_tokens: z.array(z.string()),
  /** The beginning-of-text token (`<|im_start|>` for some), as templates name it as `bos_token`. */
  bos_token: z.string().nullable(),
  eos_token: z.string().nullable(),
});
