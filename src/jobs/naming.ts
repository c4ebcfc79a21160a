/**
 * The name of the model a job made through the API: OpenAI's `ft:<base>:<suffix>:<id>`, where the
 * id is 8 characters of the job's (`ftjob-1a2b3c4d…` -> `1a2b3c4d`) and the suffix may be empty.
 */
export function fineTunedModelName(base: string, suffix: string, jobId: string): string {
  return `ft:${base}:${suffix}:${jobId.slice(6, 14)}`;
}

/** The suffix the caller gave in an `ft:<base>:<suffix>:<id>` name; null for none or another name. */
export function suffixOf(modelName: string): string | null {
  if (!modelName.startsWith("ft:")) return null;
  return modelName.split(":")[2] || null;
}
