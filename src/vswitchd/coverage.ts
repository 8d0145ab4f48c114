// Event counters after Open vSwitch's coverage module: named counters that the control plane bumps, with
// per-second rates over the last 5 seconds, minute and hour, shown by `coverage/show` in OVS's layout.
// Sampling is driven by run(now) (a 5-second cadence), so tests can use a fake clock.

/** Seconds per sample, as OVS's COVERAGE_RUN_INTERVAL. */
const SAMPLE_MS = 5000;
/** Samples per minute and minutes per hour. */
const MIN_SLOTS = 12;
const HR_SLOTS = 60;

interface Counter {
  /** Events since the last sample. */
  pending: number;
  total: number;
  /** Events in each of the last 12 five-second samples (ring). */
  readonly min: number[];
  /** Events in each of the last 60 minutes (ring). */
  readonly hr: number[];
}

/** A set of coverage counters. */
export class Coverage {
  private readonly counters = new Map<string, Counter>();
  private samples = 0;
  private nextSample: number | null = null;

  constructor(names: readonly string[] = []) {
    for (const n of names) this.define(n);
  }

  /** Declares a counter (shown as "never hit" until it counts). */
  define(name: string): void {
    if (this.counters.has(name)) return;
    this.counters.set(name, {
      pending: 0,
      total: 0,
      min: new Array(MIN_SLOTS).fill(0),
      hr: new Array(HR_SLOTS).fill(0),
    });
  }

  /** Counts `n` events of `name` (defining the counter on first use). */
  add(name: string, n = 1): void {
    if (!this.counters.has(name)) this.define(name);
    const c = this.counters.get(name) as Counter;
    c.pending += n;
    c.total += n;
  }

  /** The total of one counter, or undefined for an unknown name (`coverage/read-counter`). */
  read(name: string): number | undefined {
    return this.counters.get(name)?.total;
  }

  /** Takes the 5-second samples that are due by `now` (ms). */
  run(now: number): void {
    if (this.nextSample === null) this.nextSample = now + SAMPLE_MS;
    while (now >= this.nextSample) {
      this.sample();
      this.nextSample += SAMPLE_MS;
    }
  }

  /** `coverage/show`: the header, one line per counter that was hit, and the count of the others. */
  show(): string {
    const last = (this.samples + MIN_SLOTS - 1) % MIN_SLOTS;
    const lines = [
      `Event coverage, avg rate over last: ${SAMPLE_MS / 1000} seconds, last minute, last hour,  hash=${this.hash()}:`,
    ];
    let never = 0;
    for (const [name, c] of this.counters) {
      if (c.total === 0) {
        never++;
        continue;
      }
      const sec = this.samples === 0 ? 0 : (c.min[last] * 1000) / SAMPLE_MS;
      const minute = sum(c.min) / 60;
      const hour = sum(c.hr) / 3600;
      lines.push(
        `${name.padEnd(24)} ${sec.toFixed(1).padStart(5)}/sec ${minute.toFixed(3).padStart(9)}/sec ${hour.toFixed(4).padStart(13)}/sec   total: ${c.total}`,
      );
    }
    lines.push(`${never} events never hit`);
    return `${lines.join('\n')}\n`;
  }

  private sample(): void {
    const slot = this.samples % MIN_SLOTS;
    for (const c of this.counters.values()) {
      c.min[slot] = c.pending;
      c.pending = 0;
    }
    this.samples++;
    if (this.samples % MIN_SLOTS === 0) {
      const hslot = (this.samples / MIN_SLOTS - 1) % HR_SLOTS;
      for (const c of this.counters.values()) c.hr[hslot] = sum(c.min);
    }
  }

  /** A hash of the counters hit and their totals (it changes whenever a count does, like OVS's changes with their ranks). */
  private hash(): string {
    const hit = [...this.counters].filter(([, c]) => c.total > 0);
    hit.sort(([a, x], [b, y]) => y.total - x.total || (a < b ? -1 : 1));
    let h = 2166136261;
    for (const [name, c] of hit) {
      for (const ch of `${name}=${c.total};`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    }
    return h.toString(16).padStart(8, '0');
  }
}

function sum(a: readonly number[]): number {
  let s = 0;
  for (const x of a) s += x;
  return s;
}
