import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EngineMessage, EngineMessageOf } from "../../protocol/index.ts";
import { DATASET_ID, DatasetStore, loadExamples, toChatJsonl } from "../datasets/index.ts";
import { engineFailure, runEngine } from "../engine/index.ts";
import { TailorError } from "../errors/index.ts";
import { ModelName, ModelRegistry, tailorHome } from "../models/index.ts";
import {
  type HyperparameterInput,
  type Hyperparameters,
  resolveHyperparameters,
} from "./hyperparameters.ts";

export interface TrainOptions extends HyperparameterInput {
  base: string;
  /** A JSONL/CSV file, or a stored dataset id (ds-…). */
  data: string;
  val?: string | undefined;
  name?: string | undefined;
  home?: string;
  signal?: AbortSignal;
  onLog?: (line: string) => void;
}

export interface TrainPlan {
  name: string;
  baseName: string;
  examples: number;
  valExamples: number;
  hyperparameters: Hyperparameters;
  runDir: string;
}

function defaultName(base: string): string {
  const stem =
    base
      .split(/[\\/]/)
      .pop()
      ?.replace(/[^A-Za-z0-9._-]/g, "-")
      .replace(/^[^A-Za-z0-9]+/, "") || "model";
  const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${stem.slice(0, 40)}-ft-${stamp}`;
}

/**
 * Checks everything that can be checked before the engine starts (names, base, data), so that bad
 * input fails in a second with a clear message rather than after loading a model.
 */
export async function planTraining(
  opts: TrainOptions,
): Promise<TrainPlan & { run: () => AsyncGenerator<EngineMessage> }> {
  const home = opts.home ?? tailorHome();
  const registry = new ModelRegistry(home);
  const name = opts.name ?? defaultName(opts.base);
  const nameCheck = ModelName.safeParse(name);
  if (!nameCheck.success) {
    throw new TailorError({
      code: "invalid_argument",
      message: `model name '${name}': ${nameCheck.error.issues[0]?.message}`,
      details: { field: "name" },
    });
  }
  if (registry.exists(name)) {
    throw new TailorError({
      code: "model_exists",
      message: `a model named '${name}' already exists; pick another --name or delete it first`,
    });
  }
  const base = registry.resolveBase(opts.base);
  const data = await resolveData(opts, home);
  const hp = resolveHyperparameters(opts, data.trainCount);
  const runDir = join(home, "runs", `${name}-${randomBytes(3).toString("hex")}`);
  const plan: TrainPlan = {
    name,
    baseName: base.name,
    examples: data.trainCount,
    valExamples: data.valCount,
    hyperparameters: hp,
    runDir,
  };

  async function* run(): AsyncGenerator<EngineMessage> {
    mkdirSync(runDir, { recursive: true });
    const { trainFile, valFile } = data.materialize(runDir);
    mkdirSync(registry.dir, { recursive: true });
    const outTmp = join(registry.dir, `.tmp-${name}-${randomBytes(4).toString("hex")}`);
    let completed: EngineMessageOf<"completed"> | undefined;
    try {
      for await (const msg of runEngine(
        "train",
        {
          base: base.source,
          train_file: trainFile,
          ...(valFile ? { val_file: valFile } : {}),
          out_dir: outTmp,
          checkpoint_dir: join(runDir, "checkpoints"),
          model_name: name,
          epochs: hp.epochs,
          learning_rate: hp.learningRate,
          batch_size: hp.batchSize,
          lora_rank: hp.loraRank,
          lora_alpha: hp.loraAlpha,
          seed: hp.seed,
        },
        {
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.onLog ? { onLog: opts.onLog } : {}),
        },
      )) {
        if (msg.type === "failed") throw engineFailure(msg);
        if (msg.type === "completed") {
          completed = msg;
          break;
        }
        yield msg;
      }
      if (!completed)
        throw new TailorError({
          code: "engine_crashed",
          message: "training ended without a result",
        });
      registry.writeManifest(outTmp, {
        kind: "fine_tuned",
        name,
        created_at: Math.floor(Date.now() / 1000),
        base,
        training: {
          train_file: opts.data,
          ...(data.valLabel ? { val_file: data.valLabel } : {}),
          train_examples: data.trainCount,
          epochs: hp.epochs,
          learning_rate: hp.learningRate,
          batch_size: hp.batchSize,
          lora_rank: hp.loraRank,
          lora_alpha: hp.loraAlpha,
          seed: hp.seed,
          steps: completed.steps,
          first_train_loss: completed.first_train_loss,
          final_train_loss: completed.final_train_loss,
          train_seconds: completed.train_seconds,
        },
      });
      renameSync(outTmp, registry.modelDir(name)); // the model appears whole or not at all
      yield { ...completed, path: registry.modelDir(name) };
    } finally {
      rmSync(outTmp, { recursive: true, force: true });
    }
  }

  return { ...plan, run };
}

interface ResolvedData {
  trainCount: number;
  valCount: number;
  valLabel: string | undefined;
  /** The chat JSONL files the engine reads. */
  materialize: (runDir: string) => { trainFile: string; valFile: string | undefined };
}

/**
 * A stored dataset is read in place (no copy, so deleting it really deletes its bytes); a file is
 * validated and written into the run folder in the engine's format.
 */
async function resolveData(opts: TrainOptions, home: string): Promise<ResolvedData> {
  const val = opts.val ? await loadExamples(opts.val) : null;
  if (DATASET_ID.test(opts.data)) {
    const store = new DatasetStore(home);
    try {
      const version = store.get(opts.data);
      const files = store.files(opts.data);
      const useStoredVal = !val && files.val !== null;
      return {
        trainCount: version.train_examples,
        valCount: val ? val.length : version.val_examples,
        valLabel: opts.val ?? (useStoredVal ? `${opts.data} (validation split)` : undefined),
        materialize: (runDir) => {
          const valFile = val ? join(runDir, "val.jsonl") : (files.val ?? undefined);
          if (val && valFile) writeFileSync(valFile, toChatJsonl(val));
          return { trainFile: files.train, valFile };
        },
      };
    } finally {
      store.close();
    }
  }
  const train = await loadExamples(opts.data);
  return {
    trainCount: train.length,
    valCount: val?.length ?? 0,
    valLabel: opts.val,
    materialize: (runDir) => {
      const trainFile = join(runDir, "train.jsonl");
      writeFileSync(trainFile, toChatJsonl(train));
      const valFile = val ? join(runDir, "val.jsonl") : undefined;
      if (val && valFile) writeFileSync(valFile, toChatJsonl(val));
      return { trainFile, valFile };
    },
  };
}
