import { TailorError } from "../errors/index.ts";

/** Parsers for commander options that fail with a TailorError naming the flag. */
export function positiveInt(value: string, flag: string, allowZero = false): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) {
    throw new TailorError({
      code: "invalid_argument",
      message: `${flag} must be a whole number${allowZero ? "" : " above 0"}, got '${value}'`,
    });
  }
  return n;
}

export function positiveNumber(value: string, flag: string, allowZero = false): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    throw new TailorError({
      code: "invalid_argument",
      message: `${flag} must be a ${allowZero ? "non-negative" : "positive"} number, got '${value}'`,
    });
  }
  return n;
}
