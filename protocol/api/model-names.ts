/**
 * `/v1/model_names`: a model name (`support`) answers with one version at a time; wherever a model
 * id is taken (chat completions, /v1/responses, assistants, the share page) the name answers with
 * its current version, and `support@v2` with that version (to compare). Versions are added, promoted
 * and rolled back here, each change with who and why in the name's `history`. Members change their
 * own names (another's answers 404), admins every one, viewers read. The objects are in
 * protocol/versions.ts.
 */
import { z } from "@hono/zod-openapi";
import { ModelName, ModelNameEvent, ModelNameString } from "../versions.ts";
import { listOf } from "./shared.ts";

const why = z.string().trim().min(1).max(1000);
const model = z.string().trim().min(1).max(200);
const retentionDays = z.number().int().min(1).max(3650);

export const ModelNameList = listOf(ModelName).openapi("ModelNameList");

/** A name with its versions and every change of it, oldest first. */
export const ModelNameDetail = ModelName.extend({ history: z.array(ModelNameEvent) }).openapi(
  "ModelNameDetail",
);
export type ModelNameDetail = z.infer<typeof ModelNameDetail>;

export const CreateModelNameRequest = z
  .object({
    name: ModelNameString,
    /** The model version 1 answers with: a fine-tuned model's id or a base model. */
    model,
    why: why.optional().openapi({ description: "why this name; kept in its history" }),
    store_completions: z.boolean().optional(),
    retention_days: retentionDays.optional(),
  })
  .strict()
  .openapi("CreateModelNameRequest");
export type CreateModelNameRequest = z.infer<typeof CreateModelNameRequest>;

export const AddModelVersionRequest = z
  .object({
    model,
    why: why.openapi({ description: "a sentence for the history and the audit" }),
    /** Answer with it at once (otherwise: POST …/promote later). */
    promote: z.boolean().optional(),
  })
  .strict()
  .openapi("AddModelVersionRequest");
export type AddModelVersionRequest = z.infer<typeof AddModelVersionRequest>;

export const PromoteModelVersionRequest = z
  .object({
    /** 2 or "v2". */
    version: z.union([
      z.number().int().min(1),
      z
        .string()
        .regex(/^v?[1-9][0-9]*$/, 'a version such as 2 or "v2"')
        .transform((v) => Number(v.replace(/^v/, ""))),
    ]),
    why: why.openapi({ description: "a sentence for the history and the audit" }),
  })
  .strict()
  .openapi("PromoteModelVersionRequest");
export type PromoteModelVersionRequest = z.infer<typeof PromoteModelVersionRequest>;

export const RollbackModelNameRequest = z
  .object({ why: why.openapi({ description: "a sentence for the history and the audit" }) })
  .strict()
  .openapi("RollbackModelNameRequest");
export type RollbackModelNameRequest = z.infer<typeof RollbackModelNameRequest>;

/** The name's settings: whether chat completions to it are kept for feedback, and for how long. */
export const UpdateModelNameRequest = z
  .object({
    store_completions: z.boolean().optional(),
    retention_days: retentionDays.optional(),
  })
  .strict()
  .openapi("UpdateModelNameRequest");
export type UpdateModelNameRequest = z.infer<typeof UpdateModelNameRequest>;

export const ModelNameDeleted = z
  .object({ name: z.string(), object: z.literal("model_name.deleted"), deleted: z.literal(true) })
  .openapi("ModelNameDeleted");
