// Giving memory back after bulk changes. V8 grows its heap while a burst of work allocates (loading
// 100,000 flows), and an idle process is not collected again: the old generation stays at its high-water
// mark. After a burst of long-lived changes has gone quiet, one full collection brings the heap back to
// what is live. The collector is reached through V8's --expose-gc in a fresh context, so that no global
// `gc` appears in the program's own context.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null = null;

/** V8's full collection. */
function fullGc(): void {
  if (collect === null) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

/**
 * Counts changes to long-lived data; once at least `threshold` have been made and none for `quietMs`,
 * runs a full collection (at most one per quiet period).
 */
export class IdleCollector {
  private pending = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Full collections run. */
  runs = 0;

  constructor(
    private readonly threshold = 10_000,
    private readonly quietMs = 1000,
  ) {}

  /** Notes `n` changes. */
  note(n = 1): void {
    this.pending += n;
    if (this.pending < this.threshold) return;
    if (this.timer !== null) this.timer.refresh();
    else {
      this.timer = setTimeout(() => this.fire(), this.quietMs);
      this.timer.unref();
    }
  }

  private fire(): void {
    this.timer = null;
    this.pending = 0;
    this.runs++;
    fullGc();
  }

  /** Cancels a pending collection. */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
