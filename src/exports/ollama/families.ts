/**
 * The chat-template families Tailor can translate to Ollama, each described by the text around a
 * message: what opens and closes a turn of each role, what asks the assistant to answer, and where
 * the system prompt goes. A `Layout` is one family with what the probes found in a given template
 * (whether it starts with the BOS token, a default system prompt, a fixed preamble of the system
 * turn). `renderLayout` renders a conversation the way a Hugging Face template of that layout does;
 * recognise.ts compares it with the real template, template.ts writes the same layout for Ollama.
 */

export type Role = "system" | "user" | "assistant";

export interface ChatMessage {
  role: Role;
  content: string;
}

/** The tokenizer's special tokens as the template sees them ("" when the tokenizer has none). */
export interface SpecialTokens {
  bos: string;
  eos: string;
}

/**
 * Where the system prompt goes: its own turn (`turn`), or in front of the first user message
 * (`first-user`, Gemma), or in front of the last user message when the conversation ends with one
 * (`last-user`, Mistral).
 */
export type SystemPlacement = "turn" | "first-user" | "last-user";

export interface Family {
  /** A short name for messages and the Modelfile's comment. */
  name: string;
  open(role: Role, t: SpecialTokens): string;
  close(role: Role, t: SpecialTokens): string;
  /** What the template adds after the conversation with `add_generation_prompt`. */
  generation(t: SpecialTokens): string;
  system: SystemPlacement;
  /** Between the system prompt and the user message it is put in front of (not `turn`). */
  systemSeparator: string;
  /** Tokens that end the assistant's turn or start another one: Ollama's `PARAMETER stop`. */
  stops(t: SpecialTokens): string[];
}

const byRole = (role: Role, names: Record<Role, string>): string => names[role];

export const FAMILIES: readonly Family[] = [
  {
    name: "ChatML",
    open: (role) => `<|im_start|>${role}\n`,
    close: () => "<|im_end|>\n",
    generation: () => "<|im_start|>assistant\n",
    system: "turn",
    systemSeparator: "",
    stops: () => ["<|im_end|>", "<|im_start|>"],
  },
  {
    name: "Llama 3",
    open: (role) => `<|start_header_id|>${role}<|end_header_id|>\n\n`,
    close: () => "<|eot_id|>",
    generation: () => "<|start_header_id|>assistant<|end_header_id|>\n\n",
    system: "turn",
    systemSeparator: "",
    stops: () => ["<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>"],
  },
  {
    name: "Phi-3",
    open: (role) => `<|${role}|>\n`,
    close: () => "<|end|>\n",
    generation: () => "<|assistant|>\n",
    system: "turn",
    systemSeparator: "",
    stops: () => ["<|end|>", "<|user|>", "<|assistant|>"],
  },
  {
    name: "Zephyr",
    open: (role) => `<|${role}|>\n`,
    close: (_role, t) => `${t.eos}\n`,
    generation: () => "<|assistant|>\n",
    system: "turn",
    systemSeparator: "",
    stops: (t) => [t.eos, "<|user|>", "<|assistant|>"],
  },
  {
    name: "Gemma",
    open: (role) =>
      `<start_of_turn>${byRole(role, { system: "user", user: "user", assistant: "model" })}\n`,
    close: () => "<end_of_turn>\n",
    generation: () => "<start_of_turn>model\n",
    system: "first-user",
    systemSeparator: "\n\n",
    stops: () => ["<end_of_turn>", "<start_of_turn>"],
  },
  {
    name: "Mistral",
    open: (role) => byRole(role, { system: "[INST] ", user: "[INST] ", assistant: " " }),
    close: (role, t) => byRole(role, { system: "[/INST]", user: "[/INST]", assistant: t.eos }),
    generation: () => "",
    system: "last-user",
    systemSeparator: "\n\n",
    stops: (t) => [t.eos, "[INST]", "[/INST]"],
  },
];

/** One family as a given template uses it. */
export interface Layout {
  family: Family;
  /** The template writes the BOS token first (Ollama leaves that to the GGUF's tokenizer). */
  bos: boolean;
  /** Text the system turn always starts with (Llama 3.1's knowledge-cutoff and date lines). */
  systemPreamble: string;
  /** The system prompt the template uses when the conversation has none (SmolLM2, Qwen2.5). */
  defaultSystem: string | null;
  /** The template refuses a system message (Gemma 1 and 2, Mistral v0.1 and v0.2). */
  systemRefused: boolean;
}

/**
 * Renders a conversation the way a Hugging Face template of this layout renders it with
 * `add_generation_prompt` (the generation prompt follows a last message that is not the
 * assistant's). System messages are joined into one system prompt, as Ollama does.
 */
export function renderLayout(layout: Layout, messages: ChatMessage[], t: SpecialTokens): string {
  const { family } = layout;
  const system = messages
    .filter((m) => m.role === "system")
    .map((m) => m.content)
    .join("\n\n");
  const turns = messages.filter((m) => m.role !== "system");
  let out = layout.bos ? t.bos : "";
  if (family.system === "turn") {
    const text = layout.systemPreamble + (system || layout.defaultSystem || "");
    if (text !== "") out += family.open("system", t) + text + family.close("system", t);
  }
  const firstUser = turns.findIndex((m) => m.role === "user");
  turns.forEach((m, i) => {
    const last = i === turns.length - 1;
    let content = m.content;
    const prefixed =
      (family.system === "first-user" && i === firstUser) ||
      (family.system === "last-user" && last && m.role === "user");
    if (prefixed && system !== "") content = system + family.systemSeparator + content;
    out += family.open(m.role, t) + content + family.close(m.role, t);
  });
  if (turns.at(-1)?.role !== "assistant") out += family.generation(t);
  return out;
}
