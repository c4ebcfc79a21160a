/**
 * `tailor assistants` through bin/tailor on a real TAILOR_HOME (SQLite, the tiny model registered):
 * create from flags and from a file with an HTTP function whose secret header is never printed,
 * show, update to version 2, versions, a bad --from file named by line and field, publish with a
 * passcode and unpublish, delete, conversations read back, and export to training JSONL.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import type { Assistant, AssistantVersion } from "../../protocol/assistants.ts";
import { withServices } from "../services/index.ts";
import { type CliResult, cliSandbox } from "./__fixtures__/cli.ts";
import { main } from "./main.ts";

const { home, tailor, file, tiny } = cliSandbox("tailor-assistants-cli-");
tiny();
process.env.TAILOR_HOME = home;

const SECRET = "sk-live-9f8e7d6c5b4a";

/**
 * Runs one command line in this process, as `main` does (exit codes mapped), capturing what it
 * writes: a process per command costs seconds; bin/tailor itself is run once below.
 */
async function run(...args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const { write: writeOut } = process.stdout;
  const { write: writeErr } = process.stderr;
  process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof writeOut;
  process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof writeErr;
  process.exitCode = undefined;
  try {
    const code = await main(["node", "tailor", ...args]);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    process.exitCode = undefined;
  }
}

/** Runs a command that must succeed. */
async function ok(...args: string[]): Promise<CliResult> {
  const r = await run(...args);
  assert.equal(r.code, 0, `tailor ${args.join(" ")}: ${r.stderr}${r.stdout}`);
  return r;
}
const json = async <T>(...args: string[]) => JSON.parse((await ok(...args, "--json")).stdout) as T;

test("create from flags, show, update to version 2 (the rest kept), versions, an earlier version", async () => {
  const a = await json<Assistant>(
    "assistants",
    "create",
    "--name",
    "Course tutor",
    "--model",
    "tiny",
    "--instructions",
    "Answer students' questions about the course, briefly.",
    "--temperature",
    "0.3",
    "--greeting",
    "Hello! Ask me about the course.",
    "--suggest",
    "When is the exam?",
    "--suggest",
    "How are grades computed?",
  );
  assert.match(a.id, /^asst_/);
  assert.equal(a.version, 1);
  assert.equal(a.owner, "local");
  assert.equal(a.settings.sampling.temperature, 0.3);
  assert.deepEqual(a.settings.suggested_questions, [
    "When is the exam?",
    "How are grades computed?",
  ]);

  // bin/tailor itself, as a user runs it
  const bin = tailor("assistants", "show", a.id);
  assert.equal(bin.code, 0, bin.stderr);
  const shown = bin.stdout;
  assert.match(shown, /^Course tutor \(asst_\w+\), version 1, owner local/);
  assert.match(shown, /temperature 0\.3, top-p 1, top-k 0, at most 512 tokens/);
  assert.match(shown, /greeting: +Hello! Ask me about the course\./);
  assert.match(shown, new RegExp(`not shared \\(tailor assistants publish ${a.id} shares it\\)`));

  // by name too; one sampling flag keeps the others
  const updated = await ok("assistants", "update", "Course tutor", "--top-k", "40");
  assert.equal(updated.stdout, "version 2\n");
  const now = await json<Assistant>("assistants", "show", a.id);
  assert.equal(now.version, 2);
  assert.deepEqual(now.settings.sampling, {
    temperature: 0.3,
    top_p: 1,
    top_k: 40,
    max_tokens: 512,
  });
  assert.equal(now.settings.greeting, "Hello! Ask me about the course.");

  const versions = (await json<{ data: AssistantVersion[] }>("assistants", "versions", a.id)).data;
  assert.deepEqual(
    versions.map((v) => [v.version, v.author]),
    [
      [2, "cli"],
      [1, "cli"],
    ],
  );
  assert.match((await ok("assistants", "versions", a.id)).stdout, /^VERSION +MADE +BY/);
  const first = await json<AssistantVersion>("assistants", "show", a.id, "1");
  assert.equal(first.settings.sampling.top_k, 0);
  const missing = await run("assistants", "show", a.id, "7");
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /version 7: Course tutor has versions 1 to 2/);

  const nothing = await run("assistants", "update", a.id);
  assert.equal(nothing.code, 2);
  assert.match(nothing.stderr, /nothing to change/);

  const audit = await json<{ action: string; target: string }[]>("audit", "--action", "assistants");
  assert.deepEqual(
    audit.map((e) => [e.action, e.target]),
    [
      ["assistants.update", a.id],
      ["assistants.create", a.id],
    ],
  );
});

const ORDER_FUNCTION = {
  kind: "http",
  name: "get_order",
  description: "Where a customer's order is.",
  url: "https://shop.example.com/orders/{order_id}",
  method: "GET",
  parameters: {
    type: "object",
    properties: { order_id: { type: "string" } },
    required: ["order_id"],
  },
  headers: [
    { name: "Authorization", value: `Bearer ${SECRET}`, secret: true },
    { name: "X-Shop", value: "northwind" },
  ],
};

test("create from a file with an HTTP function: the secret header is stored, never printed", async () => {
  const settings = file(
    "support.json",
    JSON.stringify(
      {
        name: "Support",
        model: "a-model-the-flag-replaces",
        instructions: "You help Northwind Bikes' customers.",
        functions: [ORDER_FUNCTION],
        greeting: "Hi! Ask about your order.",
      },
      null,
      2,
    ),
  );
  const made = await ok("assistants", "create", "--from", settings, "--model", "tiny");
  assert.ok(!`${made.stdout}${made.stderr}`.includes(SECRET));
  assert.match(
    made.stdout,
    /get_order \(HTTP GET https:\/\/shop\.example\.com\/orders\/\{order_id\}/,
  );
  assert.match(made.stdout, /^ +Authorization: \(secret, stored\)$/m);
  assert.match(made.stdout, /^ +X-Shop: northwind$/m);
  assert.match(made.stdout, /hosts: shop\.example\.com/);
  const id = /\((asst_\w+)\)/.exec(made.stdout)?.[1] ?? "";

  for (const args of [
    ["assistants", "show", id],
    ["assistants", "show", id, "--json"],
    ["assistants", "list", "--json"],
    ["assistants", "versions", id, "--json"],
    ["assistants", "create", "--from", settings, "--model", "tiny", "--json"],
  ]) {
    const r = await ok(...args);
    assert.ok(!`${r.stdout}${r.stderr}`.includes(SECRET), `${args.join(" ")} printed the secret`);
  }
  const a = await json<Assistant>("assistants", "show", id);
  const fn = a.settings.functions[0];
  assert.equal(fn?.kind, "http");
  assert.deepEqual(fn?.kind === "http" ? fn.headers : null, [
    { name: "Authorization", value: null, secret: true },
    { name: "X-Shop", value: "northwind", secret: false },
  ]);
  // kept sealed, and opened for the runner
  const header = withServices(home, (s) => {
    const f = s.assistants.runtime(id).settings.functions[0];
    return f?.kind === "http" ? f.headers[0]?.value : null;
  });
  assert.equal(header, `Bearer ${SECRET}`);
  for (const db of ["tailor.db", "tailor.db-wal"].filter((f) => existsSync(`${home}/${f}`)))
    assert.ok(!readFileSync(`${home}/${db}`).includes(SECRET), `the secret is in ${db} in clear`);
});

test("a bad --from file is named by line and field; a bad flag by its name", async () => {
  const cases: [string, RegExp][] = [
    [
      '{\n  "name": "X",\n  "model": "tiny",\n  "temperature": 0.3\n}\n',
      /line 4: temperature: not a setting here \(did you mean sampling\.temperature\?\)/,
    ],
    [
      `{\n  "name": "X",\n  "model": "tiny",\n  "functions": [\n    {\n      "kind": "http",\n      "name": "f",\n      "url": "not a url"\n    }\n  ]\n}\n`,
      /line 8: functions\[0\]\.url: must be a URL/,
    ],
    [
      `{\n  "name": "X",\n  "model": "tiny",\n  "functions": [\n    {\n      "kind": "http",\n      "name": "f",\n      "url": "https://x.example.com/{id}"\n    }\n  ]\n}\n`,
      /line 8: functions\[0\]\.url: \{id\} is not one of the arguments/,
    ],
    ['{\n  "name": "X",\n  "model": "tiny"\n  "greeting": "hi"\n}\n', /line 3: not JSON/],
  ];
  for (const [text, message] of cases) {
    const path = file("bad.json", text);
    const r = await run("assistants", "create", "--from", path);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: ${path}`));
    assert.match(r.stderr, message);
  }
  const flag = await run(
    "assistants",
    "create",
    "--name",
    "X",
    "--model",
    "tiny",
    "--temperature",
    "5",
  );
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /--temperature: must be at most 2/);
  const noModel = await run("assistants", "create", "--name", "X");
  assert.equal(noModel.code, 2);
  assert.match(noModel.stderr, /--model is required/);
  const kb = await run(
    "assistants",
    "create",
    "--name",
    "X",
    "--model",
    "tiny",
    "--kb",
    "handbook",
  );
  assert.equal(kb.code, 3);
  assert.match(kb.stderr, /--kb handbook: no such knowledge base; `tailor kb list`/);
  const model = await run("assistants", "create", "--name", "X", "--model", "gpt-9");
  assert.equal(model.code, 5);
  assert.match(model.stderr, /--model: no model 'gpt-9' here/);
});

test("a knowledge base and a policy by name (stored by id); 'none' takes them off", async () => {
  const kb = await json<{ id: string }>("kb", "create", "course-notes");
  const policy = await json<{ id: string }>(
    "policies",
    "create",
    "no-spoilers",
    "--output-term",
    "exam answers",
  );
  const a = await json<Assistant>(
    "assistants",
    "create",
    "--name",
    "Notes tutor",
    "--model",
    "tiny",
    "--kb",
    "course-notes",
    "--policy",
    "no-spoilers",
  );
  assert.deepEqual(a.settings.knowledge.vector_store_ids, [kb.id]);
  assert.equal(a.settings.moderation_policy, policy.id);
  assert.match((await ok("assistants", "show", a.id)).stdout, new RegExp(`knowledge: +${kb.id}`));
  await ok("assistants", "update", a.id, "--kb", "none", "--policy", "none");
  const off = await json<Assistant>("assistants", "show", a.id);
  assert.deepEqual(off.settings.knowledge.vector_store_ids, []);
  assert.equal(off.settings.moderation_policy, null);
});

test("publish with a passcode (path and address printed), unpublish, delete only with --yes", async () => {
  const { id } = await json<Assistant>(
    "assistants",
    "create",
    "--name",
    "Clinic intake",
    "--model",
    "tiny",
  );
  const short = await run("assistants", "publish", id, "--passcode", "abc");
  assert.equal(short.code, 2);
  assert.match(short.stderr, /--passcode: must be at least 4 characters/);

  const r = await ok(
    "assistants",
    "publish",
    id,
    "--passcode",
    "tulip-42",
    "--slug",
    "clinic-intake",
  );
  assert.equal(r.stdout, "/a/clinic-intake\nhttp://127.0.0.1:8700/a/clinic-intake\n");
  assert.match(r.stderr, /with whoever has the link and the passcode/);
  assert.ok(!`${r.stdout}${r.stderr}`.includes("tulip-42"));
  const shown = await ok("assistants", "show", id, "--server", "https://tailor.example.org/");
  assert.match(
    shown.stdout,
    /published with a passcode at \/a\/clinic-intake \(https:\/\/tailor\.example\.org\/a\/clinic-intake\)/,
  );
  const published = withServices(home, (s) => ({
    page: s.assistants.bySlug("clinic-intake")?.id,
    right: s.assistants.checkPasscode(id, "tulip-42"),
    wrong: s.assistants.checkPasscode(id, "tulip-43"),
  }));
  assert.deepEqual(published, { page: id, right: true, wrong: false });

  assert.match((await ok("assistants", "unpublish", id)).stdout, /unpublished Clinic intake/);
  assert.equal(
    withServices(home, (s) => s.assistants.bySlug("clinic-intake")),
    null,
  );
  assert.equal((await json<Assistant>("assistants", "show", id)).publication.published, false);

  const refused = await run("assistants", "delete", id);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /give --yes to do it/);
  assert.match(
    (await ok("assistants", "delete", id, "--yes")).stdout,
    /deleted assistant Clinic intake/,
  );
  assert.equal((await run("assistants", "show", id)).code, 3);
});

test("conversations listed and read; export: none, then one appended through the store", async () => {
  const { id } = await json<Assistant>(
    "assistants",
    "create",
    "--name",
    "Shop helper",
    "--model",
    "tiny",
    "--instructions",
    "You answer Northwind Bikes' customers.",
  );
  const empty = await ok("assistants", "export", id, "--out", `${home}/empty.jsonl`);
  assert.match(empty.stdout, /^wrote 0 lines to .*empty\.jsonl: 0 conversations/);
  assert.match(empty.stderr, /no conversations yet/);
  assert.equal(readFileSync(`${home}/empty.jsonl`, "utf8"), "");
  assert.match(
    (await ok("assistants", "conversations", id)).stderr,
    /no conversations with Shop helper/,
  );

  const conv = withServices(home, (s) => {
    const c = s.conversations.start(id, "share", "visitor-1", 30);
    s.conversations.append(
      c.id,
      {
        role: "user",
        content: "Where is order NW-10010?",
        version: null,
        sources: [],
        function_calls: [],
        finish_reason: null,
      },
      30,
    );
    const answer = s.conversations.append(
      c.id,
      {
        role: "assistant",
        content: "It left the warehouse this morning.",
        version: 1,
        sources: [
          {
            index: 1,
            vector_store_id: "vs_1",
            file_id: "file-1",
            filename: "shipping.md",
            location: "Shipping › Times",
            page: null,
            section: "Shipping › Times",
            chunk: 0,
            text: "Orders ship within a day.",
            score: 0.9,
            similarity: 0.8,
          },
        ],
        function_calls: [
          {
            call_id: "call_1",
            name: "get_order",
            arguments: '{"order_id":"NW-10010"}',
            kind: "http",
            status: "ok",
            http_status: 200,
            duration_ms: 12,
            output: '{"status":"shipped"}',
          },
        ],
        finish_reason: "stop",
      },
      30,
    );
    s.conversations.feedback(c.id, answer.id, { rating: "up" });
    return c.id;
  });

  const list = (await ok("assistants", "conversations", id)).stdout;
  assert.match(list, /^WHEN +ID +FIRST QUESTION +MESSAGES +FEEDBACK +FROM/);
  assert.match(list, new RegExp(`${conv} +Where is order NW-10010\\? +2 +1 up +share page`));
  const read = (await ok("assistants", "conversations", id, conv)).stdout;
  assert.match(read, /^you \(.*\): Where is order NW-10010\?$/m);
  assert.match(read, /^assistant \(version 1\):\n {2}It left the warehouse this morning\.$/m);
  assert.match(read, /called get_order\(\{"order_id":"NW-10010"\}\): ok 200, 12 ms/);
  assert.match(read, /\[1\] shipping\.md, Shipping › Times/);
  assert.match(read, /feedback: thumbs up/);

  // a shorter retention applies to the stored conversations too
  await ok("assistants", "update", id, "--retention-days", "7");
  const kept = withServices(home, (s) => s.conversations.get(conv));
  assert.equal(kept.expires_at - kept.updated_at, 7 * 86_400);

  const out = `${home}/shop.jsonl`;
  const r = await ok("assistants", "export", id, "--out", out);
  assert.match(r.stdout, /^wrote 1 line to .*shop\.jsonl: 1 conversation, one a line/);
  assert.match(r.stderr, new RegExp(`next: tailor data check ${out}`));
  assert.deepEqual(JSON.parse(readFileSync(out, "utf8")), {
    messages: [
      { role: "system", content: "You answer Northwind Bikes' customers." },
      { role: "user", content: "Where is order NW-10010?" },
      { role: "assistant", content: "It left the warehouse this morning." },
    ],
  });
  const counts = await json<{ conversations: number; lines: number; filter: string }>(
    "assistants",
    "export",
    id,
    "--out",
    out,
    "--filter",
    "all",
  );
  assert.deepEqual([counts.conversations, counts.lines, counts.filter], [1, 1, "all"]);
});
