/** Text classification: training an encoder with a classification head, and classifying (being written: issue 20). */
import { z } from "zod";
import { ModelSource } from "./requests.ts";

export const TrainClassifierRequest = z.object({
  base: ModelSource,
  train_file: z.string().min(1),
  val_file: z.string().min(1).optional(),
  out_dir: z.string().min(1),
});
export type TrainClassifierRequest = z.input<typeof TrainClassifierRequest>;

export const ClassifyRequest = z.object({
  model_dir: z.string().min(1),
  input: z.array(z.string()).min(1),
});
export type ClassifyRequest = z.input<typeof ClassifyRequest>;

export const Classifications = z.object({
  type: z.literal("classifications"),
  results: z.array(z.array(z.object({ label: z.string(), score: z.number() }))),
});
