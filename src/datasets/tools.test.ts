/** The whole-set checks and the stored copies of examples with tools. */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openDb } from "../store/index.ts";
import { checkData } from "./check.ts";
import { DatasetStore } from "./store.ts";

const dir = mkdtempSync(join(tmpdir(), "tailor-tools-"));
let n = 0;
function file(lines: object[]): string {
  const path = join(dir, `t${n++}.jsonl`);
  writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
  return path;
}
const fn = (name: string, props: string[]) => ({
  type: "function",
  function: {
    name,
    parameters: {
      type: "object",
      properties: Object.fromEntries(props.map((p) => [p, { type: "string" }])),
      required: props,
    },
  },
});
const tools = [
  fn("get_order_status", ["order_id"]),
  fn("book_repair", ["bike"]),
  fn("find_product", ["query"]),
];
/** A question answered by one call (no result: the call is what the model learns). */
const calling = (question: string, name: string, args: object, t: object[] = tools) => ({
  tools: t,
  messages: [
    { role: "user", content: question },
    {
      role: "assistant",
      tool_calls: [
        { id: "call_1", type: "function", function: { name, arguments: JSON.stringify(args) } },
      ],
    },
  ],
});

test("a function never called and calls all to one function are warned about, with counts", async () => {
  const lines = Array.from({ length: 12 }, (_, i) =>
    calling(`Where is order A-${i}?`, "get_order_status", { order_id: `A-${i}` }),
  );
  const r = await checkData(file(lines));
  assert.equal(r.ok, true, JSON.stringify(r.errors));
  assert.equal(r.stats.tool_calls, 12);
  assert.equal(r.stats.examples_with_tools, 12);
  const tw = r.warnings.filter((w) => w.code === "tool_never_called");
  assert.deepEqual(
    tw.map((w) => [w.line, w.message]),
    ["book_repair", "find_product"].map((name) => [
      1,
      `the function "${name}" is defined in 12 lines but never called in the set; add examples that call it (the model cannot learn when to use it), or remove it from tools`,
    ]),
  );
  const one = r.warnings.find((w) => w.code === "one_function_called");
  assert.equal(
    one?.message,
    'all 12 calls go to "get_order_status" although 3 functions are defined; add examples that call "book_repair", "find_product", or the model learns to call "get_order_status" for everything',
  );

  // varied calls: neither warning, and different calls to one function are not "the same answer"
  const varied = [
    ...Array.from({ length: 4 }, (_, i) =>
      calling(`Where is order B-${i}?`, "get_order_status", { order_id: `B-${i}` }),
    ),
    ...Array.from({ length: 4 }, (_, i) =>
      calling(`Fix bike ${i}`, "book_repair", { bike: `Bike ${i}` }),
    ),
    ...Array.from({ length: 4 }, (_, i) =>
      calling(`Find lock ${i}`, "find_product", { query: `lock ${i}` }),
    ),
  ];
  const ok = await checkData(file(varied));
  assert.deepEqual(
    ok.warnings.map((w) => w.code),
    ["few_examples"],
  );
});

test("two lines asking the same with different calls are not duplicates; the same call twice is", async () => {
  const base = Array.from({ length: 10 }, (_, i) =>
    calling(`Question ${i}?`, "find_product", { query: `thing ${i}` }),
  );
  const r = await checkData(
    file([
      ...base,
      calling("Where is my order?", "get_order_status", { order_id: "A-1" }),
      calling("Where is my order?", "get_order_status", { order_id: "B-2" }),
      calling("Where is my order?", "get_order_status", { order_id: "B-2" }),
    ]),
  );
  const dupes = r.warnings.filter((w) => w.code === "duplicate" || w.code === "near_duplicate");
  assert.deepEqual(
    dupes.map((w) => [w.line, w.code, w.lines]),
    [[13, "duplicate", [12]]],
  );
  assert.ok(!r.warnings.some((w) => w.code === "similar_outputs"));
});

test("personal data in call arguments and tool results is found, and redacted in a stored copy", async () => {
  const lines = Array.from({ length: 10 }, (_, i) => ({
    tools: [fn("email_customer", ["to", "text"])],
    messages: [
      { role: "user", content: `Tell customer ${i} the bike is ready` },
      {
        role: "assistant",
        tool_calls: [
          {
            id: "c1",
            type: "function",
            function: {
              name: "email_customer",
              arguments: JSON.stringify({ to: `jane.doe${i}@example.com`, text: "Ready" }),
            },
          },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: `sent to jane.doe${i}@example.com` },
      { role: "assistant", content: "Done, the customer has been told." },
    ],
  }));
  const path = file(lines);
  const r = await checkData(path);
  assert.deepEqual(
    r.pii.filter((p) => p.line === 1).map((p) => [p.field, p.type]),
    [
      ["messages[1].tool_calls[0].function.arguments", "EMAIL"],
      ["messages[2].content", "EMAIL"],
    ],
  );
  const home = mkdtempSync(join(tmpdir(), "tailor-tools-store-"));
  const store = new DatasetStore(openDb(home), home);
  const { version } = await store.add(path, { redact: true });
  const first = JSON.parse(store.cat(version.id).split("\n")[0] ?? "") as {
    tools: unknown[];
    messages: { content: string; tool_calls?: { function: { arguments: string } }[] }[];
  };
  assert.equal(first.tools.length, 1);
  const args = JSON.parse(first.messages[1]?.tool_calls?.[0]?.function.arguments ?? "") as {
    to: string;
    text: string;
  };
  assert.equal(args.text, "Ready");
  assert.match(args.to, /^\[EMAIL/);
  assert.equal(first.messages[2]?.content, `sent to ${args.to}`, "one address, one placeholder");
  // the redacted copy still passes the checks (arguments valid JSON against the schema)
  assert.equal((await checkData(store.files(version.id).train)).ok, true);
});

test("a stored dataset keeps each line's tools and parallel_tool_calls, legacy lines in the tools form", async () => {
  const lines = [
    ...Array.from({ length: 9 }, (_, i) => ({
      ...calling(`Where is C-${i}?`, "get_order_status", { order_id: `C-${i}` }),
      parallel_tool_calls: false,
    })),
    {
      functions: [tools[0]?.function],
      messages: [
        { role: "user", content: "Where is D-1?" },
        {
          role: "assistant",
          content: null,
          function_call: { name: "get_order_status", arguments: '{"order_id": "D-1"}' },
        },
        { role: "function", name: "get_order_status", content: "shipped" },
        { role: "assistant", content: "D-1 has shipped." },
      ],
    },
  ];
  const home = mkdtempSync(join(tmpdir(), "tailor-tools-store-"));
  const store = new DatasetStore(openDb(home), home);
  const { version } = await store.add(file(lines));
  const stored = store
    .cat(version.id)
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(stored.length, 10);
  for (const line of stored.slice(0, 9)) {
    assert.deepEqual(line.tools, tools);
    assert.equal(line.parallel_tool_calls, false);
  }
  assert.deepEqual(stored[9], {
    messages: [
      { role: "user", content: "Where is D-1?" },
      {
        role: "assistant",
        content: "",
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "get_order_status", arguments: '{"order_id": "D-1"}' },
          },
        ],
      },
      { role: "tool", content: "shipped", tool_call_id: "call_1" },
      { role: "assistant", content: "D-1 has shipped." },
    ],
    tools: [tools[0]],
  });
});
