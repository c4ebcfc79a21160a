/**
 * The Versions & health page's types and its calls to the API (model names and their versions,
 * promote and roll back, retrain, the regression set, health), in one place so that the routes are
 * named once.
 */
import type { ModelNameDetail } from "../../../../protocol/api/model-names.ts";
import type { RetrainResponse } from "../../../../protocol/api/retrain.ts";
import type { PinRegressionRequest } from "../../../../protocol/api/review.ts";
import type { HealthDay, HealthReport } from "../../../../protocol/health.ts";
import type { RegressionExample } from "../../../../protocol/review.ts";
import type {
  GateDecision,
  GateSet,
  ModelName,
  ModelNameEvent,
  ModelVersion,
} from "../../../../protocol/versions.ts";
import { api, type Model } from "../../api.ts";

export type {
  GateDecision,
  GateSet,
  HealthDay,
  HealthReport,
  ModelName,
  ModelNameDetail,
  ModelNameEvent,
  ModelVersion,
  RegressionExample,
  RetrainResponse,
};

interface List<T> {
  data: T[];
  has_more?: boolean;
}

const NAMES = "/v1/model_names";
const at = (name: string) => `${NAMES}/${encodeURIComponent(name)}`;

export const listNames = async (): Promise<ModelName[]> => (await api<List<ModelName>>(NAMES)).data;

export const getName = (name: string): Promise<ModelNameDetail> => api<ModelNameDetail>(at(name));

/** Newest first. */
export const historyOf = (n: ModelNameDetail): ModelNameEvent[] =>
  [...n.history].sort((a, b) => b.seq - a.seq);

export const createName = (body: {
  name: string;
  model: string;
  why?: string;
}): Promise<ModelName> => api<ModelName>(NAMES, { body });

/** A new version (answering only once promoted, unless `promote`). */
export const addVersion = (
  name: string,
  body: { model: string; why: string; promote?: boolean },
): Promise<ModelNameDetail> => api<ModelNameDetail>(`${at(name)}/versions`, { body });

export const promote = (name: string, version: number, why: string): Promise<ModelNameDetail> =>
  api<ModelNameDetail>(`${at(name)}/promote`, { body: { version, why } });

export const rollback = (name: string, why: string): Promise<ModelNameDetail> =>
  api<ModelNameDetail>(`${at(name)}/rollback`, { body: { why } });

/** Whether chat completions to the name are kept for feedback, and for how many days. */
export const setStorage = (
  name: string,
  body: { store_completions?: boolean; retention_days?: number },
): Promise<ModelNameDetail> => api<ModelNameDetail>(at(name), { body });

/** What a retrain would use (dry run), or the retrain started (its dataset and job). */
export const retrain = (name: string, dryRun: boolean): Promise<RetrainResponse> =>
  api<RetrainResponse>(`${at(name)}/retrain`, { body: { dry_run: dryRun } });

export const listRegression = async (name: string): Promise<RegressionExample[]> =>
  (await api<List<RegressionExample>>(`${at(name)}/regression`)).data;

/** A question and the answer it must keep giving, or an accepted review item. */
export const pin = (name: string, body: PinRegressionRequest): Promise<RegressionExample> =>
  api<RegressionExample>(`${at(name)}/regression`, { body });

export const unpin = (name: string, id: string): Promise<unknown> =>
  api(`${at(name)}/regression/${encodeURIComponent(id)}`, { method: "DELETE" });

/** Day by day over the last `days` days, and the summary in words. */
export const health = (model: string, days: number): Promise<HealthReport> =>
  api<HealthReport>(`/v1/models/${encodeURIComponent(model)}/health?days=${days}`);

/** Models that write answers (no classifiers, embedders or moderation models). */
export const listChatModels = async (): Promise<Model[]> =>
  (await api<List<Model>>("/v1/models")).data.filter(
    (m) => m.tailor.kind !== "embedding" && m.tailor.kind !== "moderation" && !m.tailor.classifier,
  );
