// ofproto, the switch's slow path (OVS's ofproto-dpif): the bridges and ports the reconciler configures,
// their MAC tables, upcall translation for the datapath, and the fdb/* commands. Every change to state a
// cached flow may depend on is announced to the datapath as `invalidate(tag)` (src/ofproto/tags.ts).
import { ActionsBuilder, USERSPACE_CONTROLLER, USERSPACE_SLOW_PATH_STP } from '../datapath/actions.js';
import type { Datapath } from '../datapath/datapath.js';
import type { UpcallHandler, XlateResult } from '../datapath/upcall.js';
import type { OfpAction, PacketInReason } from '../openflow/action-text.js';
import type { PhyPort, PortStats } from '../openflow/messages.js';
import { OfpError } from '../openflow/wire-errors.js';
import { extractFlowKey } from '../packet/extract.js';
import { K_IN_PORT, newFlowKey } from '../packet/flow-key.js';
import { IdleCollector } from '../util/heap.js';
import {
  type BridgePort,
  type BridgeSettings,
  OFPP_LOCAL,
  OfBridge,
  type PortSettings,
  samePortSettings,
} from './bridge.js';
import { type BundleChange, commitChanges } from './bundle-commit.js';
import { formatFdbShow } from './fdb-show.js';
import {
  applyFlowMod,
  applyGroupMod,
  expireRules,
  groupViews,
  type Removed,
  ruleView,
  selectRules,
  tableViews,
} from './flow-mod.js';
import { FlowMatch, type Pipeline, Rule, type RuleSpec, sameActions } from './flow-table.js';
import type { MacEntry } from './mac-learning.js';
import type {
  FlowModRequest,
  FlowQuery,
  FlowUpdateEvent,
  GroupModRequest,
  GroupView,
  OpenFlowEvents,
  OpenFlowSwitch,
  RuleView,
  TableView,
} from './of-switch.js';
import { sameRstpBridgeSettings } from './rstp/config.js';
import { rstpShow } from './rstp/show.js';
import { BridgeRstp, BridgeStp, type BridgeTree, type StpOutcome } from './spanning.js';
import { stpShow } from './stp/show.js';
import { bridgeTag, dpPortTag, flowsTag, macTag, portTag, stpTag } from './tags.js';
import { samePortVlan } from './vlan.js';
import {
  type ControllerAction,
  OFPPC_PORT_DOWN,
  type PortRef,
  Trace,
  translateKey,
  translatePacketOut,
  type XlateEnv,
} from './xlate.js';

export { type BridgeSettings, OFPP_LOCAL, type PortSettings } from './bridge.js';
export type { VlanMode } from './vlan.js';

/** A control-plane error with a stable code (the text OVS's unixctl replies with). */
export class OfprotoError extends Error {
  constructor(
    readonly code: 'no such bridge' | 'no such stp object' | 'no such rstp object',
    message: string = code,
  ) {
    super(message);
    this.name = 'OfprotoError';
  }
}

/** Where translation errors are reported (a module logger fits). */
export interface OfprotoLog {
  warn(msg: string): void;
}

/** What ofproto learns about a port's device for OpenFlow port descriptions and statistics. */
export interface PortInfo {
  readonly mac: string;
  /** Carrier (and administratively up). */
  readonly linkUp: boolean;
  /** Whether the device is administratively up (absent: it has no such state, e.g. a patch port). */
  readonly adminUp?: boolean;
  /** OFPPF_* current features (speed, duplex, medium), 0 when unknown. */
  readonly curr: number;
  /** Kbit/s, 0 when unknown. */
  readonly currSpeed: number;
  readonly stats: {
    readonly rxPackets: number;
    readonly txPackets: number;
    readonly rxBytes: number;
    readonly txBytes: number;
    readonly rxDropped: number;
    readonly txDropped: number;
    readonly rxErrors: number;
    readonly txErrors: number;
  } | null;
  /** Milliseconds the port has existed. */
  readonly ageMs: number;
}

/** Looks up a port's device information by port (interface) name. */
export type PortInfoSource = (portName: string) => PortInfo | undefined;

/**
 * Sets a port's device administratively up or down for a port_mod's OFPPC_PORT_DOWN (OVS's
 * netdev_turn_flags_on/off); false when the device cannot (then the bit is left as it was, as OVS does).
 * The link change that follows comes back through `setLink`.
 */
export type PortAdminControl = (portName: string, up: boolean) => boolean;

/** OpenFlow packet-in reason codes (OFPR_*), as the datapath's userspace action text shows them. */
const OFPR_CODES: Record<PacketInReason, number> = {
  no_match: 0,
  action: 1,
  invalid_ttl: 2,
  action_set: 3,
  group: 4,
  packet_out: 5,
};

/** OpenFlow 1.1+ OFPPS_* state bits. */
const OFPPS_LINK_DOWN = 1;
const OFPPS_BLOCKED = 2;
const OFPPS_LIVE = 4;

/** The datapath features OpenFlow uses, beyond invalidation and execution. */
type OfprotoDatapath = Pick<Datapath, 'invalidate' | 'execute'> & Partial<Pick<Datapath, 'pushStats'>>;

/** All bridges of one vswitchd over one datapath, and the datapath's upcall handler. */
export class Ofproto implements UpcallHandler, OpenFlowSwitch {
  private readonly bridges = new Map<string, OfBridge>();
  /** Datapath port → the bridge port that owns it. */
  private readonly dpPorts = new Map<number, PortRef>();
  private readonly env: XlateEnv;
  /** Controller actions the datapath may raise, by registration number (the ACT_USERSPACE argument's
   *  upper bits), and their numbers by content so that retranslations reuse them. */
  private readonly controllerActions: ControllerAction[] = [];
  private readonly controllerIds = new Map<string, number>();
  private events: OpenFlowEvents | null = null;
  private portInfo: PortInfoSource = () => undefined;
  private adminControl: PortAdminControl | null = null;
  private dpidSource: (bridge: string) => bigint | undefined = () => undefined;
  /** Gives memory back once a burst of flow table changes is over. */
  private readonly idleGc: IdleCollector;

  constructor(
    private readonly datapath: OfprotoDatapath,
    private readonly log: OfprotoLog = { warn: () => {} },
    /** Milliseconds; the same clock the caller passes to run() and the datapath to translate(). */
    private readonly clock: () => number = Date.now,
    /** Gives free C-heap pages back to the kernel (malloc_trim), after the idle collections. */
    trimMemory?: () => void,
  ) {
    this.idleGc = new IdleCollector(undefined, undefined, trimMemory);
    this.env = {
      inputOf: (dpPort) => this.dpPorts.get(dpPort),
      patchPeer: (port) => this.patchPeer(port),
      learn: (bridge, mac, vlan, port, now) => this.learn(bridge, mac, vlan, port, now),
      learnFlow: (bridge, tableId, spec, now) => this.learnFlow(bridge, tableId, spec, now),
      controller: (action) => this.registerController(action),
      warn: (msg) => this.log.warn(msg),
    };
  }

  /** Adds a bridge or updates its settings. */
  setBridge(settings: BridgeSettings): void {
    const s = { ...settings };
    const bridge = this.bridges.get(s.name);
    if (bridge === undefined) {
      const created = new OfBridge(s, (br, e) => this.macRemoved(br, e), this.clock());
      this.bridges.set(s.name, created);
      this.configureStp(created);
      this.configureFailMode(created);
      this.datapath.invalidate(bridgeTag(s.name));
      return;
    }
    const bpduChanged = bridge.settings.forwardBpdu !== s.forwardBpdu;
    bridge.configure(s);
    this.configureStp(bridge);
    if (this.configureFailMode(bridge) || bpduChanged) this.datapath.invalidate(bridgeTag(s.name));
  }

  /**
   * Applies fail_mode and the presence of controllers. As OVS's bridge.c, a bridge without controllers in
   * standalone mode gets the flow `priority=0 actions=NORMAL` when it is created or gains that state; with
   * controllers, standalone mode switches NORMAL on (fail-open) while none is connected. Returns whether
   * forwarding changed.
   */
  private configureFailMode(bridge: OfBridge): boolean {
    const secure = bridge.settings.failMode === 'secure';
    const hasControllers = (bridge.settings.controllers ?? 0) > 0;
    const changed =
      bridge.failSecure !== secure || bridge.hasControllers !== hasControllers || !bridge.configured;
    if (bridge.configured && bridge.hasControllers !== hasControllers) {
      // As OVS's connmgr: gaining the first controller or losing the last flushes every flow.
      for (const t of bridge.pipeline.tables) t.clear();
      this.datapath.invalidate(flowsTag(bridge.name));
    }
    bridge.failSecure = secure;
    bridge.hasControllers = hasControllers;
    if (!hasControllers) bridge.connected = false;
    const failOpen = hasControllers && !secure && !bridge.connected;
    const openChanged = failOpen !== bridge.failOpen;
    bridge.failOpen = failOpen;
    if (changed && !hasControllers && !secure) this.ensureNormalFlow(bridge);
    bridge.configured = true;
    return openChanged;
  }

  /** Adds (or restores the actions of) the default flow `priority=0 actions=NORMAL` in table 0. */
  private ensureNormalFlow(bridge: OfBridge): void {
    const match = FlowMatch.catchAll();
    const normal: OfpAction = { type: 'output', port: 0xfffa, maxLen: 0 };
    const existing = bridge.pipeline.table(0).findStrict(match, 0);
    if (existing !== null && existing.actions.length === 1 && existing.actions[0].type === 'output') {
      if ((existing.actions[0] as { port: number }).port === 0xfffa) return;
    }
    bridge.pipeline.add(0, new Rule({ priority: 0, match, actions: [normal] }, this.clock()));
    this.datapath.invalidate(flowsTag(bridge.name));
  }

  /** Starts, reconfigures or stops the bridge's spanning tree after its settings changed. */
  private configureStp(bridge: OfBridge): void {
    const rstp = bridge.settings.rstp ?? null;
    const stp = rstp === null ? (bridge.settings.stp ?? null) : null;
    const tree = bridge.tree;
    if (tree !== null && tree.kind === 'stp' && stp !== null) {
      tree.configure(stp);
      return;
    }
    // RSTP's engine takes its bridge settings at creation: a change starts a new tree.
    if (tree !== null && tree.kind === 'rstp' && rstp !== null && sameRstpBridgeSettings(tree.settings, rstp))
      return;
    if (tree === null && rstp === null && stp === null) return;
    const transmit = (port: string, frame: Uint8Array) => this.transmit(bridge, port, frame);
    bridge.tree =
      rstp !== null
        ? new BridgeRstp(bridge.name, rstp, this.clock(), transmit)
        : stp !== null
          ? new BridgeStp(stp, this.clock(), transmit)
          : null;
    for (const port of bridge.ports.values()) this.configureStpPort(bridge, port);
    this.datapath.invalidate(bridgeTag(bridge.name));
  }

  /** Adds `port` to its bridge's spanning tree, or keeps it out (internal, patch, tree disabled on it). */
  private configureStpPort(bridge: OfBridge, port: BridgePort): void {
    const tree = bridge.tree;
    if (tree === null) return;
    const s = port.settings;
    const eligible = s.dpPort !== null && s.patchPeer === null && s.ofport !== OFPP_LOCAL;
    const up = !bridge.linkDown.has(s.name);
    const mac = s.mac ?? '00:00:00:00:00:00';
    if (tree.kind === 'stp' && eligible && s.stp !== undefined && s.stp !== null) {
      tree.setPort(s.name, s.stp, mac, up);
    } else if (tree.kind === 'rstp' && eligible && s.rstp !== undefined && s.rstp !== null) {
      tree.setPort(s.name, s.rstp, mac, up);
    } else {
      tree.removePort(s.name);
    }
    this.stpOutcome(bridge, tree.tick(this.clock()));
  }

  /** Sends a BPDU frame out of `portName` of `bridge`. */
  private transmit(bridge: OfBridge, portName: string, frame: Uint8Array): void {
    const dp = bridge.ports.get(portName)?.settings.dpPort;
    if (dp === undefined || dp === null) return;
    this.datapath.execute(frame, new ActionsBuilder().output(dp).build(), 0);
  }

  /** Acts on a spanning-tree outcome: revalidate what consulted port states, flush MACs on a topology change. */
  private stpOutcome(bridge: OfBridge, outcome: StpOutcome): void {
    if (outcome.changed) this.datapath.invalidate(stpTag(bridge.name));
    if (outcome.flush) bridge.macs.flush();
    for (const port of outcome.flushPorts) bridge.macs.flushPort(port);
  }

  /**
   * A port's link went up or down (carrier or administrative state): its spanning tree follows at once,
   * and controllers get port_status messages.
   */
  setLink(portName: string, up: boolean): void {
    for (const bridge of this.bridges.values()) {
      const port = bridge.ports.get(portName);
      if (port === undefined) continue;
      if (up) bridge.linkDown.delete(portName);
      else bridge.linkDown.add(portName);
      if (bridge.tree !== null) this.stpOutcome(bridge, bridge.tree.setLink(portName, up));
      this.reportLink(bridge, port, up);
    }
  }

  /**
   * The port_status messages Open vSwitch 3.1 sends for a link change. Losing the link of a live port: first
   * the port stops being live with its state otherwise unchanged (ofproto-dpif's port_run sees the carrier
   * go), then the state with LINK_DOWN (update_port re-reading the device), whose administrative state
   * also sets or clears OFPPC_PORT_DOWN. A port_mod that set PORT_DOWN already took the port out of LIVE.
   */
  private reportLink(bridge: OfBridge, port: BridgePort, up: boolean): void {
    const name = port.settings.name;
    const ofport = port.settings.ofport;
    const info = this.portInfo(name);
    const config = bridge.portConfig.get(ofport) ?? 0;
    if (!up && (config & OFPPC_PORT_DOWN) === 0 && this.events !== null) {
      const wasUp = info === undefined ? undefined : { ...info, linkUp: true, adminUp: true };
      const desc = this.portDesc(bridge, port, wasUp);
      this.events.portStatus({
        bridge: bridge.name,
        reason: 'modify',
        port: { ...desc, state: desc.state & ~OFPPS_LIVE },
      });
    }
    if (info?.adminUp !== undefined) {
      const now = info.adminUp ? config & ~OFPPC_PORT_DOWN : config | OFPPC_PORT_DOWN;
      if (now !== config) {
        bridge.portConfig.set(ofport, now >>> 0);
        this.invalidatePort(bridge, port.settings, port.settings);
      }
    }
    this.events?.portStatus({
      bridge: bridge.name,
      reason: 'modify',
      port: this.portDesc(bridge, port, info),
    });
  }

  /** `stp/show [BRIDGE]` in Open vSwitch 3.1's layout. */
  stpShow(bridge: string | null): string {
    const pairs = this.treesOf('stp').map((t) => [t.name, t.tree.stp] as const);
    if (bridge !== null && !pairs.some(([name]) => name === bridge)) {
      throw new OfprotoError('no such stp object', 'no such stp object');
    }
    return stpShow(pairs, bridge ?? undefined);
  }

  /** `stp/tcn [BRIDGE]`: starts a topology change on one bridge's tree, or on all. */
  stpTcn(bridge: string | null): void {
    const trees = this.treesOf('stp').filter((t) => bridge === null || t.name === bridge);
    if (bridge !== null && trees.length === 0)
      throw new OfprotoError('no such stp object', 'no such stp object');
    for (const t of trees) this.stpOutcome(t.bridge, t.tree.topologyChange());
  }

  /** `rstp/show [BRIDGE]` in Open vSwitch 3.1's layout. */
  rstpShow(bridge: string | null): string {
    const trees = this.treesOf('rstp').filter((t) => bridge === null || t.name === bridge);
    if (bridge !== null && trees.length === 0)
      throw new OfprotoError('no such rstp object', 'No such RSTP object');
    return rstpShow(trees.map((t) => t.tree.rstp));
  }

  /** `rstp/tcn [BRIDGE]`: runs the RSTP state machines again on one bridge, or on all. */
  rstpTcn(bridge: string | null): void {
    const trees = this.treesOf('rstp').filter((t) => bridge === null || t.name === bridge);
    if (bridge !== null && trees.length === 0)
      throw new OfprotoError('no such rstp object', 'No such RSTP object');
    for (const t of trees) this.stpOutcome(t.bridge, t.tree.rerun(this.clock()));
  }

  /** The bridge's spanning tree (STP or RSTP), for status reporting. */
  treeOf(bridge: string): BridgeTree | null {
    return this.bridges.get(bridge)?.tree ?? null;
  }

  /** The bridges running a tree of one kind, in the order they were made (as OVS lists its trees). */
  private treesOf<K extends BridgeTree['kind']>(
    kind: K,
  ): { name: string; bridge: OfBridge; tree: Extract<BridgeTree, { kind: K }> }[] {
    const out: { name: string; bridge: OfBridge; tree: Extract<BridgeTree, { kind: K }> }[] = [];
    for (const b of this.bridges.values()) {
      const tree = b.tree;
      if (tree !== null && tree.kind === kind) {
        out.push({ name: b.name, bridge: b, tree: tree as Extract<BridgeTree, { kind: K }> });
      }
    }
    return out;
  }

  /** Removes a bridge with all its ports (no-op when absent). */
  removeBridge(name: string): void {
    const bridge = this.bridges.get(name);
    if (bridge === undefined) return;
    for (const portName of [...bridge.ports.keys()]) this.removePort(name, portName, false);
    bridge.macs.flush();
    this.bridges.delete(name);
    this.datapath.invalidate(bridgeTag(name));
  }

  /** Adds a port to a bridge or updates it; a port name is unique across bridges. */
  setPort(bridgeName: string, settings: PortSettings): void {
    const bridge = this.requireBridge(bridgeName);
    for (const other of this.bridges.values()) {
      if (other !== bridge && other.ports.has(settings.name)) this.removePort(other.name, settings.name);
    }
    const old = bridge.ports.get(settings.name);
    if (old !== undefined && samePortSettings(old.settings, settings)) return;
    const port = bridge.putPort(settings);
    this.unindex(old);
    if (port.settings.dpPort !== null) this.dpPorts.set(port.settings.dpPort, { bridge, port });
    // Like OVS, MACs learned under an old VLAN configuration are forgotten.
    if (old !== undefined && !samePortVlan(old.vlan, port.vlan)) bridge.macs.flushPort(settings.name);
    this.configureStpPort(bridge, port);
    this.invalidatePort(bridge, old?.settings, port.settings);
    if (old === undefined) this.reportAdded(bridge, port);
  }

  /**
   * The port_status Open vSwitch 3.1 sends for a new port: ADD with the port not yet live (its first
   * port_run has not seen the carrier), then MODIFY once it is.
   */
  private reportAdded(bridge: OfBridge, port: BridgePort): void {
    if (this.events === null) return;
    const now = this.portDesc(bridge, port, this.portInfo(port.settings.name));
    const added = { ...now, state: now.state & ~OFPPS_LIVE };
    this.events.portStatus({ bridge: bridge.name, reason: 'add', port: added });
    if (now.state !== added.state)
      this.events.portStatus({ bridge: bridge.name, reason: 'modify', port: now, old: added });
  }

  /**
   * Removes a port (no-op when absent); its MACs are forgotten here and in every other bridge. Controllers
   * get a port_status DELETE unless the whole bridge is going (its connections go with it).
   */
  removePort(bridgeName: string, portName: string, report = true): void {
    const bridge = this.bridges.get(bridgeName);
    const gone = report && bridge !== undefined ? this.portDescOf(bridge, portName) : undefined;
    const port = bridge?.dropPort(portName);
    if (bridge === undefined || port === undefined) return;
    if (gone !== undefined) this.events?.portStatus({ bridge: bridgeName, reason: 'delete', port: gone });
    bridge.tree?.removePort(portName);
    bridge.linkDown.delete(portName);
    this.unindex(port);
    for (const e of bridge.macs.flushPort(portName)) {
      for (const other of this.bridges.values()) if (other !== bridge) other.macs.forget(e.mac, e.vlan);
    }
    this.invalidatePort(bridge, port.settings, undefined);
  }

  /** Bridge names, sorted. */
  bridgeNames(): string[] {
    return [...this.bridges.keys()].sort();
  }

  /** A bridge's ports in the order they were added (empty for an unknown bridge). */
  portsOf(bridge: string): PortSettings[] {
    const b = this.bridges.get(bridge);
    return b === undefined ? [] : [...b.ports.values()].map((p) => ({ ...p.settings }));
  }

  /** `ovs-appctl fdb/show BRIDGE`, byte for byte as Open vSwitch 3.1 prints it (entries due to age out
   *  by `now` are expired first, as OVS's timer would have done). */
  fdbShow(bridge: string, now: number): string {
    const b = this.requireBridge(bridge);
    b.macs.run(now);
    const rows = [];
    for (const e of b.macs.entries()) {
      const port = b.ports.get(e.port);
      if (port !== undefined) {
        rows.push({ ofport: port.settings.ofport, vlan: e.vlan, mac: e.mac, age: b.macs.age(e, now) });
      }
    }
    return formatFdbShow(rows);
  }

  /** `fdb/flush [BRIDGE]`: forgets every learned MAC of one bridge, or of all. */
  fdbFlush(bridge: string | null): void {
    const targets = bridge === null ? [...this.bridges.values()] : [this.requireBridge(bridge)];
    for (const b of targets) b.macs.flush();
  }

  /** Ages MAC entries out, trims tables to their size and expires flows; call about once a second. */
  run(now: number): void {
    let pushed = false;
    for (const b of this.bridges.values()) {
      b.macs.run(now);
      if (b.tree !== null) this.stpOutcome(b, b.tree.tick(now));
      if (b.pipeline.hasTimeouts()) {
        if (!pushed) this.datapath.pushStats?.(now);
        pushed = true;
        this.removed(b, expireRules(b.pipeline, now));
      }
    }
  }

  // ----------------------------------------------------------------------------------------------------
  // OpenFlow (OpenFlowSwitch).

  hasBridge(bridge: string): boolean {
    return this.bridges.has(bridge);
  }

  /** The bridge (for the OpenFlow layer's tests and commands). */
  bridge(name: string): OfBridge | undefined {
    return this.bridges.get(name);
  }

  datapathId(bridge: string): bigint {
    const b = this.requireBridge(bridge);
    if (b.settings.datapathId !== undefined && b.settings.datapathId !== null) return b.settings.datapathId;
    const chosen = this.dpidSource(bridge);
    if (chosen !== undefined) return chosen;
    const local = b.byOfport.get(OFPP_LOCAL);
    const mac = local?.settings.mac ?? this.portInfo(bridge)?.mac ?? '00:00:00:00:00:00';
    return BigInt(`0x${mac.replaceAll(':', '')}`);
  }

  setPortInfoSource(source: PortInfoSource): void {
    this.portInfo = source;
  }

  /** How a port_mod's OFPPC_PORT_DOWN reaches the port's device (none: it only changes the OpenFlow bit). */
  setPortAdminControl(control: PortAdminControl | null): void {
    this.adminControl = control;
  }

  /** Where the datapath ID vswitchd picked for a bridge comes from (OVS's bridge_pick_datapath_id). */
  setDatapathIdSource(source: (bridge: string) => bigint | undefined): void {
    this.dpidSource = source;
  }

  ports(bridge: string): PhyPort[] {
    const b = this.requireBridge(bridge);
    const out: PhyPort[] = [];
    for (const p of b.ports.values()) out.push(this.portDesc(b, p, this.portInfo(p.settings.name)));
    return out.sort((a, c) => a.portNo - c.portNo);
  }

  /** A port's OpenFlow description from its device information `info`. */
  /** A port's description by name, or undefined when the bridge has no such port. */
  private portDescOf(b: OfBridge, name: string): PhyPort | undefined {
    const p = b.ports.get(name);
    return p === undefined ? undefined : this.portDesc(b, p, this.portInfo(name));
  }

  private portDesc(b: OfBridge, p: BridgePort, info: PortInfo | undefined): PhyPort {
    const config = b.portConfig.get(p.settings.ofport) ?? 0;
    let state = info !== undefined && !info.linkUp ? OFPPS_LINK_DOWN : 0;
    // OpenFlow 1.1+ state bits; the connection manager maps them to 1.0's for 1.0 peers.
    if (b.tree !== null && b.tree.portState(p.settings.name) !== 'forwarding') state |= OFPPS_BLOCKED;
    if (info?.linkUp && (config & OFPPC_PORT_DOWN) === 0) state |= OFPPS_LIVE;
    return {
      portNo: p.settings.ofport,
      hwAddr: info?.mac ?? p.settings.mac ?? '00:00:00:00:00:00',
      name: p.settings.name,
      config,
      state,
      curr: info?.curr ?? 0,
      advertised: 0,
      supported: 0,
      peer: 0,
      currSpeed: info?.currSpeed ?? 0,
      maxSpeed: 0,
    };
  }

  portStats(bridge: string, port: number | null): PortStats[] {
    const b = this.requireBridge(bridge);
    const out: PortStats[] = [];
    for (const p of b.ports.values()) {
      if (port !== null && port !== 0xffff && p.settings.ofport !== port) continue;
      const info = this.portInfo(p.settings.name);
      const s = info?.stats;
      const n = (v: number | undefined): bigint =>
        v === undefined ? 0n : BigInt(Math.max(0, Math.trunc(v)));
      const age = info?.ageMs ?? 0;
      out.push({
        portNo: p.settings.ofport,
        rxPackets: n(s?.rxPackets),
        txPackets: n(s?.txPackets),
        rxBytes: n(s?.rxBytes),
        txBytes: n(s?.txBytes),
        rxDropped: n(s?.rxDropped),
        txDropped: n(s?.txDropped),
        rxErrors: n(s?.rxErrors),
        txErrors: n(s?.txErrors),
        rxFrameErr: 0n,
        rxOverErr: 0n,
        rxCrcErr: 0n,
        collisions: 0n,
        durationSec: Math.floor(age / 1000),
        durationNsec: (age % 1000) * 1_000_000,
      });
    }
    if (port !== null && port !== 0xffff && out.length === 0) throw new OfpError('OFPBRC_BAD_PORT');
    return out.sort((a, c) => a.portNo - c.portNo);
  }

  /**
   * OVS's update_port_config: OFPPC_PORT_DOWN turns the port's device down or up (left alone when the device
   * cannot); the port_status tells the new config with the link state as it was known (LIVE cleared for a
   * port now down). The device's link change comes after it, through `setLink`.
   */
  portMod(bridge: string, port: number, _hwAddr: string, config: number, mask: number): void {
    const b = this.requireBridge(bridge);
    const p = b.byOfport.get(port);
    if (p === undefined) throw new OfpError('OFPPMFC_BAD_PORT');
    const old = b.portConfig.get(port) ?? 0;
    let toggle = ((config ^ old) & mask) >>> 0;
    const info = this.portInfo(p.settings.name);
    if ((toggle & OFPPC_PORT_DOWN) !== 0 && this.adminControl !== null) {
      if (!this.adminControl(p.settings.name, (config & OFPPC_PORT_DOWN) === 0)) toggle &= ~OFPPC_PORT_DOWN;
    }
    if (toggle === 0) return;
    b.portConfig.set(port, (old ^ toggle) >>> 0);
    this.invalidatePort(b, p.settings, p.settings);
    this.events?.portStatus({ bridge, reason: 'modify', port: this.portDesc(b, p, info) });
  }

  flowMod(bridge: string, fm: FlowModRequest): void {
    const b = this.requireBridge(bridge);
    const watched = this.events?.watchesFlows?.(bridge) === true;
    const modify = fm.command === 'modify' || fm.command === 'modify_strict';
    // Flow monitors report a modification only when it changed actions or cookie: remember both first.
    const before = new Map<Rule, { actions: readonly OfpAction[]; cookie: bigint }>();
    if (watched && modify) {
      const q = { ...fm, strict: fm.command === 'modify_strict' };
      for (const rule of selectRules(b.pipeline, q))
        before.set(rule, { actions: rule.actions, cookie: rule.cookie });
    }
    const r = applyFlowMod(b.pipeline, fm, this.clock());
    this.idleGc.note(r.added.length + r.removed.length);
    this.datapath.invalidate(flowsTag(bridge));
    if (watched) this.reportFlowMod(b, r.added, r.modified, before);
    this.removed(b, r.removed);
  }

  /** Tells flow monitors what a flow_mod added and modified (OVS add_flow_finish, replace_rule_finish). */
  private reportFlowMod(
    b: OfBridge,
    added: readonly Rule[],
    modified: readonly Rule[],
    before: ReadonlyMap<Rule, { actions: readonly OfpAction[]; cookie: bigint }>,
  ): void {
    const now = this.clock();
    const updates: FlowUpdateEvent[] = added.map((rule) => ({ event: 'added', rule: ruleView(rule, now) }));
    for (const rule of modified) {
      const old = before.get(rule);
      const actionsChanged = old === undefined || !sameActions(old.actions, rule.actions);
      if (!actionsChanged && old.cookie === rule.cookie) continue;
      const oldActions = actionsChanged && old !== undefined ? old.actions : undefined;
      updates.push({ event: 'modified', rule: ruleView(rule, now), oldActions });
    }
    if (updates.length > 0) this.events?.flowUpdates?.(b.name, updates);
  }

  flowStats(bridge: string, q: FlowQuery): RuleView[] {
    const b = this.requireBridge(bridge);
    const now = this.clock();
    this.datapath.pushStats?.(now);
    return selectRules(b.pipeline, q).map((r) => ruleView(r, now));
  }

  tableStats(bridge: string): TableView[] {
    return tableViews(this.requireBridge(bridge).pipeline);
  }

  commitBundle(bridge: string, changes: readonly BundleChange[]): void {
    const b = this.requireBridge(bridge);
    const removed = commitChanges(b.pipeline, changes, this.clock());
    this.datapath.invalidate(flowsTag(bridge));
    this.removed(b, removed);
  }

  groupMod(bridge: string, gm: GroupModRequest): void {
    const b = this.requireBridge(bridge);
    const removed = applyGroupMod(b.pipeline, gm, this.clock());
    this.datapath.invalidate(flowsTag(bridge));
    this.removed(b, removed);
  }

  groups(bridge: string, groupId: number | null): GroupView[] {
    const b = this.requireBridge(bridge);
    const now = this.clock();
    this.datapath.pushStats?.(now);
    return groupViews(b.pipeline, groupId, now);
  }

  packetOut(bridge: string, inPort: number, actions: readonly OfpAction[], frame: Uint8Array): void {
    const b = this.requireBridge(bridge);
    const port = b.byOfport.get(inPort) ?? null;
    const key = newFlowKey();
    extractFlowKey(frame, 0, frame.length, port?.settings.dpPort ?? 0, key);
    const result = translatePacketOut(b, port, inPort, actions, key, this.clock(), this.env);
    if (result.actions.length > 0) this.datapath.execute(frame, result.actions, port?.settings.dpPort ?? 0);
  }

  setControllerState(bridge: string, connected: boolean): void {
    const b = this.bridges.get(bridge);
    if (b === undefined) return;
    b.connected = connected;
    if (this.configureFailMode(b)) this.datapath.invalidate(bridgeTag(bridge));
  }

  setEventSink(sink: OpenFlowEvents | null): void {
    this.events = sink;
  }

  /** Tells controllers about rules that left their tables (those with send_flow_rem). */
  private removed(bridge: OfBridge, removed: readonly Removed[]): void {
    if (removed.length === 0) return;
    this.datapath.invalidate(flowsTag(bridge.name));
    const now = this.clock();
    if (this.events?.watchesFlows?.(bridge.name) === true) {
      const updates = removed.map((r): FlowUpdateEvent => {
        return { event: 'deleted', rule: ruleView(r.rule, now), reason: r.reason };
      });
      this.events.flowUpdates?.(bridge.name, updates);
    }
    for (const r of removed) {
      if ((r.rule.flags & 1) === 0) continue;
      this.events?.flowRemoved({ bridge: bridge.name, rule: ruleView(r.rule, now), reason: r.reason });
    }
  }

  /** A learn action's rule: added, or an identical one refreshed (its idle timer restarts). */
  private learnFlow(bridge: OfBridge, tableId: number, spec: RuleSpec, now: number): void {
    if (!this.bridges.has(bridge.name)) return;
    const table = bridge.pipeline.table(tableId);
    const existing = table.findStrict(spec.match, spec.priority);
    if (existing !== null && sameActions(existing.actions, spec.actions)) {
      existing.used = now;
      existing.modified = now;
      return;
    }
    const rule = new Rule(spec, now);
    bridge.pipeline.add(tableId, rule);
    this.datapath.invalidate(flowsTag(bridge.name));
    if (this.events?.watchesFlows?.(bridge.name) === true) {
      this.events.flowUpdates?.(bridge.name, [{ event: 'added', rule: ruleView(rule, now) }]);
    }
  }

  private registerController(action: ControllerAction): number {
    const key = controllerKey(action);
    let id = this.controllerIds.get(key);
    if (id === undefined) {
      // 16 bits of the userspace argument number the registrations; past that, start over (cached flows
      // holding old numbers are dropped so none raises the wrong packet_in).
      if (this.controllerActions.length > 0xffff) {
        this.controllerActions.length = 0;
        this.controllerIds.clear();
        for (const b of this.bridges.values()) this.datapath.invalidate(flowsTag(b.name));
      }
      id = this.controllerActions.length;
      this.controllerActions.push(action);
      this.controllerIds.set(key, id);
    }
    return ((id << 16) | (OFPR_CODES[action.reason] << 8) | USERSPACE_CONTROLLER) >>> 0;
  }

  private raisePacketIn(id: number, buf: Uint8Array, offset: number, length: number): void {
    const a = this.controllerActions[id];
    if (a === undefined || this.events === null || !this.bridges.has(a.bridge)) return;
    // The whole frame: Open vSwitch 3.1 keeps no buffers and sends all of it whatever max_len says.
    const keep = length;
    this.events.packetIn({
      bridge: a.bridge,
      reason: a.reason,
      tableId: a.tableId,
      cookie: a.cookie,
      frame: buf.slice(offset, offset + keep),
      totalLen: length,
      inPort: a.inPort,
      metadata: a.metadata,
      controllerId: a.controllerId,
      userdata: a.userdata,
      maxLen: a.maxLen,
      implicitMiss: a.implicitMiss,
    });
  }

  /** Translates a datapath miss (UpcallHandler). */
  translate(key: Uint32Array, now: number): XlateResult {
    return translateKey(key, now, this.env);
  }

  /**
   * ofproto/trace: translates `key` (K_IN_PORT a datapath port) without side effects and returns the
   * result with the trace. Throws OfprotoError for an unknown in_port.
   */
  trace(key: Uint32Array, now: number, sideEffects = false): { result: XlateResult; trace: Trace } {
    const trace = new Trace();
    const result = translateKey(key, now, this.env, { trace, sideEffects });
    return { result, trace };
  }

  /** The datapath port of OpenFlow port `ofport` of `bridge` (for ofproto/trace's in_port). */
  dpPortOf(bridge: string, ofport: number): number | null {
    return this.bridges.get(bridge)?.byOfport.get(ofport)?.settings.dpPort ?? null;
  }

  /** A packet sent to userspace by an action: BPDUs go to the input bridge's spanning tree. */
  userspace(
    reason: number,
    key: Uint32Array,
    buf: Uint8Array,
    offset: number,
    length: number,
    now: number,
  ): void {
    if ((reason & 0xff) === USERSPACE_CONTROLLER) {
      this.raisePacketIn(reason >>> 16, buf, offset, length);
      return;
    }
    if (reason !== USERSPACE_SLOW_PATH_STP) return;
    const input = this.dpPorts.get(key[K_IN_PORT]);
    const tree = input?.bridge.tree;
    if (input === undefined || tree === null || tree === undefined) return;
    this.stpOutcome(input.bridge, tree.receive(input.port.settings.name, buf, offset, length, now));
  }

  /** Rules in the bridge's tables (0 for an unknown bridge). */
  ruleCount(bridge: string): number {
    return this.bridges.get(bridge)?.pipeline.size ?? 0;
  }

  /** Every bridge name with its pipeline (for `ofctl`-like commands inside vswitchd). */
  pipelineOf(bridge: string): Pipeline {
    return this.requireBridge(bridge).pipeline;
  }

  private requireBridge(name: string): OfBridge {
    const b = this.bridges.get(name);
    if (b === undefined) throw new OfprotoError('no such bridge');
    return b;
  }

  private patchPeer(port: BridgePort): PortRef | undefined {
    const peerName = port.settings.patchPeer;
    if (peerName === null) return undefined;
    for (const bridge of this.bridges.values()) {
      const peer = bridge.ports.get(peerName);
      if (peer === undefined) continue;
      return peer.settings.patchPeer === port.settings.name ? { bridge, port: peer } : undefined;
    }
    return undefined;
  }

  private learn(bridgeName: string, mac: number, vlan: number, portName: string, now: number): void {
    const bridge = this.bridges.get(bridgeName);
    if (bridge === undefined || !bridge.ports.has(portName)) return;
    const outcome = bridge.macs.learn(mac, vlan, portName, now);
    if (outcome === 'learned' || outcome === 'moved') {
      this.datapath.invalidate(macTag(bridgeName, vlan, mac));
    }
  }

  private macRemoved(bridge: string, e: MacEntry): void {
    this.datapath.invalidate(macTag(bridge, e.vlan, e.mac));
  }

  private unindex(port: BridgePort | undefined): void {
    const dp = port?.settings.dpPort;
    if (dp !== undefined && dp !== null && this.dpPorts.get(dp)?.port === port) this.dpPorts.delete(dp);
  }

  private invalidatePort(
    bridge: OfBridge,
    old: PortSettings | undefined,
    cur: PortSettings | undefined,
  ): void {
    this.datapath.invalidate(bridgeTag(bridge.name));
    const name = old?.name ?? cur?.name;
    if (name !== undefined) this.datapath.invalidate(portTag(name));
    const dps = new Set([old?.dpPort, cur?.dpPort]);
    for (const dp of dps) if (dp !== undefined && dp !== null) this.datapath.invalidate(dpPortTag(dp));
  }
}

function controllerKey(a: ControllerAction): string {
  return JSON.stringify(
    [
      a.bridge,
      a.reason,
      a.tableId,
      a.cookie,
      a.maxLen,
      a.controllerId,
      a.userdata,
      a.inPort,
      a.implicitMiss,
      Array.from(a.metadata.value),
      Array.from(a.metadata.mask),
    ],
    jsonBig,
  );
}

function jsonBig(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Array.from(v);
  return v;
}
