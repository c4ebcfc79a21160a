import { useCallback, useEffect, useState } from "react";

/** Where the user is in the path, kept in this browser so that a reload or a return resumes it. */
export interface Flow {
  fileId: string | null;
  fileName: string | null;
  base: string | null;
  /** null: Automatic; otherwise the Advanced values. */
  advanced: {
    n_epochs: number;
    learning_rate: number;
    batch_size: number;
    lora_rank: number;
  } | null;
  suffix: string;
  jobId: string | null;
  model: string | null;
  /** A message for the next page (e.g. what redaction replaced). */
  notice: string | null;
}

const KEY = "tailor.flow";
const EMPTY: Flow = {
  fileId: null,
  fileName: null,
  base: null,
  advanced: null,
  suffix: "",
  jobId: null,
  model: null,
  notice: null,
};

function load(): Flow {
  try {
    return { ...EMPTY, ...(JSON.parse(localStorage.getItem(KEY) ?? "{}") as Partial<Flow>) };
  } catch {
    return EMPTY;
  }
}

export function useFlow(): [Flow, (patch: Partial<Flow>) => void] {
  const [flow, setFlow] = useState<Flow>(load);
  useEffect(() => localStorage.setItem(KEY, JSON.stringify(flow)), [flow]);
  const update = useCallback((patch: Partial<Flow>) => setFlow((f) => ({ ...f, ...patch })), []);
  return [flow, update];
}

/** The path's pages, in order; the address bar shows the one open. */
export const STEPS = [
  { path: "/examples", label: "Examples", n: 1 },
  { path: "/base", label: "Base model", n: 2 },
  { path: "/settings", label: "Settings", n: 3 },
  { path: "/training", label: "Training", n: 4 },
  { path: "/results", label: "Results", n: 5 },
  { path: "/playground", label: "Playground", n: 6 },
] as const;

export function usePath(): [string, (to: string) => void] {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const back = () => setPath(window.location.pathname);
    window.addEventListener("popstate", back);
    return () => window.removeEventListener("popstate", back);
  }, []);
  const go = useCallback((to: string) => {
    window.history.pushState(null, "", to);
    setPath(to);
    window.scrollTo(0, 0);
  }, []);
  return [path, go];
}
