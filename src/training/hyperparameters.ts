import type { HyperparameterInput, Hyperparameters, TrainingMethod } from "../../protocol/index.ts";

export type { HyperparameterInput, Hyperparameters } from "../../protocol/index.ts";

/** What "auto" looks at besides the number of examples. */
export interface AutoContext {
  /** The base model's parameter count, when known. */
  baseParameters?: number | null | undefined;
  /** Where training runs: memory decides how many examples fit in one step. */
  machine?: { memoryBytes: number; cuda: boolean } | undefined;
  /** DPO gets a gentler learning rate and a beta. */
  method?: TrainingMethod | undefined;
}

const BILLION = 1e9;

/**
 * Epochs follow the rule OpenAI published for chat fine-tuning: 3 by default, raised so a small set
 * is seen ~100 times in total, lowered so a large one is not seen more than ~25,000 times, 1..25.
 */
export function defaultEpochs(examples: number): number {
  if (examples * 3 < 100) return Math.min(25, Math.ceil(100 / examples));
  if (examples * 3 > 25_000) return Math.max(1, Math.floor(25_000 / examples));
  return 3;
}

function epochsWhy(examples: number, epochs: number): string {
  if (examples * 3 < 100)
    return `${examples} examples, so ${epochs} passes to see ~${Math.min(100, examples * epochs)} examples`;
  if (examples * 3 > 25_000)
    return `${examples} examples, so ${epochs} pass${epochs > 1 ? "es" : ""} to see at most ~25,000`;
  return `${examples} examples: the usual 3 passes`;
}

function formatParams(n: number): string {
  return n >= BILLION ? `${(n / BILLION).toFixed(1)}B` : `${Math.round(n / 1e6)}M`;
}

export function resolveHyperparameters(
  input: HyperparameterInput,
  examples: number,
  ctx: AutoContext = {},
): Hyperparameters {
  const explanations: string[] = [];
  const pick = <T>(name: string, given: T | undefined, auto: T, why: string): T => {
    explanations.push(
      given === undefined ? `${name}: ${auto} (auto: ${why})` : `${name}: ${given} (set by you)`,
    );
    return given ?? auto;
  };
  const params = ctx.baseParameters ?? null;
  const large = params !== null && params >= BILLION;
  const auto = defaultEpochs(examples);
  const epochs = pick("epochs", input.epochs, auto, epochsWhy(examples, auto));

  const gib = (ctx.machine?.memoryBytes ?? 16 * 2 ** 30) / 2 ** 30;
  const fit = ctx.machine?.cuda ? 8 : gib < 8 || large ? 2 : 4;
  const batchWhy = ctx.machine?.cuda
    ? "a GPU takes 8 examples per step"
    : `${fit} examples per step suit a CPU with ${Math.round(gib)} GiB${large ? " and a model this size" : ""}`;
  const batchSize = pick(
    "batch size",
    input.batchSize,
    Math.min(fit, examples),
    examples < fit ? `all ${examples} examples in one step` : batchWhy,
  );

  const dpo = ctx.method === "dpo";
  // DPO pushes two answers apart at every step: at the supervised rate its margins run away and
  // the answers degrade (measured on SmolLM2-135M); a fifth of it learns the preference steadily
  const autoRate = (params === null || large ? 2e-4 : 1e-3) / (dpo ? 5 : 1);
  const rateWhy = `${
    params === null
      ? "the base model's size is unknown, so the rate that is safe for large models"
      : `${formatParams(params)} parameters: ${large ? "large models need a gentle rate" : "small models learn well at a higher rate"}`
  }${dpo ? "; a fifth of the supervised rate, as preference tuning moves a model faster" : ""}`;
  let learningRate: number;
  if (input.learningRate === undefined && input.learningRateMultiplier !== undefined) {
    learningRate = autoRate * input.learningRateMultiplier;
    explanations.push(
      `learning rate: ${learningRate} (your multiplier ${input.learningRateMultiplier} × the auto rate ${autoRate}: ${rateWhy})`,
    );
  } else learningRate = pick("learning rate", input.learningRate, autoRate, rateWhy);
  const loraRank = pick(
    "LoRA rank",
    input.loraRank,
    large ? 16 : 8,
    large
      ? "the size of the trained add-on: more room for a large model"
      : "the size of the trained add-on: enough for tone and format",
  );
  const seed = pick("seed", input.seed, 42, "fixed, so a run can be repeated exactly");
  const beta = dpo
    ? pick(
        "beta",
        input.beta,
        0.1,
        "how far the model may move from where it started: 0.1 is the usual balance (higher stays closer, lower follows the pairs more)",
      )
    : undefined;
  return {
    epochs,
    learningRate,
    batchSize,
    loraRank,
    loraAlpha: 2 * loraRank,
    seed,
    ...(beta !== undefined ? { beta } : {}),
    explanations,
  };
}
