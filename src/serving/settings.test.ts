/** TAILOR_LLAMA and its numbers: defaults, off, and a wrong value refused with what to set. */
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { test } from "node:test";
import { llamaServingFromEnv } from "./settings.ts";

test("llama.cpp is on by default, with the machine's cores, 8 sequences and a queue of 32", () => {
  assert.deepEqual(llamaServingFromEnv({}), {
    on: true,
    threads: availableParallelism(),
    sequences: 8,
    maxQueue: 32,
  });
  assert.deepEqual(
    llamaServingFromEnv({
      TAILOR_LLAMA: "on",
      TAILOR_LLAMA_THREADS: "2",
      TAILOR_LLAMA_SEQUENCES: "4",
      TAILOR_LLAMA_QUEUE: "0",
    }),
    { on: true, threads: 2, sequences: 4, maxQueue: 0 },
  );
});

test("TAILOR_LLAMA=off turns it off and says so", () => {
  assert.deepEqual(llamaServingFromEnv({ TAILOR_LLAMA: "off" }), {
    on: false,
    reason: "llama.cpp is off on this server (TAILOR_LLAMA=off)",
  });
});

test("a wrong setting is refused with the variable and what it takes", () => {
  assert.throws(() => llamaServingFromEnv({ TAILOR_LLAMA: "maybe" }), /set it to 'off'/);
  assert.throws(
    () => llamaServingFromEnv({ TAILOR_LLAMA_THREADS: "two" }),
    /TAILOR_LLAMA_THREADS is 'two'; it must be a whole number of at least 1/,
  );
  assert.throws(() => llamaServingFromEnv({ TAILOR_LLAMA_SEQUENCES: "0" }), /at least 1/);
});
