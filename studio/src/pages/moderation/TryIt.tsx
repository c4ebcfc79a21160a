import { type FormEvent, useState } from "react";
import { words } from "../../api.ts";
import { ErrorBox, Hint, Loading } from "../../ui.tsx";
import {
  type ModerationResult,
  moderate,
  type PolicyDecision,
  type PolicyInput,
  type Stage,
  type TryResult,
  tryPolicy,
} from "./client.ts";
import { ACTION, CATEGORY, MODERATION_CATEGORIES, percent, ruleWords } from "./words.ts";

function Bar({ score, threshold }: { score: number; threshold?: number | undefined }) {
  return (
    <span className="score-track" aria-hidden="true">
      <span className="score-bar" style={{ width: `${(score * 100).toFixed(1)}%` }} />
      {threshold !== undefined && (
        <span className="score-threshold" style={{ left: `${(threshold * 100).toFixed(1)}%` }} />
      )}
    </span>
  );
}

const AS: Record<Stage, string> = {
  input: "As a question to the model",
  output: "As an answer from the model",
};

/** What the policy would do to the text on one side: the action, the rules that fired, the text passed on. */
function Decision({ d }: { d: PolicyDecision }) {
  return (
    <div className="decision" data-testid={`try-${d.stage}`}>
      <h3>{AS[d.stage]}</h3>
      <p>
        <span className={`action action-${d.action}`} data-testid="try-action">
          {ACTION[d.action]}
        </span>
        {d.action === "allowed" && " No check fired."}
      </p>
      {d.hits.length > 0 && (
        <ul className="scores hits" aria-label="Rules that fired" data-testid="try-hits">
          {d.hits.map((h) => (
            <li key={`${h.kind}:${h.rule}`} className="predicted">
              <span className="score-label">{ruleWords(h)}</span>
              {h.score !== undefined ? (
                <Bar score={h.score} threshold={h.threshold} />
              ) : (
                <span className="muted">found in the text</span>
              )}
              <span className="score-value">
                {h.score !== undefined
                  ? `${percent(h.score)}${h.threshold !== undefined ? ` ≥ ${percent(h.threshold)}` : ""}`
                  : ""}
              </span>
            </li>
          ))}
        </ul>
      )}
      <p className="muted small">
        {d.action === "blocked" ? "What people would see instead:" : "The text passed on:"}
      </p>
      <p className="passed-on" data-testid="try-text-after">
        {d.text}
      </p>
    </div>
  );
}

/**
 * Try the policy on screen (saved or not) on a sample text, as a question, an answer or both: what
 * it would do, which rules fired (category scores as bars against their thresholds), the text that
 * would be passed on, and every category's score from /v1/moderations. Nothing is logged.
 */
export function TryIt({ policy }: { policy: PolicyInput }) {
  const [text, setText] = useState("");
  const [stage, setStage] = useState<Stage | "both">("both");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<TryResult | null>(null);
  const [scores, setScores] = useState<ModerationResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [scoreError, setScoreError] = useState<unknown>(null);

  const run = async (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim() || busy) return;
    setBusy(true);
    setError(null);
    setScoreError(null);
    setResult(null);
    setScores(null);
    const [d, s] = await Promise.allSettled([tryPolicy(policy, text, stage), moderate(text)]);
    if (d.status === "fulfilled") setResult(d.value);
    else setError(d.reason);
    if (s.status === "fulfilled") setScores(s.value);
    else setScoreError(s.reason);
    setBusy(false);
  };

  const STAGES = [
    ["both", "both"],
    ["input", "a question"],
    ["output", "an answer"],
  ] as const;
  return (
    <section className="try" aria-labelledby="h-try">
      <h2 id="h-try">Try it</h2>
      <Hint>
        Paste a sample and see what this policy, as it is on screen now (saved or not), would do
        with it. Trying records no flag.
      </Hint>
      <form onSubmit={(e) => void run(e)}>
        <div className="field wide">
          <label htmlFor="try-text">Sample text</label>
          <textarea
            id="try-text"
            rows={4}
            value={text}
            maxLength={100_000}
            placeholder="e.g. My e-mail is ana@example.com, can you call me?"
            onChange={(e) => setText(e.target.value)}
          />
        </div>
        <fieldset className="mode">
          <legend>Check it as</legend>
          {STAGES.map(([value, label]) => (
            <label key={value}>
              <input
                type="radio"
                name="try-stage"
                checked={stage === value}
                onChange={() => setStage(value)}
              />{" "}
              {label}
            </label>
          ))}
        </fieldset>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !text.trim()}>
            {busy ? "Checking…" : "Try it"}
          </button>
        </div>
      </form>
      {busy && <Loading what="Checking the text…" />}
      {error !== null && <ErrorBox error={error} />}
      {result && (
        <div data-testid="try-result">
          {result.mode === "flag_only" && (
            <Hint>This policy only flags: it would pass the text on unchanged.</Hint>
          )}
          {result.decisions.map((d) => (
            <Decision key={d.stage} d={d} />
          ))}
        </div>
      )}
      {scoreError !== null && (
        <div className="state warn" role="alert">
          The category scores are not available: {words(scoreError)}
        </div>
      )}
      {scores && (
        <div className="raw-scores">
          <h3>Every category's score</h3>
          <Hint>
            From Tailor's moderation model (<code>POST /v1/moderations</code>), whatever the policy
            checks; the kinds it flags on its own are in bold.
          </Hint>
          <ul className="scores" data-testid="category-scores">
            {MODERATION_CATEGORIES.map((c) => (
              <li key={c} className={scores.categories[c] ? "predicted" : ""}>
                <span className="score-label" title={CATEGORY[c]}>
                  {c}
                </span>
                <Bar score={scores.category_scores[c]} />
                <span className="score-value">{percent(scores.category_scores[c])}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
