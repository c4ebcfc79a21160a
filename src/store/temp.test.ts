import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { sweepDead, tempName } from "./temp.ts";

test("sweepDead removes what ended processes left and keeps running writers' and other names", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tailor-temp-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // a process that has ended: its id is free (the kernel does not hand it out again at once)
  const dead = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], {
    encoding: "utf8",
  });
  const deadPid = Number(dead.stdout.trim());
  const mine = tempName("blob");
  assert.match(mine, new RegExp(`^blob-${process.pid}-[0-9a-f]{12}$`));
  const names = {
    deadFile: `blob-${deadPid}-0123456789ab`,
    deadFolder: `add-${deadPid}-abcdef012345`,
    deadEngine: `.tmp-create-m-${deadPid}-abcdef012345-x8k2j1`,
    mine,
    parent: `add-${process.ppid}-0123456789ab`,
    other: "notes.txt",
    shortRandom: `blob-${deadPid}-0123`,
  };
  for (const [k, n] of Object.entries(names)) {
    if (k.endsWith("Folder") || k === "deadEngine") mkdirSync(join(dir, n));
    else writeFileSync(join(dir, n), "x");
  }
  assert.deepEqual(sweepDead(dir).sort(), [names.deadFile, names.deadFolder].sort());
  assert.deepEqual(sweepDead(dir, "\\.tmp-.*"), [names.deadEngine]);
  assert.deepEqual(
    readdirSync(dir).sort(),
    [names.mine, names.parent, names.other, names.shortRandom].sort(),
  );
  assert.deepEqual(sweepDead(join(dir, "absent")), []);
});
