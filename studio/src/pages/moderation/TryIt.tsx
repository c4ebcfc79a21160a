import { type FormEvent, useState } from "react";
import { words } from "../../api.ts";
import { ErrorBox, Hint, Loading } from "../../ui.tsx";
import {
  type ModerationResult,
  moderate,
  type PolicyDecision,
  type PolicyInput,
  type Stage,
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

/**
 * Try the policy on screen (saved or not) on a sample text, as a question or as an answer: what it
 * would do, which rules fired (category scores as bars against their thresholds), the text that
 * would be passed on, and every category's score from /v1/moderations. Nothing is logged.
 */
export function TryIt({ policy }: { policy: PolicyInput }) {
  const [text, setText] = useState("");
  const [stage, setStage] = useState<Stage>("input");
  const [busy, setBusy] = useState(false);
  const [decision, setDecision] = useState<PolicyDecision | null>(null);
  const [scores, setScores] = useState<ModerationResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [scoreError, setScoreError] = useState<unknown>(null);

  const run = async (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim() || busy) return;
    setBusy(true);
    setError(null);
    setScoreError(null);
    setDecision(null);
    setScores(null);
    const [d, s] = await Promise.allSettled([tryPolicy(policy, text, stage), moderate(text)]);
    if (d.status === "fulfilled") setDecision(d.value.decision);
    else setError(d.reason);
    if (s.status === "fulfilled") setScores(s.value);
    else setScoreError(s.reason);
    setBusy(false);
  };

  return (
    <section className="try" aria-labelledby="h-try">
      <h2 id="h-try">Try it</h2>
      <Hint>
        Paste a sample and see what this policy, as it is on screen now, would do with it. Trying
        changes nothing and records no flag.
      </Hint>
      <form onSubmit={(e) => void run(e)}>
        <div className="field wide">
          <label htmlFor="try-text">Sample text</label>
          <textarea
            id="try-text"
            rows={4}
            value={text}
            placeholder="e.g. My e-mail is ana@example.com, can you call me?"
            onChange={(e) => setText(e.target.value)}
          />
        </div>
        <fieldset className="mode">
          <legend>Check it as</legend>
          <label>
            <input
              type="radio"
              name="try-stage"
              checked={stage === "input"}
              onChange={() => setStage("input")}
            />{" "}
            a question to the model
          </label>
          <label>
            <input
              type="radio"
              name="try-stage"
              checked={stage === "output"}
              onChange={() => setStage("output")}
            />{" "}
            an answer from the model
          </label>
        </fieldset>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !text.trim()}>
            {busy ? "Checking…" : "Try it"}
          </button>
        </div>
      </form>
      {busy && <Loading what="Checking the text…" />}
      {error !== null && <ErrorBox error={error} />}
      {decision && (
        <div className="decision" data-testid="try-result">
          <p className={`verdict action-${decision.action}`}>
            <span className={`action action-${decision.action}`} data-testid="try-action">
              {ACTION[decision.action]}
            </span>
            {decision.action === "allowed" && " No check fired."}
          </p>
          {decision.hits.length > 0 && (
            <>
              <h3>Rules that fired</h3>
              <ul className="scores hits" data-testid="try-hits">
                {decision.hits.map((h) => (
                  <li key={`${h.kind}:${h.rule}`} className="predicted">
                    <span className="score-label">{ruleWords(h)}</span>
                    {h.score !== undefined ? (
                      <Bar score={h.score} threshold={h.threshold} />
                    ) : (
                      <span className="muted">found in the text</span>
                    )}
                    <span className="score-value">
                      {h.score !== undefined ? percent(h.score) : ""}
                    </span>
                  </li>
                ))}
              </ul>
            </>
          )}
          <h3>
            {decision.action === "blocked" ? "What people would see instead" : "The text passed on"}
          </h3>
          <p className="passed-on" data-testid="try-text-after">
            {decision.text}
          </p>
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
            From Tailor's moderation model (<code>POST /v1/moderations</code>), before any policy:
            the kinds it would flag on its own are in bold.
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
