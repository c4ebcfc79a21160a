/**
 * The moderation port: what the rest of Tailor (the API's /v1/moderations, policies on chat, the
 * data check) needs of a moderation model. The implementation (src/safety/moderation/model.ts)
 * scores texts with the engine; unit tests of the callers may give a stand-in.
 */
import type { ModerationResult } from "../../../protocol/moderation.ts";

export interface Moderator {
  /** The moderation model's name (what /v1/moderations answers as `model`). */
  readonly model: string;
  /**
   * One result per text, in order. A long text is scored in windows and each category takes its
   * highest window's score.
   */
  moderate(
    texts: string[],
    opts?: {
      signal?: AbortSignal;
      /** Flag a category at this score (default 0.5: the model's own threshold for each category). */
      threshold?: number;
    },
  ): Promise<ModerationResult[]>;
}
