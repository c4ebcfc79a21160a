#!/usr/bin/env node
// A stand-in for `python -m tailor_engine` in unit tests of the TypeScript side only: it misbehaves
// in the ways the real engine might (FAKE_ENGINE_MODE picks how). Features are proven with the real one.
const mode = process.env.FAKE_ENGINE_MODE;
const hello = {
  type: "hello",
  protocolVersion: 1,
  engineVersion: "fake",
  python: "3",
  torch: "0",
  device: "cpu",
};
const out = (m) => process.stdout.write(`${typeof m === "string" ? m : JSON.stringify(m)}\n`);

if (mode === "old-protocol") out({ ...hello, protocolVersion: 0 });
else out(hello);

switch (mode) {
  case "not-json":
    out("Loading weights... 100%");
    break;
  case "bad-message":
    out({ type: "metrics", step: "one" });
    break;
  case "crash":
    process.stderr.write("Traceback (most recent call last):\nRuntimeError: boom\n");
    process.exit(3);
    break;
  case "failed":
    out({
      type: "failed",
      code: "data_invalid",
      message: "train.jsonl, line 2: not a chat example",
    });
    break;
  case "wait-for-stdin-close":
    // like a training run: works until stdin closes, then reports that it stopped
    process.stdin.resume();
    process.stdin.on("end", () => {
      out({ type: "failed", code: "cancelled", message: "stopped at step 1" });
      process.exit(1);
    });
    out({
      type: "metrics",
      step: 1,
      total_steps: 9,
      epoch: 0.1,
      train_loss: 2,
      learning_rate: 0.1,
      tokens_per_second: 1,
      elapsed_seconds: 1,
      eta_seconds: 8,
    });
    break;
  case "ignore-stdin-close":
    process.on("SIGTERM", () => {}); // only SIGKILL ends it
    process.stdin.resume();
    setInterval(() => {}, 1000);
    break;
  default:
    out({
      type: "generation",
      text: "ok",
      prompt_tokens: 1,
      completion_tokens: 1,
      finish_reason: "stop",
    });
}
