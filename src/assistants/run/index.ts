/**
 * One answer of an assistant (or of `/v1/responses`): moderation of the question, retrieval,
 * generation, HTTP functions called and their results given back until the model answers, and
 * moderation of the answer. SKELETON: the runner helper implements it.
 */

import type { KnowledgeBase } from "../../knowledge/index.ts";
import type { InferenceEngine } from "../../serving/index.ts";
import type { TurnEvent, TurnRequest } from "../types.ts";

export interface TurnDeps {
  inference: InferenceEngine;
  knowledge: KnowledgeBase;
}

// biome-ignore lint/correctness/useYield: skeleton
export async function* runTurn(_deps: TurnDeps, _req: TurnRequest): AsyncGenerator<TurnEvent> {
  throw new Error("runTurn: not implemented yet");
}
