/**
 * `/v1/assistants` bodies in OpenAI's shape: a create or modify body (Tailor's settings and
 * OpenAI's fields) as the settings patch the store takes, and an assistant as OpenAI's v2 object
 * with Tailor's settings under `tailor`. How each OpenAI field translates is written at the top of
 * protocol/api/assistants.ts.
 */
import type { z } from "@hono/zod-openapi";
import type {
  AssistantObject,
  CreateAssistantRequest,
  UpdateAssistantRequest,
} from "../../../../protocol/api/assistants.ts";
import {
  type Assistant,
  type AssistantFunctionInput,
  type AssistantSettings,
  type AssistantSettingsInput,
  Knowledge,
  Sampling,
} from "../../../../protocol/assistants.ts";
import { fieldOf } from "../../../assistants/index.ts";
import { TailorError } from "../../../errors/index.ts";

type UpdateBody = z.output<typeof UpdateAssistantRequest>;
type CreateBody = z.output<typeof CreateAssistantRequest>;

export const UNTITLED = "Untitled assistant";

const refuse = (field: string, message: string) =>
  new TailorError({
    code: "invalid_argument",
    message: `${field}: ${message}`,
    details: { field },
  });

/** A body's problem named as the settings name it (`functions[1].url`), for the routes' zod hook. */
export function bodyProblem(issues: readonly z.core.$ZodIssue[]): TailorError {
  const issue = issues[0];
  const field = fieldOf(issue?.path ?? []);
  const missing = issue?.code === "invalid_type" && issue.message.endsWith("undefined");
  return new TailorError({
    code: "invalid_argument",
    message: `${field ? `${field}: ` : ""}${missing ? "is missing" : (issue?.message ?? "invalid request")}`,
    details: { field },
  });
}

/** A create body as the settings to create (OpenAI's fields translated; a missing name is "Untitled assistant"). */
export function createSettings(body: CreateBody): AssistantSettingsInput {
  const patch = settingsPatch(body, null);
  return { ...patch, name: patch.name ?? UNTITLED, model: body.model };
}

/**
 * A modify body as the top-level settings it changes; `current` is the assistant's settings (its
 * HTTP functions are kept when `tools` name them; its sampling and knowledge are the base that
 * OpenAI's `temperature`, `top_p` and `file_search` change).
 */
export function settingsPatch(
  body: UpdateBody,
  current: AssistantSettings | null,
): Partial<AssistantSettingsInput> {
  const {
    tools,
    tool_resources,
    temperature,
    top_p,
    description,
    metadata,
    response_format,
    instructions,
    ...tailor
  } = body;
  if (description)
    throw refuse(
      "description",
      "Tailor's assistants keep no description; put it in instructions or the greeting",
    );
  if (metadata && Object.keys(metadata).length > 0)
    throw refuse("metadata", "Tailor's assistants keep no metadata; leave it out");
  if (response_format !== undefined && response_format !== null && response_format !== "auto")
    throw refuse(
      "response_format",
      'only "auto" here; ask for a format per request in /v1/responses or /v1/chat/completions',
    );
  if (tool_resources?.code_interpreter != null)
    throw refuse("tool_resources.code_interpreter", "Tailor's assistants run no code");

  const patch = Object.fromEntries(
    Object.entries(tailor).filter(([, v]) => v !== undefined),
  ) as Partial<AssistantSettingsInput>;
  if (instructions !== undefined) patch.instructions = instructions ?? "";

  if (tools !== undefined) {
    if (tailor.functions !== undefined)
      throw refuse("tools", "give Tailor's functions or OpenAI's tools, not both");
    patch.functions = toolFunctions(tools, current);
  }

  const fileSearch = tools?.find((t) => t.type === "file_search");
  const ids = tool_resources?.file_search?.vector_store_ids;
  if (tailor.knowledge !== undefined) {
    if (fileSearch || ids !== undefined)
      throw refuse(
        "knowledge",
        "give Tailor's knowledge or OpenAI's file_search tool and tool_resources, not both",
      );
  } else if (tools !== undefined || ids !== undefined) {
    const base = current?.knowledge ?? Knowledge.parse({});
    const max =
      fileSearch?.type === "file_search" ? fileSearch.file_search?.max_num_results : undefined;
    patch.knowledge = {
      vector_store_ids: ids ?? (tools !== undefined && !fileSearch ? [] : base.vector_store_ids),
      max_passages: max ?? base.max_passages,
    };
  }

  if (temperature !== undefined || top_p !== undefined) {
    const defaults = Sampling.parse({});
    const base = { ...(tailor.sampling ?? current?.sampling ?? defaults) };
    if (temperature !== undefined) base.temperature = temperature ?? defaults.temperature;
    if (top_p !== undefined) base.top_p = top_p ?? defaults.top_p;
    patch.sampling = base;
  }
  return patch;
}

type ToolIn = NonNullable<UpdateBody["tools"]>[number];

/** OpenAI's function tools as the assistant's functions: an HTTP function of the same name is kept. */
function toolFunctions(
  tools: ToolIn[],
  current: AssistantSettings | null,
): AssistantFunctionInput[] {
  const out: AssistantFunctionInput[] = [];
  tools.forEach((t, i) => {
    if (t.type === "code_interpreter")
      throw refuse(
        `tools[${i}]`,
        "Tailor's assistants run no code (code_interpreter); use a function",
      );
    if (t.type !== "function") return;
    const { name, description, parameters } = t.function;
    const http = current?.functions.find((f) => f.kind === "http" && f.name === name);
    if (http?.kind === "http") {
      out.push({
        ...http,
        description: description ?? http.description,
        parameters: parameters ?? http.parameters,
      });
    } else {
      out.push({
        kind: "client",
        name,
        description: description ?? "",
        parameters: parameters ?? { type: "object", properties: {} },
      });
    }
  });
  return out;
}

/** An assistant as OpenAI's v2 object, with Tailor's settings, version and publication under `tailor`. */
export function assistantObject(a: Assistant): AssistantObject {
  const s = a.settings;
  const functions = s.functions.map((f) => ({
    type: "function" as const,
    function: { name: f.name, description: f.description, parameters: f.parameters },
  }));
  const { published, slug } = a.publication;
  return {
    id: a.id,
    object: "assistant",
    created_at: a.created_at,
    name: s.name,
    description: null,
    model: s.model,
    instructions: s.instructions,
    tools:
      s.knowledge.vector_store_ids.length > 0
        ? [...functions, { type: "file_search" as const }]
        : functions,
    tool_resources: { file_search: { vector_store_ids: s.knowledge.vector_store_ids } },
    temperature: s.sampling.temperature,
    top_p: s.sampling.top_p,
    metadata: {},
    response_format: "auto",
    tailor: {
      version: a.version,
      updated_at: a.updated_at,
      owner: a.owner,
      settings: s,
      publication: a.publication,
      share_path: published && slug ? `/a/${slug}` : null,
    },
  };
}
