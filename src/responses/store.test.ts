import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { ResponseObject } from "../../protocol/api/responses.ts";
import { storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import { ResponseStore, type StoredResponse } from "./store.ts";

for (const backend of storeBackends())
  test(`a stored response is found as saved, then deleted (${backend.name})`, () => {
    const home = mkdtempSync(join(tmpdir(), "tailor-responses-"));
    const db = backend.open(home).db;
    try {
      const store = new ResponseStore(db);
      const response: ResponseObject = {
        id: "resp_1",
        object: "response",
        created_at: 1,
        status: "completed",
        completed_at: 2,
        error: null,
        incomplete_details: null,
        instructions: null,
        max_output_tokens: 16,
        model: "tiny",
        output: [
          {
            type: "message",
            id: "msg_1",
            role: "assistant",
            status: "completed",
            content: [{ type: "output_text", text: "hi", annotations: [] }],
          },
        ],
        parallel_tool_calls: true,
        previous_response_id: null,
        temperature: 1,
        top_p: 1,
        tool_choice: "auto",
        tools: [],
        text: { format: { type: "text" } },
        store: true,
        metadata: { a: "b" },
        usage: {
          input_tokens: 3,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 1,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 4,
        },
        tailor: { citations: [], function_calls: [], assistant: null },
      };
      const saved: StoredResponse = {
        id: "resp_1",
        owner: "alice",
        keyId: "key_1",
        createdAt: 1,
        previousId: null,
        model: "tiny",
        assistantId: null,
        conversationId: null,
        messages: [
          { role: "user", content: "hello" },
          { role: "assistant", content: "hi" },
        ],
        inputItems: [
          {
            type: "message",
            id: "msg_0",
            role: "user",
            status: "completed",
            content: [{ type: "input_text", text: "hello" }],
          },
        ],
        response,
      };
      store.save(saved);
      assert.deepEqual(store.find("resp_1"), saved);
      assert.equal(store.find("resp_2"), null);
      assert.equal(store.delete("resp_1"), true);
      assert.equal(store.delete("resp_1"), false);
      assert.equal(store.find("resp_1"), null);
    } finally {
      db.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
