/**
 * Greedy answers from a GGUF file through llama.cpp (node-llama-cpp), with prompts rendered by the
 * chat template the file itself carries, as a runtime that only has the file would render them; and
 * how far two answers agree, token by token.
 */
import { Template } from "@huggingface/jinja";
import { getLlama, type Llama, type LlamaModel, type Token } from "node-llama-cpp";
import type { ChatMessage } from "../../../protocol/index.ts";

export interface GgufAnswers {
  /** The answers' texts (end-of-turn token not included). */
  texts: string[];
  /** The prompts as rendered by the file's chat template. */
  prompts: string[];
  chatTemplate: string;
}

let shared: Llama | undefined;

/** One llama.cpp per test process: on two cores always without GPU, never building, two threads. */
export async function llama(): Promise<Llama> {
  shared ??= await getLlama({ gpu: false, build: "never", maxThreads: 2 });
  return shared;
}

/** The prompt the file's chat template renders for `messages` (with the assistant's turn opened). */
export function renderPrompt(model: LlamaModel, messages: ChatMessage[]): string {
  const template = model.fileInfo.metadata.tokenizer.chat_template;
  if (!template) throw new Error(`${model.filename ?? "the model"} carries no chat template`);
  return new Template(template).render({
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    add_generation_prompt: true,
    bos_token: model.tokens.bosString ?? "",
    eos_token: model.tokens.eosString ?? "",
  });
}

/**
 * Greedy answers of the GGUF at `modelPath` (with `loraPath` applied when given) to each
 * conversation, at most `maxTokens` tokens each, stopping at an end-of-generation token.
 */
export async function ggufAnswers(
  modelPath: string,
  conversations: ChatMessage[][],
  maxTokens: number,
  loraPath?: string,
): Promise<GgufAnswers> {
  const model = await (await llama()).loadModel({ modelPath });
  const context = await model.createContext({
    contextSize: 1024,
    threads: 2,
    sequences: 1,
    ...(loraPath ? { lora: { adapters: [{ filePath: loraPath }] } } : {}),
  });
  try {
    const sequence = context.getSequence();
    const texts: string[] = [];
    const prompts: string[] = [];
    for (const messages of conversations) {
      const prompt = renderPrompt(model, messages);
      const answer: Token[] = [];
      for await (const token of sequence.evaluate(model.tokenize(prompt, true), {
        temperature: 0,
      })) {
        if (model.isEogToken(token)) break;
        answer.push(token);
        if (answer.length >= maxTokens) break;
      }
      await sequence.clearHistory();
      prompts.push(prompt);
      texts.push(model.detokenize(answer));
    }
    return {
      texts,
      prompts,
      chatTemplate: model.fileInfo.metadata.tokenizer.chat_template ?? "",
    };
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

/**
 * How many of `reference`'s tokens `other` reproduces before the two first differ, over all answers
 * (greedy decoding: once one token differs, what follows is another answer), as a share of the
 * reference's tokens. Both are tokenized with the same tokenizer.
 */
export function agreement(
  tokenize: (text: string) => readonly Token[],
  reference: readonly string[],
  other: readonly string[],
): { agreed: number; total: number; share: number } {
  let agreed = 0;
  let total = 0;
  reference.forEach((text, i) => {
    const a = tokenize(text);
    const b = tokenize(other[i] ?? "");
    let k = 0;
    while (k < a.length && k < b.length && a[k] === b[k]) k++;
    agreed += k;
    total += Math.max(a.length, b.length);
  });
  return { agreed, total, share: total === 0 ? 1 : agreed / total };
}

/** A tokenizer from a GGUF file (for `agreement`), loaded without a context. */
export async function ggufTokenizer(modelPath: string) {
  const model = await (await llama()).loadModel({ modelPath, vocabOnly: true });
  return {
    tokenize: (text: string) => model.tokenize(text, false),
    dispose: () => model.dispose(),
  };
}
