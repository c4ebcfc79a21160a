/** OpenAI's list envelope for cursor-paginated routes (`after` = the last id of the previous page). */

/** `limit` items after the one whose id is `after` (from the start when absent or not found). */
export function pageAfter<T>(
  all: T[],
  q: { after?: string | undefined; limit: number },
  id: (item: T) => string,
): { items: T[]; hasMore: boolean } {
  const start = q.after ? all.findIndex((item) => id(item) === q.after) + 1 : 0;
  const rest = all.slice(start);
  return { items: rest.slice(0, q.limit), hasMore: rest.length > q.limit };
}

/** `{object: "list", data, has_more, first_id, last_id}`. */
export function listOf<T extends { id: string }>(data: T[], hasMore: boolean) {
  return {
    object: "list" as const,
    data,
    has_more: hasMore,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  };
}
