import { type FormEvent, useState } from "react";
import { saveKey } from "../api.ts";
import { Hint } from "../ui.tsx";

export function SignIn({ onSignedIn, why }: { onSignedIn: () => void; why: string | null }) {
  const [key, setKey] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    saveKey(key.trim());
    onSignedIn();
  };
  return (
    <main className="signin" id="main">
      <h1>Tailor studio</h1>
      <p>Teach a language model to answer your way, from your own examples, on this computer.</p>
      {why && (
        <div className="state error" role="alert">
          <strong>Not signed in.</strong> {why}
        </div>
      )}
      <form onSubmit={submit}>
        <label htmlFor="key">Your API key</label>
        <input
          id="key"
          type="password"
          autoComplete="current-password"
          placeholder="tailor-sk-…"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          aria-describedby="key-help"
          required
        />
        <Hint id="key-help">
          The easiest way in is the link <code>tailor serve</code> prints: it signs you in. Or paste
          a key: this computer's admin key is in the file <code>admin.key</code> in Tailor's folder
          (<code>~/.tailor</code>), and an admin can make keys for others. The key stays in this
          browser.
        </Hint>
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>
    </main>
  );
}
