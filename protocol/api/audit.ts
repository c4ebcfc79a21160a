/** Tailor: `/v1/audit`, who did what with which key. */
import { z } from "@hono/zod-openapi";
import { AUDIT_RESULTS } from "../auth.ts";
import { listOf } from "./shared.ts";

export const AuditEntry = z
  .object({
    seq: z.number().int(),
    at: z.string().openapi({ description: "ISO 8601 time" }),
    key_id: z.string().nullable(),
    owner: z.string().nullable(),
    role: z.string().nullable(),
    action: z.string(),
    target: z.string().nullable(),
    result: z.enum(AUDIT_RESULTS),
    status: z.number().int().nullable(),
    client: z.string().nullable(),
    /** What else the entry records (a function call's host, status and duration; a flag's rules). */
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi("AuditEntry");
export const AuditList = listOf(AuditEntry).openapi("AuditList");
