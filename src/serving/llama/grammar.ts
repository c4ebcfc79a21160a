/**
 * Structured output through llama.cpp grammars: `json_object` with llama.cpp's JSON grammar (an
 * object at the root), `json_schema` with the grammar node-llama-cpp converts from the schema
 * (schema.ts says which schemas it can take). The sampler then only picks tokens the grammar allows,
 * so the answer always parses and validates, as the PyTorch engine's constrained decoding promises.
 *
 * node-llama-cpp's schema grammars end in four newlines (its chat loop stops there); that tail is
 * cut, so the grammar is complete right after the JSON value and the model can only end its turn.
 */
import type { Llama, LlamaGrammar } from "node-llama-cpp";
import type { ResponseFormat } from "../../../protocol/index.ts";
import { TailorError } from "../../errors/index.ts";
import { grammarSchema } from "./schema.ts";

const CACHED = 64;
const NEWLINE_TAIL = / "\\n\\n\\n\\n" \[\\n\]\*$/m;

/** The schema a `json_schema` format constrains to (none given: any object, as the engine does). */
export function schemaOf(format: Extract<ResponseFormat, { type: "json_schema" }>) {
  return format.json_schema.schema ?? { type: "object" };
}

export class Grammars {
  readonly #llama: Llama;
  readonly #cache = new Map<string, Promise<LlamaGrammar>>();

  constructor(llama: Llama) {
    this.#llama = llama;
  }

  /** The grammar a request's response_format asks for, or null for free text. */
  async for(
    format: ResponseFormat | undefined,
    constrained: boolean,
  ): Promise<LlamaGrammar | null> {
    if (!constrained || format === undefined || format.type === "text") return null;
    if (format.type === "json_object")
      return this.#cached("json", () => this.#llama.getGrammarFor("json"));
    const schema = schemaOf(format);
    return this.#cached(JSON.stringify(schema), async () => {
      const converted = grammarSchema(schema);
      if ("reason" in converted) {
        throw new TailorError({
          code: "invalid_argument",
          message: `response_format ${format.json_schema.name}: ${converted.reason}; the PyTorch engine answers such schemas`,
          details: { field: "response_format" },
        });
      }
      // biome-ignore lint/suspicious/noExplicitAny: the converter's generic schema type cannot be inferred from data
      const fromSchema = await this.#llama.createGrammarForJsonSchema(converted.schema as any);
      const text = fromSchema.grammar.replace(NEWLINE_TAIL, "");
      if (text === fromSchema.grammar) return fromSchema; // the tail moved: keep node-llama-cpp's own
      return this.#llama.createGrammar({ grammar: text });
    });
  }

  #cached(key: string, make: () => Promise<LlamaGrammar>): Promise<LlamaGrammar> {
    const found = this.#cache.get(key);
    if (found !== undefined) {
      this.#cache.delete(key);
      this.#cache.set(key, found);
      return found;
    }
    const made = make();
    made.catch(() => this.#cache.delete(key));
    this.#cache.set(key, made);
    while (this.#cache.size > CACHED) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
    }
    return made;
  }
}
