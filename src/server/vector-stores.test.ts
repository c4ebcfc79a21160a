/**
 * Vector stores and chat with retrieval over the API: a real server on a temporary TAILOR_HOME, the
 * real engine (all-MiniLM-L6-v2 embeddings, the tiny chat model, whose answers are noise: the tests
 * look at the citations and at the prompt the model was given), and the official `openai` client.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import OpenAI, { toFile } from "openai";
import type { ChatMessage } from "../../protocol/index.ts";
import { readLocalAdminKey } from "../auth/index.ts";
import { cliSandbox } from "../cli/__fixtures__/cli.ts";
import { makeDocx, makePdf } from "../knowledge/__fixtures__/documents.ts";
import { InferenceEngine } from "../serving/index.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, tiny } = cliSandbox("tailor-vs-", { HF_HUB_OFFLINE: "1" });

/** The real engine, keeping the conversations it was asked to answer. */
class Recording extends InferenceEngine {
  prompts: ChatMessage[][] = [];
  override generate(...args: Parameters<InferenceEngine["generate"]>) {
    this.prompts.push(args[0].messages);
    return super.generate(...args);
  }
}
const inference = new Recording({ env: { ...process.env, HF_HUB_OFFLINE: "1" } });
let server: RunningServer;
let client: OpenAI;

before(async () => {
  tiny();
  server = await startServer({ home, port: 0, worker: false, inference, studioDir: null });
  client = new OpenAI({
    apiKey: readLocalAdminKey(home) ?? "",
    baseURL: `${server.url}/v1`,
    maxRetries: 0,
  });
});
after(async () => {
  await server?.close();
});

const LEAVE = makePdf([
  ["Northwind staff handbook.", "Read it once a year."],
  ["Annual leave: every full-time employee gets 25 days of paid annual leave per year."],
]);
const EXPENSES = makeDocx([
  { h: 1, text: "Expenses" },
  "Submit receipts within 30 days through the finance portal.",
]);

/** Tailor's extension of the request (the SDK passes unknown fields through). */
const knowledge = (id: string) => ({ tailor: { vector_store_ids: [id] } }) as Record<never, never>;

type Retrieval = {
  found: boolean;
  citations: { index: number; filename: string; location: string; file_id: string; text: string }[];
};

test("a vector store over the API: add files, search, chat with citations, delete", async () => {
  const vs = await client.vectorStores.create({ name: "handbook" });
  assert.equal(vs.object, "vector_store");
  const leave = await client.vectorStores.files.uploadAndPoll(
    vs.id,
    await toFile(LEAVE, "leave.pdf"),
  );
  assert.equal(leave.status, "completed", JSON.stringify(leave.last_error));
  const docx = await client.files.create({
    file: await toFile(EXPENSES, "expenses.docx"),
    purpose: "assistants",
  });
  const expenses = await client.vectorStores.files.createAndPoll(vs.id, { file_id: docx.id });
  assert.equal(expenses.status, "completed");
  const broken = await client.vectorStores.files.uploadAndPoll(
    vs.id,
    await toFile(Buffer.from("%PDF-1.7 cut"), "broken.pdf"),
  );
  assert.equal(broken.status, "failed");
  assert.equal(broken.last_error?.code, "invalid_file");
  assert.match(broken.last_error?.message ?? "", /broken\.pdf/);

  // adding the same file again does not duplicate it
  const again = await client.vectorStores.files.createAndPoll(vs.id, { file_id: docx.id });
  assert.equal(again.id, docx.id);
  const store = await client.vectorStores.retrieve(vs.id);
  assert.deepEqual(store.file_counts, {
    in_progress: 0,
    completed: 2,
    failed: 1,
    cancelled: 0,
    total: 3,
  });
  const listed = await client.vectorStores.files.list(vs.id);
  assert.equal(listed.data.length, 3);

  const page = await client.vectorStores.search(vs.id, {
    query: "how many days of leave",
    max_num_results: 3,
  });
  const first = page.data[0];
  assert.equal(first?.filename, "leave.pdf");
  assert.match(first?.content[0]?.text ?? "", /25 days/);
  assert.equal((first as unknown as { tailor: { page: number } }).tailor.page, 2);

  // chat with retrieval: citations come back, and the passages were in the prompt
  const answer = await client.chat.completions.create({
    model: "tiny",
    messages: [{ role: "user", content: "How many days of annual leave do I get?" }],
    max_tokens: 8,
    ...knowledge(vs.id),
  });
  const r = (answer as unknown as { tailor: Retrieval }).tailor;
  assert.equal(r.found, true);
  assert.equal(r.citations[0]?.filename, "leave.pdf");
  assert.equal(r.citations[0]?.location, "page 2");
  const prompt = inference.prompts.at(-1)?.[0]?.content ?? "";
  assert.match(prompt, /Cite each passage you use by its number/);
  assert.match(prompt, /\[1\] leave\.pdf, page 2\n.*25 days/);

  // streaming: the citations come first, in a chunk with no choices
  const stream = await client.chat.completions.create({
    model: "tiny",
    messages: [{ role: "user", content: "When do I submit receipts?" }],
    max_tokens: 4,
    stream: true,
    ...knowledge(vs.id),
  });
  const chunks = [];
  for await (const ch of stream) chunks.push(ch);
  const head = chunks[0] as unknown as { choices: unknown[]; tailor: Retrieval };
  assert.deepEqual(head.choices, []);
  assert.equal(head.tailor.citations[0]?.filename, "expenses.docx");
  assert.equal(head.tailor.citations[0]?.location, "Expenses");

  // an off-topic question: the model is told nothing relevant was found
  const off = await client.chat.completions.create({
    model: "tiny",
    messages: [
      { role: "system", content: "You are the HR assistant." },
      { role: "user", content: "What is the capital of Australia?" },
    ],
    max_tokens: 4,
    ...knowledge(vs.id),
  });
  assert.equal((off as unknown as { tailor: Retrieval }).tailor.found, false);
  assert.deepEqual((off as unknown as { tailor: Retrieval }).tailor.citations, []);
  assert.match(
    inference.prompts.at(-1)?.[0]?.content ?? "",
    /^You are the HR assistant\.\n\n.*nothing relevant was found/,
  );

  // the chunks of a file, for the studio's chunk view
  const content = await fetch(`${server.url}/v1/vector_stores/${vs.id}/files/${leave.id}/content`, {
    headers: { authorization: `Bearer ${readLocalAdminKey(home)}` },
  }).then((res) => res.json() as Promise<{ data: { text: string; tailor: { page: number } }[] }>);
  assert.deepEqual(
    content.data.map((d) => d.tailor.page),
    [1, 2],
  );

  // removing a file takes its passages out of search
  await client.vectorStores.files.delete(leave.id, { vector_store_id: vs.id });
  const after = await client.vectorStores.search(vs.id, { query: "how many days of leave" });
  assert.ok(after.data.every((d) => d.filename !== "leave.pdf"));

  // deleting the uploaded file takes it out of the store too: its text does not outlive it
  await client.files.delete(docx.id);
  const left = await client.vectorStores.files.list(vs.id);
  assert.deepEqual(
    left.data.map((f) => f.id),
    [broken.id],
  );
  const gone = await client.vectorStores.search(vs.id, { query: "expenses receipts" });
  assert.ok(gone.data.every((d) => d.file_id !== docx.id));
  const deleted = await client.vectorStores.delete(vs.id);
  assert.equal(deleted.deleted, true);
  await assert.rejects(
    client.vectorStores.retrieve(vs.id),
    (e: unknown) => e instanceof OpenAI.NotFoundError,
  );
});
