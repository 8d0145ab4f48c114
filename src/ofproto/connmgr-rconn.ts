// A reliable OpenFlow connection to a controller (Open vSwitch's lib/rconn.c): connects to an active target
// (tcp:IP[:PORT], unix:PATH), negotiates, and when the connection fails or is lost waits and tries again
// with rconn's backoff (1 s, doubling up to max_backoff, 8 s by default; back to 1 s once a connection has
// lasted as long as the backoff). While connected it sends an echo request after `probe_interval` of
// silence (state IDLE) and drops the connection when nothing arrives for another interval.
//
// States and the status keys are rconn's, as ovs-vswitchd writes them to the Controller table: state
// (VOID, BACKOFF, CONNECTING, ACTIVE, IDLE), last_error, sec_since_connect, sec_since_disconnect.
import type { Socket } from 'node:net';
import { connect as connectAddress } from '../jsonrpc/address.js';
import { describeSystemError, strerror } from '../jsonrpc/errno.js';
import { OFP_PORT, OfConnection } from '../openflow/conn.js';

export type RconnState = 'VOID' | 'BACKOFF' | 'CONNECTING' | 'ACTIVE' | 'IDLE';

/** Where an rconn logs. */
export interface RconnLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface RconnOptions {
  /** The active target, e.g. `tcp:127.0.0.1:6653` (default port 6653) or `unix:/path`. */
  readonly target: string;
  /** Name for logs (OVS: "br0<->tcp:127.0.0.1:6653"). */
  readonly name: string;
  /** Versions to offer (bitmap). */
  readonly versions: number;
  /** Longest wait between attempts, ms (default 8000). */
  readonly maxBackoffMs?: number;
  /** Inactivity probe interval, ms; 0 disables (default 5000). */
  readonly probeIntervalMs?: number;
  /** The backoff's unit, ms (default 1000: OVS's one second); tests shrink it. */
  readonly backoffUnitMs?: number;
  /** Directory relative unix: paths are taken from (OVS: its rundir). */
  readonly rundir?: string;
  readonly clock?: () => number;
  readonly log?: RconnLog;
  /** A negotiated connection: the owner attaches its handlers. */
  readonly onConnect: (conn: OfConnection) => void;
  /** The connection (negotiated earlier) was lost or dropped. */
  readonly onDisconnect: (conn: OfConnection) => void;
}

const QUIET: RconnLog = { info: () => {}, warn: () => {} };

/** One reliable connection to a controller. */
export class Rconn {
  state: RconnState = 'VOID';
  /** The negotiated connection while ACTIVE or IDLE. */
  conn: OfConnection | null = null;
  /** Times (clock ms) of the last successful connection and the last disconnection; null: never. */
  lastConnected: number | null = null;
  lastDisconnected: number | null = null;
  /** strerror() text of what ended the last connection or attempt ("Connection refused", "End of file"). */
  lastError: string | null = null;
  /** Current backoff, ms. */
  backoffMs = 0;

  private backoffDeadline = Number.NEGATIVE_INFINITY;
  private stateEntered: number;
  private lastActivity: number;
  private timer: NodeJS.Timeout | null = null;
  private socket: Socket | null = null;
  private stopped = false;
  private attempt = 0;
  private readonly clock: () => number;
  private readonly log: RconnLog;
  private readonly unit: number;
  readonly maxBackoffMs: number;
  readonly probeIntervalMs: number;

  constructor(private readonly opts: RconnOptions) {
    this.clock = opts.clock ?? Date.now;
    this.log = opts.log ?? QUIET;
    this.unit = opts.backoffUnitMs ?? 1000;
    this.maxBackoffMs = Math.max(this.unit, opts.maxBackoffMs ?? 8 * this.unit);
    this.probeIntervalMs = opts.probeIntervalMs ?? 5 * this.unit;
    this.stateEntered = this.clock();
    this.lastActivity = this.stateEntered;
  }

  get target(): string {
    return this.opts.target;
  }

  /** True while negotiated (ACTIVE or IDLE). */
  get isConnected(): boolean {
    return this.state === 'ACTIVE' || this.state === 'IDLE';
  }

  /** Starts connecting (at once). */
  start(): void {
    if (this.state === 'VOID' && !this.stopped) this.reconnect();
  }

  /** Stops for good: closes the connection, cancels timers. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
    this.attempt++;
    this.socket?.destroy();
    this.socket = null;
    const conn = this.conn;
    this.conn = null;
    if (conn) {
      conn.close();
      this.opts.onDisconnect(conn);
    }
    this.state = 'VOID';
  }

  /** Drops the current connection (if any) and reconnects after the backoff, as rconn_reconnect(). */
  reconnect(): void {
    if (this.stopped) return;
    if (this.isConnected) {
      // rconn_reconnect(): a disconnection asked for locally records no error.
      this.dropConnection(null);
      return;
    }
    this.connectNow();
  }

  private transition(state: RconnState): void {
    this.state = state;
    this.stateEntered = this.clock();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private setTimer(ms: number, fn: () => void): void {
    this.clearTimer();
    this.timer = setTimeout(fn, Math.max(0, ms));
    this.timer.unref?.();
  }

  private connectNow(): void {
    const attempt = ++this.attempt;
    this.log.info(`${this.opts.name}: connecting...`);
    this.backoffDeadline = this.clock() + this.backoffMs;
    this.transition('CONNECTING');
    this.setTimer(Math.max(this.unit, this.backoffMs), () => {
      if (attempt !== this.attempt) return;
      this.log.info(`${this.opts.name}: connection timed out`);
      this.backoffDeadline = Number.POSITIVE_INFINITY;
      this.socket?.destroy();
      this.socket = null;
      this.disconnect('Connection timed out');
    });
    connectAddress(this.opts.target, { defaultPort: OFP_PORT, rundir: this.opts.rundir }).then(
      (socket) => this.onSocket(socket, attempt),
      (err: unknown) => {
        if (attempt !== this.attempt) return;
        this.log.info(`${this.opts.name}: connection failed (${describeSystemError(err)})`);
        this.disconnect(describeSystemError(err));
      },
    );
  }

  private onSocket(socket: Socket, attempt: number): void {
    if (attempt !== this.attempt || this.stopped) {
      socket.destroy();
      return;
    }
    this.socket = socket;
    const conn = new OfConnection(socket, { versions: this.opts.versions, name: this.opts.name });
    conn.once('close', (reason) => {
      if (attempt !== this.attempt) return;
      const wasConnected = this.conn === conn;
      this.socket = null;
      this.conn = null;
      if (wasConnected) this.opts.onDisconnect(conn);
      const text = reason === null ? 'End of file' : closeText(reason);
      if (wasConnected) this.log.info(`${this.opts.name}: connection dropped (${text})`);
      this.disconnect(text);
    });
    conn.on('message', () => this.activity());
    conn.ready.then(
      () => {
        if (attempt !== this.attempt || conn.isClosed) return;
        this.log.info(`${this.opts.name}: connected`);
        this.conn = conn;
        this.transition('ACTIVE');
        this.lastConnected = this.stateEntered;
        this.lastActivity = this.stateEntered;
        this.armProbe();
        this.opts.onConnect(conn);
      },
      () => undefined,
    );
  }

  /** Something arrived: the peer is alive. */
  private activity(): void {
    this.lastActivity = this.clock();
    if (this.state === 'IDLE') {
      this.transition('ACTIVE');
      this.armProbe();
    }
  }

  private armProbe(): void {
    if (this.probeIntervalMs <= 0) {
      this.clearTimer();
      return;
    }
    const due = Math.max(this.lastActivity, this.stateEntered) + this.probeIntervalMs;
    this.setTimer(due - this.clock(), () => this.probeDue());
  }

  private probeDue(): void {
    if (this.state !== 'ACTIVE' || this.conn === null) return;
    const base = Math.max(this.lastActivity, this.stateEntered);
    if (this.clock() < base + this.probeIntervalMs) {
      this.armProbe();
      return;
    }
    this.transition('IDLE');
    try {
      this.conn.send({ type: 'echo_request', data: new Uint8Array(0) });
    } catch {
      // The close handler takes it from here.
    }
    this.setTimer(this.probeIntervalMs, () => {
      if (this.state !== 'IDLE') return;
      const secs = Math.round((this.clock() - this.stateEntered) / 1000);
      this.log.warn(
        `${this.opts.name}: no response to inactivity probe after ${secs} seconds, disconnecting`,
      );
      this.dropConnection('Connection timed out');
    });
  }

  private dropConnection(error: string | null): void {
    const conn = this.conn;
    this.attempt++;
    this.conn = null;
    this.socket?.destroy();
    this.socket = null;
    if (conn) {
      conn.close();
      this.opts.onDisconnect(conn);
    }
    this.disconnect(error);
  }

  /** rconn's disconnect(): records the error, computes the next backoff, waits. */
  private disconnect(error: string | null): void {
    if (this.stopped) return;
    if (this.isConnected && this.conn !== null) {
      this.dropConnection(error);
      return;
    }
    this.lastError = error;
    const now = this.clock();
    if (this.state === 'CONNECTING' || this.state === 'ACTIVE' || this.state === 'IDLE') {
      if (this.state !== 'CONNECTING' || this.opts.target.startsWith('tcp:')) this.lastDisconnected = now;
    }
    if (now >= this.backoffDeadline) this.backoffMs = this.unit;
    else if (this.backoffMs < this.maxBackoffMs / 2) {
      this.backoffMs = Math.max(this.unit, 2 * this.backoffMs);
      this.log.info(`${this.opts.name}: waiting ${this.backoffMs / this.unit} seconds before reconnect`);
    } else this.backoffMs = this.maxBackoffMs;
    this.backoffDeadline = now + this.backoffMs;
    this.transition('BACKOFF');
    this.setTimer(this.backoffMs, () => {
      if (this.state === 'BACKOFF') this.connectNow();
    });
  }
}

/** The strerror() text of an errno code named in a close reason ("read ECONNRESET"), else its message. */
function closeText(reason: Error): string {
  const code = /\b(E[A-Z]{3,})\b/.exec(reason.message)?.[1];
  return code === undefined ? reason.message : strerror(code);
}

/**
 * Inactivity probing for a connection that is not reconnected (one a listener accepted): an echo request
 * after `intervalMs` of silence, and the connection closed after as long again without an answer.
 * Returns a function that stops watching.
 */
export function watchInactivity(
  conn: OfConnection,
  intervalMs: number,
  clock: () => number,
  log: RconnLog,
): () => void {
  if (intervalMs <= 0) return () => {};
  let last = clock();
  let idle = false;
  let timer: NodeJS.Timeout | null = null;
  const arm = (ms: number) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, Math.max(0, ms));
    timer.unref?.();
  };
  const check = () => {
    if (conn.isClosed) return;
    const silent = clock() - last;
    if (!idle) {
      if (silent < intervalMs) return arm(intervalMs - silent);
      idle = true;
      if (conn.version !== 0) conn.send({ type: 'echo_request', data: new Uint8Array(0) });
      return arm(intervalMs);
    }
    log.warn(
      `${conn.name}: no response to inactivity probe after ${Math.round(silent / 1000)} seconds, disconnecting`,
    );
    conn.close();
  };
  conn.on('message', () => {
    last = clock();
    if (idle) {
      idle = false;
      arm(intervalMs);
    }
  });
  arm(intervalMs);
  return () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
}
