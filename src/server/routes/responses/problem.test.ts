import assert from "node:assert/strict";
import { test } from "node:test";
import { CreateResponseRequest } from "../../../../protocol/api/responses.ts";
import { responsesHook } from "./problem.ts";

/** The 400's message for a body, or null when it is valid. */
function problem(body: unknown): string | null {
  try {
    responsesHook(CreateResponseRequest.safeParse(body));
    return null;
  } catch (e) {
    const err = e as Error & { details: { field: string } };
    return `${err.details.field} | ${err.message}`;
  }
}

test("a body's problem names the field inside input's items and parts", () => {
  assert.equal(problem({ model: "tiny", input: "hi" }), null);
  assert.equal(
    problem({ model: "tiny", input: [{ type: "reasoning", summary: [] }] }),
    'input[0].type | input[0].type: Tailor takes message, function_call, function_call_output items, not "reasoning"',
  );
  assert.match(
    problem({
      model: "tiny",
      input: [{ role: "user", content: [{ type: "input_image", image_url: "x" }] }],
    }) ?? "",
    /^input\[0\]\.content\[0\]\.type \| .*"input_image" parts are not supported: Tailor's models read text/,
  );
  assert.match(
    problem({ model: "tiny", input: [{ type: "function_call", call_id: "c", name: "f" }] }) ?? "",
    /^input\[0\]\.arguments \| /,
  );
  assert.match(
    problem({ model: "tiny", input: 5 }) ?? "",
    /^input \| input: must be string or array/,
  );
  assert.match(
    problem({ model: "tiny", input: "x", tools: [{ type: "web_search" }] }) ?? "",
    /^tools\[0\]\.type \| .*"web_search" tools are not available in Tailor/,
  );
  assert.match(
    problem({ model: "tiny", input: "x", tool_choice: "sometimes" }) ?? "",
    /^tool_choice \| .*auto/,
  );
  assert.match(
    problem({ model: "tiny", input: "x", background: true }) ?? "",
    /^background \| .*leave background out/,
  );
  assert.match(
    problem({ model: "tiny", input: "x", conversation: "conv_1" }) ?? "",
    /previous_response_id/,
  );
  assert.match(
    problem({
      model: "tiny",
      input: "x",
      tools: [
        {
          type: "file_search",
          vector_store_ids: ["vs_1"],
          filters: { type: "eq", key: "a", value: 1 },
        },
      ],
    }) ?? "",
    /^tools\[0\]\.filters \| /,
  );
  assert.equal(
    problem({ model: "tiny", input: "x", user: "u1", truncation: "auto", reasoning: {} }),
    null,
  );
});
