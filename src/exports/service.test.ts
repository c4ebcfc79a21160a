/**
 * ExportService on real SQLite with a fake engine: an export recorded, run in the background with
 * its progress, finished with its files; who sees which; failures in words; a server that stops
 * mid-export; the download (one GGUF file, or a .tar.gz that lists the folder). The system prompt
 * read from training files. Real engines: export.e2e.test.ts and the route's e2e test.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { list as tarList } from "tar";
import type { ExportRequest } from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";
import { openServices } from "../services/index.ts";
import { fakeEngine } from "./__fixtures__/fake-engine.ts";
import { ExportService, STOPPED } from "./service.ts";
import { fixedSystemPrompt } from "./system-prompt.ts";
import type { ExportRunner } from "./types.ts";

const home = mkdtempSync(join(tmpdir(), "tailor-export-service-"));
const svc = openServices(home);
after(() => svc.close());

const TUNED = "ft:tiny:shop:ab12cd34";
const tiny = { kind: "hf_dir" as const, path: join(home, "tiny") };
mkdirSync(join(home, "models", "tiny"), { recursive: true });
svc.models.writeManifest(join(home, "models", "tiny"), {
  kind: "base",
  name: "tiny",
  created_at: 1,
  source: tiny,
});
const folder = svc.models.modelDir(TUNED);
mkdirSync(folder, { recursive: true });
svc.models.writeManifest(folder, {
  kind: "fine_tuned",
  name: TUNED,
  created_at: 1,
  base: { name: "tiny", source: tiny },
  training: {
    train_file: "ds-none",
    train_examples: 12,
    ...{ epochs: 1, learning_rate: 1e-3, batch_size: 4, lora_rank: 8, lora_alpha: 16, seed: 42 },
    ...{ steps: 3, first_train_loss: 2, final_train_loss: 1, train_seconds: 1 },
  },
});
writeFileSync(join(folder, "MODEL_CARD.md"), "# card\n");

const service = (runner: ExportRunner) => new ExportService({ ...svc, db: svc.db, home, runner });
const refused = (code: string, message: RegExp) => (e: unknown) =>
  e instanceof TailorError && e.code === code && message.test(e.message);

/** The names in a .tar.gz stream. */
async function archived(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const bytes = Buffer.from(await new Response(stream).arrayBuffer());
  const file = join(home, `archive-${Math.random()}.tar.gz`);
  writeFileSync(file, bytes);
  const names: string[] = [];
  await tarList({ file, onReadEntry: (e) => void names.push(e.path) });
  return names.sort();
}

describe("ExportService", () => {
  test("an export runs in the background to succeeded, with its files; owners and admins see it", async () => {
    const engine = fakeEngine();
    const exports = service(engine.runner);
    const x = exports.start("alice", svc.models.resolve(TUNED), {
      format: "gguf",
      quantization: "q4_0",
    });
    assert.equal(x.status, "running");
    assert.equal(x.model, TUNED);
    assert.equal(x.quantization, "q4_0");
    assert.ok(x.progress, "a running export says what it does");
    assert.equal(x.path, join(home, "exports", x.id));
    await exports.settled(x.id);
    const done = exports.get("alice", x.id);
    assert.equal(done.status, "succeeded", done.error ?? "");
    assert.equal(done.progress, null);
    assert.deepEqual(
      done.files.map((f) => f.name),
      [
        "MODEL_CARD.md",
        "README.md",
        "ft-tiny-shop-ab12cd34-adapter-q8_0.gguf",
        "ft-tiny-shop-ab12cd34-q4_0.gguf",
      ],
    );
    assert.equal(
      done.bytes,
      done.files.reduce((n, f) => n + f.bytes, 0),
    );
    assert.ok(done.finished_at);
    assert.equal(exports.get(undefined, x.id).id, x.id, "an admin sees it");
    assert.throws(() => exports.get("bob", x.id), refused("not_found", /no export export-/));
    assert.deepEqual(
      exports.list("alice").map((e) => e.id),
      [x.id],
    );
    assert.deepEqual(exports.list("bob"), []);
    assert.deepEqual(exports.list(undefined, "tiny"), [], "filtered by model");

    // two GGUF files: the download is the folder as a .tar.gz, under one folder
    const d = exports.download("alice", x.id);
    assert.equal(d.name, "ft-tiny-shop-ab12cd34-gguf-q4_0.tar.gz");
    assert.equal(d.contentType, "application/gzip");
    assert.deepEqual(
      await archived(d.stream),
      done.files.map((f) => `ft-tiny-shop-ab12cd34-gguf-q4_0/${f.name}`).sort(),
    );
    const one = exports.download("alice", x.id, "ft-tiny-shop-ab12cd34-q4_0.gguf");
    assert.match(Buffer.from(await new Response(one.stream).arrayBuffer()).toString(), /^GGUF/);
    assert.throws(
      () => exports.download("alice", x.id, "nope.gguf"),
      refused("not_found", /has no file 'nope.gguf'; its files: MODEL_CARD.md/),
    );
  });

  test("a base model's GGUF downloads as the file itself; exports run one at a time", async () => {
    const engine = fakeEngine();
    const exports = service(engine.runner);
    const a = exports.start("alice", svc.models.resolve("tiny"), { format: "gguf" });
    const b = exports.start("alice", svc.models.resolve("tiny"), { format: "merged" });
    assert.equal(exports.get("alice", b.id).progress?.stage, "queued");
    assert.match(
      exports.get("alice", b.id).progress?.message ?? "",
      /waiting for 1 export before it/,
    );
    await exports.settled(b.id);
    assert.deepEqual(
      engine.requests.map((r: ExportRequest) => r.format),
      ["gguf", "merged"],
    );
    const d = exports.download("alice", a.id);
    assert.equal(d.name, "tiny-f16.gguf");
    assert.equal(d.bytes, exports.get("alice", a.id).files.find((f) => f.name === d.name)?.bytes);
    assert.equal((await archived(exports.download("alice", b.id).stream)).length, 4);
    exports.delete("alice", a.id);
    assert.throws(() => exports.get("alice", a.id), refused("not_found", /no export/));
  });

  test("refused before anything is recorded: peft of a base, a quantization for merged", () => {
    const exports = service(fakeEngine().runner);
    assert.throws(
      () => exports.start("carol", svc.models.resolve("tiny"), { format: "peft" }),
      refused("invalid_argument", /'tiny' is a base model: it has no adapter/),
    );
    assert.throws(
      () =>
        exports.start("carol", svc.models.resolve(TUNED), {
          format: "merged",
          quantization: "q8_0",
        }),
      refused("invalid_argument", /quantization q8_0 is for gguf and ollama/),
    );
    assert.deepEqual(exports.list("carol"), []);
  });

  test("a failed export says why, and has nothing to download", async () => {
    const exports = service(
      fakeEngine({ code: "invalid_request", message: "unknown architecture GPT2LMHeadModel" })
        .runner,
    );
    const x = exports.start("dave", svc.models.resolve(TUNED), { format: "ollama" });
    await exports.settled(x.id);
    const failed = exports.get("dave", x.id);
    assert.equal(failed.status, "failed");
    assert.match(failed.error ?? "", /GPT2LMHeadModel\. Export .* as peft or merged instead/);
    assert.throws(
      () => exports.download("dave", x.id),
      refused("conflict", /failed \(unknown architecture.*start a new export/),
    );
  });

  test("a server that stops mid-export fails it, and one left running by a crash is failed at startup", async () => {
    let started = () => {};
    const running = new Promise<void>((r) => {
      started = r;
    });
    const hanging: ExportRunner = async function* (_c, _r, opts) {
      started();
      await new Promise((_, reject) =>
        opts.signal?.addEventListener("abort", () => reject(new Error("killed"))),
      );
    };
    const exports = service(hanging);
    const x = exports.start("erin", svc.models.resolve("tiny"), { format: "gguf" });
    await running;
    assert.throws(() => exports.download("erin", x.id), refused("conflict", /still running/));
    await exports.close();
    assert.equal(exports.get("erin", x.id).error, STOPPED);

    const crashed = exports.store.create({
      model: "tiny",
      owner: "erin",
      format: "gguf",
      quantization: "f16",
      path: (id) => join(home, "exports", id),
    });
    const half = join(home, "exports", `.${crashed.id}.export-1a2b3c4d`);
    mkdirSync(half, { recursive: true });
    assert.equal(service(fakeEngine().runner).recover(), 1);
    assert.equal(existsSync(half), false, "the half-written folder is removed");
    const after = exports.get("erin", crashed.id);
    assert.equal(after.status, "failed");
    assert.match(after.error ?? "", /the server stopped during the export; start it again/);
  });
});

describe("fixedSystemPrompt", () => {
  const file = (lines: unknown[]) => {
    const p = join(home, `train-${Math.random()}.jsonl`);
    writeFileSync(p, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
    return p;
  };
  const ex = (system: string | null, q: string) => ({
    messages: [
      ...(system === null ? [] : [{ role: "system", content: system }]),
      { role: "user", content: q },
      { role: "assistant", content: "ok" },
    ],
  });

  test("the system prompt every example starts with, else none", () => {
    assert.equal(
      fixedSystemPrompt(file([ex("Be brief.", "a"), ex("Be brief.", "b")])),
      "Be brief.",
    );
    assert.equal(fixedSystemPrompt(file([ex("Be brief.", "a"), ex("Be kind.", "b")])), null);
    assert.equal(fixedSystemPrompt(file([ex("Be brief.", "a"), ex(null, "b")])), null);
    assert.equal(fixedSystemPrompt(file([])), null);
    assert.equal(fixedSystemPrompt(join(home, "missing.jsonl")), null);
  });
});
