/**
 * Every route of the served /openapi.json fuzzed by Schemathesis (property-based, from PyPI, in its
 * own virtualenv: venv.ts) against a real listening server on a temporary TAILOR_HOME (real SQLite,
 * the tiny model): a fixed seed and a fixed number of examples per operation. The run must find no
 * server error and no response the document does not describe (status, content type, headers,
 * body schema). The fuzzer is signed in as member bob and handed alice's ids as well as his own;
 * afterwards every object and list alice sees reads exactly as before.
 *
 * Left out, because each starts long engine work that a fuzzer would repeat hundreds of times on
 * CPU (a model load is seconds to minutes here): generation (chat completions, responses), the
 * engine's embeddings, classifications and moderation (including a policy's and the playground's
 * try), vector store search and file ingestion (embeddings), exports (a merged model or GGUF is
 * written), a fine-tuning plan (token counts from the engine) and redaction of a file's names (the
 * engine's named-entity model); their own route and end-to-end tests send them. A
 * job's event stream is left out too: it lasts as long as the job, and no job runs here.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { KeyStore, readLocalAdminKey } from "../../auth/index.ts";
import { cliSandbox } from "../../cli/__fixtures__/cli.ts";
import { openDb } from "../../store/index.ts";
import { type RunningServer, startServer } from "../index.ts";
import { type Member, seedAdmin, seedMember, snapshot } from "./members.ts";
import { schemathesisCommand } from "./venv.ts";

const SEED = 20261203;
/** Examples per operation, and the phases: TAILOR_FUZZ_EXAMPLES and TAILOR_FUZZ_PHASES override. */
const EXAMPLES_PER_OPERATION = Number(process.env.TAILOR_FUZZ_EXAMPLES ?? 12);
// the coverage phase's boundary values are ~4,700 requests here, 5-7 minutes on 2 loaded cores:
// beyond npm test's budget (TAILOR_FUZZ_PHASES=examples,coverage,fuzzing runs it; it passes)
const PHASES = process.env.TAILOR_FUZZ_PHASES ?? "examples,fuzzing";
const EXCLUDED = [
  "POST /v1/chat/completions",
  "POST /v1/responses",
  "POST /v1/embeddings",
  "POST /v1/classifications",
  "POST /v1/moderations",
  "POST /v1/moderation/try",
  "POST /v1/moderation/policies/{policy}/try",
  "POST /v1/vector_stores/{vector_store_id}/search",
  "POST /v1/vector_stores/{vector_store_id}/files",
  "POST /v1/models/{model}/export",
  "POST /v1/fine_tuning/plan",
  "POST /v1/files/{file_id}/redact",
  // a job's stream lasts until the job ends, and no job ends here (no worker runs them): each
  // request would wait for the fuzzer's timeout. finds.test.ts checks its events and `after`
  "GET /v1/fine_tuning/jobs/{fine_tuning_job_id}/stream",
];
const CHECKS = [
  "not_a_server_error",
  "status_code_conformance",
  "content_type_conformance",
  "response_headers_conformance",
  "response_schema_conformance",
];

const { home, tiny } = cliSandbox("tailor-fuzz-", { HF_HUB_OFFLINE: "1" });
let server: RunningServer;
let alice: Member;
let bob: Member;
let admin: Member;
let before_: { alice: Record<string, string>; admin: Record<string, string> };

/** The fuzzer's settings: both members' ids as values of the path parameters they fit. */
function config(): string {
  const lines: string[] = [];
  const params: string[] = [];
  for (const name of Object.keys(alice.ids)) {
    const values = [alice.ids[name], ...(name === "key_id" ? [] : [bob.ids[name]])];
    lines.push(`[dictionaries.${name}]`, `values = ${JSON.stringify(values)}`, "");
    params.push(`"path.${name}" = { dictionary = "${name}", probability = 0.7 }`);
  }
  lines.push(`[dictionaries.model]`, `values = ["tiny", "${alice.ids.name}"]`, "");
  params.push(`"path.model" = { dictionary = "model", probability = 0.5 }`);
  lines.push(`[dictionaries.policy]`, `values = ["${admin.ids.policy}"]`, "");
  params.push(`"path.policy" = { dictionary = "policy", probability = 0.7 }`);
  return [...lines, "[parameters]", ...params, ""].join("\n");
}

function fuzz(st: string, dir: string): Promise<{ code: number | null; out: string }> {
  const exclude = EXCLUDED.map((p) => p.replace(/[{}/]/g, "\\$&")).join("|");
  const args = [
    "--config-file",
    join(dir, "schemathesis.toml"),
    "run",
    `${server.url}/openapi.json`,
    "--header",
    `Authorization: Bearer ${bob.key}`,
    "--checks",
    CHECKS.join(","),
    "--phases",
    PHASES,
    "--max-examples",
    String(EXAMPLES_PER_OPERATION),
    "--seed",
    String(SEED),
    "--workers",
    "2",
    "--request-timeout",
    "60",
    "--exclude-name-regex",
    `^(${exclude})$`,
    "--report",
    "junit,har",
    "--report-har-path",
    join(dir, "requests.har"),
    "--report-dir",
    dir,
    "--no-color",
  ];
  return new Promise((resolve, reject) => {
    // spawned, not spawnSync: the server answers from this very process
    const child = spawn(st, args, { env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

before(async () => {
  tiny();
  server = await startServer({
    home,
    port: 0,
    worker: false, // jobs stay queued: no training starts
    studioDir: null,
    limits: { requestsPerMinute: 1_000_000 },
  });
  const store = new KeyStore(openDb(home));
  const a = store.create({ name: "alice", role: "member" });
  const b = store.create({ name: "bob", role: "member" });
  store.db.close();
  alice = await seedMember(server.url, { name: "alice", key: a.key, keyId: a.record.id }, "tiny");
  bob = await seedMember(server.url, { name: "bob", key: b.key, keyId: b.record.id }, "tiny");
  admin = await seedAdmin(server.url, readLocalAdminKey(home) ?? "");
  before_ = { alice: await snapshot(server.url, alice), admin: await snapshot(server.url, admin) };
});
after(async () => server?.close());

test("Schemathesis finds no server error and no answer the OpenAPI document does not describe", async () => {
  const st = schemathesisCommand();
  const dir = mkdtempSync(join(tmpdir(), "tailor-fuzz-run-"));
  writeFileSync(join(dir, "schemathesis.toml"), config());
  const started = Date.now();
  const { code, out } = await fuzz(st, dir);
  const summary = out.slice(out.lastIndexOf("SUMMARY"));
  console.log(`# fuzzed in ${((Date.now() - started) / 1000).toFixed(0)} s; ${summary}`);
  assert.equal(code, 0, out.slice(-20_000));
  // the isolation check below is only worth something if bob's requests reached alice's objects
  const har = JSON.parse(readFileSync(join(dir, "requests.har"), "utf8")) as {
    log: { entries: { request: { method: string; url: string } }[] };
  };
  const ids = Object.values(alice.ids);
  const atAlice = har.log.entries.filter((e) => ids.some((id) => e.request.url.includes(id)));
  const writes = atAlice.filter((e) => e.request.method !== "GET").length;
  console.log(
    `# ${har.log.entries.length} requests; ${atAlice.length} named alice's objects (${writes} not GET)`,
  );
  assert.ok(writes > 0, "bob's fuzzing tried to change alice's objects");
});

test("nothing bob's fuzzing sent changed alice's objects, the admin's policy or the keys", async () => {
  assert.deepEqual(await snapshot(server.url, alice), before_.alice);
  assert.deepEqual(await snapshot(server.url, admin), before_.admin);
});
