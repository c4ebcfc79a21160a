/**
 * The Ollama export's Modelfile: the model's Hugging Face chat template recognised by rendering it
 * and written again in Ollama's template language (see recognise.ts and template.ts).
 */
export type { ChatMessage, SpecialTokens } from "./families.ts";
export { FAMILIES } from "./families.ts";
export type { OllamaModelfile, OllamaModelfileInput } from "./modelfile.ts";
export { ollamaModelfile } from "./modelfile.ts";
