// One bridge's Rapid Spanning Tree (802.1D-2004 clause 17) as a pure library: ports, received BPDUs and
// time go in; BPDUs to send, port states and MAC-flush requests come out through callbacks and queries.
// Simplified from the standard: one tree (no MSTP), learn/forward take effect at once (a software switch),
// timers are milliseconds run down by tick(), and `selected`/`reselect` collapse into one synchronous pass.
import { type Bpdu, type BpduParseError, parseRstpFrame } from './bpdu.js';
import { ageInfo, disableInfo, receiveInfo, selectRoles } from './info.js';
import {
  bridgePriority,
  createPort,
  ms,
  portStateOf,
  type RstpBridge,
  type RstpPort,
  type RstpPortRole,
  type RstpPortState,
} from './port.js';
import {
  formatPortId,
  formatRstpId,
  type PriorityVector,
  pathCostForSpeed,
  RSTP_DEFAULT_PORT_PRIORITY,
  RSTP_MIGRATE_TIME,
  type RstpTimes,
} from './priority.js';
import { topologyChange, transmit } from './topology.js';
import { detectEdge, migrate, roleTransition } from './transitions.js';

export type { RstpPortRole, RstpPortState } from './port.js';

/** Settings of one bridge; times in seconds, `now` in milliseconds of the caller's clock. */
export interface RstpOptions {
  bridgeId: bigint;
  name?: string;
  helloTime?: number;
  maxAge?: number;
  forwardDelay?: number;
  transmitHoldCount?: number;
  ageingTime?: number;
  /** 0 = STP-compatible, 2 = RSTP (rstp-force-protocol-version). */
  forceProtocolVersion?: 0 | 2;
  sendBpdu(portNo: number, bpdu: Bpdu): void;
  /** Asked to flush MAC entries learned on a port (topology change). */
  flushFdb?(portNo: number): void;
  /** Told when a port's state changes. */
  onStateChange?(portNo: number, state: RstpPortState): void;
  now: number;
}

/** Settings of one port (rstp-port-* knobs); the path cost defaults from `speedMbps` as OVS does. */
export interface RstpPortOptions {
  name?: string;
  priority?: number;
  pathCost?: number;
  speedMbps?: number;
  enabled?: boolean;
  adminEdge?: boolean;
  autoEdge?: boolean;
  /** Point-to-point link (veth, full duplex): true unless told otherwise. */
  adminP2P?: boolean;
}

/** Per-port counters, as Port.rstp_statistics reports them. */
export interface RstpPortCounters {
  tx: number;
  rx: number;
  errors: number;
  uptime: number;
}

/** A typed control-plane error with a stable code. */
export class RstpError extends Error {
  constructor(
    readonly code: 'no such port' | 'no such bridge' | 'port exists' | 'invalid argument',
    message: string,
  ) {
    super(message);
  }
}

const MAX_ITERATIONS = 1000;

/** The RSTP engine of one bridge. */
export class Rstp {
  /** Bumped on every MAC-flush request, for a switch that polls instead of using `flushFdb`. */
  flushSeq = 0;
  /** Bridge name, used by rstp/show. */
  readonly name: string;
  /** Seconds after which learned MACs expire (reported, not used by the machines). */
  readonly ageingTime: number;
  private readonly b: RstpBridge;
  private readonly onStateChange: (portNo: number, state: RstpPortState) => void;
  private lastNow: number;
  private msIntoSecond = 0;
  private busy = false;
  private readonly pending: Array<() => void> = [];

  constructor(o: RstpOptions) {
    const times: RstpTimes = {
      messageAge: 0,
      maxAge: o.maxAge ?? 20,
      helloTime: o.helloTime ?? 2,
      forwardDelay: o.forwardDelay ?? 15,
    };
    this.name = o.name ?? 'br0';
    this.ageingTime = o.ageingTime ?? 300;
    this.lastNow = o.now;
    this.onStateChange = o.onStateChange ?? (() => {});
    const flush = o.flushFdb ?? (() => {});
    this.b = {
      bridgeId: o.bridgeId,
      bridgeTimes: times,
      rootTimes: { ...times },
      rootPriority: bridgePriority(o.bridgeId),
      rstpVersion: (o.forceProtocolVersion ?? 2) >= 2,
      transmitHoldCount: o.transmitHoldCount ?? 6,
      ports: new Map(),
      sendBpdu: (portNo, bpdu) => o.sendBpdu(portNo, bpdu),
      flushFdb: (portNo) => {
        this.flushSeq++;
        flush(portNo);
      },
    };
  }

  /** Adds port `portNo` (1..4095); throws RstpError 'port exists' if it is already there. */
  addPort(portNo: number, o: RstpPortOptions = {}): void {
    if (this.b.ports.has(portNo)) throw new RstpError('port exists', `port ${portNo} already in RSTP`);
    if (!Number.isInteger(portNo) || portNo < 1 || portNo > 4095) {
      throw new RstpError('invalid argument', `port number ${portNo} out of range 1..4095`);
    }
    const port = createPort(this.b, portNo, {
      name: o.name ?? String(portNo),
      priority: o.priority ?? RSTP_DEFAULT_PORT_PRIORITY,
      pathCost: o.pathCost ?? pathCostForSpeed(o.speedMbps),
      enabled: false,
      adminEdge: o.adminEdge ?? false,
      autoEdge: o.autoEdge ?? true,
      p2p: o.adminP2P ?? true,
    });
    this.b.ports.set(portNo, port);
    this.run(() => this.enable(port, o.enabled ?? true));
  }

  /** Removes a port; the others reselect their roles. */
  removePort(portNo: number): void {
    this.port(portNo);
    this.run(() => {
      this.b.ports.delete(portNo);
      for (const p of this.b.ports.values()) p.reselect = true;
    });
  }

  /** Link up/down (or administrative enable) of a port. */
  setPortEnabled(portNo: number, enabled: boolean): void {
    const port = this.port(portNo);
    this.run(() => this.enable(port, enabled));
  }

  /** Forces a port back to sending RST BPDUs (rstp-port-mcheck, 17.19.13). */
  mcheck(portNo: number): void {
    const port = this.port(portNo);
    this.run(() => {
      if (this.b.rstpVersion) port.mcheck = true;
    });
  }

  /** Feeds a decoded BPDU received on `portNo`; invalid ones are counted in the error counter. */
  receiveBpdu(portNo: number, bpdu: Bpdu, now: number): void {
    this.tick(now);
    const port = this.b.ports.get(portNo);
    if (!port?.enabled) return;
    this.run(() => {
      if (!this.valid(port, bpdu)) {
        port.errorCount++;
        return;
      }
      port.rxTotal++;
      receiveInfo(this.b, port, bpdu);
    });
  }

  /** Parses and feeds a whole frame; a malformed one is counted and its error returned. */
  receiveFrame(
    portNo: number,
    frame: Uint8Array,
    offset: number,
    length: number,
    now: number,
  ): BpduParseError | undefined {
    const bpdu = parseRstpFrame(frame, offset, length);
    if (bpdu.type === 'error') {
      this.countError(portNo);
      return bpdu;
    }
    this.receiveBpdu(portNo, bpdu, now);
    return undefined;
  }

  /** Counts a BPDU that could not be parsed on `portNo`. */
  countError(portNo: number): void {
    const port = this.b.ports.get(portNo);
    if (port) port.errorCount++;
  }

  /** Advances the clock to `now` (ms): runs down the timers and sends periodic BPDUs. */
  tick(now: number): void {
    const elapsed = Math.max(0, now - this.lastNow);
    this.lastNow = Math.max(this.lastNow, now);
    if (elapsed === 0) return;
    this.msIntoSecond += elapsed;
    const seconds = Math.floor(this.msIntoSecond / 1000);
    this.msIntoSecond %= 1000;
    this.run(() => {
      for (const p of this.b.ports.values()) this.runDown(p, elapsed, seconds);
    });
  }

  /** The port's forwarding state. */
  portState(portNo: number): RstpPortState {
    return portStateOf(this.port(portNo));
  }

  /** The port's role. */
  portRole(portNo: number): RstpPortRole {
    return this.port(portNo).role;
  }

  /** Whether the port sends RST BPDUs (false after falling back to 802.1D-compatible mode). */
  portSendsRstp(portNo: number): boolean {
    return this.port(portNo).sendRstp;
  }

  /** Whether the port is operationally an edge port. */
  portIsEdge(portNo: number): boolean {
    return this.port(portNo).operEdge;
  }

  /** Whether this bridge believes it is the root. */
  isRootBridge(): boolean {
    return this.b.rootPriority.rootId === this.b.bridgeId;
  }

  /** This bridge's identifier. */
  bridgeId(): bigint {
    return this.b.bridgeId;
  }

  /** The root bridge's identifier. */
  designatedRoot(): bigint {
    return this.b.rootPriority.rootId;
  }

  /** The cost from this bridge to the root. */
  rootPathCost(): number {
    return this.b.rootPriority.rootPathCost;
  }

  /** The port number of the root port, or undefined on the root bridge. */
  rootPort(): number | undefined {
    for (const p of this.b.ports.values()) if (p.role === 'root') return p.portNo;
    return undefined;
  }

  /** The bridge's hello, max age and forward delay (its own, not the root's). */
  bridgeTimes(): RstpTimes {
    return { ...this.b.bridgeTimes };
  }

  /** The root's times as learned through the root port (the bridge's own on the root). */
  rootTimes(): RstpTimes {
    return { ...this.b.rootTimes };
  }

  /** The root priority vector (17.18.6). */
  rootPriorityVector(): PriorityVector {
    return { ...this.b.rootPriority };
  }

  /** Whether port `portNo` is in the tree. */
  hasPort(portNo: number): boolean {
    return this.b.ports.has(portNo);
  }

  /** The port numbers in the tree, ascending. */
  portNumbers(): number[] {
    return [...this.b.ports.keys()].sort((a, b) => a - b);
  }

  /** Port name, path cost, priority and port id, for rstp/show. */
  portInfo(portNo: number): { name: string; pathCost: number; priority: number; portId: number } {
    const p = this.port(portNo);
    return { name: p.name, pathCost: p.pathCost, priority: p.priority, portId: p.portId };
  }

  /** The port's BPDU counters and uptime (seconds). */
  counters(portNo: number): RstpPortCounters {
    const p = this.port(portNo);
    return { tx: p.txTotal, rx: p.rxTotal, errors: p.errorCount, uptime: p.uptime };
  }

  /** Bridge.rstp_status, formatted as ovs-vswitchd writes it. */
  bridgeStatus(): Record<string, string> {
    const r = this.b.rootPriority;
    return {
      rstp_bridge_id: formatRstpId(this.b.bridgeId),
      rstp_root_path_cost: String(r.rootPathCost),
      rstp_root_id: formatRstpId(r.rootId),
      rstp_designated_id: formatRstpId(r.designatedBridgeId),
      rstp_designated_port_id: formatPortId(r.designatedPortId),
      rstp_bridge_port_id: formatPortId(r.bridgePortId),
    };
  }

  /** Port.rstp_status, formatted as ovs-vswitchd writes it. */
  portStatus(portNo: number): Record<string, string> {
    const p = this.port(portNo);
    const v = p.portPriority;
    return {
      rstp_port_id: formatPortId(p.portId),
      rstp_port_role: capitalize(p.role),
      rstp_port_state: capitalize(portStateOf(p)),
      rstp_designated_bridge_id: formatRstpId(v.designatedBridgeId),
      rstp_designated_port_id: formatPortId(v.designatedPortId),
      rstp_designated_path_cost: String(v.rootPathCost),
    };
  }

  /** Port.rstp_statistics. */
  portStatistics(portNo: number): Record<string, number> {
    const c = this.counters(portNo);
    return { rstp_tx_count: c.tx, rstp_rx_count: c.rx, rstp_error_count: c.errors, rstp_uptime: c.uptime };
  }

  private port(portNo: number): RstpPort {
    const p = this.b.ports.get(portNo);
    if (!p) throw new RstpError('no such port', `port ${portNo} is not in RSTP`);
    return p;
  }

  /** 9.3.4 / 17.21.8 checks beyond parsing: a Config BPDU too old, or our own BPDU looped back. */
  private valid(p: RstpPort, b: Bpdu): boolean {
    if (b.type === 'tcn') return true;
    if (b.type === 'config' && b.messageAge >= b.maxAge) return false;
    return !(b.bridgeId === this.b.bridgeId && (b.portId & 0xfff) === (p.portId & 0xfff));
  }

  private enable(p: RstpPort, enabled: boolean): void {
    if (p.enabled === enabled) return;
    p.enabled = enabled;
    if (!enabled) {
      disableInfo(p);
      return;
    }
    p.infoIs = 'aged';
    p.reselect = true;
    p.mdelayWhile = ms(RSTP_MIGRATE_TIME);
    p.fdWhile = ms(p.designatedTimes.maxAge);
    p.helloWhen = 0;
    p.txCount = 0;
    p.uptime = 0;
  }

  private runDown(p: RstpPort, elapsed: number, seconds: number): void {
    const down = (t: number) => Math.max(0, t - elapsed);
    p.fdWhile = down(p.fdWhile);
    p.rrWhile = down(p.rrWhile);
    p.rbWhile = down(p.rbWhile);
    p.tcWhile = down(p.tcWhile);
    p.helloWhen = down(p.helloWhen);
    p.rcvdInfoWhile = down(p.rcvdInfoWhile);
    p.mdelayWhile = down(p.mdelayWhile);
    p.edgeDelayWhile = down(p.edgeDelayWhile);
    p.txCount = Math.max(0, p.txCount - seconds);
    p.uptime += seconds;
  }

  /** Applies `change`, then runs the machines until nothing moves; re-entrant calls are queued. */
  private run(change: () => void): void {
    this.pending.push(change);
    if (this.busy) return;
    this.busy = true;
    try {
      for (let next = this.pending.shift(); next; next = this.pending.shift()) {
        next();
        this.settle();
      }
    } finally {
      this.busy = false;
    }
  }

  private settle(): void {
    for (let i = 0; i < MAX_ITERATIONS && this.step(); i++);
    for (const p of this.b.ports.values()) transmit(this.b, p);
    this.reportStates();
  }

  private step(): boolean {
    let changed = selectRoles(this.b);
    for (const p of this.b.ports.values()) {
      changed = ageInfo(p) || changed;
      changed = migrate(this.b, p) || changed;
      changed = detectEdge(p) || changed;
      if (p.enabled || p.role !== 'disabled') changed = roleTransition(this.b, p) || changed;
      changed = topologyChange(this.b, p) || changed;
    }
    return changed;
  }

  private reportStates(): void {
    for (const p of this.b.ports.values()) {
      const state = portStateOf(p);
      if (state === p.reportedState) continue;
      p.reportedState = state;
      this.onStateChange(p.portNo, state);
    }
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
