// The switch's answers to OpenFlow requests (Open vSwitch's handle_openflow in ofproto/ofproto.c): one
// function per message kind, each answering the way ovs-vswitchd 3.1 does — the same replies, the same
// errors (a slave's modifications get OFPBRC_IS_SECONDARY, an unknown buffer OFPBRC_BUFFER_UNKNOWN, a
// reply to a request or an unhandled statistics kind OFPBRC_BAD_TYPE / OFPBRC_BAD_STAT). Statistics
// replies longer than one message are split with OFPSF_REPLY_MORE as ofpmp_postappend() splits them.
import {
  encodeMessageIn,
  errorReply,
  type FlowStatsEntry,
  type FlowStatsRequest,
  type GroupDesc,
  type GroupStats,
  NO_BUFFER,
  NXFF_NXM,
  NXFF_OPENFLOW10,
  NXPIF_NXT_PACKET_IN2,
  type NxRoleMsg,
  OFPSF_REPLY_MORE,
  OFPT_VENDOR,
  OFPTT_ALL,
  type OfBody,
  type OfMessage,
  type PhyPort,
  type RoleMsg,
  type StatsEmptyRequest,
  type SwitchDesc,
  type TableStats,
} from '../openflow/messages.js';
import { OFPP_CONTROLLER, OFPP_LOCAL, OFPP_MAX, OFPP_NONE } from '../openflow/messages-actions.js';
import {
  buildMessage,
  OFP_MAX_MSG_LEN,
  OFP10_VERSION,
  OFP13_VERSION,
  OFP14_VERSION,
  OFP15_VERSION,
  Writer,
} from '../openflow/wire.js';
import { OfpError, type OfpErrorName, ONF_VENDOR_ID } from '../openflow/wire-errors.js';
import type { WireConvert } from './connmgr-convert.js';
import { handleExtMessage } from './connmgr-ext.js';
import { tableFeatures } from './connmgr-features.js';
import {
  DEFAULT_MISS_SEND_LEN,
  decodeAsyncMasks,
  encodeAsyncMasks,
  OFPR_INVALID_TTL,
  type Ofconn,
  ROLE_EQUAL,
  ROLE_MASTER,
  ROLE_NOCHANGE,
  ROLE_SLAVE,
} from './connmgr-ofconn.js';
import type { GroupType } from './flow-table.js';
import type {
  FlowModCommand,
  FlowModRequest,
  FlowQuery,
  GroupModRequest,
  OpenFlowSwitch,
  RuleView,
} from './of-switch.js';

/** Tables a bridge shows (table 254 is hidden), as OVS's n_tables in features and statistics. */
export const N_VISIBLE_TABLES = 254;

/** OVS's desc reply (other_config can change it there; here it is a manager option). */
export const DEFAULT_DESC: SwitchDesc = {
  mfrDesc: 'Nicira, Inc.',
  hwDesc: 'Open vSwitch',
  swDesc: '3.1.0',
  serialNum: 'None',
  dpDesc: 'None',
};

/** What the handlers need from the manager. */
export interface HandlerContext {
  readonly sw: OpenFlowSwitch;
  readonly convert: WireConvert;
  readonly desc: SwitchDesc;
  /** Every connection of a bridge (a new master demotes the others). */
  connections(bridge: string): Iterable<Ofconn>;
  /** The bridge's master election generation id (null until one is set). */
  generationId(bridge: string): bigint | null;
  setGenerationId(bridge: string, id: bigint): void;
  /** Where failures that are not OpenFlow errors (bugs, inexpressible rules) are reported. */
  warn(msg: string): void;
  /** Nicira flow monitors (connmgr-monitor.ts); without them the requests are refused. */
  readonly monitors?: {
    request(oc: Ofconn, msg: OfMessage & { type: 'nx_flow_monitor_request' }): void;
    cancel(oc: Ofconn, id: number): void;
  };
}

const FLOW_MOD_COMMANDS: readonly FlowModCommand[] = [
  'add',
  'modify',
  'modify_strict',
  'delete',
  'delete_strict',
];
const GROUP_TYPES: readonly GroupType[] = ['all', 'select', 'indirect', 'ff'];
const GROUP_COMMANDS = ['add', 'modify', 'delete'] as const;
/** OFPPC_PORT_DOWN | NO_RECV | NO_FWD | NO_PACKET_IN: the port config bits of OpenFlow 1.1+. */
const OFPPC11_ALL = 0x65;
/** OFPG_ALL: every group (group stats, group delete). */
const OFPG_ALL = 0xfffffffc;
/** Statistics request types: answered with OFPBRC_BAD_STAT when not handled. */
const STATS_REQUESTS = new Set([
  'desc_request',
  'flow_stats_request',
  'aggregate_stats_request',
  'nx_flow_stats_request',
  'nx_aggregate_stats_request',
  'table_stats_request',
  'port_stats_request',
  'queue_stats_request',
  'port_desc_request',
  'group_stats_request',
  'group_desc_request',
  'group_features_request',
  'table_features_request',
]);

/** Answers one decoded message on `oc`; OpenFlow errors become error replies carrying the request. */
export function handleMessage(ctx: HandlerContext, oc: Ofconn, msg: OfMessage, raw: Uint8Array): void {
  try {
    dispatch(ctx, oc, msg, raw);
  } catch (err) {
    let e: OfpError;
    if (err instanceof OfpError) e = err;
    else {
      // Not a refusal the protocol defines: the peer still gets an answer (OFPBRC_EPERM), and we a warning.
      const text = err instanceof Error ? err.message : String(err);
      ctx.warn(`${oc.conn.name}: ${msg.type} failed: ${text}`);
      e = new OfpError('OFPBRC_EPERM', text);
    }
    if (!oc.conn.isClosed) oc.conn.sendRaw(errorReply(raw, e));
  }
}

function fail(code: OfpErrorName, why: string): never {
  throw new OfpError(code, why);
}

function rejectSlave(oc: Ofconn): void {
  if (oc.role === ROLE_SLAVE) fail('OFPBRC_IS_SECONDARY', 'a slave controller may not modify the switch');
}

function reply(oc: Ofconn, req: OfMessage, body: OfBody): void {
  oc.send({ ...body, xid: req.xid, version: req.version });
}

/** Handles one message; the result is meaningless (`unknown` lets each case end in `return handler()`). */
function dispatch(ctx: HandlerContext, oc: Ofconn, msg: OfMessage, raw: Uint8Array): unknown {
  const br = oc.bridge;
  switch (msg.type) {
    case 'echo_request': // OfConnection answers it.
    case 'echo_reply':
    case 'error':
    case 'nx_flow_age':
      return;
    case 'features_request':
      return features(ctx, oc, msg);
    case 'get_config_request': {
      const flags =
        msg.version < OFP13_VERSION && invalidTtlToController(oc) ? OFPC_INVALID_TTL_TO_CONTROLLER : 0;
      return reply(oc, msg, { type: 'get_config_reply', flags, missSendLen: oc.missSendLen });
    }
    case 'set_config':
      // OpenFlow 1.0 (as an extension) to 1.2 carry OFPC_INVALID_TTL_TO_CONTROLLER; OVS keeps it in the
      // connection's async config (the primary role's packet-in reasons), as ofconn_set_invalid_ttl does.
      if (msg.version < OFP13_VERSION)
        setInvalidTtlToController(oc, (msg.flags & OFPC_INVALID_TTL_TO_CONTROLLER) !== 0);
      oc.missSendLen = msg.missSendLen;
      return;
    case 'nx_flow_monitor_request':
      if (!ctx.monitors) fail('OFPBRC_BAD_STAT', 'flow monitors are not available');
      return ctx.monitors.request(oc, msg);
    case 'nx_flow_monitor_cancel':
      if (!ctx.monitors) fail('OFPMOFC_UNKNOWN_MONITOR', `no monitor ${msg.id}`);
      return ctx.monitors.cancel(oc, msg.id);
    case 'barrier_request':
      return reply(oc, msg, { type: 'barrier_reply' });
    case 'packet_out':
      return packetOut(ctx, oc, msg);
    case 'port_mod': {
      rejectSlave(oc);
      // OpenFlow 1.1+ has no NO_STP, NO_RECV_STP, NO_FLOOD: OVS keeps only the bits the version defines.
      const known = msg.version === OFP10_VERSION ? 0x7f : OFPPC11_ALL;
      ctx.sw.portMod(br, msg.portNo, msg.hwAddr, msg.config & known, msg.mask & known);
      return;
    }
    case 'flow_mod':
    case 'nx_flow_mod':
      return flowMod(ctx, oc, msg, raw);
    case 'group_mod':
      return groupMod(ctx, oc, msg);
    case 'table_mod':
      rejectSlave(oc);
      if (msg.tableId >= N_VISIBLE_TABLES && msg.tableId !== OFPTT_ALL)
        fail('OFPTMFC_BAD_TABLE', `no table ${msg.tableId}`);
      return;
    case 'role_request':
    case 'nx_role_request':
      return roleRequest(ctx, oc, msg);
    case 'nx_flow_mod_table_id':
      oc.flowModTableId = msg.enable;
      return;
    case 'nx_set_flow_format':
      if (msg.value !== NXFF_OPENFLOW10 && msg.value !== NXFF_NXM)
        fail('OFPBRC_EPERM', 'unknown flow format');
      oc.flowFormat = msg.value;
      return;
    case 'nx_set_packet_in_format':
      if (msg.value > NXPIF_NXT_PACKET_IN2) fail('OFPBRC_EPERM', 'unknown packet-in format');
      oc.packetInFormat = msg.value;
      return;
    case 'nx_set_controller_id':
      oc.controllerId = msg.value;
      return;
    case 'set_async':
    case 'nx_set_async_config':
      oc.async = decodeAsyncMasks(msg.version, [msg.packetInMask, msg.portStatusMask, msg.flowRemovedMask]);
      if (oc.type === 'service' && oc.missSendLen === 0) oc.missSendLen = DEFAULT_MISS_SEND_LEN;
      return;
    case 'get_async_request': {
      const [packetInMask, portStatusMask, flowRemovedMask] = encodeAsyncMasks(oc.async);
      return reply(oc, msg, { type: 'get_async_reply', packetInMask, portStatusMask, flowRemovedMask });
    }
    case 'desc_request':
      return reply(oc, msg, { type: 'desc_reply', flags: 0, desc: ctx.desc });
    case 'flow_stats_request':
    case 'nx_flow_stats_request':
      return flowStats(ctx, oc, msg);
    case 'aggregate_stats_request':
    case 'nx_aggregate_stats_request':
      return aggregateStats(ctx, oc, msg);
    case 'table_stats_request':
      return reply(oc, msg, { type: 'table_stats_reply', flags: 0, tables: tableStats(ctx, br) });
    case 'port_stats_request': {
      const port = msg.portNo === OFPP_NONE ? null : msg.portNo;
      const ports = ctx.sw.portStats(br, port);
      return multipart(oc, msg, ports, (part, flags) => ({ type: 'port_stats_reply', flags, ports: part }));
    }
    case 'queue_stats_request':
      return reply(oc, msg, { type: 'queue_stats_reply', flags: 0, queues: [] });
    case 'port_desc_request': {
      // OpenFlow 1.5 may ask for one port.
      const one = msg.portNo !== undefined && msg.portNo !== OFPP_NONE ? msg.portNo : null;
      const ports = ctx.sw
        .ports(br)
        .filter((p) => one === null || p.portNo === one)
        .map((p) => portFor(p, msg.version));
      return multipart(oc, msg, ports, (part, flags) => ({ type: 'port_desc_reply', flags, ports: part }));
    }
    case 'table_features_request': {
      // Changing table features is not supported: a request with tables gets OVS's answer for that.
      if (msg.tables.length > 0) fail('OFPTFFC_EPERM', 'table features cannot be changed');
      const names = new Map<number, string>();
      for (const t of ctx.sw.tableStats(br)) if (t.name) names.set(t.tableId, t.name);
      const tables = tableFeatures(N_VISIBLE_TABLES, names);
      return multipart(oc, msg, tables, (part, flags) => ({
        type: 'table_features_reply',
        flags,
        tables: part,
      }));
    }
    case 'group_stats_request':
      return groupStats(ctx, oc, msg);
    case 'group_desc_request':
      return groupDesc(ctx, oc, msg);
    case 'group_features_request':
      return reply(oc, msg, {
        type: 'group_features_reply',
        flags: 0,
        features: {
          types: 0xf,
          capabilities: 0x7,
          maxGroups: [0xffffff00, 0xffffff00, 0xffffff00, 0xffffff00],
          actions: [0x03ff8001, 0x03ff8001, 0x03ff8001, 0x03ff8001],
        },
      });
    default:
      if (handleExtMessage(ctx, oc, msg, raw)) return;
      fail(STATS_REQUESTS.has(msg.type) ? 'OFPBRC_BAD_STAT' : 'OFPBRC_BAD_TYPE', `unhandled ${msg.type}`);
  }
}

/** OFPC_INVALID_TTL_TO_CONTROLLER: the switch-config flag asking for packet-ins on an invalid TTL. */
const OFPC_INVALID_TTL_TO_CONTROLLER = 4;
const INVALID_TTL_BIT = 1 << OFPR_INVALID_TTL;

function invalidTtlToController(oc: Ofconn): boolean {
  return (oc.async.primary[0] & INVALID_TTL_BIT) !== 0;
}

function setInvalidTtlToController(oc: Ofconn, on: boolean): void {
  const ac = oc.async;
  const pin = on ? ac.primary[0] | INVALID_TTL_BIT : ac.primary[0] & ~INVALID_TTL_BIT;
  if (pin === ac.primary[0]) return;
  oc.async = { primary: [pin >>> 0, ac.primary[1], ac.primary[2]], secondary: [...ac.secondary] };
}

/** OpenFlow 1.0's port feature bits from the 1.1+ (netdev) layout: speeds stay, medium/pause bits move. */
function features10(f: number): number {
  return (f & 0x7f) | ((f & 0xf800) >>> 4);
}

/**
 * A port as `version` shows it. The switch reports OpenFlow 1.1+ bits (OVS's netdev features; state
 * LINK_DOWN/BLOCKED/LIVE); OpenFlow 1.0 has other feature bits and only LINK_DOWN and the STP states.
 */
export function portFor(p: PhyPort, version: number): PhyPort {
  if (version !== OFP10_VERSION) return p;
  return {
    ...p,
    state: p.state & 0x301,
    curr: features10(p.curr),
    advertised: features10(p.advertised),
    supported: features10(p.supported),
    peer: features10(p.peer),
  };
}

function features(ctx: HandlerContext, oc: Ofconn, msg: OfMessage): void {
  const v10 = msg.version === OFP10_VERSION;
  reply(oc, msg, {
    type: 'features_reply',
    datapathId: ctx.sw.datapathId(oc.bridge),
    nBuffers: 0,
    nTables: N_VISIBLE_TABLES,
    auxiliaryId: 0,
    // FLOW_STATS TABLE_STATS PORT_STATS QUEUE_STATS, plus ARP_MATCH_IP (1.0) or GROUP_STATS (1.1+), plus
    // BUNDLES (1.4+).
    capabilities: v10 ? 0xc7 : msg.version >= OFP14_VERSION ? 0x24f : 0x4f,
    actions: v10 ? 0xfff : 0,
    ports: v10 ? ctx.sw.ports(oc.bridge).map((p) => portFor(p, msg.version)) : [],
  });
}

function packetOut(ctx: HandlerContext, oc: Ofconn, msg: OfMessage & { type: 'packet_out' }): void {
  rejectSlave(oc);
  if (
    msg.inPort >= OFPP_MAX &&
    msg.inPort !== OFPP_LOCAL &&
    msg.inPort !== OFPP_NONE &&
    msg.inPort !== OFPP_CONTROLLER
  )
    fail('OFPBRC_BAD_PORT', `packet-out in_port ${msg.inPort}`);
  if (msg.bufferId !== NO_BUFFER) fail('OFPBRC_BUFFER_UNKNOWN', `no buffer ${msg.bufferId}`);
  const actions = ctx.convert.actionsFromWire(msg.actions, msg.version);
  ctx.sw.packetOut(oc.bridge, msg.inPort, actions, msg.data);
}

/** OFPFF_* bits a version may carry (1.0: send_flow_rem, check_overlap, emerg; 1.3 adds the counters). */
function flowModFlags(raw: number, version: number, command: number, idle: number, hard: number): number {
  const known = version === OFP10_VERSION ? 0x7 : 0x1f;
  if (raw & ~known) fail('OFPFMFC_BAD_FLAGS', `flags 0x${raw.toString(16)}`);
  if (version === OFP10_VERSION && raw & 0x4) {
    fail(
      idle || hard ? 'OFPFMFC_BAD_EMERG_TIMEOUT' : 'OFPFMFC_TABLE_FULL',
      'emergency flows are not supported',
    );
  }
  // OpenFlow 1.0/1.1 "check overlap" is meaningful only for adds; RULE_* flags share the 1.3 bit values.
  return version === OFP10_VERSION && command !== 0 ? raw & 0x1 : raw;
}

/** OFPFW10_ALL: every wildcard bit of an ofp10_match. */
const OFPFW10_ALL = (1 << 22) - 1;

/** Whether an OpenFlow 1.0 flow_mod's match (at offset 8 of the message) wildcards nothing. */
function of10ExactMatch(raw: Uint8Array): boolean {
  if (raw.length < 12) return false;
  const wildcards = ((raw[8] << 24) | (raw[9] << 16) | (raw[10] << 8) | raw[11]) >>> 0;
  return (wildcards & OFPFW10_ALL) === 0;
}

function flowMod(
  ctx: HandlerContext,
  oc: Ofconn,
  msg: OfMessage & { type: 'flow_mod' | 'nx_flow_mod' },
  raw: Uint8Array,
): void {
  rejectSlave(oc);
  ctx.sw.flowMod(oc.bridge, flowModRequest(ctx, oc, msg, raw));
  if (msg.bufferId !== NO_BUFFER) fail('OFPBRC_BUFFER_UNKNOWN', `no buffer ${msg.bufferId}`);
}

/** A decoded flow_mod in the switch's terms, checked as OVS checks it (throws OfpError). */
export function flowModRequest(
  ctx: HandlerContext,
  oc: Ofconn,
  msg: OfMessage & { type: 'flow_mod' | 'nx_flow_mod' },
  raw: Uint8Array,
): FlowModRequest {
  const v10 = msg.version === OFP10_VERSION;
  let command = msg.command;
  let tableId = msg.tableId;
  if (v10 && !oc.flowModTableId) {
    // Without NXT_FLOW_MOD_TABLE_ID the whole 16 bits are the command, and every table is meant.
    command = (msg.tableId << 8) | msg.command;
    tableId = OFPTT_ALL;
  }
  if (command > 4) fail('OFPFMFC_BAD_COMMAND', `flow_mod command ${command}`);
  const del = command === 3 || command === 4;
  if (!v10 && tableId === OFPTT_ALL && !del) fail('OFPFMFC_BAD_TABLE_ID', 'table 255 outside a delete');
  // Table 254 holds the switch's hidden rules: read-only, as in OVS.
  if (tableId === N_VISIBLE_TABLES) fail('OFPBRC_EPERM', 'table 254 is read-only');
  const add = command === 0;
  if (msg.type === 'nx_flow_mod' && add && msg.cookieMask !== 0n)
    fail('NXBRC_NXM_INVALID', 'cookie mask on add');
  // Which rules a modify/delete selects by cookie, and what cookie an add (or a 1.0 modify) gives them.
  const select = v10 ? msg.cookieMask !== 0n : !add;
  const newCookie = v10 ? (select ? null : msg.cookie) : add ? msg.cookie : null;
  const match = ctx.convert.matchFromWire(msg.match, { strict: !(v10 && msg.type === 'flow_mod') });
  const actions = ctx.convert.instructionsFromWire(msg.instructions, msg.version);
  const flags = flowModFlags(msg.flags, msg.version, command, msg.idleTimeout, msg.hardTimeout);
  return {
    command: FLOW_MOD_COMMANDS[command],
    tableId,
    // An OpenFlow 1.0 match without wildcards is an exact-match flow: priority 65535, as OVS decodes it.
    priority: v10 && msg.type === 'flow_mod' && of10ExactMatch(raw) ? 0xffff : msg.priority,
    match,
    actions,
    cookie: select ? msg.cookie : 0n,
    cookieMask: select ? msg.cookieMask : 0n,
    newCookie,
    idleTimeout: msg.idleTimeout,
    hardTimeout: msg.hardTimeout,
    // Flow importance exists from OpenFlow 1.4 on (OVS ignores it before, and in modifies).
    importance: msg.version >= OFP14_VERSION && add ? msg.importance : 0,
    flags,
    outPort: msg.outPort,
    outGroup: del && !v10 ? msg.outGroup : 0xffffffff,
    bufferId: msg.bufferId,
  };
}

function groupMod(ctx: HandlerContext, oc: Ofconn, msg: OfMessage & { type: 'group_mod' }): void {
  rejectSlave(oc);
  ctx.sw.groupMod(oc.bridge, groupModRequest(ctx, oc, msg));
}

/** OFPGC15_INSERT_BUCKET / OFPGC15_REMOVE_BUCKET and the special bucket ids they take. */
const OFPGC15_INSERT_BUCKET = 3;
const OFPGC15_REMOVE_BUCKET = 5;
const OFPG15_BUCKET_FIRST = 0xfffffffd;
const OFPG15_BUCKET_LAST = 0xfffffffe;
const OFPG15_BUCKET_ALL = 0xffffffff;

/**
 * A decoded group_mod in the switch's terms (throws OfpError). OpenFlow 1.5's insert_bucket and
 * remove_bucket become a modify of the group's bucket list; buckets are identified by position.
 */
export function groupModRequest(
  ctx: HandlerContext,
  oc: Ofconn,
  msg: OfMessage & { type: 'group_mod' },
): GroupModRequest {
  const type = GROUP_TYPES[msg.groupType];
  if (type === undefined) fail('OFPGMFC_BAD_TYPE', `group type ${msg.groupType}`);
  const buckets = msg.buckets.map((b) => ({
    weight: b.weight,
    watchPort: b.watchPort,
    watchGroup: b.watchGroup,
    actions: ctx.convert.actionsFromWire(b.actions, msg.version),
  }));
  if (
    msg.version >= OFP15_VERSION &&
    (msg.command === OFPGC15_INSERT_BUCKET || msg.command === OFPGC15_REMOVE_BUCKET)
  ) {
    const [g] = ctx.sw.groups(oc.bridge, msg.groupId);
    if (g === undefined) fail('OFPGMFC_UNKNOWN_GROUP', `no group ${msg.groupId}`);
    const list: GroupModRequest['buckets'][number][] = g.buckets.map((b) => ({
      weight: b.weight,
      watchPort: b.watchPort,
      watchGroup: b.watchGroup,
      actions: b.actions,
    }));
    const id = msg.commandBucketId ?? OFPG15_BUCKET_ALL;
    const at = id === OFPG15_BUCKET_FIRST ? 0 : id === OFPG15_BUCKET_LAST ? list.length : id;
    if (msg.command === OFPGC15_INSERT_BUCKET) {
      if (id === OFPG15_BUCKET_ALL || at > list.length) fail('OFPGMFC_UNKNOWN_BUCKET', `bucket ${id}`);
      list.splice(at, 0, ...buckets);
    } else if (id === OFPG15_BUCKET_ALL) list.length = 0;
    else {
      const idx = id === OFPG15_BUCKET_LAST ? list.length - 1 : at;
      if (idx < 0 || idx >= list.length) fail('OFPGMFC_UNKNOWN_BUCKET', `bucket ${id}`);
      list.splice(idx, 1);
    }
    return { command: 'modify', groupId: msg.groupId, type: g.type, buckets: list };
  }
  const command = GROUP_COMMANDS[msg.command];
  if (command === undefined) fail('OFPGMFC_BAD_COMMAND', `group_mod command ${msg.command}`);
  return { command, groupId: msg.groupId, type, buckets };
}

function roleRequest(ctx: HandlerContext, oc: Ofconn, msg: OfMessage & (RoleMsg | NxRoleMsg)): void {
  const nx = msg.type === 'nx_role_request';
  if (msg.role > (nx ? 2 : 3)) fail('OFPRRFC_BAD_ROLE', `role ${msg.role}`);
  const role = nx ? msg.role + 1 : msg.role;
  if (role !== ROLE_NOCHANGE) {
    if (msg.type === 'role_request' && role !== ROLE_EQUAL) {
      const current = ctx.generationId(oc.bridge);
      const id = msg.generationId;
      if (current !== null && BigInt.asIntN(64, id - current) < 0n)
        fail('OFPRRFC_STALE', 'stale generation id');
      ctx.setGenerationId(oc.bridge, id);
    }
    if (role === ROLE_MASTER && oc.role !== ROLE_MASTER) {
      for (const other of ctx.connections(oc.bridge)) {
        if (other.role !== ROLE_MASTER) continue;
        other.role = ROLE_SLAVE;
        sendRoleStatus(other, ROLE_SLAVE, ctx.generationId(oc.bridge));
      }
    }
    oc.role = role;
  }
  if (nx) {
    reply(oc, msg, { type: 'nx_role_reply', role: oc.role - 1 });
    return;
  }
  const gen = ctx.generationId(oc.bridge);
  reply(oc, msg, { type: 'role_reply', role: oc.role, generationId: gen ?? 0xffffffffffffffffn });
}

/** OFPT_ROLE_STATUS of OpenFlow 1.4+. */
const OFPT14_ROLE_STATUS = 30;
/** ONFT13_ROLE_STATUS: the ONF experimenter message subtype OVS uses for role status in OpenFlow 1.3. */
const ONFT13_ROLE_STATUS = 1911;

/**
 * Tells a demoted master its new role (ofconn_send_role_status, reason OFPCRR_PRIMARY_REQUEST): in
 * OpenFlow 1.3 as the ONF extension message, nothing before 1.3. Built here as the codec has no type for it.
 */
function sendRoleStatus(oc: Ofconn, role: number, generationId: bigint | null): void {
  if (oc.version < OFP13_VERSION || oc.conn.isClosed) return;
  // OpenFlow 1.4 made it a standard message, OFPT_ROLE_STATUS (30).
  const v14 = oc.version >= OFP14_VERSION;
  const msg = buildMessage(oc.version, v14 ? OFPT14_ROLE_STATUS : OFPT_VENDOR, 0, (w) => {
    if (!v14) w.u32(ONF_VENDOR_ID).u32(ONFT13_ROLE_STATUS);
    w.u32(role).u8(0).zeros(3);
    w.u64(generationId ?? 0xffffffffffffffffn);
  });
  oc.conn.sendRaw(msg);
}

type FlowStatsRequestMsg = OfMessage & FlowStatsRequest;

function queryOf(ctx: HandlerContext, m: FlowStatsRequestMsg): FlowQuery {
  return {
    tableId: m.tableId,
    match: ctx.convert.matchFromWire(m.match, {
      strict: m.version !== OFP10_VERSION || m.type.startsWith('nx_'),
    }),
    strict: false,
    priority: 0,
    cookie: m.cookie,
    cookieMask: m.cookieMask,
    outPort: m.outPort,
    outGroup: m.version === OFP10_VERSION ? 0xffffffff : m.outGroup,
  };
}

/** One rule as a flow-stats entry; `matchVersion` 0 for an NXM (Nicira) reply. */
function flowEntry(ctx: HandlerContext, r: RuleView, version: number, matchVersion: number): FlowStatsEntry {
  const ms = Math.max(0, r.durationMs);
  return {
    tableId: r.tableId,
    durationSec: Math.floor(ms / 1000),
    durationNsec: Math.floor(ms % 1000) * 1_000_000,
    priority: r.priority,
    idleTimeout: r.idleTimeout,
    hardTimeout: r.hardTimeout,
    flags: version === OFP10_VERSION ? 0 : r.flags & 0x1f,
    importance: r.importance,
    // Nicira ages go on the wire plus one (0 = unknown), as OVS encodes them.
    idleAge: Math.min(0xffff, Math.floor(Math.max(0, r.idleAgeMs) / 1000) + 1),
    hardAge: Math.min(0xffff, Math.floor(Math.max(0, r.hardAgeMs) / 1000) + 1),
    cookie: r.cookie,
    packetCount: BigInt(r.packets),
    byteCount: BigInt(r.bytes),
    match: ctx.convert.matchToWire(r.match, matchVersion),
    instructions: ctx.convert.instructionsToWire(r.actions, version, { match: r.match }),
  };
}

function flowStats(ctx: HandlerContext, oc: Ofconn, msg: FlowStatsRequestMsg): void {
  const rules = ctx.sw.flowStats(oc.bridge, queryOf(ctx, msg));
  const nx = msg.type === 'nx_flow_stats_request';
  const flows = rules.map((r) => flowEntry(ctx, r, msg.version, nx ? 0 : msg.version));
  const type = nx ? 'nx_flow_stats_reply' : 'flow_stats_reply';
  multipart(oc, msg, flows, (part, flags) => ({ type, flags, flows: part }));
}

function aggregateStats(ctx: HandlerContext, oc: Ofconn, msg: FlowStatsRequestMsg): void {
  const rules = ctx.sw.flowStats(oc.bridge, queryOf(ctx, msg));
  let packets = 0n;
  let bytes = 0n;
  for (const r of rules) {
    packets += BigInt(r.packets);
    bytes += BigInt(r.bytes);
  }
  const type =
    msg.type === 'nx_aggregate_stats_request' ? 'nx_aggregate_stats_reply' : 'aggregate_stats_reply';
  reply(oc, msg, { type, flags: 0, packetCount: packets, byteCount: bytes, flowCount: rules.length });
}

/** Table statistics for tables 0..253 (those the switch does not report are empty). */
function tableStats(ctx: HandlerContext, bridge: string): TableStats[] {
  const views = new Map(ctx.sw.tableStats(bridge).map((t) => [t.tableId, t]));
  const out: TableStats[] = [];
  for (let id = 0; id < N_VISIBLE_TABLES; id++) {
    const t = views.get(id);
    out.push({
      tableId: id,
      name: t?.name ?? '',
      wildcards: 0x3fffff,
      maxEntries: 1000000,
      activeCount: t?.active ?? 0,
      lookupCount: BigInt(t?.lookups ?? 0),
      matchedCount: BigInt(t?.matched ?? 0),
    });
  }
  return out;
}

function groupStats(ctx: HandlerContext, oc: Ofconn, msg: OfMessage & { type: 'group_stats_request' }): void {
  const groups = ctx.sw.groups(oc.bridge, msg.groupId === OFPG_ALL ? null : msg.groupId);
  const stats: GroupStats[] = groups.map((g) => ({
    groupId: g.groupId,
    refCount: g.refCount,
    packetCount: BigInt(g.packets),
    byteCount: BigInt(g.bytes),
    durationSec: Math.floor(g.durationMs / 1000),
    durationNsec: Math.floor(g.durationMs % 1000) * 1_000_000,
    buckets: g.buckets.map((b) => ({ packetCount: BigInt(b.packets), byteCount: BigInt(b.bytes) })),
  }));
  multipart(oc, msg, stats, (part, flags) => ({ type: 'group_stats_reply', flags, groups: part }));
}

function groupDesc(ctx: HandlerContext, oc: Ofconn, msg: OfMessage & StatsEmptyRequest): void {
  // OpenFlow 1.5 may ask for one group (OFPG_ALL: all).
  const one = msg.groupId !== undefined && msg.groupId !== OFPG_ALL ? msg.groupId : null;
  const descs: GroupDesc[] = ctx.sw.groups(oc.bridge, one).map((g) => ({
    groupType: GROUP_TYPES.indexOf(g.type),
    groupId: g.groupId,
    buckets: g.buckets.map((b) => ({
      weight: b.weight,
      watchPort: b.watchPort,
      watchGroup: b.watchGroup,
      actions: ctx.convert.actionsToWire(b.actions, msg.version),
    })),
  }));
  multipart(oc, msg, descs, (part, flags) => ({ type: 'group_desc_reply', flags, groups: part }));
}

/**
 * Sends `entries` as one or more replies of at most 64 KiB, every part but the last flagged
 * OFPSF_REPLY_MORE: an entry that would overflow a message starts the next one (ofpmp_postappend).
 */
export function multipart<T>(
  oc: Ofconn,
  req: OfMessage,
  entries: readonly T[],
  make: (part: T[], flags: number) => OfBody,
): void {
  for (const part of splitEntries(req, entries, make)) reply(oc, req, part);
}

/** The reply bodies `multipart` sends (exported for tests). */
export function splitEntries<T>(
  req: OfMessage,
  entries: readonly T[],
  make: (part: T[], flags: number) => OfBody,
): OfBody[] {
  // Sized by encoding in one reused writer, the header fields set in place (make() gives a new body each
  // time): a copy of each body, and a buffer per entry, made dumping 100,000 flows several times slower.
  const w = new Writer(1024);
  const size = (part: T[]) => {
    const m = make(part, 0) as OfBody & { version: number; xid: number };
    m.version = req.version;
    m.xid = req.xid;
    return encodeMessageIn(w, m as OfMessage).length;
  };
  const empty = size([]);
  const parts: T[][] = [];
  let current: T[] = [];
  let len = empty;
  for (const e of entries) {
    const n = size([e]) - empty;
    if (current.length > 0 && len + n > OFP_MAX_MSG_LEN) {
      parts.push(current);
      current = [];
      len = empty;
    }
    current.push(e);
    len += n;
  }
  parts.push(current);
  return parts.map((p, i) => make(p, i < parts.length - 1 ? OFPSF_REPLY_MORE : 0));
}
