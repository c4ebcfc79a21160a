import type { FileStatus } from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";
import type { ModelRegistry } from "../models/index.ts";
import type { HyperparameterInput } from "../training/index.ts";
import { type CreateJobOptions, createJob } from "./create.ts";
import { fineTunedModelName } from "./naming.ts";
import { trainingStart } from "./parent.ts";
import type { FineTunePlan } from "./plan.ts";
import type { PlanCache } from "./plan-cache.ts";
import type { JobServices } from "./services.ts";
import type { Job } from "./types.ts";

/** An uploaded file as a job needs it (the files domain's `StoredFile` is one). */
export interface UploadedFile {
  id: string;
  filename: string;
  purpose: string;
  status: FileStatus;
  status_details: string | null;
  /** The dataset version its examples were stored as; null when they had errors. */
  dataset_id: string | null;
}

/** Where uploaded files are found: `owner` undefined for everyone's, else only that owner's. */
export interface UploadedFiles {
  find(id: string, owner?: string | null): UploadedFile | null;
}

/** Which uploaded files a caller may use: `scope` undefined for everyone's (an admin). */
interface FileAccess {
  files: UploadedFiles;
  scope: string | undefined;
}

/** The jobs domain's services and the uploaded files (the composition root's services are these). */
export interface FileJobServices extends JobServices {
  files: UploadedFiles;
}

function uploaded(access: FileAccess, id: string, field: string): UploadedFile {
  const f = access.files.find(id, access.scope);
  if (!f)
    throw new TailorError({ code: "not_found", message: `no file ${id}`, details: { field } });
  return f;
}

function trainingData(access: FileAccess, id: string, field: string): UploadedFile {
  const f = uploaded(access, id, field);
  if (f.purpose !== "fine-tune")
    throw new TailorError({
      code: "data_invalid", // well-formed, but the file is not training data
      message: `${id} was uploaded with purpose ${f.purpose}; upload it with purpose=fine-tune`,
      details: { field },
    });
  return f;
}

export interface JobFromFilesOptions
  extends Omit<
    CreateJobOptions,
    "base" | "data" | "val" | "name" | "nameFor" | "dataError" | "files"
  > {
  /** Whose files may be used: undefined for everyone's (an admin). */
  scope: string | undefined;
  /** A base model known here, or a fine-tuned model the caller may use (training continues from it). */
  model: string;
  /** Whether the caller may use fine-tuned model `name` (absent: only base models are accepted). */
  mayUse?: ((name: string) => boolean) | undefined;
  trainingFile: string;
  validationFile?: string | null | undefined;
  /** The model is named `ft:<model>:<suffix>:<id>`. */
  suffix?: string | null | undefined;
}

/**
 * A model a job may start from through the API: a base model, or a fine-tuned one the caller may use;
 * any other fine-tuned model (and, for a job, any name not registered here) answers as if it did not
 * exist.
 */
function startingModel(
  models: ModelRegistry,
  model: string,
  mayUse: ((name: string) => boolean) | undefined,
  registeredOnly: boolean,
): void {
  const entry = models.get(model);
  if (entry ? entry.kind !== "base" && !mayUse?.(model) : registeredOnly)
    throw new TailorError({
      code: "model_not_found",
      message: `'${model}' is not a base model here, nor a fine-tuned model of yours; GET /v1/models lists those you can fine-tune (a fine-tuned one is trained further)`,
      details: { field: "model" },
    });
}

/**
 * The API's way to create a job: on uploaded fine-tune files, from a base model or a fine-tuned one
 * (which training continues from), named `ft:<base>:<suffix>:<id>` after the base model. A file
 * whose examples had errors still makes a job, which fails in `validating_files` with them (as
 * OpenAI's does).
 */
export async function createJobFromFiles(
  svc: FileJobServices,
  opts: JobFromFilesOptions,
): Promise<Job> {
  const { scope, model, mayUse, trainingFile, validationFile, suffix, ...rest } = opts;
  const access = { files: svc.files, scope };
  const train = trainingData(access, trainingFile, "training_file");
  const val = validationFile ? trainingData(access, validationFile, "validation_file") : null;
  startingModel(svc.models, model, mayUse, true);
  const { base } = trainingStart(svc.models, model, rest.method);
  const bad = [train, val].find((f) => f?.status === "error");
  return createJob(svc, {
    ...rest,
    base: model,
    data: train.dataset_id ?? train.id,
    val: val ? (val.dataset_id ?? val.id) : undefined,
    nameFor: (id) => fineTunedModelName(base.name, suffix ?? "", id),
    dataError: bad
      ? `${bad.id} (${bad.filename}) did not pass the data check: ${bad.status_details}`
      : undefined,
    files: { training: train.id, validation: val?.id ?? null },
  });
}

/** The dataset version an uploaded file's examples were stored as; refused if they had errors. */
function datasetOf(access: FileAccess, id: string, field: string): string {
  const f = uploaded(access, id, field);
  if (!f.dataset_id)
    throw new TailorError({
      code: "data_invalid",
      message: `${f.filename} has errors (${f.status_details ?? "see its report"}); fix them first`,
      details: { field },
    });
  return f.dataset_id;
}

export interface PlanFromFilesOptions extends HyperparameterInput {
  /** Whose files may be used: undefined for everyone's (an admin). */
  scope: string | undefined;
  model: string;
  /** As for `createJobFromFiles`. */
  mayUse?: ((name: string) => boolean) | undefined;
  trainingFile: string;
  validationFile?: string | null | undefined;
}

/** What a job on uploaded files would use and cost (see `PlanCache`); creates nothing. */
export async function planFromFiles(
  plans: PlanCache,
  files: UploadedFiles,
  opts: PlanFromFilesOptions,
): Promise<FineTunePlan> {
  const { scope, model, mayUse, trainingFile, validationFile, ...rest } = opts;
  startingModel(plans.models, model, mayUse, false);
  const access = { files, scope };
  const data = datasetOf(access, trainingFile, "training_file");
  const val = validationFile ? datasetOf(access, validationFile, "validation_file") : undefined;
  return plans.plan({ ...rest, base: model, data, val });
}
