/**
 * Admission on a real listening server: uploads held open mid-body fill the gate, and what comes
 * next is answered 429 with Retry-After and OpenAI's error shape (the official client sees a
 * RateLimitError) until a held request ends, whether it finishes or its client goes away.
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import OpenAI, { RateLimitError } from "openai";
import { readLocalAdminKey } from "../../../auth/index.ts";
import { cliSandbox } from "../../../cli/__fixtures__/cli.ts";
import { type RunningServer, startServer } from "../../index.ts";

const { home } = cliSandbox("tailor-admission-");
const BOUNDARY = "----tailor-admission-test";
const head = (name: string) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nuser_data\r\n` +
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
  "Content-Type: application/octet-stream\r\n\r\n";
const tail = `\r\n--${BOUNDARY}--\r\n`;

let server: RunningServer;
let key = "";

/** An upload whose body is sent in part and then held: it stays in flight until `finish` or `abort`. */
function heldUpload(name: string, bytes: number) {
  const first = Buffer.from(`${head(name)}${"x".repeat(bytes / 2)}`);
  const rest = Buffer.from(`${"x".repeat(bytes - bytes / 2)}${tail}`);
  const req = httpRequest(`${server.url}/v1/files`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
      "content-length": String(first.length + rest.length),
    },
  });
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
  });
  answered.catch(() => {}); // an aborted one never answers
  req.write(first);
  return {
    finish: () => {
      req.end(rest);
      return answered;
    },
    abort: () => req.destroy(),
    answered,
  };
}

async function upload(name: string): Promise<Response> {
  const form = new FormData();
  form.set("purpose", "user_data");
  form.set("file", new Blob(["hello"]), name);
  return fetch(`${server.url}/v1/files`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
}

const models = () =>
  fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });

/** Polls until `probe` answers `status` (a held request reaches the gate a moment after it is sent). */
async function until(status: number, probe: () => Promise<Response>): Promise<Response> {
  for (let i = 0; i < 100; i++) {
    const r = await probe();
    if (r.status === status) return r;
    await r.body?.cancel();
    await sleep(50);
  }
  throw new Error(`never answered ${status}`);
}

/** A server on `home` with no worker and no studio, and `limits`; sets `server` and `key`. */
async function serve(limits: Pick<Parameters<typeof startServer>[0], "admission" | "limits">) {
  server = await startServer({ home, port: 0, worker: false, studioDir: null, ...limits });
  key = readLocalAdminKey(home) ?? "";
}

describe("admission on a listening server", () => {
  before(async () => {
    await serve({ admission: { maxInFlight: 2, maxUploads: 2, maxGenerations: 1 } });
  });
  after(async () => {
    await server.close();
  });

  test("full: 429 with Retry-After and an OpenAI error, until a held request ends", async () => {
    assert.equal((await models()).status, 200);
    const a = heldUpload("a.bin", 64 * 1024);
    const b = heldUpload("b.bin", 64 * 1024);
    await sleep(300); // both reach the gate before anything else is sent
    // both uploads in flight: every request of every kind is refused at once, none waits
    const refused = await until(429, models);
    assert.match(refused.headers.get("retry-after") ?? "", /^[1-9][0-9]*$/);
    const error = ((await refused.json()) as { error: Record<string, unknown> }).error;
    assert.equal(error.type, "rate_limit_error");
    assert.equal(error.code, "rate_limited");
    assert.match(
      String(error.message),
      /server is busy: 2 requests are in flight.*--max-in-flight/,
    );
    const third = await upload("c.txt");
    assert.equal(third.status, 429);
    assert.ok(third.headers.get("retry-after"));
    await third.body?.cancel();
    // the official client sees a rate limit (it would retry after Retry-After; told not to here)
    const client = new OpenAI({ apiKey: key, baseURL: `${server.url}/v1`, maxRetries: 0 });
    await assert.rejects(
      client.models.list(),
      (e) => e instanceof RateLimitError && e.status === 429,
    );

    // one finishes: its file is stored, and a place is free again
    const done = await a.finish();
    assert.equal(done.status, 200, done.body);
    assert.equal((JSON.parse(done.body) as { bytes: number }).bytes, 64 * 1024);
    assert.equal((await models()).status, 200);
    // the other's client goes away mid-body: its place comes back too
    b.abort();
    const ok = await until(200, () => upload("d.txt"));
    assert.equal(((await ok.json()) as { filename: string }).filename, "d.txt");
    const listed = (await client.files.list()).data.map((f) => f.filename).sort();
    assert.deepEqual(listed, ["a.bin", "d.txt"]);
  });
});

describe("an upload that stalls with its connection open", () => {
  before(async () => {
    await serve({ admission: { maxUploads: 1 }, limits: { uploadIdleMs: 500 } });
  });
  after(async () => {
    await server.close();
  });

  test("is given up after the idle time: its client is told why and its place comes back", async () => {
    const stalled = heldUpload("stalled.bin", 64 * 1024);
    await sleep(100);
    assert.equal((await upload("next.txt")).status, 429); // its place is the only one
    const ok = await until(200, () => upload("next.txt"));
    assert.equal(((await ok.json()) as { filename: string }).filename, "next.txt");
    const told = await stalled.answered;
    assert.equal(told.status, 400);
    assert.match(told.body, /the upload stopped: no bytes came for 1 s; send the file again/);
  });
});
