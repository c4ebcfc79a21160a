import cliProgress from "cli-progress";
import type { EngineMessage } from "../../protocol/index.ts";
import { formatSeconds, say } from "./output.ts";

/**
 * Shows training as it happens: a live bar with loss, speed and ETA on a terminal, or a line every
 * tenth of the run when stderr is not a terminal (logs, CI).
 */
export class TrainingProgress {
  private bar: cliProgress.SingleBar | null = null;
  private lastLineStep = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  /** `accuracy`: what the evaluations' accuracy is (a classifier's is the share of texts labelled right). */
  constructor(private readonly accuracy = "token accuracy") {}

  update(msg: EngineMessage): void {
    switch (msg.type) {
      case "progress":
        this.line(
          `${msg.message}${msg.total ? ` (${Math.round(((msg.current ?? 0) / msg.total) * 100)}%)` : ""}`,
        );
        break;
      case "metrics": {
        const eta = msg.eta_seconds;
        const payload = {
          loss: msg.train_loss.toFixed(4),
          tps: Math.round(msg.tokens_per_second),
          eta: formatSeconds(eta),
          epoch: msg.epoch.toFixed(2),
        };
        if (this.tty) {
          if (!this.bar) {
            this.bar = new cliProgress.SingleBar(
              {
                format:
                  "training |{bar}| step {value}/{total} | epoch {epoch} | loss {loss} | {tps} tok/s | ETA {eta}",
                stream: process.stderr,
                hideCursor: true,
              },
              cliProgress.Presets.shades_classic,
            );
            this.bar.start(msg.total_steps, 0, payload);
          }
          this.bar.update(msg.step, payload);
        } else if (
          msg.step === 1 ||
          msg.step === msg.total_steps ||
          msg.step - this.lastLineStep >= Math.max(1, Math.ceil(msg.total_steps / 10))
        ) {
          this.lastLineStep = msg.step;
          say(
            `step ${msg.step}/${msg.total_steps}  epoch ${payload.epoch}  loss ${payload.loss}  ${payload.tps} tok/s  ETA ${payload.eta}`,
          );
        }
        break;
      }
      case "evaluation":
        this.line(
          `validation at step ${msg.step} (epoch ${msg.epoch.toFixed(2)}): loss ${msg.val_loss.toFixed(4)}, ${this.accuracy} ${(msg.val_token_accuracy * 100).toFixed(1)}%`,
        );
        break;
      default:
        break;
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }

  /** A line of text above the bar. */
  line(text: string): void {
    if (this.bar) {
      this.bar.stop();
      say(text);
      this.bar = null;
    } else say(text);
  }
}

/**
 * Counts things done out of a known total (texts classified): a live bar with the rate on a
 * terminal, a line every tenth of the way when stderr is not a terminal.
 */
export class CountProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly started = Date.now();
  private lastLine = 0;

  constructor(
    private readonly what: string,
    private readonly total: number,
  ) {
    this.bar = process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            format: `${what} |{bar}| {value}/{total} | {rate}/s | ETA {eta_formatted}`,
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(total, 0, { rate: "0" });
  }

  update(done: number): void {
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? (done / seconds).toFixed(0) : "0";
    if (this.bar) {
      this.bar.update(done, { rate });
    } else if (done === this.total || done - this.lastLine >= Math.ceil(this.total / 10)) {
      this.lastLine = done;
      say(`${this.what}: ${done}/${this.total} (${rate}/s)`);
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}
