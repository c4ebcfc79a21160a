/**
 * The one error base of the TypeScript side. Domains throw `TailorError`; the CLI maps `code` to an
 * exit code (and the server, later, to an HTTP status) in one table each.
 */
export const ERROR_CODES = [
  "invalid_argument",
  "file_not_found",
  "not_found",
  "conflict",
  "data_invalid",
  "model_not_found",
  "model_corrupt",
  "model_exists",
  "download_failed",
  "engine_not_installed",
  "engine_crashed",
  "engine_protocol",
  "out_of_memory",
  "cancelled",
  "unauthorized",
  "forbidden",
  "rate_limited",
  "too_large",
  "internal",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetails {
  file?: string | undefined;
  line?: number | undefined;
  field?: string | undefined;
  [key: string]: unknown;
}

export class TailorError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(opts: { code: ErrorCode; message: string; cause?: unknown; details?: ErrorDetails }) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "TailorError";
    this.code = opts.code;
    this.details = opts.details ?? {};
  }
}

export function isTailorError(e: unknown): e is TailorError {
  return e instanceof TailorError;
}
