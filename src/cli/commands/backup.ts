import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { type BackupPhase, createBackup, restoreBackup } from "../../backup/index.ts";
import { tailorHome } from "../../models/index.ts";
import { formatSeconds, printJson, say } from "../output.ts";
import { CountProgress } from "../progress.ts";

/** Below this much data the work takes a few seconds and gets no progress bar. */
const BAR_FROM_MIB = 32;
const MIB = 1024 * 1024;
const mib = (bytes: number) => (bytes / MIB).toFixed(1);

const PHASES: Record<BackupPhase, string> = {
  database: "copying the database (SQLite online backup)",
  files: "linking the files",
  hashing: "hashing (MiB)",
  writing: "writing the archive",
  verifying: "reading the archive back (MiB)",
};

/** A bar per phase measured in bytes (when there is much to do), a line for the others. */
function phaseProgress(quiet: boolean) {
  let current: { phase: string; bar: CountProgress | null; shown: number } | null = null;
  const stop = () => current?.bar?.stop();
  const update = (phase: string, label: string, done: number, total: number, bytes: boolean) => {
    if (quiet) return;
    if (current?.phase !== phase) {
      stop();
      const big = bytes && total >= BAR_FROM_MIB * MIB;
      current = {
        phase,
        bar: big ? new CountProgress(label, Math.ceil(total / MIB)) : null,
        shown: -1,
      };
      if (!big && (phase === "database" || phase === "writing")) say(`${label}…`);
    }
    const now = done >= total ? Math.ceil(total / MIB) : Math.floor(done / MIB);
    if (now === current.shown) return; // a line per new MiB at most
    current.shown = now;
    current.bar?.update(now);
  };
  return { update, stop };
}

export function registerBackup(program: Command): void {
  program
    .command("backup")
    .description(
      "write TAILOR_HOME into one archive while the server runs: the database (SQLite's online backup), keys, uploads, models, runs and checkpoints, each file with its sha256",
    )
    .option("--out <file>", "the archive to write (.tar, or .tar.gz to compress)")
    .option("--json", "print JSON")
    .action(async (f: { out?: string; json?: boolean }) => {
      const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
      const out = resolve(f.out ?? `tailor-backup-${stamp}.tar`);
      const progress = phaseProgress(Boolean(f.json));
      const r = await createBackup({
        home: tailorHome(),
        out,
        onProgress: (phase, done, total) =>
          progress.update(
            phase,
            PHASES[phase],
            done,
            total,
            phase === "hashing" || phase === "verifying",
          ),
      }).finally(() => progress.stop());
      if (f.json) return printJson({ object: "backup", ...r });
      console.log(r.file);
      say(
        `backed up ${r.files} files (${mib(r.data_bytes)} MiB) into ${mib(r.bytes)} MiB in ${formatSeconds(r.seconds)}; every file's sha256 checked in the archive`,
      );
      if (r.running_jobs.length > 0)
        say(
          `running when the backup was taken: ${r.running_jobs.join(", ")} (a restored home resumes them from their last checkpoint)`,
        );
      say(`restore it with: tailor restore ${r.file} --home EMPTY_FOLDER`);
    });

  program
    .command("restore <file>")
    .description(
      "restore a `tailor backup` archive into an empty or new home, after checking every file's sha256",
    )
    .option(
      "--home <dir>",
      "the folder to restore into (default TAILOR_HOME); must be empty or absent",
    )
    .option("--json", "print JSON")
    .action(async (file: string, f: { home?: string; json?: boolean }) => {
      const progress = phaseProgress(Boolean(f.json));
      let total = 0;
      try {
        total = statSync(file).size;
      } catch {
        // restoreBackup says that the file is missing
      }
      const r = await restoreBackup({
        file,
        home: f.home ?? tailorHome(),
        onBytes: (n) => progress.update("restore", "checking and unpacking (MiB)", n, total, true),
      }).finally(() => progress.stop());
      if (f.json) return printJson({ object: "restore", ...r });
      say(
        `restored ${r.files} files (${mib(r.bytes)} MiB, backup of ${r.created} from ${r.from}) into ${r.home} in ${formatSeconds(r.seconds)}; every sha256 matched`,
      );
      if (r.resumable_jobs.length > 0)
        say(
          `jobs that were running: ${r.resumable_jobs.join(", ")}; start \`tailor worker\` (or \`tailor serve\`) with TAILOR_HOME=${r.home} and each resumes from its last checkpoint`,
        );
    });
}
