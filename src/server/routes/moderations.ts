import { randomBytes } from "node:crypto";
import { createRoute, type OpenAPIHono, type z } from "@hono/zod-openapi";
import {
  MAX_MODERATION_CHARS,
  MAX_MODERATION_INPUTS,
  ModerationRequest,
  ModerationResponse,
} from "../../../protocol/api/index.ts";
import { MODERATION_CATEGORIES } from "../../../protocol/moderation.ts";
import { TailorError } from "../../errors/index.ts";
import { MODERATION_MODEL, MODERATION_MODEL_ALIASES } from "../../safety/index.ts";
import type { AppEnv, ServerContext } from "../context.ts";
import { errorResponses, jsonResponses } from "./openapi.ts";

const TEXT_ONLY = Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, ["text" as const]]));

/** The request's texts, in order, or a 400 that says which input is wrong and what to do. */
export function moderationTexts(input: z.infer<typeof ModerationRequest>["input"]): string[] {
  const items = typeof input === "string" ? [input] : input;
  if (items.length === 0) {
    throw invalid("input", "input is empty: give a text or a list of texts");
  }
  if (items.length > MAX_MODERATION_INPUTS) {
    throw invalid(
      "input",
      `input has ${items.length} texts; at most ${MAX_MODERATION_INPUTS} per request: send the rest in further requests`,
    );
  }
  return items.map((item, i) => {
    const text = typeof item === "string" ? item : item.type === "text" ? item.text : null;
    if (text === null) {
      throw invalid(
        `input.${i}`,
        `input.${i} is an image: ${MODERATION_MODEL} moderates text only; send the text parts`,
      );
    }
    if (text.length > MAX_MODERATION_CHARS) {
      throw new TailorError({
        code: "too_large",
        message: `input.${i} has ${text.length} characters; at most ${MAX_MODERATION_CHARS} per text: split it`,
        details: { field: `input.${i}` },
      });
    }
    return text;
  });
}

function invalid(field: string, message: string): TailorError {
  return new TailorError({ code: "invalid_argument", message, details: { field } });
}

export function registerModerations(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/moderations",
      summary:
        "Whether texts are harmful, with OpenAI's categories and a score per category (Tailor's offline model tailor-moderation: MiniLM embeddings and a probe per category)",
      request: {
        body: { content: { "application/json": { schema: ModerationRequest } }, required: true },
      },
      responses: jsonResponses(
        ModerationResponse,
        "one result per text, in input order",
        errorResponses(400),
      ),
    }),
    async (c) => {
      const req = c.req.valid("json");
      if (
        req.model !== undefined &&
        !(MODERATION_MODEL_ALIASES as readonly string[]).includes(req.model)
      ) {
        throw invalid(
          "model",
          `model ${req.model} is not a moderation model; use ${MODERATION_MODEL_ALIASES.join(", ")} (or leave it out)`,
        );
      }
      const texts = moderationTexts(req.input);
      const results = await ctx.moderator.moderate(texts, { signal: c.req.raw.signal });
      return c.json(
        {
          id: `modr-${randomBytes(12).toString("hex")}`,
          model: ctx.moderator.model,
          results: results.map((r) => ({ ...r, category_applied_input_types: TEXT_ONLY })),
        } satisfies z.infer<typeof ModerationResponse>,
        200,
      );
    },
  );
}
