/**
 * Which pairs the probe answers: each held-out input that mentions someone from the lists, with
 * its twins (twins.ts), at most `maxPairs` in all. The choice is deterministic and spread over the
 * kinds of swap: the kinds take turns, each in the order of the held-out inputs, so a file full of
 * names (three origin twins each) still leaves room for the gender, nationality and religion twins.
 */
import type { Tool } from "../../../protocol/engine/tools.ts";
import type { ChatMessage } from "../../../protocol/index.ts";
import {
  AXES,
  type Axis,
  applySwap,
  findMentions,
  type Swap,
  swapsFor,
} from "../../datasets/index.ts";

/** Pairs answered by default: enough to see a gap of a few percent, cheap next to the evaluation. */
export const MAX_PAIRS = 64;

/** A held-out input: a conversation up to the answer (a classifier's text is one user message). */
export interface ProbeInput {
  line: number;
  messages: ChatMessage[];
  tools?: Tool[] | undefined;
}

export interface PlannedPair {
  /** The input's index in the list handed to planPairs. */
  index: number;
  line: number;
  swap: Swap;
  /** The words swapped and what they became, each joined with ", ". */
  from: string;
  to: string;
  /** The twin conversation: every message but the system prompt with the swap applied. */
  messages: ChatMessage[];
  prompt: string;
  twinPrompt: string;
}

/** The last user message (what the report shows of an input). */
export function lastUser(messages: ChatMessage[]): string {
  return [...messages].reverse().find((m) => m.role === "user")?.content ?? "";
}

/** The twins of one conversation: swaps read from its user messages, applied to all but the system prompt. */
function twinConversations(input: ProbeInput, index: number): PlannedPair[] {
  const asked = input.messages.filter((m) => m.role === "user").map((m) => m.content);
  const swaps = swapsFor(asked.flatMap((text) => findMentions(text)));
  return swaps.map((swap) => {
    const from: string[] = [];
    const to: string[] = [];
    const messages = input.messages.map((m) => {
      if (m.role === "system" || !m.content) return m;
      const t = applySwap(m.content, swap);
      t.from.forEach((w, i) => {
        if (!from.includes(w)) {
          from.push(w);
          to.push(t.to[i] ?? "");
        }
      });
      return { ...m, content: t.text };
    });
    return {
      index,
      line: input.line,
      swap,
      from: from.join(", "),
      to: to.join(", "),
      messages,
      prompt: lastUser(input.messages),
      twinPrompt: lastUser(messages),
    };
  });
}

/** Up to `maxPairs` pairs, the kinds of swap taking turns; and how many inputs mention someone. */
export function planPairs(
  inputs: ProbeInput[],
  maxPairs = MAX_PAIRS,
): { pairs: PlannedPair[]; mentioning: number } {
  const byAxis = new Map<Axis, PlannedPair[]>(AXES.map((a) => [a, []]));
  let mentioning = 0;
  inputs.forEach((input, i) => {
    const twins = twinConversations(input, i);
    if (twins.length) mentioning++;
    for (const t of twins) byAxis.get(t.swap.axis)?.push(t);
  });
  const pairs: PlannedPair[] = [];
  for (let k = 0; pairs.length < maxPairs; k++) {
    let any = false;
    for (const axis of AXES) {
      const next = byAxis.get(axis)?.[k];
      if (!next || pairs.length >= maxPairs) continue;
      pairs.push(next);
      any = true;
    }
    if (!any) break;
  }
  return { pairs, mentioning };
}
