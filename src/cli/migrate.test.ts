/**
 * `tailor migrate --to postgres://… --shared DIR`: a home on SQLite, with a trained model, a queued
 * job and an API key, copied into a real Postgres (started here) and a shared folder. Afterwards the
 * same commands on TAILOR_DATABASE_URL and TAILOR_SHARED_DIR list the same jobs and datasets and the
 * model answers; a second copy into the same database is refused, and so is a URL that is not Postgres.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startPostgres, type TestPostgres } from "../store/postgres/__fixtures__/embedded.ts";
import { chatLine, cliSandbox } from "./__fixtures__/cli.ts";

const env: NodeJS.ProcessEnv = { HF_HUB_OFFLINE: "1" };
const { tailor, file, tiny, trainTiny } = cliSandbox("tailor-cli-migrate-", env);
const shared = mkdtempSync(join(tmpdir(), "tailor-cli-migrate-shared-"));
let server: TestPostgres | null = null;

before(async () => {
  server = await startPostgres();
  tiny();
});
after(async () => {
  await server?.stop();
  rmSync(shared, { recursive: true, force: true });
});

describe("tailor migrate", () => {
  test("a SQLite home into Postgres and a shared folder, checked; then used from there", async () => {
    const data = file(
      "migrate.jsonl",
      `${Array.from({ length: 12 }, (_, i) => chatLine(`migrate question ${i}?`, `Answer ${i % 3}.`)).join("\n")}\n`,
    );
    trainTiny("moved", data);
    assert.equal(tailor("train", "--base", "tiny", "--data", data, "--name", "queued").code, 0);
    assert.equal(tailor("keys", "create", "--name", "team", "--role", "member").code, 0);
    const before = {
      jobs: tailor("jobs", "list", "--json").stdout,
      data: tailor("data", "list", "--json").stdout,
      keys: tailor("keys", "list", "--json").stdout,
    };
    const url = await (server as TestPostgres).database("tailor_moved");

    const moved = tailor("migrate", "--to", url, "--shared", shared, "--json");
    assert.equal(moved.code, 0, moved.stderr);
    const report = JSON.parse(moved.stdout) as {
      tables: { table: string; rows: number; sha256: string }[];
      rows: number;
      files: { files: number; bytes: number };
    };
    const rows = Object.fromEntries(report.tables.map((t) => [t.table, t.rows]));
    assert.equal(rows.jobs, 2);
    assert.equal(rows.datasets, 1);
    assert.equal(rows.api_keys, 1);
    assert.ok((rows.job_events ?? 0) > 10, "the trained job's events and curve");
    assert.ok(report.files.files > 3 && report.files.bytes > 0, JSON.stringify(report.files));

    // the same answers from Postgres and the shared folder
    const there = { ...env, TAILOR_DATABASE_URL: url, TAILOR_SHARED_DIR: shared };
    const after = cliSandbox("tailor-cli-migrate-after-", there);
    assert.equal(after.tailor("jobs", "list", "--json").stdout, before.jobs);
    assert.equal(after.tailor("data", "list", "--json").stdout, before.data);
    assert.equal(after.tailor("keys", "list", "--json").stdout, before.keys);
    const answer = after.tailor(
      "generate",
      "moved",
      "--prompt",
      "migrate question 1?",
      "--max-tokens",
      "8",
    );
    assert.equal(answer.code, 0, answer.stderr);
    // and new rows go on after the copied ones (identity sequences moved on)
    assert.equal(
      after.tailor("train", "--base", "tiny", "--data", data, "--name", "after").code,
      0,
    );
    assert.equal(JSON.parse(after.tailor("jobs", "list", "--json").stdout).length, 3);

    const again = tailor("migrate", "--to", url);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /the Postgres database is not empty \(its table \w+ has \d+ row/);
    const wrong = tailor("migrate", "--to", "mysql://localhost/tailor");
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /--to must be a Postgres URL/);
  });
});
