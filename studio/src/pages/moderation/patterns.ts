/**
 * A policy's patterns checked as they are typed, by the same library and flags as the server's
 * (re2js: RE2's syntax, case-insensitive), loaded only when the moderation page first needs it.
 */
import { useEffect, useState } from "react";

type Compile = (pattern: string) => void;
let compile: Compile | null = null;
let loading: Promise<Compile> | null = null;

function load(): Promise<Compile> {
  loading ??= import("re2js").then(({ RE2JS }) => {
    compile = (p) => void RE2JS.compile(p, RE2JS.CASE_INSENSITIVE);
    return compile;
  });
  return loading;
}

/** Why the pattern cannot be used (as the server would say it), or null; null until the checker has loaded. */
export function patternProblem(p: string): string | null {
  if (!p.trim() || !compile) return null;
  try {
    compile(p);
    return null;
  } catch (e) {
    const why = (e as Error).message.replace(/^error parsing regexp: /, "").replace("(?i)", "");
    return `${why}. Patterns use RE2's syntax: no backreferences (\\1) or lookaround ((?=…), (?<!…)).`;
  }
}

/** Re-renders the caller once the checker has loaded. */
export function usePatternChecker(): boolean {
  const [ready, setReady] = useState(compile !== null);
  useEffect(() => {
    if (!ready) void load().then(() => setReady(true));
  }, [ready]);
  return ready;
}
