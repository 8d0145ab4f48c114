// The switch side of OpenFlow (Open vSwitch's ofproto/connmgr.c): per bridge, the services it offers —
// the management socket punix:$RUNDIR/BR.mgmt (a service connection, always there), listeners from the
// Controller table ("ptcp:", "punix:") and reliable connections to controllers ("tcp:", "unix:", with
// backoff and inactivity probes, connmgr-rconn.ts) — and the connections they carry. Requests are answered
// by connmgr-handle.ts; the switch's asynchronous events are relayed to the connections that receive them
// (connmgr-async.ts); the manager tells the switch whether a primary controller is connected and reports
// each controller's status for the Controller table, as ovs-vswitchd's bridge.c writes it.
//
// One manager serves every bridge of a vswitchd; the switch is reached only through OpenFlowSwitch.
import type { Socket } from 'node:net';
import { type Listener, listen } from '../jsonrpc/address.js';
import { describeSystemError } from '../jsonrpc/errno.js';
import { DEFAULT_VERSIONS, OFP_PORT, OfConnection } from '../openflow/conn.js';
import type { SwitchDesc } from '../openflow/messages.js';
import type { PhyPort } from '../openflow/messages-ports.js';
import { OFP10_VERSION, OFP15_VERSION } from '../openflow/wire.js';
import {
  flowRemovedFor,
  flowRemovedReason,
  internalReason,
  packetInFor,
  portStatusFor,
  portStatusReason,
} from './connmgr-async.js';
import { WIRE_CONVERT, type WireConvert } from './connmgr-convert.js';
import { DEFAULT_DESC, type HandlerContext, handleMessage, portFor } from './connmgr-handle.js';
import { FlowMonitors } from './connmgr-monitor.js';
import {
  OAM_FLOW_REMOVED,
  OAM_PACKET_IN,
  OAM_PORT_STATUS,
  Ofconn,
  type OfconnType,
  ROLE_MASTER,
  ROLE_SLAVE,
} from './connmgr-ofconn.js';
import { Rconn, type RconnLog, watchInactivity } from './connmgr-rconn.js';
import { closeSnoopers, type Snoopable, SnoopListener, snoopTap } from './connmgr-snoop.js';
import { RULE_SEND_FLOW_REM } from './flow-table.js';
import type {
  FlowRemovedEvent,
  FlowUpdateEvent,
  OpenFlowEvents,
  OpenFlowSwitch,
  PacketInEvent,
  PortStatusEvent,
} from './of-switch.js';

/** One Controller row (or the management socket) as the manager needs it. */
export interface ControllerConfig {
  /** tcp:IP[:PORT], unix:PATH (active) or ptcp:[PORT][:IP], punix:PATH (passive). */
  readonly target: string;
  /** Controller.type; default: primary for active targets, service for passive ones (as OVS). */
  readonly type?: OfconnType | null;
  /** Controller.max_backoff in ms (default 8000). */
  readonly maxBackoffMs?: number | null;
  /** Controller.inactivity_probe in ms (default 5000; 0 disables). */
  readonly inactivityProbeMs?: number | null;
  /** Controller.enable_async_messages (default true). */
  readonly enableAsyncMessages?: boolean | null;
}

/** What a bridge asks for: its management socket and its controllers. */
export interface BridgeRemotes {
  /** The management socket path (punix:$RUNDIR/BR.mgmt without "punix:"), or null for none. */
  readonly mgmtPath: string | null;
  /** The snoop socket path (punix:$RUNDIR/BR.snoop without "punix:"), or null/absent for none. */
  readonly snoopPath?: string | null;
  readonly controllers: readonly ControllerConfig[];
  /** Bridge.fail_mode ("secure" or anything else: standalone). */
  readonly failMode?: string | null;
  /** Versions to offer (bitmap), default OpenFlow 1.0 and 1.3. */
  readonly versions?: number;
}

/** What ovs-vswitchd writes to a Controller row. */
export interface ControllerStatus {
  readonly isConnected: boolean;
  /** "other", "master", "slave", or null (no connection). */
  readonly role: 'other' | 'master' | 'slave' | null;
  /** state, last_error, sec_since_connect, sec_since_disconnect. */
  readonly status: Readonly<Record<string, string>>;
}

/** Where the manager logs (a Vlog module fits). */
export interface ConnmgrLog extends RconnLog {
  debug?(msg: string): void;
}

export interface ConnectionManagerOptions {
  /** Wire ↔ text conversions (default: src/openflow/convert.ts). */
  readonly convert?: WireConvert;
  readonly clock?: () => number;
  readonly log?: ConnmgrLog;
  /** The desc reply (default Open vSwitch's). */
  readonly desc?: SwitchDesc;
  /** What OVS counts in seconds (backoff, max_backoff, inactivity probes) is counted in this many ms
   *  (default 1000); tests shrink it to make reconnection and probing fast. */
  readonly timeUnitMs?: number;
  /** Directory relative unix:/punix: controller paths are taken from (OVS: its rundir; default: cwd). */
  readonly rundir?: string;
}

const QUIET: ConnmgrLog = { info: () => {}, warn: () => {} };

/** A configured service: a listener or a reliable connection, and the connections it carries. */
interface Service {
  readonly target: string;
  readonly type: OfconnType;
  readonly settings: ControllerConfig;
  readonly key: string;
  listener: Listener | null;
  rconn: Rconn | null;
  readonly conns: Set<Ofconn>;
  /** Whether this is the management socket (not reported in the Controller table). */
  readonly mgmt: boolean;
  /** ovs-ofctl snoop connections watching this (active) controller's traffic. */
  readonly snoopers: Set<OfConnection>;
}

interface BridgeState {
  readonly name: string;
  readonly services: Map<string, Service>;
  generationId: bigint | null;
  /** Last value given to setControllerState (null: never told). */
  connected: boolean | null;
  failMode: 'standalone' | 'secure';
  versions: number;
  /** The BR.snoop listener, if any. */
  snoop: SnoopListener | null;
}

const PASSIVE = /^p(tcp|unix|ssl):/;

/** The connection manager of one vswitchd. */
export class ConnectionManager implements OpenFlowEvents {
  private readonly bridges = new Map<string, BridgeState>();
  private readonly convert: WireConvert;
  private readonly clock: () => number;
  private readonly log: ConnmgrLog;
  private readonly desc: SwitchDesc;
  private readonly ctx: HandlerContext;
  /** The connection whose request is being handled (its own port_mod's port_status is not echoed). */
  private source: Ofconn | null = null;
  /** The xid of that request (a flow monitor's ABBREV update names it). */
  private sourceXid = 0;
  private readonly monitors: FlowMonitors;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    readonly sw: OpenFlowSwitch,
    private readonly opts: ConnectionManagerOptions,
  ) {
    this.convert = opts.convert ?? WIRE_CONVERT;
    this.clock = opts.clock ?? Date.now;
    this.log = opts.log ?? QUIET;
    this.desc = opts.desc ?? DEFAULT_DESC;
    this.monitors = new FlowMonitors(sw, this.convert, (msg) => this.log.warn(msg));
    this.ctx = {
      monitors: this.monitors,
      sw,
      convert: this.convert,
      desc: this.desc,
      connections: (bridge) => this.connections(bridge),
      generationId: (bridge) => this.bridges.get(bridge)?.generationId ?? null,
      setGenerationId: (bridge, id) => {
        const b = this.bridges.get(bridge);
        if (b) b.generationId = id;
      },
      warn: (msg) => this.log.warn(msg),
    };
    sw.setEventSink(this);
  }

  /** Creates or reconfigures a bridge's services; resolves once its listeners are bound. */
  setBridge(name: string, remotes: BridgeRemotes): Promise<void> {
    return this.serialize(() => this.applyBridge(name, remotes));
  }

  /** Closes a bridge's listeners and connections. */
  removeBridge(name: string): Promise<void> {
    return this.serialize(async () => {
      const b = this.bridges.get(name);
      if (!b) return;
      this.bridges.delete(name);
      await b.snoop?.close();
      await Promise.all([...b.services.values()].map((s) => this.destroyService(b, s)));
    });
  }

  /** Bridges with services. */
  bridgeNames(): string[] {
    return [...this.bridges.keys()];
  }

  /** Every connection of a bridge (negotiated or not). */
  connections(bridge: string): Ofconn[] {
    const b = this.bridges.get(bridge);
    if (!b) return [];
    return [...b.services.values()].flatMap((s) => [...s.conns]);
  }

  /** Whether a primary controller is configured (connected or not): connmgr_has_controllers. */
  hasControllers(bridge: string): boolean {
    const b = this.bridges.get(bridge);
    return b !== undefined && [...b.services.values()].some((s) => s.type === 'primary');
  }

  /** Whether a primary controller is connected: connmgr_is_any_controller_connected. */
  isAnyControllerConnected(bridge: string): boolean {
    const b = this.bridges.get(bridge);
    return b !== undefined && [...b.services.values()].some((s) => s.type === 'primary' && s.conns.size > 0);
  }

  /** The bridge's fail mode as last configured. */
  failMode(bridge: string): 'standalone' | 'secure' {
    return this.bridges.get(bridge)?.failMode ?? 'standalone';
  }

  /** Whether some connection wants table misses as packet-ins (controller id 0, OpenFlow < 1.3). */
  wantsPacketInOnMiss(bridge: string): boolean {
    return this.connections(bridge).some((oc) => oc.wantsPacketInOnMiss);
  }

  /**
   * The Controller table's status of each configured target of `bridge`: for active targets the rconn's
   * (is_connected, role, state/last_error/sec_since_*), for passive ones not connected and empty (as OVS).
   */
  controllerStatus(bridge: string): Map<string, ControllerStatus> {
    const out = new Map<string, ControllerStatus>();
    const b = this.bridges.get(bridge);
    if (!b) return out;
    const now = this.clock();
    for (const s of b.services.values()) {
      if (s.mgmt) continue;
      const rc = s.rconn;
      if (rc === null) {
        out.set(s.target, { isConnected: false, role: null, status: {} });
        continue;
      }
      const status: Record<string, string> = {};
      if (rc.lastError !== null) status.last_error = rc.lastError;
      status.state = rc.state;
      if (rc.lastConnected !== null)
        status.sec_since_connect = String(Math.floor((now - rc.lastConnected) / 1000));
      if (rc.lastDisconnected !== null)
        status.sec_since_disconnect = String(Math.floor((now - rc.lastDisconnected) / 1000));
      const oc = [...s.conns][0];
      const role =
        oc === undefined
          ? null
          : oc.role === ROLE_MASTER
            ? 'master'
            : oc.role === ROLE_SLAVE
              ? 'slave'
              : 'other';
      out.set(s.target, { isConnected: rc.isConnected, role, status });
    }
    return out;
  }

  /** Drops every controller connection so that they reconnect (connmgr_reconnect). */
  reconnect(bridge: string): void {
    const b = this.bridges.get(bridge);
    for (const s of b?.services.values() ?? []) s.rconn?.reconnect();
  }

  /** Closes everything; the switch's event sink is cleared. */
  close(): Promise<void> {
    return this.serialize(async () => {
      this.closed = true;
      this.sw.setEventSink(null);
      const all = [...this.bridges.values()];
      this.bridges.clear();
      await Promise.all(all.map((b) => b.snoop?.close()));
      await Promise.all(all.flatMap((b) => [...b.services.values()].map((s) => this.destroyService(b, s))));
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Events from the switch.

  packetIn(e: PacketInEvent): void {
    const reason = internalReason(e.reason, e.implicitMiss);
    for (const oc of this.connections(e.bridge)) {
      if (oc.controllerId !== e.controllerId || !oc.receives(OAM_PACKET_IN, reason)) continue;
      this.sendEvent(oc, () => packetInFor(this.convert, oc, e));
    }
  }

  flowRemoved(e: FlowRemovedEvent): void {
    if ((e.rule.flags & RULE_SEND_FLOW_REM) === 0) return;
    const reason = flowRemovedReason(e);
    for (const oc of this.connections(e.bridge)) {
      if (!oc.receives(OAM_FLOW_REMOVED, reason)) continue;
      this.sendEvent(oc, () => flowRemovedFor(this.convert, oc, e));
    }
  }

  portStatus(e: PortStatusEvent): void {
    const reason = portStatusReason(e);
    for (const oc of this.connections(e.bridge)) {
      // Before OpenFlow 1.5 a port_mod's own connection is not told (OVS: lest a controller that answers
      // port_status with port_mod loop); from 1.5 on every connection is.
      if (oc === this.source && oc.version < OFP15_VERSION) continue;
      if (!oc.receives(OAM_PORT_STATUS, reason)) continue;
      if (e.old !== undefined && looksSame(e.old, e.port, oc.version)) continue;
      this.sendEvent(oc, () => portStatusFor(oc, e));
    }
  }

  watchesFlows(bridge: string): boolean {
    return this.monitors.watches(bridge);
  }

  flowUpdates(bridge: string, updates: readonly FlowUpdateEvent[]): void {
    this.monitors.report(this.connections(bridge), updates, this.source, this.sourceXid);
  }

  private sendEvent(oc: Ofconn, build: () => Parameters<Ofconn['send']>[0]): void {
    try {
      oc.send({ ...build(), xid: 0 });
    } catch (err) {
      this.log.warn(`${oc.bridge}: cannot send asynchronous message: ${(err as Error).message}`);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Services.

  private serialize(fn: () => Promise<void>): Promise<void> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async applyBridge(name: string, remotes: BridgeRemotes): Promise<void> {
    if (this.closed) return;
    let b = this.bridges.get(name);
    if (!b) {
      b = {
        name,
        services: new Map(),
        generationId: null,
        connected: null,
        failMode: 'standalone',
        versions: 0,
        snoop: null,
      };
      this.bridges.set(name, b);
    }
    b.failMode = remotes.failMode === 'secure' ? 'secure' : 'standalone';
    const versions = remotes.versions ?? DEFAULT_VERSIONS;
    const wanted = new Map<string, { c: ControllerConfig; mgmt: boolean }>();
    if (remotes.mgmtPath !== null) {
      const target = `punix:${remotes.mgmtPath}`;
      wanted.set(target, { c: { target, type: 'service', inactivityProbeMs: 60000 }, mgmt: true });
    }
    for (const c of remotes.controllers) if (!wanted.has(c.target)) wanted.set(c.target, { c, mgmt: false });
    const rebuildAll = b.versions !== 0 && b.versions !== versions;
    b.versions = versions;
    for (const [target, s] of [...b.services]) {
      const w = wanted.get(target);
      if (!rebuildAll && w !== undefined && w.mgmt === s.mgmt && settingsKey(w.c) === s.key) continue;
      if (w === undefined) this.log.info(`${name}: removed ${s.type} controller "${target}"`);
      await this.destroyService(b, s);
    }
    for (const [target, w] of wanted) {
      if (!b.services.has(target)) await this.createService(b, w.c, w.mgmt);
    }
    await this.applySnoop(b, remotes.snoopPath ?? null);
    this.updateControllerState(b);
  }

  /** Opens, moves or closes the bridge's BR.snoop listener. */
  private async applySnoop(b: BridgeState, path: string | null): Promise<void> {
    if (b.snoop?.path === path) return;
    await b.snoop?.close();
    b.snoop = null;
    if (path === null) return;
    const candidates = (): Snoopable[] =>
      [...b.services.values()]
        .filter((s) => s.rconn !== null)
        .map((s) => ({ snoopers: s.snoopers, role: () => [...s.conns][0]?.role ?? null }));
    b.snoop = new SnoopListener(path, b.name, candidates, this.log);
    await b.snoop.open();
  }

  private async createService(b: BridgeState, c: ControllerConfig, mgmt: boolean): Promise<void> {
    const passive = PASSIVE.test(c.target);
    const type: OfconnType = c.type ?? (passive ? 'service' : 'primary');
    const s: Service = {
      target: c.target,
      type,
      settings: c,
      key: settingsKey(c),
      listener: null,
      rconn: null,
      conns: new Set(),
      mgmt,
      snoopers: new Set(),
    };
    if (passive) {
      if (!c.target.startsWith('ptcp:') && !c.target.startsWith('punix:')) {
        this.log.warn(`${b.name}: unsupported controller "${c.target}"`);
        return;
      }
      try {
        s.listener = await listen(c.target, (socket, name) => this.accept(b, s, socket, name), {
          defaultPort: OFP_PORT,
          rundir: this.opts.rundir,
        });
      } catch (err) {
        this.log.warn(`${b.name}: ${c.target}: listen failed (${describeSystemError(err)})`);
        return;
      }
    } else if (/^(tcp|unix):/.test(c.target)) {
      s.rconn = new Rconn({
        target: c.target,
        name: `${b.name}<->${c.target}`,
        versions: b.versions,
        maxBackoffMs:
          c.maxBackoffMs === undefined || c.maxBackoffMs === null ? undefined : this.scaled(c.maxBackoffMs),
        probeIntervalMs: this.scaled(probeMs(c)),
        backoffUnitMs: this.opts.timeUnitMs,
        rundir: this.opts.rundir,
        clock: this.clock,
        log: this.log,
        onConnect: (conn) => this.attach(b, s, conn),
        onDisconnect: (conn) => this.detach(b, s, conn),
      });
    } else {
      this.log.warn(`${b.name}: unsupported controller "${c.target}"`);
      return;
    }
    b.services.set(c.target, s);
    if (!mgmt) this.log.info(`${b.name}: added ${type} controller "${c.target}"`);
    s.rconn?.start();
  }

  private async destroyService(b: BridgeState, s: Service): Promise<void> {
    b.services.delete(s.target);
    s.rconn?.stop();
    closeSnoopers(s);
    for (const oc of [...s.conns]) oc.conn.close();
    s.conns.clear();
    await s.listener?.close();
    this.updateControllerState(b);
  }

  /** A connection accepted by a listener: negotiation happens on the connection itself. */
  private accept(b: BridgeState, s: Service, socket: Socket, name: string): void {
    if (!b.services.has(s.target) || this.closed) {
      socket.destroy();
      return;
    }
    const conn = new OfConnection(socket, { versions: b.versions, name: `${b.name}<->${name}` });
    socket.on('error', () => undefined);
    const stopWatch = watchInactivity(conn, this.scaled(probeMs(s.settings)), this.clock, this.log);
    conn.once('close', () => stopWatch());
    this.attach(b, s, conn);
  }

  /** A duration in OVS seconds (as ms) in the manager's time unit (tests shrink it with timeUnitMs). */
  private scaled(ms: number): number {
    return (ms * (this.opts.timeUnitMs ?? 1000)) / 1000;
  }

  /** Starts serving a connection of service `s`. */
  private attach(b: BridgeState, s: Service, conn: OfConnection): void {
    const oc = new Ofconn(conn, s.type, b.name, s.settings.enableAsyncMessages ?? true);
    s.conns.add(oc);
    // As rconn copies a controller's traffic to its monitors: set before any message is handled.
    if (s.rconn !== null) conn.tap = snoopTap(s.snoopers);
    conn.on('message', (msg, raw) => {
      this.source = oc;
      this.sourceXid = msg.xid;
      try {
        handleMessage(this.ctx, oc, msg, raw);
      } finally {
        this.source = null;
      }
    });
    conn.once('close', () => this.detach(b, s, conn));
    this.updateControllerState(b);
  }

  private detach(b: BridgeState, s: Service, conn: OfConnection): void {
    for (const oc of s.conns) {
      if (oc.conn !== conn) continue;
      s.conns.delete(oc);
      this.monitors.forget(oc);
    }
    this.updateControllerState(b);
  }

  /** Tells the switch when "a primary controller is connected" changes. */
  private updateControllerState(b: BridgeState): void {
    if (!this.bridges.has(b.name)) return;
    const connected = this.isAnyControllerConnected(b.name);
    if (connected === b.connected) return;
    b.connected = connected;
    try {
      this.sw.setControllerState(b.name, connected);
    } catch (err) {
      this.log.warn(`${b.name}: setControllerState: ${(err as Error).message}`);
    }
  }
}

/** The inactivity probe interval of a controller, in ms, as bridge.c derives it. */
function probeMs(c: ControllerConfig): number {
  const p = c.inactivityProbeMs;
  if (p === undefined || p === null) return 5000;
  if (p === 0) return 0;
  return Math.max(5000, p < 1000 ? 1000 : Math.floor(p / 1000) * 1000);
}

/** Settings whose change rebuilds a service (OVS reconfigures most in place; rebuilding is simpler). */
function settingsKey(c: ControllerConfig): string {
  return JSON.stringify([c.type ?? null, c.maxBackoffMs ?? null, probeMs(c), c.enableAsyncMessages ?? true]);
}

/** Whether two port descriptions encode the same in `version` (OpenFlow 1.0 has no speeds, no LIVE). */
function looksSame(x: PhyPort, y: PhyPort, version: number): boolean {
  const a = portFor(x, version);
  const b = portFor(y, version);
  return (
    a.portNo === b.portNo &&
    a.hwAddr === b.hwAddr &&
    a.name === b.name &&
    a.config === b.config &&
    a.state === b.state &&
    a.curr === b.curr &&
    a.advertised === b.advertised &&
    a.supported === b.supported &&
    a.peer === b.peer &&
    (version === OFP10_VERSION || (a.currSpeed === b.currSpeed && a.maxSpeed === b.maxSpeed))
  );
}
