/**
 * The assistant editor's form state: what the owner types (numbers as typed, the arguments' JSON
 * Schema as text, a stored secret as "stored, hidden"), made from an assistant's settings and turned
 * back into the API's settings, with the problems found before sending, named by the same field
 * paths the server uses ("functions.0.parameters") so that both show beside the same control.
 */
import { HTTP_METHODS, type HttpMethod } from "../../../../protocol/assistants.ts";
import type { AssistantSettings, AssistantSettingsInput } from "./client.ts";

export interface HeaderDraft {
  key: number;
  name: string;
  value: string;
  secret: boolean;
  /** A secret the server keeps: never shown, sent back as null to keep it. */
  stored: boolean;
}

export interface FunctionDraft {
  key: number;
  kind: "client" | "http";
  name: string;
  description: string;
  /** The arguments' JSON Schema, as typed. */
  parameters: string;
  url: string;
  method: HttpMethod;
  /** Seconds, as typed. */
  timeout: string;
  /** Kilobytes, as typed. */
  maxKb: string;
  headers: HeaderDraft[];
}

export interface Draft {
  name: string;
  model: string;
  instructions: string;
  temperature: string;
  top_p: string;
  top_k: string;
  max_tokens: string;
  vector_store_ids: string[];
  max_passages: string;
  functions: FunctionDraft[];
  /** "auto", "required", "none", or `call:<function name>`. */
  tool_choice: string;
  max_function_calls: string;
  /** One host a line. */
  allowed_hosts: string;
  /** "": none. */
  moderation_policy: string;
  greeting: string;
  suggested_questions: string[];
  retention_days: string;
}

export const MAX_QUESTIONS = 6;
export { HTTP_METHODS };

let keys = 0;
const nextKey = () => ++keys;

const EMPTY_SCHEMA = { type: "object", properties: {} };
const pretty = (v: unknown) => JSON.stringify(v, null, 2);

export function newFunction(kind: "client" | "http"): FunctionDraft {
  return {
    key: nextKey(),
    kind,
    name: "",
    description: "",
    parameters: pretty(EMPTY_SCHEMA),
    url: "",
    method: "POST",
    timeout: "10",
    maxKb: "64",
    headers: [],
  };
}

export const newHeader = (): HeaderDraft => ({
  key: nextKey(),
  name: "",
  value: "",
  secret: false,
  stored: false,
});

export function newDraft(model: string): Draft {
  return {
    name: "",
    model,
    instructions: "",
    temperature: "0.7",
    top_p: "1",
    top_k: "0",
    max_tokens: "512",
    vector_store_ids: [],
    max_passages: "5",
    functions: [],
    tool_choice: "auto",
    max_function_calls: "3",
    allowed_hosts: "",
    moderation_policy: "",
    greeting: "",
    suggested_questions: [],
    retention_days: "30",
  };
}

/** The draft of saved settings: a secret header's value is not known here, only that it is stored. */
export function draftOf(s: AssistantSettings): Draft {
  return {
    name: s.name,
    model: s.model,
    instructions: s.instructions,
    temperature: String(s.sampling.temperature),
    top_p: String(s.sampling.top_p),
    top_k: String(s.sampling.top_k),
    max_tokens: String(s.sampling.max_tokens),
    vector_store_ids: [...s.knowledge.vector_store_ids],
    max_passages: String(s.knowledge.max_passages),
    functions: s.functions.map((f) =>
      f.kind === "client"
        ? {
            ...newFunction("client"),
            name: f.name,
            description: f.description,
            parameters: pretty(f.parameters),
          }
        : {
            ...newFunction("http"),
            name: f.name,
            description: f.description,
            parameters: pretty(f.parameters),
            url: f.url,
            method: f.method,
            timeout: String(f.timeout_ms / 1000),
            maxKb: String(Math.round(f.max_response_bytes / 1024)),
            headers: f.headers.map((h) => ({
              key: nextKey(),
              name: h.name,
              value: h.value ?? "",
              secret: h.secret,
              stored: h.secret && h.value === null,
            })),
          },
    ),
    tool_choice: typeof s.tool_choice === "string" ? s.tool_choice : `call:${s.tool_choice.name}`,
    max_function_calls: String(s.max_function_calls),
    allowed_hosts: s.allowed_hosts.join("\n"),
    moderation_policy: s.moderation_policy ?? "",
    greeting: s.greeting,
    suggested_questions: [...s.suggested_questions],
    retention_days: String(s.retention_days),
  };
}

/** What is wrong with the arguments' schema as typed, or null. */
export function schemaProblem(text: string): string | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `This is not JSON yet: ${(e as Error).message}. Start from {"type": "object", "properties": {}}.`;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v))
    return 'The arguments must be a JSON Schema object, like {"type": "object", "properties": {}}.';
  const o = v as Record<string, unknown>;
  if (o.type !== "object")
    return 'A function takes named arguments: the schema needs "type": "object".';
  if (
    o.properties !== undefined &&
    (typeof o.properties !== "object" || o.properties === null || Array.isArray(o.properties))
  )
    return '"properties" must be an object: each argument\'s name and its schema.';
  if (o.required !== undefined && !Array.isArray(o.required))
    return '"required" must be a list of argument names.';
  return null;
}

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** A number typed in a field, or a problem said in words. */
function num(
  problems: Record<string, string>,
  field: string,
  typed: string,
  min: number,
  max: number,
  integer: boolean,
): number {
  const n = Number(typed.trim());
  if (
    typed.trim() === "" ||
    !Number.isFinite(n) ||
    n < min ||
    n > max ||
    (integer && !Number.isInteger(n))
  )
    problems[field] = `Type ${integer ? "a whole number" : "a number"} from ${min} to ${max}.`;
  return n;
}

/** The settings to send, and the problems found in the draft (by field; empty when none). */
export function inputOf(d: Draft): {
  input: AssistantSettingsInput;
  problems: Record<string, string>;
} {
  const problems: Record<string, string> = {};
  if (!d.name.trim()) problems.name = "Give the assistant a name.";
  if (!d.model) problems.model = "Pick the model that answers.";
  const sampling = {
    temperature: num(problems, "sampling.temperature", d.temperature, 0, 2, false),
    top_p: num(problems, "sampling.top_p", d.top_p, 0.01, 1, false),
    top_k: num(problems, "sampling.top_k", d.top_k, 0, 1000, true),
    max_tokens: num(problems, "sampling.max_tokens", d.max_tokens, 1, 8192, true),
  };
  const knowledge = {
    vector_store_ids: d.vector_store_ids,
    max_passages: num(problems, "knowledge.max_passages", d.max_passages, 1, 20, true),
  };
  const names = new Set<string>();
  const functions = d.functions.map((f, i) => {
    const at = `functions.${i}`;
    if (!NAME.test(f.name))
      problems[`${at}.name`] =
        "A name of letters, digits, _ and - (no spaces), at most 64: the model calls it by it.";
    else if (names.has(f.name)) problems[`${at}.name`] = "Another function has this name.";
    names.add(f.name);
    const schemaSaid = schemaProblem(f.parameters);
    if (schemaSaid) problems[`${at}.parameters`] = schemaSaid;
    const parameters = schemaSaid ? {} : (JSON.parse(f.parameters) as Record<string, unknown>);
    if (f.kind === "client")
      return { kind: "client" as const, name: f.name, description: f.description, parameters };
    if (!/^https?:\/\/[^\s/]+/i.test(f.url.trim()))
      problems[`${at}.url`] = "The web address to call, starting with https:// (or http://).";
    const headers = f.headers.map((h, j) => {
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/.test(h.name))
        problems[`${at}.headers.${j}.name`] = "A header name: letters, digits and -, no spaces.";
      if (!h.stored && h.secret && !h.value)
        problems[`${at}.headers.${j}.value`] = "Type the secret value (it is stored hidden).";
      return { name: h.name, value: h.stored ? null : h.value, secret: h.secret };
    });
    return {
      kind: "http" as const,
      name: f.name,
      description: f.description,
      parameters,
      url: f.url.trim(),
      method: f.method,
      timeout_ms: Math.round(num(problems, `${at}.timeout_ms`, f.timeout, 0.1, 60, false) * 1000),
      max_response_bytes: Math.round(
        num(problems, `${at}.max_response_bytes`, f.maxKb, 1, 1024, false) * 1024,
      ),
      headers,
    };
  });
  const choice = d.tool_choice.startsWith("call:")
    ? { name: d.tool_choice.slice(5) }
    : (d.tool_choice as "auto" | "required" | "none");
  const input: AssistantSettingsInput = {
    name: d.name.trim(),
    model: d.model,
    instructions: d.instructions,
    sampling,
    knowledge,
    functions,
    tool_choice: choice,
    max_function_calls: num(problems, "max_function_calls", d.max_function_calls, 0, 10, true),
    allowed_hosts: d.allowed_hosts
      .split(/[\n,]/)
      .map((h) => h.trim())
      .filter(Boolean),
    moderation_policy: d.moderation_policy || null,
    greeting: d.greeting,
    suggested_questions: d.suggested_questions.map((q, i) => {
      if (!q.trim()) problems[`suggested_questions.${i}`] = "Type a question, or remove this one.";
      return q.trim();
    }),
    retention_days: num(problems, "retention_days", d.retention_days, 1, 3650, true),
  };
  return { input, problems };
}

/** Every field the editor shows an error beside (the server's errors about others go above Save). */
export function fieldsOf(d: Draft): string[] {
  const fields = [
    "name",
    "model",
    "instructions",
    "sampling.temperature",
    "sampling.top_p",
    "sampling.top_k",
    "sampling.max_tokens",
    "knowledge.vector_store_ids",
    "knowledge.max_passages",
    "tool_choice",
    "max_function_calls",
    "allowed_hosts",
    "moderation_policy",
    "greeting",
    "suggested_questions",
    "retention_days",
  ];
  d.functions.forEach((f, i) => {
    for (const k of [
      "name",
      "description",
      "parameters",
      "url",
      "method",
      "timeout_ms",
      "max_response_bytes",
      "headers",
    ])
      fields.push(`functions.${i}.${k}`);
    f.headers.forEach((_, j) => {
      fields.push(`functions.${i}.headers.${j}.name`, `functions.${i}.headers.${j}.value`);
    });
  });
  d.suggested_questions.forEach((_, i) => {
    fields.push(`suggested_questions.${i}`);
  });
  return fields;
}
