import assert from "node:assert/strict";
import { test } from "node:test";
import type { DataReport, DatasetVersion } from "../datasets/index.ts";
import { PlanCache } from "./plan-cache.ts";
import type { JobServices } from "./services.ts";

/** Just enough of the services for planning: one base model, 40 examples in every dataset. */
const svc = {
  home: "/nowhere",
  models: {
    get: () => null, // no fine-tuned model to continue from
    resolveBase: (name: string) => {
      if (name === "nope") throw new Error("no base model nope");
      return { name, source: { kind: "hub", repo_id: name } };
    },
  },
  datasets: {
    get: (id: string) => ({ id, train_examples: 40, val_examples: 0 }) as DatasetVersion,
  },
} as unknown as JobServices;

const report = (tps: number) =>
  ({
    examples: 40,
    stats: { tokens: 4000, tokens_per_epoch: 4000, tokens_per_second: tps },
    errors: [],
    warnings: [],
  }) as unknown as DataReport;

/** A measurement the test finishes by hand, so it can see what waits for what. */
function measurer() {
  const calls: string[] = [];
  const pending: { finish: (r: DataReport) => void; fail: (e: Error) => void }[] = [];
  const measure = (_svc: JobServices, base: string, data: string) => {
    calls.push(`${base} ${data}`);
    return new Promise<DataReport>((finish, fail) => pending.push({ finish, fail }));
  };
  return { measure, calls, pending };
}

const tick = () => new Promise((r) => setImmediate(r));

test("one measurement at a time, each kept: the same data and base are measured once", async () => {
  const m = measurer();
  const plans = new PlanCache(svc, m.measure);
  const a = plans.plan({ base: "b1", data: "ds-a" });
  const again = plans.plan({ base: "b1", data: "ds-a", epochs: 2 });
  const other = plans.plan({ base: "b1", data: "ds-b" });
  await tick();
  assert.deepEqual(m.calls, ["b1 ds-a"]); // ds-b waits its turn
  m.pending[0]?.finish(report(100));
  await tick();
  assert.deepEqual(m.calls, ["b1 ds-a", "b1 ds-b"]);
  m.pending[1]?.finish(report(50));
  const [pa, pagain, pother] = await Promise.all([a, again, other]);
  assert.equal(pa.report.stats.tokens_per_second, 100);
  assert.equal(pagain.spec.hyperparameters.epochs, 2);
  assert.equal(pagain.report, pa.report);
  assert.equal(pother.report.stats.tokens_per_second, 50);
  await plans.plan({ base: "b1", data: "ds-a" });
  assert.equal(m.calls.length, 2);
});

test("a failed measurement is not kept: the next plan measures again", async () => {
  const m = measurer();
  const plans = new PlanCache(svc, m.measure);
  const first = plans.plan({ base: "b1", data: "ds-a" });
  await tick();
  m.pending[0]?.fail(new Error("the engine died"));
  await assert.rejects(first, /the engine died/);
  const second = plans.plan({ base: "b1", data: "ds-a" });
  await tick();
  assert.equal(m.calls.length, 2);
  m.pending[1]?.finish(report(100));
  assert.equal((await second).report.stats.tokens_per_second, 100);
});

test("an unknown model is refused before anything is measured", async () => {
  const m = measurer();
  const plans = new PlanCache(svc, m.measure);
  await assert.rejects(plans.plan({ base: "nope", data: "ds-a" }), /no base model nope/);
  assert.deepEqual(m.calls, []);
});
