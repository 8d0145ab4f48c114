// The switch's desired state, read from a replica of the Open_vSwitch database: the bridges referenced
// by the Open_vSwitch row, their ports and interfaces, and what each row asks for (type, options,
// ofport_request, VLAN settings, other_config knobs). Pure functions over rows, so they are tested
// without a server; the reconciler (switch.ts) moves the datapath toward what this returns.

import type { BridgeSettings, VlanMode } from '../ofproto/ofproto.js';
import { type RstpPortSettings, rstpPortSettings } from '../ofproto/rstp/config.js';
import { type StpPortSettings, stpPortSettings } from '../ofproto/stp/config.js';
import type { Replica, ReplicaRow, TableSelection } from '../ovsdb/client/replica.js';
import { primaryControllerCount } from './controllers.js';

/** The tables and columns vswitchd replicates. */
export const SELECTION: TableSelection = {
  Open_vSwitch: ['bridges', 'next_cfg', 'cur_cfg', 'other_config', 'datapath_types', 'iface_types'],
  Bridge: [
    'name',
    'ports',
    'other_config',
    'datapath_type',
    'datapath_id',
    'datapath_version',
    'stp_enable',
    'rstp_enable',
    'status',
    'rstp_status',
    'controller',
    'fail_mode',
    'protocols',
  ],
  Controller: [
    'target',
    'type',
    'max_backoff',
    'inactivity_probe',
    'enable_async_messages',
    'is_connected',
    'role',
    'status',
  ],
  Port: [
    'name',
    'interfaces',
    'tag',
    'trunks',
    'vlan_mode',
    'other_config',
    'status',
    'statistics',
    'rstp_status',
    'rstp_statistics',
  ],
  Interface: [
    'name',
    'type',
    'options',
    'ofport_request',
    'ofport',
    'error',
    'admin_state',
    'link_state',
    'link_resets',
    'mac_in_use',
    'mtu',
    'ifindex',
    'statistics',
    'status',
  ],
};

/** Columns vswitchd writes: a change to only these is its own status coming back, not new configuration. */
export const STATUS_COLUMNS: Readonly<Record<string, ReadonlySet<string>>> = {
  Open_vSwitch: new Set(['cur_cfg', 'datapath_types', 'iface_types']),
  Bridge: new Set(['datapath_id', 'datapath_version', 'status', 'rstp_status']),
  Port: new Set(['status', 'statistics', 'rstp_status', 'rstp_statistics']),
  Controller: new Set(['is_connected', 'role', 'status']),
  Interface: new Set([
    'ofport',
    'error',
    'admin_state',
    'link_state',
    'link_resets',
    'mac_in_use',
    'mtu',
    'ifindex',
    'statistics',
    'status',
  ]),
};

/** OpenFlow port numbers an ofport_request may name (1 to OFPP_MAX - 1, as OVS accepts). */
export const MAX_REQUESTABLE_OFPORT = 65279;

/** Default MAC aging (s) and table size, as Open vSwitch's. */
export const DEFAULT_MAC_AGING_TIME = 300;
export const DEFAULT_MAC_TABLE_SIZE = 2048;

/** What one Interface row asks for. */
export interface DesiredIface {
  /** Interface row UUID (null for a bridge's local port that has no row). */
  readonly uuid: string | null;
  readonly name: string;
  readonly bridge: string;
  /** The Port row's name. */
  readonly port: string;
  /** Interface type ('' means system). */
  readonly type: string;
  readonly options: ReadonlyMap<string, string>;
  /** ofport_request, when set. */
  readonly ofportRequest: number | null;
  /** The ofport the database holds from an earlier run (preferred on restart, as OVS does). */
  readonly previousOfport: number | null;
  /** VLAN settings of its Port. */
  readonly tag: number | null;
  readonly trunks: readonly number[];
  readonly vlanMode: VlanMode | null;
  /** True for the bridge's own internal port (named like the bridge). */
  readonly local: boolean;
  /** The Port row's UUID (null for a local port without a row). */
  readonly portUuid: string | null;
  /** Spanning-tree settings from the Port's other_config stp-* keys. */
  readonly stp: StpPortSettings;
  /** Rapid spanning-tree settings from the Port's other_config rstp-* keys. */
  readonly rstp: RstpPortSettings;
  /** Set when the configuration itself rules the interface out (e.g. a second interface of a port). */
  readonly configError: string | null;
}

/** What one Bridge row asks for. */
export interface DesiredBridge {
  readonly uuid: string;
  readonly name: string;
  readonly settings: BridgeSettings;
  /** Bridge.datapath_type ('' for the default). */
  readonly datapathType: string;
  /** other_config:hwaddr, when it is a usable MAC. */
  readonly hwaddr: string | null;
  /** other_config:datapath-id, when it is 16 hex digits. */
  readonly datapathId: string | null;
  /** Bridge.stp_enable. */
  readonly stpEnable: boolean;
  /** Bridge.rstp_enable (wins over stp_enable, as in OVS). */
  readonly rstpEnable: boolean;
  /** Bridge.other_config (the stp-* keys are read once the bridge's MAC is known). */
  readonly otherConfig: Readonly<Record<string, string>>;
  /** Its interfaces, the local one first. */
  readonly ifaces: readonly DesiredIface[];
}

/** The whole desired state. */
export interface DesiredConfig {
  /** The Open_vSwitch row's UUID (null when the database has none yet). */
  readonly ovsUuid: string | null;
  readonly bridges: readonly DesiredBridge[];
  /** Open_vSwitch other_config:stats-update-interval (ms), when set. */
  readonly statsInterval: number | null;
}

/** Reads the desired state from the replica (rows not reachable from the Open_vSwitch row are ignored). */
export function readConfig(replica: Replica): DesiredConfig {
  const ovs = firstRow(replica, 'Open_vSwitch');
  if (ovs === undefined) return { ovsUuid: null, bridges: [], statsInterval: null };
  const bridgeRows = refRows(replica, 'Bridge', ovs.elements('bridges'));
  bridgeRows.sort((a, b) => compare(a.string('name'), b.string('name')));
  const seenBridges = new Set<string>();
  const claimed = new Set<string>(bridgeRows.map((b) => b.string('name')));
  const bridges: DesiredBridge[] = [];
  for (const row of bridgeRows) {
    const name = row.string('name');
    if (seenBridges.has(name)) continue;
    seenBridges.add(name);
    bridges.push(readBridge(replica, row, claimed));
  }
  const interval = intOption(ovs.map('other_config').get('stats-update-interval'));
  return { ovsUuid: ovs.uuid, bridges, statsInterval: interval };
}

/** The Open_vSwitch row (the one with the smallest UUID when there are several, for stability). */
export function firstRow(replica: Replica, table: string): ReplicaRow | undefined {
  const rows = [...replica.rows(table).values()];
  rows.sort((a, b) => compare(a.uuid, b.uuid));
  return rows[0];
}

function readBridge(replica: Replica, row: ReplicaRow, claimed: Set<string>): DesiredBridge {
  const name = row.string('name');
  const oc = row.map('other_config');
  const ports = refRows(replica, 'Port', row.elements('ports'));
  ports.sort((a, b) => compare(a.string('name'), b.string('name')));
  const ifaces: DesiredIface[] = [];
  let local: DesiredIface | null = null;
  for (const port of ports) {
    const rows = refRows(replica, 'Interface', port.elements('interfaces'));
    rows.sort((a, b) => compare(a.string('name'), b.string('name')));
    for (const [i, iface] of rows.entries()) {
      const ifname = iface.string('name');
      const isLocal = ifname === name && local === null;
      let configError: string | null = null;
      if (i > 0)
        configError = `${ifname}: port ${port.string('name')} has several interfaces (bonds are not supported)`;
      else if (!isLocal && claimed.has(ifname))
        configError = `${ifname}: a network device of that name is already in use`;
      const d = desiredIface(iface, port, name, isLocal, configError);
      if (isLocal) local = d;
      else ifaces.push(d);
      if (configError === null) claimed.add(ifname);
    }
  }
  return {
    uuid: row.uuid,
    name,
    settings: {
      ...bridgeSettings(name, oc),
      failMode: row.string('fail_mode') === 'secure' ? 'secure' : 'standalone',
      controllers: primaryControllerCount(replica, row),
    },
    datapathType: row.string('datapath_type'),
    hwaddr: usableMac(oc.get('hwaddr')),
    datapathId: dpidOption(oc.get('datapath-id')),
    stpEnable: row.boolean('stp_enable'),
    rstpEnable: row.boolean('rstp_enable'),
    otherConfig: stringRecord(oc),
    ifaces: [local ?? localIface(name), ...ifaces],
  };
}

function desiredIface(
  iface: ReplicaRow,
  port: ReplicaRow,
  bridge: string,
  local: boolean,
  configError: string | null,
): DesiredIface {
  const options = new Map<string, string>();
  for (const [k, v] of iface.map('options')) options.set(String(k), String(v));
  const previous = iface.number('ofport');
  const portConfig = stringRecord(port.map('other_config'));
  return {
    uuid: iface.uuid,
    name: iface.string('name'),
    bridge,
    port: port.string('name'),
    type: local ? 'internal' : iface.string('type'),
    options,
    ofportRequest: iface.number('ofport_request') ?? null,
    previousOfport: previous !== undefined && previous > 0 ? previous : null,
    tag: port.number('tag') ?? null,
    trunks: port.elements('trunks').map(Number),
    vlanMode: (port.string('vlan_mode') || null) as VlanMode | null,
    local,
    portUuid: port.uuid,
    stp: stpPortSettings(portConfig),
    rstp: rstpPortSettings(portConfig),
    configError,
  };
}

/** The local port of a bridge whose database has no Interface row for it. */
function localIface(bridge: string): DesiredIface {
  return {
    uuid: null,
    name: bridge,
    bridge,
    port: bridge,
    type: 'internal',
    options: new Map(),
    ofportRequest: null,
    previousOfport: null,
    tag: null,
    trunks: [],
    vlanMode: null,
    local: true,
    portUuid: null,
    stp: stpPortSettings({}),
    rstp: rstpPortSettings({}),
    configError: null,
  };
}

/** BridgeSettings from other_config (mac-aging-time, mac-table-size, forward-bpdu), OVS's defaults. */
export function bridgeSettings(name: string, oc: ReadonlyMap<unknown, unknown>): BridgeSettings {
  const aging = intOption(oc.get('mac-aging-time'));
  const size = intOption(oc.get('mac-table-size'));
  return {
    name,
    macAgingTime: aging === null || aging === 0 ? DEFAULT_MAC_AGING_TIME : aging,
    macTableSize: size === null || size === 0 ? DEFAULT_MAC_TABLE_SIZE : size,
    forwardBpdu: oc.get('forward-bpdu') === 'true',
  };
}

/** An integer-valued option (as OVS's smap_get_int: the leading integer, else null). */
export function intOption(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const m = /^\s*[-+]?\d+/.exec(v);
  return m === null ? null : Number.parseInt(m[0], 10);
}

/** other_config:datapath-id as OVS accepts it (16 hex digits, or 0x and up to 16), as 16 lower-case hex
 * digits; null when absent, malformed or zero. */
export function dpidOption(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  let hex: string;
  if (/^[0-9a-fA-F]{16}$/.test(v)) hex = v;
  else if (/^0[xX][0-9a-fA-F]{1,16}$/.test(v)) hex = v.slice(2).padStart(16, '0');
  else return null;
  return /^0+$/.test(hex) ? null : hex.toLowerCase();
}

/** A MAC option when it is a unicast, non-zero "aa:bb:cc:dd:ee:ff", lower-cased; else null. */
export function usableMac(v: unknown): string | null {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(v)) return null;
  const mac = v.toLowerCase();
  if (mac === '00:00:00:00:00:00' || (Number.parseInt(mac.slice(0, 2), 16) & 1) === 1) return null;
  return mac;
}

/** A string map column as a plain record. */
function stringRecord(m: ReadonlyMap<unknown, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of m) out[String(k)] = String(v);
  return out;
}

function refRows(replica: Replica, table: string, uuids: readonly unknown[]): ReplicaRow[] {
  const out: ReplicaRow[] = [];
  for (const u of uuids) {
    const row = replica.row(table, String(u));
    if (row !== undefined) out.push(row);
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
