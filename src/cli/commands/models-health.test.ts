/**
 * `tailor models health` through bin/tailor on a real TAILOR_HOME: a model name's use over two
 * weeks (rows as the routes write them, and a flag) as sentences, sparklines and the last week's
 * table; --json as the API's report; an unknown name and bad --days refused in words.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { HealthReport } from "../../../protocol/health.ts";
import { openServices } from "../../services/index.ts";
import { cliSandbox } from "../__fixtures__/cli.ts";
import { sparkline } from "./models-health.ts";

const { home, tiny, tailor } = cliSandbox("tailor-models-health-");
const DAY = 86_400;
const now = Math.floor(Date.now() / 1000);

before(() => {
  tiny();
  const s = openServices(home);
  try {
    s.modelNames.create("support", "local", "tiny", "local", "first version");
    // 2 requests a day the week before, 5 a day this week (today too)
    for (let d = 13; d >= 0; d--)
      for (let i = 0; i < (d < 7 ? 5 : 2); i++)
        s.usage.record(
          {
            model: "support",
            resolvedModel: "tiny",
            channel: "chat",
            answerChars: 80,
            question: null,
          },
          now - d * DAY,
        );
    s.db
      .prepare(
        `INSERT INTO moderation_flags (id, created_at, policy_name, stage, action, hits_json, model, excerpt)
         VALUES ('flag_1', ?, 'p', 'input', 'blocked', '[]', 'support', '…')`,
      )
      .run(now);
  } finally {
    s.close();
  }
});
after(() => rmSync(home, { recursive: true, force: true }));

describe("tailor models health", () => {
  test("sparkline: · for none, bars by share of the largest, blank for nothing measured", () => {
    assert.equal(sparkline([0, 1, 2, 4, 8, null]), "·▁▂▄█ ");
    assert.equal(sparkline([0, 0]), "··");
  });

  test("the summary, sparklines and the last week in the terminal; --json is the API's report", () => {
    const r = tailor("models", "health", "support", "--days", "14");
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, /^support \(version tiny\): \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d \(UTC\)/);
    assert.match(out, /35 requests in the last 7 days, up 150% from 14 the week before\./);
    assert.match(out, /Moderation flagged 1 request \(none the week before\)\./);
    assert.match(out, /Nothing suggests support is out of date/);
    assert.match(out, /requests\s+▄{7}█{7}\s+49\s+35/);
    assert.match(out, /flags\s+·{13}█\s+1\s+1/);
    const today = new Date(now * 1000).toISOString().slice(0, 10);
    assert.match(out, new RegExp(`${today}\\s+5\\s+0\\s+0\\s+0\\s+1\\s+80\\s+-`));
    assert.equal(out.match(/^\d{4}-\d\d-\d\d /gm)?.length, 7);

    const j = tailor("models", "health", "support", "--days", "14", "--json");
    assert.equal(j.code, 0, j.stderr);
    const report = HealthReport.parse(JSON.parse(j.stdout));
    assert.equal(report.days.length, 14);
    assert.equal(
      report.days.reduce((s, d) => s + d.requests, 0),
      49,
    );
    assert.equal(report.out_of_date, false);
  });

  test("an unknown name and bad --days are refused in words", () => {
    const r = tailor("models", "health", "nothing-here");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no model or model name 'nothing-here'; `tailor models list`/);
    const d = tailor("models", "health", "support", "--days", "0");
    assert.notEqual(d.code, 0);
    assert.match(d.stderr, /--days must be a whole number above 0/);
    const big = tailor("models", "health", "support", "--days", "400");
    assert.match(big.stderr, /--days must be at most 365/);
  });
});
