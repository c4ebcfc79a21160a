#!/usr/bin/env node
// A stand-in for `python -m tailor_engine serve` in unit tests of the client's protocol handling:
// it misbehaves in the ways the real engine might (FAKE_ENGINE_MODE picks how), and, well-behaved,
// answers `generate` with a canned answer: a call of the chosen (or first) function when functions
// are offered, words otherwise (FAKE_ENGINE_CALLS: how many calls, default 1). FAKE_ENGINE_OPS names
// a file that gets every operation received, one JSON line each. The features are proven with the
// real engine.
import { appendFileSync } from "node:fs";
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
  if (process.env.FAKE_ENGINE_OPS) appendFileSync(process.env.FAKE_ENGINE_OPS, `${line}\n`);
  if (op.op === "cancel") return;
  if (op.op === "generate" && !mode) return generate(op);
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

/** The canned answer of each choice: calls (streamed in two fragments each) or a few words. */
function generate(op) {
  const choices = [];
  for (let index = 0; index < op.n; index++) {
    const named = typeof op.tool_choice === "object" ? op.tool_choice.function.name : undefined;
    const fn = named ?? (op.tool_choice === "none" ? undefined : op.tools?.[0]?.function.name);
    if (op.tools && fn) {
      const count = op.parallel_tool_calls ? Number(process.env.FAKE_ENGINE_CALLS ?? 1) : 1;
      const tool_calls = [];
      for (let call = 0; call < count; call++) {
        const args = JSON.stringify({ order_id: `A${index}${call}` });
        if (op.stream) {
          out({
            type: "tool_call_delta",
            id: op.id,
            index,
            call,
            name: fn,
            arguments: args.slice(0, 5),
          });
          out({ type: "tool_call_delta", id: op.id, index, call, arguments: args.slice(5) });
        }
        tool_calls.push({ name: fn, arguments: args });
      }
      choices.push({ index, text: "", tool_calls, finish_reason: "tool_calls" });
    } else {
      const text = op.response_format ? '{"answer": "fake"}' : "a fake answer";
      if (op.stream) out({ type: "delta", id: op.id, index, text });
      choices.push({ index, text, finish_reason: "stop" });
    }
  }
  out({ type: "result", id: op.id, choices, prompt_tokens: 5, completion_tokens: 3 * op.n });
}
