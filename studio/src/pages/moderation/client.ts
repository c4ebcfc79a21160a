/**
 * The moderation page's types and its calls to the API (the policies, trying one on a text, the
 * flags log, and OpenAI's /v1/moderations), in one place so that the routes are named once.
 */
import type { z } from "@hono/zod-openapi";
import type { TryResult as TryResultSchema } from "../../../../protocol/api/moderation-policies.ts";
import type {
  ModerationFlag,
  ModerationResult,
  Policy,
  PolicyChecks,
  PolicyDecision,
  PolicyInput,
} from "../../../../protocol/moderation.ts";
import { api } from "../../api.ts";

export type { ModerationFlag, ModerationResult, Policy, PolicyChecks, PolicyDecision, PolicyInput };
export type TryResult = z.infer<typeof TryResultSchema>;
export type Stage = PolicyDecision["stage"];
export type Action = PolicyDecision["action"];
export type Attached = Policy["attached"];

const POLICIES = "/v1/moderation/policies";
const at = (id: string) => `${POLICIES}/${encodeURIComponent(id)}`;

export const listPolicies = async (): Promise<Policy[]> =>
  (await api<{ data: Policy[] }>(POLICIES)).data;

export const createPolicy = (body: PolicyInput): Promise<Policy> => api<Policy>(POLICIES, { body });

export const updatePolicy = (id: string, body: PolicyInput): Promise<Policy> =>
  api<Policy>(at(id), { body });

/** Replaces the lists given (a list left out stays as it is). */
export const attachPolicy = (id: string, attached: Partial<Attached>): Promise<Policy> =>
  api<Policy>(at(id), { body: { attached } });

export const deletePolicy = (id: string): Promise<unknown> => api(at(id), { method: "DELETE" });

/** What a policy (saved or not: the editor's draft) would do to the text; nothing is logged. */
export const tryPolicy = (
  policy: PolicyInput,
  text: string,
  stage: Stage | "both",
): Promise<TryResult> => {
  const { name: _name, ...unnamed } = policy; // a draft's name may be unfinished: a try needs none
  return api<TryResult>("/v1/moderation/try", { body: { policy: unnamed, text, stage } });
};

/** OpenAI's moderation of one text: every category's score. */
export const moderate = async (text: string): Promise<ModerationResult | null> =>
  (await api<{ results: ModerationResult[] }>("/v1/moderations", { body: { input: text } }))
    .results[0] ?? null;

/** The newest flags first, of one policy (id) or of all. */
export const listFlags = async (policy: string | null): Promise<ModerationFlag[]> => {
  const q = new URLSearchParams({ limit: "100" });
  if (policy) q.set("policy", policy);
  return (await api<{ data: ModerationFlag[] }>(`/v1/moderation/flags?${q}`)).data;
};
