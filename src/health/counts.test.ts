/**
 * The per-day counts on both backends: rows either side of UTC midnight fall on their UTC day, on
 * Postgres whatever the session's time zone; a name's scope covers its versions and requests made
 * to the name, a model id only what that model answered.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { ModelName } from "../../protocol/versions.ts";
import { storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import { isPostgres } from "../store/sql.ts";
import { dailyCounts, dayRange } from "./counts.ts";
import { modelScope, nameScope } from "./scope.ts";
import { UsageLog } from "./usage.ts";

const MIDNIGHT = Date.parse("2026-06-15T00:00:00Z") / 1000;
const NOW = MIDNIGHT + 12 * 3600;

const support: ModelName = {
  name: "support",
  object: "model_name",
  owner: "alice",
  created_at: 0,
  current: 2,
  current_model: "ft:b",
  versions: ["ft:a", "ft:b"].map((model, i) => ({
    version: i + 1,
    model,
    added_at: 0,
    added_by: "alice",
    origin: "added" as const,
    job_id: null,
    gate: null,
  })),
  store_completions: false,
  retention_days: 30,
};

for (const backend of storeBackends())
  describe(`daily counts on ${backend.name}`, () => {
    for (const zone of ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
      test(`a row on each side of midnight counts on its UTC day (session time zone ${zone})`, () => {
        const { db } = backend.open(mkdtempSync(join(tmpdir(), "tailor-health-counts-")));
        // +14 h and -11 h: a day taken in the session's zone would move these rows
        if (isPostgres(db)) db.prepare(`SET TIME ZONE '${zone}'`).run();
        const usage = new UsageLog(db);
        const use = (at: number, model: string, resolved: string, chars: number | null) =>
          usage.record(
            { model, resolvedModel: resolved, channel: "chat", answerChars: chars, question: null },
            at,
          );
        use(MIDNIGHT - 1, "support", "ft:a", 10); // 2026-06-14 23:59:59
        use(MIDNIGHT, "support", "ft:b", 20); // 2026-06-15 00:00:00
        use(MIDNIGHT + 1, "ft:b", "ft:b", 25);
        use(MIDNIGHT + 2, "support", "ft:b", null); // no text: not in the mean
        use(MIDNIGHT + 3, "other", "other", 999);
        use(MIDNIGHT - 3 * 86_400, "support", "ft:b", 5); // before the window
        let n = 0;
        const feedback = (at: number, resolved: string, rating: "up" | "down", wrong = false) =>
          db
            .prepare(
              `INSERT INTO review_items (id, created_at, status, source, source_id, model,
                 resolved_model, owner, question_json, answer, feedback_json)
               VALUES (?, ?, 'pending', 'completion', ?, 'support', ?, 'alice', '[]', 'an answer', ?)`,
            )
            .run(
              `rev_${++n}`,
              at,
              `chatcmpl-${n}`,
              resolved,
              JSON.stringify({ rating, wrong, comment: null, correction: null }),
            );
        feedback(MIDNIGHT - 1, "ft:a", "up");
        feedback(MIDNIGHT, "ft:b", "down", true);
        const flag = (at: number, model: string) =>
          db
            .prepare(
              `INSERT INTO moderation_flags (id, created_at, policy_name, stage, action, hits_json, model, excerpt)
               VALUES (?, ?, 'p', 'input', 'blocked', '[]', ?, '…')`,
            )
            .run(`flag_${++n}`, at, model);
        flag(MIDNIGHT - 1, "ft:a");
        flag(MIDNIGHT, "support");
        flag(MIDNIGHT, "other");
        usage.setDrift(new Map([[1, 0.9]])); // the 23:59:59 question, far from the training data

        const range = dayRange(NOW, 2);
        assert.deepEqual(range.days, ["2026-06-14", "2026-06-15"]);
        const thresholds = new Map([
          ["ft:a", 0.5],
          ["ft:b", 0.5],
        ]);
        const [before, after] = dailyCounts(db, nameScope(support), range, thresholds);
        assert.deepEqual(before, {
          day: "2026-06-14",
          requests: 1,
          thumbs_up: 1,
          thumbs_down: 0,
          wrong: 0,
          flags: 1,
          mean_answer_chars: 10,
          drift_checked: 1,
          unfamiliar: 1,
        });
        assert.deepEqual(after, {
          day: "2026-06-15",
          requests: 3,
          thumbs_up: 0,
          thumbs_down: 1,
          wrong: 1,
          flags: 1,
          mean_answer_chars: 22.5,
          drift_checked: 0,
          unfamiliar: 0,
        });

        // a model id: what that model answered, however it was asked for
        const v2 = dailyCounts(db, modelScope("ft:b"), range, thresholds);
        assert.deepEqual(
          v2.map((d) => [d.day, d.requests, d.thumbs_down, d.flags]),
          [
            ["2026-06-14", 0, 0, 0],
            ["2026-06-15", 3, 1, 0],
          ],
        );
        db.close();
      });
  });
