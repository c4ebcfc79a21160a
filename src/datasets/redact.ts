import { type NameFinder, type PiiType, redactTexts } from "../safety/index.ts";
import type { Example } from "./read/index.ts";

/** The string values inside a JSON value, in order. */
function strings(v: unknown, out: string[]): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v !== null && typeof v === "object") for (const x of Object.values(v)) strings(x, out);
  return out;
}

/** The same JSON value with its string values replaced, in the order `strings` lists them. */
function rebuild(v: unknown, next: () => string): unknown {
  if (typeof v === "string") return next();
  if (Array.isArray(v)) return v.map((x) => rebuild(x, next));
  if (v !== null && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rebuild(x, next)]));
  return v;
}

/**
 * An example with its personal data replaced by placeholders: message content, and the string
 * values inside call arguments (so the arguments stay JSON, valid as before). One pass over all of
 * it, so one e-mail address gets one placeholder wherever it appears (a preference pair's
 * non-preferred answer included). People's names come from `names` (null: none are looked for).
 */
export async function redactExample(
  e: Example,
  names: NameFinder | null,
): Promise<{
  example: Example;
  replaced: Partial<Record<PiiType, number>>;
}> {
  const all = [...e.messages, ...(e.non_preferred_output ?? [])];
  const texts = all.map((m) => m.content);
  // every call's arguments passed the check: each is a JSON object
  const args = all.map((m) =>
    (m.tool_calls ?? []).map((c) => {
      const value = JSON.parse(c.function.arguments) as unknown;
      const start = texts.length;
      texts.push(...strings(value, []));
      return { value, start };
    }),
  );
  const r = await redactTexts(texts, { names });
  if (Object.keys(r.replaced).length === 0) return { example: e, replaced: r.replaced };
  const redacted = all.map((m, i) => {
    const out = { ...m, content: r.texts[i] ?? m.content };
    if (m.tool_calls)
      out.tool_calls = m.tool_calls.map((c, j) => {
        const a = args[i]?.[j];
        if (!a) return c;
        let k = a.start;
        const redacted = JSON.stringify(rebuild(a.value, () => r.texts[k++] ?? ""));
        // arguments with nothing replaced keep their own spelling
        return redacted === JSON.stringify(a.value)
          ? c
          : { ...c, function: { ...c.function, arguments: redacted } };
      });
    return out;
  });
  const n = e.messages.length;
  const example: Example = {
    ...e,
    messages: redacted.slice(0, n),
    ...(e.non_preferred_output ? { non_preferred_output: redacted.slice(n) } : {}),
  };
  return { example, replaced: r.replaced };
}
