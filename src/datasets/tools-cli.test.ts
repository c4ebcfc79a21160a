/**
 * Tool examples through the real front doors: `bin/tailor data check` / `data add` in their own
 * processes, and an upload through a real listening server with the official `openai` package.
 * No engine: token counts are off (--no-tokens; an upload is checked without them).
 */
import assert from "node:assert/strict";
import { createReadStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { readLocalAdminKey } from "../auth/index.ts";
import { cliSandbox } from "../cli/__fixtures__/cli.ts";
import { type RunningServer, startServer } from "../server/index.ts";
import type { DataReport } from "./report.ts";

const FIXTURE = fileURLToPath(new URL("./__fixtures__/tools.jsonl", import.meta.url));
const fixture = readFileSync(FIXTURE, "utf8").trim().split("\n");
const { home, tailor, file } = cliSandbox("tailor-tools-cli-");

/** The fixture's six good lines and six more: a set that passes. */
const goodSet = () => {
  const tools = (JSON.parse(fixture[0] ?? "") as { tools: unknown[] }).tools;
  const more = Array.from({ length: 6 }, (_, i) =>
    JSON.stringify({
      tools,
      messages: [
        { role: "user", content: `Is there a bell under ${10 + i} euros?` },
        {
          role: "assistant",
          tool_calls: [
            {
              id: "call_1",
              type: "function",
              function: {
                name: "find_product",
                arguments: JSON.stringify({ query: "bell", max_price: 10 + i }),
              },
            },
          ],
        },
      ],
    }),
  );
  return `${[...fixture.slice(0, 6), ...more].join("\n")}\n`;
};

describe("tool examples through the CLI and the API", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ home, port: 0 });
  });
  after(async () => server?.close());

  test("tailor data check prints each bad tool line with its line, field and what to do; exit 1", () => {
    const r = tailor("data", "check", file("tools.jsonl", readFileSync(FIXTURE)), "--no-tokens");
    assert.equal(r.code, 1, r.stderr);
    const at = join(home, "tools.jsonl");
    for (const expected of [
      `${at}:7 field messages[1].tool_calls[0].function.name: calls "cancel_order", which is not among the functions defined`,
      `${at}:8 field messages[1].tool_calls[0].function.arguments: is not valid JSON`,
      `${at}:9 field messages[1].tool_calls[0].function.arguments: must have required property 'order_id' (the parameters of get_order_status)`,
      `${at}:10 field messages[2].tool_call_id: "call_9" is the id of no earlier call`,
      `${at}:11 field messages[1].tool_calls[0]: the call to get_order_status gets no result before the next user turn`,
      `${at}:12 field messages[1].tool_calls: calls get_order_status but the line defines no functions`,
      `${at}:13 field tools[1].function.parameters.type: is not a valid JSON Schema`,
      `${at}:14 field tools[2].function.name: "book_repair" is defined twice`,
      `${at}:16 field messages[1].function_call.name: calls "cancel_order"`,
      `${at}:17 field messages[1].name: is the result of a function no earlier function_call called`,
      `${at}:1: the function "opening_hours" is defined in 6 lines but never called in the set`,
    ])
      assert.ok(r.stdout.includes(expected), `missing: ${expected}\n---\n${r.stdout}`);
    assert.match(r.stdout, /NOT READY/);

    const json = tailor("data", "check", at, "--no-tokens", "--json");
    const report = JSON.parse(json.stdout) as DataReport;
    assert.equal(report.examples, 6);
    assert.deepEqual(
      report.errors.filter((e) => e.line).map((e) => [e.line, e.code]),
      [
        [7, "unknown_function"],
        [8, "invalid_arguments"],
        [9, "invalid_arguments"],
        [10, "unmatched_tool_result"],
        [11, "unanswered_call"],
        [12, "no_tools"],
        [13, "invalid_tools"],
        [14, "invalid_tools"],
        [15, "empty_content"],
        [16, "unknown_function"],
        [17, "unmatched_tool_result"],
        [18, "invalid_arguments"],
      ],
    );
    assert.equal(report.stats.tool_calls, 6);
    assert.equal(report.stats.examples_with_tools, 6);
  });

  test("tailor data add stores every line with its tools (legacy lines as tools)", () => {
    const r = tailor("data", "add", file("good-tools.jsonl", goodSet()), "--no-tokens", "--json");
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const { id, train_sha256 } = JSON.parse(r.stdout) as { id: string; train_sha256: string };
    const stored = readFileSync(
      join(home, "blobs", "sha256", train_sha256.slice(0, 2), train_sha256.slice(2)),
      "utf8",
    );
    const lines = stored
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as {
            tools?: { function: { name: string } }[];
            messages: { role: string; tool_call_id?: string }[];
          },
      );
    assert.equal(lines.length, 12);
    for (const line of lines)
      assert.deepEqual(
        line.tools?.map((t) => t.function.name),
        ["get_order_status", "book_repair", "find_product", "opening_hours"],
      );
    const legacy = lines[5];
    assert.deepEqual(
      legacy?.messages.map((m) => m.role),
      ["user", "assistant", "tool", "assistant"],
    );
    assert.equal(legacy?.messages[2]?.tool_call_id, "call_1");
    assert.equal(tailor("data", "cat", id).stdout, stored);
  });

  test("an upload for fine-tuning gets the same report: POST /v1/files, then its report", async () => {
    const client = new OpenAI({
      apiKey: readLocalAdminKey(home) ?? "",
      baseURL: `${server.url}/v1`,
      maxRetries: 0,
    });
    const bad = await client.files.create({
      file: createReadStream(FIXTURE),
      purpose: "fine-tune",
    });
    assert.equal(bad.status, "error");
    assert.match(bad.status_details ?? "", /tools\.jsonl:7: calls "cancel_order"/);
    const report = (await client.get(`/files/${bad.id}/report`)) as DataReport;
    assert.deepEqual(
      report.errors.filter((e) => e.line).map((e) => [e.line, e.field]),
      [
        [7, "messages[1].tool_calls[0].function.name"],
        [8, "messages[1].tool_calls[0].function.arguments"],
        [9, "messages[1].tool_calls[0].function.arguments"],
        [10, "messages[2].tool_call_id"],
        [11, "messages[1].tool_calls[0]"],
        [12, "messages[1].tool_calls"],
        [13, "tools[1].function.parameters.type"],
        [14, "tools[2].function.name"],
        [15, "messages[0].content"],
        [16, "messages[1].function_call.name"],
        [17, "messages[1].name"],
        [18, "messages[1].tool_calls[0].function.arguments"],
      ],
    );
    assert.equal(report.file, "tools.jsonl", "named by the uploaded file, not a temporary path");
    assert.ok(report.warnings.some((w) => w.code === "tool_never_called"));

    const good = await client.files.create({
      file: createReadStream(file("upload-tools.jsonl", goodSet())),
      purpose: "fine-tune",
    });
    assert.equal(good.status, "processed", good.status_details ?? "");
    const content = await (await client.files.content(good.id)).text();
    assert.equal(content, goodSet(), "the upload itself is kept as sent");
  });
});
