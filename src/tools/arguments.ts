import type { Tool } from "../../protocol/index.ts";
import type { ToolProblem } from "./definitions.ts";
import { compileSchema, describe, pointerToPath } from "./internal/schemas.ts";

/**
 * One call checked against the functions offered: the function exists, its arguments are a JSON
 * object as text, and they validate against the function's `parameters`. `field` names the object
 * holding `name` and `arguments` (`messages[2].tool_calls[0].function`, or a legacy
 * `messages[2].function_call`). A function whose parameters are not a usable schema is not judged
 * here (checkToolDefinitions reports it).
 */
export function checkCallArguments(
  tools: Tool[],
  call: { name: string; arguments: string },
  field: string,
): ToolProblem | null {
  const tool = tools.find((t) => t.function.name === call.name);
  if (!tool) {
    const names = tools.map((t) => t.function.name);
    return {
      field: `${field}.name`,
      code: "unknown_function",
      message: `calls "${call.name}", which is not among the functions defined (${names.join(", ") || "none"}); call one of those or add "${call.name}" to the tools`,
    };
  }
  const at = `${field}.arguments`;
  let args: unknown;
  try {
    args = JSON.parse(call.arguments);
  } catch (e) {
    return {
      field: at,
      code: "invalid_arguments",
      message: `is not valid JSON (${(e as Error).message}); write the arguments as a JSON object in a string, e.g. "{\\"order_id\\": \\"A-1001\\"}"`,
    };
  }
  if (args === null || typeof args !== "object" || Array.isArray(args))
    return {
      field: at,
      code: "invalid_arguments",
      message: `must be a JSON object of named arguments, not ${args === null ? "null" : Array.isArray(args) ? "an array" : typeof args}`,
    };
  const parameters = tool.function.parameters;
  if (!parameters) return null;
  const compiled = compileSchema(parameters);
  if (!compiled.ok || compiled.validate(args)) return null;
  const error = compiled.validate.errors?.[0];
  const where = error ? pointerToPath(error.instancePath) : "";
  return {
    field: at,
    code: "invalid_arguments",
    message: `${where ? `${JSON.stringify(where)} ` : ""}${error ? describe(error) : "does not validate"} (the parameters of ${call.name})`,
  };
}
