/** The studio's only way to the server: the HTTP API, with the key kept in this browser. */
import type { z } from "@hono/zod-openapi";
import type {
  ApiKeyCreated,
  ApiKeyObject,
  AuditEntry,
  BaseModelCard,
  ChatCompletionChunk,
  Citation as CitationSchema,
  FileObject,
  FineTuningJob,
  FineTuningJobEvent,
  FineTuningPlan,
  Me,
  ModelObject,
  RedactionResult,
  VectorStoreFileContent,
  VectorStoreFileObject,
  VectorStoreObject,
  VectorStoreSearchResults,
} from "../../protocol/api/index.ts";

export type FileInfo = z.infer<typeof FileObject>;
export type Job = z.infer<typeof FineTuningJob>;
export type JobEvent = z.infer<typeof FineTuningJobEvent>;
export type Plan = z.infer<typeof FineTuningPlan>;
export type Card = z.infer<typeof BaseModelCard>;
export type Model = z.infer<typeof ModelObject>;
export type Principal = z.infer<typeof Me>;
export type ApiKey = z.infer<typeof ApiKeyObject>;
export type NewKey = z.infer<typeof ApiKeyCreated>;
export type Audit = z.infer<typeof AuditEntry>;
export type Redaction = z.infer<typeof RedactionResult>;
export type VectorStore = z.infer<typeof VectorStoreObject>;
export type VectorStoreFile = z.infer<typeof VectorStoreFileObject>;
export type SearchResults = z.infer<typeof VectorStoreSearchResults>;
export type FileChunks = z.infer<typeof VectorStoreFileContent>;
export type Citation = z.infer<typeof CitationSchema>;
export type ChatChunk = z.infer<typeof ChatCompletionChunk>;

const KEY = "tailor.key";

export function savedKey(): string | null {
  return localStorage.getItem(KEY);
}
export function saveKey(key: string | null): void {
  if (key) localStorage.setItem(KEY, key);
  else localStorage.removeItem(KEY);
}

/**
 * `tailor serve` prints the studio's address with the admin key in its fragment (#key=…), which a
 * browser never sends to a server. Keep it, and take it out of the address bar and history.
 */
export function takeKeyFromUrl(): void {
  const m = /(?:^#|&)key=([^&]+)/.exec(window.location.hash);
  if (!m?.[1]) return;
  saveKey(decodeURIComponent(m[1]));
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
}

/** An error from the API, in its own words. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
    /** The request's field the error is about ("input.patterns.1"), when the server names one. */
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

let onSignedOut: (why: string) => void = () => {};
export function whenSignedOut(f: (why: string) => void): void {
  onSignedOut = f;
}

const NO_SERVER =
  "The Tailor server did not answer. Is `tailor serve` still running on this computer?";

/** One call to the API with the key, its errors in the server's words (401 signs out). */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const key = savedKey();
  if (key) headers.set("authorization", `Bearer ${key}`);
  if (typeof init.body === "string") headers.set("content-type", "application/json");
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(NO_SERVER, 0, "network");
  }
  if (res.ok) return res;
  let message = `The server answered ${res.status} ${res.statusText}.`;
  let code: string | null = null;
  let param: string | null = null;
  try {
    const body = (await res.json()) as {
      error?: { message?: string; code?: string | null; param?: string | null };
    };
    if (body.error?.message) message = body.error.message;
    code = body.error?.code ?? null;
    param = body.error?.param ?? null;
  } catch {
    // not JSON: keep the status line
  }
  if (res.status === 401) {
    saveKey(null);
    onSignedOut(message);
  }
  throw new ApiError(message, res.status, code, param);
}

export async function api<T>(
  path: string,
  opts: { method?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const init: RequestInit = { method: opts.method ?? (opts.body === undefined ? "GET" : "POST") };
  if (opts.body !== undefined) init.body = JSON.stringify(opts.body);
  if (opts.signal) init.signal = opts.signal;
  const res = await request(path, init);
  return (await res.json()) as T;
}

export async function text(path: string): Promise<string> {
  return (await request(path)).text();
}

export async function upload(file: File): Promise<FileInfo> {
  const form = new FormData();
  form.append("purpose", "fine-tune");
  form.append("file", file, file.name);
  return (await request("/v1/files", { method: "POST", body: form })).json() as Promise<FileInfo>;
}

/** Uploads a document (purpose=assistants), saying how much of it has been sent (0–1). */
export function uploadDocument(file: File, onProgress: (sent: number) => void): Promise<FileInfo> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/files");
    const key = savedKey();
    if (key) xhr.setRequestHeader("authorization", `Bearer ${key}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError(NO_SERVER, 0, "network"));
    xhr.onload = () => {
      let body: { error?: { message?: string; code?: string | null } } & Partial<FileInfo> = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: the status line says enough
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as FileInfo);
      reject(
        new ApiError(
          body.error?.message ?? `The server answered ${xhr.status}.`,
          xhr.status,
          body.error?.code ?? null,
        ),
      );
    };
    const form = new FormData();
    form.append("purpose", "assistants");
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

/** Where a citation's passage is shown: the Knowledge page's view of that file, at that chunk. */
export const chunkLink = (c: { vector_store_id: string; file_id: string; chunk: number }) =>
  `/knowledge?vs=${encodeURIComponent(c.vector_store_id)}&file=${encodeURIComponent(c.file_id)}&chunk=${c.chunk}`;

export interface SseMessage {
  event: string;
  id: string | null;
  data: string;
}

/** Server-sent events over fetch (EventSource cannot send the Authorization header). */
export async function* sse(
  path: string,
  opts: { signal: AbortSignal; body?: unknown },
): AsyncGenerator<SseMessage> {
  const init: RequestInit = { signal: opts.signal, method: opts.body ? "POST" : "GET" };
  if (opts.body) init.body = JSON.stringify(opts.body);
  const res = await request(path, init);
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
      const msg: SseMessage = { event: "message", id: null, data: "" };
      const data: string[] = [];
      for (const line of block.split("\n")) {
        const i = line.indexOf(":");
        if (i === 0) continue;
        const field = i < 0 ? line : line.slice(0, i);
        const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
        if (field === "data") data.push(value);
        else if (field === "event") msg.event = value;
        else if (field === "id") msg.id = value;
      }
      msg.data = data.join("\n");
      if (data.length) yield msg;
      end = buffer.indexOf("\n\n");
    }
  }
}

export const words = (e: unknown): string =>
  e instanceof Error ? e.message : "Something went wrong; the server log has the details.";
