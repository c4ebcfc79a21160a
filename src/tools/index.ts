/**
 * Functions a model may call: definitions and calls checked as OpenAI checks them (JSON Schema with
 * Ajv), and the legacy `functions` form turned into `tools`. Used by the data check and the chat API.
 */
export { checkCallArguments } from "./arguments.ts";
export { checkJsonSchema, checkToolDefinitions, type ToolProblem } from "./definitions.ts";
export {
  fromLegacyFunctions,
  fromLegacyMessages,
  type LegacyMessage,
  type ToolsFormMessage,
} from "./legacy.ts";
