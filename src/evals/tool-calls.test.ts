/** Tool-call scores on hand-made answers: each metric right, and each one wrong. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Tool } from "../../protocol/engine/tools.ts";
import type { EvaluationReport } from "../../protocol/evals.ts";
import { defaultMaxTokens, isToolData, toEvalExamples } from "./evaluate.ts";
import { renderHtml } from "./html.ts";
import {
  answerText,
  canonical,
  looksLikeCall,
  scoreCall,
  type ToolAnswer,
  toolMetrics,
} from "./tool-calls.ts";

const TOOLS: Tool[] = [
  {
    type: "function",
    function: {
      name: "get_order_status",
      parameters: {
        type: "object",
        properties: { order_id: { type: "string", pattern: "^NW-[0-9]{5}$" } },
        required: ["order_id"],
        additionalProperties: false,
      },
    },
  },
  {
    type: "function",
    function: {
      name: "find_product",
      parameters: {
        type: "object",
        properties: { query: { type: "string" }, max_price: { type: "number" } },
        required: ["query", "max_price"],
      },
    },
  },
];

const call = (name: string, args: unknown): ToolAnswer => ({
  text: "",
  calls: [{ name, arguments: typeof args === "string" ? args : JSON.stringify(args) }],
});
const words = (text: string): ToolAnswer => ({ text, calls: null });
const ORDER = call("get_order_status", { order_id: "NW-10234" });
const PRODUCT = call("find_product", { query: "helmet", max_price: 60 });
const HELLO = words("Hello! How can I help you today?");

describe("tool-call metrics", () => {
  test("the right call, with its keys in another order and spacing, is exactly right", () => {
    const s = scoreCall(
      {
        text: "",
        calls: [{ name: "find_product", arguments: '{ "max_price": 60.0, "query": "helmet" }' }],
      },
      PRODUCT,
      TOOLS,
    );
    assert.deepEqual(
      [s.decision, s.functions, s.argumentsExact, s.score, s.calls, s.parsed, s.valid],
      [true, true, true, 1, 1, 1, 1],
    );
    assert.deepEqual(s.fields, [
      { key: "find_product.query", correct: true },
      { key: "find_product.max_price", correct: true },
    ]);
  });

  test("words where a call is expected: the decision is wrong, and so is everything after it", () => {
    const s = scoreCall(words("Let me check that for you."), ORDER, TOOLS);
    assert.deepEqual(
      [s.decision, s.functions, s.argumentsExact, s.score, s.calls],
      [false, false, false, 0, 0],
    );
    assert.deepEqual(s.fields, [{ key: "get_order_status.order_id", correct: false }]);
  });

  test("a call where words are expected: the decision is wrong", () => {
    const s = scoreCall(ORDER, HELLO, TOOLS);
    assert.deepEqual([s.expectsCall, s.decision, s.functions, s.score], [false, false, null, 0]);
    assert.equal(s.words, 0);
  });

  test("words where words are expected: right, and their ROUGE-L measured", () => {
    const s = scoreCall(words("Hello! How can I help?"), HELLO, TOOLS);
    assert.deepEqual([s.decision, s.score], [true, 1]);
    assert.ok(s.words !== null && s.words > 0.5 && s.words < 1, String(s.words));
  });

  test("the wrong function: decision right, function wrong, its fields count as wrong", () => {
    const s = scoreCall(call("find_product", { query: "NW-10234", max_price: 0 }), ORDER, TOOLS);
    assert.deepEqual([s.decision, s.functions, s.argumentsExact, s.score], [true, false, false, 0]);
    assert.deepEqual(s.fields, [{ key: "get_order_status.order_id", correct: false }]);
  });

  test("the right function with one wrong value: arguments not exact, the other field right", () => {
    const s = scoreCall(call("find_product", { query: "helmet", max_price: "60" }), PRODUCT, TOOLS);
    assert.deepEqual([s.functions, s.argumentsExact, s.score], [true, false, 0]);
    assert.deepEqual(
      s.fields.map((f) => f.correct),
      [true, false],
    );
    // "60" parses but is not a number: the call does not fit the schema
    assert.deepEqual([s.parsed, s.valid], [1, 0]);
  });

  test("an extra argument makes the arguments inexact though every expected field is right", () => {
    const s = scoreCall(
      call("get_order_status", { order_id: "NW-10234", note: "asap" }),
      ORDER,
      TOOLS,
    );
    assert.deepEqual([s.argumentsExact, s.fields[0]?.correct, s.valid], [false, true, 0]);
  });

  test("arguments that do not parse, and a call the engine could not read, count as unparsed", () => {
    const broken = scoreCall(call("get_order_status", '{"order_id": "NW-1'), ORDER, TOOLS);
    assert.deepEqual([broken.decision, broken.calls, broken.parsed, broken.valid], [true, 1, 0, 0]);
    const unread = scoreCall(
      words('<tool_call>\n{"name": "get_order_status", "arguments": {"order_id": NW-10234}}'),
      ORDER,
      TOOLS,
    );
    assert.deepEqual([unread.decision, unread.calls, unread.parsed, unread.score], [true, 1, 0, 0]);
    assert.equal(looksLikeCall('{"name": "get_call>\n{"name": "get_'), true);
    assert.equal(looksLikeCall('We are open Monday to Saturday. {"name" is a word}'), false);
  });

  test("a call to a function that was not offered never fits a schema", () => {
    const s = scoreCall(call("cancel_order", { order_id: "NW-10234" }), ORDER, TOOLS);
    assert.deepEqual([s.parsed, s.valid, s.functions], [1, 0, false]);
  });

  test("parallel calls match in any order; a missing one is not exact", () => {
    const both: ToolAnswer = {
      text: "",
      calls: [...(PRODUCT.calls ?? []), ...(ORDER.calls ?? [])],
    };
    const swapped: ToolAnswer = {
      text: "",
      calls: [...(ORDER.calls ?? []), ...(PRODUCT.calls ?? [])],
    };
    assert.equal(scoreCall(swapped, both, TOOLS).score, 1);
    const one = scoreCall(ORDER, both, TOOLS);
    assert.deepEqual([one.functions, one.argumentsExact], [false, false]);
    assert.deepEqual(
      one.fields.map((f) => [f.key, f.correct]),
      [
        ["find_product.query", false],
        ["find_product.max_price", false],
        ["get_order_status.order_id", true],
      ],
    );
  });

  test("the metrics over answers: shares of the right denominators, per-field tallies", () => {
    const scores = [
      scoreCall(ORDER, ORDER, TOOLS), // all right
      scoreCall(call("find_product", { query: "helmet", max_price: 99 }), PRODUCT, TOOLS), // one field wrong
      scoreCall(words("Sure."), ORDER, TOOLS), // words instead of a call
      scoreCall(HELLO, HELLO, TOOLS), // words, right
    ];
    const { metrics, fields } = toolMetrics(scores);
    assert.equal(metrics.tool_accuracy, 2 / 4);
    assert.equal(metrics.decision_accuracy, 3 / 4);
    assert.equal(metrics.function_accuracy, 2 / 3);
    assert.equal(metrics.arguments_exact, 1 / 3);
    assert.equal(metrics.argument_fields, 2 / 4);
    assert.equal(metrics.calls_parse, 1);
    assert.equal(metrics.calls_valid, 1);
    assert.equal(metrics.words_rouge_l, 1);
    assert.deepEqual(fields, {
      "get_order_status.order_id": { correct: 1, total: 2 },
      "find_product.query": { correct: 1, total: 1 },
      "find_product.max_price": { correct: 0, total: 1 },
    });
  });

  test("with no call made there is no parse rate, and with no call expected no function accuracy", () => {
    const { metrics } = toolMetrics([scoreCall(HELLO, HELLO, TOOLS)]);
    assert.deepEqual(Object.keys(metrics).sort(), [
      "decision_accuracy",
      "tool_accuracy",
      "words_rouge_l",
    ]);
  });

  test("canonical JSON is the same for deep-equal values only", () => {
    assert.equal(
      canonical({ b: [1, { y: 2, x: 1 }], a: "x" }),
      canonical({ a: "x", b: [1, { x: 1, y: 2 }] }),
    );
    assert.notEqual(canonical({ a: 1 }), canonical({ a: "1" }));
  });
});

describe("tool data in an evaluation", () => {
  const messages = [
    { role: "user" as const, content: "Where is NW-10234?" },
    {
      role: "assistant" as const,
      content: "",
      tool_calls: [
        {
          id: "call_1",
          type: "function" as const,
          function: { name: "get_order_status", arguments: '{"order_id":"NW-10234"}' },
        },
      ],
    },
  ];

  test("the expected calls are the last assistant message's; words examples expect none", () => {
    const got = toEvalExamples([
      { line: 1, messages, tools: TOOLS },
      {
        line: 2,
        messages: [messages[0] as (typeof messages)[0], { role: "assistant", content: "Hi" }],
        tools: TOOLS,
      },
      {
        line: 3,
        messages: [messages[0] as (typeof messages)[0], { role: "assistant", content: "Hi" }],
      },
    ]);
    assert.deepEqual(
      got.map((e) => [e.line, e.messages.length, e.expected, e.expectedCalls, e.tools?.length]),
      [
        [1, 1, "", [{ name: "get_order_status", arguments: '{"order_id":"NW-10234"}' }], 2],
        [2, 1, "Hi", null, 2],
        [3, 1, "Hi", undefined, undefined],
      ],
    );
    assert.equal(isToolData(got), true);
    assert.equal(isToolData(got.slice(2)), false);
    // room for the call's JSON and its delimiters
    assert.ok(defaultMaxTokens(got.slice(0, 1)) >= 40, String(defaultMaxTokens(got.slice(0, 1))));
  });

  test("the HTML report shows the tool metrics, the fields and each example's call", () => {
    const r: EvaluationReport = {
      object: "tailor.evaluation",
      created_at: 0,
      data: { source: "val.jsonl", examples: 1 },
      kind: "tools",
      primary_metric: "tool_accuracy",
      models: [
        {
          model: "tuned",
          metrics: { tool_accuracy: 1, decision_accuracy: 1, calls_parse: 1 },
          argument_fields: { "get_order_status.order_id": { correct: 1, total: 1 } },
          seconds: 1,
          completion_tokens: 9,
        },
        {
          model: "base",
          metrics: { tool_accuracy: 0, decision_accuracy: 0 },
          argument_fields: { "get_order_status.order_id": { correct: 0, total: 1 } },
          seconds: 1,
          completion_tokens: 9,
        },
      ],
      deltas: { tool_accuracy: 1, decision_accuracy: 1 },
      outcome: { wins: 1, ties: 0, losses: 0 },
      examples: [
        {
          line: 1,
          prompt: "Where is NW-10234?",
          expected: answerText(ORDER),
          outputs: [answerText(ORDER), "Let me look."],
          scores: [1, 0],
          outcome: "win",
          calls: { expected: ORDER.calls ?? null, outputs: [ORDER.calls ?? null, null] },
        },
      ],
      settings: { max_tokens: 64, batch_size: 8, greedy: true, constrained: true },
    };
    const html = renderHtml(r);
    assert.match(html, /function calls or words \(arguments decoded under their schemas\)/);
    assert.match(html, /tool accuracy <span class=tag>primary<\/span>/);
    assert.match(html, /calls that parse/);
    assert.match(html, /<code>get_order_status\.order_id<\/code><\/th><td class="num">100\.0%/);
    assert.match(html, /get_order_status\(\{&quot;order_id&quot;:&quot;NW-10234&quot;\}\)/);
  });
});
