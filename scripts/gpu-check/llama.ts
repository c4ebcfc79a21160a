/**
 * Step `llama.cpp`: the f16 GGUF that roundtrip.py exported, loaded by llama.cpp through
 * node-llama-cpp as `tailor serve` loads GGUF files (CUDA when its CUDA binaries load here, else the
 * CPU build; never building), greedy answers to the same questions with the prompt rendered by the
 * chat template inside the file, compared token by token with the engine's answers on the device.
 * Writes its row to $GPU_CHECK_WORK/results/llama.cpp.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { getLlama, type Llama, type Token } from "node-llama-cpp";
import { renderPrompt } from "../../src/exports/__fixtures__/greedy.ts";

const work = process.env.GPU_CHECK_WORK ?? "test-output/gpu-check/work";
const cpuOnly = process.env.GPU_CHECK_CPU === "1";
const started = performance.now();

function write(
  status: "ok" | "failed",
  detail: string,
  numbers: Record<string, unknown> = {},
): void {
  mkdirSync(join(work, "results"), { recursive: true });
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  writeFileSync(
    join(work, "results", "llama.cpp.json"),
    JSON.stringify({ step: "llama.cpp", status, detail, numbers, seconds }),
  );
  console.error(`[gpu-check] llama.cpp: ${status}: ${detail}`);
}

type RoundTrip = {
  gguf: string;
  conversations: { role: "user"; content: string }[][];
  answers: string[];
  max_tokens: number;
  real: boolean;
};
const rt = JSON.parse(readFileSync(join(work, "roundtrip.json"), "utf8")) as RoundTrip;
const threads = cpuOnly ? 2 : Math.max(2, availableParallelism() - 2);

let llama: Llama;
let fallback = "";
try {
  if (cpuOnly) throw new Error("CPU dry run");
  llama = await getLlama({ gpu: "cuda", build: "never", maxThreads: threads });
} catch (e) {
  if (!cpuOnly) fallback = ` (CUDA build did not load: ${String(e).split("\n")[0]?.slice(0, 200)})`;
  llama = await getLlama({ gpu: false, build: "never", maxThreads: threads });
}
try {
  const t0 = performance.now();
  const model = await llama.loadModel({ modelPath: rt.gguf });
  const context = await model.createContext({ contextSize: 1024, threads, sequences: 1 });
  const loadSeconds = (performance.now() - t0) / 1000;
  const sequence = context.getSequence();
  const texts: string[] = [];
  let tokens = 0;
  const t1 = performance.now();
  for (const messages of rt.conversations) {
    const answer: Token[] = [];
    for await (const token of sequence.evaluate(
      model.tokenize(renderPrompt(model, messages), true),
      { temperature: 0 },
    )) {
      if (model.isEogToken(token)) break;
      answer.push(token);
      if (answer.length >= rt.max_tokens) break;
    }
    await sequence.clearHistory();
    tokens += answer.length;
    texts.push(model.detokenize(answer));
  }
  const seconds = (performance.now() - t1) / 1000;
  let agreed = 0;
  let total = 0;
  rt.answers.forEach((text, i) => {
    const a = model.tokenize(text, false);
    const b = model.tokenize(texts[i] ?? "", false);
    let k = 0;
    while (k < a.length && k < b.length && a[k] === b[k]) k++;
    agreed += k;
    total += Math.max(a.length, b.length);
  });
  await context.dispose();
  await model.dispose();
  // a real model's greedy answers agree (the GGUF e2e test finds them equal on the CPU); a random
  // model's near-tied logits may flip a token, so there the share is only reported
  const ok = tokens > 0 && (!rt.real || agreed >= total / 2);
  write(
    ok ? "ok" : "failed",
    `${llama.gpu === false ? "CPU" : llama.gpu} llama.cpp${fallback}, ${threads} threads: loaded ` +
      `${rt.gguf.split("/").at(-1)} in ${loadSeconds.toFixed(1)} s, ${tokens} tokens in ${seconds.toFixed(2)} s ` +
      `(${(tokens / seconds).toFixed(1)} tokens/s, prompts included); greedy answers agree with the engine's on ` +
      `${agreed}/${total} tokens; first answer ${JSON.stringify((texts[0] ?? "").slice(0, 50))}`,
    {
      backend: llama.gpu === false ? "cpu" : llama.gpu,
      agreed,
      total,
      tokens_per_second: tokens / seconds,
    },
  );
  process.exitCode = ok ? 0 : 1;
} catch (e) {
  write("failed", `llama.cpp could not load or run ${rt.gguf}: ${String(e).split("\n")[0]}`);
  process.exitCode = 1;
} finally {
  await llama.dispose();
}
