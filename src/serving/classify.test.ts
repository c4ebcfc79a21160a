/**
 * Batching of classification requests: requests that arrive while the engine works on one classifier
 * go together in the next operation and each gets its own results; the cap on texts per operation;
 * aborts; failures reach every request of the batch. The engine here is a function that labels each
 * text by its first word (the real engine is exercised in the API's end-to-end test).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TailorError } from "../errors/index.ts";
import { ClassifyBatcher, type ClassifyOnce, type ClassifyResult } from "./classify.ts";

interface Call {
  modelDir: string;
  input: string[];
  signal: AbortSignal;
  answer(): void;
  fail(e: Error): void;
}

/** An engine whose operations finish when the test says so. */
function engine() {
  const calls: Call[] = [];
  const send: ClassifyOnce = (modelDir, input, signal) =>
    new Promise<ClassifyResult>((resolve, reject) => {
      calls.push({
        modelDir,
        input,
        signal,
        answer: () =>
          resolve({
            results: input.map((t) => ({
              labels: [{ label: t.split(" ")[0] ?? "", score: 1 }],
              predicted: [t.split(" ")[0] ?? ""],
              tokens: t.length,
            })),
            multi_label: false,
            threshold: 0.5,
            prompt_tokens: input.reduce((n, t) => n + t.length, 0),
          }),
        fail: reject,
      });
    });
  return { calls, send };
}

const tick = () => new Promise((r) => setImmediate(r));
const predicted = (r: ClassifyResult) => r.results.map((x) => x.predicted[0]);

describe("ClassifyBatcher", () => {
  test("a lone request goes at once; those arriving meanwhile go together next", async () => {
    const { calls, send } = engine();
    const batcher = new ClassifyBatcher(send);
    const first = batcher.classify("/m", ["spam a"]);
    await tick();
    assert.equal(calls.length, 1, "no waiting on a timer");
    const second = batcher.classify("/m", ["billing b", "spam c"]);
    const third = batcher.classify("/m", ["support d"]);
    const other = batcher.classify("/other", ["x y"]);
    await tick();
    assert.deepEqual(
      calls.map((c) => c.modelDir),
      ["/m", "/other"],
      "another classifier does not wait",
    );
    calls[0]?.answer();
    assert.deepEqual(predicted(await first), ["spam"]);
    await tick();
    assert.deepEqual(calls[2]?.input, ["billing b", "spam c", "support d"], "one operation");
    calls[2]?.answer();
    calls[1]?.answer();
    const [two, three] = await Promise.all([second, third]);
    assert.deepEqual(predicted(two), ["billing", "spam"]);
    assert.deepEqual(predicted(three), ["support"]);
    assert.equal(two.prompt_tokens, "billing b".length + "spam c".length, "each its own tokens");
    assert.deepEqual(predicted(await other), ["x"]);
  });

  test("an operation carries at most maxTexts texts (a bigger request goes alone)", async () => {
    const { calls, send } = engine();
    const batcher = new ClassifyBatcher(send, 3);
    const busy = batcher.classify("/m", ["a"]);
    const waiting = [["b", "c"], ["d", "e"], ["f", "g", "h", "i"], ["j"]].map((input) =>
      batcher.classify("/m", input),
    );
    for (let i = 0; i < 5; i++) {
      await tick();
      calls.at(-1)?.answer();
    }
    await Promise.all([busy, ...waiting]);
    assert.deepEqual(
      calls.map((c) => c.input),
      [["a"], ["b", "c"], ["d", "e"], ["f", "g", "h", "i"], ["j"]],
    );
  });

  test("an aborted request is answered cancelled; the engine stops only when all of a batch left", async () => {
    const { calls, send } = engine();
    const batcher = new ClassifyBatcher(send);
    const busy = batcher.classify("/m", ["a"]);
    const leaving = new AbortController();
    const staying = new AbortController();
    const waitingThenGone = new AbortController();
    const gone = batcher.classify("/m", ["b"], waitingThenGone.signal);
    waitingThenGone.abort();
    await assert.rejects(gone, (e: unknown) => e instanceof TailorError && e.code === "cancelled");
    const one = batcher.classify("/m", ["c"], leaving.signal);
    const two = batcher.classify("/m", ["d"], staying.signal);
    await tick();
    calls[0]?.answer();
    await busy;
    await tick();
    assert.deepEqual(
      calls[1]?.input,
      ["c", "d"],
      "the request that left while waiting is not sent",
    );
    leaving.abort();
    await assert.rejects(one, (e: unknown) => e instanceof TailorError && e.code === "cancelled");
    assert.equal(calls[1]?.signal.aborted, false, "another request still waits for this batch");
    staying.abort();
    await assert.rejects(two, (e: unknown) => e instanceof TailorError && e.code === "cancelled");
    assert.equal(calls[1]?.signal.aborted, true);
  });

  test("a failure reaches every request of its batch, and the next batch still goes", async () => {
    const { calls, send } = engine();
    const batcher = new ClassifyBatcher(send);
    const busy = batcher.classify("/m", ["a"]);
    const b = batcher.classify("/m", ["b"]);
    const c = batcher.classify("/m", ["c"]);
    await tick();
    calls[0]?.fail(new TailorError({ code: "model_corrupt", message: "broken" }));
    await assert.rejects(busy, /broken/);
    await tick();
    calls[1]?.answer();
    assert.deepEqual([predicted(await b), predicted(await c)], [["b"], ["c"]]);
  });

  test("no texts is a clear error", async () => {
    const batcher = new ClassifyBatcher(engine().send);
    await assert.rejects(batcher.classify("/m", []), /at least one text/);
  });
});
