import { type FormEvent, useState } from "react";
import { ApiError, words } from "../../api.ts";
import { ErrorBox, Hint } from "../../ui.tsx";
import { ChecksEditor } from "./ChecksEditor.tsx";
import {
  createPolicy,
  type Policy,
  type PolicyChecks,
  type PolicyInput,
  updatePolicy,
} from "./client.ts";
import { patternProblem } from "./patterns.ts";

const NO_CHECKS: PolicyChecks = {
  categories: {},
  blocked_terms: [],
  patterns: [],
  personal_data: "allow",
};
export const NEW_POLICY: PolicyInput = {
  name: "",
  description: "",
  mode: "enforce",
  input: NO_CHECKS,
  output: NO_CHECKS,
  refusal: "Sorry, I can't help with that.",
  log_text: false,
};

/** A stored policy's editable fields (without its id, dates and attachments). */
export const inputOf = (p: Policy): PolicyInput => ({
  name: p.name,
  description: p.description,
  mode: p.mode,
  input: p.input,
  output: p.output,
  refusal: p.refusal,
  log_text: p.log_text,
});
const same = (a: PolicyChecks, b: PolicyChecks) => JSON.stringify(a) === JSON.stringify(b);
/** What is sent: patterns left empty are dropped. */
const clean = (c: PolicyChecks): PolicyChecks => ({
  ...c,
  patterns: c.patterns.filter((p) => p.trim()),
});

/** The policy as it is being edited, ready to send (both sides the same when they are shown as one). */
export function draftOf(draft: PolicyInput, both: boolean): PolicyInput {
  const input = clean(draft.input);
  return { ...draft, input, output: both ? input : clean(draft.output) };
}

/**
 * Create or change a policy in plain words: its name, whether it blocks or only flags, what is
 * checked on questions and on answers (one set for both unless split), the refusal, and whether
 * flags keep the full text. The server's complaint about a field is shown beside that field.
 */
export function PolicyEditor({
  policy,
  onSaved,
  onCancel,
  onDraft,
  canSave,
}: {
  /** null: a new policy. */
  policy: Policy | null;
  onSaved: (p: Policy) => void;
  onCancel: () => void;
  /** The draft as it changes (the "Try it" panel tries what is on screen). */
  onDraft: (d: PolicyInput) => void;
  /** false: the caller may not save (not an admin), only try what is on screen. */
  canSave: boolean;
}) {
  const [draft, setDraftState] = useState<PolicyInput>(policy ? inputOf(policy) : NEW_POLICY);
  const [both, setBothState] = useState(policy ? same(policy.input, policy.output) : true);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const setDraft = (d: PolicyInput, b = both) => {
    setDraftState(d);
    onDraft(draftOf(d, b));
  };
  const setBoth = (b: boolean) => {
    setBothState(b);
    setDraft(b ? draft : { ...draft, output: draft.input }, b);
  };

  // the server's field ("input.patterns[1]") beside its control; anything else above the buttons
  const param =
    error instanceof ApiError ? (error.param?.replace(/\[(\d+)\]/g, ".$1") ?? null) : null;
  const said =
    error instanceof ApiError && error.param
      ? error.message.replace(`${error.param}: `, "")
      : words(error);
  const under = (side: "input" | "output"): Record<string, string> => {
    if (!param) return {};
    const prefixes = both ? ["input.", "output."] : [`${side}.`];
    const p = prefixes.find((x) => param.startsWith(x));
    return p ? { [param.slice(p.length)]: said } : {};
  };
  const fieldError = (field: string) => (param === field ? said : null);
  // the fields that show their own error (others are said above the buttons)
  const placed =
    param !== null && /^(name|refusal|(input|output)\.(patterns|blocked_terms)\.\d+)$/.test(param);
  const badPattern = [...draft.input.patterns, ...(both ? [] : draft.output.patterns)].some(
    (p) => patternProblem(p) !== null,
  );

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const body = draftOf(draft, both);
      onSaved(policy ? await updatePolicy(policy.id, body) : await createPolicy(body));
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const nameError = fieldError("name");
  const refusalError = fieldError("refusal");
  return (
    <form className="policy-editor" onSubmit={(e) => void save(e)} aria-labelledby="h-policy">
      <h2 id="h-policy">
        {policy ? (canSave ? `Change ${policy.name}` : policy.name) : "New policy"}
      </h2>
      <div className="field">
        <label htmlFor="policy-name">Name</label>
        <input
          id="policy-name"
          value={draft.name}
          required
          maxLength={64}
          placeholder="e.g. school-safe"
          aria-describedby="policy-name-help"
          aria-invalid={nameError ? true : undefined}
          onChange={(e) => setDraft({ ...draft, name: e.target.value })}
        />
        <Hint id="policy-name-help">
          Lower-case letters, digits, dots, dashes; programs name the policy by it.
        </Hint>
        {nameError && <p className="error-text">{nameError}</p>}
      </div>
      <div className="field wide">
        <label htmlFor="policy-description">What it is for (optional)</label>
        <input
          id="policy-description"
          value={draft.description}
          maxLength={2000}
          onChange={(e) => setDraft({ ...draft, description: e.target.value })}
        />
      </div>

      <fieldset className="mode">
        <legend>When a check fires</legend>
        <label>
          <input
            type="radio"
            name="policy-mode"
            checked={draft.mode === "enforce"}
            onChange={() => setDraft({ ...draft, mode: "enforce" })}
          />{" "}
          Block: the question never reaches the model, or the answer is replaced by the refusal
        </label>
        <label>
          <input
            type="radio"
            name="policy-mode"
            checked={draft.mode === "flag_only"}
            onChange={() => setDraft({ ...draft, mode: "flag_only" })}
          />{" "}
          Only flag: change nothing, record it in the flags below
        </label>
      </fieldset>

      <label className="check both">
        <input type="checkbox" checked={both} onChange={(e) => setBoth(e.target.checked)} /> Check
        questions and answers for the same things
      </label>
      <section className="side" aria-labelledby="h-side-input">
        <h3 id="h-side-input">
          {both ? "What to check, in questions and answers" : "What to check in questions"}
        </h3>
        <ChecksEditor
          key={both ? "both" : "input"}
          id="in"
          value={draft.input}
          errors={under("input")}
          onChange={(input) => setDraft({ ...draft, input })}
        />
      </section>
      {!both && (
        <section className="side" aria-labelledby="h-side-output">
          <h3 id="h-side-output">What to check in the model's answers</h3>
          <ChecksEditor
            id="out"
            value={draft.output}
            errors={under("output")}
            onChange={(output) => setDraft({ ...draft, output })}
          />
        </section>
      )}

      <div className="field wide">
        <label htmlFor="policy-refusal">What people see instead of a blocked answer</label>
        <textarea
          id="policy-refusal"
          rows={2}
          required
          maxLength={2000}
          value={draft.refusal}
          aria-invalid={refusalError ? true : undefined}
          onChange={(e) => setDraft({ ...draft, refusal: e.target.value })}
        />
        {refusalError && <p className="error-text">{refusalError}</p>}
      </div>
      <label className="check">
        <input
          type="checkbox"
          checked={draft.log_text}
          aria-describedby="policy-log-help"
          onChange={(e) => setDraft({ ...draft, log_text: e.target.checked })}
        />{" "}
        Keep the full text with each flag
      </label>
      <Hint id="policy-log-help">
        Off: a flag records which rule fired and a short excerpt with the offending words masked.
        On: it also keeps the whole question or answer, which may hold personal data.
      </Hint>

      {error !== null && !placed && <ErrorBox error={error} />}
      {error !== null && placed && (
        <p className="state error" role="alert">
          <strong>The policy was not saved.</strong> One field needs a change: it is marked in red,
          with what to do.
        </p>
      )}
      {!canSave && (
        <Hint>
          Only an admin can save a policy. You can change it here to try the changes on a sample.
        </Hint>
      )}
      <div className="actions">
        <button type="button" className="secondary" onClick={onCancel}>
          {canSave ? "Cancel" : "Close"}
        </button>
        {canSave && (
          <button type="submit" className="primary" disabled={saving || badPattern}>
            {saving ? "Saving…" : policy ? "Save changes" : "Create policy"}
          </button>
        )}
      </div>
    </form>
  );
}
