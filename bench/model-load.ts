/**
 * How long `tailor generate` takes to get a first token from the built-in GGUF model, cold (the GGUF
 * is dequantized) versus warm (loaded from the Hugging Face folder cached under TAILOR_HOME), in one
 * run, as a ratio. Usage: npx tsx bench/model-load.ts [--runs 3] [--json]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { engineResult } from "../src/engine/index.ts";

const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 3;
const json = process.argv.includes("--json");

async function timeOnce(home: string): Promise<number> {
  const started = performance.now();
  await engineResult(
    "generate",
    {
      base: { kind: "builtin", name: "smollm2-135m-instruct" },
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 1,
    },
    "generation",
    { env: { TAILOR_HOME: home } },
  );
  return (performance.now() - started) / 1000;
}

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const cold: number[] = [];
const warm: number[] = [];
for (let i = 0; i < runs; i++) {
  const home = mkdtempSync(join(tmpdir(), "tailor-bench-"));
  try {
    cold.push(await timeOnce(home)); // empty cache: dequantize the GGUF, then cache it
    warm.push(await timeOnce(home)); // same home: load the cached folder
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  if (!json)
    console.error(
      `run ${i + 1}/${runs}: cold ${cold.at(-1)?.toFixed(1)}s, warm ${warm.at(-1)?.toFixed(1)}s`,
    );
}
const result = {
  benchmark: "model-load",
  model: "smollm2-135m-instruct",
  runs,
  cold_seconds_median: median(cold),
  warm_seconds_median: median(warm),
  speedup_warm_over_cold: median(cold) / median(warm),
};
if (json) console.log(JSON.stringify(result));
else {
  console.log(
    `first answer from smollm2-135m-instruct, median of ${runs} (whole engine process, incl. Python start-up):`,
  );
  console.log(`  cold (dequantize GGUF): ${result.cold_seconds_median.toFixed(1)}s`);
  console.log(`  warm (cached folder):   ${result.warm_seconds_median.toFixed(1)}s`);
  console.log(`  warm is ${result.speedup_warm_over_cold.toFixed(1)}x faster`);
}
