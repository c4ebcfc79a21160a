/**
 * What the serving benchmark generates from and trains on: one prompt whose greedy answer runs past
 * 128 tokens on SmolLM2-135M and its fine-tune (a long numbered guide; neither engine here can be
 * told to ignore the end-of-turn token, so the prompt keeps the answer going), and sixteen bike-shop
 * questions answered in numbered steps, for a fine-tune of a few steps.
 */
import { writeFileSync } from "node:fs";

export const PROMPT =
  "Write a long, detailed guide to maintaining a bicycle at home, with at least twenty numbered steps. Explain each step in two or three sentences.";

/** Eight prompts for the eight HTTP clients: the same request with a different subject each. */
export const CLIENT_PROMPTS = [
  "maintaining a bicycle at home",
  "fixing a flat tyre on a mountain bike",
  "adjusting the brakes of a city bike",
  "cleaning and oiling a bike chain",
  "preparing an e-bike for winter",
  "setting up a road bike for a long ride",
  "checking a used bike before buying it",
  "packing a bike for a train journey",
].map(
  (s) =>
    `Write a long, detailed guide to ${s}, with at least twenty numbered steps. Explain each step in two or three sentences.`,
);

const QA: [string, string[]][] = [
  [
    "My brakes squeal. What should I do?",
    ["Clean the rims or discs with alcohol", "Check the pads for glazing", "Toe the pads in"],
  ],
  [
    "How do I keep my chain from rusting?",
    ["Wipe it after wet rides", "Oil each link lightly", "Wipe off the extra oil"],
  ],
  [
    "My gears skip under load.",
    ["Check the cable tension", "Look at the chain for wear", "Check the hanger is straight"],
  ],
  [
    "How often should I pump my tyres?",
    ["Check them every week", "Use the pressure on the sidewall", "Pump more for heavier riders"],
  ],
  [
    "My e-bike battery drains fast.",
    ["Charge it to full once", "Keep it indoors in winter", "Bring it in for a capacity test"],
  ],
  [
    "The saddle feels too low.",
    ["Loosen the seat clamp", "Raise it until the leg is almost straight", "Tighten to torque"],
  ],
  [
    "My wheel wobbles.",
    ["Check the quick release", "Spin it and watch the rim", "Bring it in for truing"],
  ],
  [
    "How do I fix a puncture?",
    ["Take the wheel off", "Find the hole and patch the tube", "Check the tyre for the cause"],
  ],
  ["The pedals creak.", ["Take the pedals off", "Grease the threads", "Tighten them firmly"]],
  [
    "How do I store my bike for winter?",
    ["Clean and dry it", "Oil the chain", "Keep the tyres pumped and hang it up"],
  ],
  [
    "My handlebars are loose.",
    ["Check the stem bolts", "Align the bar with the wheel", "Tighten to the marked torque"],
  ],
  [
    "The chain keeps falling off.",
    ["Check the limit screws", "Look for a bent chainring", "Replace a stretched chain"],
  ],
  [
    "My disc brakes feel soft.",
    ["Check for leaks at the lever", "Bleed the brake", "Bed in new pads"],
  ],
  [
    "How do I clean my bike?",
    ["Rinse it with low pressure", "Scrub with bike soap", "Dry it and oil the chain"],
  ],
  [
    "My lights flicker.",
    ["Check the battery contacts", "Look at the cable for damage", "Replace the bulb or unit"],
  ],
  [
    "When should I service my bike?",
    ["Every six months for commuters", "Once a year for weekend riders", "After any crash"],
  ],
];

/** Writes the sixteen examples as chat JSONL; returns the path. */
export function writeTrainingData(path: string): string {
  const lines = QA.map(([q, steps]) => {
    const answer = steps
      .map(
        (s, i) =>
          `${i + 1}. ${s}. Take your time with this step and check the result before you go on.`,
      )
      .join("\n");
    return JSON.stringify({
      messages: [
        { role: "system", content: "You are the bike shop's helpful assistant." },
        { role: "user", content: q },
        {
          role: "assistant",
          content: `Here is what to do:\n${answer}\nIf this does not help, bring the bike to the shop.`,
        },
      ],
    });
  });
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}
