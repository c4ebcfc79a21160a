/** `/v1/models`: base and fine-tuned models. */
import { z } from "@hono/zod-openapi";
import { PROMOTION_STATUSES } from "../evals.ts";
import { MODEL_KINDS } from "../models.ts";
import { ChatTool } from "./chat.ts";
import { seconds } from "./shared.ts";

export const ModelObject = z
  .object({
    id: z.string(),
    object: z.literal("model"),
    created: seconds,
    owned_by: z.string(),
    tailor: z.object({
      kind: z.enum([...MODEL_KINDS, "embedding", "moderation"]),
      base: z.string().nullable(),
      description: z.string(),
      shared: z.boolean(),
      /** Fine-tuned models: whether the promotion gate found it ready, and why (null: base models). */
      promotion: z
        .object({ status: z.enum(PROMOTION_STATUSES), reason: z.string() })
        .nullable()
        .optional(),
      /**
       * The fine-tuned model this one continued from (its adapter is where training started); null
       * for a model trained from its base, and for base models. `deleted`: the parent is gone (this
       * model holds its whole adapter and works without it).
       */
      parent: z
        .object({ id: z.string(), job_id: z.string().nullable(), deleted: z.boolean() })
        .nullable()
        .optional(),
      /**
       * Classifiers (trained with method classify): their labels in order. They answer
       * POST /v1/classifications and write no chat answers. null for every other model.
       */
      classifier: z
        .object({ labels: z.array(z.string()), multi_label: z.boolean() })
        .nullable()
        .optional(),
      /**
       * Chat models: which engine answers it and why. llama.cpp answers from a GGUF copy (made once,
       * in the background, and rebuilt when the adapter changes); the PyTorch engine answers until
       * that copy is ready, for architectures the GGUF writer does not know, and for requests with
       * functions. null for classifiers, embedding and moderation models.
       */
      serving: z
        .object({ engine: z.enum(["llama.cpp", "pytorch"]), reason: z.string() })
        .nullable()
        .optional(),
      /** Fine-tuned models trained with functions: those functions (OpenAI's `tools` shape). */
      tools: z.array(ChatTool).optional(),
    }),
  })
  .openapi("Model");
export const ModelList = z
  .object({ object: z.literal("list"), data: z.array(ModelObject) })
  .openapi("ModelList");
export const ModelDeleted = z
  .object({ id: z.string(), object: z.literal("model"), deleted: z.boolean() })
  .openapi("ModelDeleted");
