// Progress for people: on a terminal, a spinner line that each step rewrites and that ends with ✓ or ✗;
// elsewhere (a pipe, a CI log), one plain line per step and per outcome. Both print other lines above.

/** Where a long operation reports what it is doing. */
export interface Progress {
  /** A new step begins. */
  step(text: string): void;
  /** The current step's text changes (elapsed time, a count); plain output prints only some updates. */
  update(text: string): void;
  /** The current step succeeded (with a final text, or its own). */
  succeed(text?: string): void;
  /** The current step failed. */
  fail(text?: string): void;
  /** A line of output that is not a step. */
  log(line: string): void;
  /** Stops any animation (idempotent). */
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A spinner on a terminal stream. */
export class SpinnerProgress implements Progress {
  private text = '';
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly out: NodeJS.WriteStream) {}

  step(text: string): void {
    if (this.timer !== undefined) this.succeed();
    this.text = text;
    this.timer = setInterval(() => this.draw(), 80);
    this.timer.unref();
    this.draw();
  }

  update(text: string): void {
    this.text = text;
    this.draw();
  }

  succeed(text?: string): void {
    this.finish('\x1b[32m✓\x1b[0m', text);
  }

  fail(text?: string): void {
    this.finish('\x1b[31m✗\x1b[0m', text);
  }

  log(line: string): void {
    this.out.write(`\r\x1b[K${line}\n`);
    if (this.timer !== undefined) this.draw();
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.out.write('\r\x1b[K');
  }

  private draw(): void {
    const width = Math.max(20, (this.out.columns || 80) - 3);
    const text = this.text.length > width ? `${this.text.slice(0, width - 1)}…` : this.text;
    this.out.write(`\r\x1b[K\x1b[36m${FRAMES[this.frame++ % FRAMES.length]}\x1b[0m ${text}`);
  }

  private finish(mark: string, text?: string): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.out.write(`\r\x1b[K${mark} ${text ?? this.text}\n`);
  }
}

/** Plain lines, for pipes and logs: "… text" when a step begins, "ok: text" / "FAILED: text" after. */
export class LineProgress implements Progress {
  private text = '';
  private active = false;
  private lastUpdate = 0;

  constructor(private readonly out: NodeJS.WritableStream) {}

  step(text: string): void {
    this.text = text;
    this.active = true;
    this.lastUpdate = Date.now();
    this.out.write(`… ${text}\n`);
  }

  update(text: string): void {
    this.text = text;
    if (Date.now() - this.lastUpdate < 5000) return;
    this.lastUpdate = Date.now();
    this.out.write(`… ${text}\n`);
  }

  succeed(text?: string): void {
    if (!this.active) return;
    this.active = false;
    this.out.write(`ok: ${text ?? this.text}\n`);
  }

  fail(text?: string): void {
    if (!this.active) return;
    this.active = false;
    this.out.write(`FAILED: ${text ?? this.text}\n`);
  }

  log(line: string): void {
    this.out.write(`${line}\n`);
  }

  stop(): void {
    this.active = false;
  }
}

/** A progress that prints nothing (for `--quiet`). */
export class SilentProgress implements Progress {
  step(): void {}
  update(): void {}
  succeed(): void {}
  fail(): void {}
  log(): void {}
  stop(): void {}
}

/** A spinner when `out` is a terminal, plain lines otherwise. */
export function progressFor(out: NodeJS.WriteStream): Progress {
  return out.isTTY ? new SpinnerProgress(out) : new LineProgress(out);
}
