/**
 * The Ollama Modelfile of an export, from helper C's translator (src/exports/ollama): the chat
 * template in Ollama's template language, a stop parameter per end-of-turn token, and the system
 * prompt. Stubbed until that module lands.
 */
import { TailorError } from "../errors/index.ts";

export interface ModelfileInput {
  /** The GGUF file, relative to the Modelfile. */
  gguf: string;
  chatTemplate: string;
  bosToken: string | null;
  eosToken: string | null;
  stopTokens: string[];
  system?: string | undefined;
  parameters?: Record<string, string | number> | undefined;
}

export interface Modelfile {
  modelfile: string;
  template: string;
  stops: string[];
}

export function ollamaModelfile(_input: ModelfileInput): Modelfile {
  throw new TailorError({
    code: "internal",
    message: "the Ollama Modelfile writer is not built yet; export as gguf for now",
  });
}
