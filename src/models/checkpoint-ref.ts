/**
 * A checkpoint used as a model. One syntax with two spellings of the step, both accepted everywhere:
 * `<model name or job id>:ckpt-step-N` (OpenAI's, which the API writes) or `…:step-N` (which the CLI
 * writes); or a checkpoint's own id, `ftckpt-…`.
 */
export type CheckpointRef =
  | { kind: "model"; model: string; step: number }
  | { kind: "job"; job: string; step: number }
  | { kind: "id"; id: string };

const STEP = /^(.+):(?:ckpt-)?step-(\d+)$/;
const JOB_ID = /^ftjob-[0-9a-f]+$/;
const ID = /^ftckpt-[0-9a-f]+$/;

/** The checkpoint `ref` names, or null when it names none (a model name, a folder, …). */
export function parseCheckpointRef(ref: string): CheckpointRef | null {
  if (ID.test(ref)) return { kind: "id", id: ref };
  const m = STEP.exec(ref);
  if (!m) return null;
  const [of, step] = [m[1] as string, Number(m[2])];
  return JOB_ID.test(of) ? { kind: "job", job: of, step } : { kind: "model", model: of, step };
}
