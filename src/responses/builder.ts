/**
 * A response built from one turn's events (src/assistants' TurnEvent): the same object whether it
 * is returned whole or streamed, and the stream's events in OpenAI's order. Retrieval makes a
 * `file_search_call` item first; the answer's text is one `message` item whose `output_text` part
 * carries a `file_citation` annotation per passage given (at its `[n]` in the text, else at the
 * end); client functions the model called are `function_call` items after it. HTTP functions the
 * server ran are not items (the caller must not run them): they are under `tailor.function_calls`,
 * streamed as `tailor.function_call.*` events.
 *
 * A moderation policy's block: the message gets OpenAI's `refusal` part with the policy's refusal
 * (after the text already passed, if any was), and the response is `incomplete` with
 * `incomplete_details.reason: "content_filter"`. Cut at max_output_tokens: `incomplete`, reason
 * `max_output_tokens`.
 */

import type {
  ResponseObject,
  ResponseOutputItem,
  ResponseOutputRefusal,
  ResponseOutputText,
} from "../../protocol/api/responses.ts";
import type { ResponseStreamEvent } from "../../protocol/api/responses-stream.ts";
import type { FunctionCallRecord } from "../../protocol/assistants.ts";
import type { TurnEvent } from "../assistants/index.ts";
import type { Citation } from "../knowledge/index.ts";
import { newId } from "./input.ts";

/** What the response says of the request, fixed before the answer begins. */
export type ResponseHead = Omit<
  ResponseObject,
  | "object"
  | "status"
  | "completed_at"
  | "error"
  | "incomplete_details"
  | "output"
  | "usage"
  | "tailor"
> & { assistant: { id: string; version: number } | null };

export interface BuilderOptions {
  /** What retrieval searched for (the file_search_call's query). */
  query: string;
  /** `include: ["file_search_call.results"]`: the passages in the file_search_call item. */
  includeResults: boolean;
  newId?: (prefix: string) => string;
  /** Unix seconds (tests fix it). */
  now?: () => number;
}

type Event = ResponseStreamEvent;
/** An event before its sequence number. */
type Unnumbered = Event extends infer E
  ? E extends Event
    ? Omit<E, "sequence_number">
    : never
  : never;
type Message = Extract<ResponseOutputItem, { type: "message" }>;

export class ResponseBuilder {
  #seq = 0;
  readonly #output: ResponseOutputItem[] = [];
  #status: ResponseObject["status"] = "in_progress";
  #incomplete: ResponseObject["incomplete_details"] = null;
  #usage: ResponseObject["usage"] = null;
  #completedAt: number | null = null;
  #sources: Citation[] = [];
  #httpCalls: FunctionCallRecord[] = [];
  #conversationId: string | null = null;
  #message: { item: Message; index: number } | null = null;
  #text: { part: ResponseOutputText; index: number } | null = null;
  #filtered = false;
  #ended = false;
  readonly #id: (prefix: string) => string;
  readonly #now: () => number;

  constructor(
    readonly head: ResponseHead,
    readonly opts: BuilderOptions,
  ) {
    this.#id = opts.newId ?? newId;
    this.#now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /** The response as it stands (a copy). */
  response(): ResponseObject {
    const { assistant, ...head } = this.head;
    return structuredClone({
      ...head,
      object: "response",
      status: this.#status,
      completed_at: this.#completedAt,
      error: null,
      incomplete_details: this.#incomplete,
      output: this.#output,
      usage: this.#usage,
      tailor: {
        citations: this.#sources,
        function_calls: this.#httpCalls,
        assistant: assistant ? { ...assistant, conversation_id: this.#conversationId } : null,
      },
    });
  }

  /** Whether the turn's `done` came (the response is complete or incomplete). */
  get ended(): boolean {
    return this.#ended;
  }

  /** response.created and response.in_progress. */
  start(): Event[] {
    return [
      this.#event({ type: "response.created", response: this.response() }),
      this.#event({ type: "response.in_progress", response: this.response() }),
    ];
  }

  /** The stream events one turn event makes. */
  push(ev: TurnEvent): Event[] {
    if (this.#ended) throw new Error(`a turn event (${ev.type}) after the turn's end`);
    switch (ev.type) {
      case "sources":
        return this.#search(ev.citations);
      case "text":
        return this.#delta(ev.delta);
      case "function_call":
        return [this.#event({ type: "tailor.function_call.in_progress", ...pick(ev) })];
      case "function_result":
        this.#httpCalls.push(ev.call);
        return [this.#event({ type: "tailor.function_call.completed", call: ev.call })];
      case "filtered":
        return this.#refuse(ev.refusal);
      case "done":
        return this.#done(ev);
    }
  }

  /** response.completed or response.incomplete, after `done` (and after the response is stored). */
  finish(conversationId: string | null = null): Event {
    if (!this.#ended) throw new Error("the response is finished after the turn's done event");
    this.#conversationId = conversationId;
    const type = this.#status === "completed" ? "response.completed" : "response.incomplete";
    return this.#event({ type, response: this.response() });
  }

  /** The `error` event that ends a stream which failed. */
  fail(e: { code: string | null; message: string; param: string | null }): Event {
    return this.#event({ type: "error", ...e });
  }

  #event(e: Unnumbered): Event {
    return structuredClone({ ...e, sequence_number: this.#seq++ }) as Event;
  }

  #add(item: ResponseOutputItem): Event {
    this.#output.push(item);
    return this.#event({
      type: "response.output_item.added",
      output_index: this.#output.length - 1,
      item,
    });
  }

  #search(citations: Citation[]): Event[] {
    this.#sources = citations;
    const item: ResponseOutputItem = {
      type: "file_search_call",
      id: this.#id("fs"),
      status: "in_progress",
      queries: this.opts.query ? [this.opts.query] : [],
      results: null,
    };
    const added = this.#add(item);
    const at = { item_id: item.id, output_index: this.#output.length - 1 };
    const events = [
      added,
      this.#event({ type: "response.file_search_call.in_progress", ...at }),
      this.#event({ type: "response.file_search_call.searching", ...at }),
      this.#event({ type: "response.file_search_call.completed", ...at }),
    ];
    item.status = "completed";
    if (this.opts.includeResults) item.results = citations.map(result);
    events.push(this.#event({ type: "response.output_item.done", ...at, item }));
    return events;
  }

  #openMessage(events: Event[]): Message {
    if (this.#message) return this.#message.item;
    const item: Message = {
      type: "message",
      id: this.#id("msg"),
      role: "assistant",
      status: "in_progress",
      content: [],
    };
    events.push(this.#add(item));
    this.#message = { item, index: this.#output.length - 1 };
    return item;
  }

  #part(events: Event[], part: ResponseOutputText | ResponseOutputRefusal): number {
    const message = this.#openMessage(events);
    message.content.push(part);
    const at = this.#partAt(message.content.length - 1);
    events.push(this.#event({ type: "response.content_part.added", ...at, part }));
    return message.content.length - 1;
  }

  #partAt(contentIndex: number) {
    const m = this.#message;
    if (!m) throw new Error("no message item is open");
    return { item_id: m.item.id, output_index: m.index, content_index: contentIndex };
  }

  #delta(delta: string, events: Event[] = []): Event[] {
    if (!this.#text) {
      const part: ResponseOutputText = { type: "output_text", text: "", annotations: [] };
      this.#text = { part, index: this.#part(events, part) };
    }
    this.#text.part.text += delta;
    const at = this.#partAt(this.#text.index);
    events.push(this.#event({ type: "response.output_text.delta", ...at, delta, logprobs: [] }));
    return events;
  }

  /** Ends the text part: its annotations, output_text.done, content_part.done. */
  #closeText(events: Event[]): void {
    const open = this.#text;
    if (!open) return;
    this.#text = null;
    const at = this.#partAt(open.index);
    open.part.annotations = annotate(open.part.text, this.#sources);
    open.part.annotations.forEach((annotation, i) => {
      events.push(
        this.#event({
          type: "response.output_text.annotation.added",
          ...at,
          annotation_index: i,
          annotation,
        }),
      );
    });
    const { text } = open.part;
    events.push(this.#event({ type: "response.output_text.done", ...at, text, logprobs: [] }));
    events.push(this.#event({ type: "response.content_part.done", ...at, part: open.part }));
  }

  #refuse(refusal: string): Event[] {
    const events: Event[] = [];
    this.#closeText(events);
    const part: ResponseOutputRefusal = { type: "refusal", refusal: "" };
    const at = this.#partAt(this.#part(events, part));
    part.refusal = refusal;
    events.push(this.#event({ type: "response.refusal.delta", ...at, delta: refusal }));
    events.push(this.#event({ type: "response.refusal.done", ...at, refusal }));
    events.push(this.#event({ type: "response.content_part.done", ...at, part }));
    this.#filtered = true;
    return events;
  }

  #done(ev: Extract<TurnEvent, { type: "done" }>): Event[] {
    const events: Event[] = [];
    this.#sources = ev.sources;
    this.#httpCalls = ev.function_calls.filter((c) => c.kind === "http");
    if (!this.#filtered) {
      // the text as streamed is the answer; a runner that sent less sends the rest here
      const sent = this.#text?.part.text ?? "";
      if (ev.text.length > sent.length && ev.text.startsWith(sent))
        this.#delta(ev.text.slice(sent.length), events);
      else if (!this.#message && !ev.client_calls.length) this.#delta("", events);
      this.#closeText(events);
    }
    const incomplete =
      ev.finish_reason === "length"
        ? ("max_output_tokens" as const)
        : ev.finish_reason === "content_filter" || this.#filtered
          ? ("content_filter" as const)
          : null;
    if (this.#message) {
      const { item, index } = this.#message;
      item.status = incomplete ? "incomplete" : "completed";
      events.push(this.#event({ type: "response.output_item.done", output_index: index, item }));
    }
    for (const call of ev.client_calls) {
      const item: ResponseOutputItem = {
        type: "function_call",
        id: this.#id("fc"),
        call_id: call.call_id,
        name: call.name,
        arguments: "",
        status: "in_progress",
      };
      events.push(this.#add(item));
      const at = { item_id: item.id, output_index: this.#output.length - 1 };
      item.arguments = call.arguments;
      events.push(
        this.#event({
          type: "response.function_call_arguments.delta",
          ...at,
          delta: call.arguments,
        }),
        this.#event({
          type: "response.function_call_arguments.done",
          ...at,
          name: call.name,
          arguments: call.arguments,
        }),
      );
      item.status = "completed";
      events.push(this.#event({ type: "response.output_item.done", ...at, item }));
    }
    const { input_tokens, output_tokens } = ev.usage;
    this.#usage = {
      input_tokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: input_tokens + output_tokens,
    };
    this.#status = incomplete ? "incomplete" : "completed";
    this.#incomplete = incomplete ? { reason: incomplete } : null;
    this.#completedAt = incomplete ? null : this.#now();
    this.#ended = true;
    return events;
  }
}

const pick = (ev: { call_id: string; name: string; arguments: string }) => ({
  call_id: ev.call_id,
  name: ev.name,
  arguments: ev.arguments,
});

/** A file_citation per passage given: after its `[n]` in the text, else at the text's end. */
export function annotate(text: string, sources: Citation[]): ResponseOutputText["annotations"] {
  const seen = new Set<string>();
  return sources
    .map((c) => {
      const marker = `[${c.index}]`;
      const at = text.indexOf(marker);
      const index = at < 0 ? text.length : at + marker.length;
      return { type: "file_citation" as const, file_id: c.file_id, filename: c.filename, index };
    })
    .filter((a) => {
      const key = `${a.file_id}@${a.index}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.index - b.index);
}

function result(c: Citation) {
  return {
    file_id: c.file_id,
    filename: c.filename,
    score: c.similarity,
    text: c.text,
    attributes: {
      vector_store_id: c.vector_store_id,
      location: c.location,
      chunk: c.chunk,
      ...(c.page !== null ? { page: c.page } : {}),
      ...(c.section !== null ? { section: c.section } : {}),
    },
  };
}
