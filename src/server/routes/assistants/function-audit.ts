/**
 * Each HTTP function call an assistant makes goes to the audit log: who asked (a key, or a share
 * page's visitor), the function, its host, status and duration; never its headers or secrets.
 */
import type { FunctionCallRecord } from "../../../../protocol/assistants.ts";
import type { RuntimeHttpFunction } from "../../../assistants/index.ts";
import type { AuditInput } from "../../../auth/index.ts";
import type { ServerContext } from "../../context.ts";

/** The key that asked (or, on a share page, keyId null and client `visitor:<id>`). */
export type Asker = Pick<AuditInput, "keyId" | "owner" | "role" | "client">;

export function auditFunctionCall(
  ctx: Pick<ServerContext, "audit">,
  who: Asker,
  assistantId: string | null,
  call: FunctionCallRecord,
  fn: RuntimeHttpFunction,
): void {
  let host = "";
  try {
    host = new URL(fn.url).host;
  } catch {
    // an unparsable URL was refused before any call
  }
  ctx.audit.append({
    ...who,
    action: "assistant.function_call",
    target: fn.name,
    result: call.status === "ok" ? "ok" : call.status === "refused" ? "denied" : "error",
    status: call.http_status ?? undefined,
    details: {
      assistant: assistantId,
      call: call.call_id,
      method: fn.method,
      host,
      status: call.status,
      http_status: call.http_status,
      duration_ms: call.duration_ms,
    },
  });
}
