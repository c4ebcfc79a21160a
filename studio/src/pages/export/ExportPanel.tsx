/**
 * "Take it with you": a fine-tuned model written out for Ollama, llama.cpp / LM Studio (GGUF), PEFT or
 * Hugging Face, and downloaded. The server makes the export in the background
 * (POST /v1/models/{id}/export); the panel follows it (GET /v1/exports/{id}) with the engine's words
 * and, once it is made, saves it to this browser's downloads and shows what to run next.
 */
import { type FormEvent, useCallback, useEffect, useRef, useState } from "react";
import type {
  ExportCreateRequest,
  ExportFormat,
  ExportObject,
} from "../../../../protocol/api/exports.ts";
import { api } from "../../api.ts";
import { ErrorBox, Hint } from "../../ui.tsx";
import { download, type Received } from "./download.ts";
import { Downloading, Failed, Ready, Running } from "./ExportStatus.tsx";
import { FORMATS, SIZES, type Size } from "./words.ts";
import "./export.css";

const POLL_MS = 1000;
const path = (id: string) => `/v1/exports/${encodeURIComponent(id)}`;
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => clearTimeout(t), { once: true });
  });

/** The name to save under when the server names none. */
const fallbackName = (x: ExportObject) => {
  const name = x.model.replace(/[^A-Za-z0-9._-]+/g, "-");
  return x.format === "gguf" ? `${name}.gguf` : `${name}-${x.format}.tar.gz`;
};

export function ExportPanel({ model }: { model: string }) {
  const [format, setFormat] = useState<ExportFormat>("ollama");
  const [size, setSize] = useState<Size>("f16");
  const [job, setJob] = useState<ExportObject | null>(null);
  const [received, setReceived] = useState<Received | null>(null);
  const [saved, setSaved] = useState<{ name: string; bytes: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const life = useRef<AbortController | null>(null);

  /** Saves a finished export to the downloads. */
  const fetchFile = useCallback(async (x: ExportObject, signal: AbortSignal) => {
    if (!x.download_url) return;
    setReceived({ got: 0, total: x.bytes });
    try {
      setSaved(await download(x.download_url, fallbackName(x), setReceived, signal));
    } catch (e) {
      if (!signal.aborted) setError(e);
    } finally {
      setReceived(null);
    }
  }, []);

  /** Follows an export to its end; downloads it when `then` says so. */
  const follow = useCallback(
    async (x: ExportObject, signal: AbortSignal, then: boolean) => {
      let current = x;
      setJob(current);
      while (current.status === "running") {
        await sleep(POLL_MS, signal);
        if (signal.aborted) return;
        current = await api<ExportObject>(path(current.id), { signal });
        setJob(current);
      }
      if (current.status === "succeeded" && then) await fetchFile(current, signal);
    },
    [fetchFile],
  );

  // the newest export of this model: a running one is followed, a finished one offered again
  useEffect(() => {
    const ctl = new AbortController();
    life.current = ctl;
    setJob(null);
    setSaved(null);
    api<{ data: ExportObject[] }>(`/v1/exports?model=${encodeURIComponent(model)}`, {
      signal: ctl.signal,
    })
      .then((r) => {
        const mine = r.data
          .filter((x) => x.model === model && x.status !== "failed")
          .sort((a, b) => b.created_at - a.created_at)[0];
        if (mine) return follow(mine, ctl.signal, mine.status === "running");
      })
      .catch(() => {}); // nothing made before (or a viewer's key): the choice alone
    return () => ctl.abort();
  }, [model, follow]);

  const start = async (e?: FormEvent) => {
    e?.preventDefault();
    const signal = life.current?.signal;
    if (!signal) return;
    setError(null);
    setSaved(null);
    const body: ExportCreateRequest = FORMATS[format].sized
      ? { format, quantization: size }
      : { format };
    try {
      const x = await api<ExportObject>(`/v1/models/${encodeURIComponent(model)}/export`, {
        body,
        signal,
      });
      await follow(x, signal, true);
    } catch (err) {
      if (!signal.aborted) setError(err);
    }
  };

  const running = job?.status === "running";
  const busy = running || received !== null;
  const choice = FORMATS[format];
  return (
    <section aria-labelledby="h-export" className="export" data-testid="export">
      <h2 id="h-export">Use it outside Tailor</h2>
      <Hint>
        Download this model to run it in other programs, on this computer or any other, without
        Tailor. Each download carries the model card and a README saying how to run it.
      </Hint>
      <form onSubmit={(e) => void start(e)}>
        <fieldset className="export-choices" disabled={busy}>
          <legend>What to download</legend>
          {(Object.keys(FORMATS) as ExportFormat[]).map((f) => (
            <label key={f} className="export-choice">
              <input
                type="radio"
                name="export-format"
                checked={format === f}
                onChange={() => setFormat(f)}
              />{" "}
              <span>
                {FORMATS[f].label} <span className="hint">{FORMATS[f].help}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {choice.sized && (
          <fieldset className="export-choices" disabled={busy}>
            <legend>Size</legend>
            <Hint>
              Smaller files load faster and need less memory, at some cost in the answers' quality.
            </Hint>
            {(Object.keys(SIZES) as Size[]).map((s) => (
              <label key={s} className="export-choice">
                <input
                  type="radio"
                  name="export-size"
                  checked={size === s}
                  onChange={() => setSize(s)}
                />{" "}
                <span>
                  {SIZES[s].label} <span className="hint">{SIZES[s].help}</span>
                </span>
              </label>
            ))}
          </fieldset>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {choice.label}
          </button>
        </div>
      </form>
      {error !== null && <ErrorBox error={error} />}
      {job && running && <Running job={job} />}
      {received && <Downloading received={received} />}
      {job?.status === "failed" && <Failed job={job} retry={() => void start()} />}
      {job?.status === "succeeded" && !received && (
        <Ready
          job={job}
          saved={saved}
          busy={busy}
          again={() => {
            const signal = life.current?.signal;
            if (signal) void fetchFile(job, signal);
          }}
        />
      )}
    </section>
  );
}
