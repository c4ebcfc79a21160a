/** What a locked page asks for: the passcode the owner gave out, or a Tailor API key. */
import { type FormEvent, useState } from "react";
import { getInfo, type ShareInfo, saveKey, unlock } from "./api.ts";

export function Gate({ info, onOpened }: { info: ShareInfo; onOpened: (info: ShareInfo) => void }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const passcode = info.access === "passcode";

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!value.trim()) {
      setError(passcode ? "Enter the passcode first." : "Enter your key first.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (passcode) {
        onOpened(await unlock(value.trim()));
      } else {
        saveKey(value.trim());
        const next = await getInfo();
        if (!next.unlocked) {
          saveKey(null);
          setError("That key was not accepted: check it, or ask for a new one.");
        } else onOpened(next);
      }
    } catch (err) {
      if (!passcode) saveKey(null);
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="share">
      <header className="share-top">
        <h1>{info.name}</h1>
      </header>
      <main className="share-gate">
        <form onSubmit={(e) => void submit(e)} noValidate>
          <h2>{passcode ? "This assistant needs a passcode" : "Sign in with a key"}</h2>
          <p>
            {passcode
              ? "Enter the passcode you were given with the link."
              : "This assistant is for people with a Tailor API key. Ask the person who shared this page if you have none."}
          </p>
          <label htmlFor="gate-secret">{passcode ? "Passcode" : "Tailor API key"}</label>
          <input
            id="gate-secret"
            type="password"
            autoComplete={passcode ? "current-password" : "off"}
            value={value}
            onChange={(e) => setValue(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "gate-error" : undefined}
          />
          {error && (
            <p className="share-error" id="gate-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Checking…" : passcode ? "Open" : "Continue"}
          </button>
        </form>
        <p className="notice">{info.notice}</p>
      </main>
    </div>
  );
}
