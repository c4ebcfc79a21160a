import assert from "node:assert/strict";
import { test } from "node:test";
import { isTailorError } from "../../errors/index.ts";
import { ALPACA, CHATML_LAST_ONLY, SMOLLM2, TRANSLATABLE } from "./__fixtures__/templates.ts";
import { type OllamaModelfileInput, ollamaModelfile } from "./index.ts";

const SMOL: OllamaModelfileInput = {
  gguf: "model.gguf",
  chatTemplate: SMOLLM2,
  bosToken: "<|im_start|>",
  eosToken: "<|im_end|>",
  stopTokens: ["<|im_end|>"],
};

test("the Modelfile: FROM the GGUF beside it, the TEMPLATE, SYSTEM, stops and parameters", () => {
  const out = ollamaModelfile({
    ...SMOL,
    system: "You answer for Northwind Bikes.",
    parameters: { temperature: 0.7, top_p: 0.9, top_k: 40, num_ctx: 4096 },
  });
  const lines = out.modelfile.split("\n");
  assert.ok(lines.includes("FROM ./model.gguf"));
  assert.ok(out.modelfile.includes(`TEMPLATE """${out.template}"""\n`));
  assert.ok(lines.includes('SYSTEM "You answer for Northwind Bikes."'));
  assert.deepEqual(out.stops, ["<|im_end|>", "<|im_start|>"]);
  assert.deepEqual(
    lines.filter((l) => l.startsWith("PARAMETER")),
    [
      'PARAMETER stop "<|im_end|>"',
      'PARAMETER stop "<|im_start|>"',
      "PARAMETER temperature 0.7",
      "PARAMETER top_p 0.9",
      "PARAMETER top_k 40",
      "PARAMETER num_ctx 4096",
    ],
  );
  assert.equal(out.family, "ChatML");
  assert.equal(out.addBos, false);
  // no SYSTEM line without a fixed system prompt; the template keeps SmolLM2's default itself
  const plain = ollamaModelfile(SMOL);
  assert.ok(!plain.modelfile.includes("\nSYSTEM "));
  assert.ok(plain.template.includes("You are a helpful AI assistant named SmolLM"));
});

test("a Llama 3 template asks for the GGUF's BOS, which Ollama's template never writes", () => {
  const llama = TRANSLATABLE.find((f) => f.name === "Llama 3");
  assert.ok(llama);
  const out = ollamaModelfile({
    gguf: "./out/model.gguf",
    chatTemplate: llama.template,
    bosToken: llama.bos,
    eosToken: llama.eos,
    stopTokens: llama.stopTokens,
  });
  assert.equal(out.addBos, true);
  assert.ok(!out.template.includes("<|begin_of_text|>"));
  assert.ok(out.modelfile.includes("FROM ./out/model.gguf\n"));
});

test("an unknown template is refused: which one, and export as gguf with a hand-written TEMPLATE", () => {
  for (const chatTemplate of [
    ALPACA,
    CHATML_LAST_ONLY,
    "{% for m in messages %}{{ m.content",
    "",
  ]) {
    assert.throws(
      () => ollamaModelfile({ ...SMOL, chatTemplate }),
      (e: unknown) => {
        assert.ok(isTailorError(e));
        assert.equal(e.code, "invalid_argument");
        assert.match(e.message, /Cannot translate the model's chat template/);
        assert.match(e.message, /--format gguf/);
        assert.match(e.message, /TEMPLATE by hand/);
        assert.ok(e.message.includes(JSON.stringify(chatTemplate.slice(0, 20)).slice(1, -1)));
        return true;
      },
    );
  }
});

test('values an Ollama Modelfile cannot quote (""") and bad parameters are refused', () => {
  assert.throws(
    () => ollamaModelfile({ ...SMOL, system: 'Say """hi"""' }),
    (e: unknown) =>
      isTailorError(e) && e.code === "invalid_argument" && /system prompt/.test(e.message),
  );
  assert.throws(
    () => ollamaModelfile({ ...SMOL, parameters: { top_k: 1.5 } }),
    (e: unknown) => isTailorError(e) && /parameters\.top_k is 1\.5/.test(e.message),
  );
  assert.throws(
    () => ollamaModelfile({ ...SMOL, gguf: "" }),
    (e: unknown) => isTailorError(e) && e.details.field === "gguf",
  );
});

test("a stop token with a quote or a newline is written in triple quotes, as Ollama reads it", () => {
  const out = ollamaModelfile({ ...SMOL, stopTokens: ['"END"', "\n\nUser:"] });
  assert.ok(out.modelfile.includes('PARAMETER stop """"END""""\n'));
  assert.ok(out.modelfile.includes('PARAMETER stop """\n\nUser:"""\n'));
});
