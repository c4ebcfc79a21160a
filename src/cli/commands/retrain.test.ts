/**
 * `tailor retrain` in process through main on a real TAILOR_HOME (SQLite, the tiny model, a
 * fine-tuned `support` model made without training and accepted reviews): the plan in words of a
 * dry run, as JSON, refusals with their exit codes, a real start (the job and how to follow it), and
 * the gate's decision as --wait prints it. The loop with real training is the loop's e2e test.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RetrainResponse } from "../../../protocol/api/retrain.ts";
import type { GateDecision } from "../../../protocol/versions.ts";
import type { Job } from "../../jobs/index.ts";
import { retrainHome, supportLines } from "../../retrain/__fixtures__/retrain.ts";
import type { CliResult } from "../__fixtures__/cli.ts";
import { main } from "../main.ts";
import { localUser } from "./assistants-admin.ts";
import { gateLines } from "./retrain.ts";

/** One command line in this process, as `main` runs it, with what it writes. */
async function run(...args: string[]): Promise<CliResult> {
  // the test runner's own report goes to stdout too: let what it has queued out first
  await new Promise((resolve) => setImmediate(resolve));
  const out: string[] = [];
  const err: string[] = [];
  const { write: writeOut } = process.stdout;
  const { write: writeErr } = process.stderr;
  process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof writeOut;
  process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof writeErr;
  process.exitCode = undefined;
  try {
    const code = await main(["node", "tailor", ...args]);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    process.exitCode = undefined;
  }
}

describe("tailor retrain", () => {
  let h: ReturnType<typeof retrainHome>;
  let model = "";
  let trainedOn = "";
  before(async () => {
    h = retrainHome("tailor-retrain-cli-");
    process.env.TAILOR_HOME = h.home;
    const made = await h.tuned("support-model", supportLines(30), supportLines(4, "Val"));
    model = made.model;
    trainedOn = made.job.training_file;
    h.svc.modelNames.create("support", "alice", model, "alice", "first version");
    h.accepted("support", model, 6);
  });
  after(() => h.close());

  test("--dry-run prints the plan in words and stores nothing; --json the plan", async () => {
    const datasets = h.svc.datasets.list().length;
    const r = await run("retrain", "support", "--dry-run");
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.split("\n");
    assert.equal(out[0], "retrain support: from version 1 (support-model) (dry run)");
    assert.equal(out[1], "  4 accepted corrections to train on, 2 held out for the gate");
    assert.equal(out[2], `  20 original examples of ${trainedOn} mixed in, so old skills are kept`);
    assert.ok(
      out.includes(
        "  training continues from support-model (version 1 of support); the new model becomes version 2 only if the gate promotes it",
      ),
      r.stdout,
    );
    assert.equal(
      out.at(-2),
      "dry run: nothing was stored; `tailor retrain support` without --dry-run starts it",
    );
    assert.equal(h.svc.datasets.list().length, datasets);
    const j = await run("retrain", "support", "--dry-run", "--json", "--sample", "5");
    assert.equal(j.code, 0, j.stderr);
    const plan = RetrainResponse.parse(JSON.parse(j.stdout));
    assert.equal(plan.original_sample, 5);
    assert.equal(plan.job_id, null);
  });

  test("refusals say what to do, with the exit code of their kind", async () => {
    const none = await run("retrain", "nobody", "--dry-run");
    assert.equal(none.code, 3);
    assert.match(none.stderr, /^error: .*nobody/);
    const share = await run("retrain", "support", "--held-out-share", "-1");
    assert.equal(share.code, 2);
    assert.match(share.stderr, /--held-out-share must be a non-negative number, got '-1'/);
    const big = await run("retrain", "support", "--held-out-share", "0.95");
    assert.equal(big.code, 2);
    assert.match(big.stderr, /held-out share 0.95: give a share between 0 and 0.9/);
  });

  test("a retrain stores its examples, queues the job and says how to follow it", async () => {
    const r = await run("retrain", "support", "--epochs", "4");
    assert.equal(r.code, 0, r.stderr);
    const job = h.svc.jobs.list().find((j) => j.spec.retrain?.name === "support");
    assert.ok(job);
    assert.equal(job.spec.hyperparameters.epochs, 4);
    assert.equal(job.spec.retrain?.requested_by, `cli:${localUser()}`);
    assert.match(
      r.stdout,
      new RegExp(`^examples: ${job.training_file}; corrections held out: ds-`, "m"),
    );
    assert.match(
      r.stdout,
      new RegExp(`^job ${job.id}: support-v2 on 24 examples, continuing from support-model$`, "m"),
    );
    assert.match(r.stdout, new RegExp(`tailor jobs follow ${job.id} --run`));
    const again = await run("retrain", "support");
    assert.equal(again.code, 12);
    assert.equal(
      again.stderr,
      "error: no accepted reviews since the last retrain of support: review some first: tailor review list\n",
    );
  });
});

test("--wait ends with the gate's decision in words", () => {
  const gate: GateDecision = {
    promote: false,
    reason: "Not promoted: it did no better on the corrections held out.",
    current: { version: 1, model: "support-model" },
    candidate: { model: "support-v2" },
    sets: [
      {
        name: "accepted corrections held out",
        examples: 2,
        metric: "exact match",
        current: 0,
        candidate: 0,
        worse: 0,
        better: 0,
      },
    ],
    decided_at: 1,
  };
  const job = {
    model_name: "support-v2",
    fine_tuned_model: "support-v2",
    spec: { retrain: { name: "support" } },
    result: { gate, summary: "…" },
  } as unknown as Job;
  assert.deepEqual(gateLines(job), [
    "not promoted: support still answers with version 1 (support-model); the new model is kept as support-v2",
    "  accepted corrections held out: 2 examples, exact match 0.000 (version 1) -> 0.000 (new): 0 better, 0 worse",
  ]);
  const promoted = { ...job, result: { gate: { ...gate, promote: true } } } as unknown as Job;
  assert.equal(gateLines(promoted)[0], "promoted: support now answers with support-v2");
  const undecided = { ...job, result: { summary: "It stopped." } } as unknown as Job;
  assert.deepEqual(gateLines(undecided), [
    "model support-v2: the gate did not decide (It stopped.)",
  ]);
});
