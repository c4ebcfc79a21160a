/** The Export panel's words for a non-engineer: what each download is for, and what each size costs. */
import type { ExportFormat, ExportObject } from "../../../../protocol/api/exports.ts";

export interface Choice {
  /** The button's words, and the option's title. */
  label: string;
  /** One sentence: which programs open it and what it holds. */
  help: string;
  /** Whether the size choice (GGUF quantization) applies. */
  sized: boolean;
}

/** In the order shown: the one most people want first. */
export const FORMATS: Record<ExportFormat, Choice> = {
  ollama: {
    label: "Download for Ollama",
    help: "A folder with the model and a Modelfile that keeps its chat format: one command makes it an Ollama model.",
    sized: true,
  },
  gguf: {
    label: "Download for llama.cpp / LM Studio (GGUF)",
    help: "One .gguf file, the model with your training built in, for llama.cpp, LM Studio, Jan and GPT4All.",
    sized: true,
  },
  peft: {
    label: "Download the adapter (PEFT)",
    help: "Only what training added: small, but it needs its base model, in Python with the PEFT library.",
    sized: false,
  },
  merged: {
    label: "Download the full model (Hugging Face)",
    help: "The base model with your training merged in, as a Hugging Face folder for Python's transformers and the tools that read it.",
    sized: false,
  },
};

export type Size = "f16" | "q8_0" | "q4_0";

/** The size/quality trade of a GGUF file, in one line each (f32 is left to the CLI and the API). */
export const SIZES: Record<Size, { label: string; help: string }> = {
  f16: {
    label: "Full quality (f16)",
    help: "Exactly as trained; the largest file.",
  },
  q8_0: {
    label: "Smaller (q8_0)",
    help: "About half the size; answers almost always the same.",
  },
  q4_0: {
    label: "Smallest (q4_0)",
    help: "About a quarter of the size and the fastest; answers a little less well.",
  },
};

/** 1234567 -> "1.2 MB". */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "size unknown";
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${Math.round(n / 1e3)} kB`;
  return `${n} bytes`;
}

/** What is running, as a sentence, with the share done when the engine knows it. */
export function doing(x: ExportObject): string {
  const p = x.progress;
  if (!p) return "Starting the export…";
  const share =
    p.current !== null && p.total ? ` (${Math.round((p.current / p.total) * 100)}%)` : "";
  return `${p.message.charAt(0).toUpperCase()}${p.message.slice(1)}${share}`;
}

/** Which export this is, for a sentence: "for Ollama (q8_0)", "the adapter (PEFT)". */
export function which(x: ExportObject): string {
  const what = FORMATS[x.format].label.replace(/^Download /, "");
  return x.quantization ? `${what}, ${x.quantization}` : what;
}
