// OpenFlow messages as ovs-ofctl prints them (OVS lib/ofp-print.c and the *_format() functions of
// lib/ofp-port.c, ofp-switch.c, ofp-table.c, ofp-flow.c, ofp-group.c): the "NAME (OF1.x) (xid=0xN):"
// header line and the body layouts of features, ports, port statistics, tables, flows, groups and errors.
// Byte for byte as Open vSwitch 3.1's ovs-ofctl, which the integration tests check.

import { actionsText } from './action-text.js';
import { actionsFromWire, instructionsFromWire, matchFromWire } from './convert.js';
import { matchText } from './match-text.js';
import type { AggregateStatsReply, FeaturesReply, OfMessage, SwitchConfig } from './messages.js';
import type { PhyPort, PortStats } from './messages-ports.js';
import type {
  Bucket,
  FlowStatsEntry,
  GroupDesc,
  GroupStats,
  SwitchDesc,
  TableStats,
} from './messages-stats.js';
import { formatPort } from './port-text.js';
import { OFP10_VERSION, OFP15_VERSION } from './wire.js';

/** Port names to print (ovs-ofctl --names), number → name. */
export type PortNameMap = ReadonlyMap<number, string>;

/** "NAME (OF1.3) (xid=0x5):" (OVS ofp_to_string's header; no version tag for OpenFlow 1.0). */
export function messageHeader(name: string, version: number, xid: number): string {
  const tag = version === OFP10_VERSION ? '' : ` (OF1.${version - 1})`;
  return `${name}${tag} (xid=0x${(xid >>> 0).toString(16)}):`;
}

/** OVS ofp_print_bit_names(): names of the set bits, unknown ones as one "0x..." at the end; "0" if none. */
export function bitNames(bits: number, name: (bit: number) => string | undefined, sep = ' '): string {
  if (!bits) return '0';
  const out: string[] = [];
  let rest = bits >>> 0;
  for (let i = 0; i < 32; i++) {
    const bit = (1 << i) >>> 0;
    if (!(rest & bit)) continue;
    const n = name(bit);
    if (n !== undefined) {
      out.push(n);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest) out.push(`0x${rest.toString(16)}`);
  return out.join(sep);
}

function nameTable(names: Readonly<Record<number, string>>): (bit: number) => string | undefined {
  return (bit) => names[bit];
}

/** OVS ofp_print_duration(): seconds, then ".mmm" or as many nanosecond digits as needed. */
export function durationText(sec: number, nsec: number): string {
  if (!nsec) return `${sec}`;
  if (nsec % 1000000 === 0) return `${sec}.${String(nsec / 1000000).padStart(3, '0')}`;
  return `${sec}.${String(nsec).padStart(9, '0').replace(/0+$/, '')}`;
}

// --- Ports ----------------------------------------------------------------------------------------------

const PORT_CONFIG = nameTable({
  1: 'PORT_DOWN',
  2: 'NO_STP',
  4: 'NO_RECV',
  8: 'NO_RECV_STP',
  16: 'NO_FLOOD',
  32: 'NO_FWD',
  64: 'NO_PACKET_IN',
});
const PORT_STATE = nameTable({ 1: 'LINK_DOWN', 2: 'BLOCKED', 4: 'LIVE' });
const STP_MASK = 3 << 8;

// Open vSwitch's netdev feature bits (the OpenFlow 1.1+ OFPPF_* layout).
const FEATURES = [
  '10MB-HD',
  '10MB-FD',
  '100MB-HD',
  '100MB-FD',
  '1GB-HD',
  '1GB-FD',
  '10GB-FD',
  '40GB-FD',
  '100GB-FD',
  '1TB-FD',
  'OTHER',
  'COPPER',
  'FIBER',
  'AUTO_NEG',
  'AUTO_PAUSE',
  'AUTO_PAUSE_ASYM',
];
const FEATURE_NAME = (bit: number) => FEATURES[31 - Math.clz32(bit)];

/** OpenFlow 1.0's OFPPF_* bits in the 1.1+ layout (COPPER and up move up by 4: netdev_port_features_from_ofp10). */
function featuresFromOf10(f: number): number {
  return (f & 0x7f) | ((f & 0xf80) << 4);
}

/** OVS netdev_features_to_bps(): the fastest speed among the features, 0 when none. */
function featuresToBps(f: number): number {
  if (f & (1 << 9)) return 1e12;
  if (f & (1 << 8)) return 1e11;
  if (f & (1 << 7)) return 4e10;
  if (f & (1 << 6)) return 1e10;
  if (f & 0x30) return 1e9;
  if (f & 0x0c) return 1e8;
  if (f & 0x03) return 1e7;
  return 0;
}

function portStateText(state: number): string {
  const stp = state & STP_MASK;
  if (!stp) return bitNames(state, PORT_STATE);
  const name = stp === 1 << 8 ? 'STP_LEARN' : stp === 2 << 8 ? 'STP_FORWARD' : 'STP_BLOCK';
  const rest = state & ~STP_MASK;
  return rest ? `${name} ${bitNames(rest, PORT_STATE)}` : name;
}

/** One port as ovs-ofctl shows it (OVS ofputil_phy_port_format). */
export function phyPortText(p: PhyPort, version: number): string {
  const of10 = version === OFP10_VERSION;
  const conv = (f: number) => (of10 ? featuresFromOf10(f) : f);
  const curr = conv(p.curr);
  const supported = conv(p.supported);
  const name = p.name.replace(/[^\x20-\x7e].*$/s, '');
  let s = ` ${formatPort(p.portNo)}(${name}): addr:${p.hwAddr}\n`;
  s += `     config:     ${bitNames(p.config, PORT_CONFIG)}\n`;
  s += `     state:      ${portStateText(p.state)}\n`;
  const feat = (label: string, f: number) => (f ? `     ${label}${bitNames(f, FEATURE_NAME)}\n` : '');
  s += feat('current:    ', curr);
  s += feat('advertised: ', conv(p.advertised));
  s += feat('supported:  ', supported);
  s += feat('peer:       ', conv(p.peer));
  const currKbps = of10 ? featuresToBps(curr) / 1000 : p.currSpeed;
  const maxKbps = of10 ? featuresToBps(supported) / 1000 : p.maxSpeed;
  s += `     speed: ${Math.floor(currKbps / 1000)} Mbps now, ${Math.floor(maxKbps / 1000)} Mbps max\n`;
  return s;
}

/** Ports as the body of a features or port-desc reply. */
export function phyPortsText(ports: readonly PhyPort[], version: number): string {
  // ofp_print_phy_ports() sorts by port number (LOCAL, 0xfffe, comes last).
  const sorted = [...ports].sort((a, b) => a.portNo - b.portNo);
  return sorted.map((p) => phyPortText(p, version)).join('');
}

// --- Switch features and configuration -------------------------------------------------------------------

const CAPABILITIES = nameTable({
  1: 'FLOW_STATS',
  2: 'TABLE_STATS',
  4: 'PORT_STATS',
  8: 'STP',
  16: 'GROUP_STATS',
  32: 'IP_REASM',
  64: 'QUEUE_STATS',
  128: 'ARP_MATCH_IP',
  256: 'PORT_BLOCKED',
  512: 'BUNDLES',
  1024: 'FLOW_MONITORING',
});

/** Wire OFPC_* bits as Open vSwitch's OFPUTIL_C_* (OpenFlow 1.1+ moved group stats to bit 3). */
function capabilitiesFromWire(caps: number, version: number): number {
  const common = caps & (1 | 2 | 4 | 32 | 64);
  if (version === OFP10_VERSION) return common | (caps & 128) | (caps & 8);
  // OpenFlow 1.4 added BUNDLES and FLOW_MONITORING (bits 9 and 10).
  const of14 = version >= OFP15_VERSION - 1 ? caps & (512 | 1024) : 0;
  return common | (caps & 256) | (caps & 8 ? 16 : 0) | of14;
}

// OpenFlow 1.0's action bitmap, in the order ovs-ofctl lists it (Open vSwitch's ofpact order).
const OF10_ACTIONS: readonly [number, string][] = [
  [0, 'output'],
  [11, 'enqueue'],
  [1, 'set_vlan_vid'],
  [2, 'set_vlan_pcp'],
  [3, 'strip_vlan'],
  [4, 'mod_dl_src'],
  [5, 'mod_dl_dst'],
  [6, 'mod_nw_src'],
  [7, 'mod_nw_dst'],
  [8, 'mod_nw_tos'],
  [9, 'mod_tp_src'],
  [10, 'mod_tp_dst'],
];

/** The body of OFPT_FEATURES_REPLY (OVS ofputil_switch_features_format + the OpenFlow 1.0 ports). */
export function featuresText(f: FeaturesReply, version: number): string {
  let s = ` dpid:${f.datapathId.toString(16).padStart(16, '0')}\n`;
  s += `n_tables:${f.nTables}, n_buffers:${f.nBuffers}`;
  if (f.auxiliaryId) s += `, auxiliary_id:${f.auxiliaryId}`;
  s += '\n';
  s += `capabilities: ${bitNames(capabilitiesFromWire(f.capabilities, version), CAPABILITIES)}\n`;
  if (version === OFP10_VERSION) {
    const names = OF10_ACTIONS.filter(([bit]) => f.actions & (1 << bit)).map(([, n]) => n);
    s += `actions: ${names.length ? names.join(' ') : '<none>'}\n`;
    s += phyPortsText(f.ports, version);
  }
  return s;
}

const FRAG_NAMES = ['normal', 'drop', 'reassemble', 'nx-match'];

/** OFPT_GET_CONFIG_REPLY's body: " frags=normal miss_send_len=0". */
export function switchConfigText(c: SwitchConfig): string {
  const frag = FRAG_NAMES[c.flags & 3] ?? 'normal';
  const ttl = c.flags & 4 ? ' invalid_ttl_to_controller' : '';
  return ` frags=${frag}${ttl} miss_send_len=${c.missSendLen}\n`;
}

/** OFPST_DESC reply's body. */
export function descText(d: SwitchDesc): string {
  return (
    `\nManufacturer: ${d.mfrDesc}\nHardware: ${d.hwDesc}\nSoftware: ${d.swDesc}\n` +
    `Serial Num: ${d.serialNum}\nDP Description: ${d.dpDesc}\n`
  );
}

// --- Tables -----------------------------------------------------------------------------------------------

// The fields of an OpenFlow 1.0 table's wildcards, as Open vSwitch prints a table whose wildcards cover all
// of them (print_matches with the fields grouped by prefix).
const OF10_MATCHING = 'in_port eth_{src,dst,type} vlan_{vid,pcp} ip_{src,dst} nw_{proto,tos} tcp_{src,dst}';
const OF10_ALL_WILDCARDS = 0x3fffff;

interface TableView {
  id: number;
  name: string;
  stats: string;
  features: string;
}

/** OFPST_TABLE reply's body with Open vSwitch's "(same features)" and "ditto" folding. */
export function tableStatsText(tables: readonly TableStats[], version: number): string {
  const views: TableView[] = tables.map((t) => {
    let features = '';
    if (version === OFP10_VERSION) {
      if (t.maxEntries) features += `    max_entries=${t.maxEntries}\n`;
      if ((t.wildcards & OF10_ALL_WILDCARDS) === OF10_ALL_WILDCARDS) {
        features += `    matching:\n      exact match or wildcard: ${OF10_MATCHING}\n`;
      }
    }
    const stats = `    active=${t.activeCount}, lookup=${t.lookupCount}, matched=${t.matchedCount}\n`;
    return { id: t.tableId, name: t.name.replace(/\0.*$/s, ''), stats, features };
  });
  let s = '';
  let first = -1;
  let last = -1;
  const finish = () => {
    if (first < 0) return;
    s += first === last ? `\n  table ${first}: ditto\n` : `\n  tables ${first}...${last}: ditto\n`;
    first = -1;
  };
  views.forEach((t, i) => {
    const prev = i ? views[i - 1] : null;
    const sameStats = prev !== null && prev.stats === t.stats;
    const sameFeatures = prev !== null && prev.features === t.features;
    if (sameStats && sameFeatures && !t.name) {
      if (first < 0) first = t.id;
      last = t.id;
      return;
    }
    finish();
    s += `\n  table ${t.id}${t.name ? ` ("${t.name}")` : ''}:`;
    if (sameStats && sameFeatures) {
      s += ' ditto';
      return;
    }
    s += `\n${t.stats}`;
    if (sameFeatures) {
      if (t.features) s += '    (same features)\n';
      return;
    }
    s += t.features;
  });
  finish();
  return s;
}

// --- Statistics -------------------------------------------------------------------------------------------

const U64_MAX = 0xffffffffffffffffn;

function stat(v: bigint): string {
  return v === U64_MAX ? '?' : v.toString();
}

/** One port's counters (OVS ofputil_format_port_stats). */
export function portStatsText(p: PortStats, version: number, names?: PortNameMap): string {
  let s = `  port ${p.portNo < 10 ? ' ' : ''}${formatPort(p.portNo, names)}: rx `;
  s += `pkts=${stat(p.rxPackets)}, bytes=${stat(p.rxBytes)}, drop=${stat(p.rxDropped)}, `;
  s += `errs=${stat(p.rxErrors)}, frame=${stat(p.rxFrameErr)}, over=${stat(p.rxOverErr)}, `;
  s += `crc=${stat(p.rxCrcErr)}\n`;
  s += `           tx pkts=${stat(p.txPackets)}, bytes=${stat(p.txBytes)}, drop=${stat(p.txDropped)}, `;
  s += `errs=${stat(p.txErrors)}, coll=${stat(p.collisions)}\n`;
  if (version !== OFP10_VERSION && p.durationSec !== 0xffffffff) {
    s += `           duration=${durationText(p.durationSec, p.durationNsec)}s\n`;
  }
  return s + portStatsExtText(p);
}

// The RFC 2819 counters of OpenFlow 1.4 port statistics, [index, label], rx then tx, in OVS's order.
const RFC2819_RX: readonly [number, string][] = [
  [0, '1_to_64_packets'],
  [1, '65_to_127_packets'],
  [2, '128_to_255_packets'],
  [3, '256_to_511_packets'],
  [4, '512_to_1023_packets'],
  [5, '1024_to_1522_packets'],
  [6, '1523_to_max_packets'],
  [15, 'broadcast_packets'],
  [17, 'undersized_errors'],
  [18, 'oversize_errors'],
  [19, 'rx_fragmented_errors'],
  [20, 'rx_jabber_errors'],
];
const RFC2819_TX: readonly [number, string][] = [
  [7, '1_to_64_packets'],
  [8, '65_to_127_packets'],
  [9, '128_to_255_packets'],
  [10, '256_to_511_packets'],
  [11, '512_to_1023_packets'],
  [12, '1024_to_1522_packets'],
  [13, '1523_to_max_packets'],
  [14, 'multicast_packets'],
  [16, 'broadcast_packets'],
];

/** The extended counters of OpenFlow 1.4+ port statistics (rfc2819 lines, "CUSTOM Statistics"). */
function portStatsExtText(p: PortStats): string {
  let s = '';
  const ext = (list: readonly [number, string][]) =>
    list
      .filter(([i]) => (p.rfc2819?.[i] ?? U64_MAX) !== U64_MAX)
      .map(([i, label]) => `${label}=${p.rfc2819?.[i]}, `)
      .join('');
  const rx = ext(RFC2819_RX);
  if (rx) s += `           rx rfc2819 ${rx}\n`;
  const tx = ext(RFC2819_TX);
  if (tx) s += `           tx rfc2819 ${tx}\n`;
  if (p.custom && p.custom.length > 0) {
    s += '           CUSTOM Statistics';
    p.custom.forEach((c, i) => {
      if (!c.name) return;
      s += i % 3 === 0 ? '\n                      ' : ' ';
      s += `${c.name}=${c.value},`;
    });
    s += '\n';
  }
  return s;
}

/** OFPST_PORT reply's body: " N ports" and each port's counters. */
export function portStatsReplyText(
  ports: readonly PortStats[],
  version: number,
  names?: PortNameMap,
): string {
  return ` ${ports.length} ports\n${ports.map((p) => portStatsText(p, version, names)).join('')}`;
}

/** OFPST_AGGREGATE / NXST_AGGREGATE reply's body. */
export function aggregateText(a: AggregateStatsReply): string {
  return ` packet_count=${a.packetCount} byte_count=${a.byteCount} flow_count=${a.flowCount}\n`;
}

// --- Flows ------------------------------------------------------------------------------------------------

const FLAG_NAMES: readonly [number, string][] = [
  [1, 'send_flow_rem'],
  [2, 'check_overlap'],
  [4, 'reset_counts'],
  [8, 'no_packet_counts'],
  [16, 'no_byte_counts'],
];

/** A flow-stats entry's text pieces, in the layout of OVS ofputil_flow_stats_format(). */
export interface FlowPrintOptions {
  /** Print the statistics (dump-flows without --no-stats). */
  readonly stats: boolean;
  readonly portNames?: PortNameMap;
  /** The entry came in a Nicira reply, whose idle_age/hard_age carry the age plus one (0: unknown). */
  readonly nx?: boolean;
}

/** The flow's actions, from a 1.0/Nicira action list or 1.1+ instructions. */
function flowActions(f: FlowStatsEntry, version: number, names?: PortNameMap): string {
  const actions =
    version === OFP10_VERSION
      ? actionsFromWire(
          f.instructions.flatMap((i) => (i.type === 'apply_actions' ? i.actions : [])),
          version,
        )
      : instructionsFromWire(f.instructions, version);
  return actionsText(actions, names);
}

/** One flow of a flow-stats reply as dump-flows prints it, without the leading space. */
export function flowStatsText(f: FlowStatsEntry, version: number, o: FlowPrintOptions): string {
  let s = '';
  if (o.stats || f.cookie) s += `cookie=0x${f.cookie.toString(16)}, `;
  if (o.stats) s += `duration=${durationText(f.durationSec, f.durationNsec)}s, `;
  if (o.stats || f.tableId) s += `table=${f.tableId}, `;
  if (o.stats) s += `n_packets=${stat(f.packetCount)}, n_bytes=${stat(f.byteCount)}, `;
  if (f.idleTimeout) s += `idle_timeout=${f.idleTimeout}, `;
  if (f.hardTimeout) s += `hard_timeout=${f.hardTimeout}, `;
  for (const [bit, name] of FLAG_NAMES) if (f.flags & bit) s += `${name} `;
  if (f.importance) s += `importance=${f.importance}, `;
  // Only Nicira replies carry ages (and OpenFlow 1.5 the idle age), as age + 1 (0 for unknown).
  const ages = o.nx || version >= OFP15_VERSION;
  const idleAge = ages && f.idleAge ? f.idleAge - 1 : -1;
  const hardAge = ages && f.hardAge ? f.hardAge - 1 : -1;
  if (o.stats && idleAge >= 0) s += `idle_age=${idleAge}, `;
  if (o.stats && hardAge >= 0 && hardAge !== f.durationSec) s += `hard_age=${hardAge}, `;
  const match = matchFromWire(f.match, { strict: false });
  const m = matchText(match, f.priority, o.portNames);
  if (m) s += `${m} `;
  return `${s}actions=${flowActions(f, version, o.portNames)}`;
}

// --- Groups -----------------------------------------------------------------------------------------------

const GROUP_TYPES = ['all', 'select', 'indirect', 'ff'];

function bucketText(b: Bucket, type: number, version: number): string {
  let s = 'bucket=';
  if (version >= OFP15_VERSION) s += `bucket_id:${b.bucketId ?? 0},`;
  if (b.weight !== (type === 1 ? 1 : 0)) s += `weight:${b.weight},`;
  if (b.watchPort !== 0xffff) s += `watch_port:${formatPort(b.watchPort)},`;
  if (b.watchGroup !== 0xffffffff) s += `watch_group:${b.watchGroup},`;
  const actions = actionsFromWire(b.actions, version);
  return `${s}actions=${actions.length ? actionsText(actions) : 'drop'}`;
}

/** One group of an OFPST_GROUP_DESC reply (OVS ofputil_group_format). */
export function groupDescText(g: GroupDesc, version: number): string {
  const type = GROUP_TYPES[g.groupType] ?? `${g.groupType}`;
  const buckets = g.buckets.map((b) => `,${bucketText(b, g.groupType, version)}`).join('');
  return ` group_id=${g.groupId},type=${type}${buckets}\n`;
}

/** One group of an OFPST_GROUP reply (OVS ofputil_group_stats_format). */
export function groupStatsText(g: GroupStats): string {
  let s = ` group_id=${g.groupId},duration=${durationText(g.durationSec, g.durationNsec)}s,`;
  s += `ref_count=${g.refCount},packet_count=${stat(g.packetCount)},byte_count=${stat(g.byteCount)}`;
  g.buckets.forEach((b, i) => {
    s += `,bucket${i}:packet_count=${stat(b.packetCount)},byte_count=${stat(b.byteCount)}`;
  });
  return `${s}\n`;
}

/** Re-exported for callers that print a whole message's type name. */
export type { OfMessage };
