/** The load test's tables: one row per kind of request and phase, then the server's memory. */
import type { KindResult } from "./kinds.ts";

interface Mem {
  node: number;
  nodePeak: number;
  engines: number;
}
interface Phase {
  name: string;
  results: KindResult[];
  memBefore: Mem;
  memAfter: Mem;
  load: { median: number; min: number; max: number };
}

const statuses = (s: Record<string, number>) =>
  Object.entries(s)
    .filter(([code]) => !code.startsWith("2"))
    .map(([code, n]) => `${code}: ${n}`)
    .join(", ") || "none";

export function printLoadReport(r: {
  options: Record<string, number>;
  phases: Phase[];
  alive: number;
}) {
  const o = r.options;
  console.log(
    `# Load test: ${o.models} GET /v1/models, ${o.uploads} uploads of ${o.uploadMb} MB, ${o.jobs} job creations, ` +
      `${o.chats} chats of ${o.maxTokens} tokens on the tiny model (PyTorch engine); ` +
      `--max-generations ${o.maxGenerations}, --max-uploads ${o.maxUploads}\n`,
  );
  console.log(
    "| phase | kind | clients | requests | per s | p50 ms | p99 ms | max ms | not 2xx | 429/503 with Retry-After | 429/503 p50/p99 ms | errors | timeouts |",
  );
  console.log(
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: | ---: |",
  );
  for (const p of r.phases)
    for (const k of p.results)
      console.log(
        `| ${p.name} | ${k.name} | ${k.connections} | ${k.requests} | ${k.perSecond.toFixed(1)} | ${k.p50} | ${k.p99} | ${k.max} | ${statuses(k.byStatus)} | ${k.refused ? `${k.withRetryAfter} of ${k.refused}` : "-"} | ${k.refused ? `${k.refusedP50.toFixed(0)} / ${k.refusedP99.toFixed(0)}` : "-"} | ${k.errors} | ${k.timeouts} |`,
      );
  console.log(
    "\n| phase | requests | server RSS before -> after (MB) | server peak (MB) | engine RSS after (MB) | load average (median, min-max) |",
  );
  console.log("| --- | ---: | --- | ---: | ---: | --- |");
  for (const p of r.phases) {
    const n = p.results.reduce((a, k) => a + k.requests, 0);
    console.log(
      `| ${p.name} | ${n} | ${p.memBefore.node.toFixed(0)} -> ${p.memAfter.node.toFixed(0)} | ${p.memAfter.nodePeak.toFixed(0)} | ${p.memAfter.engines.toFixed(0)} | ${p.load.median.toFixed(1)} (${p.load.min.toFixed(1)}-${p.load.max.toFixed(1)}) |`,
    );
  }
  console.log("\nThe first answer that was not 2xx, per phase and kind:\n");
  for (const p of r.phases)
    for (const k of p.results)
      if (k.firstRefusal)
        console.log(`- ${p.name}, ${k.name}: \`${k.firstRefusal.replace(/\s+/g, " ")}\``);
  console.log(`\nGET /health after both phases: ${r.alive}`);
}
