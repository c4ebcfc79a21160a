import type { DatasetStore } from "../datasets/index.ts";
import type { ModelRegistry } from "../models/index.ts";
import type { JobStore } from "./store/index.ts";

/** What the jobs domain works with, handed in by the composition root (src/services). */
export interface JobServices {
  home: string;
  jobs: JobStore;
  datasets: DatasetStore;
  models: ModelRegistry;
}
