/**
 * A request body that failed its schema, named as OpenAI's `param` names it (`input[2].content`).
 * Where the body allows several shapes (`input` is a string or items; an item's `content` is a
 * string or parts), the problem reported is the one of the shape the value was meant to have, not
 * zod's "Invalid input" for the whole union.
 */
import type { z } from "@hono/zod-openapi";
import { TailorError } from "../../../errors/index.ts";

type Issue = z.core.$ZodIssue;

/** `["input", 2, "content"]` as `input[2].content`. */
export const fieldOf = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (f, p) => (typeof p === "number" ? `${f}[${p}]` : f ? `${f}.${String(p)}` : String(p)),
    "",
  );

/** The issue to report: inside a union, the first issue of the branch the value fits best. */
export function innermost(issue: Issue): Issue {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return issue;
  // a branch whose only complaint is the value's type at its root is a shape it was not meant to have
  const meant = issue.errors.find(
    (branch) => !branch.every((i) => i.code === "invalid_type" && i.path.length === 0),
  );
  const first = meant?.[0];
  if (!first) {
    const expected = issue.errors
      .map((branch) => (branch[0]?.code === "invalid_type" ? branch[0].expected : null))
      .filter(Boolean);
    return { ...issue, message: `must be ${[...new Set(expected)].join(" or ")}` };
  }
  const inner = innermost(first);
  return { ...inner, path: [...issue.path, ...inner.path] };
}

/** The hook of the Responses routes: a 400 naming the field. */
export function responsesHook(result: {
  success: boolean;
  error?: { issues: Issue[] };
}): undefined {
  if (result.success) return undefined;
  const first = result.error?.issues[0];
  if (!first) throw new TailorError({ code: "invalid_argument", message: "invalid request" });
  const issue = innermost(first);
  const field = fieldOf(issue.path);
  throw new TailorError({
    code: "invalid_argument",
    message: `${field ? `${field}: ` : ""}${issue.message}`,
    details: { field },
  });
}
