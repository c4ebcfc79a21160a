/**
 * An HTTP function's request from its definition and the model's (already validated) arguments:
 *
 * - `{name}` in the URL's path takes the argument `name` (strings as they are, other values as
 *   JSON, then URL-encoded with encodeURIComponent) and consumes it; "." and ".." are refused
 *   (they would climb the path);
 * - GET and DELETE send the remaining arguments as query parameters after the URL's own (strings
 *   as they are, other values JSON-encoded); POST, PUT and PATCH send them as a JSON object body;
 * - headers: `user-agent: Tailor-Assistant`, an `accept` preferring JSON, `content-type` for a
 *   body, then the function's own headers (which may replace those three). `host`,
 *   `content-length`, `transfer-encoding` and `connection` are the transport's and are not taken
 *   from the function.
 *
 * Nothing here ever puts a header's value into a message.
 */
import type { HttpMethod } from "../../../protocol/assistants.ts";
import type { RuntimeHttpFunction } from "../types.ts";

export interface BuiltRequest {
  url: URL;
  method: HttpMethod;
  headers: Record<string, string>;
  body: string | null;
}

export type BuildResult =
  | { ok: true; request: BuiltRequest }
  /** `arguments`: the model's fault (it is told); `definition`: the owner's (a broken function). */
  | { ok: false; fault: "arguments" | "definition"; message: string };

export const USER_AGENT = "Tailor-Assistant";
export const ACCEPT = "application/json, text/plain;q=0.9, */*;q=0.5";

const TRANSPORT_HEADERS = new Set(["host", "content-length", "transfer-encoding", "connection"]);
/** Visible ASCII, space, tab and obs-text: what a header value may hold (no CR, LF or NUL). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** `{name}` after the URL parser percent-encoded its braces. */
const PLACEHOLDER = /%7B([A-Za-z0-9_-]+)%7D/gi;

function asText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function buildRequest(fn: RuntimeHttpFunction, args: Record<string, unknown>): BuildResult {
  let url: URL;
  try {
    url = new URL(fn.url);
  } catch {
    return { ok: false, fault: "definition", message: `the function's URL is not a valid URL` };
  }
  const rest: Record<string, unknown> = { ...args };
  const missing: string[] = [];
  const dotted: string[] = [];
  url.pathname = url.pathname.replace(PLACEHOLDER, (_match, name: string) => {
    if (!(name in args) || args[name] === undefined || args[name] === null) {
      missing.push(name);
      return "";
    }
    delete rest[name];
    const text = asText(args[name]);
    // "." and ".." would climb the path (the URL parser resolves them, encoded or not).
    if (text === "." || text === "..") dotted.push(name);
    return encodeURIComponent(text);
  });
  if (dotted.length > 0)
    return {
      ok: false,
      fault: "arguments",
      message: `${dotted.map((m) => JSON.stringify(m)).join(", ")} cannot be "." or ".." (it goes into the URL's path)`,
    };
  if (missing.length > 0)
    return {
      ok: false,
      fault: "arguments",
      message: `the URL needs ${missing.map((m) => JSON.stringify(m)).join(", ")}; give ${missing.length > 1 ? "them" : "it"} in the arguments`,
    };

  const headers: Record<string, string> = { "user-agent": USER_AGENT, accept: ACCEPT };
  let body: string | null = null;
  if (fn.method === "GET" || fn.method === "DELETE") {
    for (const [name, value] of Object.entries(rest)) {
      if (value === undefined) continue;
      url.searchParams.append(name, asText(value));
    }
  } else {
    body = JSON.stringify(rest);
    headers["content-type"] = "application/json";
  }
  for (const header of fn.headers) {
    const name = header.name.toLowerCase();
    if (TRANSPORT_HEADERS.has(name)) continue;
    if (!HEADER_VALUE.test(header.value))
      return {
        ok: false,
        fault: "definition",
        message: `the function's header "${header.name}" has a value HTTP does not allow (a line break or control character); the assistant's owner must correct it`,
      };
    headers[name] = header.value;
  }
  return { ok: true, request: { url, method: fn.method, headers, body } };
}
