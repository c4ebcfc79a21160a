/**
 * An assistant's settings checked before they are saved, by the API and the CLI alike: the shape
 * (zod), the functions (unique names, argument schemas as OpenAI checks them, HTTP URLs and their
 * `{placeholders}`, headers), the allowed hosts (the functions' own hosts when none are given), and,
 * through ports, that the model, the moderation policy and the vector stores exist for the caller.
 * Every problem is a TailorError naming its field (`functions[1].url`).
 */
import {
  type AssistantSettingsInput,
  type AssistantSettingsParsed,
  AssistantSettingsInput as SettingsSchema,
} from "../../protocol/assistants.ts";
import { isTailorError, TailorError } from "../errors/index.ts";
import { checkToolDefinitions } from "../tools/index.ts";

/** What the settings name, checked for whoever saves them; each throws (a TailorError) when unusable. */
export interface SettingsDeps {
  /** The model exists, the caller may use it, and it writes answers (not a classifier). */
  model?: (name: string) => void;
  /** The moderation policy's id, from its id or name. */
  policy?: (ref: string) => string;
  /** The vector store exists and the caller may use it. */
  vectorStore?: (id: string) => void;
}

/** Headers the server sets itself: a function may not. */
const RESERVED_HEADERS = new Set(["host", "content-length", "transfer-encoding", "connection"]);

const refuse = (field: string, message: string) =>
  new TailorError({
    code: "invalid_argument",
    message: `${field}: ${message}`,
    details: { field },
  });

/** A zod path as a field name: `functions[1].headers[0].value`. */
export function fieldOf(path: readonly PropertyKey[]): string {
  return path
    .map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`))
    .join("");
}

/** The settings parsed (defaults filled), or a TailorError naming the first wrong field. */
export function parseSettings(input: unknown): AssistantSettingsParsed {
  const parsed = SettingsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = fieldOf(issue?.path ?? []);
  const missing = issue?.code === "invalid_type" && issue.message.includes("undefined");
  throw new TailorError({
    code: "invalid_argument",
    message: `${field ? `${field}: ` : ""}${missing ? "is missing" : (issue?.message ?? "not an assistant's settings")}`,
    details: { field },
  });
}

/**
 * The settings parsed and checked, ready to save: the moderation policy as its id, the allowed
 * hosts lowercased (the HTTP functions' own hosts when none were given). Secret header values may
 * be null here (the store keeps the stored ones).
 */
export function checkSettings(
  input: AssistantSettingsInput,
  deps: SettingsDeps = {},
): AssistantSettingsParsed {
  const s = parseSettings(input);
  checkFunctions(s);
  const allowed = checkAllowedHosts(s);
  if (deps.model) at("model", () => deps.model?.(s.model));
  let policy = s.moderation_policy;
  if (policy !== null && deps.policy) {
    const ref = policy;
    policy = at("moderation_policy", () => deps.policy?.(ref) ?? ref);
  }
  s.knowledge.vector_store_ids.forEach((id, i) => {
    if (deps.vectorStore) at(`knowledge.vector_store_ids[${i}]`, () => deps.vectorStore?.(id));
  });
  return { ...s, moderation_policy: policy, allowed_hosts: allowed };
}

/** Runs a port's check; its TailorError is thrown again naming `field`. */
function at<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (!isTailorError(e)) throw e;
    const message = e.message.startsWith(`${field}:`) ? e.message : `${field}: ${e.message}`;
    throw new TailorError({
      code: e.code,
      message,
      cause: e,
      details: { ...e.details, field },
    });
  }
}

/** Functions: names once each, argument schemas, HTTP URLs, placeholders and headers; tool_choice names one. */
export function checkFunctions(s: AssistantSettingsParsed): void {
  if (s.functions.length > 0) {
    const tools = s.functions.map((f) => ({
      type: "function" as const,
      function: { name: f.name, description: f.description, parameters: f.parameters },
    }));
    const problem = checkToolDefinitions(tools, "functions");
    if (problem) {
      const field = problem.field.replace(/^functions\[(\d+)\]\.function/, "functions[$1]");
      throw refuse(field, problem.message);
    }
  }
  s.functions.forEach((f, i) => {
    if (f.kind !== "http") return;
    checkUrl(f.url, f.parameters, `functions[${i}].url`);
    const seen = new Map<string, number>();
    f.headers.forEach((h, j) => {
      const field = `functions[${i}].headers[${j}]`;
      const lower = h.name.toLowerCase();
      if (RESERVED_HEADERS.has(lower))
        throw refuse(`${field}.name`, `${h.name} is set by the server; leave it out`);
      const earlier = seen.get(lower);
      if (earlier !== undefined)
        throw refuse(
          `${field}.name`,
          `${h.name} is given twice (also headers[${earlier}]); keep one`,
        );
      seen.set(lower, j);
      if (!h.secret && h.value === null)
        throw refuse(`${field}.value`, "give the header's value (only a secret's may be null)");
    });
  });
  const choice = s.tool_choice;
  if (typeof choice === "object" && !s.functions.some((f) => f.name === choice.name))
    throw refuse(
      "tool_choice.name",
      `no function "${choice.name}" (functions: ${s.functions.map((f) => f.name).join(", ") || "none"})`,
    );
}

/** An HTTP function's URL: http(s), no credentials, `{placeholders}` only in the path, each a required argument. */
function checkUrl(url: string, parameters: Record<string, unknown>, field: string): void {
  const authority = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(url);
  const scheme = authority?.[1]?.toLowerCase();
  if (scheme !== "http" && scheme !== "https")
    throw refuse(field, `must start with https:// or http:// (got ${scheme ?? "no scheme"})`);
  const rest = url.slice(authority?.[0].length ?? 0);
  if (authority?.[2]?.includes("@"))
    throw refuse(field, "has a user name or password in it; send credentials as a secret header");
  if (/[{}]/.test(authority?.[2] ?? ""))
    throw refuse(field, "{placeholders} may only be in the path, not in the host");
  const cut = rest.search(/[?#]/);
  const path = cut === -1 ? rest : rest.slice(0, cut);
  if (cut !== -1 && /[{}]/.test(rest.slice(cut)))
    throw refuse(field, "{placeholders} may only be in the path, not in the query");
  const properties = (parameters.properties ?? {}) as Record<string, unknown>;
  const required = Array.isArray(parameters.required) ? (parameters.required as unknown[]) : [];
  for (const [, name] of path.matchAll(/\{([^{}]*)\}/g)) {
    if (name === undefined || !/^[A-Za-z0-9_-]+$/.test(name))
      throw refuse(field, `{${name ?? ""}} is not a placeholder: use {argument_name}`);
    if (!Object.hasOwn(properties, name))
      throw refuse(
        field,
        `{${name}} is not one of the arguments (parameters.properties: ${Object.keys(properties).join(", ") || "none"}); add it there or take it out of the URL`,
      );
    if (!required.includes(name))
      throw refuse(
        field,
        `{${name}} must be in parameters.required: the URL cannot be made without it`,
      );
  }
  if (/[{}]/.test(path.replace(/\{[A-Za-z0-9_-]+\}/g, "")))
    throw refuse(field, "has an unmatched { or }");
}

/** The host an HTTP function's URL reaches (lowercase, no port; IPv6 in brackets). */
export function hostOf(url: string): string {
  return new URL(url).hostname.toLowerCase();
}

/** Whether `host` matches an allow-list entry: the same name, or `*.suffix` for any name under it. */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const h = host.toLowerCase();
  return allowed.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith("*.") ? h.endsWith(e.slice(1)) : h === e;
  });
}

/** The HTTP functions' hosts, each once, in order. */
export function functionHosts(s: {
  functions: readonly ({ kind: "client" } | { kind: "http"; url: string })[];
}): string[] {
  return [...new Set(s.functions.flatMap((f) => (f.kind === "http" ? [hostOf(f.url)] : [])))];
}

const HOST_ENTRY = /^(\*\.)?([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])$/;

/** An allow-list entry lowercased, a non-ASCII name in punycode (as URLs write it); null if not a host. */
function hostEntry(raw: string): string | null {
  const text = raw.trim().toLowerCase();
  const wild = text.startsWith("*.") ? "*." : "";
  let name = text.slice(wild.length);
  if (!HOST_ENTRY.test(name)) {
    try {
      const u = new URL(`http://${name}`);
      if (u.host !== u.hostname || `${u.pathname}${u.search}${u.hash}` !== "/") return null;
      name = u.hostname;
    } catch {
      return null;
    }
  }
  if (!HOST_ENTRY.test(name) || (wild && name.startsWith("["))) return null;
  return `${wild}${name}`;
}

/** The allowed hosts to save: given ones checked (each function's host among them), else the functions' hosts. */
function checkAllowedHosts(s: AssistantSettingsParsed): string[] {
  if (s.allowed_hosts.length === 0) return functionHosts(s);
  const allowed = s.allowed_hosts.map((raw, i) => {
    const entry = hostEntry(raw);
    if (entry === null)
      throw refuse(
        `allowed_hosts[${i}]`,
        `"${raw}" is not a host name: write api.example.com or *.example.com, without scheme, port or path`,
      );
    return entry;
  });
  s.functions.forEach((f, i) => {
    if (f.kind !== "http") return;
    const host = hostOf(f.url);
    if (!hostAllowed(host, allowed))
      throw refuse(
        `functions[${i}].url`,
        `its host ${host} is not in allowed_hosts (${allowed.join(", ")}); add it there or leave allowed_hosts empty to allow exactly the functions' own hosts`,
      );
  });
  return [...new Set(allowed)];
}
