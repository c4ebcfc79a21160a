/**
 * The share page's only way to the server: its own small API under `/a/<slug>/api/`. The visitor's
 * cookies ride along on their own (same origin); a Tailor API key, for assistants that need one,
 * is kept in this tab only (sessionStorage) and sent as `Authorization: Bearer`.
 */
import type {
  ShareConversation,
  ShareEvent,
  ShareFeedback,
  ShareInfo,
  ShareMessage,
} from "../../../protocol/api/share.ts";

export type { ShareConversation, ShareEvent, ShareFeedback, ShareInfo, ShareMessage };
export type Source = ShareMessage["sources"][number];

/** The slug of the page this is: `/a/<slug>`. */
export const slug = decodeURIComponent(/^\/a\/([^/]+)/.exec(window.location.pathname)?.[1] ?? "");
const base = `/a/${encodeURIComponent(slug)}/api`;

const KEY = `tailor.share.${slug}.key`;
const CONVERSATION = `tailor.share.${slug}.conversation`;

const stored = (name: string) => {
  try {
    return sessionStorage.getItem(name);
  } catch {
    return null; // storage refused (private mode): nothing is remembered
  }
};
const store = (name: string, value: string | null) => {
  try {
    if (value === null) sessionStorage.removeItem(name);
    else sessionStorage.setItem(name, value);
  } catch {
    // as above
  }
};

export const savedKey = () => stored(KEY);
export const saveKey = (key: string | null) => store(KEY, key);
export const savedConversation = () => stored(CONVERSATION);
export const saveConversation = (id: string | null) => store(CONVERSATION, id);

/** An error in the server's words, with its status (404: not available; 401: locked; 429: slow down). */
export class ShareError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const NO_SERVER = "The assistant's server did not answer. Check your connection and try again.";

async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const key = savedKey();
  if (key) headers.set("authorization", `Bearer ${key}`);
  if (typeof init.body === "string") headers.set("content-type", "application/json");
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { ...init, headers, credentials: "same-origin" });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ShareError(NO_SERVER, 0);
  }
  if (res.ok) return res;
  let message = `Something went wrong (the server answered ${res.status}). Please try again.`;
  try {
    const body = (await res.json()) as { error?: { message?: string } };
    if (body.error?.message) message = body.error.message;
  } catch {
    // not JSON: keep the sentence above
  }
  throw new ShareError(message, res.status);
}

async function json<T>(path: string, method = "GET", body?: unknown): Promise<T> {
  const init: RequestInit = { method };
  if (body !== undefined) init.body = JSON.stringify(body);
  return (await (await request(path, init)).json()) as T;
}

export const getInfo = () => json<ShareInfo>("/info");
export const unlock = (passcode: string) => json<ShareInfo>("/unlock", "POST", { passcode });
export const startConversation = () => json<ShareConversation>("/conversations", "POST");
export const getConversation = (id: string) =>
  json<ShareConversation>(`/conversations/${encodeURIComponent(id)}`);
export const sendFeedback = (conversation: string, message: string, body: ShareFeedback) =>
  json<ShareMessage>(
    `/conversations/${encodeURIComponent(conversation)}/messages/${encodeURIComponent(message)}/feedback`,
    "POST",
    body,
  );

/** Asks a question; the answer comes as events (server-sent events read over fetch). */
export async function* ask(
  conversation: string,
  content: string,
  signal: AbortSignal,
): AsyncGenerator<ShareEvent> {
  const res = await request(`/conversations/${encodeURIComponent(conversation)}/messages`, {
    method: "POST",
    body: JSON.stringify({ content }),
    signal,
  });
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replaceAll("\r\n", "\n");
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""))
        .join("\n");
      if (data) {
        try {
          yield JSON.parse(data) as ShareEvent;
        } catch {
          // a line that is not an event: skip it
        }
      }
      end = buffer.indexOf("\n\n");
    }
  }
}
