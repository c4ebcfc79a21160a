import { type ModelEntry, ModelRegistry } from "./registry.ts";
import { estimateParameters } from "./size.ts";

/** A base model as the studio shows it: what it is, how big, which languages, whether offline. */
export interface BaseModelCard {
  name: string;
  description: string;
  parameters: number | null;
  languages: string[];
  /** Usable without a network: built-in, or its weights are on this machine. */
  offline: boolean;
  /** One sentence on what it does well, for someone choosing between cards. */
  good_at: string;
  origin: ModelEntry["origin"];
}

/** What is known about models by name (the weights alone do not say which languages they learned). */
const KNOWN: Record<string, { languages: string[]; good_at: string }> = {
  "smollm2-135m-instruct": {
    languages: ["English"],
    good_at:
      "Short, well-defined tasks in English: replying in a fixed format, extracting fields, sorting messages into categories. Small enough to train on a laptop's CPU.",
  },
  "all-minilm-l6-v2": {
    languages: ["English"],
    good_at:
      "Sorting English texts into labels (tailor train --task classify): a 22M-parameter encoder that trains in minutes on a CPU and classifies hundreds of texts a second. It does not write answers.",
  },
};

function card(e: ModelEntry): BaseModelCard {
  const source =
    e.origin === "builtin"
      ? ({ kind: "builtin", name: e.name } as const)
      : e.manifest?.kind === "base"
        ? e.manifest.source
        : null;
  const known = KNOWN[e.name];
  const tiny = /\btiny\b/i.test(e.description);
  return {
    name: e.name,
    description: e.description,
    parameters: source ? estimateParameters(source) : null,
    languages: known?.languages ?? (tiny ? [] : ["unknown"]),
    offline: source !== null && source.kind !== "hub",
    good_at:
      known?.good_at ??
      (tiny
        ? "Trying Tailor out: it trains in seconds but has random weights, so its answers are nonsense."
        : "A model added on this machine; its card does not say what it is good at."),
    origin: e.origin,
  };
}

/** The base models on this machine, smallest first (the quickest to try comes first). */
export function baseModelCards(home: string): BaseModelCard[] {
  const size = (c: BaseModelCard) => c.parameters ?? Number.POSITIVE_INFINITY;
  return new ModelRegistry(home)
    .list()
    .filter((e) => e.kind === "base")
    .map(card)
    .sort((a, b) => size(a) - size(b) || a.name.localeCompare(b.name));
}
