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
import { BridgeStp, type StpOutcome } from './spanning.js';
import { stpShow } from './stp/show.js';
import { bridgeTag, dpPortTag, macTag, portTag, stpTag } from './tags.js';
import { samePortVlan } from './vlan.js';
import { type PortRef, translateKey, type XlateEnv } from './xlate.js';

export { type BridgeSettings, OFPP_LOCAL, type PortSettings } from './bridge.js';
export type { VlanMode } from './vlan.js';

/** A control-plane error with a stable code (the text OVS's unixctl replies with). */
export class OfprotoError extends Error {
  constructor(
    readonly code: 'no such bridge' | 'no such stp object',
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
    const want = bridge.settings.stp ?? null;
    if (want === null) {
      if (bridge.stp === null) return;
      bridge.stp = null;
      this.datapath.invalidate(bridgeTag(bridge.name));
      return;
    }
    if (bridge.stp === null) {
      bridge.stp = new BridgeStp(want, this.clock(), (port, frame) => this.transmit(bridge, port, frame));
      for (const port of bridge.ports.values()) this.configureStpPort(bridge, port);
      this.datapath.invalidate(bridgeTag(bridge.name));
    } else {
      bridge.stp.configure(want);
    }
  }

  /** Adds `port` to its bridge's spanning tree, or keeps it out (internal, patch, STP disabled). */
  private configureStpPort(bridge: OfBridge, port: BridgePort): void {
    const stp = bridge.stp;
    if (stp === null) return;
    const s = port.settings;
    const eligible = s.stp !== undefined && s.stp !== null && s.dpPort !== null && s.patchPeer === null;
    if (!eligible || s.ofport === OFPP_LOCAL || s.stp === undefined || s.stp === null) {
      stp.removePort(s.name);
      return;
    }
    stp.setPort(s.name, s.stp, s.mac ?? '00:00:00:00:00:00', true);
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
  }

  /** `stp/show [BRIDGE]` in Open vSwitch 3.1's layout. */
  stpShow(bridge: string | null): string {
    const pairs = [...this.bridges.values()]
      .filter((b) => b.stp !== null)
      .map((b) => [b.name, (b.stp as BridgeStp).stp] as const);
    if (bridge !== null && !pairs.some(([n]) => n === bridge)) {
      throw new OfprotoError('no such stp object', 'no such stp object');
    }
    return stpShow(pairs, bridge ?? undefined);
  }

  /** `stp/tcn [BRIDGE]`: starts a topology change on one bridge's tree, or on all. */
  stpTcn(bridge: string | null): void {
    for (const b of this.bridges.values()) {
      if (b.stp === null || (bridge !== null && b.name !== bridge)) continue;
      this.stpOutcome(b, b.stp.topologyChange());
    }
    if (bridge !== null && this.bridges.get(bridge)?.stp == null) {
      throw new OfprotoError('no such stp object', 'no such stp object');
    }
  }

  /** The spanning tree of a bridge (null when it runs none); for status reporting. */
  stpOf(bridge: string): BridgeStp | null {
    return this.bridges.get(bridge)?.stp ?? null;
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
    bridge.stp?.removePort(portName);
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
      if (b.stp !== null) this.stpOutcome(b, b.stp.tick(now));
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
    const stp = input?.bridge.stp;
    if (input === undefined || stp === null || stp === undefined) return;
    this.stpOutcome(input.bridge, stp.receive(input.port.settings.name, buf, offset, length, now));
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
