// What vswitchd writes back to the database, as ovs-vswitchd does: per Interface its ofport, error,
// admin/link state, MAC, MTU, ifindex, link_resets and (on the statistics timer) statistics; per Bridge
// its datapath_id and datapath_version; on the Open_vSwitch row cur_cfg, datapath_types and iface_types.
// Only values that differ from the replica are written, so a pass that changes nothing sends nothing.

import { stpBridgeStatus, stpPortStatistics, stpPortStatus } from '../ofproto/stp/status.js';
import type { Transaction } from '../ovsdb/client/txn.js';
import { type DatumInput, toDatum } from '../ovsdb/client/txn.js';
import type { Atom } from '../ovsdb/types.js';
import type { Iface, SwitchState } from './switch.js';

/** The netdev datapath's version string, as OVS reports it for datapath_type=netdev. */
export const DATAPATH_VERSION = '<built-in>';

/** What one status write covers. */
export interface StatusRequest {
  /** Also write Interface.statistics. */
  readonly stats: boolean;
  /** Write cur_cfg = next_cfg (the configuration in the replica is what the switch now runs). */
  readonly curCfg: boolean;
  readonly datapathTypes: readonly string[];
  readonly ifaceTypes: readonly string[];
}

/** Adds to `txn` every status column whose value differs from the replica's; returns how many. */
export function writeStatus(txn: Transaction, sw: SwitchState, req: StatusRequest): number {
  const w = new ColumnWriter(txn);
  for (const br of sw.bridges()) {
    w.set('Bridge', br.uuid, 'datapath_id', br.dpid);
    w.set('Bridge', br.uuid, 'datapath_version', DATAPATH_VERSION);
    const tree = sw.ofproto.treeOf?.(br.name) ?? null;
    const stp = tree?.kind === 'stp' ? tree : null;
    const rstp = tree?.kind === 'rstp' ? tree : null;
    w.set('Bridge', br.uuid, 'status', stringMap(stp === null ? {} : stpBridgeStatus(stp.stp)));
    w.set('Bridge', br.uuid, 'rstp_status', stringMap(rstp === null ? {} : rstp.rstp.bridgeStatus()));
    for (const iface of br.ifaces.values()) {
      if (iface.uuid === null) continue;
      const stats = req.stats || !iface.statsWritten;
      iface.statsWritten = true;
      for (const [column, value] of ifaceStatus(iface, stats)) w.set('Interface', iface.uuid, column, value);
      const portUuid = iface.desired.portUuid;
      if (portUuid === null) continue;
      const treePort = tree?.portNumber(iface.name);
      const stpPort = stp === null ? undefined : treePort;
      const rstpPort = rstp === null ? undefined : treePort;
      // Port.status changes with every second in a state: it goes with the statistics timer, as do the
      // counters; RSTP's role and state are written as soon as they change.
      if (stats || stpPort === undefined) {
        w.set('Port', portUuid, 'status', stringMap(stp && stpPort ? stpPortStatus(stp.stp, stpPort) : {}));
        w.set(
          'Port',
          portUuid,
          'statistics',
          numberMap(stp && stpPort ? stpPortStatistics(stp.stp, stpPort) : {}),
        );
      }
      w.set(
        'Port',
        portUuid,
        'rstp_status',
        stringMap(rstp && rstpPort ? rstp.rstp.portStatus(rstpPort) : {}),
      );
      if (stats || rstpPort === undefined) {
        const counters = rstp && rstpPort ? rstp.rstp.portStatistics(rstpPort) : {};
        w.set('Port', portUuid, 'rstp_statistics', numberMap(counters));
      }
    }
  }
  const ovs = [...txn.replica.rows('Open_vSwitch').values()].sort((a, b) => (a.uuid < b.uuid ? -1 : 1))[0];
  if (ovs !== undefined) {
    w.set('Open_vSwitch', ovs.uuid, 'datapath_types', [...req.datapathTypes]);
    w.set('Open_vSwitch', ovs.uuid, 'iface_types', [...req.ifaceTypes]);
    const next = ovs.number('next_cfg') ?? 0;
    if (req.curCfg && (ovs.number('cur_cfg') ?? 0) !== next) {
      txn.row('Open_vSwitch', ovs.uuid)?.verify('next_cfg');
      w.set('Open_vSwitch', ovs.uuid, 'cur_cfg', next);
    }
  }
  return w.count;
}

function stringMap(r: Record<string, string>): Map<Atom, Atom> {
  return new Map<Atom, Atom>(Object.entries(r));
}

function numberMap(r: Record<string, number>): Map<Atom, Atom> {
  return new Map<Atom, Atom>(Object.entries(r));
}

/** The status columns of one interface (also counts its carrier changes into link_resets). */
export function ifaceStatus(iface: Iface, withStats: boolean): [string, DatumInput][] {
  const out: [string, DatumInput][] = [['ofport', iface.ofport]];
  if (iface.error !== null) {
    out.push(['error', iface.error]);
    for (const c of ['admin_state', 'link_state', 'link_resets', 'mac_in_use', 'mtu', 'ifindex'])
      out.push([c, []]);
    out.push(['status', new Map<Atom, Atom>()]);
    if (withStats) out.push(['statistics', new Map<Atom, Atom>()]);
    return out;
  }
  out.push(['error', []]);
  if (iface.netdev === null) {
    // A patch port: no device, always up (as OVS reports it).
    out.push(['admin_state', 'up'], ['link_state', 'up'], ['link_resets', 0]);
    out.push(['mac_in_use', iface.patchMac ?? []], ['mtu', []], ['ifindex', 0]);
    return out;
  }
  const n = iface.netdev;
  const carrier = n.carrier();
  if (iface.lastCarrier !== null && iface.lastCarrier !== carrier) iface.linkResets++;
  iface.lastCarrier = carrier;
  out.push(['admin_state', n.adminUp() ? 'up' : 'down'], ['link_state', carrier ? 'up' : 'down']);
  out.push(['link_resets', iface.linkResets], ['mac_in_use', n.mac()], ['mtu', n.mtu() || []]);
  out.push(['ifindex', n.ifindex()]);
  out.push(['status', new Map<Atom, Atom>(Object.entries(n.status?.() ?? {}))]);
  if (withStats) out.push(['statistics', new Map<Atom, Atom>(Object.entries(n.stats()))]);
  return out;
}

/** Writes columns that differ from the replica's values (reads nothing through the transaction). */
export class ColumnWriter {
  count = 0;

  constructor(private readonly txn: Transaction) {}

  set(table: string, uuid: string, column: string, value: DatumInput): void {
    const base = this.txn.replica.row(table, uuid);
    if (base === undefined || !base.data.has(column)) return;
    const datum = toDatum(base.columnType(column), value);
    if (base.get(column).equals(datum)) return;
    this.txn.row(table, uuid)?.set(column, datum);
    this.count++;
  }
}
