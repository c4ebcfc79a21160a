/**
 * A fine-tune on examples with functions, through `bin/tailor` and the real engine (tiny model): the
 * model records the functions it was trained with and how it writes calls, `tailor models show`
 * and the API's model object say so, and the model calls a function when asked to.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { readLocalAdminKey } from "../auth/index.ts";
import { startServer } from "../server/index.ts";
import { cliSandbox, toolCall } from "./__fixtures__/cli.ts";

const { home, tailor, file, tiny, trainTiny } = cliSandbox("tailor-cli-tools-", {
  HF_HUB_OFFLINE: "1",
});

const ORDER = {
  type: "function",
  function: {
    name: "get_order_status",
    description: "Look up an order",
    parameters: {
      type: "object",
      properties: { order_id: { type: "string", pattern: "^NW-[0-9]{4}$" } },
      required: ["order_id"],
      additionalProperties: false,
    },
  },
};
const HOURS = {
  type: "function",
  function: { name: "opening_hours", parameters: { type: "object", properties: {} } },
};

function line(i: number): string {
  const id = `NW-${1000 + i * 7}`;
  const messages =
    i % 3 === 2
      ? [
          { role: "user", content: `When do you open on day ${i}?` },
          { role: "assistant", tool_calls: [toolCall("opening_hours", {})] },
          { role: "tool", tool_call_id: "call_1", content: '{"open": "9-18"}' },
          { role: "assistant", content: "We are open from 9 to 18." },
        ]
      : [
          { role: "user", content: `Where is order ${id}?` },
          { role: "assistant", tool_calls: [toolCall("get_order_status", { order_id: id })] },
        ];
  return JSON.stringify({ messages, tools: [ORDER, HOURS] });
}
describe("training with functions", () => {
  before(() => tiny());

  test("the model keeps its functions and call format, shown by the CLI and the API", async () => {
    const data = file(
      "tools.jsonl",
      `${Array.from({ length: 12 }, (_, i) => line(i)).join("\n")}\n`,
    );
    trainTiny("calls", data);

    const shown = tailor("models", "show", "calls", "--json");
    assert.equal(shown.code, 0, shown.stderr);
    const manifest = JSON.parse(shown.stdout) as Record<string, unknown>;
    assert.deepEqual(
      (manifest.tools as { function: { name: string } }[]).map((t) => t.function.name),
      ["get_order_status", "opening_hours"],
    );
    assert.deepEqual(manifest.tool_format, {
      kind: "tailor",
      version: 1,
      call_prefix: "<tool_call>\n",
      call_suffix: "\n</tool_call>",
      arguments_key: "arguments",
    });

    const server = await startServer({ home, port: 0, worker: false, studioDir: null });
    try {
      const res = await fetch(`${server.url}/v1/models/calls`, {
        headers: { authorization: `Bearer ${readLocalAdminKey(home)}` },
      });
      assert.equal(res.status, 200);
      const model = (await res.json()) as { tailor: { tools?: unknown[] } };
      assert.deepEqual(model.tailor.tools, [ORDER, HOURS]);
    } finally {
      await server.close();
    }
    const text = tailor("models", "show", "calls");
    assert.match(
      text.stdout,
      /functions\s+get_order_status, opening_hours \(calls written in Tailor's format\)/,
    );
  });
});
