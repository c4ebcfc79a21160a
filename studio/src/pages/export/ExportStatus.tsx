/** An export's state under the panel's choice: running with the engine's words, failed, or ready. */
import { useState } from "react";
import type { ExportObject } from "../../../../protocol/api/exports.ts";
import { plural } from "../../ui.tsx";
import type { Received } from "./download.ts";
import { bytes, doing, which } from "./words.ts";

export function Running({ job }: { job: ExportObject }) {
  const p = job.progress;
  const known = p && p.current !== null && p.total ? { value: p.current, max: p.total } : {};
  return (
    <div className="export-running" data-testid="export-running">
      <p role="status" aria-live="polite">
        {doing(job)}
      </p>
      <progress aria-label="Export progress" {...known} />
      <p className="hint">
        You can leave this page: the export goes on, and this page picks it up again.
      </p>
    </div>
  );
}

export function Downloading({ received }: { received: Received }) {
  const { got, total } = received;
  return (
    <div className="export-running">
      <p role="status" aria-live="polite">
        Downloading… {bytes(got)}
        {total ? ` of ${bytes(total)}` : ""}
      </p>
      <progress aria-label="Download progress" {...(total ? { value: got, max: total } : {})} />
    </div>
  );
}

export function Failed({ job, retry }: { job: ExportObject; retry: () => void }) {
  return (
    <div className="state error" role="alert" data-testid="export-failed">
      <strong>The export did not work.</strong> {job.error ?? "The server log has the details."}{" "}
      <button type="button" className="link" onClick={retry}>
        Try again
      </button>
    </div>
  );
}

/** The export is made: what it holds, its download (again), and what to run next with a copy button. */
export function Ready({
  job,
  saved,
  again,
  busy,
}: {
  job: ExportObject;
  /** The file this browser saved, once it did. */
  saved: { name: string; bytes: number } | null;
  again: () => void;
  busy: boolean;
}) {
  const [copied, setCopied] = useState(false);
  const packed = saved?.name.endsWith(".tar.gz") ?? job.files.length > 1;
  const copy = async () => {
    if (!job.next_step) return;
    try {
      await navigator.clipboard.writeText(job.next_step);
    } catch {
      // no clipboard outside https or localhost: select the command for the keyboard's copy
      const box = document.getElementById("export-next") as HTMLInputElement | null;
      box?.select();
      document.execCommand("copy");
    }
    setCopied(true);
  };
  return (
    <div className="state ok export-ready" data-testid="export-ready">
      <p>
        <strong>Ready: {which(job)}.</strong>{" "}
        {saved
          ? `${saved.name} (${bytes(saved.bytes)}) is in your downloads.`
          : `Made ${new Date(job.created_at * 1000).toLocaleString()}: ${bytes(job.bytes)}.`}{" "}
        <button type="button" className="link" onClick={again} disabled={busy}>
          {saved ? "Download again" : "Download it"}
        </button>
      </p>
      {job.files.length > 0 && (
        <details>
          <summary>
            What is in it: {plural(job.files.length, "file")}, {bytes(job.bytes)}
          </summary>
          <ul className="plain-list" data-testid="export-files">
            {job.files.map((f) => (
              <li key={f.name}>
                <code>{f.name}</code> <span className="muted">{bytes(f.bytes)}</span>
              </li>
            ))}
          </ul>
        </details>
      )}
      {job.next_step && (
        <>
          <p>
            Next, in a terminal,{" "}
            {packed ? (
              <>
                in the folder the download unpacks to (double-click it, or run{" "}
                <code>tar -xzf {saved?.name ?? "the file"}</code>):
              </>
            ) : (
              "in the folder of the download:"
            )}
          </p>
          <div className="export-next">
            <label className="sr-only" htmlFor="export-next">
              Command to run next
            </label>
            <input
              id="export-next"
              readOnly
              value={job.next_step}
              onFocus={(e) => e.target.select()}
            />
            <button type="button" className="secondary" onClick={() => void copy()}>
              Copy
            </button>
          </div>
          <p role="status" className="hint">
            {copied ? "Copied." : ""}
          </p>
        </>
      )}
    </div>
  );
}
