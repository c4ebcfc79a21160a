/**
 * The llama.cpp engine beside the PyTorch engine on the same built-in SmolLM2-135M-Instruct GGUF
 * (Q4_1; PyTorch dequantizes it): the same prompt tokens, and greedy answers compared (the share
 * that agree is printed). Its own file: the PyTorch engine takes a minute or more to start here.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { InferenceEngine } from "../inference.ts";
import { ask, collect, SMOLLM2, smollm2Gguf, TEST_THREADS, user } from "./__fixtures__/smollm2.ts";
import { LlamaEngine } from "./index.ts";

describe("LlamaEngine beside the PyTorch engine on SmolLM2-135M", () => {
  let gguf: string;
  let llama: LlamaEngine;
  let pytorch: InferenceEngine;
  before(() => {
    gguf = smollm2Gguf();
    llama = new LlamaEngine({ threads: TEST_THREADS, sequences: 1 });
    pytorch = new InferenceEngine();
  });
  after(async () => {
    await llama.close();
    await pytorch.close();
  });

  test("prompt tokens equal the PyTorch engine's count_tokens", async () => {
    const conversations = [
      user("Hi"),
      [
        { role: "system" as const, content: "You answer in one short sentence." },
        { role: "user" as const, content: "Where is Lyon? Café, naïve, 東京 🚲" },
        { role: "assistant" as const, content: "In France." },
        { role: "user" as const, content: "And   Porto?\n\nThanks <|im_end|>" },
      ],
    ];
    for (const messages of conversations) {
      for (const addGenerationPrompt of [true, false]) {
        const req = { base: SMOLLM2, messages, addGenerationPrompt };
        const mine = await llama.countTokens(gguf, req);
        assert.equal(mine, await pytorch.countTokens(req), JSON.stringify(req));
      }
    }
  });

  test("greedy answers beside the PyTorch engine's (it dequantizes the same file)", async () => {
    const prompts = [
      "What is the capital of France?",
      "Name three colours.",
      "What is 2 + 2?",
      "Say hello.",
    ];
    let same = 0;
    for (const p of prompts) {
      const req = ask(p, { max_tokens: 16 });
      const mine = (await collect(llama.generate(gguf, req, { stream: false }))).result;
      const theirs = (await collect(pytorch.generate(req, { stream: false }))).result;
      assert.equal(mine.prompt_tokens, theirs.prompt_tokens);
      const agree = mine.choices[0]?.text === theirs.choices[0]?.text;
      if (agree) same++;
      console.log(
        `greedy ${agree ? "same" : "differs"}: ${JSON.stringify(p)}\n  llama.cpp: ${JSON.stringify(mine.choices[0]?.text)}\n  pytorch:   ${JSON.stringify(theirs.choices[0]?.text)}`,
      );
    }
    console.log(`greedy agreement with PyTorch: ${same} of ${prompts.length}`);
    // Q4_1 weights meet llama.cpp's 8-bit activations: near ties flip (France: 'L' 0.149 vs
    // 'The' 0.124 here, 'The' 0.152 vs 'L' 0.140 in PyTorch), so exact equality is not promised
    assert.ok(same >= 1, "at least one greedy answer is the same");
  });
});
