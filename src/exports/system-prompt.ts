/**
 * The training's fixed system prompt: when every training example starts with the same system
 * message, the model learned to answer under it, so an Ollama Modelfile sets it as its SYSTEM.
 * Found through the model's manifest and its job, as the stored dataset version it trained on.
 */
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import type { DatasetStore } from "../datasets/index.ts";
import type { JobStore } from "../jobs/index.ts";
import type { ModelRegistry } from "../models/index.ts";

/** The first message of one line of a stored chat JSONL file, as far as the system prompt goes. */
const Line = z.object({
  messages: z.array(z.object({ role: z.string(), content: z.unknown().optional() })).min(1),
});

/**
 * The system prompt every line of the chat JSONL file `path` starts with, or null when a line has
 * none, two lines differ, a line is not a conversation, or the file is empty or missing.
 */
export function fixedSystemPrompt(path: string): string | null {
  if (!existsSync(path)) return null;
  let prompt: string | null = null;
  for (const raw of readFileSync(path, "utf8").split("\n")) {
    if (!raw.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return null;
    }
    const first = Line.safeParse(json).data?.messages[0];
    if (first?.role !== "system" || typeof first.content !== "string") return null;
    if (prompt !== null && first.content !== prompt) return null;
    prompt = first.content;
  }
  return prompt;
}

/** The system prompt a stored model's training fixed, read from the dataset version it trained on. */
export function storedSystemPrompt(svc: {
  models: ModelRegistry;
  jobs: JobStore;
  datasets: DatasetStore;
}): (model: string) => string | null {
  return (model) => {
    const m = svc.models.get(model)?.manifest;
    if (m?.kind !== "fine_tuned") return null;
    const job = m.training.job_id ? svc.jobs.find(m.training.job_id) : null;
    const dataset = job?.training_file ?? m.training.train_file;
    if (!svc.datasets.find(dataset)) return null;
    return fixedSystemPrompt(svc.datasets.files(dataset).train);
  };
}
