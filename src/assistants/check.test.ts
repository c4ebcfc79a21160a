/** checkSettings: each problem refused naming its field; the ports asked for the model, policy and stores. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { z } from "zod";
import type {
  AssistantSettingsInput,
  HttpFunctionInput as HttpFn,
} from "../../protocol/assistants.ts";

type HttpFunctionInput = z.input<typeof HttpFn>;

import { TailorError } from "../errors/index.ts";
import { checkSettings, hostAllowed } from "./check.ts";

const http = (over: Partial<HttpFunctionInput> = {}): HttpFunctionInput => ({
  kind: "http",
  name: "lookup",
  url: "https://api.example.com/items/{item}",
  parameters: { type: "object", properties: { item: { type: "string" } }, required: ["item"] },
  ...over,
});
const base = (over: Partial<AssistantSettingsInput> = {}): AssistantSettingsInput => ({
  name: "Helper",
  model: "tiny",
  ...over,
});

/** The field and message of what checkSettings refuses. */
function refused(input: AssistantSettingsInput, deps = {}): { field: unknown; message: string } {
  try {
    checkSettings(input, deps);
  } catch (e) {
    assert.ok(e instanceof TailorError);
    return { field: e.details.field, message: e.message };
  }
  assert.fail("accepted");
}

test("the shape: a missing or wrong field is named", () => {
  assert.deepEqual(refused({ model: "tiny" } as AssistantSettingsInput), {
    field: "name",
    message: "name: is missing",
  });
  assert.equal(
    refused(base({ functions: [http(), http({ name: "x", url: "not a url" })] })).field,
    "functions[1].url",
  );
});

test("functions: names once, schemas valid, URLs http(s) with placeholders among required arguments", () => {
  const cases: [AssistantSettingsInput, string, RegExp][] = [
    [
      base({ functions: [http(), { kind: "client", name: "lookup" }] }),
      "functions[1].name",
      /"lookup" is defined twice \(also functions\[0\]\)/,
    ],
    [
      base({
        functions: [
          http({ parameters: { type: "object", properties: { item: { type: "nope" } } } }),
        ],
      }),
      "functions[0].parameters.properties.item.type",
      /./,
    ],
    [
      base({ functions: [{ kind: "client", name: "f", parameters: { type: "array" } }] }),
      "functions[0].parameters.type",
      /must have "type": "object"/,
    ],
    [
      base({ functions: [http({ url: "ftp://api.example.com/x" })] }),
      "functions[0].url",
      /must start with https:\/\/ or http:\/\//,
    ],
    [
      base({ functions: [http({ url: "https://user:pw@api.example.com/items/{item}" })] }),
      "functions[0].url",
      /secret header/,
    ],
    [
      base({ functions: [http({ url: "https://api.example.com/items/{sku}" })] }),
      "functions[0].url",
      /\{sku\} is not one of the arguments \(parameters\.properties: item\)/,
    ],
    [
      base({
        functions: [
          http({ parameters: { type: "object", properties: { item: { type: "string" } } } }),
        ],
      }),
      "functions[0].url",
      /\{item\} must be in parameters\.required/,
    ],
    [
      base({ functions: [http({ url: "https://api.example.com/items?q={item}" })] }),
      "functions[0].url",
      /only be in the path/,
    ],
    [
      base({ functions: [http({ headers: [{ name: "Host", value: "x", secret: false }] })] }),
      "functions[0].headers[0].name",
      /set by the server/,
    ],
    [
      base({
        functions: [
          http({
            headers: [
              { name: "A", value: "1" },
              { name: "a", value: "2" },
            ],
          }),
        ],
      }),
      "functions[0].headers[1].name",
      /given twice/,
    ],
    [
      base({ functions: [http({ headers: [{ name: "A", value: null }] })] }),
      "functions[0].headers[0].value",
      /give the header's value/,
    ],
    [
      base({ functions: [http()], tool_choice: { name: "other" } }),
      "tool_choice.name",
      /no function "other" \(functions: lookup\)/,
    ],
    [
      base({ functions: [http()], allowed_hosts: ["https://api.example.com/"] }),
      "allowed_hosts[0]",
      /without scheme, port or path/,
    ],
  ];
  for (const [input, field, message] of cases) {
    const r = refused(input);
    assert.equal(r.field, field, r.message);
    assert.match(r.message, message);
    assert.ok(r.message.startsWith(`${field}: `), r.message);
  }
});

test("what is accepted: defaults filled, the allowed hosts the functions' own, the policy as its id", () => {
  const asked: string[] = [];
  const s = checkSettings(
    base({
      functions: [http(), http({ name: "b", url: "http://Other.example.org:8080/x" })],
      moderation_policy: "school",
      knowledge: { vector_store_ids: ["vs_1", "vs_2"] },
    }),
    {
      model: (m) => void asked.push(`model ${m}`),
      policy: (p) => {
        asked.push(`policy ${p}`);
        return "modpol_1";
      },
      vectorStore: (id) => void asked.push(`store ${id}`),
    },
  );
  assert.deepEqual(s.allowed_hosts, ["api.example.com", "other.example.org"]);
  assert.equal(s.moderation_policy, "modpol_1");
  assert.equal(s.max_function_calls, 3);
  assert.deepEqual(asked, ["model tiny", "policy school", "store vs_1", "store vs_2"]);
});

test("a port's refusal names the field it was about", () => {
  const notFound = (what: string) => () => {
    throw new TailorError({ code: "not_found", message: `no ${what}`, details: { field: "x" } });
  };
  const r = refused(base({ knowledge: { vector_store_ids: ["vs_1", "vs_9"] } }), {
    vectorStore: (id: string) => (id === "vs_9" ? notFound("vector store vs_9")() : undefined),
  });
  assert.deepEqual(r, {
    field: "knowledge.vector_store_ids[1]",
    message: "knowledge.vector_store_ids[1]: no vector store vs_9",
  });
  assert.equal(
    refused(base({ moderation_policy: "p" }), { policy: notFound("policy") }).field,
    "moderation_policy",
  );
  assert.equal(refused(base(), { model: notFound("model") }).field, "model");
});

test("allowed hosts: names lowercased, non-ASCII names in punycode, ports and paths refused", () => {
  const s = checkSettings(
    base({
      functions: [http({ url: "https://shop.bücher.example/items/{item}" })],
      allowed_hosts: ["*.Bücher.example", "API.example.com"],
    }),
  );
  assert.deepEqual(s.allowed_hosts, ["*.xn--bcher-kva.example", "api.example.com"]);
  for (const bad of ["api.example.com:8443", "api.example.com/v1", "*.[::1]", "a b"])
    assert.equal(refused(base({ allowed_hosts: [bad] })).field, "allowed_hosts[0]", bad);
});

test("host matching: exact names, or any name under *.suffix (not the suffix itself)", () => {
  assert.equal(hostAllowed("api.example.com", ["api.example.com"]), true);
  assert.equal(hostAllowed("API.example.com", ["*.example.com"]), true);
  assert.equal(hostAllowed("example.com", ["*.example.com"]), false);
  assert.equal(hostAllowed("evil-example.com", ["*.example.com"]), false);
  assert.equal(hostAllowed("example.com.evil.net", ["example.com"]), false);
});
