import { useCallback, useEffect, useState } from "react";
import { api, type Principal, savedKey, saveKey, takeKeyFromUrl, whenSignedOut } from "./api.ts";
import { STEPS, useFlow, usePath } from "./flow.ts";
import { Assistants } from "./pages/Assistants.tsx";
import { BaseModel } from "./pages/BaseModel.tsx";
import { Classify } from "./pages/Classify.tsx";
import { Examples } from "./pages/Examples.tsx";
import { Knowledge } from "./pages/Knowledge.tsx";
import { Manage } from "./pages/Manage.tsx";
import { Moderation } from "./pages/Moderation.tsx";
import { Playground } from "./pages/Playground.tsx";
import { Results } from "./pages/Results.tsx";
import { Review } from "./pages/Review.tsx";
import { Settings } from "./pages/Settings.tsx";
import { SignIn } from "./pages/SignIn.tsx";
import { Training } from "./pages/Training.tsx";
import { Versions } from "./pages/Versions.tsx";
import { ErrorBox, Loading } from "./ui.tsx";

takeKeyFromUrl();

export function App() {
  const [me, setMe] = useState<Principal | null>(null);
  const [state, setState] = useState<"checking" | "signed_out" | "ready" | "error">(
    savedKey() ? "checking" : "signed_out",
  );
  const [error, setError] = useState<unknown>(null);
  const [why, setWhy] = useState<string | null>(null);
  const [path, go] = usePath();
  const [flow, update] = useFlow();

  const check = useCallback(async () => {
    if (!savedKey()) return setState("signed_out");
    setState("checking");
    try {
      setMe(await api<Principal>("/v1/me"));
      setState("ready");
    } catch (e) {
      if (!savedKey()) return setState("signed_out");
      setError(e);
      setState("error");
    }
  }, []);

  useEffect(() => {
    whenSignedOut((message) => {
      setWhy(message);
      setState("signed_out");
    });
    void check();
    // the printed link opened in a tab that already shows the studio changes only the fragment
    const again = () => {
      takeKeyFromUrl();
      void check();
    };
    window.addEventListener("hashchange", again);
    return () => window.removeEventListener("hashchange", again);
  }, [check]);

  useEffect(() => {
    const step = STEPS.find((s) => s.path === path);
    const other =
      path === "/manage"
        ? "Models, data and keys"
        : path === "/knowledge"
          ? "Knowledge"
          : path === "/classify"
            ? "Sort messages into labels"
            : path === "/moderation"
              ? "Moderation"
              : path === "/assistants"
                ? "Assistants"
                : path === "/review"
                  ? "Review"
                  : path === "/versions"
                    ? "Versions & health"
                    : "Start";
    document.title = `${step?.label ?? other} · Tailor studio`;
  }, [path]);

  if (state === "signed_out") return <SignIn onSignedIn={check} why={why} />;
  if (state === "checking") return <Loading what="Connecting to Tailor…" />;
  if (state === "error" || !me) return <ErrorBox error={error} retry={check} />;

  const page = path === "/" ? "/examples" : path;
  const props = { flow, update, go };
  return (
    <div className="app">
      <a className="skip" href="#main">
        Skip to the page
      </a>
      <header className="top">
        <span className="brand">Tailor studio</span>
        <span className="who">
          Signed in as <strong>{me.owner}</strong> ({me.role})
          <button
            type="button"
            className="link"
            onClick={() => {
              saveKey(null);
              setState("signed_out");
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      <nav className="steps" aria-label="Steps">
        <ol>
          {STEPS.map((s) => (
            <li key={s.path}>
              <a
                href={s.path}
                aria-current={page === s.path ? "page" : undefined}
                onClick={(e) => {
                  e.preventDefault();
                  go(s.path);
                }}
              >
                <span className="n" aria-hidden="true">
                  {s.n}
                </span>
                {s.label}
              </a>
            </li>
          ))}
        </ol>
        <a
          href="/knowledge"
          className="manage-link"
          aria-current={page === "/knowledge" ? "page" : undefined}
          onClick={(e) => {
            e.preventDefault();
            go("/knowledge");
          }}
        >
          Knowledge
        </a>
        <a
          href="/moderation"
          className="manage-link"
          aria-current={page === "/moderation" ? "page" : undefined}
          onClick={(e) => {
            e.preventDefault();
            go("/moderation");
          }}
        >
          Moderation
        </a>
        <a
          href="/assistants"
          className="manage-link"
          aria-current={page === "/assistants" ? "page" : undefined}
          onClick={(e) => {
            e.preventDefault();
            go("/assistants");
          }}
        >
          Assistants
        </a>
        <a
          href="/review"
          className="manage-link"
          aria-current={page === "/review" ? "page" : undefined}
          onClick={(e) => {
            e.preventDefault();
            go("/review");
          }}
        >
          Review
        </a>
        <a
          href="/versions"
          className="manage-link"
          aria-current={page === "/versions" ? "page" : undefined}
          onClick={(e) => {
            e.preventDefault();
            go("/versions");
          }}
        >
          Versions &amp; health
        </a>
        <a
          href="/manage"
          className="manage-link"
          aria-current={page === "/manage" ? "page" : undefined}
          onClick={(e) => {
            e.preventDefault();
            go("/manage");
          }}
        >
          Models, data and keys
        </a>
      </nav>
      <main id="main" tabIndex={-1}>
        {page === "/examples" && <Examples {...props} />}
        {page === "/base" && <BaseModel {...props} />}
        {page === "/settings" && <Settings {...props} />}
        {page === "/training" && <Training {...props} />}
        {page === "/results" && <Results {...props} />}
        {page === "/playground" && <Playground {...props} />}
        {page === "/manage" && <Manage me={me} {...props} />}
        {page === "/knowledge" && <Knowledge {...props} />}
        {page === "/classify" && <Classify {...props} />}
        {page === "/moderation" && <Moderation me={me} {...props} />}
        {page === "/assistants" && <Assistants {...props} />}
        {page === "/review" && <Review me={me} {...props} />}
        {page === "/versions" && <Versions me={me} {...props} />}
        {![
          ...STEPS.map((s) => s.path),
          "/manage",
          "/knowledge",
          "/classify",
          "/moderation",
          "/assistants",
          "/review",
          "/versions",
        ].includes(page as never) && (
          <ErrorBox error={new Error(`There is no page ${path} in the studio.`)} />
        )}
      </main>
    </div>
  );
}
