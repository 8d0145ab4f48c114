// ofproto, the switch's slow path (OVS's ofproto-dpif): the bridges and ports the reconciler configures,
// their MAC tables, upcall translation for the datapath, and the fdb/* commands. Every change to state a
// cached flow may depend on is announced to the datapath as `invalidate(tag)` (src/ofproto/tags.ts).
import { ActionsBuilder, USERSPACE_SLOW_PATH_STP } from '../datapath/actions.js';
import type { Datapath } from '../datapath/datapath.js';
import type { UpcallHandler, XlateResult } from '../datapath/upcall.js';
import { K_IN_PORT } from '../packet/flow-key.js';
import {
  type BridgePort,
  type BridgeSettings,
  OFPP_LOCAL,
  OfBridge,
  type PortSettings,
  samePortSettings,
} from './bridge.js';
import { formatFdbShow } from './fdb-show.js';
import type { MacEntry } from './mac-learning.js';
import { sameRstpBridgeSettings } from './rstp/config.js';
import { rstpShow } from './rstp/show.js';
import { BridgeRstp, BridgeStp, type BridgeTree, type StpOutcome } from './spanning.js';
import { stpShow } from './stp/show.js';
import { bridgeTag, dpPortTag, macTag, portTag, stpTag } from './tags.js';
import { samePortVlan } from './vlan.js';
import { type PortRef, translateKey, type XlateEnv } from './xlate.js';

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

/** All bridges of one vswitchd over one datapath, and the datapath's upcall handler. */
export class Ofproto implements UpcallHandler {
  private readonly bridges = new Map<string, OfBridge>();
  /** Datapath port → the bridge port that owns it. */
  private readonly dpPorts = new Map<number, PortRef>();
  private readonly env: XlateEnv;

  constructor(
    private readonly datapath: Pick<Datapath, 'invalidate' | 'execute'>,
    private readonly log: OfprotoLog = { warn: () => {} },
    /** Milliseconds; the same clock the caller passes to run() and the datapath to translate(). */
    private readonly clock: () => number = Date.now,
  ) {
    this.env = {
      inputOf: (dpPort) => this.dpPorts.get(dpPort),
      patchPeer: (port) => this.patchPeer(port),
      learn: (bridge, mac, vlan, port, now) => this.learn(bridge, mac, vlan, port, now),
      warn: (msg) => this.log.warn(msg),
    };
  }

  /** Adds a bridge or updates its settings. */
  setBridge(settings: BridgeSettings): void {
    const s = { ...settings };
    const bridge = this.bridges.get(s.name);
    if (bridge === undefined) {
      const created = new OfBridge(s, (br, e) => this.macRemoved(br, e));
      this.bridges.set(s.name, created);
      this.configureStp(created);
      this.datapath.invalidate(bridgeTag(s.name));
      return;
    }
    const bpduChanged = bridge.settings.forwardBpdu !== s.forwardBpdu;
    bridge.configure(s);
    this.configureStp(bridge);
    if (bpduChanged) this.datapath.invalidate(bridgeTag(s.name));
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

  /** A port's link went up or down (carrier or administrative state): its spanning tree follows at once. */
  setLink(portName: string, up: boolean): void {
    for (const bridge of this.bridges.values()) {
      if (!bridge.ports.has(portName)) continue;
      if (up) bridge.linkDown.delete(portName);
      else bridge.linkDown.add(portName);
      if (bridge.tree !== null) this.stpOutcome(bridge, bridge.tree.setLink(portName, up));
    }
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
    for (const portName of [...bridge.ports.keys()]) this.removePort(name, portName);
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
  }

  /** Removes a port (no-op when absent); its MACs are forgotten here and in every other bridge. */
  removePort(bridgeName: string, portName: string): void {
    const bridge = this.bridges.get(bridgeName);
    const port = bridge?.dropPort(portName);
    if (bridge === undefined || port === undefined) return;
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

  /** Ages MAC entries out and trims tables to their size; call about once a second. */
  run(now: number): void {
    for (const b of this.bridges.values()) {
      b.macs.run(now);
      if (b.tree !== null) this.stpOutcome(b, b.tree.tick(now));
    }
  }

  /** Translates a datapath miss (UpcallHandler). */
  translate(key: Uint32Array, now: number): XlateResult {
    return translateKey(key, now, this.env);
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
    if (reason !== USERSPACE_SLOW_PATH_STP) return;
    const input = this.dpPorts.get(key[K_IN_PORT]);
    const tree = input?.bridge.tree;
    if (input === undefined || tree === null || tree === undefined) return;
    this.stpOutcome(input.bridge, tree.receive(input.port.settings.name, buf, offset, length, now));
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
