/**
 * Functions a model may call (OpenAI's `tools`), its calls, and structured-output formats: the
 * shapes the data files, the engine and the API share.
 */
import { z } from "zod";

/** OpenAI's rule for function names. */
export const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export const ToolFunction = z.object({
  name: z.string().regex(FUNCTION_NAME, "must be 1-64 letters, digits, underscores or dashes"),
  description: z.string().optional(),
  /** A JSON Schema of the arguments object (checked with a JSON Schema validator). */
  parameters: z.record(z.string(), z.unknown()).optional(),
  strict: z.boolean().nullable().optional(),
});
export type ToolFunction = z.infer<typeof ToolFunction>;

export const Tool = z.object({ type: z.literal("function"), function: ToolFunction });
export type Tool = z.infer<typeof Tool>;

/** An assistant's call, as OpenAI writes it: arguments are a JSON text. */
export const ToolCall = z.object({
  id: z.string().min(1),
  type: z.literal("function"),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});
export type ToolCall = z.infer<typeof ToolCall>;

/** `auto`: the model decides; `none`: words only; `required`: at least one call; or one function. */
export const ToolChoice = z.union([
  z.enum(["auto", "none", "required"]),
  z.object({ type: z.literal("function"), function: z.object({ name: z.string().min(1) }) }),
]);
export type ToolChoice = z.infer<typeof ToolChoice>;

/** OpenAI's `response_format`: free text, any JSON object, or JSON valid against a schema. */
export const ResponseFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string().regex(FUNCTION_NAME, "must be 1-64 letters, digits, underscores or dashes"),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);
export type ResponseFormat = z.infer<typeof ResponseFormat>;

/** A call the engine read from a model's answer (the server gives it an id). */
export const GeneratedCall = z.object({ name: z.string(), arguments: z.string() });
export type GeneratedCall = z.infer<typeof GeneratedCall>;

/**
 * How a model sees functions: through its own chat template ("template"), or, when the template
 * does not render tools, through Tailor's documented format ("tailor": the tool list in the system
 * turn, each call a `<tool_call>` block of JSON, results in `<tool_response>` blocks of a user
 * turn). The same at training and inference; recorded in a tuned model's manifest.
 */
export const ToolFormat = z.object({
  kind: z.enum(["template", "tailor"]),
  version: z.literal(1),
  /** Text before and after each call's JSON `{"name": …, "<arguments_key>": {…}}`. */
  call_prefix: z.string(),
  call_suffix: z.string(),
  arguments_key: z.string(),
});
export type ToolFormat = z.infer<typeof ToolFormat>;
