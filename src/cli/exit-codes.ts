import type { ErrorCode } from "../errors/index.ts";

/** The CLI's exit code for each error code (documented in the README). */
export const EXIT_CODES: Record<ErrorCode, number> = {
  internal: 1,
  invalid_argument: 2,
  file_not_found: 3,
  not_found: 3,
  conflict: 12,
  data_invalid: 4,
  model_not_found: 5,
  model_corrupt: 6,
  model_exists: 7,
  download_failed: 8,
  engine_not_installed: 9,
  engine_crashed: 10,
  engine_protocol: 10,
  out_of_memory: 11,
  unauthorized: 13,
  forbidden: 14,
  rate_limited: 15,
  too_large: 16,
  cancelled: 130,
};
