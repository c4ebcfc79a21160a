/**
 * A TAILOR_HOME for retrain tests: the tiny model, a fine-tuned `support` model made without
 * training (its job is real and queued, its folder a manifest and an empty adapter, which is all a
 * plan and a new job read), the model name `support` on it, and accepted review items.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ReviewItem } from "../../../protocol/review.ts";
import { cliSandbox } from "../../cli/__fixtures__/cli.ts";
import { createJob, type Job } from "../../jobs/index.ts";
import { openServices, type Services } from "../../services/index.ts";

export const REVIEWER = "rev-bob";

/** `n` support examples (different questions, so none is a duplicate). */
export const supportLines = (n: number, prefix = "Original question"): string[] =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      messages: [
        { role: "user", content: `${prefix} ${i}?` },
        { role: "assistant", content: `Original answer ${i}.` },
      ],
    }),
  );

export function retrainHome(prefix = "tailor-retrain-") {
  const box = cliSandbox(prefix);
  box.tiny();
  const svc: Services = openServices(box.home);
  const jsonl = (lines: string[]) => `${lines.join("\n")}\n`;

  /**
   * A fine-tuned model `name` "trained" on `train` lines (held-out `val` lines as its validation
   * file, when given): its job is created for real, its folder is written as a job would leave it.
   */
  const tuned = async (
    name: string,
    train: string[],
    val: string[] | null = null,
  ): Promise<{ model: string; job: Job }> => {
    const job = await createJob(svc, {
      base: "tiny",
      data: box.file(`${name}-train.jsonl`, jsonl(train)),
      val: val ? box.file(`${name}-val.jsonl`, jsonl(val)) : undefined,
      name,
    });
    const folder = svc.models.modelDir(name);
    mkdirSync(folder, { recursive: true });
    const tiny = svc.models.get("tiny")?.manifest;
    if (tiny?.kind !== "base") throw new Error("tiny is not registered");
    svc.models.writeManifest(folder, {
      kind: "fine_tuned",
      name,
      created_at: 1,
      base: { name: "tiny", source: tiny.source },
      training: {
        job_id: job.id,
        train_file: job.training_file,
        train_examples: job.spec.train_examples,
        epochs: 1,
        learning_rate: 1e-3,
        batch_size: 4,
        lora_rank: 8,
        lora_alpha: 16,
        seed: 42,
        steps: 3,
        first_train_loss: 2,
        final_train_loss: 1,
        train_seconds: 1,
      },
    });
    writeFileSync(join(folder, "adapter_config.json"), JSON.stringify({ r: 8, lora_alpha: 16 }));
    writeFileSync(join(folder, "adapter_model.safetensors"), "");
    return { model: name, job };
  };

  /** Feedback on `n` answers of `model` (asked as `name`), each accepted: corrected, or edited. */
  const accepted = (
    name: string,
    model: string,
    n: number,
    opts: { from?: number; edit?: boolean } = {},
  ): ReviewItem[] =>
    Array.from({ length: n }, (_, k) => {
      const i = (opts.from ?? 0) + k;
      const item = svc.review.file({
        source: "completion",
        source_id: `chatcmpl-${model}-${i}`,
        message_id: null,
        model: name,
        resolved_model: model,
        owner: "alice",
        question: [
          { role: "system", content: "You answer for Northwind Bikes." },
          { role: "user", content: `Customer question ${i}?` },
        ],
        answer: "gibberish",
        feedback: {
          rating: "down",
          wrong: true,
          comment: null,
          correction: `The right answer ${i}.`,
        },
      });
      return svc.review.accept(
        item.id,
        REVIEWER,
        opts.edit ? { answer: `The edited answer ${i}.` } : {},
      );
    });

  const close = () => svc.close();
  return { ...box, svc, tuned, accepted, jsonl, close };
}
