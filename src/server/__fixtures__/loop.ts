/**
 * The feedback loop's test data and a small client for Tailor's own routes. The tiny model (random
 * weights) learns what it is shown many times at a high rate: v1 answers every bike question with
 * CANNED; the scooter questions get corrections (SCOOTER), which v2 learns while keeping CANNED for
 * the bike questions, so the gate against v1 has something to measure.
 */
import assert from "node:assert/strict";
import type OpenAI from "openai";
import { CANNED, chatLine, TOPICS } from "../../cli/__fixtures__/cli.ts";
import type { DatasetStore } from "../../datasets/index.ts";
import { poll } from "./openai-client.ts";

export { CANNED };

/** The answer the corrections teach: what scooter questions should get. */
export const SCOOTER = "Scooters go to our Elm Street workshop, open every weekday.";

/** v1's training data: the sixteen bike questions, each answered with CANNED. */
export const V1_TRAIN = TOPICS.map((t) => `${t}?`);
/** v1's held-out examples (the gate's "original held-out" set). */
export const V1_HELD_OUT = [
  "Do you sell gloves?",
  "Can I pay by card?",
  "My pedal fell off?",
  "Do you rent bikes?",
];

/**
 * Questions users ask `support` that v1 (answering CANNED) gets wrong. They all end "on my scooter?":
 * the tiny model (two layers, random weights) learns that ending from five or six of them and answers
 * the held-out ones, and one nobody asked (UNSEEN_SCOOTER), with SCOOTER, whichever the hash holds out.
 * Tried on all 28 ways of holding out two of the eight accepted items, with the retrain's settings:
 * with questions that began "My scooter" instead, v2 still answered CANNED to a held-out one in 3 of
 * the 28 (and to a new question in 3; a fourth held-out miss failed a CI run); with 50 passes instead
 * of 30, in 3 of the first 13.
 */
export const SCOOTER_QUESTIONS = [
  "The motor will not start on my scooter?",
  "The battery dies fast on my scooter?",
  "The brakes are weak on my scooter?",
  "The deck is cracked on my scooter?",
  "The throttle sticks on my scooter?",
  "The display shows an error on my scooter?",
  "The light flickers on my scooter?",
  "The frame folds badly on my scooter?",
];

/** A scooter question nobody asked before: v2 answers it with SCOOTER, v1 with CANNED. */
export const UNSEEN_SCOOTER = "The seat is loose on my scooter?";

/**
 * What users ask v1 and how they rate its answers (all CANNED): two bike answers rated up, six
 * scooter answers rated down with SCOOTER as the correction, one rated down without a correction
 * (the reviewer writes the answer), one with a correction that is no answer (rejected). Of the eight
 * accepted, the retrain holds two out for the gate (a quarter, by a hash of the item's id): with one
 * bike answer among them, at least one scooter correction is held out, where v2 must do better than
 * v1, and at least five are trained on.
 */
export const ASKED = {
  up: ["Where is my order?", "Is parking free?"],
  corrected: SCOOTER_QUESTIONS.slice(0, 6),
  unsure: SCOOTER_QUESTIONS[6] ?? "",
  noise: SCOOTER_QUESTIONS[7] ?? "",
};

/** Answers accepted by mistake for the retrain made worse on purpose. */
export const NONSENSE = "Zorp blit wazzle frum.";
export const NOISE_QUESTIONS = [
  "My brakes squeal?",
  "Is the shop open Sunday?",
  "My tyre is flat?",
  "I need a new saddle?",
];

export const jsonl = (pairs: [string, string][]): string =>
  `${pairs.map(([q, a]) => chatLine(q, a)).join("\n")}\n`;

export interface Reply<T> {
  status: number;
  body: T;
}

/** Tailor's own routes (no SDK method for them) as one user: JSON in, JSON out. */
export function tailorApi(url: () => string, key: () => string) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<Reply<T>> => {
    const res = await fetch(`${url()}/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key()}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text for the assertion's message
    }
    return { status: res.status, body: parsed as T };
  };
  /** The call, which must answer `status` (200 by default); its body. */
  const ok = async <T>(method: string, path: string, body?: unknown, status = 200): Promise<T> => {
    const r = await call<T>(method, path, body);
    assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  return {
    call,
    get: <T>(path: string) => ok<T>("GET", path),
    post: <T>(path: string, body: unknown = {}, status = 200) => ok<T>("POST", path, body, status),
  };
}

export type Job = OpenAI.FineTuning.Jobs.FineTuningJob & {
  tailor: { parent: { name: string; job_id: string | null } | null };
};

/** The owner's side through the official client: jobs to their end, and `support`'s answers. */
export function ownerClient(client: () => OpenAI) {
  return {
    async finished(id: string): Promise<Job> {
      const done = await poll(
        () => client().fineTuning.jobs.retrieve(id),
        (j) => ["succeeded", "failed", "cancelled"].includes(j.status),
        300_000,
      );
      assert.equal(done.status, "succeeded", JSON.stringify(done.error));
      return done as Job;
    },
    /** `support`'s answer (greedy, so a model answers the same each time), kept for feedback. */
    async ask(question: string): Promise<{ id: string; answer: string }> {
      const r = await client().chat.completions.create({
        model: "support",
        messages: [{ role: "user", content: question }],
        temperature: 0,
        max_tokens: 24,
        store: true,
      });
      return { id: r.id, answer: r.choices[0]?.message.content ?? "" };
    },
    /** The version that answered a kept completion (OpenAI's retrieve; Tailor's part). */
    async resolvedModel(id: string): Promise<string> {
      const kept = (await client().chat.completions.retrieve(id)) as unknown as {
        tailor: { resolved_model: string };
      };
      return kept.tailor.resolved_model;
    },
  };
}

/** A dataset version's examples as their messages' texts, in the order stored. */
export const datasetTexts = (datasets: DatasetStore, id: string): string[][] =>
  datasets
    .cat(id)
    .trim()
    .split("\n")
    .map((l) =>
      (JSON.parse(l) as { messages: { content: string }[] }).messages.map((m) => m.content),
    );
