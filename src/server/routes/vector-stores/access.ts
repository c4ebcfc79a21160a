import { z } from "@hono/zod-openapi";
import type { VectorStore } from "../../../knowledge/index.ts";
import { ownerScope, type Principal, requireRole, type ServerContext } from "../../context.ts";

export const StoreParam = z.object({
  vector_store_id: z.string().openapi({ param: { name: "vector_store_id", in: "path" } }),
});

/** A vector store the caller may use (members their own, admins all); viewers have none. */
export function ownedStore(ctx: ServerContext, p: Principal, id: string): VectorStore {
  requireRole(p, ["admin", "member"], "use vector stores");
  return ctx.knowledge.store.get(id, ownerScope(p));
}
