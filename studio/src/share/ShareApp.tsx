/**
 * The page's states: loading, not available (unknown or unpublished), locked (a passcode or a key
 * is needed), and the chat. Any call that answers 404 with the page gone, or 401, brings the page
 * back to the matching state.
 */
import { useCallback, useEffect, useState } from "react";
import { getInfo, ShareError, type ShareInfo, saveKey } from "./api.ts";
import { Chat } from "./Chat.tsx";
import { Gate } from "./Gate.tsx";

type State =
  | { kind: "loading" }
  | { kind: "unavailable"; message: string }
  | { kind: "failed"; message: string }
  | { kind: "ready"; info: ShareInfo };

const UNAVAILABLE =
  "This assistant is not available: the link is wrong, or its owner has taken it down.";

export function ShareApp() {
  const [state, setState] = useState<State>({ kind: "loading" });

  const load = useCallback(async () => {
    try {
      const info = await getInfo();
      document.title = info.name;
      setState({ kind: "ready", info });
    } catch (e) {
      if (e instanceof ShareError && e.status === 404)
        setState({ kind: "unavailable", message: e.message || UNAVAILABLE });
      else setState({ kind: "failed", message: (e as Error).message });
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  /** A call failed in a way that changes the page: gone (404 on info) or locked again (401). */
  const lost = useCallback(
    async (e: ShareError) => {
      if (e.status === 401) {
        saveKey(null);
        await load();
      } else if (e.status === 404) {
        await load();
      }
    },
    [load],
  );

  if (state.kind === "loading")
    return (
      <div className="share-center" role="status">
        Loading…
      </div>
    );
  if (state.kind === "unavailable")
    return (
      <main className="share-center">
        <h1>Not available</h1>
        <p>{state.message}</p>
      </main>
    );
  if (state.kind === "failed")
    return (
      <main className="share-center">
        <h1>This page could not load</h1>
        <p role="alert">{state.message}</p>
        <button type="button" className="primary" onClick={() => void load()}>
          Try again
        </button>
      </main>
    );
  const { info } = state;
  if (!info.unlocked)
    return <Gate info={info} onOpened={(next) => setState({ kind: "ready", info: next })} />;
  return <Chat info={info} onLost={lost} />;
}
