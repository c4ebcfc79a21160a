/** `/v1/files`: uploaded examples, checked line by line, and their redacted copies. */
import { z } from "@hono/zod-openapi";
import { FILE_STATUSES } from "../files.ts";
import { listOf, seconds } from "./shared.ts";

export const FileObject = z
  .object({
    id: z.string(),
    object: z.literal("file"),
    bytes: z.number().int(),
    created_at: seconds,
    filename: z.string(),
    purpose: z.string(),
    status: z.enum(["uploaded", ...FILE_STATUSES]),
    status_details: z.string().nullable(),
    expires_at: z.null(),
    tailor: z.object({
      /** The stored dataset version when the examples passed the check. */
      dataset_id: z.string().nullable(),
      examples: z.number().int(),
      errors: z.number().int(),
      warnings: z.number().int(),
    }),
  })
  .openapi("File");

export const FileList = listOf(FileObject).openapi("FileList");
export const FileDeleted = z
  .object({ id: z.string(), object: z.literal("file"), deleted: z.boolean() })
  .openapi("FileDeleted");

export const RedactionResult = z
  .object({
    object: z.literal("tailor.redaction"),
    /** The original file, left as it is. */
    source_file: z.string(),
    /** The new file, with placeholders such as [EMAIL] where personal data was. */
    file: FileObject,
    /** How many values of each kind were replaced, e.g. {"EMAIL": 2}. */
    replaced: z.record(z.string(), z.number().int()),
  })
  .openapi("RedactionResult");
