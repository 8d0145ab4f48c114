// Drives the switch from the database: on every replica change that touches configuration (not just
// the status vswitchd itself wrote), one reconfiguration pass, then one transaction with the status
// and cur_cfg = next_cfg; a timer for statistics (other_config:stats-update-interval, at least 5 s) and
// a one-second tick (datapath expiry, MAC aging, retrying devices that were missing, link changes).
// Passes never overlap: requests made while one runs are folded into the next.
import type { Replica, ReplicaChange, ReplicaRow } from '../ovsdb/client/replica.js';
import { OvsdbTxnError, Transaction } from '../ovsdb/client/txn.js';
import { readConfig, STATUS_COLUMNS } from './config.js';
import type { Coverage } from './coverage.js';
import { writeStatus } from './status.js';
import type { SwitchState } from './switch.js';
import type { ModuleLog } from './vlog.js';

/** Open vSwitch's default and smallest statistics interval. */
export const DEFAULT_STATS_INTERVAL_MS = 5000;

/** Options of a Reconciler. */
export interface ReconcilerOptions {
  readonly datapathTypes: readonly string[];
  readonly ifaceTypes: readonly string[];
  /** Milliseconds between ticks (default 1000). */
  readonly tickMs?: number;
  /** Lower bound of the statistics interval (default 5000, OVS's; tests lower it). */
  readonly minStatsIntervalMs?: number;
  /** The clock (ms) handed to the datapath and ofproto (default Date.now). */
  readonly clock?: () => number;
  /** More work per pass: after each reconfiguration, and more status columns (vswitchd/openflow.ts). */
  readonly hooks?: ReconcilerHooks;
}

/** What other parts of vswitchd add to a pass. */
export interface ReconcilerHooks {
  /** After the switch applied a new configuration (awaited before the status transaction). */
  configured?(): Promise<void>;
  /** Adds status columns to the pass's transaction; returns how many. */
  writeStatus?(txn: Transaction, withStats: boolean): number;
}

/** The loop that keeps the switch in line with the database. */
export class Reconciler {
  private needConfig = true;
  private needStatus = true;
  private needStats = true;
  private running: Promise<void> | null = null;
  private stopped = false;
  private tickTimer: NodeJS.Timeout | null = null;
  private statsTimer: NodeJS.Timeout | null = null;
  private statsIntervalMs = DEFAULT_STATS_INTERVAL_MS;
  private readonly clock: () => number;
  private readonly onChange = (change: ReplicaChange) => this.changed(change);

  constructor(
    private readonly replica: Replica,
    private readonly sw: SwitchState,
    private readonly log: ModuleLog,
    private readonly coverage: Coverage,
    private readonly options: ReconcilerOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** Starts listening and runs the first pass; resolves once that pass has been committed. */
  async start(): Promise<void> {
    this.replica.on('change', this.onChange);
    this.tickTimer = setInterval(() => this.tick(), this.options.tickMs ?? 1000);
    this.tickTimer.unref();
    this.armStatsTimer();
    await this.kick();
  }

  /** Stops the timers and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.replica.off('change', this.onChange);
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    if (this.statsTimer !== null) clearTimeout(this.statsTimer);
    await this.running?.catch(() => {});
  }

  /** Resolves once no pass is running or pending (for tests and unixctl). */
  async settled(): Promise<void> {
    while (this.running !== null) await this.running.catch(() => {});
  }

  /** One tick: datapath and MAC-table housekeeping, device retries, link changes. */
  tick(): void {
    if (this.stopped) return;
    const now = this.clock();
    try {
      this.sw.datapath.tick(now);
      this.sw.ofproto.run(now);
      this.coverage.run(now);
      this.sw.retryFailed();
      this.sw.checkLinks();
    } catch (err) {
      this.log.error(
        `housekeeping failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    }
    this.needStatus = true;
    void this.kick();
  }

  /** The link monitor saw interface `name` change: the switch checks its link now, status follows. */
  linkChanged(name: string): void {
    if (this.stopped) return;
    try {
      if (!this.sw.checkLinks(name)) return;
    } catch (err) {
      this.log.error(`link check failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return;
    }
    this.needStatus = true;
    void this.kick();
  }

  /** Starts the loop unless it runs; it runs until nothing is pending. */
  private kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running === null) {
      this.running = this.loop().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped && (this.needConfig || this.needStatus || this.needStats)) {
      if (!this.replica.synced) return;
      const reconfigured = this.needConfig;
      if (this.needConfig) {
        this.needConfig = false;
        try {
          const config = readConfig(this.replica);
          this.sw.apply(config);
          this.setStatsInterval(config.statsInterval);
          await this.options.hooks?.configured?.();
        } catch (err) {
          this.log.error(
            `reconfiguration failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
          );
        }
      }
      const stats = this.needStats;
      this.needStatus = false;
      this.needStats = false;
      if (!(await this.commit(stats, reconfigured))) return;
    }
  }

  /**
   * One status transaction; false when it failed (the work stays pending for the next tick or change).
   * After "try again" it waits for the replica to catch up before the loop goes on.
   */
  private async commit(stats: boolean, reconfigured: boolean): Promise<boolean> {
    const seqno = this.replica.seqno;
    try {
      const txn = new Transaction(this.replica);
      let n = writeStatus(txn, this.sw, {
        stats,
        curCfg: true,
        datapathTypes: this.options.datapathTypes,
        ifaceTypes: this.options.ifaceTypes,
      });
      n += this.options.hooks?.writeStatus?.(txn, stats) ?? 0;
      if (stats) this.coverage.add('netdev_get_stats');
      const result = await txn.commit();
      this.coverage.add(`txn_${result.status.replace(' ', '_')}`);
      if (result.status === 'try again') {
        this.needStatus = true;
        if (stats) this.needStats = true;
        await this.replica.waitForChange(seqno, 2000).catch(() => {});
        return true;
      }
      if (n > 0) this.log.debug(`wrote ${n} status column(s)${reconfigured ? ' after reconfiguration' : ''}`);
      return true;
    } catch (err) {
      this.coverage.add('txn_error');
      this.needStatus = true;
      if (stats) this.needStats = true;
      const text = err instanceof Error ? err.message : String(err);
      if (err instanceof OvsdbTxnError) this.log.warn(`status transaction failed: ${text}`);
      else this.log.info(`status transaction not completed: ${text}`);
      return false;
    }
  }

  /** A replica batch: a pass when configuration changed (or the replica re-synchronised). */
  private changed(change: ReplicaChange): void {
    if (change.resync || change.changes.some((c) => touchesConfig(c.table, c.old, c.new))) {
      this.needConfig = true;
      this.needStatus = true;
      void this.kick();
    }
  }

  private setStatsInterval(requested: number | null): void {
    const min = this.options.minStatsIntervalMs ?? DEFAULT_STATS_INTERVAL_MS;
    const interval = Math.max(requested ?? DEFAULT_STATS_INTERVAL_MS, min);
    if (interval === this.statsIntervalMs) return;
    this.statsIntervalMs = interval;
    this.armStatsTimer();
  }

  private armStatsTimer(): void {
    if (this.statsTimer !== null) clearTimeout(this.statsTimer);
    if (this.stopped) return;
    const interval = Math.max(
      this.statsIntervalMs,
      this.options.minStatsIntervalMs ?? DEFAULT_STATS_INTERVAL_MS,
    );
    this.statsTimer = setTimeout(() => {
      this.needStats = true;
      void this.kick();
      this.armStatsTimer();
    }, interval);
    this.statsTimer.unref();
  }
}

/** Whether a row change touches a column vswitchd reads as configuration (not one it writes). */
export function touchesConfig(table: string, old: ReplicaRow | null, neu: ReplicaRow | null): boolean {
  if (old === null || neu === null) return true;
  const status = STATUS_COLUMNS[table];
  for (const [column, value] of neu.data) {
    if (status?.has(column)) continue;
    const before = old.data.get(column);
    if (before === undefined || !before.equals(value)) return true;
  }
  return false;
}
