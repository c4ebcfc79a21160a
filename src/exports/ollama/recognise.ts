/**
 * Recognises a Hugging Face chat template's family by rendering it (with @huggingface/jinja, as
 * transformers would: `add_generation_prompt`, the tokenizer's BOS and EOS, no tools) on probe
 * conversations and comparing each rendering, as a string, with what each known layout renders.
 * No Jinja is translated: a template is accepted only when it renders every probe exactly as one
 * layout does, so what Ollama's template renders for that layout is what the model was trained on.
 */
import { Template } from "@huggingface/jinja";
import { TailorError } from "../../errors/index.ts";
import {
  type ChatMessage,
  FAMILIES,
  type Family,
  type Layout,
  renderLayout,
  type SpecialTokens,
} from "./families.ts";

const SYSTEM = "You are Probe, a careful assistant.\nAnswer in one line.";
const U1 = "What is the capital of France?";
const A1 = "Paris.";
const U2 = "And of Italy?";
const A2 = "Rome.";
const U3 = "Thanks!\nOne more: Spain?";

/** The conversations every accepted template must render exactly as its layout does. */
export const PROBES: Record<"user" | "system" | "multi" | "long", ChatMessage[]> = {
  user: [{ role: "user", content: U1 }],
  system: [
    { role: "system", content: SYSTEM },
    { role: "user", content: U1 },
  ],
  multi: [
    { role: "system", content: SYSTEM },
    { role: "user", content: U1 },
    { role: "assistant", content: A1 },
    { role: "user", content: U2 },
  ],
  long: [
    { role: "user", content: U1 },
    { role: "assistant", content: A1 },
    { role: "user", content: U2 },
    { role: "assistant", content: A2 },
    { role: "user", content: U3 },
  ],
};

/** Renders the chat template as transformers' `apply_chat_template(..., add_generation_prompt=True)`. */
export function renderChatTemplate(
  template: Template,
  messages: ChatMessage[],
  t: SpecialTokens,
): string {
  return template.render({
    messages,
    bos_token: t.bos,
    eos_token: t.eos,
    add_generation_prompt: true,
    tools: null,
  });
}

type Rendered = Record<keyof typeof PROBES, string | Error>;

/** The system turn's preamble and default prompt, read off the renderings for this family. */
function systemTurn(
  family: Family,
  prefix: string,
  r: Rendered,
  t: SpecialTokens,
): { systemPreamble: string; defaultSystem: string | null } | null {
  if (family.system !== "turn" || typeof r.system !== "string" || typeof r.user !== "string") {
    return { systemPreamble: "", defaultSystem: null };
  }
  const open = prefix + family.open("system", t);
  const close = family.close("system", t);
  if (!r.system.startsWith(open)) return null;
  const withSystem = r.system.slice(open.length);
  const end = withSystem.indexOf(SYSTEM + close);
  if (end < 0) return null;
  const systemPreamble = withSystem.slice(0, end);
  if (!r.user.startsWith(open)) return { systemPreamble, defaultSystem: null };
  const without = r.user.slice(open.length);
  const block = without.slice(0, without.indexOf(close + family.open("user", t)));
  if (!block.startsWith(systemPreamble)) return null;
  return { systemPreamble, defaultSystem: block.slice(systemPreamble.length) || null };
}

function matches(layout: Layout, r: Rendered, t: SpecialTokens): boolean {
  return (Object.keys(PROBES) as (keyof typeof PROBES)[]).every((name) => {
    const got = r[name];
    if (got instanceof Error) return layout.systemRefused && PROBES[name][0]?.role === "system";
    return got === renderLayout(layout, PROBES[name], t);
  });
}

/** The layout of a chat template, or a TailorError that says what to do instead. */
export function recognise(chatTemplate: string, t: SpecialTokens): Layout {
  let template: Template;
  try {
    template = new Template(chatTemplate);
  } catch (cause) {
    throw notTranslatable(chatTemplate, `it does not parse as Jinja (${String(cause)})`, cause);
  }
  const r = {} as Rendered;
  for (const [name, messages] of Object.entries(PROBES) as [keyof typeof PROBES, ChatMessage[]][]) {
    try {
      r[name] = renderChatTemplate(template, messages, t);
    } catch (cause) {
      r[name] = cause instanceof Error ? cause : new Error(String(cause));
    }
  }
  if (r.user instanceof Error || r.long instanceof Error) {
    const cause = r.user instanceof Error ? r.user : r.long;
    throw notTranslatable(
      chatTemplate,
      `it fails on a plain user/assistant conversation: ${String(cause)}`,
      cause,
    );
  }
  const systemRefused = r.system instanceof Error && r.multi instanceof Error;
  for (const family of FAMILIES) {
    for (const bos of t.bos === "" ? [false] : [true, false]) {
      const turn = systemTurn(family, bos ? t.bos : "", r, t);
      if (turn === null) continue;
      const layout: Layout = { family, bos, ...turn, systemRefused };
      if (matches(layout, r, t)) return layout;
    }
  }
  throw notTranslatable(
    chatTemplate,
    `it renders a conversation as none of the layouts Tailor knows (${FAMILIES.map((f) => f.name).join(", ")}); it rendered ${JSON.stringify(shorten(typeof r.multi === "string" ? r.multi : r.long))}`,
  );
}

function shorten(s: string): string {
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

function notTranslatable(chatTemplate: string, why: string, cause?: unknown): TailorError {
  return new TailorError({
    code: "invalid_argument",
    message:
      `Cannot translate the model's chat template to an Ollama TEMPLATE: ${why}. ` +
      `The template begins ${JSON.stringify(shorten(chatTemplate).slice(0, 120))}. ` +
      "Export with --format gguf instead (the GGUF carries the chat template) and write the " +
      "Modelfile's TEMPLATE by hand (https://github.com/ollama/ollama/blob/main/docs/template.md).",
    cause,
    details: { field: "chat_template" },
  });
}
