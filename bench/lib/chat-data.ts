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

/** Writes `count` examples to `path`; returns nothing, the engine reports the exact token counts. */
export function writeChatData(path: string, count: number, seed = 1): void {
  const random = rng(seed);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const tokens = 20 * (1000 / 20) ** random(); // log-uniform in [20, 1000]
    const words = Math.max(2, Math.round((tokens - 18) / 1.08));
    const userWords = Math.max(1, Math.round(words * (0.15 + 0.3 * random())));
    const messages = [
      { role: "system", content: "Be brief." },
      { role: "user", content: text(random, userWords) },
      { role: "assistant", content: text(random, Math.max(1, words - userWords)) },
    ];
    lines.push(JSON.stringify({ messages }));
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
}
