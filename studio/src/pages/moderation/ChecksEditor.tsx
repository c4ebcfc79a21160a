import { useState } from "react";
import type { ModerationCategory } from "../../../../protocol/moderation.ts";
import { Hint } from "../../ui.tsx";
import type { PolicyChecks } from "./client.ts";
import { patternProblem, usePatternChecker } from "./patterns.ts";
import { CATEGORY, DEFAULT_THRESHOLD, GROUP, GROUPS, sensitivityOf, thresholdOf } from "./words.ts";

const PII = [
  { value: "allow", label: "Leave it as it is" },
  { value: "redact", label: "Hide it: replace each with a tag such as [EMAIL]" },
  { value: "block", label: "Block the whole text" },
] as const;

/**
 * What one side of a model is checked for: categories (each with a sensitivity), blocked words,
 * patterns (each checked as it is typed) and personal data. `id` keeps the controls' ids apart when
 * both sides are shown; `errors` are the server's, keyed by the field under this side
 * ("patterns.1").
 */
export function ChecksEditor({
  id,
  value,
  onChange,
  errors,
}: {
  id: string;
  value: PolicyChecks;
  onChange: (v: PolicyChecks) => void;
  errors: Record<string, string>;
}) {
  // the words as typed (a trailing new line included); the policy keeps the non-empty lines
  const [terms, setTerms] = useState(value.blocked_terms.join("\n"));
  usePatternChecker();
  const set = (patch: Partial<PolicyChecks>) => onChange({ ...value, ...patch });
  const setCategory = (c: ModerationCategory, threshold: number | null) => {
    const categories = { ...value.categories };
    if (threshold === null) delete categories[c];
    else categories[c] = threshold;
    set({ categories });
  };
  const termsError = Object.entries(errors).find(([k]) => k.startsWith("blocked_terms."))?.[1];

  return (
    <div className="checks">
      <h4>Kinds of harmful content</h4>
      <Hint>
        Tailor's moderation model scores each text from 0 to 1 per kind. Tick the kinds to catch; a
        higher sensitivity catches more, and also flags more harmless text.
      </Hint>
      <div className="category-groups">
        {GROUPS.map(({ group, categories }) => (
          <fieldset key={group} className="category-group">
            <legend>{GROUP[group]}</legend>
            {categories.map((c) => {
              const threshold = value.categories[c];
              const on = threshold !== undefined;
              const cid = `${id}-cat-${c.replace("/", "-")}`;
              return (
                <div key={c} className={on ? "category on" : "category"}>
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={on}
                      onChange={(e) => setCategory(c, e.target.checked ? DEFAULT_THRESHOLD : null)}
                    />
                    {CATEGORY[c]}
                  </label>
                  {on && (
                    <div className="sensitivity">
                      <label htmlFor={cid} className="sr-only">
                        Sensitivity for {CATEGORY[c].toLowerCase()}
                      </label>
                      <span aria-hidden="true">low</span>
                      <input
                        id={cid}
                        type="range"
                        min={5}
                        max={95}
                        step={5}
                        value={sensitivityOf(threshold)}
                        aria-valuetext={`sensitivity ${sensitivityOf(threshold)} of 100: fires from a score of ${threshold.toFixed(2)}`}
                        onChange={(e) => setCategory(c, thresholdOf(Number(e.target.value)))}
                      />
                      <span aria-hidden="true">high</span>
                      <output htmlFor={cid} className="muted">
                        fires from a score of {threshold.toFixed(2)}
                      </output>
                    </div>
                  )}
                </div>
              );
            })}
          </fieldset>
        ))}
      </div>

      <div className="field wide">
        <label htmlFor={`${id}-terms`}>Blocked words and phrases, one per line</label>
        <textarea
          id={`${id}-terms`}
          rows={4}
          value={terms}
          placeholder={"e.g. competitor name\ninternal project code"}
          aria-describedby={`${id}-terms-help`}
          aria-invalid={termsError ? true : undefined}
          onChange={(e) => {
            setTerms(e.target.value);
            set({
              blocked_terms: e.target.value
                .split("\n")
                .map((t) => t.trim())
                .filter(Boolean),
            });
          }}
        />
        <Hint id={`${id}-terms-help`}>
          Each fires when it appears as a whole word, in capitals or not.
        </Hint>
        {termsError && <p className="error-text">{termsError}</p>}
      </div>

      <fieldset className="patterns">
        <legend>Patterns (for people who know regular expressions)</legend>
        <Hint>
          A pattern fires when it matches anywhere in the text, ignoring case, e.g.{" "}
          <code>order\s*#?\d{"{6}"}</code> for order numbers. They use RE2's syntax, which never
          slows the server down.
        </Hint>
        {value.patterns.map((p, i) => {
          const problem = patternProblem(p) ?? errors[`patterns.${i}`] ?? null;
          const pid = `${id}-pattern-${i}`;
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: a pattern's place is its identity while it is typed
            <div key={i} className="pattern">
              <label htmlFor={pid} className="sr-only">
                Pattern {i + 1}
              </label>
              <input
                id={pid}
                value={p}
                spellCheck={false}
                aria-invalid={problem ? true : undefined}
                aria-describedby={problem ? `${pid}-error` : undefined}
                onChange={(e) =>
                  set({ patterns: value.patterns.map((q, j) => (j === i ? e.target.value : q)) })
                }
              />
              <button
                type="button"
                className="link"
                aria-label={`Remove pattern ${i + 1}`}
                onClick={() => set({ patterns: value.patterns.filter((_, j) => j !== i) })}
              >
                Remove
              </button>
              {problem && (
                <p className="error-text" id={`${pid}-error`}>
                  This pattern cannot be used: {problem}
                </p>
              )}
            </div>
          );
        })}
        <button
          type="button"
          className="secondary"
          onClick={() => set({ patterns: [...value.patterns, ""] })}
        >
          Add a pattern
        </button>
      </fieldset>

      <fieldset className="mode">
        <legend>Personal data (e-mail addresses, phone numbers, card numbers, names…)</legend>
        {PII.map((o) => (
          <label key={o.value}>
            <input
              type="radio"
              name={`${id}-pii`}
              checked={value.personal_data === o.value}
              onChange={() => set({ personal_data: o.value })}
            />{" "}
            {o.label}
          </label>
        ))}
      </fieldset>
    </div>
  );
}
