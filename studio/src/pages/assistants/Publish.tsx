/**
 * Publishing: who may open the assistant's page (anyone, with a passcode, or only people with a
 * Tailor key), how many messages a visitor may send a minute, and the link to hand out. Publishing
 * and unpublishing take effect at once.
 */
import { type FormEvent, useState } from "react";
import { SHARE_ACCESS, type ShareAccess } from "../../../../protocol/assistants.ts";
import { ErrorBox } from "../../ui.tsx";
import { type AssistantObject, publish, shareUrl, unpublish } from "./client.ts";
import { placeError } from "./errors.ts";
import { Field } from "./fields.tsx";

const ACCESS: Record<ShareAccess, { label: string; help: string }> = {
  public: { label: "Anyone with the link", help: "No sign-in: students, customers, anyone." },
  passcode: {
    label: "Anyone with the link and a passcode",
    help: "Visitors type the passcode once; give it to the people it is for.",
  },
  keys: {
    label: "Only people with a Tailor key",
    help: "For colleagues who already use this Tailor.",
  },
};
const FIELDS = ["access", "passcode", "slug", "visitor_requests_per_minute"];

export function Publish({
  assistant,
  onChange,
}: {
  assistant: AssistantObject;
  onChange: (a: AssistantObject) => void;
}) {
  const pub = assistant.tailor.publication;
  const [access, setAccess] = useState<ShareAccess>(pub.access);
  const [passcode, setPasscode] = useState("");
  const [slug, setSlug] = useState(pub.slug ?? "");
  const [rate, setRate] = useState(String(pub.visitor_requests_per_minute));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);
  const url = shareUrl(assistant);
  const placed = placeError(error, FIELDS);
  const errorFor = (f: string) => (placed?.field === f ? placed.said : null);
  // a passcode once set is kept when the page is published again with passcode access and none typed
  const keepsPasscode = pub.access === "passcode" && pub.slug !== null;

  const run = async (what: () => Promise<AssistantObject>) => {
    setBusy(true);
    setError(null);
    setCopied(false);
    try {
      onChange(await what());
      setPasscode("");
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(() =>
      publish(assistant.id, {
        access,
        ...(access === "passcode" && passcode ? { passcode } : {}),
        ...(slug.trim() ? { slug: slug.trim() } : {}),
        visitor_requests_per_minute: Number(rate),
      }),
    );
  };
  const copy = async () => {
    if (!url) return;
    try {
      await navigator.clipboard.writeText(url);
    } catch {
      // no clipboard outside https or localhost: select the link for the keyboard's copy
      const box = document.getElementById("asst-share-url") as HTMLInputElement | null;
      box?.select();
      document.execCommand("copy");
    }
    setCopied(true);
  };

  return (
    <section aria-labelledby="h-asst-publish" className="assistants-publish">
      <h2 id="h-asst-publish">Publish</h2>
      {url ? (
        <div className="state ok" data-testid="share">
          <p>
            <strong>Published.</strong> Anyone you give this link to can use it
            {pub.access === "passcode" ? " with the passcode" : ""}
            {pub.access === "keys" ? " with a Tailor key" : ""}:
          </p>
          <div className="assistants-link">
            <label className="sr-only" htmlFor="asst-share-url">
              Share link
            </label>
            <input id="asst-share-url" readOnly value={url} onFocus={(e) => e.target.select()} />
            <button type="button" className="secondary" onClick={() => void copy()}>
              Copy
            </button>
            <a className="button" href={url} target="_blank" rel="noopener">
              Open
            </a>
          </div>
          <p role="status" className="hint">
            {copied ? "Copied." : ""}
          </p>
        </div>
      ) : (
        <p className="state empty" data-testid="share">
          <strong>Not published.</strong> Only you can use it, here and through the API.
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <fieldset className="assistants-choices">
          <legend>Who may open it</legend>
          {SHARE_ACCESS.map((a) => (
            <label key={a} className="assistants-check">
              <input
                type="radio"
                name="asst-access"
                checked={access === a}
                onChange={() => setAccess(a)}
              />{" "}
              <span>
                {ACCESS[a].label} <span className="hint">{ACCESS[a].help}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {access === "passcode" && (
          <Field
            id="asst-passcode"
            label="Passcode"
            hint={
              keepsPasscode
                ? "A passcode is set. Type a new one to change it, or leave this empty to keep it."
                : "At least 4 characters. It is stored scrambled: write it down."
            }
            error={errorFor("passcode")}
          >
            {(c) => (
              <input
                {...c}
                value={passcode}
                autoComplete="off"
                spellCheck={false}
                maxLength={128}
                onChange={(e) => setPasscode(e.target.value)}
              />
            )}
          </Field>
        )}
        <Field
          id="asst-slug"
          label="The link's last part (optional)"
          hint={`Lowercase letters, digits and -: ${window.location.origin}/a/${slug.trim() || "…"}. Empty: made from the name.`}
          error={errorFor("slug")}
        >
          {(c) => (
            <input
              {...c}
              value={slug}
              spellCheck={false}
              maxLength={64}
              placeholder="biology-tutor"
              onChange={(e) => setSlug(e.target.value)}
            />
          )}
        </Field>
        <Field
          id="asst-rate"
          label="Messages a visitor may send a minute"
          hint="Keeps one visitor from using up the machine; more waits until the minute is over."
          error={errorFor("visitor_requests_per_minute")}
        >
          {(c) => (
            <input
              {...c}
              type="number"
              min={1}
              max={600}
              value={rate}
              onChange={(e) => setRate(e.target.value)}
            />
          )}
        </Field>
        {error !== null && !placed && <ErrorBox error={error} />}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {pub.published ? "Publish these changes" : "Publish"}
          </button>
          {pub.published && (
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => void run(() => unpublish(assistant.id))}
            >
              Unpublish now
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
