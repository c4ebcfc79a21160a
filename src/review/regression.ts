/**
 * Regression examples a model name must never break, pinned by its owner: always part of the gate
 * of its retrains. SKELETON: helper C implements it.
 */

import type { ChatMessage } from "../../protocol/index.ts";
import type { RegressionExample } from "../../protocol/review.ts";
import type { Db } from "../store/index.ts";

export class RegressionSet {
  constructor(readonly db: Db) {}

  pin(
    _name: string,
    _example: { messages: ChatMessage[]; expected: string; note?: string | null },
    _who: string,
  ): RegressionExample {
    throw new Error("RegressionSet.pin: not implemented yet");
  }

  list(_name: string): RegressionExample[] {
    throw new Error("RegressionSet.list: not implemented yet");
  }

  unpin(_id: string): boolean {
    throw new Error("RegressionSet.unpin: not implemented yet");
  }
}
