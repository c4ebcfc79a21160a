/**
 * The objects two members own before the fuzzer runs: a fine-tune file, a queued job on it, a
 * vector store, an assistant and a model name each (and the admin a moderation policy). The fuzzer, signed in as
 * one of them, is handed both members' ids; `snapshot` reads the other member's objects (as that
 * member) so the test can say none of them changed.
 */
import assert from "node:assert/strict";

export interface Member {
  key: string;
  keyId: string;
  /** The path parameters' values this member's objects give (`file_id` -> its file's id, …). */
  ids: Record<string, string>;
  /** What `snapshot` reads: each object and each list this member sees. */
  reads: string[];
}

const EXAMPLES = Array.from({ length: 12 }, (_, i) =>
  JSON.stringify({
    messages: [
      { role: "user", content: `Where is order ${1000 + i}?` },
      { role: "assistant", content: `Order ${1000 + i} left our warehouse on Monday.` },
    ],
  }),
).join("\n");

async function send(
  url: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const form = body instanceof FormData;
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined || form ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: form ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Makes `who`'s objects through the API, as `who` (the model is a base model both may use). */
export async function seedMember(
  url: string,
  who: { name: string; key: string; keyId: string },
  model: string,
): Promise<Member> {
  const { key, name } = who;
  const form = new FormData();
  form.append("purpose", "fine-tune");
  form.append("file", new Blob([EXAMPLES], { type: "application/jsonl" }), `${name}.jsonl`);
  const file = await send(url, key, "POST", "/v1/files", form);
  const job = await send(url, key, "POST", "/v1/fine_tuning/jobs", {
    model,
    training_file: file.id,
    suffix: name,
  });
  const store = await send(url, key, "POST", "/v1/vector_stores", { name: `${name} notes` });
  const assistant = await send(url, key, "POST", "/v1/assistants", {
    model,
    name: `${name}'s helper`,
    instructions: "Answer about orders.",
  });
  const modelName = `${name}-support`;
  await send(url, key, "POST", "/v1/model_names", { name: modelName, model, why: "first" });
  const ids = {
    file_id: String(file.id),
    fine_tuning_job_id: String(job.id),
    vector_store_id: String(store.id),
    assistant_id: String(assistant.id),
    name: modelName,
    key_id: who.keyId,
  };
  const reads = [
    `/v1/files/${ids.file_id}`,
    `/v1/files/${ids.file_id}/content`,
    `/v1/fine_tuning/jobs/${ids.fine_tuning_job_id}`,
    `/v1/vector_stores/${ids.vector_store_id}`,
    `/v1/assistants/${ids.assistant_id}`,
    `/v1/assistants/${ids.assistant_id}/versions`,
    `/v1/model_names/${ids.name}`,
    "/v1/files",
    "/v1/fine_tuning/jobs",
    "/v1/vector_stores",
    "/v1/assistants",
    "/v1/model_names",
    "/v1/me",
  ];
  return { key, keyId: who.keyId, ids, reads };
}

/**
 * Each of `m`'s reads as `m` sees it: status and body text, less when keys were last used (the
 * fuzzing member's own key is used all along; that is no change to another's objects).
 */
export async function snapshot(url: string, m: Member): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const path of m.reads) {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${m.key}` } });
    const text = (await res.text()).replace(/"last_used_at":\d+/g, '"last_used_at":"…"');
    out[path] = `${res.status} ${text}`;
  }
  return out;
}

/** A moderation policy the admin makes (members may not): the fuzzing member must not change it. */
export async function seedAdmin(url: string, key: string): Promise<Member> {
  const policy = await send(url, key, "POST", "/v1/moderation/policies", {
    name: "house-policy",
    input: { categories: {}, blocked_terms: ["secret"], patterns: [], personal_data: "allow" },
  });
  const id = String(policy.id);
  return {
    key,
    keyId: "",
    ids: { policy: id },
    reads: [`/v1/moderation/policies/${id}`, "/v1/moderation/policies", "/v1/keys"],
  };
}
