/**
 * The export API end to end: a real listening server on a temporary TAILOR_HOME, the real engine,
 * the tiny base model. A member exports it as merged (downloaded as a .tar.gz whose listing is the
 * export's files under one folder) and as GGUF q8_0 (downloaded as the GGUF file itself); the
 * export is followed from 202 to succeeded; another member sees none of it, an admin all; viewers
 * may not export; bad bodies and models answer what was wrong; the POST is in the audit log; and
 * every JSON response matches the OpenAPI document.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { list as tarList } from "tar";
import type { ExportObject } from "../../../../protocol/api/exports.ts";
import { KeyStore, readLocalAdminKey } from "../../../auth/index.ts";
import { cliSandbox } from "../../../cli/__fixtures__/cli.ts";
import { openDb } from "../../../store/index.ts";
import { checkContract, poll, recording } from "../../__fixtures__/openai-client.ts";
import { type RunningServer, startServer } from "../../index.ts";

const { home, tiny } = cliSandbox("tailor-exports-api-", { HF_HUB_OFFLINE: "1" });
let server: RunningServer;
const keys = { admin: "", alice: "", bob: "", vera: "" };

async function call(method: string, path: string, key: string, body?: unknown) {
  const res = await recording(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const exportOf = (r: { body: Record<string, unknown> }) => r.body as unknown as ExportObject;
const errorOf = (r: { body: Record<string, unknown> }) =>
  (r.body as { error: { message: string; param: string | null } }).error;

/** Follows an export until it has ended; its last state. */
const finished = (id: string, key: string) =>
  poll(
    async () => exportOf(await call("GET", `/v1/exports/${id}`, key)),
    (x) => x.status !== "running",
    240_000,
  );

before(async () => {
  tiny();
  server = await startServer({ home, port: 0, worker: false, studioDir: null });
  keys.admin = readLocalAdminKey(home) ?? "";
  const store = new KeyStore(openDb(home));
  keys.alice = store.create({ name: "alice", role: "member" }).key;
  keys.bob = store.create({ name: "bob", role: "member" }).key;
  keys.vera = store.create({ name: "vera", role: "viewer" }).key;
  store.db.close();
});
after(async () => server?.close());

describe("exports over the API", () => {
  const made: { merged?: ExportObject; gguf?: ExportObject } = {};

  test("POST answers 202 with the running export; it is followed to succeeded", async () => {
    const merged = await call("POST", "/v1/models/tiny/export", keys.alice, { format: "merged" });
    assert.equal(merged.status, 202, JSON.stringify(merged.body));
    const gguf = await call("POST", "/v1/models/tiny/export", keys.alice, {
      format: "gguf",
      quantization: "q8_0",
    });
    assert.equal(gguf.status, 202, JSON.stringify(gguf.body));
    const first = exportOf(merged);
    assert.equal(first.object, "export");
    assert.equal(first.status, "running");
    assert.equal(first.model, "tiny");
    assert.equal(first.quantization, null);
    assert.equal(first.download_url, null);
    assert.ok(first.progress, "a running export says what it is doing");
    assert.equal(exportOf(gguf).progress?.stage, "queued", "one export at a time");

    const started = Date.now();
    made.merged = await finished(first.id, keys.alice);
    assert.equal(made.merged.status, "succeeded", made.merged.error ?? "");
    made.gguf = await finished(exportOf(gguf).id, keys.alice);
    assert.equal(made.gguf.status, "succeeded", made.gguf.error ?? "");
    console.log(`# both exports done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const f of ["README.md", "config.json", "model.safetensors", "tokenizer.json"])
      assert.ok(
        made.merged.files.some((x) => x.name === f),
        `${f} in the merged folder`,
      );
    assert.deepEqual(
      made.gguf.files.map((f) => f.name),
      ["README.md", "tiny-q8_0.gguf"],
    );
    assert.equal(made.gguf.download_url, `/v1/exports/${made.gguf.id}/content`);
    assert.equal(made.gguf.next_step, "llama-cli -m tiny-q8_0.gguf -cnv");
    assert.equal(made.gguf.progress, null);
    assert.ok(made.gguf.finished_at && made.gguf.finished_at >= made.gguf.created_at);
  });

  test("the downloads: a .tar.gz listing the merged folder, and the GGUF file itself", async () => {
    const { merged, gguf } = made;
    assert.ok(merged && gguf, "made by the test before");
    const auth = { authorization: `Bearer ${keys.alice}` };
    const archive = await fetch(`${server.url}${merged.download_url}`, { headers: auth });
    assert.equal(archive.status, 200);
    assert.equal(archive.headers.get("content-type"), "application/gzip");
    assert.match(
      archive.headers.get("content-disposition") ?? "",
      /filename="tiny-merged\.tar\.gz"/,
    );
    const file = join(mkdtempSync(join(tmpdir(), "tailor-exports-dl-")), "tiny-merged.tar.gz");
    writeFileSync(file, Buffer.from(await archive.arrayBuffer()));
    const listed: { path: string; size: number }[] = [];
    await tarList({ file, onReadEntry: (e) => void listed.push({ path: e.path, size: e.size }) });
    assert.deepEqual(
      listed.map((e) => [e.path, e.size]).sort(),
      merged.files.map((f) => [`tiny-merged/${f.name}`, f.bytes]).sort(),
    );
    console.log(`# merged: ${merged.bytes} bytes in ${merged.files.length} files`);

    const one = await fetch(`${server.url}${gguf.download_url}`, { headers: auth });
    assert.equal(one.status, 200);
    assert.match(one.headers.get("content-disposition") ?? "", /filename="tiny-q8_0\.gguf"/);
    const bytes = Buffer.from(await one.arrayBuffer());
    assert.equal(bytes.subarray(0, 4).toString("latin1"), "GGUF");
    assert.equal(bytes.length, gguf.files.find((f) => f.name === "tiny-q8_0.gguf")?.bytes);
    assert.equal(Number(one.headers.get("content-length")), bytes.length);
    console.log(`# gguf q8_0: ${bytes.length} bytes`);
    const readme = await fetch(`${server.url}${gguf.download_url}?file=README.md`, {
      headers: auth,
    });
    assert.match(await readme.text(), /llama-cli -m tiny-q8_0\.gguf/);
  });

  test("owners see their exports, admins all, others none; viewers may not export", async () => {
    const id = made.gguf?.id ?? "";
    const bob = await call("GET", `/v1/exports/${id}`, keys.bob);
    assert.equal(bob.status, 404);
    assert.match(errorOf(bob).message, /no export export-.*GET \/v1\/exports lists yours/);
    const stolen = await fetch(`${server.url}/v1/exports/${id}/content`, {
      headers: { authorization: `Bearer ${keys.bob}` },
    });
    assert.equal(stolen.status, 404);
    assert.deepEqual((await call("GET", "/v1/exports", keys.bob)).body.data, []);
    const mine = (await call("GET", "/v1/exports?model=tiny", keys.alice)).body
      .data as ExportObject[];
    assert.deepEqual(mine.map((x) => x.id).sort(), [made.merged?.id, made.gguf?.id].sort());
    const all = (await call("GET", "/v1/exports", keys.admin)).body.data as ExportObject[];
    assert.equal(all.length, 2, "the admin sees alice's exports");
    assert.deepEqual((await call("GET", "/v1/exports?model=other", keys.admin)).body.data, []);
    const viewer = await call("POST", "/v1/models/tiny/export", keys.vera, { format: "gguf" });
    assert.equal(viewer.status, 403);
    assert.match(errorOf(viewer).message, /a viewer key may not export models/);
  });

  test("bad requests say what was wrong and where", async () => {
    const cases: [string, unknown, number, RegExp, string | null][] = [
      ["tiny", { format: "zip" }, 400, /format/, "format"],
      ["tiny", { format: "peft" }, 400, /'tiny' is a base model: it has no adapter/, "format"],
      [
        "tiny",
        { format: "merged", quantization: "q4_0" },
        400,
        /quantization q4_0 is for gguf/,
        "quantization",
      ],
      ["nope", { format: "gguf" }, 404, /the model 'nope' does not exist/, "model"],
    ];
    for (const [model, body, status, message, param] of cases) {
      const r = await call("POST", `/v1/models/${model}/export`, keys.alice, body);
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.match(errorOf(r).message, message);
      assert.equal(errorOf(r).param, param);
    }
  });

  test("each POST is in the audit log with the export it made; the responses match the OpenAPI document", async () => {
    const log = await call("GET", "/v1/audit?action=POST%20/v1/models/:model/export", keys.admin);
    const ok = (log.body.data as { target: string; result: string; details: unknown }[]).filter(
      (e) => e.result === "ok",
    );
    assert.equal(ok.length, 2, JSON.stringify(log.body));
    assert.ok(ok.every((e) => e.target === "tiny"));
    assert.deepEqual(
      ok.map((e) => (e.details as { export: string }).export).sort(),
      [made.merged?.id, made.gguf?.id].sort(),
    );
    assert.ok((await checkContract(server.url)) >= 10);
  });
});
