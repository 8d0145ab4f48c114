// ofproto, the switch's slow path (OVS's ofproto-dpif): the bridges and ports the reconciler configures,
// their MAC tables, upcall translation for the datapath, and the fdb/* commands. Every change to state a
// cached flow may depend on is announced to the datapath as `invalidate(tag)` (src/ofproto/tags.ts).
import type { Datapath } from '../datapath/datapath.js';
import type { UpcallHandler, XlateResult } from '../datapath/upcall.js';
import {
  type BridgePort,
  type BridgeSettings,
  OfBridge,
  type PortSettings,
  samePortSettings,
} from './bridge.js';
import { formatFdbShow } from './fdb-show.js';
import type { MacEntry } from './mac-learning.js';
import { bridgeTag, dpPortTag, macTag, portTag } from './tags.js';
import { samePortVlan } from './vlan.js';
import { type PortRef, translateKey, type XlateEnv } from './xlate.js';

export { type BridgeSettings, OFPP_LOCAL, type PortSettings } from './bridge.js';
export type { VlanMode } from './vlan.js';

/** A control-plane error with a stable code (the text OVS's unixctl replies with). */
export class OfprotoError extends Error {
  constructor(readonly code: 'no such bridge') {
    super(code);
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
      this.bridges.set(s.name, new OfBridge(s, (br, e) => this.macRemoved(br, e)));
      this.datapath.invalidate(bridgeTag(s.name));
      return;
    }
    const bpduChanged = bridge.settings.forwardBpdu !== s.forwardBpdu;
    bridge.configure(s);
    if (bpduChanged) this.datapath.invalidate(bridgeTag(s.name));
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
    this.invalidatePort(bridge, old?.settings, port.settings);
  }

  /** Removes a port (no-op when absent); its MACs are forgotten here and in every other bridge. */
  removePort(bridgeName: string, portName: string): void {
    const bridge = this.bridges.get(bridgeName);
    const port = bridge?.dropPort(portName);
    if (bridge === undefined || port === undefined) return;
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
    for (const b of this.bridges.values()) b.macs.run(now);
  }

  /** Translates a datapath miss (UpcallHandler). */
  translate(key: Uint32Array, now: number): XlateResult {
    return translateKey(key, now, this.env);
  }

  /** A packet sent to userspace by an action; nothing asks for that yet (STP will). */
  userspace(
    _reason: number,
    _key: Uint32Array,
    _buf: Uint8Array,
    _offset: number,
    _length: number,
    _now: number,
  ): void {}

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
