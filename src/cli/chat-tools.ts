/**
 * What `tailor chat` needs for functions and structured outputs: the tools file (`--tools`), the
 * schema file (`--schema`), the tools a model was trained with, and the card a call prints as.
 */
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import {
  FUNCTION_NAME,
  type GeneratedCall,
  type ResponseFormat,
  type Tool,
  type ToolCall,
  type ToolChoice,
} from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";
import { checkJsonSchema, checkToolDefinitions } from "../tools/index.ts";

function invalid(message: string, field?: string): TailorError {
  return new TailorError({
    code: "invalid_argument",
    message,
    ...(field ? { details: { field } } : {}),
  });
}

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new TailorError({
      code: "file_not_found",
      message: `${flag}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      cause: e,
    });
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw invalid(`${where} is not JSON: ${(e as Error).message}`);
  }
}

/** Checks a tools array as the API does (JSON Schema with Ajv) and says which field is wrong. */
export function checkTools(value: unknown, where: string): Tool[] {
  const problem = checkToolDefinitions(value);
  if (problem)
    throw invalid(
      `${where}: ${problem.field} ${problem.message}; each tool is {"type": "function", "function": {"name", "description", "parameters": <JSON Schema>}}`,
      problem.field,
    );
  return value as Tool[];
}

/**
 * The tools in a file: a JSON file holding OpenAI's `tools` array (or an object with `tools`), or a
 * chat JSONL file whose first line has `tools` (a line of the training data).
 */
export function loadTools(file: string): Tool[] {
  const text = readText(file, "--tools");
  if (extname(file).toLowerCase() === ".jsonl") {
    const first = text.split("\n").find((l) => l.trim()) ?? "";
    const line = parseJson(first, `${file}, line 1`);
    const tools = (line as { tools?: unknown } | null)?.tools;
    if (tools === undefined)
      throw invalid(
        `${file}, line 1 has no "tools"; give --tools a JSON file with a tools array, or a JSONL file whose first line has one`,
        "tools",
      );
    return checkTools(tools, `${file}, line 1`);
  }
  const value = parseJson(text, file);
  const tools =
    value !== null && typeof value === "object" && !Array.isArray(value) && "tools" in value
      ? (value as { tools: unknown }).tools
      : value;
  return checkTools(tools, file);
}

/** `--tool-choice`: auto, none, required, or a function's name (which must be among the tools). */
export function toolChoice(value: string, tools: Tool[] | undefined): ToolChoice {
  if (value === "auto" || value === "none" || value === "required") return value;
  const names = tools?.map((t) => t.function.name) ?? [];
  if (!names.includes(value))
    throw invalid(
      `--tool-choice: '${value}' is not auto, none, required or one of the tools (${names.join(", ") || "no tools given"})`,
      "tool_choice",
    );
  return { type: "function", function: { name: value } };
}

/**
 * `--schema FILE`: a JSON Schema, or OpenAI's `json_schema` object ({name, schema, strict}), or a
 * whole `response_format`; answers are decoded to validate against it.
 */
export function loadSchema(file: string): ResponseFormat {
  const value = parseJson(readText(file, "--schema"), file);
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw invalid(`${file} is not a JSON Schema object`, "response_format");
  const v = value as Record<string, unknown>;
  const name = basename(file, extname(file))
    .replace(/[^a-zA-Z0-9_-]/g, "_")
    .slice(0, 64);
  const format: ResponseFormat =
    v.type === "json_schema" && typeof v.json_schema === "object"
      ? (value as ResponseFormat)
      : typeof v.name === "string" && typeof v.schema === "object" && v.schema !== null
        ? { type: "json_schema", json_schema: { ...(v as { name: string }), strict: true } }
        : {
            type: "json_schema",
            json_schema: {
              name: FUNCTION_NAME.test(name) ? name : "schema",
              schema: v,
              strict: true,
            },
          };
  const schema = format.type === "json_schema" ? format.json_schema.schema : undefined;
  const problem = schema === undefined ? null : checkJsonSchema(schema, "schema");
  if (problem) throw invalid(`${file}: ${problem.field} ${problem.message}`, "response_format");
  return format;
}

/** A generated call as OpenAI writes it in a conversation's history (ids are the caller's). */
export function asToolCall(call: GeneratedCall, id: string): ToolCall {
  return { id, type: "function", function: { name: call.name, arguments: call.arguments } };
}

/** The arguments as indented JSON (as they came when they are not JSON). */
export function prettyArguments(args: string): string {
  try {
    return JSON.stringify(JSON.parse(args), null, 2);
  } catch {
    return args;
  }
}

/** How a call shows in the terminal: the function's name, then its arguments. */
export function toolCard(call: GeneratedCall): string {
  const body = (prettyArguments(call.arguments) || "(no arguments written)")
    .split("\n")
    .map((l) => `│ ${l}`)
    .join("\n");
  return `┌─ calls ${call.name}\n${body}\n└─`;
}
