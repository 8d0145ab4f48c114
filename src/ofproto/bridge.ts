// One OpenFlow bridge as the slow path sees it (OVS's ofproto_dpif + its ofbundles): its settings, its
// ports by name and by OpenFlow number with their resolved VLAN configuration, its MAC learning table
// and its OpenFlow pipeline. Holds state only; src/ofproto/ofproto.ts decides what to invalidate.
import { Pipeline } from './flow-table.js';
import { type MacEntry, MacLearningTable, type RemoveReason } from './mac-learning.js';
import type { RstpBridgeSettings, RstpPortSettings } from './rstp/config.js';
import type { BridgeTree } from './spanning.js';
import type { StpBridgeSettings, StpPortSettings } from './stp/config.js';
import { type PortVlan, resolvePortVlan, type VlanMode } from './vlan.js';

/** The bridge's own internal port's OpenFlow number (OFPP_LOCAL). */
export const OFPP_LOCAL = 65534;

/** What the reconciler tells ofproto about one Port. */
export interface PortSettings {
  /** Port row name. */
  name: string;
  /** OpenFlow port number of its interface (OFPP_LOCAL for the bridge's internal port). */
  ofport: number;
  /** Datapath port number (null for patch ports, which have none). */
  dpPort: number | null;
  /** Port.tag. */
  tag: number | null;
  /** Port.trunks (empty = all VLANs). */
  trunks: readonly number[];
  /** Port.vlan_mode (null = OVS's default rule: access if tag set, else trunk). */
  vlanMode: VlanMode | null;
  /** For a patch interface: options:peer (the peer Interface name). */
  patchPeer: string | null;
  /** Spanning-tree settings from other_config stp-* (used when the bridge runs STP). */
  stp?: StpPortSettings | null;
  /** Rapid spanning-tree settings from other_config rstp-* (used when the bridge runs RSTP). */
  rstp?: RstpPortSettings | null;
  /** The interface's MAC (BPDUs leave with it as their source). */
  mac?: string;
}

/** What the reconciler tells ofproto about one Bridge. */
export interface BridgeSettings {
  name: string;
  /** Seconds, other_config:mac-aging-time, default 300. */
  macAgingTime: number;
  /** other_config:mac-table-size, default 2048. */
  macTableSize: number;
  /** other_config:forward-bpdu, default false. */
  forwardBpdu: boolean;
  /** Spanning tree: null (or absent) when stp_enable is false. */
  stp?: StpBridgeSettings | null;
  /** Rapid spanning tree: null (or absent) when rstp_enable is false; it wins over `stp`, as in OVS. */
  rstp?: RstpBridgeSettings | null;
  /** Bridge.fail_mode (absent: standalone). */
  failMode?: 'standalone' | 'secure';
  /** Number of Controller rows of the bridge (absent: 0). */
  controllers?: number;
  /** other_config:datapath-id, when set. */
  datapathId?: bigint | null;
}

/** A port of a bridge with its VLAN configuration resolved. */
export interface BridgePort {
  readonly settings: PortSettings;
  readonly vlan: PortVlan;
}

/** Called when a MAC entry of `bridge` leaves its table. */
export type MacRemoved = (bridge: string, entry: MacEntry, reason: RemoveReason) => void;

/** A copy of port settings that later edits by the caller cannot reach. */
export function copyPortSettings(s: PortSettings): PortSettings {
  return {
    ...s,
    trunks: [...s.trunks],
    stp: s.stp === undefined || s.stp === null ? s.stp : { ...s.stp },
    rstp: s.rstp === undefined || s.rstp === null ? s.rstp : { ...s.rstp },
  };
}

/** Whether two port settings are the same. */
export function samePortSettings(a: PortSettings, b: PortSettings): boolean {
  return (
    a.name === b.name &&
    a.ofport === b.ofport &&
    a.dpPort === b.dpPort &&
    a.tag === b.tag &&
    a.vlanMode === b.vlanMode &&
    a.patchPeer === b.patchPeer &&
    a.mac === b.mac &&
    sameRecord(a.stp, b.stp) &&
    sameRecord(a.rstp, b.rstp) &&
    a.trunks.length === b.trunks.length &&
    a.trunks.every((v, i) => v === b.trunks[i])
  );
}

/** Whether two flat settings records (or their absence) are equal field by field. */
function sameRecord<T extends object>(a: T | null | undefined, b: T | null | undefined): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  const keys = Object.keys(a) as (keyof T)[];
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** One bridge's slow-path state. */
export class OfBridge {
  /** Ports by name, in the order they were added (NORMAL floods in this order). */
  readonly ports = new Map<string, BridgePort>();
  /** Ports by OpenFlow port number. */
  readonly byOfport = new Map<number, BridgePort>();
  /** The MAC learning table. */
  readonly macs: MacLearningTable;
  /** OpenFlow tables and groups (the default NORMAL flow is added by ofproto as OVS's bridge.c does). */
  readonly pipeline = new Pipeline();
  /** The spanning tree, when the bridge runs STP or RSTP. */
  tree: BridgeTree | null = null;
  /** Ports whose link is down (a spanning tree keeps them disabled). */
  readonly linkDown = new Set<string>();
  /** OFPPC_* config bits set by OpenFlow port_mod, by OpenFlow port number. */
  readonly portConfig = new Map<number, number>();
  /** Standalone fail mode with controllers configured and none connected: NORMAL switching. */
  failOpen = false;
  /** fail_mode=secure. */
  failSecure = false;
  /** Whether the Bridge has controllers configured (Controller rows). */
  hasControllers = false;
  /** Whether a controller is connected. */
  connected = false;
  /** Whether fail mode has been configured once. */
  configured = false;

  constructor(
    /** Current settings. */
    public settings: BridgeSettings,
    onMacRemoved: MacRemoved,
    /** Milliseconds, when the bridge was made. */
    readonly created = Date.now(),
  ) {
    this.macs = new MacLearningTable({
      idleTime: settings.macAgingTime,
      maxEntries: settings.macTableSize,
      onRemove: (e, reason) => onMacRemoved(this.name, e, reason),
    });
  }

  /** The bridge name. */
  get name(): string {
    return this.settings.name;
  }

  /** Applies new settings to the MAC table (aging and size). */
  configure(settings: BridgeSettings): void {
    this.settings = settings;
    this.macs.setIdleTime(settings.macAgingTime);
    this.macs.setMaxEntries(settings.macTableSize);
  }

  /** Adds a port, or replaces it keeping its place in the order; returns the new port. */
  putPort(settings: PortSettings): BridgePort {
    const old = this.ports.get(settings.name);
    if (old !== undefined && this.byOfport.get(old.settings.ofport) === old) {
      this.byOfport.delete(old.settings.ofport);
    }
    const port: BridgePort = { settings: copyPortSettings(settings), vlan: resolvePortVlan(settings) };
    this.ports.set(settings.name, port);
    this.byOfport.set(settings.ofport, port);
    return port;
  }

  /** Removes a port from the maps (its MAC entries stay: the caller flushes them). */
  dropPort(name: string): BridgePort | undefined {
    const port = this.ports.get(name);
    if (port === undefined) return undefined;
    this.ports.delete(name);
    if (this.byOfport.get(port.settings.ofport) === port) this.byOfport.delete(port.settings.ofport);
    return port;
  }
}
