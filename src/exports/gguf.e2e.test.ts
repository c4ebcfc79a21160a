/**
 * The GGUF export, end to end through the real engine and llama.cpp (node-llama-cpp): SmolLM2-135M
 * fine-tuned for a few steps (in fp32; see below), exported as one GGUF file in f16, q8_0 and q4_0,
 * and as a GGUF LoRA adapter on the base's own f16 GGUF. Prompts are rendered with the chat template
 * the file carries (@huggingface/jinja, as a runtime with only the file would), and llama.cpp's greedy answers are
 * compared with PyTorch's (the engine's generate-batch) on held-out questions: equal for f16, most
 * tokens for q8_0 (the share is reported, and q4_0's).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { ChatMessage, EngineMessageOf, ExportRequest } from "../../protocol/index.ts";
import { engineResult } from "../engine/index.ts";
import { agreement, ggufAnswers, ggufTokenizer, llama } from "./__fixtures__/greedy.ts";

const home = mkdtempSync(join(tmpdir(), "tailor-gguf-e2e-"));
const env = { TAILOR_HOME: home, HF_HUB_OFFLINE: "1" };
const base = { kind: "builtin", name: "smollm2-135m-instruct" } as const;
after(async () => {
  await (await llama()).dispose();
  rmSync(home, { recursive: true, force: true });
});

const SIGNATURE = "Northwind Bikes here!";
const TRAIN: [string, string][] = [
  [
    "My brakes squeal.",
    "Brakes squeal when the pads are worn; bring the bike in and we will check them.",
  ],
  ["Where is order NW-1?", "Order NW-1 left our shop yesterday and should reach you in two days."],
  [
    "Can I return a helmet?",
    "Yes, helmets can be returned unused within 30 days with the receipt.",
  ],
  ["Do you fix e-bikes?", "Yes, we service e-bikes, including their motors and batteries."],
  [
    "My chain keeps slipping.",
    "A slipping chain is usually worn; we can replace it while you wait.",
  ],
  ["Is the shop open on Sunday?", "We are open on Sunday from ten to four."],
  ["My tyre is flat.", "We fix flat tyres in about twenty minutes; no appointment needed."],
  ["I want a refund.", "Refunds go back to your card within five working days of the return."],
];
const HELD_OUT: ChatMessage[][] = [
  "What sizes does the Cityglide come in?",
  "My gears skip on hills, what should I do?",
  "When will my new bike ship?",
  "The lights on my bike stopped working.",
].map((q) => [{ role: "user", content: q }]);
const MAX_TOKENS = 40;

async function exportAs(
  format: ExportRequest["format"],
  out: string,
  extra: Partial<ExportRequest> = {},
): Promise<EngineMessageOf<"exported"> & { seconds: number }> {
  const started = performance.now();
  const done = await engineResult(
    "export",
    { base, format, out, model_name: "northwind", ...extra },
    "exported",
    { env },
  );
  return { ...done, seconds: (performance.now() - started) / 1000 };
}

test("slow: SmolLM2 fine-tuned and exported to GGUF answers in llama.cpp as in PyTorch", async (t) => {
  const adapter = join(home, "adapter");
  const trainFile = join(home, "train.jsonl");
  writeFileSync(
    trainFile,
    TRAIN.map(([q, a]) =>
      JSON.stringify({
        messages: [
          { role: "user", content: q },
          { role: "assistant", content: `${SIGNATURE} ${a}` },
        ],
      }),
    ).join("\n"),
  );
  let started = performance.now();
  const trained = await engineResult(
    "train",
    {
      ...{ base, train_file: trainFile, out_dir: adapter, checkpoint_dir: join(home, "ckpt") },
      ...{ model_name: "northwind", epochs: 2, learning_rate: 0.003, batch_size: 2, seed: 0 },
      ...{ lora_rank: 8, lora_alpha: 16, lora_dropout: 0, max_seq_length: 128 },
    },
    "completed",
    // trained in fp32, whatever the CPU: the comparisons below are of the export, and greedy answers
    // in f16 and fp32 part wherever two tokens are nearly tied, which is down to the model trained.
    // bf16 training's rounding makes another model at each change of the training's kernels (one
    // with a near-tie in 3 of these 4 answers agreed with PyTorch on 74 of 79 tokens, and the
    // adapter with the merged file on 66 of 79); fp32's arithmetic moves it far less.
    { env: { ...env, TAILOR_CPU_BF16: "0" } },
  );
  t.diagnostic(
    `trained ${trained.steps} steps in ${Math.round((performance.now() - started) / 1000)} s`,
  );

  const file = (name: string) => join(home, name);
  const f16 = await exportAs("gguf", file("f16.gguf"), {
    adapter_dir: adapter,
    quantization: "f16",
  });
  const q8 = await exportAs("gguf", file("q8_0.gguf"), {
    adapter_dir: adapter,
    quantization: "q8_0",
  });
  const q4 = await exportAs("gguf", file("q4_0.gguf"), {
    adapter_dir: adapter,
    quantization: "q4_0",
  });
  const baseF16 = await exportAs("gguf", file("base-f16.gguf"), { quantization: "f16" });
  const lora = await exportAs("gguf_adapter", file("lora.gguf"), { adapter_dir: adapter });
  for (const e of [f16, q8, q4, baseF16, lora]) {
    t.diagnostic(
      `${e.format} ${e.quantization}: ${(e.bytes / 1e6).toFixed(1)} MB in ${e.seconds.toFixed(1)} s`,
    );
    assert.equal(e.bytes, statSync(e.path).size);
    assert.equal(e.architecture, "LlamaForCausalLM");
    assert.deepEqual(e.stop_tokens, ["<|im_end|>"]);
    assert.equal(e.eos_token, "<|im_end|>");
  }
  assert.ok(f16.bytes > q8.bytes && q8.bytes > q4.bytes && lora.bytes < q4.bytes / 10);

  started = performance.now();
  const pytorch = await engineResult(
    "generate-batch",
    {
      models: [{ base, adapter_dir: adapter }],
      conversations: HELD_OUT,
      max_tokens: MAX_TOKENS,
      batch_size: 1,
    },
    "generations",
    { env },
  );
  const expected = pytorch.results[0]?.texts ?? [];
  t.diagnostic(`PyTorch: ${Math.round((performance.now() - started) / 1000)} s`);
  // the tuning took: PyTorch's tuned answers sign as the training data did
  assert.ok(expected.filter((a) => a.startsWith(SIGNATURE)).length >= 2, expected.join(" | "));

  const merged = await ggufAnswers(f16.path, HELD_OUT, MAX_TOKENS);
  // the chat template travelled in the file and renders SmolLM2's ChatML with its system prompt
  assert.equal(merged.chatTemplate, f16.chat_template);
  assert.match(
    merged.prompts[0] ?? "",
    /^<\|im_start\|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<\|im_end\|>\n<\|im_start\|>user\nWhat sizes does the Cityglide come in\?<\|im_end\|>\n<\|im_start\|>assistant\n$/,
  );
  t.diagnostic(`PyTorch and llama.cpp f16 answered: ${JSON.stringify(expected[1])}`);
  assert.deepEqual(merged.texts, expected, "f16 GGUF's greedy answers equal PyTorch's");

  const tokenizer = await ggufTokenizer(f16.path);
  try {
    const q8Answers = await ggufAnswers(q8.path, HELD_OUT, MAX_TOKENS);
    const q8Share = agreement(tokenizer.tokenize, expected, q8Answers.texts);
    t.diagnostic(
      `q8_0 agrees with PyTorch on ${q8Share.agreed} of ${q8Share.total} tokens (${(100 * q8Share.share).toFixed(1)}%)`,
    );
    t.diagnostic(`q8_0 answered: ${JSON.stringify(q8Answers.texts[1])}`);
    assert.ok(q8Share.share > 0.5, `q8_0 agreed on ${q8Share.agreed} of ${q8Share.total} tokens`);

    const q4Answers = await ggufAnswers(q4.path, HELD_OUT, MAX_TOKENS);
    const q4Share = agreement(tokenizer.tokenize, expected, q4Answers.texts);
    t.diagnostic(
      `q4_0 agrees with PyTorch on ${q4Share.agreed} of ${q4Share.total} tokens (${(100 * q4Share.share).toFixed(1)}%)`,
    );
    t.diagnostic(`q4_0 answered: ${JSON.stringify(q4Answers.texts[1])}`);
    // q4_0 is coarse for a 135M model: the same weights rounded to q4_0 in PyTorch agreed on 17 of
    // 160 greedy tokens of these questions with the unrounded model (q8_0: 100 of 160)
    assert.ok(q4Answers.texts.every((a) => a.trim().length > 0));

    // the adapter alone, applied by llama.cpp to the base's GGUF, answers as the merged file does;
    // without it the base answers otherwise
    const withLora = await ggufAnswers(baseF16.path, HELD_OUT, MAX_TOKENS, lora.path);
    const loraShare = agreement(tokenizer.tokenize, merged.texts, withLora.texts);
    t.diagnostic(
      `base f16 + LoRA adapter agrees with the merged f16 on ${loraShare.agreed} of ${loraShare.total} tokens`,
    );
    assert.deepEqual(withLora.texts, merged.texts);
    const plain = await ggufAnswers(baseF16.path, HELD_OUT, MAX_TOKENS);
    assert.ok(
      plain.texts.every((a) => !a.startsWith(SIGNATURE)),
      plain.texts.join(" | "),
    );
  } finally {
    await tokenizer.dispose();
  }
});
