import { useEffect, useState } from "react";
import { api, type Job, type Plan } from "../api.ts";
import type { Flow } from "../flow.ts";
import { duration, Empty, ErrorBox, GLOSSARY, Hint, Loading } from "../ui.tsx";
import type { PageProps } from "./types.ts";

type Advanced = NonNullable<Flow["advanced"]>;

const FIELDS: { key: keyof Advanced; label: string; help: string; step: string; min: number }[] = [
  { key: "n_epochs", label: "Epochs", help: GLOSSARY.epoch, step: "1", min: 1 },
  {
    key: "learning_rate",
    label: "Learning rate",
    help: GLOSSARY.learning_rate,
    step: "any",
    min: 0,
  },
  { key: "batch_size", label: "Batch size", help: GLOSSARY.batch_size, step: "1", min: 1 },
  { key: "lora_rank", label: "LoRA rank", help: GLOSSARY.lora_rank, step: "1", min: 1 },
];

/** The glossary line for a server explanation ("epochs: 9 (auto: …)"). */
function meaning(line: string): string | null {
  const name = line.split(":")[0] ?? "";
  const map: Record<string, string> = {
    epochs: GLOSSARY.epoch,
    "learning rate": GLOSSARY.learning_rate,
    "batch size": GLOSSARY.batch_size,
    "LoRA rank": GLOSSARY.lora_rank,
    validation: GLOSSARY.validation,
    evaluation: GLOSSARY.validation_loss,
    "overfitting guard":
      "Overfitting is learning the examples by heart instead of the way they answer; the guard stops training when that starts.",
    checkpoints: GLOSSARY.checkpoint,
    seed: "The seed fixes the random choices, so training again gives the same model.",
  };
  return Object.entries(map).find(([k]) => name.startsWith(k))?.[1] ?? null;
}

export function Settings({ flow, update, go }: PageProps) {
  const [plan, setPlan] = useState<Plan | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  const hp = flow.advanced;

  useEffect(() => {
    if (!flow.fileId || !flow.base) return;
    const ctl = new AbortController();
    setError(null);
    api<Plan>("/v1/fine_tuning/plan", {
      body: {
        model: flow.base,
        training_file: flow.fileId,
        ...(hp ? { hyperparameters: hp } : {}),
      },
      signal: ctl.signal,
    })
      .then(setPlan)
      .catch((e: unknown) => {
        if (!ctl.signal.aborted) setError(e);
      });
    return () => ctl.abort();
  }, [flow.fileId, flow.base, hp]);

  if (!flow.fileId || !flow.base)
    return (
      <section>
        <h1>3. Settings</h1>
        <Empty title="Choose your examples and a base model first">
          <button
            type="button"
            className="link"
            onClick={() => go(flow.fileId ? "/base" : "/examples")}
          >
            Go to {flow.fileId ? "base model" : "examples"}
          </button>
        </Empty>
      </section>
    );

  const start = async () => {
    setStarting(true);
    setError(null);
    try {
      const job = await api<Job>("/v1/fine_tuning/jobs", {
        body: {
          model: flow.base,
          training_file: flow.fileId,
          ...(flow.suffix ? { suffix: flow.suffix } : {}),
          ...(hp ? { hyperparameters: hp } : {}),
        },
      });
      update({ jobId: job.id, model: job.fine_tuned_model, notice: null });
      go("/training");
    } catch (e) {
      setError(e);
      setStarting(false);
    }
  };

  const setMode = (advanced: boolean) => {
    if (!advanced) return update({ advanced: null });
    const p = plan?.hyperparameters;
    update({
      advanced: {
        n_epochs: p?.n_epochs ?? 3,
        learning_rate: p?.learning_rate ?? 0.001,
        batch_size: p?.batch_size ?? 4,
        lora_rank: p?.lora_rank ?? 8,
      },
    });
  };

  return (
    <section aria-labelledby="h-settings">
      <h1 id="h-settings">3. Settings</h1>
      <p className="lead">
        Training <strong>{flow.base}</strong> on <strong>{flow.fileName ?? flow.fileId}</strong>.
        Automatic settings suit most cases: each is chosen from your examples, the model and this
        computer, and explained below.
      </p>
      <fieldset className="mode">
        <legend>How to choose the settings</legend>
        <label>
          <input type="radio" name="mode" checked={!hp} onChange={() => setMode(false)} /> Automatic
          (recommended)
        </label>
        <label>
          <input type="radio" name="mode" checked={!!hp} onChange={() => setMode(true)} /> Advanced:
          set them yourself
        </label>
      </fieldset>

      {hp && (
        <div className="advanced">
          {FIELDS.map((f) => (
            <div key={f.key} className="field">
              <label htmlFor={`hp-${f.key}`}>{f.label}</label>
              <input
                id={`hp-${f.key}`}
                type="number"
                min={f.min}
                step={f.step}
                value={hp[f.key]}
                aria-describedby={`hp-${f.key}-help`}
                onChange={(e) => {
                  const v = Number(e.target.value);
                  if (Number.isFinite(v) && v > 0) update({ advanced: { ...hp, [f.key]: v } });
                }}
              />
              <Hint id={`hp-${f.key}-help`}>{f.help}</Hint>
            </div>
          ))}
        </div>
      )}

      <div className="field">
        <label htmlFor="suffix">A name for your model (optional)</label>
        <input
          id="suffix"
          value={flow.suffix}
          maxLength={40}
          pattern="[A-Za-z0-9._\-]*"
          placeholder="e.g. support-replies"
          aria-describedby="suffix-help"
          onChange={(e) => update({ suffix: e.target.value })}
        />
        <Hint id="suffix-help">
          Letters, digits, dots, dashes; it becomes part of the model's name.
        </Hint>
      </div>

      <h2>What training will do</h2>
      {error !== null && <ErrorBox error={error} />}
      {!plan && error === null && <Loading what="Working out the settings…" />}
      {plan && (
        <>
          <p className="verdict good">
            About <strong>{duration(plan.estimated_seconds)}</strong> on this computer, training on{" "}
            {plan.train_examples} examples
            {plan.validation.examples
              ? ` and checking on ${plan.validation.examples} held back`
              : ""}
            .
          </p>
          <ul className="explained" data-testid="explanations">
            {plan.explanations.map((line) => (
              <li key={line}>
                <span>{line}</span>
                {meaning(line) && <span className="hint">{meaning(line)}</span>}
              </li>
            ))}
          </ul>
          {plan.errors.length > 0 && (
            <ErrorBox
              error={new Error(plan.errors.map((e) => `line ${e.line}: ${e.message}`).join("; "))}
            />
          )}
        </>
      )}
      <div className="actions">
        <button type="button" className="secondary" onClick={() => go("/base")}>
          Back
        </button>
        <button
          type="button"
          className="primary"
          disabled={starting || !plan || plan.errors.length > 0}
          onClick={() => void start()}
        >
          {starting ? "Starting…" : "Start training"}
        </button>
      </div>
    </section>
  );
}
