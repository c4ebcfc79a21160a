/** The moderation page's words for a non-engineer: what each category, action and rule means. */
import {
  MODERATION_CATEGORIES,
  MODERATION_GROUPS,
  type ModerationCategory,
  type ModerationGroup,
  type RuleHit,
} from "../../../../protocol/moderation.ts";
import type { Action, Stage } from "./client.ts";

export { MODERATION_CATEGORIES };

/** Each category in a sentence (after OpenAI's descriptions of the same categories). */
export const CATEGORY: Record<ModerationCategory, string> = {
  harassment: "Insults, bullying or abuse aimed at someone",
  "harassment/threatening": "Harassment that also threatens harm",
  hate: "Hatred of people for their race, religion, gender, disability or origin",
  "hate/threatening": "Hate that also threatens violence",
  illicit: "Advice on doing something illegal (theft, fraud, hacking)",
  "illicit/violent": "Advice on illegal acts that involve violence or weapons",
  "self-harm": "Talk of hurting oneself",
  "self-harm/intent": "Saying one means to hurt oneself",
  "self-harm/instructions": "How to hurt oneself",
  sexual: "Sexual content",
  "sexual/minors": "Sexual content involving anyone under 18",
  violence: "Violence, or threats of it",
  "violence/graphic": "Violence described in graphic detail",
};

export const GROUP: Record<ModerationGroup, string> = {
  harassment: "Harassment",
  hate: "Hate",
  illicit: "Illegal activity",
  "self-harm": "Self-harm",
  sexual: "Sexual content",
  violence: "Violence",
};

/** The categories of each group, in OpenAI's order. */
export const GROUPS = MODERATION_GROUPS.map((g) => ({
  group: g,
  categories: MODERATION_CATEGORIES.filter((c) => c === g || c.startsWith(`${g}/`)),
}));

export const ACTION: Record<Action, string> = {
  allowed: "Allowed",
  flagged: "Flagged (let through, logged)",
  redacted: "Personal data hidden",
  blocked: "Blocked",
};

export const STAGE: Record<Stage, string> = {
  input: "Question (what was asked)",
  output: "Answer (what the model wrote)",
};

/** One fired rule in words. */
export function ruleWords(h: RuleHit): string {
  switch (h.kind) {
    case "category":
      return `${CATEGORY[h.rule as ModerationCategory] ?? h.rule} (${h.rule})`;
    case "term":
      return `Blocked word "${h.rule}"`;
    case "pattern":
      return `Pattern /${h.rule}/`;
    case "personal_data":
      return `Personal data: ${h.rule.toLowerCase().replaceAll("_", " ")}`;
  }
}

/**
 * Sensitivity (shown) and threshold (stored) are two ends of one slider: a sensitive check fires at
 * a low score.
 */
export const sensitivityOf = (threshold: number) => Math.round((1 - threshold) * 100);
export const thresholdOf = (sensitivity: number) => Math.round(100 - sensitivity) / 100;
export const DEFAULT_THRESHOLD = 0.5;

export const when = (s: number) => new Date(s * 1000).toLocaleString();
export const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
