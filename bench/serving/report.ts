/** The serving benchmark's tables, as Markdown for bench/README.md, and its JSON after them. */

interface SingleRow {
  model: string;
  contender: string;
  tokens: number;
  tokens_per_second: number;
  time_to_first_token: number;
  peak_rss_mb: number;
  baseline_rss_mb: number;
  file_mb: number | null;
  per_run_tokens_per_second: number[];
  ratio_over_pytorch: number | null;
  per_run_ratio_over_pytorch: number[] | null;
}

interface HttpRow {
  model: string;
  engine: string;
  served_by: (string | null)[];
  tokens_per_second: number;
  latency_p50: number;
  latency_p95: number;
  ttft_p50: number;
  ttft_p95: number;
  errors: number;
  server_peak_rss_mb: number;
  per_run_tokens_per_second: number[];
  ratio_over_pytorch: number | null;
  per_run_ratio_over_pytorch: number[] | null;
}

interface Load {
  median: number;
  min: number;
  max: number;
}

export interface ServingReport {
  machine: { model: string; cores: number };
  settings: { runs: number; max_tokens: number; clients: number; requests: number };
  fine_tune: { train_seconds: number; epochs: number };
  load_average: { single_stream: Load; http: Load };
  single_stream: SingleRow[];
  http: HttpRow[];
}

const f1 = (x: number) => x.toFixed(1);
const list = (xs: number[] | null, digits = 2) =>
  (xs ?? []).map((x) => x.toFixed(digits)).join(", ");
const ratio = (r: number | null, runs: number[] | null) =>
  r === null ? "" : `${r.toFixed(2)}x (${list(runs)})`;
const loadText = (l: Load) =>
  `load average ${l.median.toFixed(1)} median (${l.min.toFixed(1)}-${l.max.toFixed(1)})`;

function table(rows: string[][]): string {
  return rows.map((r) => `| ${r.join(" | ")} |`).join("\n");
}

export function printReport(r: ServingReport): void {
  const { runs, max_tokens, clients, requests } = r.settings;
  if (r.single_stream.length) {
    console.log(
      `single stream, greedy, up to ${max_tokens} new tokens, median of ${runs} runs, ${r.machine.cores} CPUs, ${loadText(r.load_average.single_stream)}:\n`,
    );
    console.log(
      table([
        [
          "model",
          "contender",
          "tokens",
          "tokens/s",
          "first token",
          "peak MB",
          "file MB",
          "over PyTorch (per run)",
        ],
        ["---", "---", "---:", "---:", "---:", "---:", "---:", "---"],
        ...r.single_stream.map((s) => [
          s.model,
          s.contender,
          String(s.tokens),
          f1(s.tokens_per_second),
          `${(s.time_to_first_token * 1000).toFixed(0)} ms`,
          s.peak_rss_mb.toFixed(0),
          s.file_mb === null ? "" : s.file_mb.toFixed(0),
          ratio(s.ratio_over_pytorch, s.per_run_ratio_over_pytorch),
        ]),
      ]),
    );
    const node = r.single_stream.find((s) => s.ratio_over_pytorch !== null);
    if (node)
      console.log(
        `\nllama.cpp's peak memory is its Node process's (Node alone: ${node.baseline_rss_mb.toFixed(0)} MB); PyTorch's is the engine's Python process.`,
      );
  }
  if (r.http.length) {
    console.log(
      `\n${clients} clients at once through the HTTP API, ${requests} request(s) each, streamed, ${max_tokens} new tokens, median of ${runs} runs, ${loadText(r.load_average.http)}:\n`,
    );
    console.log(
      table([
        [
          "model",
          "server",
          "answered by",
          "total tokens/s",
          "p50 / p95 latency",
          "p50 / p95 first token",
          "errors",
          "server peak MB",
          "over PyTorch (per run)",
        ],
        ["---", "---", "---", "---:", "---:", "---:", "---:", "---:", "---"],
        ...r.http.map((h) => [
          h.model,
          h.engine === "pytorch" ? "TAILOR_LLAMA=off" : "default",
          [...new Set(h.served_by)].join(", "),
          `${f1(h.tokens_per_second)} (${list(h.per_run_tokens_per_second, 1)})`,
          `${f1(h.latency_p50)} / ${f1(h.latency_p95)} s`,
          `${f1(h.ttft_p50)} / ${f1(h.ttft_p95)} s`,
          String(h.errors),
          h.server_peak_rss_mb.toFixed(0),
          ratio(h.ratio_over_pytorch, h.per_run_ratio_over_pytorch),
        ]),
      ]),
    );
  }
  const trained = r.fine_tune.train_seconds
    ? `${r.fine_tune.train_seconds} s (job with its test)`
    : "reused from --home";
  console.log(`\nfine-tune: ${r.fine_tune.epochs} epoch(s) of 16 examples, 4 a step, ${trained}`);
  console.log(JSON.stringify(r));
}
