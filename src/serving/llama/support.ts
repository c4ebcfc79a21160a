/**
 * What llama.cpp leaves to the PyTorch engine, in words the router can show: functions (the model's
 * tool format, its calls parsed and constrained under their schemas, live in the engine's Python),
 * and structured output under a JSON Schema that node-llama-cpp's grammar converter cannot enforce.
 */
import type { GenerateRequest } from "../inference.ts";
import { schemaOf } from "./grammar.ts";
import { grammarSchema } from "./schema.ts";

type Checked = Pick<GenerateRequest, "messages" | "tools"> & Partial<GenerateRequest>;

export function unsupportedReason(req: Checked): string | null {
  if (req.tools !== undefined && req.tools.length > 0) {
    return "functions (tools) are offered; the PyTorch engine writes them in the model's tool format and constrains the calls";
  }
  if (req.messages.some((m) => m.role === "tool" || (m.tool_calls?.length ?? 0) > 0)) {
    return "the conversation holds function calls or their results; the PyTorch engine renders them in the model's tool format";
  }
  const format = req.response_format;
  if (format?.type === "json_schema" && req.constrained !== false) {
    const converted = grammarSchema(schemaOf(format));
    if ("reason" in converted) {
      return `response_format ${format.json_schema.name}: ${converted.reason}; the PyTorch engine enforces any JSON Schema`;
    }
  }
  return null;
}
