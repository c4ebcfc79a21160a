/**
 * HTTP functions: the arguments checked against the function's schema, the endpoint called behind
 * the network guard (allowed hosts, no private or loopback address unless the admin allows it, no
 * redirect to another host), with a timeout and a response cap. SKELETON: the HTTP helper implements it.
 */
import type { FunctionCallRecord } from "../../../protocol/assistants.ts";
import type { NetworkPolicy, RuntimeHttpFunction } from "../types.ts";

export async function callHttpFunction(
  _fn: RuntimeHttpFunction,
  _call: { call_id: string; arguments: string },
  _network: NetworkPolicy,
  _signal?: AbortSignal,
): Promise<FunctionCallRecord> {
  throw new Error("callHttpFunction: not implemented yet");
}
