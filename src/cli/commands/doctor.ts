import type { Command } from "commander";
import { doctor } from "../../engine/index.ts";
import { tailorHome } from "../../models/index.ts";
import { databaseUrl, redactUrl, sharedRoot } from "../../store/index.ts";
import { printJson, table } from "../output.ts";
import { withTailor } from "../services.ts";

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("check Python, torch, the compute device, threads and the models Tailor can find")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const report = await doctor();
      const models = withTailor((s) => s.models.list()).map((m) => ({
        name: m.name,
        kind: m.kind,
        origin: m.origin,
      }));
      const url = databaseUrl();
      const store = url ? `Postgres at ${redactUrl(url)}` : "SQLite (TAILOR_HOME/tailor.db)";
      const files = sharedRoot(tailorHome());
      const result = {
        node: process.version,
        tailor_home: tailorHome(),
        store,
        files,
        ...report,
        models,
      };
      if (opts.json) return printJson(result);
      const builtin = report.builtin_models.map(
        (b) => `${b.name}: ${b.present ? b.path : "MISSING (run npm install)"}`,
      );
      console.log(
        table([
          ["node", process.version],
          ["python", `${report.python} (${report.python_executable})`],
          ...Object.entries(report.packages).map(([k, v]) => [k, v ?? "not installed"]),
          [
            "device",
            `${report.device}${report.cuda_available ? " (CUDA available)" : ""}${report.mps_available ? " (MPS available)" : ""}`,
          ],
          ["threads", String(report.threads)],
          [
            "memory allocator",
            report.allocator === "system"
              ? "system malloc (npm install brings mimalloc, which trains faster; TAILOR_ALLOCATOR to choose)"
              : report.allocator,
          ],
          ["TAILOR_HOME", tailorHome()],
          ["store", store],
          ["examples, models, runs", files],
          ["built-in models", builtin.join("; ")],
          ["models", models.map((m) => m.name).join(", ")],
        ]),
      );
    });
}
