/**
 * `POST /v1/moderations` in OpenAI's shape: one text or many (strings, or OpenAI's `{type: "text"}`
 * parts; image parts are refused: the model reads text only), one result per text in input order.
 * The model is Tailor's own (tailor-moderation); OpenAI's model names are accepted for it.
 */
import { z } from "@hono/zod-openapi";
import { ModerationResult } from "../moderation.ts";

/** Texts per request; send more in several requests. */
export const MAX_MODERATION_INPUTS = 256;
/** Characters per text (a long text is scored in windows; this bounds one request's work). */
export const MAX_MODERATION_CHARS = 100_000;

const TextPart = z.object({ type: z.literal("text"), text: z.string() });
const ImagePart = z.object({
  type: z.literal("image_url"),
  image_url: z.union([z.object({ url: z.string() }), z.string()]),
});

export const ModerationRequest = z
  .object({
    input: z
      .union([z.string(), z.array(z.string()), z.array(z.union([TextPart, ImagePart]))])
      .openapi({
        description: `one text, up to ${MAX_MODERATION_INPUTS} texts, or OpenAI's parts ({type: "text", text}); images are not supported`,
      }),
    model: z.string().optional().openapi({
      description:
        "tailor-moderation (default); omni-moderation-latest and text-moderation-latest name it too",
    }),
  })
  .openapi("CreateModerationRequest");

export const ModerationResponse = z
  .object({
    id: z.string(),
    model: z.string(),
    results: z.array(
      ModerationResult.extend({
        /** Which kinds of input each category was checked on (always text here). */
        category_applied_input_types: z.record(z.string(), z.array(z.literal("text"))).optional(),
      }),
    ),
  })
  .openapi("CreateModerationResponse");
