/**
 * The health report on a real database, SQLite and Postgres, with rows of several days: usage as
 * the routes record it, feedback as the review queue stores it, moderation flags; a name covering
 * its versions, a model id only itself; drift checked lazily, each kept question embedded once. The
 * embedder is a stand-in (words hashed into a vector); real embeddings are in drift.e2e.test.ts.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { ModelName } from "../../protocol/versions.ts";
import { type StoreBackend, storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import { ModelHealth } from "./report.ts";
import { UsageLog } from "./usage.ts";

const DAY = 86_400;
const NOW = new Date("2026-06-15T12:00:00Z");
const now = NOW.getTime() / 1000;
const daysAgo = (n: number, hour = 0) => now - n * DAY + hour * 3600 - 6 * 3600;

/** Words hashed into 64 dimensions: questions sharing words are near, others orthogonal. */
function wordsEmbedder() {
  const calls: string[][] = [];
  return {
    calls,
    embed: async (input: string[]) => {
      calls.push(input);
      return {
        data: input.map((t) => {
          const v = new Array(64).fill(0);
          for (const w of t.toLowerCase().match(/[a-z]+/g) ?? []) {
            let h = 0;
            for (const ch of w) h = (h * 31 + ch.charCodeAt(0)) % 64;
            v[h] += 1;
          }
          return v;
        }),
      };
    },
  };
}

const TRAIN = [
  "when do you open on monday",
  "when do you open on sunday",
  "can you repair my bike",
  "can you repair my bike brakes",
  "where is my bike order",
  "where is my order",
];

const support: ModelName = {
  name: "support",
  object: "model_name",
  owner: "alice",
  created_at: 0,
  current: 2,
  current_model: "ft:b",
  versions: [1, 2].map((version) => ({
    version,
    model: version === 1 ? "ft:a" : "ft:b",
    added_at: 0,
    added_by: "alice",
    origin: "added" as const,
    job_id: null,
    gate: null,
  })),
  store_completions: false,
  retention_days: 30,
};

function setup(backend: StoreBackend, broken = false) {
  const home = mkdtempSync(join(tmpdir(), "tailor-health-"));
  const { db } = backend.open(home);
  const usage = new UsageLog(db);
  const embedder = wordsEmbedder();
  const failing = {
    embed: async (): Promise<{ data: number[][] }> => {
      throw new Error("the engine is not running");
    },
  };
  const health = new ModelHealth({
    usage,
    names: { find: (n) => (n === "support" ? support : null), list: () => [support] },
    isModel: (id) => id.startsWith("ft:") || id === "tiny",
    training: {
      questions: (m) =>
        m === "ft:a" || m === "ft:b"
          ? { train: TRAIN, heldOut: null, source: "dataset ds-x" }
          : null,
    },
    home,
    embedder: broken ? failing : embedder,
  });
  let n = 0;
  const feedback = (at: number, model: string, resolved: string, fb: object) =>
    db
      .prepare(
        `INSERT INTO review_items (id, created_at, status, source, source_id, model, resolved_model,
           owner, question_json, answer, feedback_json)
         VALUES (?, ?, 'pending', 'completion', ?, ?, ?, 'alice', '[]', 'an answer', ?)`,
      )
      .run(`rev_${++n}`, at, `chatcmpl-${n}`, model, resolved, JSON.stringify(fb));
  const flag = (at: number, model: string) =>
    db
      .prepare(
        `INSERT INTO moderation_flags (id, created_at, policy_name, stage, action, hits_json, model, excerpt)
         VALUES (?, ?, 'p', 'input', 'blocked', '[]', ?, '…')`,
      )
      .run(`flag_${++n}`, at, model);
  const use = (
    at: number,
    model: string,
    resolved: string,
    chars: number,
    q: string | null = null,
  ) =>
    usage.record(
      { model, resolvedModel: resolved, channel: "chat", answerChars: chars, question: q },
      at,
    );
  return { home, db, usage, health, embedder, feedback, flag, use };
}

const fb = (rating: "up" | "down" | null, wrong = false, correction: string | null = null) => ({
  rating,
  wrong,
  comment: null,
  correction,
});

for (const backend of storeBackends())
  describe(`health report on ${backend.name}`, () => {
    test("per day: requests, answer length, thumbs, wrong, flags; a name covers its versions, an id itself", async () => {
      const { health, feedback, flag, use } = setup(backend);
      use(daysAgo(0), "support", "ft:b", 100);
      use(daysAgo(0, 2), "support", "ft:b", 200);
      use(daysAgo(0, 3), "ft:b", "ft:b", 300); // the version asked by its id
      use(daysAgo(2), "support", "ft:a", 50); // the name answered with v1 then
      use(daysAgo(2), "other", "other", 999);
      use(daysAgo(40), "support", "ft:b", 10); // outside the window
      feedback(daysAgo(0), "support", "ft:b", fb("up"));
      feedback(daysAgo(0), "support", "ft:b", fb("down", true));
      feedback(daysAgo(0), "support", "ft:b", fb("down", false, "The right answer."));
      feedback(daysAgo(2), "support", "ft:a", fb("up"));
      feedback(daysAgo(2), "other", "other", fb("down", true));
      // a row whose feedback cannot be read counts as none, never breaks the report
      feedback(daysAgo(1), "support", "ft:b", { rating: "sideways" });
      flag(daysAgo(0), "support");
      flag(daysAgo(2), "ft:a");
      flag(daysAgo(2), "other");

      const r = await health.report("support", { days: 7, now: NOW });
      assert.equal(r.object, "model.health");
      assert.deepEqual(r.models, ["ft:b", "ft:a"]);
      assert.equal(r.days.length, 7);
      assert.equal(r.from, "2026-06-09");
      assert.equal(r.to, "2026-06-15");
      const today = r.days.at(-1);
      assert.deepEqual(today, {
        day: "2026-06-15",
        requests: 3,
        thumbs_up: 1,
        thumbs_down: 2,
        wrong: 2,
        flags: 1,
        mean_answer_chars: 200,
        drift_checked: 0,
        unfamiliar: 0,
      });
      const twoAgo = r.days.find((d) => d.day === "2026-06-13");
      assert.equal(twoAgo?.requests, 1);
      assert.equal(twoAgo?.mean_answer_chars, 50);
      assert.equal(twoAgo?.thumbs_up, 1);
      assert.equal(twoAgo?.flags, 1);
      assert.equal(r.days.find((d) => d.day === "2026-06-14")?.thumbs_up, 0);
      assert.equal(r.days.find((d) => d.day === "2026-06-12")?.mean_answer_chars, null);

      // the id of version 1 covers what it answered only, whoever asked for it
      const v1 = await health.report("ft:a", { days: 7, now: NOW });
      assert.deepEqual(v1.models, ["ft:a"]);
      const total = (k: "requests" | "thumbs_up" | "thumbs_down" | "flags") =>
        v1.days.reduce((s, d) => s + d[k], 0);
      assert.deepEqual(
        [total("requests"), total("thumbs_up"), total("thumbs_down"), total("flags")],
        [1, 1, 0, 1],
      );
    });

    test("drift: kept questions checked when the report is asked for, each embedded once", async () => {
      const { home, db, health, embedder, use } = setup(backend);
      use(daysAgo(1), "support", "ft:b", 40, "can you repair my bike please");
      use(daysAgo(1), "support", "ft:b", 40, "how long should an egg boil");
      use(daysAgo(0), "support", "ft:b", 40, "what is the capital gains tax rate");
      use(daysAgo(0), "support", "ft:b", 40, null); // not kept: not checked
      const r = await health.report("support", { days: 3, now: NOW });
      assert.ok(r.drift_threshold !== null && r.drift_threshold > 0 && r.drift_threshold < 1);
      const checked = r.days.map((d) => [d.drift_checked, d.unfamiliar]);
      assert.deepEqual(checked, [
        [0, 0],
        [2, 1],
        [1, 1],
      ]);
      assert.ok(existsSync(join(home, "cache", "drift", "ft_b.json")));
      // distances stored, questions forgotten
      const rows = db.prepare("SELECT question, drift FROM model_usage ORDER BY seq").all() as {
        question: string | null;
        drift: number | null;
      }[];
      assert.deepEqual(
        rows.map((x) => [x.question, x.drift === null ? null : x.drift > (r.drift_threshold ?? 1)]),
        [
          [null, false],
          [null, true],
          [null, true],
          [null, null],
        ],
      );
      // the next report embeds nothing: the training vectors are cached, the questions measured
      const before = embedder.calls.length;
      const again = await health.report("support", { days: 3, now: NOW });
      assert.equal(embedder.calls.length, before);
      assert.deepEqual(again.days, r.days);
      assert.match(again.summary.join(" "), /leave-one-out/);
    });

    test("a model without training data: questions are not measured, and forgotten", async () => {
      const { db, health, embedder, use } = setup(backend);
      use(daysAgo(0), "tiny", "tiny", 12, "hello there");
      const r = await health.report("tiny", { days: 1, now: NOW });
      assert.equal(r.drift_threshold, null);
      assert.deepEqual(r.days, [
        {
          day: "2026-06-15",
          requests: 1,
          thumbs_up: 0,
          thumbs_down: 0,
          wrong: 0,
          flags: 0,
          mean_answer_chars: 12,
          drift_checked: 0,
          unfamiliar: 0,
        },
      ]);
      assert.equal(embedder.calls.length, 0);
      assert.match(r.summary.join(" "), /Unfamiliar questions are not measured/);
      const row = db.prepare("SELECT question FROM model_usage").get() as { question: unknown };
      assert.equal(row.question, null);
    });

    test("an engine that fails leaves the counts and says so", async () => {
      const { health, use } = setup(backend, true);
      use(daysAgo(0), "support", "ft:b", 40, "hello");
      const r = await health.report("support", { days: 1, now: NOW });
      assert.equal(r.days[0]?.requests, 1);
      assert.equal(r.drift_threshold, null);
      assert.match(
        r.summary.join(" "),
        /could not be checked just now \(the engine is not running\)/,
      );
    });
  });
