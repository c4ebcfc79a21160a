/** An export as the API shows it (protocol/api/exports.ts), from the domain's view of it. */
import type { ExportObject } from "../../../../protocol/api/exports.ts";
import { type ExportView, nextStep } from "../../../exports/index.ts";

export function exportObject(v: ExportView): ExportObject {
  const done = v.status === "succeeded";
  return {
    id: v.id,
    object: "export",
    model: v.model,
    format: v.format,
    quantization: v.quantization,
    status: v.status,
    progress: v.progress,
    error: v.error,
    files: v.files,
    bytes: v.bytes,
    created_at: v.created_at,
    finished_at: v.finished_at,
    download_url: done ? `/v1/exports/${v.id}/content` : null,
    next_step: done ? nextStep(v.format, v.model, v.quantization) : null,
  };
}
