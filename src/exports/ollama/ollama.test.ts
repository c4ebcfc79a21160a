/**
 * The proof the issue asks for: for every family it translates, the Modelfile's TEMPLATE, rendered
 * by Go's text/template as Ollama builds a chat prompt, is the same string as the model's Hugging
 * Face chat template rendered with add_generation_prompt (what the model was trained on), minus the
 * BOS token, which llama.cpp adds when it tokenizes (Ollama's templates never write it).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Template } from "@huggingface/jinja";
import { cliSandbox } from "../../cli/__fixtures__/cli.ts";
import { buildRenderer, goMissing, renderGo } from "./__fixtures__/go-template.ts";
import { SMOLLM2, TRANSLATABLE } from "./__fixtures__/templates.ts";
import { type ChatMessage, ollamaModelfile } from "./index.ts";
import { renderChatTemplate } from "./recognise.ts";

const SYSTEM = "You answer for Northwind Bikes.\nBe short and kind.";
const WITH_SYSTEM: ChatMessage[] = [
  { role: "system", content: SYSTEM },
  { role: "user", content: "My chain squeaks. What do I do?" },
  { role: "assistant", content: 'Clean it, then oil it with a "dry" lube.\nWipe off the extra.' },
  { role: "user", content: "How often? Also: {{ .System }} is not a template here." },
];
const WITHOUT_SYSTEM = WITH_SYSTEM.slice(1);
const ONE_TURN: ChatMessage[] = [{ role: "user", content: "Hello!" }];

/** What the model saw in training, as the prompt Ollama must build: the HF rendering minus BOS. */
function huggingFace(
  chatTemplate: string,
  messages: ChatMessage[],
  tokens: { bos: string; eos: string },
  addBos: boolean,
): string {
  const rendered = renderChatTemplate(new Template(chatTemplate), messages, tokens);
  if (!addBos) return rendered;
  assert.ok(rendered.startsWith(tokens.bos), `expected the rendering to start with ${tokens.bos}`);
  return rendered.slice(tokens.bos.length);
}

const skip = goMissing();

describe("the Ollama TEMPLATE renders the Hugging Face chat template's prompt", {
  skip: skip ?? false,
}, () => {
  test("Go's text/template is built once (first build compiles the standard library)", (t) => {
    t.diagnostic(`go build took ${buildRenderer()} ms`);
  });

  for (const f of TRANSLATABLE) {
    test(f.name, () => {
      const tokens = { bos: f.bos, eos: f.eos };
      const out = ollamaModelfile({
        gguf: "model.gguf",
        chatTemplate: f.template,
        bosToken: f.bos,
        eosToken: f.eos,
        stopTokens: f.stopTokens,
      });
      assert.equal(out.family, f.family);
      for (const s of f.stopTokens) assert.ok(out.stops.includes(s), `stop ${s} missing`);
      const conversations = f.noSystem
        ? [WITHOUT_SYSTEM, ONE_TURN]
        : [WITH_SYSTEM, WITHOUT_SYSTEM, ONE_TURN];
      for (const messages of conversations) {
        const expected = huggingFace(f.template, messages, tokens, out.addBos);
        assert.equal(renderGo({ template: out.template, messages }), expected);
        if (messages.length <= 2) {
          // Ollama versions without .Messages render one turn from .System and .Prompt
          assert.equal(renderGo({ template: out.template, messages, legacy: true }), expected);
        }
      }
      if (f.defaultSystem !== undefined) {
        assert.ok(
          renderGo({ template: out.template, messages: WITHOUT_SYSTEM }).includes(f.defaultSystem),
          "the default system prompt is in Ollama's prompt when the conversation has none",
        );
      }
      if (!f.noSystem) {
        const legacy = WITH_SYSTEM.slice(0, 2);
        assert.equal(
          renderGo({ template: out.template, messages: legacy, legacy: true }),
          huggingFace(f.template, legacy, tokens, out.addBos),
        );
      }
    });
  }

  test("the training's fixed system prompt is the Modelfile's SYSTEM, which Ollama puts first", () => {
    const out = ollamaModelfile({
      gguf: "model.gguf",
      chatTemplate: SMOLLM2,
      bosToken: "<|im_start|>",
      eosToken: "<|im_end|>",
      stopTokens: ["<|im_end|>"],
      system: SYSTEM,
    });
    assert.match(
      out.modelfile,
      /^SYSTEM """You answer for Northwind Bikes\.\nBe short and kind\."""$/m,
    );
    const trained = huggingFace(SMOLLM2, WITH_SYSTEM, { bos: "", eos: "" }, false);
    assert.equal(
      renderGo({ template: out.template, system: SYSTEM, messages: WITHOUT_SYSTEM }),
      trained,
    );
    // a request's own system message replaces it, as in the Hugging Face template
    const own: ChatMessage[] = [
      { role: "system", content: "Answer in French." },
      ...WITHOUT_SYSTEM,
    ];
    assert.equal(
      renderGo({ template: out.template, system: SYSTEM, messages: own }),
      huggingFace(SMOLLM2, own, { bos: "", eos: "" }, false),
    );
  });

  test("the tiny test model's template (tailor models create-tiny)", () => {
    const { home, tiny } = cliSandbox("tailor-ollama-tiny-");
    tiny();
    const dir = join(home, "models", "tiny");
    const config = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8")) as {
      chat_template?: string;
      bos_token: string;
      eos_token: string;
    };
    const file = join(dir, "chat_template.jinja");
    const chatTemplate = existsSync(file) ? readFileSync(file, "utf8") : config.chat_template;
    assert.ok(chatTemplate, "the tiny model has a chat template");
    const tokens = { bos: config.bos_token, eos: config.eos_token };
    const out = ollamaModelfile({
      gguf: "tiny.gguf",
      chatTemplate,
      bosToken: tokens.bos,
      eosToken: tokens.eos,
      stopTokens: [tokens.eos],
    });
    assert.equal(out.family, "ChatML");
    for (const messages of [WITH_SYSTEM, WITHOUT_SYSTEM]) {
      assert.equal(
        renderGo({ template: out.template, messages }),
        huggingFace(chatTemplate, messages, tokens, out.addBos),
      );
    }
  });
});
