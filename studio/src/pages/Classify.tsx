import { useEffect, useState } from "react";
import { api, type FileInfo, type Job, type Model, upload } from "../api.ts";
import { DropZone } from "../drop-zone.tsx";
import { ErrorBox, Hint, Loading, plural } from "../ui.tsx";
import { ClassifierPlayground } from "./playground/Classifier.tsx";
import { Tasks } from "./Tasks.tsx";
import type { PageProps } from "./types.ts";

/** The encoder a classifier is trained from (built in, offline). */
export const CLASSIFIER_BASE = "all-minilm-l6-v2";

interface Issue {
  line?: number;
  message: string;
  field?: string;
}
interface Report {
  ok: boolean;
  examples: number;
  errors: Issue[];
  warnings: Issue[];
  stats?: { labels?: { counts: Record<string, number>; multi_label: boolean } | null };
}

function Issues({ items, kind }: { items: Issue[]; kind: "error" | "warning" }) {
  return (
    <ul className={`issues ${kind}`}>
      {items.slice(0, 20).map((i) => (
        <li key={`${i.line ?? "file"}-${i.field ?? ""}-${i.message}`}>
          <span className="where">{i.line ? `Line ${i.line}` : "Whole file"}</span>
          <span className="what">
            {i.field ? `${i.field} ` : ""}
            {i.message}
          </span>
        </li>
      ))}
    </ul>
  );
}

/**
 * "Sort messages into labels": a file of labelled messages, a classifier trained on it (the job is
 * watched on the Training page), and a playground for the classifiers there are.
 */
export function Classify({ flow, update, go }: PageProps) {
  const [file, setFile] = useState<FileInfo | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [suffix, setSuffix] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [models, setModels] = useState<Model[] | null>(null);

  useEffect(() => {
    api<{ data: Model[] }>("/v1/models")
      .then((r) => setModels(r.data))
      .catch(setError);
  }, []);

  const send = async (f: File | undefined) => {
    if (!f) return;
    setBusy(`Uploading and checking ${f.name}…`);
    setError(null);
    setFile(null);
    setReport(null);
    try {
      const stored = await upload(f);
      setFile(stored);
      setReport(await api<Report>(`/v1/files/${stored.id}/report`));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  const train = async () => {
    if (!file) return;
    setBusy("Starting training…");
    setError(null);
    try {
      const job = await api<Job>("/v1/fine_tuning/jobs", {
        body: {
          model: CLASSIFIER_BASE,
          training_file: file.id,
          method: { type: "classify" },
          ...(suffix ? { suffix } : {}),
        },
      });
      update({
        fileId: file.id,
        fileName: file.filename,
        jobId: job.id,
        model: job.fine_tuned_model,
        notice: null,
      });
      go("/training");
    } catch (e) {
      setError(e);
      setBusy(null);
    }
  };

  return (
    <section aria-labelledby="h-classify">
      <h1 id="h-classify">Sort messages into labels</h1>
      <Tasks current="classify" go={go} />
      <p className="lead">
        A classifier reads a message and says which of your labels it belongs to, with a score for
        each. It learns from messages you have already labelled, trains in minutes and sorts
        hundreds of messages a second.
      </p>

      <h2>1. Your labelled messages</h2>
      <DropZone
        accept=".csv,.tsv,.jsonl"
        title="Drop a CSV or JSONL file of labelled messages here, or click to choose one"
        helpId="labelled-help"
        help={
          <>
            A CSV with a header row <code>text,label</code> (one message and its label per row), or
            JSONL lines like <code>{'{"text": "…", "label": "billing"}'}</code>. For several labels
            per message use a <code>labels</code> column (separated by |) or a list.
          </>
        }
        onFiles={(files) => void send(files[0])}
      />
      {busy && <Loading what={busy} />}
      {error !== null && <ErrorBox error={error} />}
      {file && report && !busy && (
        <div className="report" data-testid="labelled-report">
          <p className={report.ok ? "verdict good" : "verdict bad"}>
            {report.ok
              ? `${plural(report.examples, "labelled message")} in ${file.filename}, ready to train on.`
              : `${plural(report.errors.length, "problem")} to fix in ${file.filename} before training.`}
          </p>
          {report.stats?.labels && (
            <p data-testid="label-counts">
              {report.stats.labels.multi_label ? "Several labels per message. " : ""}
              Messages per label:{" "}
              {Object.entries(report.stats.labels.counts)
                .map(([label, n]) => `${label} ${n}`)
                .join(", ")}
              .
            </p>
          )}
          {report.errors.length > 0 && <Issues items={report.errors} kind="error" />}
          {report.warnings.length > 0 && <Issues items={report.warnings} kind="warning" />}
          {report.ok && (
            <>
              <div className="field">
                <label htmlFor="classifier-suffix">A name for your classifier (optional)</label>
                <input
                  id="classifier-suffix"
                  value={suffix}
                  maxLength={40}
                  pattern="[A-Za-z0-9._\-]*"
                  placeholder="e.g. mail-router"
                  aria-describedby="classifier-suffix-help"
                  onChange={(e) => setSuffix(e.target.value)}
                />
                <Hint id="classifier-suffix-help">
                  Letters, digits, dots, dashes; it becomes part of the classifier's name.
                </Hint>
              </div>
              <div className="actions">
                <button type="button" className="primary" onClick={() => void train()}>
                  Train the classifier
                </button>
              </div>
            </>
          )}
        </div>
      )}

      <h2>2. Try a classifier</h2>
      {!models && error === null && <Loading what="Loading models…" />}
      {models && (
        <ClassifierPlayground
          models={models}
          model={flow.model}
          onModel={(id) => update({ model: id })}
        />
      )}
    </section>
  );
}
