/**
 * `tailor backup` and `tailor restore` as a user runs them: a backup taken while a real worker trains
 * the tiny model, the worker killed, the archive restored into an empty folder elsewhere, and a new
 * worker there finishing the job from the checkpoint the backup holds (not from step 0); then a
 * damaged archive, which restores nothing.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { openServices } from "../services/index.ts";
import { chatLine, cliSandbox, until } from "./__fixtures__/cli.ts";

const BIN = fileURLToPath(new URL("../../bin/tailor", import.meta.url));
const ENV = { HF_HUB_OFFLINE: "1" };
const { home, tailor, file, tiny } = cliSandbox("tailor-cli-backup-", ENV);
const out = mkdtempSync(join(tmpdir(), "tailor-backup-out-"));
const restored = join(out, "restored-home");
const archive = join(out, "home.tar");
const STEPS = 96; // 24 examples (too few for a held-out split), batch 1, 4 epochs

/** A worker in its own process group, so that killing the group also kills its engine. */
function startWorker(
  tailorHome: string,
  ...args: string[]
): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [BIN, "worker", ...args], {
    env: { ...process.env, ...ENV, TAILOR_HOME: tailorHome },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c));
  child.stderr?.on("data", (c: Buffer) => (output += c));
  return Object.assign(child, { output: () => output });
}

const workers: ChildProcess[] = [];
after(() => {
  for (const w of workers)
    if (w.exitCode === null && w.signalCode === null && w.pid) process.kill(-w.pid, "SIGKILL");
});

describe("tailor backup and tailor restore", () => {
  before(() => tiny());

  test("a backup taken while a job trains restores elsewhere, and a worker there resumes the job from its checkpoint", async (t) => {
    const data = file(
      "backup.jsonl",
      `${Array.from({ length: 24 }, (_, i) => chatLine(`question ${i}?`, `Answer ${i % 3}.`)).join("\n")}\n`,
    );
    const made = tailor(
      "train",
      "--base",
      "tiny",
      "--data",
      data,
      "--epochs",
      "4",
      "--batch-size",
      "1",
      "--checkpoint-every",
      "10",
      "--name",
      "backed-up",
      "--json",
    );
    assert.equal(made.code, 0, made.stderr);
    const id = (JSON.parse(made.stdout) as { id: string }).id;

    const first = startWorker(home, "--lease-seconds", "2");
    workers.push(first);
    const svc = openServices(home);
    await until(() => svc.jobs.events.checkpoints(id).length > 0, 180_000, "a first checkpoint");
    svc.close();

    const startedAt = Date.now();
    const b = tailor("backup", "--out", archive, "--json");
    const backupSeconds = (Date.now() - startedAt) / 1000;
    assert.equal(b.code, 0, b.stderr);
    const backup = JSON.parse(b.stdout) as {
      file: string;
      bytes: number;
      files: number;
      running_jobs: string[];
    };
    assert.deepEqual(
      backup.running_jobs,
      [id],
      "the job was still training when the backup was taken",
    );
    process.kill(-(first.pid as number), "SIGKILL"); // the original worker and its engine die
    await once(first, "exit");

    const r = tailor("restore", archive, "--home", restored, "--json");
    assert.equal(r.code, 0, r.stderr);
    const back = JSON.parse(r.stdout) as { files: number; resumable_jobs: string[]; from: string };
    assert.deepEqual(back.resumable_jobs, [id]);
    assert.equal(back.files, backup.files);

    const second = startWorker(restored, "--once");
    workers.push(second);
    const [code] = await once(second, "exit");
    assert.equal(code, 0, second.output());

    const there = openServices(restored);
    const job = there.jobs.get(id);
    assert.equal(job.status, "succeeded", `${JSON.stringify(job.error)}\n${second.output()}`);
    const events = there.jobs.events.list(id);
    const messages = events.map((e) => e.message);
    const restoredAt = events.findIndex((e) => /^restored from the backup of /.test(e.message));
    assert.ok(restoredAt >= 0, messages.join("\n"));
    const resumed = events.findIndex((e) =>
      /resuming from the checkpoint at step \d+/.test(e.message),
    );
    assert.ok(resumed > restoredAt, messages.join("\n"));
    const from = Number(/step (\d+)/.exec(events[resumed]?.message ?? "")?.[1]);
    assert.ok(from >= 10 && from < STEPS, `resumed from step ${from}`);
    t.diagnostic(
      `backup: ${backup.files} files, ${backup.bytes} bytes, ${backupSeconds.toFixed(1)} s (the command); resumed from step ${from} of ${STEPS}`,
    );
    const steps = events.filter((e) => e.type === "metrics").map((e) => e.data.step);
    assert.deepEqual(
      steps,
      Array.from({ length: STEPS }, (_, i) => i + 1),
      "one continuous curve",
    );
    const trainedHere = events
      .slice(resumed)
      .filter((e) => e.type === "metrics")
      .map((e) => e.data.step);
    assert.equal(
      trainedHere[0],
      from + 1,
      "the new worker went on after the checkpoint, not from step 1",
    );
    assert.equal(trainedHere.length, STEPS - from);
    // the store's paths now point into the restored home
    for (const c of there.jobs.events.checkpoints(id))
      assert.ok(c.path.startsWith(restored), c.path);
    const model = job.fine_tuned_model as string;
    there.close();

    const gen = spawnTailor(
      restored,
      "generate",
      model,
      "--prompt",
      "question 1?",
      "--max-tokens",
      "5",
    );
    assert.equal(gen.code, 0, gen.stderr);
    assert.ok(gen.stdout.trim().length > 0);
  });

  test("a damaged archive restores nothing and names the damaged file; a home in use is refused", () => {
    const bytes = readFileSync(archive);
    const name = Buffer.from("models/tiny/model.safetensors\0");
    const header = bytes.indexOf(name);
    assert.ok(header >= 0 && header % 512 === 0, "the file's tar header");
    const damaged = Buffer.from(bytes);
    const at = header + 512 + 1000; // one byte of the weights
    damaged[at] = (damaged[at] as number) ^ 0x01;
    const bad = join(out, "damaged.tar");
    writeFileSync(bad, damaged);

    const target = mkdtempSync(join(tmpdir(), "tailor-restore-target-"));
    const r = spawnTailor(target, "restore", bad);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /is damaged, so nothing was restored/);
    assert.match(
      r.stderr,
      /models\/tiny\/model\.safetensors: sha256 [0-9a-f]{64}, the manifest says/,
    );
    assert.deepEqual(readdirSync(target), [], "the home is left empty");
    const siblings = readdirSync(dirname(target)).filter((n) => n.includes(".restore-"));
    assert.deepEqual(
      siblings.filter((n) => n.startsWith(`.${target.split("/").pop()}`)),
      [],
    );

    const inUse = tailor("restore", archive);
    assert.equal(inUse.code, 12);
    assert.match(inUse.stderr, /is not empty .*restore into an empty or new folder/);
    assert.ok(existsSync(join(home, "tailor.db")));
  });
});

/** `tailor` against another home than the sandbox's. */
function spawnTailor(tailorHome: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...ENV, TAILOR_HOME: tailorHome },
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
