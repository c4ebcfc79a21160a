/**
 * Load and overload: a real `tailor serve` (its own process, loopback, a temporary TAILOR_HOME with
 * the tiny model, chat on the PyTorch engine, no worker: created jobs only queue) under four kinds of
 * request at once, each from its own autocannon instance: GET /v1/models from many clients, uploads
 * of a few MB to /v1/files, POST /v1/fine_tuning/jobs on the tiny model, and chat completions on it
 * (`--max-tokens` bounded).
 * 1. "within limits": as many clients per kind as the server's admission limits take (the per-key
 *    rate limit raised out of the way): throughput, p50/p99 latency, statuses, errors, timeouts;
 *    the server's memory (VmRSS of the Node process; its engine apart) before and after (at least
 *    `--models` requests, 10,000 by default).
 * 2. "overload": many more chat and upload clients than `--max-generations`/`--max-uploads`: the
 *    server answers the excess 429 with Retry-After at once; none waits until it times out.
 * Each phase stops at its request counts or after `--seconds`, whichever comes first.
 * Usage: npx tsx bench/load.ts [--models 10000] [--clients 32] [--uploads 30] [--upload-mb 3]
 *        [--jobs 200] [--chats 100] [--max-tokens 16] [--max-generations 4] [--max-uploads 4]
 *        [--overload-clients 64] [--seconds 120] [--overload-seconds 30] [--json] [--keep]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type KindResult,
  type KindSettings,
  MULTIPART_TYPE,
  multipart,
  runKinds,
} from "./load/kinds.ts";
import { printLoadReport } from "./load/report.ts";
import { memory, startServe, stopServe, tailor } from "./load/server.ts";
import { sampleLoad } from "./serving/load-average.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const flag = (name: string) => process.argv.includes(name);
const o = {
  models: arg("--models", 10_000),
  clients: arg("--clients", 32),
  uploads: arg("--uploads", 30),
  uploadMb: arg("--upload-mb", 3),
  jobs: arg("--jobs", 200),
  chats: arg("--chats", 100),
  maxTokens: arg("--max-tokens", 16),
  maxGenerations: arg("--max-generations", 4),
  maxUploads: arg("--max-uploads", 4),
  overloadClients: arg("--overload-clients", 64),
  seconds: arg("--seconds", 120),
  overloadSeconds: arg("--overload-seconds", 30),
};
const json = flag("--json");
const say = (line: string) => {
  if (!json) console.error(line);
};

/** A small fine-tuning file: the training file every created job names. */
function dataset(path: string): string {
  const lines = Array.from({ length: 20 }, (_, i) =>
    JSON.stringify({
      messages: [
        { role: "user", content: `When does shop ${i} open?` },
        { role: "assistant", content: `Shop ${i} opens at ${8 + (i % 3)} in the morning.` },
      ],
    }),
  );
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

const load = sampleLoad();
const home = mkdtempSync(join(tmpdir(), "tailor-bench-load-"));
let server: Awaited<ReturnType<typeof startServe>> | undefined;
try {
  let t = performance.now();
  tailor(home, "models", "create-tiny", "tiny");
  say(`tiny model: ${((performance.now() - t) / 1000).toFixed(0)} s`);
  server = await startServe(home, [
    ...["--rate-limit", "1000000"],
    ...["--max-generations", String(o.maxGenerations), "--max-uploads", String(o.maxUploads)],
  ]);
  const { url, key } = server;
  const pid = server.child.pid ?? 0;
  const auth = { authorization: `Bearer ${key}` };
  const jsonHeaders = { ...auth, "content-type": "application/json" };

  // the training file, and one of each request first (the engine loads the tiny model)
  const form = new FormData();
  form.set("purpose", "fine-tune");
  form.set("file", new Blob([readFileSync(dataset(join(home, "shops.jsonl")))]), "shops.jsonl");
  const up = await fetch(`${url}/v1/files`, { method: "POST", headers: auth, body: form });
  const file = (await up.json()) as { id: string; status: string };
  if (up.status !== 200) throw new Error(`the training file was refused: ${JSON.stringify(file)}`);
  const chatBody = JSON.stringify({
    model: "tiny",
    messages: [{ role: "user", content: "When does the shop open?" }],
    max_tokens: o.maxTokens,
  });
  const jobBody = JSON.stringify({ model: "tiny", training_file: file.id });
  t = performance.now();
  for (const [path, body] of [
    ["/v1/chat/completions", chatBody],
    ["/v1/fine_tuning/jobs", jobBody],
  ] as const) {
    const r = await fetch(`${url}${path}`, { method: "POST", headers: jsonHeaders, body });
    if (r.status !== 200) throw new Error(`warm-up ${path}: ${r.status} ${await r.text()}`);
  }
  say(
    `warm-up (engine start, tiny model loaded): ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  await sleep(1000);

  type Counts = { models: number; uploads: number; jobs: number; chats: number };
  const kinds = (clients: Counts, amounts: Counts) =>
    [
      {
        name: "GET /v1/models",
        connections: clients.models,
        amount: amounts.models,
        method: "GET",
        path: "/v1/models",
        headers: auth,
      },
      {
        name: `upload ${o.uploadMb} MB`,
        connections: clients.uploads,
        amount: Math.max(amounts.uploads, clients.uploads),
        method: "POST",
        path: "/v1/files",
        headers: { ...auth, "content-type": MULTIPART_TYPE },
        body: multipart(Math.round(o.uploadMb * 1024 * 1024)),
      },
      {
        name: "create job",
        connections: clients.jobs,
        amount: Math.max(amounts.jobs, clients.jobs),
        method: "POST",
        path: "/v1/fine_tuning/jobs",
        headers: jsonHeaders,
        body: jobBody,
      },
      {
        name: `chat (${o.maxTokens} tokens)`,
        connections: clients.chats,
        amount: Math.max(amounts.chats, clients.chats),
        method: "POST",
        path: "/v1/chat/completions",
        headers: jsonHeaders,
        body: chatBody,
      },
    ] satisfies KindSettings[];

  const phases: {
    name: string;
    results: KindResult[];
    memBefore: Mem;
    memAfter: Mem;
    load: Load;
  }[] = [];
  for (const phase of [
    {
      name: "within limits",
      clients: { models: o.clients, uploads: o.maxUploads, jobs: 4, chats: o.maxGenerations },
      amounts: { models: o.models, uploads: o.uploads, jobs: o.jobs, chats: o.chats },
      seconds: o.seconds,
    },
    {
      name: "overload",
      clients: {
        models: o.overloadClients,
        uploads: o.overloadClients,
        jobs: 4,
        chats: o.overloadClients,
      },
      // a refused client asks again at once: enough requests to keep the flood up for the phase
      amounts: {
        models: Math.round(o.models / 5),
        uploads: o.overloadClients * 4,
        jobs: Math.round(o.jobs / 4),
        chats: o.overloadClients * 20,
      },
      seconds: o.overloadSeconds,
    },
  ]) {
    const from = load.mark();
    const memBefore = memory(pid);
    say(`${phase.name}: ${JSON.stringify(phase.clients)} clients, at most ${phase.seconds} s`);
    const results = await runKinds(url, kinds(phase.clients, phase.amounts), {
      seconds: phase.seconds,
      timeoutSeconds: 60,
    });
    load.read();
    await sleep(2000); // what the server still holds once the answers are out
    const memAfter = memory(pid);
    phases.push({ name: phase.name, results, memBefore, memAfter, load: load.summary(from) });
    for (const r of results)
      say(
        `  ${r.name}: ${r.requests} requests, ${r.perSecond.toFixed(1)}/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${JSON.stringify(r.byStatus)}, errors ${r.errors}, timeouts ${r.timeouts}`,
      );
    say(`  server memory: ${memBefore.node.toFixed(0)} -> ${memAfter.node.toFixed(0)} MB (Node)`);
  }
  const alive = await fetch(`${url}/health`).then((r) => r.status);
  if (json) console.log(JSON.stringify({ options: o, phases, alive }, null, 2));
  else printLoadReport({ options: o, phases, alive });
} finally {
  if (server) await stopServe(server.child);
  load.stop();
  if (!flag("--keep")) rmSync(home, { recursive: true, force: true });
  else console.error(`kept ${home}`);
}

type Mem = ReturnType<typeof memory>;
type Load = ReturnType<ReturnType<typeof sampleLoad>["summary"]>;
