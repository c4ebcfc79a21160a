/**
 * `tailor keys` and `tailor audit`: in-process on a fresh commander program (what `main` does,
 * minus the exit-code mapping), and through `bin/tailor` once main.ts registers the commands.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Command, CommanderError } from "commander";
import { KeyStore } from "../../auth/index.ts";
import { TailorError } from "../../errors/index.ts";
import { openDb } from "../../store/index.ts";
import { cliSandbox } from "../__fixtures__/cli.ts";
import { registerAudit } from "./audit.ts";
import { registerKeys } from "./keys.ts";

interface Run {
  stdout: string;
  stderr: string;
  error?: unknown;
}

/** Runs one command line on a fresh program, capturing what it writes. */
async function run(...args: string[]): Promise<Run> {
  const program = new Command().name("tailor").exitOverride();
  registerKeys(program);
  registerAudit(program);
  const out: string[] = [];
  const err: string[] = [];
  const { write: writeOut } = process.stdout;
  const { write: writeErr } = process.stderr;
  process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof writeOut;
  process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof writeErr;
  try {
    await program.parseAsync(args, { from: "user" });
    return { stdout: out.join(""), stderr: err.join("") };
  } catch (error) {
    return { stdout: out.join(""), stderr: err.join(""), error };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

const json = <T>(r: Run): T => {
  assert.equal(r.error, undefined, r.stderr);
  return JSON.parse(r.stdout) as T;
};

describe("tailor keys and tailor audit, in process", () => {
  const home = mkdtempSync(join(tmpdir(), "tailor-cli-keys-"));
  const saved = process.env.TAILOR_HOME;
  before(() => {
    process.env.TAILOR_HOME = home;
  });
  after(() => {
    if (saved === undefined) delete process.env.TAILOR_HOME;
    else process.env.TAILOR_HOME = saved;
  });

  test("create prints the key once with a warning, list shows only its prefix, revoke disables it", async () => {
    const created = await run("keys", "create", "--role", "member", "--name", "support-team");
    assert.equal(created.error, undefined, created.stderr);
    const key = created.stdout.trim();
    assert.match(key, /^tailor-sk-[0-9a-f]{48}$/, "plain output is the key alone, for piping");
    assert.match(created.stderr, /only time the key is shown/);

    const made = json<{ id: string; key: string; role: string; owner: string }>(
      await run(
        "keys",
        "create",
        "--role",
        "viewer",
        "--name",
        "analyst",
        "--owner",
        "bi",
        "--json",
      ),
    );
    assert.equal(made.role, "viewer");
    assert.equal(made.owner, "bi");
    assert.match(made.key, /^tailor-sk-/);

    const listed = await run("keys", "list");
    assert.match(listed.stdout, /support-team\s+member\s+tailor-sk-[0-9a-f]{6}…/);
    assert.ok(!listed.stdout.includes(key) && !listed.stdout.includes(made.key));
    const all = json<{ id: string; status: string; hash?: string }[]>(
      await run("keys", "list", "--json"),
    );
    assert.deepEqual(
      all.map((k) => [k.status, "hash" in k]),
      [
        ["active", false],
        ["active", false],
      ],
    );

    const store = new KeyStore(openDb(home));
    assert.equal(store.verify(made.key)?.id, made.id);
    const revoked = json<{ status: string }>(await run("keys", "revoke", made.id, "--json"));
    assert.equal(revoked.status, "revoked");
    assert.equal(store.verify(made.key), null);
    store.db.close();

    const again = await run("keys", "revoke", made.id);
    assert.ok(again.error instanceof TailorError && again.error.code === "conflict");
    const active = json<unknown[]>(await run("keys", "list", "--active", "--json"));
    assert.equal(active.length, 1);
  });

  test("a missing or unknown role is refused before anything is made", async () => {
    const missing = await run("keys", "create", "--name", "x");
    assert.ok(missing.error instanceof CommanderError);
    assert.match(missing.stderr, /--role/);
    const unknown = await run("keys", "create", "--name", "x", "--role", "root");
    assert.ok(unknown.error instanceof CommanderError);
    assert.match(unknown.stderr, /admin, member, viewer/);
  });

  test("audit lists the CLI's key changes newest first, filtered and as a table", async () => {
    const entries = json<{ seq: number; action: string; client: string; at: number }[]>(
      await run("audit", "--json"),
    );
    assert.deepEqual(
      entries.map((e) => e.action),
      ["keys.revoke", "keys.create", "keys.create"],
    );
    assert.ok(entries.every((e) => e.client === "cli" && e.at > 1e12));
    assert.equal(
      json<unknown[]>(await run("audit", "--action", "keys.create", "--json")).length,
      2,
    );
    assert.equal(json<unknown[]>(await run("audit", "--limit", "1", "--json")).length, 1);
    assert.equal(json<unknown[]>(await run("audit", "--owner", "nobody", "--json")).length, 0);

    const table = await run("audit");
    assert.match(table.stdout.split("\n")[0] ?? "", /^SEQ\s+TIME \(UTC\)\s+WHO\s+ROLE\s+ACTION/);
    assert.match(table.stdout, /keys\.revoke\s+key-[0-9a-f]{16}\s+ok\s+-\s+cli/);
  });
});

// read, not imported: the in-process tests above must not depend on everything main.ts imports
const registered = /registerKeys\(program\)/.test(
  readFileSync(new URL("../main.ts", import.meta.url), "utf8"),
);

describe("tailor keys and tailor audit through bin/tailor", {
  skip: registered ? false : "registerKeys/registerAudit are not in main.ts yet",
}, () => {
  const { tailor } = cliSandbox("tailor-cli-keys-bin-");

  test("create, list, revoke, audit", () => {
    const created = tailor(
      "keys",
      "create",
      "--role",
      "member",
      "--name",
      "support-team",
      "--json",
    );
    assert.equal(created.code, 0, created.stderr);
    const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
    assert.match(created.stderr, /only time the key is shown/);

    const listed = tailor("keys", "list", "--json");
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(!listed.stdout.includes(key));
    assert.equal((JSON.parse(listed.stdout) as { id: string }[])[0]?.id, id);

    assert.equal(tailor("keys", "revoke", id).code, 0);
    const again = tailor("keys", "revoke", id);
    assert.equal(again.code, 12, "conflict");
    assert.match(again.stderr, /already revoked/);
    assert.equal(tailor("keys", "revoke", "key-0000000000000000").code, 3, "not found");
    assert.equal(tailor("keys", "create", "--name", "x").code, 2, "no --role");

    const audit = tailor("audit", "--json");
    assert.equal(audit.code, 0, audit.stderr);
    assert.deepEqual(
      (JSON.parse(audit.stdout) as { action: string }[]).map((e) => e.action),
      ["keys.revoke", "keys.create"],
    );
  });
});
