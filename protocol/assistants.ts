/**
 * Assistants: a model with instructions, sampling defaults, knowledge, functions (client and HTTP)
 * and a moderation policy, versioned on every change and published on a share page (`/a/<slug>`)
 * for people without a Tailor key; and the conversations they have there, with the version that
 * answered, the sources, the function calls and the visitors' feedback. The API bodies live in
 * protocol/api/assistants.ts and protocol/api/share.ts; the domain in src/assistants.
 */
import { z } from "@hono/zod-openapi";
import { Citation } from "./api/chat.ts";

/** A function's name as OpenAI allows it. */
export const FunctionName = z
  .string()
  .regex(/^[a-zA-Z0-9_-]{1,64}$/, "letters, digits, _ and - only, at most 64");

/** A JSON Schema object for a function's arguments (checked as OpenAI checks it before saving). */
export const ArgumentsSchema = z.record(z.string(), z.unknown());

/** Functions the caller runs: answered as `tool_calls`, as OpenAI does. */
export const ClientFunction = z
  .object({
    kind: z.literal("client"),
    name: FunctionName,
    description: z.string().max(1024).default(""),
    parameters: ArgumentsSchema.default({ type: "object", properties: {} }),
  })
  .openapi("AssistantClientFunction");
export type ClientFunction = z.infer<typeof ClientFunction>;

export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/**
 * A header the server sends with an HTTP function's request. A secret's value is stored encrypted
 * and never shown again: read back, it is `value: null, secret: true`; to keep it in an update, send
 * it back as read (null keeps the stored value).
 */
export const HeaderInput = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, "a header name (letters, digits, - ...)"),
  value: z.string().max(8192).nullable(),
  secret: z.boolean().default(false),
});
export type HeaderInput = z.infer<typeof HeaderInput>;

export const HeaderView = z.object({
  name: z.string(),
  /** null for a secret (it is never shown again). */
  value: z.string().nullable(),
  secret: z.boolean(),
});
export type HeaderView = z.infer<typeof HeaderView>;

const httpFunctionFields = {
  kind: z.literal("http"),
  name: FunctionName,
  description: z.string().max(1024).default(""),
  parameters: ArgumentsSchema.default({ type: "object", properties: {} }),
  /** http(s) URL; `{name}` in the path takes an argument of that name (URL-encoded). */
  url: z.string().url().max(2048),
  method: z.enum(HTTP_METHODS).default("POST"),
  timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
  /** A response longer than this is cut and the model told so. */
  max_response_bytes: z
    .number()
    .int()
    .min(256)
    .max(1024 * 1024)
    .default(64 * 1024),
};

/** A function the server calls itself: GET sends the arguments as a query, others as a JSON body. */
export const HttpFunctionInput = z
  .object({ ...httpFunctionFields, headers: z.array(HeaderInput).max(32).default([]) })
  .openapi("AssistantHttpFunctionInput");
export type HttpFunctionInput = z.infer<typeof HttpFunctionInput>;

export const HttpFunctionView = z
  .object({ ...httpFunctionFields, headers: z.array(HeaderView) })
  .openapi("AssistantHttpFunction");
export type HttpFunctionView = z.infer<typeof HttpFunctionView>;

export const AssistantFunctionInput = z.discriminatedUnion("kind", [
  ClientFunction,
  HttpFunctionInput,
]);
export type AssistantFunctionInput = z.infer<typeof AssistantFunctionInput>;
export const AssistantFunction = z.discriminatedUnion("kind", [ClientFunction, HttpFunctionView]);
export type AssistantFunction = z.infer<typeof AssistantFunction>;

/** Which function the model must call first in each answer ("auto": it chooses). */
export const AssistantToolChoice = z.union([
  z.enum(["auto", "required", "none"]),
  z.object({ name: FunctionName }),
]);
export type AssistantToolChoice = z.infer<typeof AssistantToolChoice>;

export const Sampling = z.object({
  temperature: z.number().min(0).max(2).default(0.7),
  top_p: z.number().gt(0).max(1).default(1),
  top_k: z.number().int().min(0).max(1000).default(0),
  max_tokens: z.number().int().min(1).max(8192).default(512),
});
export type Sampling = z.infer<typeof Sampling>;

export const Knowledge = z.object({
  vector_store_ids: z.array(z.string().min(1)).max(16).default([]),
  max_passages: z.number().int().min(1).max(20).default(5),
});

/** Everything an assistant is, as a version holds it (a change makes a new version). */
export const AssistantSettingsInput = z
  .object({
    name: z.string().trim().min(1).max(128),
    /** A base or fine-tuned model the owner may use. */
    model: z.string().min(1),
    instructions: z.string().max(32_000).default(""),
    sampling: Sampling.default(Sampling.parse({})),
    knowledge: Knowledge.default(Knowledge.parse({})),
    functions: z.array(AssistantFunctionInput).max(32).default([]),
    tool_choice: AssistantToolChoice.default("auto"),
    /** Calls the server makes for one answer at most (HTTP functions); then the model must answer. */
    max_function_calls: z.number().int().min(0).max(10).default(3),
    /** Hosts HTTP functions may reach (exact names, or `*.example.com`); the functions' own hosts when empty. */
    allowed_hosts: z.array(z.string().min(1).max(253)).max(64).default([]),
    /** A moderation policy (id or name) every message and answer is checked under; null: none. */
    moderation_policy: z.string().min(1).nullable().default(null),
    greeting: z.string().max(2000).default(""),
    suggested_questions: z.array(z.string().min(1).max(300)).max(6).default([]),
    /** Conversations are deleted this many days after their last message. */
    retention_days: z.number().int().min(1).max(3650).default(30),
  })
  .openapi("AssistantSettingsInput");
export type AssistantSettingsInput = z.input<typeof AssistantSettingsInput>;
export type AssistantSettingsParsed = z.output<typeof AssistantSettingsInput>;

/** The settings as read back: secret header values are never shown. */
export const AssistantSettings = AssistantSettingsInput.extend({
  functions: z.array(AssistantFunction),
}).openapi("AssistantSettings");
export type AssistantSettings = z.output<typeof AssistantSettings>;

export const SHARE_ACCESS = ["public", "passcode", "keys"] as const;
export type ShareAccess = (typeof SHARE_ACCESS)[number];

/** How the share page is opened: anyone, with a passcode, or only with a Tailor key. */
export const Publication = z
  .object({
    published: z.boolean(),
    /** The page is at `/a/<slug>`. */
    slug: z.string().nullable(),
    access: z.enum(SHARE_ACCESS),
    /** Messages one visitor may send per minute. */
    visitor_requests_per_minute: z.number().int().min(1).max(600),
    published_at: z.number().int().nullable(),
  })
  .openapi("AssistantPublication");
export type Publication = z.infer<typeof Publication>;

export const PublishInput = z
  .object({
    access: z.enum(SHARE_ACCESS).default("public"),
    /** Required with access "passcode" (at least 4 characters); stored as a hash. */
    passcode: z.string().min(4).max(128).optional(),
    slug: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])$/, "3-64 lowercase letters, digits and -")
      .optional(),
    visitor_requests_per_minute: z.number().int().min(1).max(600).default(10),
  })
  .openapi("AssistantPublishRequest");
export type PublishInput = z.input<typeof PublishInput>;

/** An assistant: its current version's settings, and its publication. */
export const Assistant = z
  .object({
    id: z.string().openapi({ example: "asst_abc123" }),
    object: z.literal("assistant"),
    created_at: z.number().int(),
    updated_at: z.number().int(),
    owner: z.string(),
    version: z.number().int(),
    settings: AssistantSettings,
    publication: Publication,
  })
  .openapi("Assistant");
export type Assistant = z.infer<typeof Assistant>;

export const AssistantVersion = z
  .object({
    assistant_id: z.string(),
    version: z.number().int(),
    created_at: z.number().int(),
    /** The key id that made the change. */
    author: z.string(),
    settings: AssistantSettings,
  })
  .openapi("AssistantVersion");
export type AssistantVersion = z.infer<typeof AssistantVersion>;

export const FUNCTION_CALL_STATUSES = [
  "ok", // the endpoint answered 2xx
  "http_error", // it answered another status
  "refused", // the guard refused it (host not allowed, private address, redirect elsewhere)
  "invalid_arguments",
  "timeout",
  "too_large",
  "failed", // the network failed
  "client", // a client function: returned to the caller, not run here
  "limit", // over the calls allowed per answer: not run
] as const;
export type FunctionCallStatus = (typeof FUNCTION_CALL_STATUSES)[number];

/** One function call of an answer, as stored and shown to the owner. */
export const FunctionCallRecord = z
  .object({
    call_id: z.string(),
    name: z.string(),
    arguments: z.string(),
    kind: z.enum(["client", "http"]),
    status: z.enum(FUNCTION_CALL_STATUSES),
    http_status: z.number().int().nullable(),
    duration_ms: z.number().int(),
    /** What the model was given back (cut to the response cap), or the error it was told. */
    output: z.string(),
  })
  .openapi("FunctionCallRecord");
export type FunctionCallRecord = z.infer<typeof FunctionCallRecord>;

export const RATINGS = ["up", "down"] as const;
export type Rating = (typeof RATINGS)[number];

export const FeedbackInput = z
  .object({
    rating: z.enum(RATINGS).nullable().optional(),
    /** "This answer was wrong". */
    wrong: z.boolean().optional(),
    comment: z.string().max(2000).optional(),
    /** What the answer should have been (a correction, usable as a training example). */
    correction: z.string().max(8000).optional(),
  })
  .openapi("FeedbackInput");
export type FeedbackInput = z.infer<typeof FeedbackInput>;

export const Feedback = z
  .object({
    rating: z.enum(RATINGS).nullable(),
    wrong: z.boolean(),
    comment: z.string().nullable(),
    correction: z.string().nullable(),
    at: z.number().int(),
  })
  .openapi("Feedback");
export type Feedback = z.infer<typeof Feedback>;

/** One message of a stored conversation. */
export const ConversationMessage = z
  .object({
    id: z.string().openapi({ example: "msg_abc123" }),
    role: z.enum(["user", "assistant"]),
    content: z.string(),
    created_at: z.number().int(),
    /** The assistant's version that answered (assistant messages). */
    version: z.number().int().nullable(),
    sources: z.array(Citation),
    function_calls: z.array(FunctionCallRecord),
    /** "stop", "length", "content_filter", "tool_calls", "error". */
    finish_reason: z.string().nullable(),
    feedback: Feedback.nullable(),
  })
  .openapi("ConversationMessage");
export type ConversationMessage = z.infer<typeof ConversationMessage>;

export const CONVERSATION_CHANNELS = ["share", "api"] as const;

export const AssistantConversation = z
  .object({
    id: z.string().openapi({ example: "conv_abc123" }),
    object: z.literal("conversation"),
    assistant_id: z.string(),
    /** Where it happened: the share page, or the API (`/v1/responses` with the assistant). */
    channel: z.enum(CONVERSATION_CHANNELS),
    /** An opaque visitor id (the share page's cookie), or the key id on the API. */
    visitor: z.string(),
    created_at: z.number().int(),
    updated_at: z.number().int(),
    /** Deleted at this time unless another message comes. */
    expires_at: z.number().int(),
    message_count: z.number().int(),
    feedback: z.object({ up: z.number().int(), down: z.number().int(), wrong: z.number().int() }),
    /** The first question, cut to 200 characters. */
    title: z.string(),
    redacted: z.boolean(),
  })
  .openapi("AssistantConversation");
export type AssistantConversation = z.infer<typeof AssistantConversation>;

export const AssistantConversationWithMessages = AssistantConversation.extend({
  messages: z.array(ConversationMessage),
}).openapi("AssistantConversationWithMessages");
export type AssistantConversationWithMessages = z.infer<typeof AssistantConversationWithMessages>;
