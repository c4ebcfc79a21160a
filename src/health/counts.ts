/**
 * The report's numbers, per UTC day, from the tables that hold them:
 * - requests and answer length: `model_usage` (one row per answer, written by the routes);
 * - thumbs up/down and wrong answers: `review_items`, the one table that holds the feedback of both
 *   kept completions and assistants' conversations, with the model as asked and the version that
 *   answered (the feedback counts on the day it was given; a changed rating counts once, as it is now);
 * - moderation flags: `moderation_flags` (which names the model only as asked);
 * - drift: the distances stored in `model_usage.drift`, against each version's own threshold.
 */
import { z } from "zod";
import { RATINGS } from "../../protocol/assistants.ts";
import type { HealthDay } from "../../protocol/health.ts";
import { isPostgres, type SqlDb } from "../store/sql.ts";
import type { Scope } from "./scope.ts";

const DAY_SECONDS = 86_400;
/** The UTC day (YYYY-MM-DD) of a column in Unix seconds, in SQL; whatever the session's time zone. */
const day = (db: SqlDb, col: string) =>
  isPostgres(db)
    ? `to_char(to_timestamp(${col}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
    : `strftime('%Y-%m-%d', ${col}, 'unixepoch')`;

/** The feedback as review items store it; anything unreadable counts as no feedback. */
const StoredFeedback = z.object({
  rating: z.enum(RATINGS).nullable().optional(),
  wrong: z.boolean().optional(),
  correction: z.string().nullable().optional(),
});

/** YYYY-MM-DD of a time in seconds (UTC). */
export function dayOf(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/** The `count` days ending with the day of `now` (seconds), oldest first, and where they start and end. */
export function dayRange(now: number, count: number): { days: string[]; from: number; to: number } {
  const today = Math.floor(now / DAY_SECONDS) * DAY_SECONDS;
  const from = today - (count - 1) * DAY_SECONDS;
  const days = Array.from({ length: count }, (_, i) => dayOf(from + i * DAY_SECONDS));
  return { days, from, to: today + DAY_SECONDS };
}

const empty = (d: string): HealthDay => ({
  day: d,
  requests: 0,
  thumbs_up: 0,
  thumbs_down: 0,
  wrong: 0,
  flags: 0,
  mean_answer_chars: null,
  drift_checked: 0,
  unfamiliar: 0,
});

/**
 * The scope's numbers for each day of `range`. `thresholds` gives each model's drift threshold; a
 * distance of a model with none (no training data) is not counted.
 */
export function dailyCounts(
  db: SqlDb,
  scope: Scope,
  range: { days: string[]; from: number; to: number },
  thresholds: ReadonlyMap<string, number>,
): HealthDay[] {
  const byDay = new Map(range.days.map((d) => [d, empty(d)]));
  const at = (d: string) => byDay.get(d);
  const window = [range.from, range.to];

  const usage = db
    .prepare(
      `SELECT ${day(db, "at")} AS day, COUNT(*) AS requests, AVG(answer_chars) AS mean
       FROM model_usage WHERE at >= ? AND at < ? AND ${scope.sql} GROUP BY day`,
    )
    .all(...window, ...scope.params) as { day: string; requests: number; mean: number | null }[];
  for (const u of usage) {
    const d = at(u.day);
    if (!d) continue;
    d.requests = u.requests;
    d.mean_answer_chars = u.mean === null ? null : Math.round(u.mean * 10) / 10;
  }

  const feedback = db
    .prepare(
      `SELECT ${day(db, "created_at")} AS day, feedback_json AS json FROM review_items
       WHERE created_at >= ? AND created_at < ? AND ${scope.sql}`,
    )
    .all(...window, ...scope.params) as { day: string; json: string }[];
  for (const f of feedback) {
    const d = at(f.day);
    const parsed = d ? StoredFeedback.safeParse(safeJson(f.json)) : null;
    if (!d || !parsed?.success) continue;
    if (parsed.data.rating === "up") d.thumbs_up++;
    if (parsed.data.rating === "down") d.thumbs_down++;
    if (parsed.data.wrong || parsed.data.correction) d.wrong++;
  }

  const flags = db
    .prepare(
      `SELECT ${day(db, "created_at")} AS day, COUNT(*) AS n FROM moderation_flags
       WHERE created_at >= ? AND created_at < ? AND ${scope.askedSql} GROUP BY day`,
    )
    .all(...window, ...scope.askedParams) as { day: string; n: number }[];
  for (const f of flags) {
    const d = at(f.day);
    if (d) d.flags = f.n;
  }

  const drift = db
    .prepare(
      `SELECT ${day(db, "at")} AS day, resolved_model AS model, drift FROM model_usage
       WHERE drift IS NOT NULL AND at >= ? AND at < ? AND ${scope.sql}`,
    )
    .all(...window, ...scope.params) as { day: string; model: string; drift: number }[];
  for (const q of drift) {
    const d = at(q.day);
    const threshold = thresholds.get(q.model);
    if (!d || threshold === undefined) continue;
    d.drift_checked++;
    if (q.drift > threshold) d.unfamiliar++;
  }
  return [...byDay.values()];
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
