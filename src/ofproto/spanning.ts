// Spanning tree on one bridge, as ofproto runs it (OVS's ofproto-dpif STP and RSTP glue): an engine —
// 802.1D (./stp/stp.ts) or 802.1w (./rstp/rstp.ts) — over the bridge's ports, mapping port names to tree
// port numbers, carrying BPDUs in and out as Ethernet frames, following each port's link, and reporting
// when port states change (flows must be revalidated) or the topology changed (learned MACs must go).
import { encodeRstpFrame } from './rstp/bpdu.js';
import type { RstpBridgeSettings, RstpPortSettings } from './rstp/config.js';
import { Rstp } from './rstp/rstp.js';
import { encodeStpFrame } from './stp/bpdu.js';
import type { StpBridgeSettings, StpPortSettings } from './stp/config.js';
import { STP_MAX_PORTS, Stp } from './stp/stp.js';

/** What changed during a tick or a received BPDU. */
export interface StpOutcome {
  /** Some port changed state (or the root changed): translations that consulted states are stale. */
  changed: boolean;
  /** The topology changed: every learned MAC should be flushed (802.1D). */
  flush: boolean;
  /** MACs learned on these ports should be flushed (802.1w flushes per port). */
  flushPorts: string[];
}

/** Sends a BPDU frame out of a port. */
export type StpTransmit = (portName: string, frame: Uint8Array) => void;

/** What a port's place in the tree allows: nothing, learning only, or learning and forwarding. */
export type TreePortState = 'blocked' | 'learning' | 'forwarding';

/** The settings every engine's ports have in common. */
interface TreePortSettings {
  enabled: boolean;
  portNum: number | 'invalid' | undefined;
}

/** What the glue asks of either engine (Stp and Rstp both have it). */
interface TreeEngine {
  hasPort(portNo: number): boolean;
  removePort(portNo: number): void;
  portState(portNo: number): string;
  receiveFrame(portNo: number, frame: Uint8Array, offset: number, length: number, now: number): unknown;
  tick(now: number): void;
}

interface MemberPort<P> {
  readonly portNo: number;
  mac: string;
  settings: P;
  up: boolean;
}

/** The glue both engines share: port membership and numbering, the BPDU outbox, outcomes. */
abstract class SpanningTree<P extends TreePortSettings> {
  /** The protocol engine, set by the subclass's constructor. */
  protected abstract readonly engine: TreeEngine;
  private readonly members = new Map<string, MemberPort<P>>();
  private readonly outbox: [number, (mac: string) => Uint8Array][] = [];
  protected changed = false;
  protected flushAll = false;
  protected readonly flushed = new Set<number>();

  constructor(
    private readonly transmit: StpTransmit,
    private readonly maxPorts: number,
  ) {}

  /** Adds or updates a participating port (`up`: its link is up); a port with the tree disabled leaves. */
  setPort(name: string, settings: P, mac: string, up: boolean): void {
    const have = this.members.get(name);
    if (!settings.enabled || settings.portNum === 'invalid') {
      if (have !== undefined) this.removePort(name);
      return;
    }
    const wanted = settings.portNum ?? have?.portNo ?? this.freePortNumber();
    if (wanted === undefined) return;
    if (have !== undefined && have.portNo !== wanted) this.removePort(name);
    const cur = this.members.get(name);
    if (cur === undefined) {
      if (this.engine.hasPort(wanted)) return; // two ports asked for one number: the second stays out
      this.addEnginePort(wanted, name, settings, up);
      this.members.set(name, { portNo: wanted, mac, settings, up });
      return;
    }
    const old = cur.settings;
    cur.mac = mac;
    cur.settings = settings;
    cur.up = up;
    this.updateEnginePort(cur.portNo, name, old, settings, up);
  }

  /** Follows a port's link: a port whose link is down is disabled in the tree. */
  setLink(name: string, up: boolean): StpOutcome {
    const m = this.members.get(name);
    if (m !== undefined && m.up !== up) {
      m.up = up;
      this.updateEnginePort(m.portNo, name, m.settings, m.settings, up);
    }
    return this.settle();
  }

  /** Removes a port from the tree. */
  removePort(name: string): void {
    const m = this.members.get(name);
    if (m === undefined) return;
    this.members.delete(name);
    this.engine.removePort(m.portNo);
  }

  /** The tree port number of `name`, if it takes part. */
  portNumber(name: string): number | undefined {
    return this.members.get(name)?.portNo;
  }

  /** What the port may do (a port outside the tree forwards, as in OVS). */
  portState(name: string): TreePortState {
    const m = this.members.get(name);
    return m === undefined ? 'forwarding' : this.enginePortState(m.portNo);
  }

  /** A BPDU frame received on port `name`. */
  receive(name: string, buf: Uint8Array, offset: number, length: number, now: number): StpOutcome {
    const m = this.members.get(name);
    if (m !== undefined) this.engine.receiveFrame(m.portNo, buf, offset, length, now);
    return this.settle();
  }

  /** Advances the timers to `now`. */
  tick(now: number): StpOutcome {
    this.engine.tick(now);
    return this.settle();
  }

  /** Queues a BPDU for `portNo`; `encode` builds the frame from the port's MAC. */
  protected queue(portNo: number, encode: (mac: string) => Uint8Array): void {
    this.outbox.push([portNo, encode]);
  }

  /** Sends queued BPDUs and reports what changed. */
  protected settle(): StpOutcome {
    const sends = this.outbox.splice(0, this.outbox.length);
    for (const [portNo, encode] of sends) {
      for (const [name, m] of this.members) if (m.portNo === portNo) this.transmit(name, encode(m.mac));
    }
    this.collect();
    const flushPorts: string[] = [];
    for (const [name, m] of this.members) if (this.flushed.has(m.portNo)) flushPorts.push(name);
    const outcome = { changed: this.changed, flush: this.flushAll, flushPorts };
    this.changed = false;
    this.flushAll = false;
    this.flushed.clear();
    return outcome;
  }

  /** Lets the engine record state changes and flush requests it reports by polling. */
  protected collect(): void {}

  private freePortNumber(): number | undefined {
    for (let n = 1; n <= this.maxPorts; n++) if (!this.engine.hasPort(n)) return n;
    return undefined;
  }

  private enginePortState(portNo: number): TreePortState {
    const state = this.engine.portState(portNo);
    return state === 'forwarding' ? 'forwarding' : state === 'learning' ? 'learning' : 'blocked';
  }

  protected abstract addEnginePort(portNo: number, name: string, settings: P, up: boolean): void;
  protected abstract updateEnginePort(portNo: number, name: string, old: P, settings: P, up: boolean): void;
}

/** The 802.1D spanning tree of one bridge. */
export class BridgeStp extends SpanningTree<StpPortSettings> {
  readonly kind = 'stp';
  readonly stp: Stp;
  protected readonly engine: Stp;
  private seenSeq: number;

  constructor(settings: StpBridgeSettings, now: number, transmit: StpTransmit) {
    super(transmit, STP_MAX_PORTS);
    this.stp = new Stp({
      bridgeId: settings.bridgeId,
      helloTime: settings.helloTime,
      maxAge: settings.maxAge,
      forwardDelay: settings.forwardDelay,
      now,
      sendBpdu: (portNo, bpdu) => this.queue(portNo, (mac) => encodeStpFrame(mac, bpdu)),
    });
    this.engine = this.stp;
    this.seenSeq = this.stp.seq;
  }

  /** Applies new bridge settings (bridge id and timers). */
  configure(settings: StpBridgeSettings): void {
    if (settings.bridgeId !== this.stp.bridgeId) this.stp.setBridgeId(settings.bridgeId);
    this.stp.setHelloTime(settings.helloTime);
    this.stp.setMaxAge(settings.maxAge);
    this.stp.setForwardDelay(settings.forwardDelay);
  }

  /** `stp/tcn`: starts a topology change. */
  topologyChange(): StpOutcome {
    this.stp.forceTopologyChange();
    return this.settle();
  }

  protected override collect(): void {
    if (this.stp.seq !== this.seenSeq) this.changed = true;
    this.seenSeq = this.stp.seq;
    if (this.stp.checkAndResetFdbFlush()) this.flushAll = true;
  }

  protected addEnginePort(portNo: number, name: string, s: StpPortSettings, up: boolean): void {
    this.stp.addPort(portNo, { priority: s.priority, pathCost: s.pathCost, enabled: up, name });
  }

  protected updateEnginePort(
    portNo: number,
    _name: string,
    _old: StpPortSettings,
    s: StpPortSettings,
    up: boolean,
  ): void {
    this.stp.setPortPriority(portNo, s.priority);
    this.stp.setPathCost(portNo, s.pathCost);
    this.stp.setPortEnabled(portNo, up);
  }
}

/** The 802.1w rapid spanning tree of one bridge. */
export class BridgeRstp extends SpanningTree<RstpPortSettings> {
  readonly kind = 'rstp';
  readonly rstp: Rstp;
  protected readonly engine: Rstp;

  constructor(
    name: string,
    readonly settings: RstpBridgeSettings,
    now: number,
    transmit: StpTransmit,
  ) {
    super(transmit, 4095);
    this.rstp = new Rstp({
      bridgeId: settings.bridgeId,
      name,
      maxAge: settings.maxAge,
      forwardDelay: settings.forwardDelay,
      ageingTime: settings.ageingTime,
      transmitHoldCount: settings.transmitHoldCount,
      forceProtocolVersion: settings.forceProtocolVersion,
      now,
      sendBpdu: (portNo, bpdu) => this.queue(portNo, (mac) => encodeRstpFrame(macNumber(mac), bpdu)),
      flushFdb: (portNo) => this.flushed.add(portNo),
      onStateChange: () => {
        this.changed = true;
      },
    });
    this.engine = this.rstp;
  }

  /** `rstp/tcn`: runs the state machines again, as Open vSwitch's command does. */
  rerun(now: number): StpOutcome {
    return this.tick(now);
  }

  protected addEnginePort(portNo: number, name: string, s: RstpPortSettings, up: boolean): void {
    this.rstp.addPort(portNo, {
      name,
      priority: s.priority,
      pathCost: s.pathCost,
      enabled: up && s.adminPortState,
      adminEdge: s.adminEdge,
      autoEdge: s.autoEdge,
      adminP2P: s.adminP2P,
    });
    if (s.mcheck) this.rstp.mcheck(portNo);
  }

  protected updateEnginePort(
    portNo: number,
    name: string,
    old: RstpPortSettings,
    s: RstpPortSettings,
    up: boolean,
  ): void {
    if (
      old.priority !== s.priority ||
      old.pathCost !== s.pathCost ||
      old.adminEdge !== s.adminEdge ||
      old.autoEdge !== s.autoEdge ||
      old.adminP2P !== s.adminP2P
    ) {
      // The engine takes these only when a port joins: the port rejoins with them.
      this.rstp.removePort(portNo);
      this.addEnginePort(portNo, name, s, up);
      this.changed = true;
      return;
    }
    this.rstp.setPortEnabled(portNo, up && s.adminPortState);
    if (s.mcheck && !old.mcheck) this.rstp.mcheck(portNo);
  }
}

/** A bridge's spanning tree, whichever protocol it runs. */
export type BridgeTree = BridgeStp | BridgeRstp;

function macNumber(mac: string): number {
  return Number.parseInt(mac.replaceAll(':', ''), 16) || 0;
}
