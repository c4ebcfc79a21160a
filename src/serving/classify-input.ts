/** The texts of a classification request, checked: at least one, none empty, at most `max`. */
import { TailorError } from "../errors/index.ts";

export function classificationTexts(input: string | string[], max: number): string[] {
  const texts = typeof input === "string" ? [input] : input;
  const refuse = (message: string, field = "input") =>
    new TailorError({ code: "invalid_argument", message, details: { field } });
  if (texts.length === 0) throw refuse("input is empty: give a text, or an array of texts");
  if (texts.length > max)
    throw refuse(
      `input has ${texts.length} texts; at most ${max} per request: send the rest in further requests`,
    );
  const empty = texts.findIndex((t) => t.trim() === "");
  if (empty >= 0) {
    const where = typeof input === "string" ? "input" : `input[${empty}]`;
    throw refuse(`${where} is empty: every text needs some words to classify`, where);
  }
  return texts;
}
