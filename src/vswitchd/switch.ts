// The switch's actual state and the idempotent pass that moves it toward the database (OVS's
// bridge_reconfigure): bridges in ofproto, one datapath port per opened netdev, OpenFlow port numbers
// (ofport_request honoured, else the number an earlier run wrote, else the lowest free), and per
// interface the outcome the status writer reports — its ofport, or -1 and the error text.
import type { Datapath } from '../datapath/datapath.js';
import type { UpcallHandler } from '../datapath/upcall.js';
import { DummyNetdev } from '../netdev/dummy.js';
import { tryIfInfo } from '../netdev/linux.js';
import type { Netdev } from '../netdev/netdev.js';
import { NetdevError } from '../netdev/netdev.js';
import { samePortSettings } from '../ofproto/bridge.js';
import { isReservedMac, parseMac } from '../ofproto/eth-addr.js';
import { type BridgeSettings, OFPP_LOCAL, type Ofproto, type PortSettings } from '../ofproto/ofproto.js';
import { rstpBridgeSettings, sameRstpBridgeSettings } from '../ofproto/rstp/config.js';
import type { BridgeTree } from '../ofproto/spanning.js';
import { type StpBridgeSettings, stpBridgeSettings } from '../ofproto/stp/config.js';
import {
  type DesiredBridge,
  type DesiredConfig,
  type DesiredIface,
  MAX_REQUESTABLE_OFPORT,
} from './config.js';
import type { Coverage } from './coverage.js';
import type { NetdevOpener } from './netdevs.js';
import type { ModuleLog } from './vlog.js';

/** What the reconciler needs of ofproto (src/ofproto/ofproto.ts's Ofproto has it all). */
export interface OfprotoApi extends UpcallHandler {
  setBridge(settings: BridgeSettings): void;
  removeBridge(name: string): void;
  setPort(bridge: string, port: PortSettings): void;
  removePort(bridge: string, portName: string): void;
  fdbShow(bridge: string, now: number): string;
  fdbFlush(bridge: string | null): void;
  run(now: number): void;
  /** A port's link went up or down. */
  setLink?(portName: string, up: boolean): void;
  /** `stp/show [BR]` text (throws for a bridge without STP). */
  stpShow?(bridge: string | null): string;
  /** `stp/tcn [BR]`. */
  stpTcn?(bridge: string | null): void;
  /** `rstp/show [BR]` text (throws for a bridge without RSTP). */
  rstpShow?(bridge: string | null): string;
  /** `rstp/tcn [BR]`. */
  rstpTcn?(bridge: string | null): void;
  /** The bridge's spanning tree (STP or RSTP), for status reporting. */
  treeOf?(bridge: string): BridgeTree | null;
  /** ofproto/trace and its helpers (src/vswitchd/trace.ts). */
  trace?: Ofproto['trace'];
  dpPortOf?: Ofproto['dpPortOf'];
  portsOf?: Ofproto['portsOf'];
  bridgeNames?: Ofproto['bridgeNames'];
  /** Rules in the bridge's OpenFlow tables (memory/show). */
  ruleCount?(bridge: string): number;
}

/** One interface as the switch has it. */
export interface Iface {
  readonly name: string;
  readonly bridge: string;
  /** Interface row UUID (null for a local port without a row). */
  uuid: string | null;
  /** Normalised type ('system' for ''). */
  readonly type: string;
  readonly options: ReadonlyMap<string, string>;
  readonly local: boolean;
  netdev: Netdev | null;
  dpPort: number | null;
  /** OpenFlow port number; -1 when the interface failed. */
  ofport: number;
  /** Interface.error text, null when working. */
  error: string | null;
  /** Whether a later attempt may succeed without a configuration change (e.g. the device may appear). */
  retryable: boolean;
  /** What ofproto was last told (null when not in ofproto). */
  settings: PortSettings | null;
  /** For patch ports, a stable MAC (OVS gives patch ports a random one). */
  readonly patchMac: string | null;
  /** Carrier changes seen (Interface.link_resets). */
  linkResets: number;
  lastCarrier: boolean | null;
  /** The link as ofproto last heard of it (admin up and carrier); a new interface starts up. */
  linkUp: boolean;
  /** Whether its statistics have been written once (a new interface gets them at once, then on the timer). */
  statsWritten: boolean;
  /** The configuration it was last opened or updated with. */
  desired: DesiredIface;
}

/** One bridge as the switch has it. */
export interface Bridge {
  readonly name: string;
  uuid: string;
  settings: BridgeSettings;
  datapathType: string;
  /** Interfaces by name, in the order they were added. */
  readonly ifaces: Map<string, Iface>;
  /** other_config:hwaddr and other_config:datapath-id, when usable. */
  hwaddr: string | null;
  dpidOption: string | null;
  /** The bridge's Ethernet address and datapath ID (16 hex digits), as OVS picks them. */
  mac: string;
  dpid: string;
}

/** The datapath, ofproto and the bridges over them. */
export class SwitchState {
  private readonly bridgesByName = new Map<string, Bridge>();

  constructor(
    readonly datapath: Datapath,
    readonly ofproto: OfprotoApi,
    private readonly open: NetdevOpener,
    private readonly log: ModuleLog,
    private readonly coverage: Coverage,
  ) {}

  /** Bridges sorted by name. */
  bridges(): Bridge[] {
    return [...this.bridgesByName.values()].sort((a, b) => compare(a.name, b.name));
  }

  /** One bridge. */
  bridge(name: string): Bridge | undefined {
    return this.bridgesByName.get(name);
  }

  /** The interface named `name` in any bridge. */
  iface(name: string): Iface | undefined {
    for (const b of this.bridgesByName.values()) {
      const i = b.ifaces.get(name);
      if (i !== undefined) return i;
    }
    return undefined;
  }

  /** Every interface of every bridge. */
  allIfaces(): Iface[] {
    return this.bridges().flatMap((b) => [...b.ifaces.values()]);
  }

  /** One reconfiguration pass: afterwards the switch has exactly the bridges and ports `config` names. */
  apply(config: DesiredConfig): void {
    this.coverage.add('bridge_reconfigure');
    const wanted = new Map(config.bridges.map((b) => [b.name, b]));
    for (const br of this.bridges()) {
      const d = wanted.get(br.name);
      if (d === undefined) this.removeBridge(br);
      else this.removeStale(br, d);
    }
    for (const d of config.bridges) this.configureBridge(d);
  }

  /**
   * Tries again to open interfaces that failed for a reason that may pass (a device that was missing may
   * have appeared), and reopens system interfaces whose device was deleted (so they report the error, as
   * OVS does); true when one changed.
   */
  retryFailed(): boolean {
    let changed = false;
    for (const br of this.bridgesByName.values()) {
      for (const iface of [...br.ifaces.values()]) {
        const gone = iface.error === null && iface.netdev?.type === 'system' && deviceGone(iface.netdev);
        if (!gone && (iface.error === null || !iface.retryable)) continue;
        const before = iface.error;
        const again = this.reopen(br, iface, iface.desired);
        if (again.error !== before) {
          changed = true;
          this.pickIdentity(br);
        }
      }
    }
    return changed;
  }

  /** Tells ofproto of links that went down or up (admin state and carrier); `name` checks one interface.
   * Returns whether any changed. */
  checkLinks(name?: string): boolean {
    let changed = false;
    for (const br of this.bridgesByName.values()) {
      for (const iface of br.ifaces.values()) {
        if (name !== undefined && iface.name !== name) continue;
        const n = iface.error === null ? iface.netdev : null;
        const up = n === null || (n.adminUp() && n.carrier());
        if (up === iface.linkUp) continue;
        iface.linkUp = up;
        changed = true;
        this.log.info(`${iface.name}: link state changed to ${up ? 'up' : 'down'}`);
        this.ofproto.setLink?.(iface.name, up);
      }
    }
    return changed;
  }

  /** Removes every bridge (closing every netdev, which deletes the TAPs this process made). */
  close(): void {
    for (const br of this.bridges()) this.removeBridge(br);
    this.datapath.close();
  }

  private configureBridge(d: DesiredBridge): void {
    let br = this.bridgesByName.get(d.name);
    if (br === undefined) {
      br = {
        name: d.name,
        uuid: d.uuid,
        settings: d.settings,
        datapathType: d.datapathType,
        ifaces: new Map(),
        hwaddr: d.hwaddr,
        dpidOption: d.datapathId,
        mac: '',
        dpid: '',
      };
      this.bridgesByName.set(d.name, br);
      this.ofproto.setBridge(d.settings);
      this.log.info(`bridge ${d.name}: added`);
    } else {
      this.applyBridgeSettings(br, d);
    }
    br.uuid = d.uuid;
    br.datapathType = d.datapathType;
    br.hwaddr = d.hwaddr;
    br.dpidOption = d.datapathId;
    for (const w of addOrder(d.ifaces)) {
      const have = br.ifaces.get(w.name);
      if (have === undefined) this.addIface(br, w, null);
      else if (have.error !== null) this.reopen(br, have, w);
      else this.updateIface(br, have, w);
    }
    this.pickIdentity(br);
    // The spanning tree's bridge id is made from the bridge's MAC, known only now.
    this.applyBridgeSettings(br, d);
  }

  /** Hands ofproto the bridge's settings with its spanning tree's, when they changed; logs their problems. */
  private applyBridgeSettings(br: Bridge, d: DesiredBridge): void {
    const settings = withStp(d, br.mac);
    if (sameBridgeSettings(br.settings, settings)) return;
    const tree = (s: BridgeSettings) => (s.rstp ? 'rstp' : s.stp ? 'stp' : 'none');
    if (tree(br.settings) !== tree(settings) && d.stpEnable && d.rstpEnable) {
      this.log.warn(`${d.name}: RSTP and STP are mutually exclusive but both are configured; enabling RSTP`);
    }
    for (const w of settings.rstp?.warnings ?? settings.stp?.warnings ?? []) this.log.warn(w);
    this.ofproto.setBridge(settings);
    br.settings = settings;
  }

  /** Removes interfaces that are gone or must be reopened (type or relevant options changed). */
  private removeStale(br: Bridge, d: DesiredBridge): void {
    const want = new Map(d.ifaces.map((i) => [i.name, i]));
    for (const iface of [...br.ifaces.values()]) {
      const w = want.get(iface.name);
      if (w === undefined || mustReopen(iface, w, d.datapathType !== br.datapathType)) {
        this.removeIface(br, iface);
      }
    }
  }

  /** Opens one interface and adds it; `prevError` (the error of a failed earlier attempt) is not logged again. */
  private addIface(br: Bridge, w: DesiredIface, prevError: string | null): Iface {
    const iface: Iface = {
      name: w.name,
      bridge: br.name,
      uuid: w.uuid,
      type: w.local ? 'internal' : normalType(w.type),
      options: w.options,
      local: w.local,
      netdev: null,
      dpPort: null,
      ofport: -1,
      error: null,
      retryable: false,
      settings: null,
      patchMac: normalType(w.type) === 'patch' ? patchMac(w.name) : null,
      linkResets: 0,
      lastCarrier: null,
      linkUp: true,
      statsWritten: false,
      desired: w,
    };
    br.ifaces.set(w.name, iface);
    if (w.configError !== null) return this.fail(iface, w.configError, false, prevError);
    if (iface.type === 'patch') return this.addPatch(br, iface, w, prevError);
    try {
      iface.netdev = this.open(iface.type, iface.name, iface.options, br.datapathType);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const code = err instanceof NetdevError ? err.code : '';
      return this.fail(iface, message, code !== 'EAFNOSUPPORT', prevError);
    }
    iface.dpPort = this.datapath.addPort(iface.netdev).number;
    this.coverage.add('dpif_port_add');
    iface.ofport = w.local ? OFPP_LOCAL : this.allocateOfport(br, w);
    this.pushSettings(br, iface, w);
    this.log.info(`bridge ${br.name}: added interface ${iface.name} on port ${iface.ofport}`);
    return iface;
  }

  private addPatch(br: Bridge, iface: Iface, w: DesiredIface, prevError: string | null): Iface {
    const peer = w.options.get('peer');
    if (peer === undefined || peer === '') {
      const error = `${iface.name}: patch type requires valid 'peer' argument`;
      return this.fail(iface, error, false, prevError);
    }
    if (peer === iface.name)
      return this.fail(iface, `${iface.name}: patch peer must not be self`, false, prevError);
    iface.ofport = this.allocateOfport(br, w);
    this.pushSettings(br, iface, w);
    this.log.info(`bridge ${br.name}: added interface ${iface.name} on port ${iface.ofport}`);
    return iface;
  }

  /** Closes and opens a failed interface again; returns the new state. */
  private reopen(br: Bridge, iface: Iface, w: DesiredIface): Iface {
    this.removeIface(br, iface, true);
    return this.addIface(br, w, iface.error);
  }

  private updateIface(br: Bridge, iface: Iface, w: DesiredIface): void {
    iface.uuid = w.uuid;
    iface.desired = w;
    const req = w.ofportRequest;
    if (
      !iface.local &&
      req !== null &&
      req !== iface.ofport &&
      validOfport(req) &&
      !this.ofportUsed(br, req)
    ) {
      this.log.info(`bridge ${br.name}: moving interface ${iface.name} from port ${iface.ofport} to ${req}`);
      iface.ofport = req;
    }
    this.pushSettings(br, iface, w);
  }

  private pushSettings(br: Bridge, iface: Iface, w: DesiredIface): void {
    const settings: PortSettings = {
      name: iface.name,
      ofport: iface.ofport,
      dpPort: iface.dpPort,
      tag: w.tag,
      trunks: w.trunks,
      vlanMode: w.vlanMode,
      patchPeer: iface.type === 'patch' ? (w.options.get('peer') ?? null) : null,
      stp: w.stp,
      rstp: w.rstp,
      mac: iface.netdev?.mac() ?? iface.patchMac ?? undefined,
    };
    if (iface.settings !== null && samePortSettings(iface.settings, settings)) return;
    this.ofproto.setPort(br.name, settings);
    iface.settings = settings;
    this.coverage.add('ofproto_update_port');
  }

  private fail(iface: Iface, error: string, retryable: boolean, prevError: string | null): Iface {
    iface.ofport = -1;
    iface.error = error;
    iface.retryable = retryable;
    if (error !== prevError) this.log.warn(error.includes(iface.name) ? error : `${iface.name}: ${error}`);
    return iface;
  }

  private removeIface(br: Bridge, iface: Iface, quiet = false): void {
    if (iface.settings !== null) this.ofproto.removePort(br.name, iface.name);
    if (iface.dpPort !== null) {
      this.datapath.removePort(iface.dpPort);
      this.coverage.add('dpif_port_del');
    }
    iface.netdev?.stop();
    iface.netdev?.close();
    br.ifaces.delete(iface.name);
    if (!quiet && iface.error === null)
      this.log.info(`bridge ${br.name}: deleted interface ${iface.name} on port ${iface.ofport}`);
  }

  private removeBridge(br: Bridge): void {
    for (const iface of [...br.ifaces.values()].reverse()) this.removeIface(br, iface);
    this.ofproto.removeBridge(br.name);
    this.bridgesByName.delete(br.name);
    this.log.info(`bridge ${br.name}: deleted`);
  }

  /** ofport_request when valid and free, else the previous run's number when free, else the lowest free. */
  private allocateOfport(br: Bridge, w: DesiredIface): number {
    for (const n of [w.ofportRequest, w.previousOfport]) {
      if (n !== null && validOfport(n) && !this.ofportUsed(br, n)) return n;
    }
    let n = 1;
    while (this.ofportUsed(br, n)) n++;
    return n;
  }

  private ofportUsed(br: Bridge, n: number): boolean {
    for (const i of br.ifaces.values()) if (i.ofport === n) return true;
    return false;
  }

  /** The bridge's MAC and datapath ID (OVS's bridge_pick_local_hw_addr and bridge_pick_datapath_id). */
  private pickIdentity(br: Bridge): void {
    const mac = br.hwaddr ?? lowestUniversalMac(br) ?? macFromUuid(br.uuid);
    br.mac = mac;
    // The bridge's own port carries the bridge's MAC, as in OVS (also after it was reopened).
    const local = br.ifaces.get(br.name)?.netdev;
    if (local !== undefined && local !== null && local.mac() !== mac) local.setMac?.(mac);
    const dpid = br.dpidOption ?? `0000${mac.replaceAll(':', '')}`;
    if (dpid !== br.dpid) this.log.info(`bridge ${br.name}: using datapath ID ${dpid}`);
    br.dpid = dpid;
  }
}

/** The order OVS adds ports in: the local port, then those with ofport_request, then the rest. */
function addOrder(ifaces: readonly DesiredIface[]): DesiredIface[] {
  const rank = (i: DesiredIface) =>
    i.local ? 0 : i.ofportRequest !== null ? 1 : i.previousOfport !== null ? 2 : 3;
  return [...ifaces].sort((a, b) => rank(a) - rank(b) || compare(a.name, b.name));
}

/** Types whose options do not change how the device is opened (the rest are reopened on a change). */
const OPTIONS_INSENSITIVE = new Set(['system', 'internal', 'dummy', 'dummy-internal']);

/** True when a system netdev's device was deleted (or replaced by a new one of the same name). */
function deviceGone(netdev: Netdev): boolean {
  if (netdev instanceof DummyNetdev) return false;
  const info = tryIfInfo(netdev.name);
  return info === undefined || info.ifindex !== netdev.ifindex();
}

/** Whether an interface must be closed and opened again to match `w`. */
function mustReopen(iface: Iface, w: DesiredIface, datapathTypeChanged: boolean): boolean {
  const type = w.local ? 'internal' : normalType(w.type);
  if (type !== iface.type) return true;
  if (w.configError !== null && iface.error !== w.configError) return true;
  if (type === 'internal' && datapathTypeChanged) return true;
  return !OPTIONS_INSENSITIVE.has(type) && !sameMap(iface.options, w.options);
}

function normalType(type: string): string {
  return type === '' ? 'system' : type;
}

function validOfport(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_REQUESTABLE_OFPORT;
}

function sameBridgeSettings(a: BridgeSettings, b: BridgeSettings): boolean {
  return (
    a.name === b.name &&
    a.macAgingTime === b.macAgingTime &&
    a.macTableSize === b.macTableSize &&
    a.forwardBpdu === b.forwardBpdu &&
    (a.failMode ?? 'standalone') === (b.failMode ?? 'standalone') &&
    (a.controllers ?? 0) === (b.controllers ?? 0) &&
    sameOrNull(a.stp ?? null, b.stp ?? null, sameStpBridge) &&
    sameOrNull(a.rstp ?? null, b.rstp ?? null, sameRstpBridgeSettings)
  );
}

function sameOrNull<T>(a: T | null, b: T | null, same: (x: T, y: T) => boolean): boolean {
  return a === null || b === null ? a === b : same(a, b);
}

function sameStpBridge(a: StpBridgeSettings, b: StpBridgeSettings): boolean {
  return (
    a.bridgeId === b.bridgeId &&
    a.helloTime === b.helloTime &&
    a.maxAge === b.maxAge &&
    a.forwardDelay === b.forwardDelay
  );
}

/** The bridge's settings with its spanning tree's (STP on stp_enable, RSTP on rstp_enable, which wins as
 * in OVS), given the bridge's MAC. */
function withStp(d: DesiredBridge, mac: string): BridgeSettings {
  const id = mac === '' ? 0n : BigInt(`0x${mac.replaceAll(':', '')}`);
  return {
    ...d.settings,
    stp: d.stpEnable && !d.rstpEnable ? stpBridgeSettings(d.name, d.otherConfig, id) : null,
    rstp: d.rstpEnable ? rstpBridgeSettings(d.name, d.otherConfig, id) : null,
  };
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** The smallest unicast, universally administered, non-reserved MAC among the bridge's other ports. */
function lowestUniversalMac(br: Bridge): string | null {
  let best: number | null = null;
  for (const iface of br.ifaces.values()) {
    if (iface.local || iface.netdev === null) continue;
    let mac: number;
    try {
      mac = parseMac(iface.netdev.mac());
    } catch {
      continue;
    }
    const first = Math.floor(mac / 0x100_0000_0000);
    if (mac === 0 || first & 1 || first & 2 || isReservedMac(mac)) continue;
    if (best === null || mac < best) best = mac;
  }
  return best === null ? null : formatMacNumber(best);
}

/** OVS's default bridge MAC: the first six bytes of the row UUID as the host stores it, marked local. */
export function macFromUuid(uuid: string): string {
  const hex = uuid.replaceAll('-', '');
  const word = (i: number) => hex.slice(i * 8, i * 8 + 8).match(/../g) ?? [];
  const bytes = [...word(0).reverse(), ...word(1).reverse()].slice(0, 6).map((b) => Number.parseInt(b, 16));
  bytes[0] = (bytes[0] & 0xfe) | 0x02;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A stable locally administered MAC for a patch port. */
function patchMac(name: string): string {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  const b = [0x02 | ((h >>> 24) & 0xfc), (h >>> 16) & 255, (h >>> 8) & 255, h & 255, 0x50, 0x7c];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function formatMacNumber(mac: number): string {
  return mac
    .toString(16)
    .padStart(12, '0')
    .replace(/(..)(?!$)/g, '$1:');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
