/**
 * A retrain's plan made into dataset versions, each checked by the usual data check: the training
 * examples (every accepted item with its final answer, then the original sample), the corrections
 * held out for the gate, and the original held-out examples when they were only a file. Then the
 * items are marked used by the version they went into, which records the lineage (which
 * conversation or completion, who accepted it); an item used meanwhile by another retrain stops it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReviewItem } from "../../protocol/review.ts";
import { TailorError } from "../errors/index.ts";
import type { Plan, RetrainServices } from "./types.ts";

export interface RetrainDatasets {
  /** The examples the retrain trains on. */
  datasetId: string;
  /** The accepted corrections held out for the gate (null: none held out). */
  heldOutDatasetId: string | null;
  /** The current version's held-out examples as a dataset version (null: it has none). */
  originalHeldOut: string | null;
}

/** One accepted item as a training example: the question, then the answer the reviewer accepted. */
export function exampleLine(item: ReviewItem): string {
  if (item.final_answer === null)
    throw new TailorError({
      code: "invalid_argument",
      message: `review item ${item.id} has no accepted answer; only accepted items become examples`,
    });
  return JSON.stringify({
    messages: [...item.question, { role: "assistant", content: item.final_answer }],
  });
}

const jsonl = (lines: string[]) => `${lines.join("\n")}\n`;

/** Stores the plan's datasets and marks its items used; nothing is marked when a check fails. */
export async function makeRetrainDataset(
  svc: RetrainServices,
  plan: Plan,
): Promise<RetrainDatasets> {
  const made = await storeRetrainDatasets(svc, plan);
  markRetrainUsed(svc, plan, made);
  return made;
}

/**
 * The plan's dataset versions, stored without marking anything used (a retrain marks its items once
 * its job is made, so a job refused leaves them for the next try).
 */
export async function storeRetrainDatasets(
  svc: RetrainServices,
  plan: Plan,
): Promise<RetrainDatasets> {
  const { name, nextVersion, current } = plan;
  const tmp = mkdtempSync(join(tmpdir(), "tailor-retrain-"));
  try {
    const write = (file: string, lines: string[]) => {
      const path = join(tmp, file);
      writeFileSync(path, jsonl(lines));
      return path;
    };
    const trainFile = write(`${name}-retrain-v${nextVersion}.jsonl`, [
      ...plan.train.map(exampleLine),
      ...plan.sample.lines,
    ]);
    const { version: train } = await svc.datasets
      .add(trainFile, { name: `${name}-retrain-v${nextVersion}`, valSplit: 0 })
      .catch((e: unknown) => {
        throw byItem(e, [...plan.train.map((i) => i.id), ...plan.sample.lines.map(() => null)]);
      });
    let heldOutDatasetId: string | null = null;
    if (plan.heldOut.length) {
      const file = write(`${name}-corrections-held-out-v${nextVersion}.jsonl`, [
        ...plan.heldOut.map(exampleLine),
      ]);
      const { version } = await svc.datasets
        .add(file, {
          name: `${name}-corrections-held-out-v${nextVersion}`,
          purpose: "validation",
          valSplit: 0,
        })
        .catch((e: unknown) => {
          throw byItem(
            e,
            plan.heldOut.map((i) => i.id),
          );
        });
      heldOutDatasetId = version.id;
    }
    const held = plan.originalHeldOut;
    const originalHeldOut = !held
      ? null
      : held.kind === "dataset"
        ? held.id
        : (
            await svc.datasets.add(held.path, {
              name: `${name}-v${current.version}-held-out`,
              purpose: "validation",
              valSplit: 0,
            })
          ).version.id;
    return { datasetId: train.id, heldOutDatasetId, originalHeldOut };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * A data check's refusal of a file written here (gone once the retrain stops) told by the review
 * items of its lines, so the reviewer knows which answers to edit; other errors as they are.
 */
function byItem(e: unknown, lineItems: (string | null)[]): unknown {
  if (!(e instanceof TailorError) || e.code !== "data_invalid") return e;
  const report = e.details.report as { errors?: { line?: number; message: string }[] } | undefined;
  const problems = (report?.errors ?? []).slice(0, 5).map((p) => {
    const item = p.line ? lineItems[p.line - 1] : null;
    return `\n  ${item ? `review item ${item}` : p.line ? `original example ${p.line - lineItems.filter(Boolean).length}` : "the examples"}: ${p.message}`;
  });
  return new TailorError({
    code: "data_invalid",
    message: `the retrain's examples did not pass the data check; nothing was stored or marked used:${problems.join("")}\nLook at those review items (tailor review show ID), then retrain again.`,
    details: { report },
    cause: e,
  });
}

/**
 * The trained-on items by the training version, the held-out ones by theirs, at once; refused when
 * another retrain used one of them since the plan was made (its examples would be trained twice).
 */
export function markRetrainUsed(svc: RetrainServices, plan: Plan, made: RetrainDatasets): void {
  const { datasetId, heldOutDatasetId } = made;
  const mark = () => {
    const still = new Set(svc.review.unused(plan.models).map((i) => i.id));
    const gone = [...plan.train, ...plan.heldOut].filter((i) => !still.has(i.id));
    if (gone.length)
      throw new TailorError({
        code: "conflict",
        message: `another retrain of ${plan.name} used ${gone.map((i) => i.id).join(", ")} a moment ago; run the retrain again to use what is left`,
      });
    svc.review.markUsed(
      plan.train.map((i) => i.id),
      datasetId,
    );
    if (heldOutDatasetId)
      svc.review.markUsed(
        plan.heldOut.map((i) => i.id),
        heldOutDatasetId,
      );
  };
  svc.review.db.transaction(mark)(); // the queue's database: the check and both marks at once
}
