/**
 * Where an error belongs: the server names the field it is about (`error.param`, from the domain's
 * `details.field`, or a "field: …" prefix of its message); the editor shows it beside that field's
 * control, or above the buttons when no control on screen has that name.
 */
import { ApiError, words } from "../../api.ts";

/** The field an error names ("functions.0.url"), with "[0]" written ".0", or null. */
export function fieldOf(error: unknown): string | null {
  if (!(error instanceof ApiError)) return null;
  const named =
    error.param ?? /^([a-z_]+(?:(?:\.[a-z0-9_]+)|\[\d+\])*): /i.exec(error.message)?.[1];
  return named ? named.replace(/\[(\d+)\]/g, ".$1") : null;
}

/** The error's words without the field's name in front. */
export function saidOf(error: unknown): string {
  if (!(error instanceof ApiError)) return words(error);
  const m = /^([a-z_]+(?:(?:\.[a-z0-9_]+)|\[\d+\])*): /i.exec(error.message);
  return m ? error.message.slice(m[0].length) : error.message;
}

/**
 * The server's error placed on the nearest field shown (its own, or the one it is inside:
 * "functions.0.parameters.properties" is said beside "functions.0.parameters"), or null.
 */
export function placeError(
  error: unknown,
  shown: string[],
): { field: string; said: string } | null {
  const field = fieldOf(error);
  if (!field) return null;
  const best = shown
    .filter((f) => field === f || field.startsWith(`${f}.`))
    .sort((a, b) => b.length - a.length)[0];
  return best ? { field: best, said: saidOf(error) } : null;
}
