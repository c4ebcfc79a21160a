/**
 * `tailor chat` with functions and schemas as a user runs it: its own process, the real engine, the
 * tiny model (random weights: what it says is noise, but constrained decoding makes every call and
 * every JSON answer valid), the tool's result typed on stdin.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { InferenceEngine } from "../serving/index.ts";
import { cliSandbox, ORDER_TOOL, orderCallsJsonl } from "./__fixtures__/cli.ts";
import { compareStructured, heldOut, renderStructured } from "./structured-demo.ts";

const BIN = fileURLToPath(new URL("../../bin/tailor", import.meta.url));
const EMAILS = fileURLToPath(new URL("../../examples/email-to-json/", import.meta.url));
const env = { HF_HUB_OFFLINE: "1" };
const { home, file, tiny, trainTiny } = cliSandbox("tailor-chat-tools-", env);

/** `tailor chat tiny ARGS` with `input` typed on stdin. */
function chat(input: string, ...args: string[]) {
  return chatWith("tiny", input, ...args);
}
function chatWith(model: string, input: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, "chat", model, ...args], {
    input,
    encoding: "utf8",
    env: { ...process.env, ...env, TAILOR_HOME: home },
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ORDER_SCHEMA = ORDER_TOOL.function.parameters;
const TOOLS = [ORDER_TOOL];

before(() => tiny());
after(() => rmSync(home, { recursive: true, force: true }));

test("a call prints as a card, its result is asked for, and the conversation goes on", () => {
  const tools = file("tools.json", JSON.stringify(TOOLS));
  const r = chat(
    '{"status": "shipped"}\n',
    "--tools",
    tools,
    "--tool-choice",
    "get_order_status",
    "--prompt",
    "Where is my order NW-10482?",
    "--max-tokens",
    "60",
  );
  assert.equal(r.code, 0, r.stderr);
  // the card: the function, then each argument on its own line; then the question for its result
  assert.match(
    r.stdout,
    /┌─ calls get_order_status\n│ \{\n│ {3}"order_id": "NW-\d{5}"\n│ \}\n└─\n/,
  );
  assert.match(r.stdout, /result of get_order_status> /);
  // the result was sent and the model answered again (the named function: another call)
  assert.equal(r.stdout.match(/┌─ calls get_order_status/g)?.length, 2, r.stdout);
  assert.match(r.stderr, /no result for get_order_status: the input ended/);
});

test("--json prints each answer's calls as OpenAI writes them, ids included (one a turn)", () => {
  const tools = file("tools.json", JSON.stringify(TOOLS));
  const r = chat(
    '{"status": "shipped"}\n',
    "--tools",
    tools,
    "--tool-choice",
    "required",
    "--no-parallel-tool-calls",
    "--prompt",
    "Where is my order NW-10482?",
    "--max-tokens",
    "60",
    "--json",
  );
  assert.equal(r.code, 0, r.stderr);
  const answers = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(answers.length, 2, r.stdout);
  const calls = answers.map((a) => a.tool_calls[0]);
  assert.deepEqual(
    calls.map((c) => [c.id, c.type, c.function.name]),
    [
      ["call_1", "function", "get_order_status"],
      ["call_2", "function", "get_order_status"],
    ],
  );
  for (const c of calls) assert.match(JSON.parse(c.function.arguments).order_id, /^NW-\d{5}$/);
});

test("--schema: the answer is JSON valid against the schema", () => {
  const schema = ORDER_SCHEMA;
  const r = chat(
    "",
    "--schema",
    file("order.json", JSON.stringify(schema)),
    "--prompt",
    "Which order?",
    "--max-tokens",
    "40",
    "--json",
  );
  assert.equal(r.code, 0, r.stderr);
  const answer = JSON.parse(JSON.parse(r.stdout).text);
  assert.ok(new Ajv().validate(schema, answer), JSON.stringify(answer));
});

test("a model trained with functions is offered them unless --no-tools", () => {
  const data = file("orders.jsonl", orderCallsJsonl(10, TOOLS));
  trainTiny("orders", data);
  const ask = ["--prompt", "Where is my order NW-10482?", "--max-tokens", "60", "--json"];
  const offered = chatWith("orders", "", "--tool-choice", "required", ...ask);
  assert.equal(offered.code, 0, offered.stderr);
  const first = JSON.parse(offered.stdout.split("\n")[0] ?? "");
  assert.equal(first.tool_calls[0].function.name, "get_order_status");
  const without = chatWith("orders", "", "--no-tools", ...ask);
  assert.equal(without.code, 0, without.stderr);
  assert.equal(JSON.parse(without.stdout).tool_calls, undefined);
  assert.match(
    chatWith("orders", "", "--no-tools", "--tool-choice", "required", ...ask).stderr,
    /--tool-choice needs functions/,
  );
});

test("a tools file that is wrong is refused before the engine starts, naming the field", () => {
  const bad = file("bad.json", JSON.stringify([{ type: "function", function: { name: "a b" } }]));
  const r = chat("", "--tools", bad, "--prompt", "hi");
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /bad\.json: tools\[0\]\.function\.name must be 1-64 letters/);
});

test("the demo's structured outputs: with the schema every answer parses", async () => {
  const engine = new InferenceEngine({ env: { ...process.env, ...env, TAILOR_HOME: home } });
  try {
    const model = {
      name: "tiny",
      source: { kind: "hf_dir" as const, path: join(home, "models", "tiny") },
    };
    const examples = heldOut(`${EMAILS}val.jsonl`, 2);
    const result = await compareStructured({
      engine,
      base: model,
      tuned: model,
      examples,
      schema: ORDER_SCHEMA,
      tunedAnswers: new Map([[1, "not JSON"]]),
      maxTokens: 40,
    });
    assert.deepEqual(
      result.columns.map((c) => [c.label, c.parsed]),
      [
        ["base + schema", 2],
        ["tuned", 0],
        ["tuned + schema", 2],
      ],
    );
    assert.equal(result.columns[1]?.answers[0], "not JSON", "the evaluation's answer is reused");
    const printed = renderStructured(result);
    assert.match(printed, /held-out e-mail 1: "It's been ten days since I ordered/);
    assert.match(printed, /base \+ schema\s+2\/2\s+0%\s+[\d.]+s \([\d.]+ tokens\/s\)\n/);
  } finally {
    await engine.close();
  }
});
