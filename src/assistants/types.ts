/**
 * The assistants domain's shapes between its parts: an assistant as the runner needs it (secret
 * header values decrypted, never leaving the server), one turn's request and the events it yields,
 * and the guard's network options. The stored and API shapes are in protocol/assistants.ts.
 */
import type {
  AssistantSettingsParsed,
  AssistantToolChoice,
  ClientFunction,
  FunctionCallRecord,
  HttpFunctionInput,
  Sampling,
} from "../../protocol/assistants.ts";
import type { ChatMessage, ResponseFormat } from "../../protocol/index.ts";
import type { Citation } from "../knowledge/index.ts";
import type { ResolvedModel } from "../models/index.ts";
import type { ChatModeration } from "../safety/moderation/index.ts";

/** An HTTP function with its headers' values in clear (secrets decrypted): server-side only. */
export type RuntimeHttpFunction = Omit<HttpFunctionInput, "headers"> & {
  headers: { name: string; value: string; secret: boolean }[];
};
export type RuntimeFunction = ClientFunction | RuntimeHttpFunction;

/** One version of an assistant, ready to answer (from AssistantStore.runtime). */
export interface RuntimeAssistant {
  id: string;
  owner: string;
  version: number;
  settings: Omit<AssistantSettingsParsed, "functions"> & { functions: RuntimeFunction[] };
}

/**
 * Where HTTP functions may go: the assistant's allowed hosts, and the private addresses the admin
 * lets functions reach (`TAILOR_FUNCTION_PRIVATE_HOSTS`: `host` or `host:port` entries, `*` for all).
 */
export interface NetworkPolicy {
  allowedHosts: string[];
  privateHosts: string[];
}

/** One answer to a conversation: what the runner needs. */
export interface TurnRequest {
  model: ResolvedModel;
  /** The system message (the assistant's instructions, or the Responses API's `instructions`). */
  instructions: string;
  /** The conversation so far, ending with the new user message (or with tool results). */
  messages: ChatMessage[];
  sampling: Sampling & { seed?: number | undefined; stop?: string[] | undefined };
  /** Client functions are returned to the caller; HTTP functions are called here. */
  functions: RuntimeFunction[];
  /** Applies to the first generation of the answer; later ones (after function results) choose freely. */
  toolChoice: AssistantToolChoice;
  /** HTTP calls for this answer at most; then the model answers without functions. */
  maxFunctionCalls: number;
  network: NetworkPolicy;
  /** Vector stores to answer from (already checked for access), or none. */
  knowledge: { storeIds: string[]; maxPassages: number } | null;
  moderation: ChatModeration | null;
  responseFormat?: ResponseFormat | undefined;
  parallelToolCalls?: boolean | undefined;
  signal: AbortSignal;
  /** Each HTTP call once it ended (the route writes it to the audit log; never the secrets). */
  onFunctionCall?: ((call: FunctionCallRecord, fn: RuntimeHttpFunction) => void) | undefined;
}

/** A call of a client function the caller must run (OpenAI's `tool_calls`). */
export interface ClientCall {
  call_id: string;
  name: string;
  arguments: string;
}

export type TurnFinish = "stop" | "length" | "content_filter" | "tool_calls";

export type TurnEvent =
  /** What retrieval found (first, when the request has knowledge). */
  | { type: "sources"; citations: Citation[]; found: boolean }
  /** Newly generated answer text. */
  | { type: "text"; delta: string }
  /** The model called an HTTP function; the call is being made. */
  | { type: "function_call"; call_id: string; name: string; arguments: string }
  /** An HTTP function's call ended (its result went back to the model). */
  | { type: "function_result"; call: FunctionCallRecord }
  /** A policy blocked the question or the answer: the refusal replaces the text. */
  | { type: "filtered"; refusal: string }
  | {
      type: "done";
      /** The whole answer's text (the refusal when filtered). */
      text: string;
      finish_reason: TurnFinish;
      /** Client functions to run (finish_reason "tool_calls"). */
      client_calls: ClientCall[];
      /** Every function call of this answer, HTTP and client. */
      function_calls: FunctionCallRecord[];
      sources: Citation[];
      usage: { input_tokens: number; output_tokens: number };
    };
