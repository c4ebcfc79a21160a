/**
 * Classifiers end to end: one trained here with `bin/tailor train --task classify` (the real engine,
 * MiniLM, a temporary TAILOR_HOME) on e-mails of three kinds, then used through a real listening
 * server (`POST /v1/classifications`: labels and scores, one text or many, concurrent requests
 * batched with the same answers, members and sharing, chat refusing it) and through
 * `tailor classify` (a text, a CSV file, JSON lines).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { KeyStore, readLocalAdminKey } from "../auth/index.ts";
import { cliSandbox } from "../cli/__fixtures__/cli.ts";
import { openDb } from "../store/index.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, tailor, file } = cliSandbox("tailor-classify-e2e-", { HF_HUB_OFFLINE: "1" });
const MODEL = "router";

const TRAIN: Record<string, string[]> = {
  billing: [
    "My invoice shows the same charge twice, please refund one",
    "I was billed for an order I cancelled last week",
    "Can you send me a receipt for my payment?",
    "Why is this month's bill higher than the last one?",
    "The card payment went through twice for order 1042",
    "Please correct the VAT number on my invoice",
    "I need a copy of the invoice for my accountant",
    "You charged my credit card without my permission",
  ],
  spam: [
    "WIN a FREE cruise now!!! Click here to claim",
    "Cheap pills, no prescription needed, limited offer",
    "You are our lucky winner, claim your prize today",
    "Earn 5000 dollars a week from home, click now",
    "Hot singles in your area want to meet you",
    "Your account is suspended, verify your password at this link",
    "Congratulations! You have been selected for a free iPhone",
    "Make money fast with this one weird crypto trick",
  ],
  support: [
    "The app crashes when I open the settings page",
    "I cannot log in after resetting my password",
    "How do I export my data to a spreadsheet?",
    "The sync button does nothing on my phone",
    "Error 500 when I try to upload a photo",
    "The page keeps loading forever after the update",
    "How can I change the language of the interface?",
    "Notifications stopped arriving on my tablet",
  ],
};
const HELD_OUT: [string, string][] = [
  ["Please refund the double charge on my card", "billing"],
  ["Click here to win a free holiday, limited offer!!!", "spam"],
  ["The app crashes every time I open it", "support"],
];

let server: RunningServer;
const keys = { admin: "", alice: "" };

async function post(path: string, body: unknown, key = keys.admin) {
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface Classified {
  object: string;
  model: string;
  multi_label: boolean;
  usage: { prompt_tokens: number; total_tokens: number };
  data: {
    object: string;
    index: number;
    label: string | null;
    predicted: string[];
    labels: { label: string; score: number }[];
  }[];
}

before(async () => {
  const rows = Object.entries(TRAIN).flatMap(([label, texts]) =>
    texts.map((t) => `"${t}",${label}`),
  );
  const data = file("mail.csv", `text,label\n${rows.join("\n")}\n`);
  const trained = tailor(
    ...["train", "--task", "classify", "--data", data, "--epochs", "12"],
    ...["--name", MODEL, "--wait"],
  );
  assert.equal(trained.code, 0, trained.stderr + trained.stdout);
  server = await startServer({ home, port: 0, worker: false });
  keys.admin = readLocalAdminKey(home) ?? "";
  const store = new KeyStore(openDb(home));
  keys.alice = store.create({ name: "alice", role: "member" }).key;
  store.db.close();
});
after(async () => server?.close());

describe("POST /v1/classifications with a trained classifier", () => {
  test("each text gets every label with a score, highest first, and the predicted label", async () => {
    const r = await post("/v1/classifications", {
      model: MODEL,
      input: HELD_OUT.map(([t]) => t),
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const out = r.body as unknown as Classified;
    assert.equal(out.object, "list");
    assert.equal(out.model, MODEL);
    assert.equal(out.multi_label, false);
    assert.ok(out.usage.prompt_tokens > HELD_OUT.length);
    assert.deepEqual(
      out.data.map((d) => d.index),
      [0, 1, 2],
    );
    for (const d of out.data) {
      assert.equal(d.object, "classification");
      assert.deepEqual(d.labels.map((l) => l.label).sort(), ["billing", "spam", "support"]);
      const scores = d.labels.map((l) => l.score);
      assert.deepEqual(
        scores,
        [...scores].sort((a, b) => b - a),
        "highest first",
      );
      assert.ok(Math.abs(scores.reduce((a, b) => a + b, 0) - 1) < 1e-4, "single-label: softmax");
      assert.equal(d.label, d.labels[0]?.label);
      assert.deepEqual(d.predicted, [d.label]);
    }
    assert.deepEqual(
      out.data.map((d) => d.label),
      HELD_OUT.map(([, label]) => label),
      "the held-out e-mails are sorted as a person would",
    );
  });

  test("requests that arrive together are answered as each would be alone", async () => {
    const one = await post("/v1/classifications", { model: MODEL, input: HELD_OUT[1]?.[0] });
    assert.equal(one.status, 200);
    const alone = (one.body as unknown as Classified).data[0];
    const many = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        post("/v1/classifications", {
          model: MODEL,
          input: i % 2 ? [HELD_OUT[1]?.[0], `extra text ${i}`] : HELD_OUT[1]?.[0],
        }),
      ),
    );
    for (const r of many) {
      assert.equal(r.status, 200);
      const first = (r.body as unknown as Classified).data[0];
      assert.equal(first?.label, alone?.label);
      for (const [i, l] of (first?.labels ?? []).entries())
        assert.ok(Math.abs(l.score - (alone?.labels[i]?.score ?? 0)) < 1e-4, "same scores");
    }
  });

  test("a member may use it once it is shared; chat refuses it", async () => {
    const hidden = await post("/v1/classifications", { model: MODEL, input: "hi" }, keys.alice);
    assert.equal(hidden.status, 404);
    const shared = await post(`/v1/models/${MODEL}/share`, { shared: true });
    assert.equal(shared.status, 200);
    const allowed = await post("/v1/classifications", { model: MODEL, input: "hi" }, keys.alice);
    assert.equal(allowed.status, 200);
    const chat = await post("/v1/chat/completions", {
      model: MODEL,
      messages: [{ role: "user", content: "hello" }],
    });
    assert.equal(chat.status, 400);
    assert.match(JSON.stringify(chat.body), /is a classifier.*POST \/v1\/classifications/);
  });
});

describe("tailor classify with a trained classifier", () => {
  test("one text shows every label's score, the predicted one marked", () => {
    const r = tailor("classify", MODEL, "I was charged twice, refund please");
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 3);
    assert.match(lines[0] ?? "", /^\* billing\s+0\.\d{3}/);
  });

  test("a CSV file: a table with the file's lines, and JSON lines with --json", () => {
    const csv = file(
      "inbox.csv",
      `id,text\n1,"${HELD_OUT[0]?.[0]}"\n2,"${HELD_OUT[1]?.[0]}"\n3,"${HELD_OUT[2]?.[0]}"\n`,
    );
    const shown = tailor("classify", MODEL, csv);
    assert.equal(shown.code, 0, shown.stderr);
    const rows = shown.stdout.trim().split("\n");
    assert.match(rows[0] ?? "", /^LINE\s+LABEL\s+SCORE\s+TEXT/);
    assert.match(rows[1] ?? "", /^2\s+billing\s+0\.\d{3}\s+Please refund/);
    assert.match(shown.stderr, /classified 3 texts with router .*billing 1, spam 1, support 1/);
    const json = tailor("classify", MODEL, csv, "--json");
    assert.equal(json.code, 0, json.stderr);
    const parsed = json.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { line: number; label: string; labels: unknown[] });
    assert.deepEqual(
      parsed.map((p) => [p.line, p.label]),
      [
        [2, "billing"],
        [3, "spam"],
        [4, "support"],
      ],
    );
  });

  test("a bad file names its line and field; a chat model is refused", () => {
    const bad = file("bad.jsonl", '{"text": "fine"}\n{"body": "no text"}\n');
    const r = tailor("classify", MODEL, bad);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /bad\.jsonl:2: field text is missing/);
    const chat = tailor("generate", MODEL, "--prompt", "hello");
    assert.notEqual(chat.code, 0);
    assert.match(chat.stderr, /'router' is a classifier .*tailor classify router/);
  });
});
