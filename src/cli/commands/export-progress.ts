/**
 * What an export is doing, on stderr: a bar for the steps the engine counts (tensors written) on a
 * terminal, and a line per step otherwise (logs, CI), with a line every quarter of a counted step.
 */
import cliProgress from "cli-progress";
import type { ExportProgress } from "../../exports/index.ts";
import { say } from "../output.ts";

export class ExportBar {
  private bar: cliProgress.SingleBar | null = null;
  private message = "";
  private nextQuarter = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  update(p: ExportProgress): void {
    const counted = p.total !== null && p.total > 0;
    if (p.message !== this.message) {
      this.stop();
      this.message = p.message;
      this.nextQuarter = 0;
      if (!counted || !this.tty) say(`${p.message}…`);
    }
    if (!counted || p.total === null) return;
    const done = p.current ?? 0;
    if (this.tty) {
      if (!this.bar) {
        this.bar = new cliProgress.SingleBar(
          {
            format: `${p.message} |{bar}| {value}/{total} | ETA {eta_formatted}`,
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(p.total, 0);
      }
      this.bar.update(done);
    } else if (done / p.total >= this.nextQuarter && this.nextQuarter <= 1) {
      if (this.nextQuarter > 0)
        say(`  ${Math.round((done / p.total) * 100)}% (${done}/${p.total})`);
      this.nextQuarter = Math.floor((done / p.total) * 4 + 1) / 4;
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
