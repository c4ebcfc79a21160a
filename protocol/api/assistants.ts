/**
 * `/v1/assistants`: OpenAI's v2 assistant object where it fits (so the official SDK's
 * `client.beta.assistants.create/retrieve/update/list/delete` work), with Tailor's whole settings,
 * version and publication under `tailor`; the versions; publishing on a share page (`/a/<slug>`).
 *
 * A create or update body takes Tailor's settings (protocol/assistants.ts AssistantSettingsInput)
 * and also OpenAI's fields, translated:
 * - `tools` of type "function" are the assistant's functions: a name that is one of its HTTP
 *   functions keeps that HTTP function (so a retrieved assistant's `tools` sent back change
 *   nothing); other names are client functions (answered as `tool_calls`). An HTTP function left
 *   out of `tools` is removed. `{type: "file_search"}` turns retrieval on (its `max_num_results`
 *   is `knowledge.max_passages`); `tools` without it clear the vector stores. `code_interpreter` is
 *   refused (Tailor runs no code). `tools` and `functions` together are refused.
 * - `tool_resources.file_search.vector_store_ids` are `knowledge.vector_store_ids` (with
 *   `knowledge` too: refused).
 * - `temperature` and `top_p` are `sampling.temperature` and `sampling.top_p` (null: the default).
 * - `instructions: null` is "". `name` is required by Tailor: a create without one is named
 *   "Untitled assistant".
 * - `description` and `metadata` are accepted empty (null, "", {}) and refused otherwise (Tailor
 *   keeps neither); `response_format` only as "auto" or null.
 */
import { z } from "@hono/zod-openapi";
import {
  ArgumentsSchema,
  AssistantSettings,
  AssistantSettingsInput,
  AssistantVersion,
  FunctionName,
  Knowledge,
  Publication,
  PublishInput,
  Sampling,
} from "../assistants.ts";
import { listOf, seconds } from "./shared.ts";

/** A function as OpenAI lists it (client and HTTP functions alike). */
export const AssistantFunctionTool = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string(),
    description: z.string(),
    parameters: z.record(z.string(), z.unknown()),
  }),
});

export const AssistantFileSearchTool = z.object({ type: z.literal("file_search") });

/** OpenAI's assistant object, Tailor's settings, version and publication under `tailor`. */
export const AssistantObject = z
  .object({
    id: z.string().openapi({ example: "asst_abc123" }),
    object: z.literal("assistant"),
    created_at: seconds,
    name: z.string(),
    /** Tailor keeps no description (always null). */
    description: z.null(),
    model: z.string(),
    instructions: z.string(),
    /** Every function (client and HTTP), then `file_search` when the assistant has knowledge. */
    tools: z.array(z.union([AssistantFunctionTool, AssistantFileSearchTool])),
    tool_resources: z.object({
      file_search: z.object({ vector_store_ids: z.array(z.string()) }),
    }),
    temperature: z.number(),
    top_p: z.number(),
    /** Tailor keeps no metadata (always {}). */
    metadata: z.record(z.string(), z.string()),
    response_format: z.literal("auto"),
    tailor: z.object({
      version: z.number().int(),
      updated_at: seconds,
      /** The owner of the key that created it. */
      owner: z.string(),
      /** Everything the assistant is (secret header values null). */
      settings: AssistantSettings,
      publication: Publication,
      /** The share page's path (`/a/<slug>`) while published, else null. */
      share_path: z.string().nullable(),
    }),
  })
  .openapi("AssistantObject");
export type AssistantObject = z.infer<typeof AssistantObject>;

export const AssistantObjectList = listOf(AssistantObject).openapi("AssistantList");

export const AssistantListQuery = z.object({
  after: z
    .string()
    .optional()
    .openapi({ description: "id of the last assistant of the previous page" }),
  before: z
    .string()
    .optional()
    .openapi({ description: "id of the first assistant of the next page" }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** By creation time: newest first ("desc", the default) or oldest first. */
  order: z.enum(["asc", "desc"]).default("desc"),
});

const FunctionToolIn = z.object({
  type: z.literal("function"),
  function: z.object({
    name: FunctionName,
    description: z.string().max(1024).nullable().optional(),
    parameters: ArgumentsSchema.nullable().optional(),
    strict: z.boolean().nullable().optional(),
  }),
});
const FileSearchToolIn = z.object({
  type: z.literal("file_search"),
  file_search: z
    .object({
      max_num_results: Knowledge.shape.max_passages.unwrap().optional(),
      ranking_options: z.unknown().optional(),
    })
    .optional(),
});
/** Accepted by the schema so that it is refused with a sentence (Tailor runs no code). */
const CodeInterpreterToolIn = z.object({ type: z.literal("code_interpreter") });

export const AssistantToolIn = z.discriminatedUnion("type", [
  FunctionToolIn,
  FileSearchToolIn,
  CodeInterpreterToolIn,
]);
export type AssistantToolIn = z.infer<typeof AssistantToolIn>;

/** OpenAI's create/modify fields, translated into Tailor's settings (see the top of this file). */
const openAiFields = {
  tools: z.array(AssistantToolIn).max(128).optional(),
  tool_resources: z
    .object({
      file_search: z
        .object({ vector_store_ids: Knowledge.shape.vector_store_ids.unwrap().optional() })
        .nullable()
        .optional(),
      code_interpreter: z.unknown().optional(),
    })
    .nullable()
    .optional(),
  temperature: Sampling.shape.temperature.unwrap().nullable().optional(),
  top_p: Sampling.shape.top_p.unwrap().nullable().optional(),
  description: z.string().max(512).nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  response_format: z.unknown().optional(),
};

const s = AssistantSettingsInput.shape;

/** Each of Tailor's settings, optional and without defaults (the store fills them). */
const settingsFields = {
  name: s.name.optional(),
  model: s.model.optional(),
  instructions: z.string().max(32_000).nullable().optional(),
  sampling: s.sampling.unwrap().optional(),
  knowledge: s.knowledge.unwrap().optional(),
  functions: s.functions.unwrap().optional(),
  tool_choice: s.tool_choice.unwrap().optional(),
  max_function_calls: s.max_function_calls.unwrap().optional(),
  allowed_hosts: s.allowed_hosts.unwrap().optional(),
  moderation_policy: s.moderation_policy.unwrap().optional(),
  greeting: s.greeting.unwrap().optional(),
  suggested_questions: s.suggested_questions.unwrap().optional(),
  retention_days: s.retention_days.unwrap().optional(),
};

/**
 * Any of the settings (each one given replaces that setting whole: a new version) and OpenAI's
 * modify fields. A secret header sent back as read (`value: null`) keeps its stored value.
 */
export const UpdateAssistantRequest = z
  .object({ ...settingsFields, ...openAiFields })
  .openapi("UpdateAssistantRequest");
export type UpdateAssistantRequest = z.input<typeof UpdateAssistantRequest>;

/** Tailor's settings (AssistantSettingsInput: `model` required, defaults for the rest) and OpenAI's create fields. */
export const CreateAssistantRequest = z
  .object({ ...settingsFields, model: s.model, ...openAiFields })
  .openapi("CreateAssistantRequest");
export type CreateAssistantRequest = z.input<typeof CreateAssistantRequest>;

export const AssistantDeleted = z
  .object({ id: z.string(), object: z.literal("assistant.deleted"), deleted: z.literal(true) })
  .openapi("AssistantDeleted");

/** Newest first. */
export const AssistantVersionList = z
  .object({ object: z.literal("list"), data: z.array(AssistantVersion), has_more: z.boolean() })
  .openapi("AssistantVersionList");

/** POST /v1/assistants/{id}/publish: access, passcode (stored as a hash), slug, visitor rate. */
export const PublishAssistantRequest = PublishInput;
