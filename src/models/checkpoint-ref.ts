/**
 * A checkpoint used as a model. One syntax with two spellings of the step, both accepted everywhere:
 * `<job id or model name>:ckpt-step-N` (OpenAI's, which the API writes) or `…:step-N` (which the CLI
 * writes); or a checkpoint's own id, `ftckpt-…`.
 */
export type CheckpointRef =
  | {
      kind: "step" /** A job id (`ftjob-…`) or the name of the model the job makes. */;
      of: string;
      step: number;
    }
  | { kind: "id"; id: string };

const STEP = /^(.+):(?:ckpt-)?step-(\d+)$/;
const ID = /^ftckpt-[0-9a-f]+$/;

/** The checkpoint `ref` names, or null when it names none (a model name, a folder, …). */
export function parseCheckpointRef(ref: string): CheckpointRef | null {
  if (ID.test(ref)) return { kind: "id", id: ref };
  const m = STEP.exec(ref);
  return m ? { kind: "step", of: m[1] as string, step: Number(m[2]) } : null;
}
