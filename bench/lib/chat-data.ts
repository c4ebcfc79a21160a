/**
 * A deterministic chat data set for training benchmarks: support-style conversations whose lengths
 * vary the way real ones do (log-uniform, so most are short and a few are long), from about 20 to
 * about 1,000 tokens with SmolLM2's tokenizer (about 1.1 tokens per word here, plus ~18 of template).
 */
import { writeFileSync } from "node:fs";

const WORDS = (
  "the a bike shop order refund helmet brake chain wheel tyre saddle gear light frame pedal service " +
  "repair delivery invoice customer please thanks we you your our can will would could should is are " +
  "was were be been have has had do does did not no yes when where why how what which who today " +
  "tomorrow week day hour minute price cost free warranty return exchange size colour model city " +
  "mountain road electric battery charge motor range speed safe ride commute parts stock available " +
  "ship track number email phone call store open close weekend morning evening team help question " +
  "answer problem issue fix adjust replace check test clean oil tighten loose noise squeak slip"
).split(" ");

/** mulberry32: a small seeded generator, so every run writes the same file. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sentence(random: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    const w = WORDS[Math.floor(random() * WORDS.length)] ?? "the";
    out.push(i === 0 ? w[0]?.toUpperCase() + w.slice(1) : w);
  }
  return `${out.join(" ")}.`;
}

function text(random: () => number, words: number): string {
  const parts: string[] = [];
  for (let left = words; left > 0; ) {
    const n = Math.min(left, 6 + Math.floor(random() * 14));
    parts.push(sentence(random, n));
    left -= n;
  }
  return parts.join(" ");
}

/**
 * The shapes of data a user brings (tokens per example, with SmolLM2's tokenizer):
 *   mixed  log-uniform from 20 to 1,000: most short, a few long (the first benchmark's data)
 *   short  short chat: 60 to 140, about 100
 *   long   long answers: 300 to 1,000, a short question and an answer of most of it
 */
export const SHAPES = ["mixed", "short", "long"] as const;
export type Shape = (typeof SHAPES)[number];

/** Tokens of one example, and the share of its words in the user's turn. */
function draw(random: () => number, shape: Shape): { tokens: number; userShare: number } {
  if (shape === "short") return { tokens: 60 + 80 * random(), userShare: 0.15 + 0.3 * random() };
  if (shape === "long") return { tokens: 300 + 700 * random(), userShare: 0.03 + 0.07 * random() };
  return { tokens: 20 * (1000 / 20) ** random(), userShare: 0.15 + 0.3 * random() };
}

/** Writes `count` examples to `path`; returns nothing, the engine reports the exact token counts. */
export function writeChatData(path: string, count: number, seed = 1, shape: Shape = "mixed"): void {
  const random = rng(seed);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const { tokens, userShare } = draw(random, shape);
    const words = Math.max(2, Math.round((tokens - 18) / 1.08));
    const userWords = Math.max(1, Math.round(words * userShare));
    const messages = [
      { role: "system", content: "Be brief." },
      { role: "user", content: text(random, userWords) },
      { role: "assistant", content: text(random, Math.max(1, words - userWords)) },
    ];
    lines.push(JSON.stringify({ messages }));
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
}
