import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { EvaluationReport } from "../../../protocol/evals.ts";
import type { RegressionExample } from "../../../protocol/review.ts";
import type { ModelName, ModelVersion } from "../../../protocol/versions.ts";
import type { AuditInput } from "../../auth/index.ts";
import type { EvalExample, Evaluator } from "../../evals/index.ts";
import type { NewEvent } from "../store/index.ts";
import type { Job } from "../types.ts";
import type { RunContext, StopReason } from "./context.ts";
import type { Ending } from "./finish.ts";
import { runGate, withGate } from "./gate.ts";

const dir = mkdtempSync(join(tmpdir(), "tailor-gate-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A JSONL file of question -> answer examples. */
function data(file: string, pairs: [string, string][]): string {
  const path = join(dir, file);
  const line = ([q, a]: [string, string]) =>
    JSON.stringify({
      messages: [
        { role: "user", content: q },
        { role: "assistant", content: a },
      ],
    });
  writeFileSync(path, `${pairs.map(line).join("\n")}\n`);
  return path;
}

const originalFile = data("original.jsonl", [
  ["opening hours?", "nine to five on weekdays"],
  ["where are you?", "at 1 Main Street in Springfield"],
]);
const correctionsFile = data("corrections.jsonl", [
  ["refund window?", "thirty days from delivery with a receipt"],
]);

const retrain = {
  name: "support",
  current_version: 2,
  current_model: "ft:support-2",
  held_out_dataset: correctionsFile,
  original_held_out: originalFile,
  requested_by: "alice",
};

function job(spec: Partial<Job["spec"]> = { retrain }): Job {
  return { id: "ftjob-1", model_name: "ft:support-3", spec } as unknown as Job;
}

function named(current: number, models: string[]): ModelName {
  return {
    name: "support",
    current,
    current_model: models[current - 1] ?? "",
    versions: models.map((model, i) => ({ version: i + 1, model }) as ModelVersion),
  } as ModelName;
}

/** Each model's score per question (by the last user message); the metric is their mean. */
function evaluator(table: Record<string, Record<string, number>>, fail?: string) {
  const calls: { model: string; compare: string | undefined }[] = [];
  const run: Evaluator = async (opts) => {
    calls.push({ model: opts.model.name, compare: opts.compare?.name });
    if (fail) throw new Error(fail);
    const models = [opts.model, ...(opts.compare ? [opts.compare] : [])];
    const q = (e: EvalExample) => e.messages.findLast((m) => m.role === "user")?.content ?? "";
    const score = (m: string, e: EvalExample) => table[m]?.[q(e)] ?? 0;
    const n = opts.examples.length;
    return {
      primary_metric: "rouge_l",
      models: models.map((m) => ({
        model: m.name,
        metrics: { rouge_l: opts.examples.reduce((s, e) => s + score(m.name, e), 0) / n },
      })),
      examples: opts.examples.map((e) => ({
        prompt: q(e),
        scores: models.map((m) => score(m.name, e)),
      })),
    } as unknown as EvaluationReport;
  };
  return { run, calls };
}

const pin = (q: string, expected: string): RegressionExample => ({
  id: `reg_${q}`,
  name: "support",
  messages: [{ role: "user", content: q }],
  expected,
  pinned_by: "alice",
  pinned_at: 0,
  note: null,
});

/** Fake services: the name at `current`, what the gate adds and refuses, the job's events. */
function context(opts: {
  name?: ModelName | null;
  pinned?: RegressionExample[];
  addFails?: string;
  reason?: StopReason | null;
}) {
  const events: NewEvent[] = [];
  const added: { name: string; model: string; opts: Record<string, unknown> }[] = [];
  const refused: unknown[][] = [];
  const resolved: string[] = [];
  const audited: AuditInput[] = [];
  const name = opts.name === undefined ? named(2, ["ft:support-1", "ft:support-2"]) : opts.name;
  const ctx = {
    services: {
      jobs: { events: { add: (_id: string, e: NewEvent) => events.push(e) } },
      datasets: {},
      models: {
        resolve: (ref: string) => {
          resolved.push(ref);
          return { name: ref, source: { kind: "builtin", name: "tiny" } };
        },
      },
      modelNames: {
        find: () => name,
        add: (n: string, model: string, o: Record<string, unknown>) => {
          if (opts.addFails) throw new Error(opts.addFails);
          added.push({ name: n, model, opts: o });
          return { version: (name?.versions.length ?? 0) + 1 } as ModelVersion;
        },
        refused: (...args: unknown[]) => refused.push(args),
      },
      regression: { list: () => opts.pinned ?? [] },
      audit: { append: (e: AuditInput) => audited.push(e) },
    },
    worker: "w1",
    signal: new AbortController().signal,
    reason: () => opts.reason ?? null,
  } as unknown as RunContext;
  return { ctx, events, added, refused, resolved, audited };
}

const learned = {
  "ft:support-3": {
    "opening hours?": 0.5,
    "where are you?": 0.5,
    "refund window?": 0.9,
    "ping?": 1,
  },
  "ft:support-2": {
    "opening hours?": 0.5,
    "where are you?": 0.5,
    "refund window?": 0.1,
    "ping?": 1,
  },
};

test("a retrain that learned its corrections is added to its name and promoted, with the reason as an event", async () => {
  const f = context({ pinned: [pin("ping?", "pong")] });
  const e = evaluator(learned);
  const d = await runGate(job(), f.ctx, { evaluator: e.run });
  assert.equal(d?.promote, true);
  assert.equal(
    d?.reason,
    "Promoted support to v3: on the 2 original held-out examples it scores 50.0% ROUGE-L, the same as v2; it answers the one held-out correction better than v2 (worse on 0; 90.0% against 10.0% ROUGE-L); it does not break the one pinned example.",
  );
  // the candidate and the version answering now, on the original, the corrections and the pinned set
  assert.deepEqual(f.resolved, ["ft:support-2", "ft:support-3"]);
  assert.deepEqual(e.calls, Array(3).fill({ model: "ft:support-3", compare: "ft:support-2" }));
  assert.deepEqual(f.added, [
    {
      name: "support",
      model: "ft:support-3",
      opts: {
        who: "alice",
        why: d?.reason,
        origin: "retrain",
        jobId: "ftjob-1",
        gate: d,
        promote: true,
      },
    },
  ]);
  assert.deepEqual(f.refused, []);
  // in the audit log as a change of the name by who asked for the retrain
  assert.deepEqual(f.audited, [
    {
      keyId: null,
      owner: "alice",
      role: null,
      action: "model_names.promote",
      target: "support",
      result: "ok",
      client: "gate",
      details: { from: 2, to: 3, model: "ft:support-3", job: "ftjob-1", why: d?.reason },
    },
  ]);
  assert.match(
    f.events[0]?.message ?? "",
    /^gate: comparing ft:support-3 with v2 of support \(ft:support-2\) on 2 original held-out examples, 1 held-out corrections and 1 pinned examples$/,
  );
  const last = f.events.at(-1);
  assert.equal(last?.message, d?.reason);
  assert.equal(last?.level, "info");
  assert.deepEqual(last?.data, { stage: "gate", gate: d });
});

test("a retrain that did not learn them is added but not promoted, and the refusal is recorded", async () => {
  const f = context({});
  const worse = {
    ...learned,
    "ft:support-3": { ...learned["ft:support-3"], "refund window?": 0.1 },
  };
  const d = await runGate(job(), f.ctx, { evaluator: evaluator(worse).run });
  assert.equal(d?.promote, false);
  assert.match(
    d?.reason ?? "",
    /^Not promoted: it is not better than v2 on the one held-out correction .*, so it has not shown it learned it\./,
  );
  assert.match(d?.reason ?? "", /no examples are pinned for support/);
  assert.equal(f.added[0]?.opts.promote, false);
  assert.deepEqual(f.refused, [["support", "alice", d?.reason, 3]]);
  assert.equal(f.events.at(-1)?.level, "warn");
});

test("an engine error in the gate keeps the model, not promoted, with the error in the reason", async () => {
  const f = context({});
  const d = await runGate(job(), f.ctx, {
    evaluator: evaluator(learned, "the engine exited with code 1\nTraceback ...").run,
  });
  assert.equal(d?.promote, false);
  assert.match(
    d?.reason ?? "",
    /^Not promoted: the comparison with v2 could not be run \(the engine exited with code 1\)\. support still answers with v2; the new model is kept as v3 \(ft:support-3\)\./,
  );
  assert.equal(f.added[0]?.opts.promote, false);
  assert.equal(f.refused.length, 1);
});

test("a version promoted by hand since the job was planned is the one compared with, and said", async () => {
  const f = context({ name: named(3, ["ft:support-1", "ft:support-2", "ft:support-x"]) });
  const table = { ...learned, "ft:support-x": learned["ft:support-2"] };
  const e = evaluator(table);
  const d = await runGate(job(), f.ctx, { evaluator: e.run });
  assert.equal(e.calls[0]?.compare, "ft:support-x");
  assert.deepEqual(d?.current, { version: 3, model: "ft:support-x" });
  assert.match(d?.reason ?? "", /^Promoted support to v4: /);
  assert.match(
    d?.reason ?? "",
    /It was compared with v3, which answers now: the retrain was planned against v2/,
  );
});

test("a missing held-out set, a name that refuses the version, a deleted name and a lost job", async () => {
  const none = context({});
  const noHeldOut = await runGate(
    job({ retrain: { ...retrain, held_out_dataset: null } }),
    none.ctx,
    {
      evaluator: evaluator(learned).run,
    },
  );
  assert.equal(noHeldOut?.promote, false);
  assert.match(noHeldOut?.reason ?? "", /nothing of the accepted corrections was held out/);

  const refuses = context({ addFails: "ft:support-3 is not a model" });
  const d = await runGate(job(), refuses.ctx, { evaluator: evaluator(learned).run });
  assert.equal(d?.promote, false);
  assert.match(
    d?.reason ?? "",
    /But it could not be added to support \(ft:support-3 is not a model\), so support is unchanged/,
  );

  const gone = context({ name: null });
  const g = await runGate(job(), gone.ctx, { evaluator: evaluator(learned).run });
  assert.equal(g?.promote, false);
  assert.match(g?.reason ?? "", /^Not promoted: the name support was deleted while the job ran/);
  assert.deepEqual(gone.added, []);

  const lost = context({ reason: "lost" });
  await assert.rejects(runGate(job(), lost.ctx, { evaluator: evaluator(learned, "aborted").run }));
  assert.deepEqual([lost.added, lost.events], [[], []]);

  assert.equal(await runGate(job({}), none.ctx), null);
});

test("withGate puts the decision in the job's result, summary and completed event", async () => {
  const f = context({});
  const d = await runGate(job(), f.ctx, { evaluator: evaluator(learned).run });
  const ending = {
    end: {
      status: "succeeded",
      fineTunedModel: "ft:support-3",
      result: { summary: "Trained 4 steps." },
    },
    event: { type: "completed", message: "Trained 4 steps.", data: { model: "ft:support-3" } },
  } as unknown as Ending;
  const out = withGate(ending, d);
  assert.equal(out.end.result?.gate, d);
  assert.equal(out.end.result?.summary, `Trained 4 steps. ${d?.reason}`);
  assert.equal(out.event.message, out.end.result?.summary);
  assert.deepEqual(out.event.data, { model: "ft:support-3", gate: d });
  assert.equal(withGate(ending, null), ending);
});
