/**
 * A fine-tuned model's card, gathered from what the stores hold about it: its manifest and
 * evaluation (in its folder), the job that made it (settings and loss curves) and its dataset
 * versions. The evals domain draws the card from these; this side only collects them.
 */
import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import type { ModelCard } from "../../protocol/evals.ts";
import { TailorError } from "../errors/index.ts";
import { buildCard, readEvaluation, writeCard } from "../evals/index.ts";
import { parentLineage } from "./parent.ts";
import type { JobServices } from "./services.ts";
import type { ParentModel } from "./types.ts";

/** The card of the fine-tuned model in `folder`: installed, or about to be (a run's output). */
export function modelCard(svc: JobServices, folder: string): ModelCard {
  const m = svc.models.readManifestAt(folder);
  if (m.kind !== "fine_tuned") {
    throw new TailorError({
      code: "invalid_argument",
      message: `${m.name} is a base model; model cards are written for fine-tuned models`,
    });
  }
  const job = m.training.job_id ? svc.jobs.find(m.training.job_id) : null;
  const version = (id: string | null | undefined) => (id ? svc.datasets.find(id) : null);
  const train = version(job?.training_file ?? m.training.train_file);
  return buildCard({
    name: m.name,
    manifest: m,
    evaluation: readEvaluation(folder),
    job: job && {
      id: job.id,
      owner: job.owner,
      early_stopping_patience: job.spec.early_stopping_patience,
      validation_note: job.spec.validation.note,
    },
    localUser: localUser(),
    curves: job ? svc.jobs.events.lossCurves(job.id) : { train: [], val: [] },
    datasets: { train, val: version(job?.validation_file) },
    trainAnswers: train ? answers(svc.datasets.files(train.id).train) : [],
    parent: m.parent ? parentView(svc, m.parent) : null,
  });
}

/** The parent as the card shows it. */
function parentView(svc: JobServices, parent: ParentModel): ModelCard["parent"] {
  const p = parentLineage(svc, parent);
  return {
    model: p.name,
    job_id: p.job_id,
    training_data: p.trainedOn,
    examples: p.examples,
    deleted: p.deleted,
  };
}

/** The card of an installed model, by name. */
export function modelCardOf(svc: JobServices, name: string): ModelCard {
  const entry = svc.models.get(name);
  if (!entry?.path) {
    throw new TailorError({
      code: entry ? "invalid_argument" : "model_not_found",
      message: entry
        ? `${name} is a base model; model cards are written for fine-tuned models`
        : `no model named '${name}'; \`tailor models list\` shows them`,
    });
  }
  return modelCard(svc, entry.path);
}

/** Writes the card into the model's folder (MODEL_CARD.md and model-card.json). */
export function writeModelCard(svc: JobServices, folder: string): ModelCard {
  return writeCard(folder, modelCard(svc, folder));
}

function localUser(): string {
  try {
    return userInfo().username || "local";
  } catch {
    return "local"; // no passwd entry (some containers)
  }
}

/** The expected answers of a chat JSONL file (the last assistant message of each line). */
function answers(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .flatMap((line) => {
      try {
        const m = (JSON.parse(line) as { messages: { role: string; content: string }[] }).messages;
        const a = m.filter((x) => x.role === "assistant").at(-1);
        return a ? [a.content] : [];
      } catch {
        return [];
      }
    });
}
