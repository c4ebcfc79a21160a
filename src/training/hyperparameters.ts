/** Hyperparameters a user may set; what is left out gets a default suited to the data. */
export interface HyperparameterInput {
  epochs?: number | undefined;
  learningRate?: number | undefined;
  batchSize?: number | undefined;
  loraRank?: number | undefined;
  seed?: number | undefined;
}

export interface Hyperparameters {
  epochs: number;
  learningRate: number;
  batchSize: number;
  loraRank: number;
  loraAlpha: number;
  seed: number;
  /** One line per value saying where it came from. */
  explanations: string[];
}

/**
 * Epochs follow the rule OpenAI published for chat fine-tuning: 3 by default, raised so a small set
 * is seen ~100 times in total, lowered so a large one is not seen more than ~25,000 times, 1..25.
 */
export function defaultEpochs(examples: number): number {
  if (examples * 3 < 100) return Math.min(25, Math.ceil(100 / examples));
  if (examples * 3 > 25_000) return Math.max(1, Math.floor(25_000 / examples));
  return 3;
}

export function resolveHyperparameters(
  input: HyperparameterInput,
  examples: number,
): Hyperparameters {
  const explanations: string[] = [];
  const pick = <T>(name: string, given: T | undefined, auto: T, why: string): T => {
    explanations.push(
      given === undefined ? `${name}: ${auto} (default: ${why})` : `${name}: ${given} (set by you)`,
    );
    return given ?? auto;
  };
  const epochs = pick(
    "epochs",
    input.epochs,
    defaultEpochs(examples),
    `${examples} examples, so the model sees about ${examples * defaultEpochs(examples)} in total`,
  );
  const batchSize = pick(
    "batch size",
    input.batchSize,
    Math.min(4, examples),
    "small batches fit a CPU",
  );
  const learningRate = pick(
    "learning rate",
    input.learningRate,
    1e-3,
    "suits LoRA on small models; use 1e-4 to 2e-4 for models of 1B parameters and more",
  );
  const loraRank = pick("LoRA rank", input.loraRank, 8, "enough for tone and format");
  const seed = pick("seed", input.seed, 42, "fixed, so runs repeat");
  return { epochs, learningRate, batchSize, loraRank, loraAlpha: 2 * loraRank, seed, explanations };
}
