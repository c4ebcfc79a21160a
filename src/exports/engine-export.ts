/**
 * One run of the engine's `export` command to its `exported` message, its progress handed on. A
 * request the engine refuses (a base the GGUF writer does not know) comes back as the engine's
 * reason with what to do instead.
 */
import type { EngineMessageOf, ExportRequest } from "../../protocol/index.ts";
import { engineFailure, runEngine } from "../engine/index.ts";
import { TailorError } from "../errors/index.ts";
import type { ExportSubject } from "./subject.ts";
import type { ExportProgress, ExportRunner } from "./types.ts";

export type Exported = EngineMessageOf<"exported">;

export interface EngineExportOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((p: ExportProgress) => void) | undefined;
  onLog?: ((line: string) => void) | undefined;
  runner?: ExportRunner | undefined;
}

export async function engineExport(
  subject: ExportSubject,
  req: Pick<ExportRequest, "format" | "out" | "quantization">,
  opts: EngineExportOptions,
): Promise<Exported> {
  const runner: ExportRunner = opts.runner ?? runEngine;
  const request: ExportRequest = {
    base: subject.source,
    ...(subject.adapterDir ? { adapter_dir: subject.adapterDir } : {}),
    ...req,
    model_name: subject.name,
  };
  for await (const msg of runner("export", request, {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onLog ? { onLog: opts.onLog } : {}),
  })) {
    if (msg.type === "progress") {
      opts.onProgress?.({
        stage: msg.stage,
        message: msg.message,
        current: msg.current ?? null,
        total: msg.total ?? null,
      });
    } else if (msg.type === "failed") {
      const err = engineFailure(msg);
      // the engine's refusals mostly say what to do; where one does not, say it
      if (msg.code !== "invalid_request" || /\binstead\b/.test(msg.message)) throw err;
      throw new TailorError({
        code: "invalid_argument",
        message: `${msg.message.replace(/[.\s]+$/, "")}. Export ${subject.name} as peft or merged instead: those formats need no GGUF writer`,
        details: { field: "format" },
        cause: err,
      });
    } else if (msg.type === "exported") return msg;
  }
  throw new TailorError({
    code: "engine_protocol",
    message: "the engine finished export without an exported message",
  });
}
