/**
 * A Responses request's `tools` and `tool_choice` as the runner takes them: function tools are
 * client functions (the caller runs them), beside an assistant's own functions; file_search tools
 * are the caller's vector stores to answer from (each checked as theirs); `tool_choice` checked
 * against the functions offered, as OpenAI checks it, each refusal naming its field.
 */
import type { z } from "@hono/zod-openapi";
import type {
  CreateResponseRequest,
  ResponseTextFormat,
  ResponseToolChoice,
  ResponseToolView,
} from "../../../../protocol/api/responses.ts";
import type { AssistantToolChoice, ClientFunction } from "../../../../protocol/assistants.ts";
import type { ResponseFormat } from "../../../../protocol/index.ts";
import type { RuntimeFunction } from "../../../assistants/index.ts";
import { isTailorError, TailorError } from "../../../errors/index.ts";
import { checkJsonSchema, checkToolDefinitions } from "../../../tools/index.ts";
import type { Principal, ServerContext } from "../../context.ts";
import { ownedStore } from "../vector-stores/access.ts";

type Request = z.infer<typeof CreateResponseRequest>;

/** Passages given to the model when file_search does not say (Tailor's default elsewhere too). */
export const DEFAULT_PASSAGES = 5;
const MAX_PASSAGES = 20;

export const invalid = (field: string, message: string) =>
  new TailorError({
    code: "invalid_argument",
    message: `${field}: ${message}`,
    details: { field },
  });

export interface RequestTools {
  functions: ClientFunction[];
  /** The request's vector stores (checked as the caller's), or null without file_search. */
  knowledge: { storeIds: string[]; maxPassages: number } | null;
  /** As the response lists them. */
  views: ResponseToolView[];
}

/** The request's tools; `taken` are the assistant's function names (a tool may not reuse one). */
export function requestTools(
  ctx: ServerContext,
  p: Principal,
  tools: Request["tools"],
  taken: { names: string[]; assistantId: string } | null,
): RequestTools {
  const functions: ClientFunction[] = [];
  const views: ResponseToolView[] = [];
  const storeIds: string[] = [];
  let maxPassages = 0;
  const fnAt: number[] = []; // each function's index in `tools`
  (tools ?? []).forEach((tool, i) => {
    if (tool.type === "function") {
      if (taken?.names.includes(tool.name))
        throw invalid(
          `tools[${i}].name`,
          `"${tool.name}" is already a function of assistant ${taken.assistantId}; give yours another name`,
        );
      const parameters = tool.parameters ?? { type: "object", properties: {} };
      functions.push({
        kind: "client",
        name: tool.name,
        description: tool.description ?? "",
        parameters,
      });
      fnAt.push(i);
      views.push({
        type: "function",
        name: tool.name,
        description: tool.description ?? null,
        parameters: tool.parameters ?? null,
        strict: tool.strict ?? true,
      });
      return;
    }
    tool.vector_store_ids.forEach((id, j) => {
      try {
        ownedStore(ctx, p, id);
      } catch (e) {
        if (isTailorError(e) && e.code === "not_found")
          throw new TailorError({
            code: "not_found",
            message: `tools[${i}].vector_store_ids[${j}]: no vector store ${id} (POST /v1/vector_stores makes one)`,
            details: { field: `tools[${i}].vector_store_ids[${j}]` },
          });
        throw e;
      }
      if (!storeIds.includes(id)) storeIds.push(id);
    });
    const wanted = Math.min(tool.max_num_results ?? DEFAULT_PASSAGES, MAX_PASSAGES);
    maxPassages = Math.max(maxPassages, wanted);
    views.push({
      type: "file_search",
      vector_store_ids: tool.vector_store_ids,
      max_num_results: wanted,
      filters: null,
    });
  });
  if (functions.length) {
    const problem = checkToolDefinitions(
      functions.map((f) => ({
        type: "function" as const,
        function: { name: f.name, parameters: f.parameters },
      })),
    );
    if (problem) {
      // named as in chat's tools (`tools[j].function.parameters`); here tools are flat
      const field = problem.field.replace(
        /^tools\[(\d+)\]\.function/,
        (_, j: string) => `tools[${fnAt[Number(j)]}]`,
      );
      throw invalid(field, problem.message);
    }
  }
  return {
    functions,
    knowledge: storeIds.length ? { storeIds, maxPassages } : null,
    views,
  };
}

/**
 * `tool_choice` for the runner: a named function must be offered; "required" needs a function
 * (with only file_search it means searching, which Tailor always does); `{type: "file_search"}`
 * needs a file_search tool. Absent: the assistant's choice, else "auto".
 */
export function toolChoiceOf(
  choice: ResponseToolChoice | undefined,
  functions: RuntimeFunction[],
  searches: boolean,
  fallback: AssistantToolChoice,
): AssistantToolChoice {
  if (choice === undefined) return fallback;
  if (choice === "auto" || choice === "none") return choice;
  if (choice === "required") {
    if (functions.length) return "required";
    if (searches) return "auto";
    throw invalid("tool_choice", '"required" needs a function in tools to call');
  }
  if (choice.type === "file_search") {
    if (!searches) throw invalid("tool_choice", "names file_search, but tools has no file_search");
    return "auto";
  }
  if (!functions.some((f) => f.name === choice.name)) {
    const names = functions.map((f) => f.name).join(", ") || "none";
    throw invalid("tool_choice.name", `no function named "${choice.name}" is offered (${names})`);
  }
  return { name: choice.name };
}

/** The assistant's choice as the response lists it. */
export const toolChoiceView = (choice: AssistantToolChoice): ResponseToolChoice =>
  typeof choice === "string" ? choice : { type: "function", name: choice.name };

/** `text.format` as the engine's response_format (plain text: none). */
export function responseFormatOf(
  format: z.infer<typeof ResponseTextFormat> | undefined,
): ResponseFormat | undefined {
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object") return { type: "json_object" };
  const problem = checkJsonSchema(format.schema, "text.format.schema");
  if (problem) throw invalid(problem.field, problem.message);
  return {
    type: "json_schema",
    json_schema: {
      name: format.name,
      schema: format.schema,
      ...(format.description !== undefined ? { description: format.description } : {}),
      ...(format.strict !== undefined ? { strict: format.strict } : {}),
    },
  };
}
