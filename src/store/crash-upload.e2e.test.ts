/**
 * kill -9 of `tailor serve` during a file upload (POST /v1/files over real HTTP, real SQLite):
 * afterwards the server starts, no file or dataset is listed, the partial upload is removed, and
 * the same upload succeeds with what a clean `tailor data add` stores.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import {
  crashSandbox,
  examplesJsonl,
  filesUnder,
  kill9,
  leftovers,
  paused,
  serve,
  until,
} from "./__fixtures__/crash.ts";

interface FileObject {
  id: string;
  bytes: number;
  filename: string;
  status: string;
  tailor: { dataset_id: string | null; examples: number; errors: number };
}

/** The upload's temporary folders a server process `pid` has in `tmp`. */
const uploadDirs = (tmp: string, pid: number) =>
  readdirSync(tmp).filter((n) => n.startsWith(`tailor-upload-${pid}-`));

test("kill -9 during an upload: nothing is listed, the partial upload goes, the retry stores what a clean run stores", async (t) => {
  const sb = crashSandbox("tailor-crash-upload-");
  const clean = crashSandbox("tailor-crash-upload-clean-");
  const servers: { child: { kill: (s: NodeJS.Signals) => boolean } }[] = [];
  t.after(() => {
    for (const s of servers) s.child.kill("SIGKILL");
    sb.clean();
    clean.clean();
  });
  const bytes = Buffer.from(examplesJsonl(400));
  const boundary = "tailorcrashtest";
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="sums.jsonl"\r\n` +
      "Content-Type: application/jsonl\r\n\r\n",
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const list = async (s: { url: string; key: string }) => {
    const r = await fetch(`${s.url}/v1/files`, { headers: { authorization: `Bearer ${s.key}` } });
    assert.equal(r.status, 200);
    return ((await r.json()) as { data: FileObject[] }).data;
  };

  // 1. the server is killed with half the file sent (the rest never comes)
  const first = await serve(sb);
  servers.push(first);
  const req = request(`${first.url}/v1/files`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${first.key}`,
      "content-type": `multipart/form-data; boundary=${boundary}`,
      "content-length": String(head.length + bytes.length + tail.length),
    },
  });
  const failed = new Promise<Error>((resolve) => req.on("error", resolve));
  req.write(head);
  req.write(bytes.subarray(0, bytes.length / 2));
  const partial = () => {
    const [dir] = uploadDirs(sb.tmp, first.pid);
    const file = dir ? join(sb.tmp, dir, "upload.jsonl") : "";
    return existsSync(file) && statSync(file).size > 0;
  };
  await until(partial, 60_000, "the server to write the first half to disk", first);
  await kill9(first);
  assert.match((await failed).message, /socket hang up|ECONNRESET/);
  assert.equal(uploadDirs(sb.tmp, first.pid).length, 1, "the partial upload is on disk");

  // 2. the next server removes it and lists nothing; it is killed in turn inside the transaction
  //    that stores the checked examples as a dataset version, before the upload's row is written
  const second = await serve(sb, "dataset-stored");
  servers.push(second);
  assert.deepEqual(uploadDirs(sb.tmp, first.pid), [], "the partial upload is removed");
  assert.deepEqual(await list(second), []);
  const form = () => {
    const f = new FormData();
    f.set("purpose", "fine-tune");
    f.set("file", new Blob([bytes]), "sums.jsonl");
    return f;
  };
  const upload = (s: { url: string; key: string }) =>
    fetch(`${s.url}/v1/files`, {
      method: "POST",
      headers: { authorization: `Bearer ${s.key}` },
      body: form(),
    });
  const hanging = upload(second).catch((e: Error) => e);
  await paused(second, "dataset-stored");
  await kill9(second);
  assert.ok((await hanging) instanceof Error, "the upload was not answered");

  // 3. after both kills: no file, no dataset, no temporary file; then the retry
  const third = await serve(sb);
  servers.push(third);
  assert.deepEqual(await list(third), [], "no file after the kills");
  assert.deepEqual(await sb.json("data", "list"), [], "no dataset after the kills");
  assert.deepEqual(leftovers(sb.home), []);
  assert.deepEqual(uploadDirs(sb.tmp, second.pid), []);
  const r = await upload(third);
  assert.equal(r.status, 200, await r.clone().text());
  const stored = (await r.json()) as FileObject;
  assert.deepEqual(
    {
      bytes: stored.bytes,
      filename: stored.filename,
      status: stored.status,
      examples: stored.tailor.examples,
      errors: stored.tailor.errors,
    },
    { bytes: bytes.length, filename: "sums.jsonl", status: "processed", examples: 400, errors: 0 },
  );
  const reference = join(clean.root, "sums.jsonl");
  writeFileSync(reference, bytes);
  const cleanRun = await clean.json<{ id: string }>("data", "add", reference, "--no-tokens");
  assert.equal(stored.tailor.dataset_id, cleanRun.id, "the same dataset version as a clean run");
  assert.deepEqual(
    (await list(third)).map((f) => f.id),
    [stored.id],
  );
  const content = await fetch(`${third.url}/v1/files/${stored.id}/content`, {
    headers: { authorization: `Bearer ${third.key}` },
  });
  assert.deepEqual(Buffer.from(await content.arrayBuffer()), bytes);
  const datasets = await sb.json<{ id: string }[]>("data", "list");
  assert.deepEqual(
    datasets.map((d) => d.id),
    [cleanRun.id],
  );
  assert.deepEqual(leftovers(sb.home), []);
  // one blob: the upload's bytes, which are also its normalised examples' (already chat JSONL)
  assert.equal(filesUnder(join(sb.home, "blobs")).length, 1);
  third.child.kill("SIGTERM");
  await third.exited;
});
