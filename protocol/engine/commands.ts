/** Each engine command's request schema (one place, so that every command's request is known by name). */
import { z } from "zod";
import type { EngineCommand } from "./basics.ts";
import { ClassifyRequest, TrainClassifierRequest } from "./classify.ts";
import { ExportRequest } from "./export.ts";
import { ScorePairsRequest } from "./preference.ts";
import {
  CountTokensRequest,
  CreateTinyRequest,
  GenerateBatchRequest,
  GenerateRequest,
  ServeRequest,
  TrainRequest,
} from "./requests.ts";

export const ENGINE_REQUESTS = {
  doctor: z.object({}),
  "create-tiny": CreateTinyRequest,
  train: TrainRequest,
  generate: GenerateRequest,
  "generate-batch": GenerateBatchRequest,
  "count-tokens": CountTokensRequest,
  serve: ServeRequest,
  "score-pairs": ScorePairsRequest,
  "train-classifier": TrainClassifierRequest,
  classify: ClassifyRequest,
  export: ExportRequest,
} as const satisfies Record<EngineCommand, z.ZodType>;
