/**
 * `tailor models name|names|versions|promote|rollback` on a real TAILOR_HOME (SQLite, the tiny
 * model and a built-in base, never loaded): a name made, a version added that does not answer until
 * promoted, the versions with the current one marked and the history with who and why, rollback,
 * refusals in words with their exit codes, `models show` of a name, --json, the audit log; bin/tailor
 * once, the rest in process.
 */
import assert from "node:assert/strict";
import { userInfo } from "node:os";
import { test } from "node:test";
import { ModelNameDetail } from "../../../protocol/api/model-names.ts";
import { ModelName } from "../../../protocol/versions.ts";
import { resolveModelRef } from "../../jobs/index.ts";
import { withServices } from "../../services/index.ts";
import { type CliResult, cliSandbox } from "../__fixtures__/cli.ts";
import { main } from "../main.ts";

const { home, tailor, tiny } = cliSandbox("tailor-models-names-cli-");
tiny();
process.env.TAILOR_HOME = home;
const BASE = "smollm2-135m-instruct";
const WHO = `cli:${userInfo().username || "local"}`;

/** One command line in this process, as `main` runs it (exit codes mapped), its output captured. */
async function run(...args: string[]): Promise<CliResult> {
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
async function ok(...args: string[]): Promise<CliResult> {
  const r = await run(...args);
  assert.equal(r.code, 0, `tailor ${args.join(" ")}: ${r.stderr}${r.stdout}`);
  return r;
}

test("name, add a version, promote, roll back: what each prints, the versions and their history", async () => {
  let r = await ok("models", "name", "support", "tiny", "--why", "our support answers");
  assert.equal(r.stderr.trim(), "support v1 answers with tiny");

  r = await ok("models", "name", "support", BASE, "--why", "trained on the new price list");
  assert.equal(
    r.stderr.trim(),
    "support v2 added (not answering yet: tailor models promote support v2)",
  );

  // bin/tailor itself, as a user runs it
  const bin = tailor("models", "versions", "support");
  assert.equal(bin.code, 0, bin.stderr);
  const lines = bin.stdout.split("\n");
  assert.match(
    lines[0] ?? "",
    /^support: v1 answers \(tiny\); owner local; chat completions not kept/,
  );
  assert.match(bin.stdout, /^\*\s+v1\s+tiny\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+cli:\S+\s+added\s+-$/m);
  assert.match(bin.stdout, /^\s+v2\s+smollm2-135m-instruct\s+.*\s+added\s+-$/m);
  assert.match(bin.stdout, /history:\n.*made with v1\s+cli:\S+\s+"our support answers"/);
  assert.match(bin.stdout, /v2 added\s+cli:\S+\s+"trained on the new price list"/);

  r = await ok("models", "promote", "support", "v2", "--why", "better on the new prices");
  assert.equal(r.stderr.trim(), `support now answers with v2 (${BASE})`);
  r = await ok("models", "show", "support");
  assert.equal(r.stderr.trim(), `support is support v2: ${BASE}`);
  assert.match(r.stdout, new RegExp(`name\\s+${BASE}`));
  r = await ok("models", "show", "support@v1", "--json");
  assert.equal(JSON.parse(r.stdout).name, "tiny", "a pinned version");

  r = await ok("models", "rollback", "support", "--why", "customers complained");
  assert.equal(r.stderr.trim(), "support rolled back from v2 to v1 (tiny)");

  const d = ModelNameDetail.parse(
    JSON.parse((await ok("models", "versions", "support", "--json")).stdout),
  );
  assert.equal(d.current, 1);
  assert.deepEqual(
    d.history.map((e) => [e.action, e.to_version, e.who, e.why]),
    [
      ["create", 1, WHO, "our support answers"],
      ["add", 2, WHO, "trained on the new price list"],
      ["promote", 2, WHO, "better on the new prices"],
      ["rollback", 1, WHO, "customers complained"],
    ],
  );
  r = await ok("models", "versions", "support");
  assert.match(r.stdout, /promoted v2 \(was v1\)\s+cli:\S+\s+"better on the new prices"/);
  assert.match(r.stdout, /rolled back to v1 \(from v2\)\s+cli:\S+\s+"customers complained"/);

  const audited = withServices(home, (s) => s.audit.list({ action: "model_names" }))
    .reverse()
    .map((e) => [e.action, e.target, e.client, e.details?.why]);
  assert.deepEqual(audited, [
    ["model_names.create", "support", "cli", "our support answers"],
    ["model_names.add", "support", "cli", "trained on the new price list"],
    ["model_names.promote", "support", "cli", "better on the new prices"],
    ["model_names.rollback", "support", "cli", "customers complained"],
  ]);
});

test("--json, storage flags, a version promoted at once, the list of names", async () => {
  let r = await ok(
    "models",
    "name",
    "sales",
    "tiny",
    "--store-completions",
    "--retention-days",
    "7",
    "--owner",
    "alice",
    "--json",
  );
  const n = ModelName.parse(JSON.parse(r.stdout));
  assert.deepEqual(
    [n.owner, n.store_completions, n.retention_days, n.current],
    ["alice", true, 7, 1],
  );
  r = await ok("models", "name", "sales", BASE, "--promote");
  assert.equal(r.stderr.trim(), `sales v2 added and answering (${BASE})`);
  r = await ok("models", "name", "sales", "--no-store-completions", "--retention-days", "3");
  assert.equal(r.stderr.trim(), "sales: chat completions not kept unless asked");
  const audited = withServices(home, (s) => s.audit.list({ action: "model_names.settings" }));
  assert.deepEqual(audited[0]?.details, { store_completions: false, retention_days: 3 });
  r = await ok("models", "names");
  assert.match(r.stdout, new RegExp(`^sales\\s+v2\\s+${BASE}\\s+2\\s+alice$`, "m"));
  assert.match(r.stdout, /^support\s+v1\s+tiny\s+2\s+local$/m);
});

test("refusals say what to do, with the error's exit code", async () => {
  await ok("models", "name", "fresh", "tiny");
  const cases: [string[], number, RegExp][] = [
    [["models", "rollback", "fresh", "--why", "undo"], 12, /fresh has answered with v1 only/],
    [["models", "promote", "fresh", "v1", "--why", "again"], 12, /already the version answering/],
    [["models", "promote", "fresh", "v7", "--why", "x"], 3, /fresh has no v7; it has v1/],
    [
      ["models", "promote", "fresh", "seven", "--why", "x"],
      2,
      /'seven' is not a version; write it as v2/,
    ],
    [["models", "promote", "fresh", "v1"], 2, /--why/],
    [["models", "promote", "nope", "v1", "--why", "x"], 3, /no model name 'nope'/],
    [["models", "name", "tiny", BASE], 12, /already a model's id/],
    [["models", "name", "ft:tiny:x", "tiny"], 2, /fine-tuned model id/],
    [["models", "name", "other", "missing"], 5, /the model 'missing' does not exist/],
    [["models", "name", "other", "fresh"], 2, /a model name, not a model/],
    [["models", "name", "fresh", "tiny", "--owner", "bob"], 12, /owned by local/],
    [["models", "name", "other", "tiny", "--retention-days", "0"], 2, /retention-days/],
    [["models", "name", "fresh"], 2, /nothing to change/],
    [["models", "name", "other"], 2, /give the model it answers with/],
  ];
  for (const [args, code, text] of cases) {
    const r = await run(...args);
    assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}${r.stdout}`);
    assert.match(r.stderr, text, args.join(" "));
  }
});

test("a name stands for its current version in the CLI's other commands (chat, eval, assistants)", async () => {
  await ok("models", "name", "helpdesk", "tiny", "--why", "the help desk's model");
  // tailor chat / eval resolve a model reference through resolveModelRef
  withServices(home, (s) => {
    assert.equal(resolveModelRef(s, "helpdesk").name, "tiny");
    assert.equal(resolveModelRef(s, "helpdesk@v1").name, "tiny");
    assert.equal(resolveModelRef(s, "tiny").name, "tiny", "a model's own id is itself");
  });
  const made = await ok("assistants", "create", "--name", "Desk", "--model", "helpdesk", "--json");
  // the assistant keeps the name, so it follows promotions
  assert.equal(JSON.parse(made.stdout).settings.model, "helpdesk");
});
