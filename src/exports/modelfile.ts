/**
 * The Ollama export's Modelfile, written beside its GGUF from what the engine reported (the chat
 * template, the special tokens) and the training's system prompt, through helper C's translator.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { TailorError } from "../errors/index.ts";
import type { Exported } from "./engine-export.ts";
import { ollamaModelfile } from "./ollama/index.ts";
import type { ExportSubject } from "./subject.ts";

export function writeModelfile(
  folder: string,
  gguf: string,
  subject: ExportSubject,
  main: Exported,
): void {
  if (!main.chat_template) {
    throw new TailorError({
      code: "invalid_argument",
      message: `${subject.name}'s tokenizer has no chat template, so an Ollama Modelfile cannot say how a conversation is written; export it as gguf and give the template to your tool yourself`,
      details: { field: "format" },
    });
  }
  const m = ollamaModelfile({
    gguf,
    chatTemplate: main.chat_template,
    bosToken: main.bos_token,
    eosToken: main.eos_token,
    stopTokens: main.stop_tokens,
    ...(subject.system ? { system: subject.system } : {}),
  });
  writeFileSync(join(folder, "Modelfile"), m.modelfile);
}
