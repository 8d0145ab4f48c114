// Any OpenFlow message as ovs-ofctl's monitor and snoop print it (OVS ofp_to_string() in lib/ofp-print.c):
// "NAME (OF1.x) (xid=0xN):" and the body of each kind — asynchronous messages (packet_in in its four
// formats with the frame's flow on the next line, flow_removed, port_status), the requests and settings a
// controller sends (flow_mod, packet_out, port_mod, set_config, role, formats, async config, statistics
// requests), flow-monitor requests and updates (NXST_FLOW_MONITOR), and the replies print.ts already
// lays out. A message that does not decode is shown as OVS shows it: the decode error and a hex dump.
import { actionsText } from './action-text.js';
import { actionsFromWire, instructionsFromWire, matchFromWire } from './convert.js';
import { type FlowCommand, flowModText, type ParsedFlow } from './flow-text.js';
import { type MatchWords, matchText } from './match-text.js';
import { helloVersions, NO_BUFFER, type OfMessage, tryDecodeMessage } from './messages.js';
import type { FlowMonitorRequest, FlowUpdate } from './messages-monitor.js';
import type { MatchEntry } from './oxm.js';
import { packetText } from './packet-text.js';
import { formatPort } from './port-text.js';
import {
  aggregateText,
  bitNames,
  descText,
  durationText,
  featuresText,
  flowStatsText,
  groupDescText,
  groupStatsText,
  messageHeader,
  type PortNameMap,
  phyPortsText,
  phyPortText,
  portStatsReplyText,
  switchConfigText,
  tableStatsText,
} from './print.js';
import { hexText } from './text-util.js';
import { OFP_HEADER_LEN, OFP13_VERSION, OFP14_VERSION, readHeader } from './wire.js';

/** How much to print (ovs-ofctl's verbosity: monitor and snoop print at 2) and with which port names. */
export interface MessagePrintOptions {
  readonly verbosity?: number;
  readonly portNames?: PortNameMap;
}

/** OVS ds_put_hex_dump() with offsets and (when `ascii`) the printable characters. */
export function hexDump(data: Uint8Array, ascii = true): string {
  let s = '';
  for (let off = 0; off < data.length; off += 16) {
    const row = data.subarray(off, off + 16);
    let hex = '';
    for (let i = 0; i < 16; i++) {
      hex += i < row.length ? row[i].toString(16).padStart(2, '0') : '  ';
      hex += i === 7 ? (i + 1 < row.length ? '-' : ' ') : i < 15 ? ' ' : '';
    }
    const chars = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    s += `${off.toString(16).padStart(8, '0')}  ${ascii ? `${hex} |${chars.padEnd(16)}|` : hex.trimEnd()}\n`;
  }
  return s;
}

/** The statistics kinds by message type (ofpraw names "OFPST_FLOW request" ...). */
const STATS_NAMES: Readonly<Record<string, string>> = {
  desc: 'OFPST_DESC',
  flow_stats: 'OFPST_FLOW',
  aggregate_stats: 'OFPST_AGGREGATE',
  table_stats: 'OFPST_TABLE',
  port_stats: 'OFPST_PORT',
  queue_stats: 'OFPST_QUEUE',
  port_desc: 'OFPST_PORT_DESC',
  group_stats: 'OFPST_GROUP',
  group_desc: 'OFPST_GROUP_DESC',
  group_features: 'OFPST_GROUP_FEATURES',
  table_features: 'OFPST_TABLE_FEATURES',
  nx_flow_stats: 'NXST_FLOW',
  nx_aggregate_stats: 'NXST_AGGREGATE',
  nx_flow_monitor: 'NXST_FLOW_MONITOR',
};

/** Nicira messages named other than NXT_<TYPE> (and the one OpenFlow message spelled differently). */
const SPECIAL_NAMES: Readonly<Record<string, string>> = {
  set_async: 'OFPT_SET_ASYNC',
  nx_set_async_config: 'NXT_SET_ASYNC_CONFIG',
};

/** The name Open vSwitch gives a message type (its ofpraw name). */
export function messageName(type: string): string {
  const special = SPECIAL_NAMES[type];
  if (special) return special;
  const stats = /^(.*)_(request|reply)$/.exec(type);
  if (stats && STATS_NAMES[stats[1]]) return `${STATS_NAMES[stats[1]]} ${stats[2]}`;
  if (type.startsWith('nx_')) return `NXT_${type.slice(3).toUpperCase()}`;
  return `OFPT_${type.toUpperCase()}`;
}

/**
 * One message (the bytes of one whole OpenFlow message) as ofp_to_string() prints it, ending in a newline.
 */
export function ofpMessageText(raw: Uint8Array, o: MessagePrintOptions = {}): string {
  if (raw.length === 0) return 'OpenFlow message is empty\n';
  if (raw.length < OFP_HEADER_LEN) {
    return `OpenFlow packet too short (only ${raw.length} bytes):\n${hexDump(raw)}`;
  }
  const h = readHeader(raw);
  if (h.length > raw.length) {
    return `(***truncated to ${raw.length} bytes from ${h.length}***)\n${hexDump(raw)}`;
  }
  if (h.length < raw.length)
    return `(***only uses ${h.length} bytes out of ${raw.length}***)\n${hexDump(raw)}`;
  const m = tryDecodeMessage(raw);
  if (!(m instanceof Error)) {
    let s = messageHeader(messageName(m.type), m.version, m.xid) + bodyText(m, o);
    s = s.replace(/ +$/, '');
    if ((o.verbosity ?? 0) >= 5) s = `${newline(s)}${hexDump(raw)}`;
    return newline(s);
  }
  return `***decode error: ${m.code}***\n${hexDump(raw)}`;
}

function newline(s: string): string {
  return s.endsWith('\n') ? s : `${s}\n`;
}

/** The text after the header line's colon. */
function bodyText(m: OfMessage, o: MessagePrintOptions): string {
  const names = o.portNames;
  const v = m.version;
  switch (m.type) {
    case 'hello':
      return `\n version bitmap: ${versionList(helloVersions(m).bitmap)}`;
    case 'error':
      return errorBody(m);
    case 'echo_request':
    case 'echo_reply':
      return ` ${m.data.length} bytes of payload\n${(o.verbosity ?? 0) > 1 ? hexDump(m.data) : ''}`;
    case 'features_reply':
      return featuresText(m, v);
    case 'get_config_reply':
    case 'set_config':
      return switchConfigText(m);
    case 'packet_in':
    case 'nx_packet_in':
    case 'nx_packet_in2':
      return packetInText(m, o);
    case 'flow_removed':
    case 'nx_flow_removed':
      return flowRemovedText(m, names);
    case 'port_status': {
      const reason = ['ADD', 'DEL', 'MOD'][m.reason];
      return `${reason === undefined ? '' : ` ${reason}:`}${phyPortText(m.port, v)}`;
    }
    case 'packet_out':
      return packetOutText(m, o);
    case 'flow_mod':
    case 'nx_flow_mod':
      return ` ${flowModText(flowModFields(m), { portNames: names, withImportance: v >= OFP14_VERSION })}`;
    case 'port_mod':
      return portModText(m, names);
    case 'role_request':
    case 'role_reply':
      return roleText(m.role, m.generationId);
    case 'nx_role_request':
    case 'nx_role_reply':
      return roleText(m.role + 1, null);
    case 'nx_set_flow_format':
      return ` format=${m.value === 0 ? 'openflow10' : m.value === 2 ? 'nxm' : '(unknown)'}`;
    case 'nx_set_packet_in_format':
      return ` format=${['standard', 'nxt_packet_in', 'nxt_packet_in2'][m.value] ?? m.value}`;
    case 'nx_set_controller_id':
      return ` id=${m.value}`;
    case 'nx_flow_mod_table_id':
      return ` ${m.enable ? 'enable' : 'disable'}`;
    case 'get_async_reply':
    case 'set_async':
    case 'nx_set_async_config':
      return asyncText([m.packetInMask, m.portStatusMask, m.flowRemovedMask]);
    case 'flow_stats_request':
    case 'aggregate_stats_request':
    case 'nx_flow_stats_request':
    case 'nx_aggregate_stats_request': {
      let s = m.tableId !== 0xff ? ` table=${m.tableId}` : '';
      if (m.outPort !== 0xffff) s += ` out_port=${formatPort(m.outPort, names)}`;
      return `${s} ${matchText(matchOf(m.match), 32768, names)}`;
    }
    case 'port_stats_request':
      return ` port_no=${formatPort(m.portNo, names)}`;
    case 'desc_reply':
      return descText(m.desc);
    case 'table_stats_reply':
      return tableStatsText(m.tables, v);
    case 'port_stats_reply':
      return portStatsReplyText(m.ports, v, names);
    case 'port_desc_reply':
      return `\n${phyPortsText(m.ports, v)}`;
    case 'flow_stats_reply':
    case 'nx_flow_stats_reply': {
      const nx = m.type === 'nx_flow_stats_reply';
      return `\n${m.flows.map((f) => ` ${flowStatsText(f, v, { stats: true, portNames: names, nx })}\n`).join('')}`;
    }
    case 'aggregate_stats_reply':
    case 'nx_aggregate_stats_reply':
      return aggregateText(m);
    case 'group_desc_reply':
      return `\n${m.groups.map((g) => groupDescText(g, v)).join('')}`;
    case 'group_stats_reply':
      return `\n${m.groups.map((g) => groupStatsText(g)).join('')}`;
    case 'nx_flow_monitor_request':
      return m.monitors.map((r) => flowMonitorRequestText(r, names)).join('');
    case 'nx_flow_monitor_reply':
      return m.updates.map((u) => flowUpdateText(u, v, names)).join('');
    case 'nx_flow_monitor_cancel':
      return ` id=${m.id}`;
    default:
      return '';
  }
}

function versionList(bitmap: number): string {
  const out: string[] = [];
  for (let i = 0; i < 32; i++) if (bitmap & (1 << i)) out.push(`0x${i.toString(16).padStart(2, '0')}`);
  return out.join(', ');
}

/** An error: its name, then the request it carries (decoded at verbosity 1), or the text of a hello failure. */
function errorBody(m: OfMessage & { type: 'error' }): string {
  const name = m.name ?? `***decode error: type ${m.errType}, code ${m.errCode}***`;
  let s = ` ${name}\n`;
  if (m.name === 'OFPHFC_INCOMPATIBLE' || m.name === 'OFPHFC_EPERM') {
    s += Array.from(m.data, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  } else if (m.data.length > 0) {
    s += ofpMessageText(m.data, { verbosity: 1 });
  }
  return s;
}

function matchOf(entries: readonly MatchEntry[]): MatchWords {
  return matchFromWire(entries, { strict: false });
}

function u16Bytes(v: number): Uint8Array {
  return Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
}

const PIN_REASONS = ['no_match', 'action', 'invalid_ttl', 'action_set', 'group', 'packet_out'];

/** The fields of a packet-in in any of its formats (OVS ofputil_decode_packet_in). */
interface PacketInFields {
  tableId: number;
  cookie: bigint;
  totalLen: number;
  bufferId: number;
  reason: number;
  metadata: MatchWords;
  userdata: Uint8Array | null;
  packet: Uint8Array;
}

function packetInFields(
  m: OfMessage & { type: 'packet_in' | 'nx_packet_in' | 'nx_packet_in2' },
): PacketInFields {
  if (m.type === 'nx_packet_in2') {
    const f: PacketInFields = {
      tableId: 0,
      cookie: 0xffffffffffffffffn,
      totalLen: -1,
      bufferId: NO_BUFFER,
      reason: 0,
      metadata: matchOf([]),
      userdata: null,
      packet: new Uint8Array(0),
    };
    for (const p of m.props) {
      if (p.kind === 'packet') f.packet = p.data;
      else if (p.kind === 'full_len') f.totalLen = p.value;
      else if (p.kind === 'buffer_id') f.bufferId = p.value;
      else if (p.kind === 'table_id') f.tableId = p.value;
      else if (p.kind === 'reason') f.reason = p.value;
      else if (p.kind === 'cookie') f.cookie = p.value;
      else if (p.kind === 'metadata') f.metadata = matchOf(p.match);
      else if (p.kind === 'userdata') f.userdata = p.data;
    }
    if (f.totalLen < 0) f.totalLen = f.packet.length;
    return f;
  }
  const v10 = m.type === 'packet_in' && m.version < OFP13_VERSION;
  return {
    tableId: m.tableId,
    cookie: v10 ? 0xffffffffffffffffn : m.cookie,
    totalLen: m.totalLen,
    bufferId: m.bufferId,
    reason: m.reason,
    metadata: v10 ? matchOf([{ field: 'in_port', value: u16Bytes(m.inPort), mask: null }]) : matchOf(m.match),
    userdata: null,
    packet: m.data,
  };
}

/** OVS ofputil_packet_in_private_format() (without continuations, which tsovs never sends). */
function packetInText(
  m: OfMessage & { type: 'packet_in' | 'nx_packet_in' | 'nx_packet_in2' },
  o: MessagePrintOptions,
): string {
  const f = packetInFields(m);
  let s = f.tableId ? ` table_id=${f.tableId}` : '';
  if (f.cookie !== 0xffffffffffffffffn) s += ` cookie=0x${f.cookie.toString(16)}`;
  s += ` total_len=${f.totalLen} ${matchText(f.metadata, 32768, o.portNames)}`;
  s += ` (via ${PIN_REASONS[f.reason] ?? f.reason})`;
  s += ` data_len=${f.packet.length}`;
  if (f.bufferId === NO_BUFFER) {
    s += ' (unbuffered)';
    if (f.totalLen !== f.packet.length) s += ' (***total_len != data_len***)';
  } else {
    s += ` buffer=0x${f.bufferId.toString(16).padStart(8, '0')}`;
    if (f.totalLen < f.packet.length) s += ' (***total_len < data_len***)';
  }
  s += '\n';
  if (f.userdata && f.userdata.length > 0) {
    s += ` userdata=${Array.from(f.userdata, (b) => b.toString(16).padStart(2, '0')).join('.')}\n`;
  }
  if ((o.verbosity ?? 0) > 0) s += packetText(f.packet);
  if ((o.verbosity ?? 0) > 2) s += hexDump(f.packet, false);
  return s;
}

const REMOVED_REASONS = ['idle', 'hard', 'delete', 'group_delete', 'eviction', 'meter_delete'];

/** The reason of a flow removal as OVS names it. */
export function removedReasonText(reason: number): string {
  return REMOVED_REASONS[reason] ?? `${reason}`;
}

/** OVS ofputil_flow_removed_format(). */
function flowRemovedText(
  m: OfMessage & { type: 'flow_removed' | 'nx_flow_removed' },
  names?: PortNameMap,
): string {
  // OpenFlow 1.0 has no table; Nicira's carries the table plus one (0: none).
  const table =
    m.type === 'nx_flow_removed' ? (m.tableId - 1) & 0xff : m.version < OFP13_VERSION ? 255 : m.tableId;
  let s = ` ${matchText(matchOf(m.match), m.priority, names)} reason=${removedReasonText(m.reason)}`;
  if (table !== 255) s += ` table_id=${table}`;
  if (m.cookie !== 0n) s += ` cookie:${hexText(m.cookie)}`;
  s += ` duration${durationText(m.durationSec, m.durationNsec)}s idle${m.idleTimeout}`;
  if (m.hardTimeout) s += ` hard${m.hardTimeout}`;
  return `${s} pkts${m.packetCount} bytes${m.byteCount}\n`;
}

/** OVS ofputil_packet_out_format(). */
function packetOutText(m: OfMessage & { type: 'packet_out' }, o: MessagePrintOptions): string {
  const metadata = matchOf([{ field: 'in_port', value: u16Bytes(m.inPort), mask: null }]);
  let s = ` ${matchText(metadata, 32768, o.portNames)} actions=`;
  s += actionsText(actionsFromWire(m.actions, m.version), o.portNames);
  if (m.bufferId !== NO_BUFFER) return `${s} buffer=0x${m.bufferId.toString(16).padStart(8, '0')}`;
  s += ` data_len=${m.data.length}`;
  if ((o.verbosity ?? 0) > 0 && m.data.length > 0) s += `\n${packetText(m.data)}`;
  if ((o.verbosity ?? 0) > 2) s += hexDump(m.data, false);
  return s;
}

const FLOW_COMMANDS: readonly FlowCommand[] = ['add', 'modify', 'modify_strict', 'delete', 'delete_strict'];

/** A flow_mod's fields in the text layer's terms, for flowModText. */
function flowModFields(m: OfMessage & { type: 'flow_mod' | 'nx_flow_mod' }): ParsedFlow {
  return {
    command: FLOW_COMMANDS[m.command] ?? 'add',
    tableId: m.tableId,
    priority: m.priority,
    cookie: m.cookieMask ? m.cookie : 0n,
    cookieMask: m.cookieMask,
    newCookie: m.cookieMask ? (m.newCookie ?? null) : m.cookie,
    idleTimeout: m.idleTimeout,
    hardTimeout: m.hardTimeout,
    importance: m.importance,
    flags: m.flags,
    outPort: m.outPort,
    outGroup: m.outGroup,
    match: matchOf(m.match),
    actions: instructionsFromWire(m.instructions, m.version),
    dropped: [],
  };
}

const PORT_CONFIG: Readonly<Record<number, string>> = {
  1: 'PORT_DOWN',
  2: 'NO_STP',
  4: 'NO_RECV',
  8: 'NO_RECV_STP',
  16: 'NO_FLOOD',
  32: 'NO_FWD',
  64: 'NO_PACKET_IN',
};

/** OVS ofputil_port_mod_format(). */
function portModText(m: OfMessage & { type: 'port_mod' }, names?: PortNameMap): string {
  const config = (bits: number) => `${bitNames(bits, (b) => PORT_CONFIG[b])}\n`;
  let s = ` port: ${formatPort(m.portNo, names)}: addr:${m.hwAddr}\n`;
  s += `     config: ${config(m.config)}`;
  s += `     mask:   ${config(m.mask)}`;
  s += `     advertise: ${m.advertise ? `0x${m.advertise.toString(16)}\n` : 'UNCHANGED\n'}`;
  return s;
}

/** OVS format_role_generic(): the OpenFlow 1.2 role number and, when known, the generation id. */
function roleText(role: number, generationId: bigint | null): string {
  const name = ['nochange', 'equal', 'primary', 'secondary'][role] ?? `${role}`;
  const gen =
    generationId === null || generationId === 0xffffffffffffffffn ? '' : ` generation_id=${generationId}`;
  return ` role=${name}${gen}`;
}

const ASYNC_TYPES: readonly [string, readonly string[]][] = [
  ['PACKET_IN', PIN_REASONS],
  ['PORT_STATUS', ['add', 'delete', 'modify']],
  ['FLOW_REMOVED', REMOVED_REASONS],
  ['ROLE_STATUS', []],
  ['TABLE_STATUS', []],
  ['REQUESTFORWARD', []],
];

/** OVS ofputil_format_set_async_config() for the three masks a pre-1.4 message carries. */
function asyncText(masks: readonly (readonly [number, number])[]): string {
  let s = '';
  for (const role of [0, 1]) {
    s += `\n ${role === 0 ? 'primary' : 'secondary'}:\n`;
    ASYNC_TYPES.forEach(([name, reasons], i) => {
      const bits = masks[i]?.[role] ?? 0;
      s += `${name.padStart(16)}:`;
      for (let j = 0; j < 32; j++) if (bits & (1 << j)) s += ` ${reasons[j] ?? j}`;
      s += bits ? '\n' : ' (off)\n';
    });
  }
  return s;
}

const MONITOR_FLAGS: Readonly<Record<number, string>> = {
  1: 'initial',
  2: 'add',
  4: 'delete',
  8: 'modify',
  16: 'actions',
  32: 'own',
};

/** OVS ofputil_flow_monitor_request_format(). */
export function flowMonitorRequestText(r: FlowMonitorRequest, names?: PortNameMap): string {
  let s = `\n id=${r.id} flags=${bitNames(r.flags, (b) => MONITOR_FLAGS[b], ',')}`;
  if (r.outPort !== 0xffff) s += ` out_port=${formatPort(r.outPort, names)}`;
  if (r.tableId !== 0xff) s += ` table=${r.tableId}`;
  return `${s} ${matchText(matchOf(r.match), 32768, names)}`.replace(/ +$/, '');
}

/** OVS ofputil_flow_update_format(): "\n event=ADDED table=0 cookie=0 MATCH actions=...". */
export function flowUpdateText(u: FlowUpdate, version: number, names?: PortNameMap): string {
  if (u.event === 'abbrev') return `\n event=ABBREV xid=0x${u.xid.toString(16)}`;
  let s = '\n event=';
  if (u.event === 'deleted') s += `DELETED reason=${removedReasonText(u.reason)}`;
  else s += u.event.toUpperCase();
  s += ` table=${u.tableId}`;
  if (u.idleTimeout) s += ` idle_timeout=${u.idleTimeout}`;
  if (u.hardTimeout) s += ` hard_timeout=${u.hardTimeout}`;
  s += ` cookie=${hexText(u.cookie)} ${matchText(matchOf(u.match), 32768, names)}`;
  if (u.actions.length > 0) {
    if (!s.endsWith(' ')) s += ' ';
    s += `actions=${actionsText(actionsFromWire(u.actions, version), names)}`;
  }
  return s;
}
