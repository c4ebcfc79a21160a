import type { AuditInput } from "../auth/index.ts";
import type { DatasetStore } from "../datasets/index.ts";
import type { ModelRegistry } from "../models/index.ts";
import type { ModelNames } from "../models/names/index.ts";
import type { RegressionSet } from "../review/index.ts";
import type { JobStore } from "./store/index.ts";

/** What the jobs domain works with, handed in by the composition root (src/services). */
export interface JobServices {
  home: string;
  jobs: JobStore;
  datasets: DatasetStore;
  models: ModelRegistry;
  /** A retrain's gate (recipe/gate.ts): the name it moves, and the examples that must never break. */
  modelNames: Pick<ModelNames, "find" | "add" | "refused">;
  regression: Pick<RegressionSet, "list">;
  /** Where a retrain's gate records the name it moved or refused to move (the audit log). */
  audit?: { append: (entry: AuditInput) => unknown };
}
