/**
 * The server on Postgres: `startServer` with TAILOR_DATABASE_URL (a real Postgres started here) and
 * TAILOR_SHARED_DIR, called with the official `openai` client. A file is uploaded, a job that needs a
 * GPU waits (this machine's worker offers none) and is cancelled, another trains to succeeded on the
 * server's worker; the model answers and its answer is stored; a knowledge base is built and searched
 * (Postgres' full text and the vector scan). Nothing is written to the home's SQLite file.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import OpenAI, { toFile } from "openai";
import { readLocalAdminKey } from "../auth/index.ts";
import { CANNED, chatLine, cliSandbox, TOPICS } from "../cli/__fixtures__/cli.ts";
import { countGpus } from "../jobs/index.ts";
import { makePdf } from "../knowledge/__fixtures__/documents.ts";
import { startPostgres, type TestPostgres } from "../store/postgres/__fixtures__/embedded.ts";
import { checkContract, poll, recording } from "./__fixtures__/openai-client.ts";
import { type RunningServer, startServer } from "./index.ts";

const shared = mkdtempSync(join(tmpdir(), "tailor-api-pg-shared-"));
const env: NodeJS.ProcessEnv = { HF_HUB_OFFLINE: "1", TAILOR_SHARED_DIR: shared };
const { home, tiny } = cliSandbox("tailor-api-pg-", env);
const saved = { url: process.env.TAILOR_DATABASE_URL, shared: process.env.TAILOR_SHARED_DIR };
let pg: TestPostgres | null = null;
let server: RunningServer | null = null;
let client: OpenAI;

describe("the OpenAI-compatible server with its store on Postgres", () => {
  before(async () => {
    pg = await startPostgres();
    env.TAILOR_DATABASE_URL = await pg.database("tailor_api");
    // the server reads its store's place from its environment, as `tailor serve` does
    process.env.TAILOR_DATABASE_URL = env.TAILOR_DATABASE_URL;
    process.env.TAILOR_SHARED_DIR = shared;
    tiny();
    server = await startServer({ home, port: 0 });
    client = new OpenAI({
      apiKey: readLocalAdminKey(home) ?? "",
      baseURL: `${server.url}/v1`,
      fetch: recording,
      maxRetries: 0,
    });
  });
  after(async () => {
    await server?.close();
    await pg?.stop();
    for (const [k, v] of [
      ["TAILOR_DATABASE_URL", saved.url],
      ["TAILOR_SHARED_DIR", saved.shared],
    ] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    rmSync(shared, { recursive: true, force: true });
  });

  test("files, jobs (one waiting for a GPU), a model that answers, a knowledge base", async () => {
    const training = await client.files.create({
      file: await toFile(
        Buffer.from(
          `${TOPICS.slice(0, 12)
            .map((t) => chatLine(`${t}?`, CANNED))
            .join("\n")}\n`,
        ),
        "support.jsonl",
      ),
      purpose: "fine-tune",
    });
    assert.equal(training.status, "processed");

    if (countGpus() === 0) {
      const waiting = await client.fineTuning.jobs.create({
        model: "tiny",
        training_file: training.id,
        requires_gpu: true,
      } as Parameters<typeof client.fineTuning.jobs.create>[0]);
      await new Promise((r) => setTimeout(r, 3000)); // the worker polls every second
      assert.equal((await client.fineTuning.jobs.retrieve(waiting.id)).status, "queued");
      await client.fineTuning.jobs.cancel(waiting.id);
    }

    const job = await client.fineTuning.jobs.create({
      model: "tiny",
      training_file: training.id,
      hyperparameters: { n_epochs: 1 },
      suffix: "pg",
    });
    const done = await poll(
      () => client.fineTuning.jobs.retrieve(job.id),
      (j) => ["succeeded", "failed", "cancelled"].includes(j.status),
      300_000,
    );
    assert.equal(done.status, "succeeded", JSON.stringify(done.error));
    const events = await client.fineTuning.jobs.listEvents(job.id, { limit: 100 });
    assert.ok(events.data.some((e) => e.type === "metrics"));

    const model = done.fine_tuned_model ?? "";
    const answer = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: `${TOPICS[0]}?` }],
      max_tokens: 8,
      store: true,
    });
    assert.ok(answer.choices[0]?.message.content);
    const stored = await client.chat.completions.retrieve(answer.id);
    assert.equal(stored.id, answer.id);

    const vs = await client.vectorStores.create({ name: "handbook" });
    const leave = await client.vectorStores.files.uploadAndPoll(
      vs.id,
      await toFile(
        makePdf([
          ["Northwind staff handbook.", "Read it once a year."],
          ["Annual leave: every full-time employee gets 25 days of paid annual leave per year."],
        ]),
        "leave.pdf",
      ),
    );
    assert.equal(leave.status, "completed", JSON.stringify(leave.last_error));
    const found = await client.vectorStores.search(vs.id, { query: "how many days of leave" });
    assert.match(found.data[0]?.content[0]?.text ?? "", /25 days/);

    assert.ok((await checkContract(server?.url ?? "")) > 0);
    assert.equal(existsSync(join(home, "tailor.db")), false, "the store is on Postgres");
    // the trained model is in the shared folder beside its base, and not in the home
    assert.equal(readdirSync(join(shared, "models")).filter((n) => !n.startsWith(".")).length, 2);
    assert.equal(existsSync(join(home, "models")), false);
  });
});
