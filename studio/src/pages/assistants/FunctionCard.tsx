/**
 * One function of an assistant: a function the owner's app runs (the model asks for it and the app
 * answers), or a web service Tailor calls itself (address, method, headers, of which secrets are
 * stored hidden and never shown again). Its arguments are a JSON Schema, checked as it is typed.
 */

import { type FunctionDraft, type HeaderDraft, HTTP_METHODS, newHeader } from "./draft.ts";
import { Field, FieldError } from "./fields.tsx";

export function FunctionCard({
  fn,
  n,
  errorFor,
  onChange,
  onRemove,
}: {
  fn: FunctionDraft;
  /** Its place in the list, from 0 (the server names its fields by it). */
  n: number;
  errorFor: (field: string) => string | null;
  onChange: (fn: FunctionDraft) => void;
  onRemove: () => void;
}) {
  const id = `fn-${fn.key}`;
  const at = `functions.${n}`;
  const set = (patch: Partial<FunctionDraft>) => onChange({ ...fn, ...patch });
  const setHeader = (j: number, patch: Partial<HeaderDraft>) =>
    set({ headers: fn.headers.map((h, k) => (k === j ? { ...h, ...patch } : h)) });
  const title = fn.name || `function ${n + 1}`;
  const http = fn.kind === "http";
  return (
    <fieldset className="assistants-function" data-testid="function">
      <legend>
        {http ? "Web service Tailor calls" : "Function your app runs"}: {fn.name || "new"}
      </legend>
      <p className="hint">
        {http
          ? "Tailor calls this address itself when the model asks, gives the reply back to the model and lets it answer."
          : "The model asks for it by name with its arguments; your app runs it and sends back the result (the API's tool calls). On the share page there is no app to run it."}
      </p>
      <div className="assistants-grid">
        <Field
          id={`${id}-name`}
          label="Name"
          hint="Letters, digits, _ and -: the model calls it by this name."
          error={errorFor(`${at}.name`)}
        >
          {(c) => (
            <input
              {...c}
              value={fn.name}
              maxLength={64}
              spellCheck={false}
              placeholder="e.g. get_opening_hours"
              onChange={(e) => set({ name: e.target.value })}
            />
          )}
        </Field>
        {http && (
          <Field id={`${id}-method`} label="Method" error={errorFor(`${at}.method`)}>
            {(c) => (
              <select
                {...c}
                value={fn.method}
                onChange={(e) => set({ method: e.target.value as FunctionDraft["method"] })}
              >
                {HTTP_METHODS.map((m) => (
                  <option key={m} value={m}>
                    {m}
                    {m === "GET" ? " (arguments in the address)" : ""}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
      </div>
      <Field
        id={`${id}-description`}
        label="What it does"
        hint="The model reads this to decide when to call it."
        error={errorFor(`${at}.description`)}
        className="wide"
      >
        {(c) => (
          <input
            {...c}
            value={fn.description}
            maxLength={1024}
            onChange={(e) => set({ description: e.target.value })}
          />
        )}
      </Field>
      {http && (
        <Field
          id={`${id}-url`}
          label="Web address"
          hint="https://… ; {name} in the path is replaced by the argument of that name."
          error={errorFor(`${at}.url`)}
          className="wide"
        >
          {(c) => (
            <input
              {...c}
              type="url"
              value={fn.url}
              spellCheck={false}
              placeholder="https://api.example.com/hours"
              onChange={(e) => set({ url: e.target.value })}
            />
          )}
        </Field>
      )}
      <Field
        id={`${id}-parameters`}
        label="Arguments (JSON Schema)"
        hint='What the model must send: {"type": "object", "properties": {"day": {"type": "string"}}, "required": ["day"]}'
        error={errorFor(`${at}.parameters`)}
        className="wide"
      >
        {(c) => (
          <textarea
            {...c}
            className="mono"
            rows={8}
            spellCheck={false}
            value={fn.parameters}
            onChange={(e) => set({ parameters: e.target.value })}
          />
        )}
      </Field>
      {http && (
        <>
          <h4 className="assistants-sub">Headers sent with each call</h4>
          {fn.headers.length === 0 && (
            <p className="hint">None. Add one for an API key or a token; mark it secret.</p>
          )}
          <ul className="assistants-headers">
            {fn.headers.map((h, j) => {
              const hid = `${id}-h${h.key}`;
              const hat = `${at}.headers.${j}`;
              const label = h.name || `header ${j + 1}`;
              return (
                <li key={h.key} data-testid="header">
                  <label className="sr-only" htmlFor={`${hid}-name`}>
                    Header {j + 1} name
                  </label>
                  <input
                    id={`${hid}-name`}
                    value={h.name}
                    placeholder="Authorization"
                    spellCheck={false}
                    aria-invalid={errorFor(`${hat}.name`) ? true : undefined}
                    aria-describedby={`${hid}-name-error`}
                    onChange={(e) => setHeader(j, { name: e.target.value })}
                  />
                  {h.stored ? (
                    <span className="assistants-stored">
                      <span data-testid="stored-secret">stored, hidden</span>
                      <button
                        type="button"
                        className="secondary"
                        aria-label={`Replace the secret value of ${label}`}
                        onClick={() => setHeader(j, { stored: false, value: "" })}
                      >
                        Replace
                      </button>
                    </span>
                  ) : (
                    <>
                      <label className="sr-only" htmlFor={`${hid}-value`}>
                        Header {j + 1} value{h.secret ? " (secret)" : ""}
                      </label>
                      <input
                        id={`${hid}-value`}
                        type={h.secret ? "password" : "text"}
                        autoComplete="off"
                        spellCheck={false}
                        value={h.value}
                        placeholder={h.secret ? "the secret value" : "value"}
                        aria-invalid={errorFor(`${hat}.value`) ? true : undefined}
                        aria-describedby={`${hid}-value-error`}
                        onChange={(e) => setHeader(j, { value: e.target.value })}
                      />
                    </>
                  )}
                  <label className="assistants-check">
                    <input
                      type="checkbox"
                      checked={h.secret}
                      onChange={(e) =>
                        // a stored secret made plain needs its value typed: it is never shown
                        setHeader(j, {
                          secret: e.target.checked,
                          stored: false,
                          value: h.stored ? "" : h.value,
                        })
                      }
                    />{" "}
                    Secret
                  </label>
                  <button
                    type="button"
                    className="link"
                    aria-label={`Remove the header ${label}`}
                    onClick={() => set({ headers: fn.headers.filter((_, k) => k !== j) })}
                  >
                    Remove
                  </button>
                  <FieldError id={`${hid}-name-error`} error={errorFor(`${hat}.name`)} />
                  <FieldError id={`${hid}-value-error`} error={errorFor(`${hat}.value`)} />
                </li>
              );
            })}
          </ul>
          <FieldError id={`${id}-headers-error`} error={errorFor(`${at}.headers`)} />
          <p className="hint">
            A secret is stored encrypted and never shown again, here or in the API: to change it,
            replace it.
          </p>
          <button
            type="button"
            className="secondary"
            disabled={fn.headers.length >= 32}
            onClick={() => set({ headers: [...fn.headers, newHeader()] })}
          >
            Add a header
          </button>
          <div className="assistants-grid">
            <Field
              id={`${id}-timeout`}
              label="Wait at most (seconds)"
              error={errorFor(`${at}.timeout_ms`)}
            >
              {(c) => (
                <input
                  {...c}
                  type="number"
                  min={0.1}
                  max={60}
                  step="any"
                  value={fn.timeout}
                  onChange={(e) => set({ timeout: e.target.value })}
                />
              )}
            </Field>
            <Field
              id={`${id}-max`}
              label="Longest reply kept (KB)"
              hint="A longer reply is cut and the model told so."
              error={errorFor(`${at}.max_response_bytes`)}
            >
              {(c) => (
                <input
                  {...c}
                  type="number"
                  min={1}
                  max={1024}
                  value={fn.maxKb}
                  onChange={(e) => set({ maxKb: e.target.value })}
                />
              )}
            </Field>
          </div>
        </>
      )}
      <div className="actions">
        <button type="button" className="danger" aria-label={`Remove ${title}`} onClick={onRemove}>
          Remove this function
        </button>
      </div>
    </fieldset>
  );
}
