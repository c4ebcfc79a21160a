/**
 * Odd names through the real API (a listening server, real SQLite, no engine needed): uploaded
 * filenames that are paths, dots, NUL, control characters, right-to-left overrides, thousands of
 * characters or unicode are stored and shown under safeFilename's name, and nothing is written
 * outside TAILOR_HOME (a raw NUL inside the part's header is refused whole: 400); model names and model ids that are paths are refused (400/404), never
 * followed. The multipart bodies are written byte by byte, as a hostile client would send them.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { after, before, test } from "node:test";
import { readLocalAdminKey } from "../auth/index.ts";
import { cliSandbox, supportJsonl } from "../cli/__fixtures__/cli.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home } = cliSandbox("tailor-sec-names-");
/** In every hostile name, so a file made from one would be found by it anywhere. */
const TAG = `esc${randomBytes(4).toString("hex")}`;
let server: RunningServer;
let admin = "";

before(async () => {
  server = await startServer({ home, port: 0, worker: false, studioDir: null });
  admin = readLocalAdminKey(home) ?? "";
});
after(async () => {
  await server?.close();
});

/** Every file and folder under `dir` (depth-limited), relative to it. */
function walk(dir: string, depth = 6): string[] {
  if (depth === 0 || !existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      return []; // gone meanwhile (another test's temporary file)
    }
    return [n, ...(isDir ? walk(p, depth - 1).map((c) => join(n, c)) : [])];
  });
}

/** POST /v1/files with `filenameParam` written into Content-Disposition as given (raw bytes). */
async function upload(filenameParam: Buffer | string, body = supportJsonl()) {
  const boundary = `----tailor${randomBytes(6).toString("hex")}`;
  const raw = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; `,
    ),
    typeof filenameParam === "string" ? Buffer.from(filenameParam, "utf8") : filenameParam,
    Buffer.from(`\r\nContent-Type: application/jsonl\r\n\r\n${body}\r\n--${boundary}--\r\n`),
  ]);
  const res = await fetch(`${server.url}/v1/files`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${admin}`,
      "content-type": `multipart/form-data; boundary=${boundary}`,
    },
    body: raw,
  });
  return { status: res.status, body: (await res.json()) as { id: string; filename: string } };
}

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { error?: { message: string; param: string | null } },
  };
}

test("hostile upload filenames are stored under safe names, and nothing lands outside TAILOR_HOME", async () => {
  const outside = dirname(home);
  const before = new Set(walk(outside, 1));
  const long = `${TAG}${"x".repeat(5000)}.jsonl`;
  const cases: [Buffer | string, string][] = [
    [`filename="../../${TAG}-passwd"`, `${TAG}-passwd`],
    [`filename="../../../../../../tmp/${TAG}.jsonl"`, `${TAG}.jsonl`],
    [`filename="a/b/${TAG}.jsonl"`, `${TAG}.jsonl`],
    [`filename="..\\\\..\\\\${TAG}.jsonl"`, `${TAG}.jsonl`],
    [`filename="."`, "upload.jsonl"],
    [`filename=".."`, "upload.jsonl"],
    [`filename="${TAG}\u202elmth.jsonl"`, `${TAG}lmth.jsonl`],
    [`filename*=UTF-8''${TAG}%00%0A%0D.jsonl`, `${TAG}.jsonl`],
    [`filename="résumé 例え ${TAG}.jsonl"`, `résumé 例え ${TAG}.jsonl`],
    [`filename*=UTF-8''%2E%2E%2F%2E%2E%2F${TAG}%C3%A9.jsonl`, `${TAG}é.jsonl`],
    [`filename="${long}"`, `${TAG}${"x".repeat(200 - TAG.length - 6)}.jsonl`],
  ];
  // a raw NUL in the part's header is not a header: refused whole, with the reason
  const nul = await upload(Buffer.from(`filename="${TAG}\0.jsonl"`, "latin1"));
  assert.equal(nul.status, 400);
  assert.match(JSON.stringify(nul.body), /the upload could not be read: Malformed part header/);
  for (const [param, want] of cases) {
    const r = await upload(param);
    assert.equal(r.status, 200, `${String(param).slice(0, 80)}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.filename, want, String(param).slice(0, 80));
    const listed = await api("GET", `/v1/files/${r.body.id}`);
    assert.equal((listed.body as { filename?: string }).filename, want, "shown as stored");
  }

  // nothing new beside TAILOR_HOME bears the tag, and inside it every file is the store's own
  const added = walk(outside, 1).filter((n) => !before.has(n) && n.includes(TAG));
  assert.deepEqual(added, [], "no file written beside TAILOR_HOME");
  assert.ok(!existsSync(join("/tmp", `${TAG}.jsonl`)) && !existsSync(`/${TAG}-passwd`));
  const inside = walk(home).filter((p) => p.includes(TAG) || p.includes("passwd"));
  assert.deepEqual(inside, [], "no file under TAILOR_HOME is named after an upload");
  for (const p of walk(home)) assert.ok(!relative(home, join(home, p)).startsWith(".."));
  const leftovers = readdirSync(tmpdir()).filter((n) => n.includes(TAG));
  assert.deepEqual(leftovers, [], "the upload's temporary folder names nothing after the upload");
});

test("model names and model ids that are paths are refused, not followed", async () => {
  for (const name of ["../evil", "a/b", ".", "..", "x\u0000y", "Ünïcode", "a".repeat(64)]) {
    const r = await api("POST", "/v1/model_names", { name, model: "smollm2-135m-instruct" });
    assert.equal(r.status, 400, `name ${JSON.stringify(name)}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error?.param, "name");
  }
  // a version must be a model: '..' is a folder (TAILOR_HOME itself), not a model
  for (const model of ["..", "../..", "models/..", "constructor", "/etc", "./"]) {
    const r = await api("POST", "/v1/model_names", { name: "support", model });
    assert.equal(r.status, 404, `model ${JSON.stringify(model)}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.error?.message ?? "", /does not exist/);
  }
  assert.equal((await api("GET", "/v1/model_names/support")).status, 404, "nothing was made");

  for (const id of ["..", "..%2F..%2Fetc%2Fpasswd", "%2E%2E", "%00"]) {
    const got = await api("GET", `/v1/models/${id}`);
    assert.equal(got.status, 404, `GET /v1/models/${id}: ${JSON.stringify(got.body)}`);
    const exported = await api("POST", `/v1/models/${id}/export`, { format: "peft" });
    assert.ok([400, 404].includes(exported.status), `export ${id}: ${exported.status}`);
    const deleted = await api("DELETE", `/v1/models/${id}`);
    assert.ok([400, 404].includes(deleted.status), `DELETE ${id}: ${deleted.status}`);
  }
  assert.ok(existsSync(join(home, "tailor.db")), "TAILOR_HOME is still there");

  const job = await api("POST", "/v1/fine_tuning/jobs", {
    model: "smollm2-135m-instruct",
    training_file: "file-x",
    suffix: "../../x",
  });
  assert.equal(job.status, 400);
  assert.equal(job.body.error?.param, "suffix");
});
