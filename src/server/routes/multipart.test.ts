import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { test } from "node:test";
import { isTailorError } from "../../errors/index.ts";
import { type ReceivedUpload, withUpload } from "./multipart.ts";

/** A multipart body as a client sends it, and its content type. */
function form(fields: Record<string, string | Blob>, filename = "notes/a.txt") {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields))
    if (typeof v === "string") data.append(k, v);
    else data.append(k, v, filename);
  const req = new Request("http://x/", { method: "POST", body: data });
  return {
    body: Readable.fromWeb(req.body as NodeReadableStream),
    type: req.headers.get("content-type") ?? "",
  };
}

async function refusal(
  p: Promise<unknown>,
): Promise<{ code: string; field: unknown; message: string }> {
  const e = await p.then(
    () => assert.fail("expected a refusal"),
    (e: unknown) => e,
  );
  assert.ok(isTailorError(e), String(e));
  return { code: e.code, field: e.details.field, message: e.message };
}

test("the file part goes to a temporary file, given to the caller and removed afterwards", async () => {
  const { body, type } = form({ purpose: "assistants", file: new Blob(["some notes"]) });
  let seen: ReceivedUpload | null = null;
  const text = await withUpload(body, type, 1024, async (u) => {
    seen = u;
    return readFileSync(u.path, "utf8");
  });
  assert.equal(text, "some notes");
  const got = seen as ReceivedUpload | null;
  assert.equal(got?.filename, "a.txt"); // the name only, never a path
  assert.equal(got?.purpose, "assistants");
  assert.match(got?.path ?? "", /upload\.txt$/);
  assert.equal(existsSync(got?.path ?? ""), false);
});

test("a form without a purpose, with an unknown one, or without a file is refused", async () => {
  const use = async () => "used";
  const file = new Blob(["x"]);
  const none = form({ file });
  assert.deepEqual(await refusal(withUpload(none.body, none.type, 1024, use)), {
    code: "invalid_argument",
    field: "purpose",
    message: "the form needs a `purpose` field, e.g. purpose=fine-tune",
  });
  const odd = form({ purpose: "vision", file });
  const r = await refusal(withUpload(odd.body, odd.type, 1024, use));
  assert.equal(r.field, "purpose");
  assert.match(
    r.message,
    /purpose must be one of fine-tune, assistants, batch, user_data, got 'vision'/,
  );
  const empty = form({ purpose: "fine-tune" });
  assert.equal((await refusal(withUpload(empty.body, empty.type, 1024, use))).field, "file");
});

test("a body that is not multipart, or a file over the limit, is refused", async () => {
  const use = async () => "used";
  const json = await refusal(withUpload(Readable.from(["{}"]), "application/json", 1024, use));
  assert.equal(json.code, "invalid_argument");
  assert.match(json.message, /multipart\/form-data/);
  const big = form({ purpose: "fine-tune", file: new Blob(["x".repeat(2048)]) });
  const r = await refusal(withUpload(big.body, big.type, 1024, use));
  assert.equal(r.code, "too_large");
  assert.match(r.message, /upload limit/);
});

test("an upload that stops sending is given up after the idle time", async () => {
  const whole = form({ purpose: "user_data", file: new Blob(["x".repeat(10_000)]) });
  const chunks: Buffer[] = [];
  for await (const c of whole.body) chunks.push(c as Buffer);
  const bytes = Buffer.concat(chunks);
  // half the form, then nothing more (the connection stays open)
  const body = new Readable({ read() {} });
  body.push(bytes.subarray(0, bytes.length / 2));
  const started = performance.now();
  const r = await refusal(
    withUpload(
      body,
      whole.type,
      1024 * 1024,
      async () => assert.fail("an unfinished upload is never used"),
      300,
    ),
  );
  assert.equal(r.code, "invalid_argument");
  assert.equal(r.field, "file");
  assert.equal(r.message, "the upload stopped: no bytes came for 0 s; send the file again");
  assert.ok(performance.now() - started < 5000);
  assert.ok(body.destroyed, "the body is closed, so the server lets the connection go");
});
