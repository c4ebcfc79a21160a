/**
 * A conversation as a GGUF model sees it: the chat template in its metadata
 * (`tokenizer.chat_template`), rendered as transformers' `apply_chat_template` renders it (the
 * PyTorch engine's chat.py `render` for requests without functions: role and content of each
 * message), then tokenized with the model's own tokenizer, special tokens parsed and no BOS added
 * that the template did not write (the engine tokenizes with `add_special_tokens=False`), so both
 * engines see the same prompt tokens.
 */
import { Template } from "@huggingface/jinja";
import type { LlamaModel, Token } from "node-llama-cpp";
import type { ChatMessage } from "../../../protocol/index.ts";
import { TailorError } from "../../errors/index.ts";

/**
 * ChatML, the engine's template for a tokenizer without one (engine/tailor_engine/model.py
 * CHATML_TEMPLATE): SmolLM2 and Qwen use it.
 */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content']" +
  " + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

export class ChatPrompt {
  readonly #template: Template;
  readonly #model: LlamaModel;
  readonly #file: string;

  constructor(model: LlamaModel, file: string) {
    this.#model = model;
    this.#file = file;
    const source = chatTemplateOf(model);
    try {
      this.#template = new Template(source);
    } catch (e) {
      throw new TailorError({
        code: "model_corrupt",
        message: `the chat template in ${file} does not parse (${errorText(e)}); export the model again`,
        cause: e,
        details: { file },
      });
    }
  }

  /** The conversation as text, the assistant's turn opened when `addGenerationPrompt`. */
  render(messages: readonly Pick<ChatMessage, "role" | "content">[], addGenerationPrompt = true) {
    const plain = messages.map((m) => ({ role: m.role, content: m.content }));
    const tokens = this.#model.tokens;
    try {
      return this.#template.render({
        messages: plain,
        add_generation_prompt: addGenerationPrompt,
        bos_token: tokens.bosString ?? "",
        eos_token: tokens.eosString ?? "",
      });
    } catch (e) {
      if (e instanceof TailorError) throw e;
      throw new TailorError({
        code: "invalid_argument",
        message: `the chat template of ${this.#file} could not render the conversation: ${errorText(e)}`,
        cause: e,
        details: { file: this.#file },
      });
    }
  }

  /** The prompt's token ids, as the model reads them. */
  tokens(
    messages: readonly Pick<ChatMessage, "role" | "content">[],
    addGenerationPrompt = true,
  ): Token[] {
    return this.#model.tokenize(this.render(messages, addGenerationPrompt), true);
  }
}

/** The template the GGUF carries, or ChatML as the engine falls back to. */
export function chatTemplateOf(model: LlamaModel): string {
  const tokenizer = (model.fileInfo.metadata as { tokenizer?: { chat_template?: unknown } })
    .tokenizer;
  const template = tokenizer?.chat_template;
  return typeof template === "string" && template.trim() !== "" ? template : CHATML_TEMPLATE;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
