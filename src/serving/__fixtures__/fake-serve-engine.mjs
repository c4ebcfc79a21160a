#!/usr/bin/env node
// A stand-in for `python -m tailor_engine serve` in unit tests of the client's protocol handling:
// it misbehaves in the ways the real engine might (FAKE_ENGINE_MODE picks how). The features are
// proven with the real engine.
import { createInterface } from "node:readline";

const mode = process.env.FAKE_ENGINE_MODE;
const out = (m) => process.stdout.write(`${typeof m === "string" ? m : JSON.stringify(m)}\n`);
const hello = { type: "hello", protocolVersion: mode === "old-protocol" ? 0 : 1 };
Object.assign(hello, { engineVersion: "fake", python: "3", torch: "0", device: "cpu" });

if (mode === "failed-at-start") {
  out({ type: "failed", code: "out_of_memory", message: "no memory for the engine" });
  process.exit(1);
}
out(hello);
let started = false;
createInterface({ input: process.stdin }).on("line", (line) => {
  if (!started) {
    started = true; // the start request
    return;
  }
  const op = JSON.parse(line);
  if (op.op === "cancel") return;
  switch (mode) {
    case "not-json":
      out("Loading weights... 100%");
      break;
    case "crash":
      process.stderr.write("Traceback (most recent call last):\nRuntimeError: boom\n");
      process.exit(3);
      break;
    case "stray-error":
      out({
        type: "error",
        id: null,
        code: "invalid_request",
        message: "operation line is not JSON",
      });
      break;
    case "wrong-reply":
      out({ type: "embeddings", id: op.id, data: [[1]], prompt_tokens: 1 });
      break;
    default: // well-behaved: a late reply to an operation nobody waits for, then the answer
      out({ type: "token_count", id: "op-unknown", prompt_tokens: 1 });
      out({ type: "token_count", id: op.id, prompt_tokens: 7 });
  }
});
