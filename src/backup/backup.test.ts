/**
 * Backups of a home made by hand (no engine): what is taken and what is left out, a restore into
 * another place (paths moved, modes kept, running jobs handed back), and damaged archives (a byte
 * changed in a tar header, in the manifest, in a file, in the trailer; a cut-short file), each of
 * which restores nothing.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import { isTailorError } from "../errors/index.ts";
import { openDb } from "../store/index.ts";
import { createBackup, readArchive, restoreBackup } from "./index.ts";
import { replacePaths } from "./relocate.ts";

const root = mkdtempSync(join(tmpdir(), "tailor-backup-unit-"));
const home = join(root, "home");
const weights = randomBytes(300_000);

function put(rel: string, content: string | Buffer, mode = 0o644): void {
  const file = join(home, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content, { mode });
}

function makeHome(): void {
  const db = openDb(home);
  db.prepare(
    `INSERT INTO jobs (id, status, created_at, base, model_name, training_file, spec_json, lease_owner, lease_expires_ms)
     VALUES ('ftjob-1', 'running', 1, 'tiny', 'm1', 'file-1', ?, 'worker-old', ?)`,
  ).run(JSON.stringify({ base_source: { path: `${home}/models/tiny` } }), Date.now() + 3_600_000);
  db.prepare(
    `INSERT INTO job_checkpoints (id, job_id, step, epoch, path, created_at)
     VALUES ('ftckpt-1', 'ftjob-1', 10, 0.5, ?, 1)`,
  ).run(`${home}/runs/ftjob-1/checkpoints/step-000010`);
  db.prepare(
    "INSERT INTO workers (id, pid, host, started_at, heartbeat_ms) VALUES ('worker-old', 1, 'h', 1, 1)",
  ).run();
  db.close();
  put("admin.key", "tailor-admin-secret\n", 0o600);
  put(`blobs/sha256/ab/${"c".repeat(62)}`, "a stored upload\n");
  put("models/m1/adapter_model.safetensors", weights);
  put("models/m1/tailor-model.json", JSON.stringify({ source: { path: `${home}/models/tiny` } }));
  put("models/m1/MODEL_CARD.md", `trained from ${home}/models/tiny; not ${home}2/models/x\n`);
  put("runs/ftjob-1/checkpoints/step-000010/trainer_state.pt", randomBytes(5000));
  put("cache/gguf/big.safetensors", randomBytes(1000));
  put("models/.tmp-ftjob-2-abcd/adapter_model.safetensors", "half written");
  put(`blobs/sha256/ab/${"d".repeat(62)}.tmp-1a2b3c4d`, "half written");
  put("tmp/upload-1-aaaa/part", "half written");
}

makeHome();
const archive = join(root, "backup.tar");
const backup = createBackup({ home, out: archive });

describe("backup", () => {
  test("takes the database and the home's files with their hashes, and leaves out caches and writes in progress", async () => {
    const r = await backup;
    assert.deepEqual(r.running_jobs, ["ftjob-1"]);
    const check = await readArchive(archive);
    assert.deepEqual(check.problems, []);
    const paths = check.manifest?.files.map((f) => f.path).sort();
    assert.deepEqual(paths, [
      "admin.key",
      `blobs/sha256/ab/${"c".repeat(62)}`,
      "models/m1/MODEL_CARD.md",
      "models/m1/adapter_model.safetensors",
      "models/m1/tailor-model.json",
      "runs/ftjob-1/checkpoints/step-000010/trainer_state.pt",
      "tailor.db",
    ]);
    for (const gone of ["cache", "tmp", "models/.tmp-ftjob-2-abcd"])
      assert.ok(check.manifest?.excluded.includes(gone), gone);
    assert.equal(check.manifest?.home, home);
    await assert.rejects(createBackup({ home, out: archive }), /already exists/);
  });

  test("restores into another place: same bytes and modes, paths moved, the running job handed back", async () => {
    await backup;
    const target = join(root, "elsewhere", "home");
    const r = await restoreBackup({ file: archive, home: target });
    assert.deepEqual(r.resumable_jobs, ["ftjob-1"]);
    assert.deepEqual(readFileSync(join(target, "models/m1/adapter_model.safetensors")), weights);
    assert.equal(statSync(join(target, "admin.key")).mode & 0o777, 0o600);
    assert.equal(existsSync(join(target, "cache")), false);
    const manifest = JSON.parse(readFileSync(join(target, "models/m1/tailor-model.json"), "utf8"));
    assert.equal(manifest.source.path, `${target}/models/tiny`);
    assert.equal(
      readFileSync(join(target, "models/m1/MODEL_CARD.md"), "utf8"),
      `trained from ${target}/models/tiny; not ${home}2/models/x\n`,
    );
    const db = new Database(join(target, "tailor.db"), { readonly: true });
    const job = db.prepare("SELECT * FROM jobs").get() as Record<string, unknown>;
    assert.equal(JSON.parse(job.spec_json as string).base_source.path, `${target}/models/tiny`);
    assert.equal(job.status, "running");
    assert.equal(job.lease_expires_ms, 0, "the dead worker's lease is over");
    const ckpt = db.prepare("SELECT path FROM job_checkpoints").get() as { path: string };
    assert.equal(ckpt.path, `${target}/runs/ftjob-1/checkpoints/step-000010`);
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM workers").get() as { n: number }).n, 0);
    const event = db.prepare("SELECT message FROM job_events").get() as { message: string };
    assert.match(event.message, /^restored from the backup of .*the next worker resumes it/);
    db.close();
    assert.deepEqual(
      readdirSync(dirname(target)).filter((n) => n.includes("restore")),
      [],
      "no temporary folder left",
    );

    await assert.rejects(restoreBackup({ file: archive, home: target }), (e) => {
      assert.ok(isTailorError(e) && e.code === "conflict");
      assert.match(
        e.message,
        /is not empty \(.*admin\.key.*\); restore into an empty or new folder/,
      );
      return true;
    });
  });

  test("a compressed backup (.tar.gz) restores the same", async () => {
    const gz = join(root, "backup.tar.gz");
    await createBackup({ home, out: gz });
    assert.deepEqual([...readFileSync(gz).subarray(0, 2)], [0x1f, 0x8b]);
    const target = join(root, "from-gz");
    mkdirSync(target); // an existing empty folder is fine
    await restoreBackup({ file: gz, home: target });
    assert.deepEqual(readFileSync(join(target, "models/m1/adapter_model.safetensors")), weights);
  });

  test("one damaged byte anywhere, or a cut-short archive, restores nothing and says what is wrong", async () => {
    await backup;
    const bytes = readFileSync(archive);
    const headerOf = (name: string) => bytes.indexOf(Buffer.from(`${name}\0`));
    const cases: [string, Buffer, RegExp][] = [];
    const flip = (at: number) => {
      const b = Buffer.from(bytes);
      b[at] = (b[at] as number) ^ 0x20;
      return b;
    };
    const weightsAt = headerOf("models/m1/adapter_model.safetensors");
    cases.push([
      "a file's bytes",
      flip(weightsAt + 512 + 4096),
      /models\/m1\/adapter_model\.safetensors: sha256 /,
    ]);
    cases.push(["the manifest", flip(headerOf("manifest.json") + 512 + 40), /manifest\.json/]);
    cases.push(["a tar header", flip(headerOf("admin.key") + 20), /admin\.key|cannot be read/]);
    cases.push([
      "the trailer",
      flip(headerOf("manifest.sha256") + 512 + 3),
      /manifest\.json: sha256 .*manifest\.sha256 says/,
    ]);
    cases.push([
      "a cut-short file",
      bytes.subarray(0, weightsAt + 512 + 1000),
      /cannot be read to its end|missing/,
    ]);
    for (const [what, content, says] of cases) {
      const bad = join(root, `bad-${what.replaceAll(" ", "-")}.tar`);
      writeFileSync(bad, content);
      const target = join(root, `never-${what.replaceAll(" ", "-")}`);
      await assert.rejects(restoreBackup({ file: bad, home: target }), (e) => {
        assert.ok(isTailorError(e) && e.code === "data_invalid", `${what}: ${e}`);
        assert.match(e.message, /is damaged, so nothing was restored/, what);
        assert.match(e.message, says, what);
        return true;
      });
      assert.equal(existsSync(target), false, `${what}: nothing was created`);
    }
    assert.deepEqual(
      readdirSync(root).filter((n) => n.includes(".restore-")),
      [],
      "no temporary folder left",
    );
  });

  test("paths are moved only where the old home is a whole path", () => {
    assert.equal(replacePaths('{"p":"/a/home/models"}', "/a/home", "/b/h"), '{"p":"/b/h/models"}');
    assert.equal(replacePaths("/a/home2/x and /a/home", "/a/home", "/b/h"), "/a/home2/x and /b/h");
  });
});
