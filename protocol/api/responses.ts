/**
 * `/v1/responses`: OpenAI's Responses API in its shapes (so the official SDK's
 * `client.responses.create/retrieve/delete/inputItems.list` work), on a base or fine-tuned model
 * or on an assistant (`model: "asst_…"`: its instructions, sampling, functions, knowledge and
 * moderation policy; see src/server/routes/responses/).
 *
 * What Tailor does with OpenAI's request fields:
 * - used: `model`, `input` (a string, or message, function_call and function_call_output items;
 *   items given back from an earlier `output` are taken too: output_text and refusal parts are the
 *   assistant's words, file_search_call items are skipped), `instructions`, `tools` (function,
 *   file_search), `tool_choice`, `parallel_tool_calls`, `previous_response_id`, `store`, `stream`,
 *   `temperature`, `top_p`, `max_output_tokens`, `max_tool_calls` (server-run HTTP calls of an
 *   assistant), `metadata`, `text.format`, `include: ["file_search_call.results"]`.
 * - accepted and ignored (nothing a caller relies on changes): `user`, `safety_identifier`,
 *   `prompt_cache_key`, `prompt_cache_retention`, `service_tier`, `truncation`, `reasoning`,
 *   `stream_options`, `context_management`, `text.verbosity`, other `include` values, a function's
 *   `strict` (calls are always decoded against their schema), file_search's `ranking_options`.
 * - refused, because ignoring them would mislead: `background: true` (the answer comes in the
 *   request), `conversation` (use `previous_response_id`), `prompt` (no stored prompts),
 *   `top_logprobs` above 0, file_search `filters`, tools other than function and file_search, and
 *   input images, files and audio (Tailor's models read text).
 *
 * Tailor's additions: `tailor.top_k` and `tailor.seed` in the request; `tailor` in the response
 * (the passages cited, the HTTP functions the server called, the assistant's version and stored
 * conversation); stream events named `tailor.function_call.*` around those calls. The stream's
 * events are in ./responses-stream.ts.
 */
import { z } from "@hono/zod-openapi";
import { FunctionCallRecord, FunctionName } from "../assistants.ts";
import { Citation } from "./chat.ts";
import { listOf, seconds } from "./shared.ts";

const JsonSchema = z.record(z.string(), z.unknown()).openapi({ description: "a JSON Schema" });
const Metadata = z.record(z.string().max(64), z.string().max(512));
const ItemStatus = z.enum(["in_progress", "completed", "incomplete"]);

// ---------------------------------------------------------------------------------------------
// The request

const InputText = z.object({ type: z.literal("input_text"), text: z.string() });
/** An earlier answer's text given back (its annotations are dropped). */
const OutputTextIn = z.object({
  type: z.literal("output_text"),
  text: z.string(),
  annotations: z.array(z.unknown()).optional(),
});
const RefusalIn = z.object({ type: z.literal("refusal"), refusal: z.string() });
const NOT_TEXT = new Set(["input_image", "input_file", "input_audio"]);
const ContentPartIn = z.discriminatedUnion("type", [InputText, OutputTextIn, RefusalIn], {
  error: (iss) => {
    const type = (iss.input as { type?: unknown } | undefined)?.type;
    return NOT_TEXT.has(String(type))
      ? `"${type}" parts are not supported: Tailor's models read text; send "input_text"`
      : `a content part is "input_text" (or "output_text" / "refusal" given back), not ${JSON.stringify(type)}`;
  },
});

export const ResponseInputMessage = z
  .object({
    type: z.literal("message").optional(),
    id: z.string().optional(),
    status: ItemStatus.optional(),
    /** `developer` is a system message. */
    role: z.enum(["user", "assistant", "system", "developer"]),
    content: z.union([z.string(), z.array(ContentPartIn)]),
  })
  .openapi("ResponseInputMessage");

export const ResponseFunctionCallInput = z
  .object({
    type: z.literal("function_call"),
    id: z.string().optional(),
    call_id: z.string().min(1),
    name: FunctionName,
    arguments: z.string(),
    status: ItemStatus.optional(),
  })
  .openapi("ResponseFunctionCallInput");

export const ResponseFunctionCallOutputInput = z
  .object({
    type: z.literal("function_call_output"),
    id: z.string().nullable().optional(),
    /** The call this is the result of (from an earlier `function_call` item). */
    call_id: z.string().min(1),
    output: z.union([z.string(), z.array(InputText)]),
    status: ItemStatus.nullable().optional(),
  })
  .openapi("ResponseFunctionCallOutputInput");

/** A file_search_call item given back from an earlier output: skipped (the search runs again). */
const FileSearchCallIn = z.object({ type: z.literal("file_search_call"), id: z.string() });

const ITEM_TYPES = "message, function_call, function_call_output";
export const ResponseInputItem = z.discriminatedUnion(
  "type",
  [
    ResponseInputMessage,
    ResponseFunctionCallInput,
    ResponseFunctionCallOutputInput,
    FileSearchCallIn,
  ],
  {
    error: (iss) =>
      `Tailor takes ${ITEM_TYPES} items, not ${JSON.stringify((iss.input as { type?: unknown } | undefined)?.type)}`,
  },
);
export type ResponseInputItem = z.infer<typeof ResponseInputItem>;

export const ResponseFunctionTool = z
  .object({
    type: z.literal("function"),
    name: FunctionName,
    description: z.string().nullable().optional(),
    /** The arguments object's JSON Schema (none: no arguments). */
    parameters: JsonSchema.nullable().optional(),
    /** Accepted; Tailor always decodes calls against the schema. */
    strict: z.boolean().nullable().optional(),
  })
  .openapi("ResponseFunctionTool");

export const ResponseFileSearchTool = z
  .object({
    type: z.literal("file_search"),
    /** Your vector stores to answer from (POST /v1/vector_stores). */
    vector_store_ids: z.array(z.string().min(1)).min(1).max(16),
    /** Passages given to the model at most (default 5, at most 20). */
    max_num_results: z.number().int().min(1).max(50).optional(),
    filters: z
      .unknown()
      .optional()
      .refine(
        (f) => f == null,
        "Tailor's vector stores have no attributes to filter on; leave filters out",
      ),
    ranking_options: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi("ResponseFileSearchTool");

export const ResponseTool = z.discriminatedUnion(
  "type",
  [ResponseFunctionTool, ResponseFileSearchTool],
  {
    error: (iss) =>
      `${JSON.stringify((iss.input as { type?: unknown } | undefined)?.type)} tools are not available in Tailor; it offers "function" and "file_search"`,
  },
);
export type ResponseTool = z.infer<typeof ResponseTool>;

/** `auto`, `none`, `required`, one function, or `{type: "file_search"}` (Tailor always searches). */
export const ResponseToolChoice = z
  .union([
    z.enum(["auto", "none", "required"]),
    z.object({ type: z.literal("function"), name: z.string().min(1) }),
    z.object({ type: z.literal("file_search") }),
  ])
  .openapi("ResponseToolChoice");
export type ResponseToolChoice = z.infer<typeof ResponseToolChoice>;

export const ResponseTextFormat = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("text") }),
    z.object({ type: z.literal("json_object") }),
    z.object({
      type: z.literal("json_schema"),
      name: FunctionName,
      schema: JsonSchema,
      description: z.string().optional(),
      strict: z.boolean().nullable().optional(),
    }),
  ])
  .openapi("ResponseTextFormat");

export const CreateResponseRequest = z
  .object({
    /** A base or fine-tuned model, or an assistant's id (`asst_…`). */
    model: z.string().min(1),
    /** A string (one user message) or a list of items. */
    input: z.union([z.string(), z.array(ResponseInputItem).min(1)]),
    /** A system message for this response only (with an assistant: after its own instructions). */
    instructions: z.string().nullable().optional(),
    tools: z.array(ResponseTool).max(64).optional(),
    tool_choice: ResponseToolChoice.optional(),
    /** false: at most one function call per answer (default true). */
    parallel_tool_calls: z.boolean().nullable().optional(),
    /** HTTP functions the server calls for this answer at most (an assistant's). */
    max_tool_calls: z.number().int().min(0).nullable().optional(),
    /** Continue from a stored response: its conversation, then this input. */
    previous_response_id: z.string().nullable().optional(),
    /** Keep the response for GET and `previous_response_id` (default true). */
    store: z.boolean().nullable().optional(),
    stream: z.boolean().nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().gt(0).max(1).nullable().optional(),
    max_output_tokens: z.number().int().min(1).nullable().optional(),
    metadata: Metadata.nullable().optional(),
    text: z.object({ format: ResponseTextFormat.optional() }).optional(),
    /** Only "file_search_call.results" changes anything: the passages found, in the call item. */
    include: z.array(z.string()).nullable().optional(),
    background: z
      .boolean()
      .nullable()
      .optional()
      .refine((v) => !v, "Tailor answers within the request; leave background out"),
    conversation: z
      .unknown()
      .optional()
      .refine(
        (v) => v == null,
        "Tailor has no conversation objects here; use previous_response_id",
      ),
    prompt: z
      .unknown()
      .optional()
      .refine((v) => v == null, "Tailor keeps no prompt templates; send instructions and input"),
    top_logprobs: z
      .number()
      .int()
      .nullable()
      .optional()
      .refine((v) => !v, "Tailor does not return log probabilities; leave top_logprobs out"),
    /** Tailor: sampling beyond OpenAI's (top_k 0: no limit; a seed for repeatable answers). */
    tailor: z
      .object({
        top_k: z.number().int().min(0).max(1000).optional(),
        seed: z.number().int().min(0).optional(),
      })
      .optional(),
  })
  .openapi("CreateResponse");
export type CreateResponseRequest = z.infer<typeof CreateResponseRequest>;

// ---------------------------------------------------------------------------------------------
// The response

export const FileCitationAnnotation = z
  .object({
    type: z.literal("file_citation"),
    file_id: z.string(),
    filename: z.string(),
    /** Where in the text the passage is cited (after its `[n]`; the text's end when uncited). */
    index: z.number().int(),
  })
  .openapi("ResponseFileCitation");

export const ResponseOutputText = z
  .object({
    type: z.literal("output_text"),
    text: z.string(),
    annotations: z.array(FileCitationAnnotation),
  })
  .openapi("ResponseOutputText");
export type ResponseOutputText = z.infer<typeof ResponseOutputText>;

/** A moderation policy's refusal, in place of the text it blocked. */
export const ResponseOutputRefusal = z
  .object({ type: z.literal("refusal"), refusal: z.string() })
  .openapi("ResponseOutputRefusal");
export type ResponseOutputRefusal = z.infer<typeof ResponseOutputRefusal>;

export const ResponseOutputMessage = z
  .object({
    type: z.literal("message"),
    id: z.string(),
    role: z.literal("assistant"),
    status: ItemStatus,
    content: z.array(z.discriminatedUnion("type", [ResponseOutputText, ResponseOutputRefusal])),
  })
  .openapi("ResponseOutputMessage");

/** A client function the caller runs, answering with a `function_call_output` item. */
export const ResponseFunctionToolCall = z
  .object({
    type: z.literal("function_call"),
    id: z.string(),
    call_id: z.string(),
    name: z.string(),
    arguments: z.string(),
    status: ItemStatus,
  })
  .openapi("ResponseFunctionToolCall");

export const FileSearchResult = z.object({
  file_id: z.string(),
  filename: z.string(),
  score: z.number(),
  text: z.string(),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});

export const ResponseFileSearchToolCall = z
  .object({
    type: z.literal("file_search_call"),
    id: z.string(),
    status: z.enum(["in_progress", "searching", "completed", "incomplete", "failed"]),
    queries: z.array(z.string()),
    /** With `include: ["file_search_call.results"]`: the passages given to the model. */
    results: z.array(FileSearchResult).nullable(),
  })
  .openapi("ResponseFileSearchToolCall");

export const ResponseOutputItem = z.discriminatedUnion("type", [
  ResponseOutputMessage,
  ResponseFunctionToolCall,
  ResponseFileSearchToolCall,
]);
export type ResponseOutputItem = z.infer<typeof ResponseOutputItem>;

export const ResponseUsage = z
  .object({
    input_tokens: z.number().int(),
    input_tokens_details: z.object({ cached_tokens: z.number().int() }),
    output_tokens: z.number().int(),
    output_tokens_details: z.object({ reasoning_tokens: z.number().int() }),
    total_tokens: z.number().int(),
  })
  .openapi("ResponseUsage");

/** The tools as the response lists them (the request's, with defaults filled in). */
export const ResponseToolView = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("function"),
    name: z.string(),
    description: z.string().nullable(),
    parameters: JsonSchema.nullable(),
    strict: z.boolean(),
  }),
  z.object({
    type: z.literal("file_search"),
    vector_store_ids: z.array(z.string()),
    max_num_results: z.number().int(),
    filters: z.null(),
  }),
]);
export type ResponseToolView = z.infer<typeof ResponseToolView>;

export const RESPONSE_STATUSES = ["in_progress", "completed", "incomplete", "failed"] as const;

export const ResponseObject = z
  .object({
    id: z.string().openapi({ example: "resp_abc123" }),
    object: z.literal("response"),
    created_at: seconds,
    /** incomplete: cut at `max_output_tokens`, or a moderation policy blocked the answer. */
    status: z.enum(RESPONSE_STATUSES),
    completed_at: seconds.nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    incomplete_details: z
      .object({ reason: z.enum(["max_output_tokens", "content_filter"]) })
      .nullable(),
    instructions: z.string().nullable(),
    max_output_tokens: z.number().int().nullable(),
    /** As asked: a model, or an assistant's id. */
    model: z.string(),
    output: z.array(ResponseOutputItem),
    parallel_tool_calls: z.boolean(),
    previous_response_id: z.string().nullable(),
    temperature: z.number().nullable(),
    top_p: z.number().nullable(),
    tool_choice: ResponseToolChoice,
    tools: z.array(ResponseToolView),
    text: z.object({ format: ResponseTextFormat }),
    store: z.boolean(),
    metadata: Metadata,
    /** null until the answer is complete (in the first stream events). */
    usage: ResponseUsage.nullable(),
    /** Tailor: the passages cited, the HTTP functions the server called, the assistant's part. */
    tailor: z.object({
      citations: z.array(Citation),
      /** HTTP functions the server ran itself (client functions are `function_call` items). */
      function_calls: z.array(FunctionCallRecord),
      assistant: z
        .object({
          id: z.string(),
          version: z.number().int(),
          /** The stored conversation (with `store`), as the owner sees it in the studio. */
          conversation_id: z.string().nullable(),
        })
        .nullable(),
    }),
  })
  .openapi("Response");
export type ResponseObject = z.infer<typeof ResponseObject>;

export const ResponseDeleted = z
  .object({ id: z.string(), object: z.literal("response"), deleted: z.literal(true) })
  .openapi("ResponseDeleted");

/** An input item as listed (`GET /v1/responses/{id}/input_items`), with its id. */
export const ResponseItem = z.union([
  z.object({
    type: z.literal("message"),
    id: z.string(),
    role: z.enum(["user", "system", "developer"]),
    status: z.literal("completed"),
    content: z.array(InputText),
  }),
  ResponseOutputMessage,
  ResponseFunctionToolCall,
  z.object({
    type: z.literal("function_call_output"),
    id: z.string(),
    call_id: z.string(),
    output: z.string(),
    status: z.literal("completed"),
  }),
]);
export type ResponseItem = z.infer<typeof ResponseItem>;

export const ResponseItemList = listOf(ResponseItem).openapi("ResponseItemList");

export const InputItemsQuery = z.object({
  after: z.string().optional().openapi({ description: "id of the last item of the previous page" }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** desc (OpenAI's default): the last item first. */
  order: z.enum(["asc", "desc"]).default("desc"),
});

export const ResponseIdParam = z.object({
  response_id: z.string().openapi({ param: { name: "response_id", in: "path" } }),
});
