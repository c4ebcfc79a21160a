/**
 * The moderation page's types and its calls to the API (the policies, trying one on a text, the
 * flags log, and OpenAI's /v1/moderations), in one place so that the routes are named once.
 */
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
export type Stage = PolicyDecision["stage"];
export type Action = PolicyDecision["action"];
export type Attached = Policy["attached"];

const POLICIES = "/v1/moderation/policies";
const at = (id: string) => `${POLICIES}/${encodeURIComponent(id)}`;

export const listPolicies = async (): Promise<Policy[]> =>
  (await api<{ data: Policy[] }>(`${POLICIES}?limit=100`)).data;

export const createPolicy = (body: PolicyInput): Promise<Policy> => api<Policy>(POLICIES, { body });

export const updatePolicy = (id: string, body: PolicyInput): Promise<Policy> =>
  api<Policy>(at(id), { body });

export const deletePolicy = (id: string): Promise<unknown> => api(at(id), { method: "DELETE" });

export const attachPolicy = (id: string, attached: Attached): Promise<Policy> =>
  api<Policy>(`${at(id)}/attach`, { body: attached });

/** What the policy would do to the text on one side (nothing is logged). */
export const tryPolicy = (
  policy: PolicyInput,
  text: string,
  stage: Stage,
): Promise<{ decision: PolicyDecision }> =>
  api<{ decision: PolicyDecision }>("/v1/moderation/try", { body: { policy, text, stage } });

/** OpenAI's moderation of one text: every category's score. */
export const moderate = async (text: string): Promise<ModerationResult | null> =>
  (await api<{ results: ModerationResult[] }>("/v1/moderations", { body: { input: text } }))
    .results[0] ?? null;

export const listFlags = async (policy: string | null): Promise<ModerationFlag[]> => {
  const q = new URLSearchParams({ limit: "100" });
  if (policy) q.set("policy", policy);
  return (await api<{ data: ModerationFlag[] }>(`/v1/moderation/flags?${q}`)).data;
};
