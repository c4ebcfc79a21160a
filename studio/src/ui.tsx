import type { ReactNode } from "react";
import { words } from "./api.ts";

/** Every term a user may not know, explained in one sentence beside it. */
export const GLOSSARY = {
  example: "An example is one question and the answer you want, like a row in your spreadsheet.",
  token: "Models read text in tokens: pieces of words. 100 tokens are about 75 English words.",
  parameters:
    "Parameters are the numbers a model learned. More of them usually means better answers, but slower training and replies.",
  epoch:
    "An epoch is one pass through all your examples; more passes teach more, but too many make the model repeat them word for word.",
  learning_rate:
    "The learning rate is how big a change the model makes each time it corrects itself: too small learns slowly, too big forgets what it knew.",
  batch_size:
    "The batch size is how many examples the model reads before each correction. Larger is steadier but needs more memory.",
  lora_rank:
    "Tailor trains a small add-on (LoRA) instead of the whole model. The rank is the add-on's size: larger can learn more, but trains slower.",
  loss: "Loss measures how far the model's answers are from yours: lower is better.",
  validation_loss:
    "Validation loss is the loss on examples held back from training. If it rises while training loss falls, the model is memorising instead of learning.",
  validation:
    "Validation examples are a few of yours set aside, never trained on, to check the model on answers it has not seen.",
  temperature:
    "Temperature is how adventurous the answers are: 0 always gives the most likely answer, higher gives more varied ones.",
  top_p:
    "Top-p keeps only the most likely words that together make up this share of the chances (1 keeps all).",
  top_k: "Top-k picks each next word from only the k most likely ones (0 means no limit).",
  max_tokens: "The longest answer, in tokens (about ¾ of a word each).",
  system_prompt:
    "The system prompt is an instruction the model reads before every message, like a briefing.",
  checkpoint: "A checkpoint is a saved copy of the model partway through training.",
} as const;

export function Hint({ children, id }: { children: ReactNode; id?: string }) {
  return (
    <p className="hint" id={id}>
      {children}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <div className="state loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {what}
    </div>
  );
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="state error" role="alert">
      <strong>That did not work.</strong> {words(error)}
      {retry && (
        <button type="button" className="link" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state empty">
      <strong>{title}</strong>
      {children && <div>{children}</div>}
    </div>
  );
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "unknown";
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} seconds`;
  if (seconds < 3600) {
    const m = Math.round(seconds / 60);
    return `${m} minute${m === 1 ? "" : "s"}`;
  }
  const h = seconds / 3600;
  return `${h.toFixed(h < 10 ? 1 : 0)} hours`;
}

export function size(parameters: number | null): string {
  if (parameters === null) return "size unknown";
  if (parameters >= 1e9) return `${(parameters / 1e9).toFixed(1)} billion parameters`;
  if (parameters >= 1e6) return `${Math.round(parameters / 1e6)} million parameters`;
  return `${Math.round(parameters / 1e3)} thousand parameters`;
}

export const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
