import { z } from "zod";
import { Tool } from "../../protocol/index.ts";
import { compileSchema } from "./internal/schemas.ts";

/** What is wrong with functions or a call, and where (`tools[2].function.name`). */
export interface ToolProblem {
  field: string;
  message: string;
  /** Which kind of problem: the data check reports it as its error code. */
  code?: "invalid_tools" | "unknown_function" | "invalid_arguments";
}

const Tools = z.array(Tool).min(1);

const join = (field: string, path: PropertyKey[]) =>
  path.reduce<string>(
    (f, p) => (typeof p === "number" ? `${f}[${p}]` : `${f}.${String(p)}`),
    field,
  );

const lookup = (value: unknown, path: PropertyKey[]): unknown =>
  path.reduce<unknown>(
    (v, p) =>
      v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[p] : undefined,
    value,
  );

/** A zod issue in words a person writing the file understands. */
function zodMessage(issue: z.core.$ZodIssue, value: unknown): string {
  const at = lookup(value, issue.path);
  if (issue.code === "invalid_type" && at === undefined) return "is missing";
  if (issue.code === "invalid_value" && issue.path.at(-1) === "type") return 'must be "function"';
  if (issue.code === "too_small" && issue.path.length === 0)
    return "is empty; list the functions, or leave it out";
  if (issue.code === "invalid_type")
    return `must be ${issue.expected === "record" ? "an object" : `a ${issue.expected}`}`;
  return issue.message;
}

/**
 * A JSON Schema for arguments or structured output, checked as Ajv compiles it (draft 2020-12 by
 * default, draft-07 when its `$schema` says so). `field` names the schema, e.g.
 * `response_format.json_schema.schema`.
 */
export function checkJsonSchema(schema: unknown, field: string): ToolProblem | null {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema))
    return { field, code: "invalid_tools", message: "must be a JSON Schema object" };
  const compiled = compileSchema(schema as Record<string, unknown>);
  if (compiled.ok) return null;
  return {
    field: compiled.path ? `${field}.${compiled.path}`.replace(/\.\[/g, "[") : field,
    code: "invalid_tools",
    message: compiled.message,
  };
}

/**
 * OpenAI's `tools` array checked as OpenAI checks it: each entry `{"type": "function", "function":
 * {"name", "description"?, "parameters"?}}`, each `parameters` a JSON Schema of an object, each
 * name once. The first problem, or null.
 */
export function checkToolDefinitions(tools: unknown, field = "tools"): ToolProblem | null {
  const parsed = Tools.safeParse(tools);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (!issue) return { field, code: "invalid_tools", message: "is invalid" };
    return {
      field: join(field, issue.path),
      code: "invalid_tools",
      message: Array.isArray(tools)
        ? zodMessage(issue, tools)
        : 'must be an array of functions, e.g. [{"type": "function", "function": {"name": "get_order_status", "parameters": {...}}}]',
    };
  }
  const first = new Map<string, number>();
  for (const [i, tool] of parsed.data.entries()) {
    const { name, parameters } = tool.function;
    const at = `${field}[${i}].function`;
    const earlier = first.get(name);
    if (earlier !== undefined)
      return {
        field: `${at}.name`,
        code: "invalid_tools",
        message: `"${name}" is defined twice (also ${field}[${earlier}]); give each function its own name`,
      };
    first.set(name, i);
    if (parameters === undefined) continue;
    const problem = checkJsonSchema(parameters, `${at}.parameters`);
    if (problem) return problem;
    if (parameters.type !== undefined && parameters.type !== "object")
      return {
        field: `${at}.parameters.type`,
        code: "invalid_tools",
        message: `is ${JSON.stringify(parameters.type)}; arguments are always a JSON object, so parameters must have "type": "object"`,
      };
  }
  return null;
}
