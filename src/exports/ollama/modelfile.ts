/**
 * An Ollama Modelfile for an exported GGUF: FROM, the chat template translated to Ollama's template
 * language, the training's fixed system prompt, `PARAMETER stop` for the end-of-turn tokens and the
 * sampling defaults. Values are quoted the way Ollama's Modelfile parser reads them back: `"..."`
 * or `"""..."""` taken verbatim, with no escapes, so a value must not contain `"""`.
 */
import { TailorError } from "../../errors/index.ts";
import type { SpecialTokens } from "./families.ts";
import { recognise } from "./recognise.ts";
import { ollamaTemplate } from "./template.ts";

export interface OllamaModelfileInput {
  /** The GGUF file's name, relative to the Modelfile (FROM ./model.gguf). */
  gguf: string;
  /** The Jinja chat template the model was trained with. */
  chatTemplate: string;
  bosToken: string | null;
  eosToken: string | null;
  /** End-of-turn tokens (e.g. <|im_end|>), from the engine's export. */
  stopTokens: string[];
  /** The training's fixed system prompt, if there was one. */
  system?: string | undefined;
  parameters?:
    | { temperature?: number; top_p?: number; top_k?: number; num_ctx?: number }
    | undefined;
}

export interface OllamaModelfile {
  /** The Modelfile's text. */
  modelfile: string;
  /** Its TEMPLATE (Go text/template), as Ollama will read it. */
  template: string;
  /** Its `PARAMETER stop` values, in order. */
  stops: string[];
  /** The chat template's family ("ChatML", "Llama 3", ...). */
  family: string;
  /**
   * The chat template starts with the BOS token. Ollama's template does not write it: llama.cpp
   * adds it when the GGUF says `tokenizer.ggml.add_bos_token = true`, which the GGUF must then say.
   */
  addBos: boolean;
}

function invalid(field: string, message: string): TailorError {
  return new TailorError({ code: "invalid_argument", message, details: { field } });
}

/** A Modelfile value as Ollama's parser reads it back verbatim. */
function quote(field: string, value: string): string {
  if (value.includes('"""')) {
    throw invalid(
      field,
      `The ${field} contains """, which an Ollama Modelfile cannot quote. Remove it, or write the Modelfile by hand.`,
    );
  }
  return /[\n"]/.test(value) ? `"""${value}"""` : `"${value}"`;
}

function parameterLines(parameters: NonNullable<OllamaModelfileInput["parameters"]>): string[] {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(parameters)) {
    if (value === undefined) continue;
    const integer = name === "top_k" || name === "num_ctx";
    if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
      throw invalid(
        `parameters.${name}`,
        `parameters.${name} is ${value}; it must be a ${integer ? "whole " : ""}number of 0 or more.`,
      );
    }
    lines.push(`PARAMETER ${name} ${value}`);
  }
  return lines;
}

export function ollamaModelfile(input: OllamaModelfileInput): OllamaModelfile {
  if (input.gguf === "" || /[\r\n]/.test(input.gguf)) {
    throw invalid("gguf", `The GGUF file name ${JSON.stringify(input.gguf)} is not a file name.`);
  }
  const tokens: SpecialTokens = { bos: input.bosToken ?? "", eos: input.eosToken ?? "" };
  const layout = recognise(input.chatTemplate, tokens);
  const template = ollamaTemplate(layout, tokens);
  const stops = [...new Set([...input.stopTokens, ...layout.family.stops(tokens)])].filter(
    (s) => s !== "",
  );
  const from = /^(\.{0,2}\/)/.test(input.gguf) ? input.gguf : `./${input.gguf}`;
  const lines = [
    "# Ollama Modelfile written by Tailor. Make the model with:",
    "#   ollama create NAME -f Modelfile",
    `# The TEMPLATE is the model's ${layout.family.name} chat template in Ollama's template language.`,
    `FROM ${from}`,
    `TEMPLATE ${quote("chat template", template)}`,
    ...(input.system ? [`SYSTEM ${quote("system prompt", input.system)}`] : []),
    ...stops.map((s) => `PARAMETER stop ${quote("stop token", s)}`),
    ...parameterLines(input.parameters ?? {}),
  ];
  return {
    modelfile: `${lines.join("\n")}\n`,
    template,
    stops,
    family: layout.family.name,
    addBos: layout.bos,
  };
}
