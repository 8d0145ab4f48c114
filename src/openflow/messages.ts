// OpenFlow messages: one typed union for OpenFlow 1.0 and 1.3 (plus the Nicira extensions ovs-ofctl uses),
// decodeMessage() from the bytes of one framed message and encodeMessage() back.
//
// Every message carries `version` and `xid`; `type` names the message the way Open vSwitch's ofp-msgs.h
// does (flow_mod, nx_flow_mod, flow_stats_request, nx_flow_stats_reply ...). Statistics (1.0) and
// multipart (1.3) messages have one type per kind and carry the OFPSF_* `flags`.
//
// decodeMessage() never throws anything but OfpError, whose `code` is the error to reply with:
// OFPBRC_BAD_VERSION (a version other than 1.0/1.3 for anything but hello/error/echo), OFPBRC_BAD_TYPE,
// OFPBRC_BAD_STAT, OFPBRC_BAD_VENDOR, OFPBRC_BAD_SUBTYPE, OFPBRC_BAD_LEN, and the OFPBMC_*/OFPBAC_*/OFPBIC_*
// errors of matches, actions and instructions. errorReply() turns such an error into the reply.
import {
  decodeActionList,
  decodeInstructions,
  encodeActionList,
  encodeInstructions,
  FLOW_ACTIONS,
  type Instruction,
  OFPP_NONE,
  type OfAction,
  portFromOf11,
  portToOf11,
} from './messages-actions.js';
import {
  type BundleAdd,
  type BundleControl,
  decodeBundleAdd,
  decodeBundleControl,
  decodeMeterConfig,
  decodeMeterFeatures,
  decodeMeterMod,
  decodeMeterStats,
  decodeQueueDescReply,
  decodeQueueDescRequest,
  decodeQueueGetConfigReply,
  decodeQueueGetConfigRequest,
  encodeBundleAdd,
  encodeBundleControl,
  encodeMeterConfig,
  encodeMeterFeatures,
  encodeMeterMod,
  encodeMeterStats,
  encodeQueueGetConfigReply,
  encodeQueueGetConfigRequest,
  type MeterConfig,
  type MeterFeatures,
  type MeterMod,
  type MeterStats,
  ONFT13_BUNDLE_ADD_MESSAGE,
  ONFT13_BUNDLE_CONTROL,
  type QueueGetConfigReply,
  type QueueGetConfigRequest,
} from './messages-ext.js';
import {
  decodeFlowMonitorRequests,
  decodeFlowUpdates,
  encodeFlowMonitorRequests,
  encodeFlowUpdates,
  type FlowMonitorBody,
  NXST_FLOW_MONITOR,
  NXT_FLOW_MONITOR_CANCEL,
  NXT_FLOW_MONITOR_PAUSED,
  NXT_FLOW_MONITOR_RESUMED,
} from './messages-monitor.js';
import {
  decodeBuckets15,
  decodeFlowStats15,
  decodeGroupDesc15,
  decodeOxs,
  decodePort14,
  decodePortMod14,
  decodePortStats14,
  decodePorts14,
  decodeQueueStats14,
  encodeBuckets15,
  encodeFlowStats15,
  encodeGroupDesc15,
  encodeOxs,
  encodePort14,
  encodePortMod14,
  encodePortStats14,
  encodeQueueStats14,
  readProps,
  writeProp,
} from './messages-of14.js';
import {
  decodePort,
  decodePortStats,
  decodePorts,
  encodePort,
  encodePortStats,
  type PhyPort,
  type PortStats,
  portLen,
  portStatsLen,
} from './messages-ports.js';
import {
  actionsOf,
  asInstructions,
  type Bucket,
  decodeBuckets,
  decodeDesc,
  decodeFlowStats,
  decodeGroupDesc,
  decodeGroupFeatures,
  decodeGroupStats,
  decodeNxFlowStats,
  decodeQueueStats,
  decodeTableFeatures,
  decodeTableStats,
  encodeBuckets,
  encodeDesc,
  encodeFlowStats,
  encodeGroupDesc,
  encodeGroupFeatures,
  encodeGroupStats,
  encodeNxFlowStats,
  encodeQueueStats,
  encodeTableFeatures,
  encodeTableStats,
  type FlowStatsEntry,
  type GroupDesc,
  type GroupFeatures,
  type GroupStats,
  type QueueStats,
  queueStatsLen,
  type SwitchDesc,
  type TableFeatures,
  type TableStats,
  tableStatsLen,
} from './messages-stats.js';
import {
  decodeNxMatch,
  decodeOxmMatch,
  decodeTlvs,
  encodeNxMatch,
  encodeOxmMatch,
  encodeTlvs,
  type MatchEntry,
} from './oxm.js';
import { decodeOf10Match, encodeOf10Match } from './oxm-of10.js';
import {
  buildMessage,
  buildMessageIn,
  OFP_HEADER_LEN,
  OFP_MAX_MSG_LEN,
  OFP10_VERSION,
  OFP11_VERSION,
  OFP12_VERSION,
  OFP13_VERSION,
  OFP14_VERSION,
  OFP15_VERSION,
  Reader,
  readHeader,
  type Writer,
} from './wire.js';
import {
  NX_VENDOR_ID,
  NXET_VENDOR,
  NXVC_VENDOR_ERROR,
  OFPET12_EXPERIMENTER,
  OfpError,
  type OfpErrorName,
  ONF_VENDOR_ID,
  ofpErrorFromTriplet,
  ofpErrorTriplet,
} from './wire-errors.js';

export type {
  Bucket,
  BundleAdd,
  BundleControl,
  FlowStatsEntry,
  GroupDesc,
  GroupFeatures,
  GroupStats,
  MeterConfig,
  MeterFeatures,
  MeterMod,
  MeterStats,
  PhyPort,
  PortStats,
  QueueGetConfigReply,
  QueueGetConfigRequest,
  QueueStats,
  SwitchDesc,
  TableFeatures,
  TableStats,
};

/** Versions whose messages this codec decodes in full (others: hello, error and echo only). */
export const SUPPORTED_VERSIONS: readonly number[] = [
  OFP10_VERSION,
  OFP13_VERSION,
  OFP14_VERSION,
  OFP15_VERSION,
];

/** OFPT_* numbers (1.0 where they differ, then 1.1+). */
export const OFPT_HELLO = 0;
export const OFPT_ERROR = 1;
export const OFPT_ECHO_REQUEST = 2;
export const OFPT_ECHO_REPLY = 3;
export const OFPT_VENDOR = 4;
export const OFPT_FEATURES_REQUEST = 5;
export const OFPT_FEATURES_REPLY = 6;
export const OFPT_GET_CONFIG_REQUEST = 7;
export const OFPT_GET_CONFIG_REPLY = 8;
export const OFPT_SET_CONFIG = 9;
export const OFPT_PACKET_IN = 10;
export const OFPT_FLOW_REMOVED = 11;
export const OFPT_PORT_STATUS = 12;
export const OFPT_PACKET_OUT = 13;
export const OFPT_FLOW_MOD = 14;
export const OFPT10_PORT_MOD = 15;
export const OFPT10_STATS_REQUEST = 16;
export const OFPT10_STATS_REPLY = 17;
export const OFPT10_BARRIER_REQUEST = 18;
export const OFPT10_BARRIER_REPLY = 19;
export const OFPT11_GROUP_MOD = 15;
export const OFPT11_PORT_MOD = 16;
export const OFPT11_TABLE_MOD = 17;
export const OFPT11_MULTIPART_REQUEST = 18;
export const OFPT11_MULTIPART_REPLY = 19;
export const OFPT11_BARRIER_REQUEST = 20;
export const OFPT11_BARRIER_REPLY = 21;
export const OFPT12_ROLE_REQUEST = 24;
export const OFPT12_ROLE_REPLY = 25;
export const OFPT13_GET_ASYNC_REQUEST = 26;
export const OFPT13_GET_ASYNC_REPLY = 27;
export const OFPT13_SET_ASYNC = 28;
export const OFPT13_METER_MOD = 29;
export const OFPT14_BUNDLE_CONTROL = 33;
export const OFPT14_BUNDLE_ADD_MESSAGE = 34;
export const OFPT10_QUEUE_GET_CONFIG_REQUEST = 20;
export const OFPT10_QUEUE_GET_CONFIG_REPLY = 21;
export const OFPT11_QUEUE_GET_CONFIG_REQUEST = 22;
export const OFPT11_QUEUE_GET_CONFIG_REPLY = 23;

/** Statistics / multipart kinds. */
export const OFPST_DESC = 0;
export const OFPST_FLOW = 1;
export const OFPST_AGGREGATE = 2;
export const OFPST_TABLE = 3;
export const OFPST_PORT = 4;
export const OFPST_QUEUE = 5;
export const OFPST_GROUP = 6;
export const OFPST_GROUP_DESC = 7;
export const OFPST_GROUP_FEATURES = 8;
export const OFPST_METER = 9;
export const OFPST_METER_CONFIG = 10;
export const OFPST_METER_FEATURES = 11;
export const OFPST_TABLE_FEATURES = 12;
export const OFPST_PORT_DESC = 13;
export const OFPST_QUEUE_DESC = 15;
export const OFPST_VENDOR = 0xffff;
/** OFPSF_REPLY_MORE: more replies follow. */
export const OFPSF_REPLY_MORE = 1;

/** Nicira message and stats subtypes. */
export const NXT_ROLE_REQUEST = 10;
export const NXT_ROLE_REPLY = 11;
export const NXT_SET_FLOW_FORMAT = 12;
export const NXT_FLOW_MOD = 13;
export const NXT_FLOW_REMOVED = 14;
export const NXT_FLOW_MOD_TABLE_ID = 15;
export const NXT_SET_PACKET_IN_FORMAT = 16;
export const NXT_PACKET_IN = 17;
export const NXT_FLOW_AGE = 18;
export const NXT_SET_ASYNC_CONFIG = 19;
export const NXT_SET_CONTROLLER_ID = 20;
export const NXT_PACKET_IN2 = 30;
export const NXST_FLOW = 0;
export const NXST_AGGREGATE = 1;

/** NXT_SET_FLOW_FORMAT values. */
export const NXFF_OPENFLOW10 = 0;
export const NXFF_NXM = 2;
/** NXT_SET_PACKET_IN_FORMAT values. */
export const NXPIF_STANDARD = 0;
export const NXPIF_NXT_PACKET_IN = 1;
export const NXPIF_NXT_PACKET_IN2 = 2;

/** buffer_id meaning "no buffer": the frame is in the message. */
export const NO_BUFFER = 0xffffffff;
/** OFPG_ANY. */
export const OFPG_ANY = 0xffffffff;
/** OFPTT_ALL. */
export const OFPTT_ALL = 0xff;

// ---------------------------------------------------------------------------------------------------------
// The union.

/** A hello element: type 1 (OFPHET_VERSIONBITMAP) carries bitmaps; `data` is the element body. */
export interface HelloElement {
  type: number;
  data: Uint8Array;
}

export interface Hello {
  type: 'hello';
  elements: HelloElement[];
}

/**
 * OFPT_ERROR. `vendor` is 0 for a standard error; for a Nicira (or other vendor) error it is the vendor
 * id, sent as NXET_VENDOR + nx_vendor_error in OpenFlow 1.0/1.1 and as OFPET12_EXPERIMENTER (the vendor's
 * type in the code field) in 1.2+. `name` is Open vSwitch's name for it, or null if unknown.
 */
export interface ErrorMsg {
  type: 'error';
  vendor: number;
  errType: number;
  errCode: number;
  name: OfpErrorName | null;
  data: Uint8Array;
}

export interface Echo {
  type: 'echo_request' | 'echo_reply';
  data: Uint8Array;
}

/** Messages without a body. */
export interface Empty {
  type:
    | 'features_request'
    | 'get_config_request'
    | 'barrier_request'
    | 'barrier_reply'
    | 'get_async_request'
    | 'nx_flow_age';
}

/** OFPT_FEATURES_REPLY: ports in 1.0 only; `actions` is 1.0's action bitmap (reserved in 1.3). */
export interface FeaturesReply {
  type: 'features_reply';
  datapathId: bigint;
  nBuffers: number;
  nTables: number;
  auxiliaryId: number;
  capabilities: number;
  actions: number;
  ports: PhyPort[];
}

/** OFPT_GET_CONFIG_REPLY / OFPT_SET_CONFIG. */
export interface SwitchConfig {
  type: 'get_config_reply' | 'set_config';
  flags: number;
  missSendLen: number;
}

/**
 * OFPT_PACKET_IN. OpenFlow 1.0 has inPort; 1.3 has tableId, cookie and the pipeline fields as a match
 * (in_port_oxm ...). `data` is the frame (or its first bytes when bufferId is not NO_BUFFER).
 */
export interface PacketIn {
  type: 'packet_in';
  bufferId: number;
  totalLen: number;
  reason: number;
  inPort: number;
  tableId: number;
  cookie: bigint;
  match: MatchEntry[];
  data: Uint8Array;
}

/** NXT_PACKET_IN (Nicira packet-in with an NXM match). */
export interface NxPacketIn {
  type: 'nx_packet_in';
  bufferId: number;
  totalLen: number;
  reason: number;
  tableId: number;
  cookie: bigint;
  match: MatchEntry[];
  data: Uint8Array;
}

/** One NXT_PACKET_IN2 property (Open vSwitch writes packet, full_len, table_id, cookie, reason, metadata). */
export type PacketIn2Prop =
  | { kind: 'packet'; data: Uint8Array }
  | { kind: 'full_len' | 'buffer_id'; value: number }
  | { kind: 'table_id' | 'reason'; value: number }
  | { kind: 'cookie'; value: bigint }
  | { kind: 'metadata'; match: MatchEntry[] }
  | { kind: 'userdata'; data: Uint8Array }
  | { kind: 'continuation'; data: Uint8Array };

/** NXT_PACKET_IN2, what `ovs-ofctl monitor` asks for first: a list of properties. */
export interface NxPacketIn2 {
  type: 'nx_packet_in2';
  props: PacketIn2Prop[];
}

/** OFPT_FLOW_REMOVED (1.0 and 1.3) and NXT_FLOW_REMOVED. hardTimeout exists only in 1.3. */
export interface FlowRemoved {
  type: 'flow_removed' | 'nx_flow_removed';
  cookie: bigint;
  priority: number;
  reason: number;
  tableId: number;
  durationSec: number;
  durationNsec: number;
  idleTimeout: number;
  hardTimeout: number;
  packetCount: bigint;
  byteCount: bigint;
  match: MatchEntry[];
}

export interface PortStatus {
  type: 'port_status';
  reason: number;
  port: PhyPort;
}

/**
 * OFPT_PACKET_OUT: inPort in OpenFlow 1.0 numbering (OFPP_NONE / OFPP_CONTROLLER ...). OpenFlow 1.5 carries
 * a match instead (`match`, which must set in_port; encoded from inPort when absent).
 */
export interface PacketOut {
  type: 'packet_out';
  bufferId: number;
  inPort: number;
  actions: OfAction[];
  data: Uint8Array;
  match?: MatchEntry[];
}

/**
 * OFPT_FLOW_MOD and NXT_FLOW_MOD. The actions are instructions in every version: an OpenFlow 1.0 or Nicira
 * flow mod has [] or one apply_actions. In 1.0 and Nicira flow mods `tableId` is the high byte of the
 * command (the NXT_FLOW_MOD_TABLE_ID extension) and cookieMask comes from an NXM_NX_COOKIE match entry
 * (Nicira only). outPort is in OpenFlow 1.0 numbering (OFPP_NONE = any); outGroup is 1.3 only.
 */
export interface FlowMod {
  type: 'flow_mod' | 'nx_flow_mod';
  cookie: bigint;
  cookieMask: bigint;
  tableId: number;
  command: number;
  idleTimeout: number;
  hardTimeout: number;
  priority: number;
  bufferId: number;
  outPort: number;
  outGroup: number;
  flags: number;
  importance: number;
  match: MatchEntry[];
  instructions: Instruction[];
  /**
   * NXT_FLOW_MOD only, when it matches a cookie (cookieMask != 0): the header's cookie field, the cookie a
   * modified flow gets (Open vSwitch sends all-ones there for "keep the cookie"); 0 when absent.
   */
  newCookie?: bigint;
}

/** OFPT_PORT_MOD. */
export interface PortMod {
  type: 'port_mod';
  portNo: number;
  hwAddr: string;
  config: number;
  mask: number;
  advertise: number;
}

/** OFPT_GROUP_MOD (1.3; 1.5 adds insert/remove bucket commands and command_bucket_id). */
export interface GroupMod {
  type: 'group_mod';
  command: number;
  groupType: number;
  groupId: number;
  buckets: Bucket[];
  /** OpenFlow 1.5 only: the bucket an insert_bucket / remove_bucket command refers to. */
  commandBucketId?: number;
}

/** OFPT_TABLE_MOD (1.3). */
export interface TableMod {
  type: 'table_mod';
  tableId: number;
  config: number;
}

/** OFPT_ROLE_REQUEST / REPLY (1.3). */
export interface RoleMsg {
  type: 'role_request' | 'role_reply';
  role: number;
  generationId: bigint;
}

/** NXT_ROLE_REQUEST / REPLY. */
export interface NxRoleMsg {
  type: 'nx_role_request' | 'nx_role_reply';
  role: number;
}

/** OFPT_GET_ASYNC_REPLY / OFPT_SET_ASYNC (1.3) and NXT_SET_ASYNC_CONFIG: [primary/equal, secondary] masks. */
export interface AsyncConfig {
  type: 'get_async_reply' | 'set_async' | 'nx_set_async_config';
  packetInMask: [number, number];
  portStatusMask: [number, number];
  flowRemovedMask: [number, number];
}

/** Nicira one-integer messages: NXT_SET_FLOW_FORMAT, NXT_SET_PACKET_IN_FORMAT, NXT_SET_CONTROLLER_ID. */
export interface NxSetting {
  type: 'nx_set_flow_format' | 'nx_set_packet_in_format' | 'nx_set_controller_id';
  value: number;
}

/** NXT_FLOW_MOD_TABLE_ID. */
export interface NxFlowModTableId {
  type: 'nx_flow_mod_table_id';
  enable: boolean;
}

/** Multipart requests without a body. */
export interface StatsEmptyRequest {
  type:
    | 'desc_request'
    | 'table_stats_request'
    | 'port_desc_request'
    | 'group_desc_request'
    | 'group_features_request'
    | 'meter_features_request';
  flags: number;
  /** OpenFlow 1.5 group_desc_request: one group (OFPG_ALL = every one). */
  groupId?: number;
  /** OpenFlow 1.5 port_desc_request: one port (OFPP_NONE = every one). */
  portNo?: number;
}

/** OFPMP_METER / OFPMP_METER_CONFIG request. */
export interface MeterRequest {
  type: 'meter_stats_request' | 'meter_config_request';
  flags: number;
  meterId: number;
}

export interface MeterStatsReply {
  type: 'meter_stats_reply';
  flags: number;
  meters: MeterStats[];
}

export interface MeterConfigReply {
  type: 'meter_config_reply';
  flags: number;
  meters: MeterConfig[];
}

export interface MeterFeaturesReply {
  type: 'meter_features_reply';
  flags: number;
  features: MeterFeatures;
}

/** Flow / aggregate stats requests (1.0, 1.3 and Nicira). outPort in 1.0 numbering; NXM cookie in Nicira. */
export interface FlowStatsRequest {
  type:
    | 'flow_stats_request'
    | 'aggregate_stats_request'
    | 'nx_flow_stats_request'
    | 'nx_aggregate_stats_request';
  flags: number;
  tableId: number;
  outPort: number;
  outGroup: number;
  cookie: bigint;
  cookieMask: bigint;
  match: MatchEntry[];
}

export interface DescReply {
  type: 'desc_reply';
  flags: number;
  desc: SwitchDesc;
}

export interface FlowStatsReply {
  type: 'flow_stats_reply' | 'nx_flow_stats_reply';
  flags: number;
  flows: FlowStatsEntry[];
}

export interface AggregateStatsReply {
  type: 'aggregate_stats_reply' | 'nx_aggregate_stats_reply';
  flags: number;
  packetCount: bigint;
  byteCount: bigint;
  flowCount: number;
}

export interface TableStatsReply {
  type: 'table_stats_reply';
  flags: number;
  tables: TableStats[];
}

/** Port stats request: OFPP_NONE (1.0 numbering) for all ports. */
export interface PortStatsRequest {
  type: 'port_stats_request';
  flags: number;
  portNo: number;
}

export interface PortStatsReply {
  type: 'port_stats_reply';
  flags: number;
  ports: PortStats[];
}

export interface QueueStatsRequest {
  type: 'queue_stats_request';
  flags: number;
  portNo: number;
  queueId: number;
}

export interface QueueStatsReply {
  type: 'queue_stats_reply';
  flags: number;
  queues: QueueStats[];
}

export interface PortDescReply {
  type: 'port_desc_reply';
  flags: number;
  ports: PhyPort[];
}

export interface GroupStatsRequest {
  type: 'group_stats_request';
  flags: number;
  groupId: number;
}

export interface GroupStatsReply {
  type: 'group_stats_reply';
  flags: number;
  groups: GroupStats[];
}

export interface GroupDescReply {
  type: 'group_desc_reply';
  flags: number;
  groups: GroupDesc[];
}

export interface GroupFeaturesReply {
  type: 'group_features_reply';
  flags: number;
  features: GroupFeatures;
}

/** OFPMP_TABLE_FEATURES request (empty = just tell) or reply. */
export interface TableFeaturesMsg {
  type: 'table_features_request' | 'table_features_reply';
  flags: number;
  tables: TableFeatures[];
}

/** Every message body. */
export type OfBody =
  | Hello
  | ErrorMsg
  | Echo
  | Empty
  | FeaturesReply
  | SwitchConfig
  | PacketIn
  | NxPacketIn
  | NxPacketIn2
  | FlowRemoved
  | PortStatus
  | PacketOut
  | FlowMod
  | PortMod
  | GroupMod
  | TableMod
  | RoleMsg
  | NxRoleMsg
  | AsyncConfig
  | NxSetting
  | NxFlowModTableId
  | StatsEmptyRequest
  | FlowStatsRequest
  | DescReply
  | FlowStatsReply
  | AggregateStatsReply
  | TableStatsReply
  | PortStatsRequest
  | PortStatsReply
  | QueueStatsRequest
  | QueueStatsReply
  | PortDescReply
  | GroupStatsRequest
  | GroupStatsReply
  | GroupDescReply
  | GroupFeaturesReply
  | TableFeaturesMsg
  | BundleControl
  | BundleAdd
  | MeterMod
  | MeterRequest
  | MeterStatsReply
  | MeterConfigReply
  | MeterFeaturesReply
  | QueueGetConfigRequest
  | QueueGetConfigReply
  | FlowMonitorBody;

/** A message: a body plus the header's version and xid. */
export type OfMessage = OfBody & { version: number; xid: number };

/** The `type` strings of every message. */
export type OfMessageType = OfBody['type'];

// ---------------------------------------------------------------------------------------------------------
// Decoding.

function badLen(what: string, detail: string): never {
  throw new OfpError('OFPBRC_BAD_LEN', `${what}: ${detail}`);
}

/** Throws OFPBRC_BAD_LEN unless exactly `n` bytes remain. */
function exact(r: Reader, n: number, what: string): void {
  if (r.left !== n) badLen(what, `body of ${r.left} bytes, expected ${n}`);
}

function decodeHello(r: Reader): Hello {
  const elements: HelloElement[] = [];
  while (r.left >= 4) {
    const type = r.peek16(0);
    const len = r.peek16(2);
    const padded = (len + 7) & ~7;
    if (len < 4 || padded > r.left) break;
    const e = r.sub(padded);
    e.skip(4);
    elements.push({ type, data: e.bytes(len - 4) });
  }
  // Open vSwitch ignores what it cannot parse in a hello; keep it as an element of type -1 for round trips.
  if (r.left > 0) elements.push({ type: -1, data: r.rest() });
  return { type: 'hello', elements };
}

function decodeError(r: Reader, version: number): ErrorMsg {
  if (r.left < 4) badLen('error', 'shorter than ofp_error_msg');
  const t = r.u16();
  const c = r.u16();
  let vendor = 0;
  let errType = t;
  let errCode = c;
  if (t === NXET_VENDOR && c === NXVC_VENDOR_ERROR && r.left >= 8) {
    vendor = r.u32();
    errType = r.u16();
    errCode = r.u16();
  } else if (t === OFPET12_EXPERIMENTER && version >= OFP12_VERSION && r.left >= 4) {
    vendor = r.u32();
    errType = c;
    errCode = 0;
  }
  const name = ofpErrorFromTriplet(version, vendor, errType, errCode);
  return { type: 'error', vendor, errType, errCode, name, data: r.rest() };
}

function decodeFeaturesReply(r: Reader, version: number): FeaturesReply {
  if (r.left < 24) badLen('features_reply', 'shorter than ofp_switch_features');
  const datapathId = r.u64();
  const nBuffers = r.u32();
  const nTables = r.u8();
  const auxiliaryId = r.u8();
  r.skip(2);
  const capabilities = r.u32();
  const actions = r.u32();
  let ports: PhyPort[] = [];
  if (version === OFP10_VERSION) ports = decodePorts(r, version);
  else exact(r, 0, 'features_reply');
  return { type: 'features_reply', datapathId, nBuffers, nTables, auxiliaryId, capabilities, actions, ports };
}

function decodeSwitchConfig(r: Reader, type: SwitchConfig['type']): SwitchConfig {
  exact(r, 4, type);
  return { type, flags: r.u16(), missSendLen: r.u16() };
}

function decodePacketIn(r: Reader, version: number): PacketIn {
  if (version === OFP10_VERSION) {
    if (r.left < 10) badLen('packet_in', 'shorter than ofp10_packet_in');
    const bufferId = r.u32();
    const totalLen = r.u16();
    const inPort = r.u16();
    const reason = r.u8();
    r.skip(1);
    return {
      type: 'packet_in',
      bufferId,
      totalLen,
      reason,
      inPort,
      tableId: 0,
      cookie: 0n,
      match: [],
      data: r.rest(),
    };
  }
  if (r.left < 16) badLen('packet_in', 'shorter than ofp13_packet_in');
  const bufferId = r.u32();
  const totalLen = r.u16();
  const reason = r.u8();
  const tableId = r.u8();
  const cookie = r.u64();
  const match = decodeOxmMatch(r);
  r.skip(2);
  return {
    type: 'packet_in',
    bufferId,
    totalLen,
    reason,
    inPort: OFPP_NONE,
    tableId,
    cookie,
    match,
    data: r.rest(),
  };
}

function decodeNxPacketIn(r: Reader): NxPacketIn {
  if (r.left < 24) badLen('nx_packet_in', 'shorter than nx_packet_in');
  const bufferId = r.u32();
  const totalLen = r.u16();
  const reason = r.u8();
  const tableId = r.u8();
  const cookie = r.u64();
  const matchLen = r.u16();
  r.skip(6);
  const { entries } = decodeNxMatch(r, matchLen);
  r.skip(2);
  return {
    type: 'nx_packet_in',
    bufferId,
    totalLen,
    reason,
    tableId,
    cookie,
    match: entries,
    data: r.rest(),
  };
}

const PIN2_KINDS: PacketIn2Prop['kind'][] = [
  'packet',
  'full_len',
  'buffer_id',
  'table_id',
  'cookie',
  'reason',
  'metadata',
  'userdata',
  'continuation',
];

function decodeNxPacketIn2(r: Reader): NxPacketIn2 {
  const props: PacketIn2Prop[] = [];
  while (r.left > 0) {
    if (r.left < 4) throw new OfpError('OFPBPC_BAD_LEN', 'truncated property header');
    const type = r.peek16(0);
    const len = r.peek16(2);
    const padded = (len + 7) & ~7;
    if (len < 4 || padded > r.left) throw new OfpError('OFPBPC_BAD_LEN', `property length ${len}`);
    const all = r.sub(padded, 'OFPBPC_BAD_LEN', 'property');
    all.skip(4);
    const p = all.sub(len - 4, 'OFPBPC_BAD_LEN', 'property');
    const kind = PIN2_KINDS[type];
    const size = (n: number) => {
      if (p.left !== n) throw new OfpError('OFPBPC_BAD_LEN', `${kind} property of ${p.left} bytes`);
    };
    switch (kind) {
      case 'packet':
      case 'userdata':
      case 'continuation':
        props.push({ kind, data: p.rest() });
        break;
      case 'full_len':
      case 'buffer_id':
        size(4);
        props.push({ kind, value: p.u32() });
        break;
      case 'table_id':
      case 'reason':
        if (p.left < 1) throw new OfpError('OFPBPC_BAD_LEN', `${kind} property without a value`);
        props.push({ kind, value: p.u8() });
        break;
      case 'cookie':
        size(12);
        p.skip(4);
        props.push({ kind, value: p.u64() });
        break;
      case 'metadata':
        props.push({ kind, match: decodeTlvs(p, p.left).entries });
        break;
      default:
        throw new OfpError('OFPBPC_BAD_TYPE', `unknown NXT_PACKET_IN2 property ${type}`);
    }
  }
  return { type: 'nx_packet_in2', props };
}

function encodeNxPacketIn2(w: Writer, m: NxPacketIn2, version: number): void {
  for (const p of m.props) {
    const start = w.len;
    w.u16(PIN2_KINDS.indexOf(p.kind)).u16(0);
    switch (p.kind) {
      case 'packet':
      case 'userdata':
      case 'continuation':
        w.bytes(p.data);
        break;
      case 'full_len':
      case 'buffer_id':
        w.u32(p.value);
        break;
      case 'table_id':
      case 'reason':
        w.u8(p.value);
        break;
      case 'cookie':
        w.zeros(4).u64(p.value);
        break;
      case 'metadata':
        encodeTlvs(w, p.match, version);
        break;
    }
    w.set16(start + 2, w.len - start);
    w.pad8(start);
  }
}

function decodeFlowRemoved(r: Reader, version: number): FlowRemoved {
  if (version === OFP10_VERSION) {
    exact(r, 80, 'flow_removed');
    const match = decodeOf10Match(r);
    const cookie = r.u64();
    const priority = r.u16();
    const reason = r.u8();
    r.skip(1);
    const durationSec = r.u32();
    const durationNsec = r.u32();
    const idleTimeout = r.u16();
    r.skip(2);
    const packetCount = r.u64();
    const byteCount = r.u64();
    return {
      type: 'flow_removed',
      cookie,
      priority,
      reason,
      tableId: 0,
      durationSec,
      durationNsec,
      idleTimeout,
      hardTimeout: 0,
      packetCount,
      byteCount,
      match,
    };
  }
  if (version >= OFP15_VERSION) return decodeFlowRemoved15(r);
  if (r.left < 48) badLen('flow_removed', 'shorter than ofp11_flow_removed');
  const cookie = r.u64();
  const priority = r.u16();
  const reason = r.u8();
  const tableId = r.u8();
  const durationSec = r.u32();
  const durationNsec = r.u32();
  const idleTimeout = r.u16();
  const hardTimeout = r.u16();
  const packetCount = r.u64();
  const byteCount = r.u64();
  const match = decodeOxmMatch(r);
  exact(r, 0, 'flow_removed');
  return {
    type: 'flow_removed',
    cookie,
    priority,
    reason,
    tableId,
    durationSec,
    durationNsec,
    idleTimeout,
    hardTimeout,
    packetCount,
    byteCount,
    match,
  };
}

/** OpenFlow 1.5's flow_removed: ofp15_flow_removed, the match, then OXS counters. */
function decodeFlowRemoved15(r: Reader): FlowRemoved {
  if (r.left < 24) badLen('flow_removed', 'shorter than ofp15_flow_removed');
  const tableId = r.u8();
  const reason = r.u8();
  const priority = r.u16();
  const idleTimeout = r.u16();
  const hardTimeout = r.u16();
  const cookie = r.u64();
  const match = decodeOxmMatch(r);
  const s = decodeOxs(r);
  exact(r, 0, 'flow_removed');
  return {
    type: 'flow_removed',
    cookie,
    priority,
    reason,
    tableId,
    durationSec: s.durationSec ?? 0,
    durationNsec: s.durationNsec ?? 0,
    idleTimeout,
    hardTimeout,
    packetCount: s.packetCount ?? 0xffffffffffffffffn,
    byteCount: s.byteCount ?? 0xffffffffffffffffn,
    match,
  };
}

function decodeNxFlowRemoved(r: Reader): FlowRemoved {
  if (r.left < 40) badLen('nx_flow_removed', 'shorter than nx_flow_removed');
  const cookie = r.u64();
  const priority = r.u16();
  const reason = r.u8();
  const tableId = r.u8();
  const durationSec = r.u32();
  const durationNsec = r.u32();
  const idleTimeout = r.u16();
  const matchLen = r.u16();
  const packetCount = r.u64();
  const byteCount = r.u64();
  const { entries } = decodeNxMatch(r, matchLen);
  exact(r, 0, 'nx_flow_removed');
  return {
    type: 'nx_flow_removed',
    cookie,
    priority,
    reason,
    tableId,
    durationSec,
    durationNsec,
    idleTimeout,
    hardTimeout: 0,
    packetCount,
    byteCount,
    match: entries,
  };
}

function decodePortStatus(r: Reader, version: number): PortStatus {
  if (version >= OFP14_VERSION) {
    if (r.left < 8) badLen('port_status', 'shorter than ofp_port_status');
    const reason = r.u8();
    r.skip(7);
    const port = decodePort14(r);
    exact(r, 0, 'port_status');
    return { type: 'port_status', reason, port };
  }
  exact(r, 8 + portLen(version), 'port_status');
  const reason = r.u8();
  r.skip(7);
  return { type: 'port_status', reason, port: decodePort(r, version) };
}

function decodePacketOut(r: Reader, version: number): PacketOut {
  let bufferId: number;
  let inPort: number;
  let actionsLen: number;
  if (version >= OFP15_VERSION) {
    if (r.left < 8) badLen('packet_out', 'shorter than ofp15_packet_out');
    bufferId = r.u32();
    actionsLen = r.u16();
    r.skip(2);
    const match = decodeOxmMatch(r);
    const port = match.find((e) => e.field === 'in_port_oxm' && e.mask === null);
    if (!port) throw new OfpError('OFPBRC_BAD_PORT', 'packet_out match without in_port');
    const p = port.value;
    inPort = portFromOf11(((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0, 'OFPBRC_BAD_PORT');
    const actions = decodeActionList(r, actionsLen, version);
    return { type: 'packet_out', bufferId, inPort, actions, data: r.rest(), match };
  }
  if (version === OFP10_VERSION) {
    if (r.left < 8) badLen('packet_out', 'shorter than ofp10_packet_out');
    bufferId = r.u32();
    inPort = r.u16();
    actionsLen = r.u16();
  } else {
    if (r.left < 16) badLen('packet_out', 'shorter than ofp11_packet_out');
    bufferId = r.u32();
    inPort = portFromOf11(r.u32(), 'OFPBRC_BAD_PORT');
    actionsLen = r.u16();
    r.skip(6);
  }
  const actions = decodeActionList(r, actionsLen, version);
  return { type: 'packet_out', bufferId, inPort, actions, data: r.rest() };
}

function decodeFlowMod(r: Reader, version: number): FlowMod {
  if (version === OFP10_VERSION) {
    if (r.left < 64) badLen('flow_mod', 'shorter than ofp10_flow_mod');
    const match = decodeOf10Match(r);
    const cookie = r.u64();
    const command = r.u16();
    const idleTimeout = r.u16();
    const hardTimeout = r.u16();
    const priority = r.u16();
    const bufferId = r.u32();
    const outPort = r.u16();
    const flags = r.u16();
    const actions = decodeActionList(r, r.left, version, FLOW_ACTIONS);
    return {
      type: 'flow_mod',
      cookie,
      cookieMask: 0n,
      tableId: command >>> 8,
      command: command & 0xff,
      idleTimeout,
      hardTimeout,
      priority,
      bufferId,
      outPort,
      outGroup: OFPG_ANY,
      flags,
      importance: 0,
      match,
      instructions: asInstructions(actions),
    };
  }
  if (r.left < 48) badLen('flow_mod', 'shorter than ofp11_flow_mod');
  const cookie = r.u64();
  const cookieMask = r.u64();
  const tableId = r.u8();
  const command = r.u8();
  const idleTimeout = r.u16();
  const hardTimeout = r.u16();
  const priority = r.u16();
  const bufferId = r.u32();
  const outPort = portFromOf11(r.u32(), 'OFPBRC_BAD_PORT');
  const outGroup = r.u32();
  const flags = r.u16();
  const importance = r.u16();
  const match = decodeOxmMatch(r, { strict: true });
  const instructions = decodeInstructions(r, r.left, version);
  return {
    type: 'flow_mod',
    cookie,
    cookieMask,
    tableId,
    command,
    idleTimeout,
    hardTimeout,
    priority,
    bufferId,
    outPort,
    outGroup,
    flags,
    importance,
    match,
    instructions,
  };
}

function decodeNxFlowMod(r: Reader, version: number): FlowMod {
  if (r.left < 32) badLen('nx_flow_mod', 'shorter than nx_flow_mod');
  const cookie = r.u64();
  const command = r.u16();
  const idleTimeout = r.u16();
  const hardTimeout = r.u16();
  const priority = r.u16();
  const bufferId = r.u32();
  const outPort = r.u16();
  const flags = r.u16();
  const matchLen = r.u16();
  r.skip(6);
  const m = decodeNxMatch(r, matchLen, { allowCookie: true, strict: true });
  const actions = decodeActionList(r, r.left, version, FLOW_ACTIONS);
  return {
    type: 'nx_flow_mod',
    cookie: m.cookie ? m.cookie.value : cookie,
    cookieMask: m.cookie ? (m.cookie.mask ?? 0xffffffffffffffffn) : 0n,
    ...(m.cookie && cookie ? { newCookie: cookie } : {}),
    tableId: command >>> 8,
    command: command & 0xff,
    idleTimeout,
    hardTimeout,
    priority,
    bufferId,
    outPort,
    outGroup: OFPG_ANY,
    flags,
    importance: 0,
    match: m.entries,
    instructions: asInstructions(actions),
  };
}

function decodePortMod(r: Reader, version: number): PortMod {
  const hw = (x: Reader) => Array.from(x.bytes(6), (b) => b.toString(16).padStart(2, '0')).join(':');
  if (version === OFP10_VERSION) {
    exact(r, 24, 'port_mod');
    const portNo = r.u16();
    const hwAddr = hw(r);
    const config = r.u32();
    const mask = r.u32();
    const advertise = r.u32();
    return { type: 'port_mod', portNo, hwAddr, config, mask, advertise };
  }
  if (version >= OFP14_VERSION) return { type: 'port_mod', ...decodePortMod14(r) };
  exact(r, 32, 'port_mod');
  const portNo = portFromOf11(r.u32(), 'OFPBRC_BAD_PORT');
  r.skip(4);
  const hwAddr = hw(r);
  r.skip(2);
  const config = r.u32();
  const mask = r.u32();
  const advertise = r.u32();
  return { type: 'port_mod', portNo, hwAddr, config, mask, advertise };
}

/** OFPACPT_* property types (1.4+): [slave, master] pairs of packet_in, port_status, flow_removed. */
const ASYNC_PROPS = 6;

function decodeAsync(r: Reader, type: AsyncConfig['type'], version = OFP13_VERSION): AsyncConfig {
  if (version >= OFP14_VERSION && type !== 'nx_set_async_config') {
    const masks: [number, number][] = [
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    for (const p of readProps(r)) {
      if (p.type >= 12) {
        if (type === 'set_async') throw new OfpError('OFPBPC_BAD_TYPE', `async config property ${p.type}`);
        continue;
      }
      if (p.body.left !== 4) throw new OfpError('OFPBPC_BAD_LEN', `async config property ${p.type}`);
      const value = p.body.u32();
      // Even types are the slave mask (index 1 in 1.3's layout), odd ones the master/equal mask.
      if (p.type < ASYNC_PROPS) masks[p.type >> 1][(p.type & 1) ^ 1] = value;
    }
    return { type, packetInMask: masks[0], portStatusMask: masks[1], flowRemovedMask: masks[2] };
  }
  exact(r, 24, type);
  return {
    type,
    packetInMask: [r.u32(), r.u32()],
    portStatusMask: [r.u32(), r.u32()],
    flowRemovedMask: [r.u32(), r.u32()],
  };
}

/** An array of fixed-size entries filling the rest of `r`. */
function entries<T>(r: Reader, size: number, what: string, one: (r: Reader) => T): T[] {
  if (r.left % size !== 0) badLen(what, `${r.left} bytes is not a multiple of ${size}`);
  const out: T[] = [];
  while (r.left > 0) out.push(one(r));
  return out;
}

/** Entries each with their own 16-bit length, filling the rest of `r`. */
function varEntries<T>(r: Reader, one: (r: Reader) => T): T[] {
  const out: T[] = [];
  while (r.left > 0) out.push(one(r));
  return out;
}

function decodeFlowStatsRequest(
  r: Reader,
  version: number,
  type: FlowStatsRequest['type'],
  flags: number,
): FlowStatsRequest {
  if (version === OFP10_VERSION) {
    exact(r, 44, type);
    const match = decodeOf10Match(r);
    const tableId = r.u8();
    r.skip(1);
    const outPort = r.u16();
    return { type, flags, tableId, outPort, outGroup: OFPG_ANY, cookie: 0n, cookieMask: 0n, match };
  }
  if (r.left < 32) badLen(type, 'shorter than ofp11_flow_stats_request');
  const tableId = r.u8();
  r.skip(3);
  const outPort = portFromOf11(r.u32(), 'OFPBRC_BAD_PORT');
  const outGroup = r.u32();
  r.skip(4);
  const cookie = r.u64();
  const cookieMask = r.u64();
  const match = decodeOxmMatch(r, { strict: true });
  exact(r, 0, type);
  return { type, flags, tableId, outPort, outGroup, cookie, cookieMask, match };
}

function decodeNxFlowStatsRequest(
  r: Reader,
  type: FlowStatsRequest['type'],
  flags: number,
): FlowStatsRequest {
  if (r.left < 8) badLen(type, 'shorter than nx_flow_stats_request');
  const outPort = r.u16();
  const matchLen = r.u16();
  const tableId = r.u8();
  r.skip(3);
  const m = decodeNxMatch(r, matchLen, { allowCookie: true, strict: true });
  exact(r, 0, type);
  return {
    type,
    flags,
    tableId,
    outPort,
    outGroup: OFPG_ANY,
    cookie: m.cookie ? m.cookie.value : 0n,
    cookieMask: m.cookie ? (m.cookie.mask ?? 0xffffffffffffffffn) : 0n,
    match: m.entries,
  };
}

function decodeAggregateReply(
  r: Reader,
  type: AggregateStatsReply['type'],
  flags: number,
): AggregateStatsReply {
  exact(r, 24, type);
  const packetCount = r.u64();
  const byteCount = r.u64();
  const flowCount = r.u32();
  return { type, flags, packetCount, byteCount, flowCount };
}

/** Decodes the body of a statistics/multipart message (after its stats header). */
function decodeStats(r: Reader, version: number, request: boolean, kind: number, flags: number): OfBody {
  const empty = (type: StatsEmptyRequest['type']): StatsEmptyRequest => {
    exact(r, 0, type);
    return { type, flags };
  };
  const v13Only = () => {
    if (version === OFP10_VERSION)
      throw new OfpError('OFPBRC_BAD_STAT', `statistics type ${kind} in OpenFlow 1.0`);
  };
  const v14Only = () => {
    if (version < OFP14_VERSION)
      throw new OfpError('OFPBRC_BAD_STAT', `statistics type ${kind} before OpenFlow 1.4`);
  };
  const v15 = version >= OFP15_VERSION;
  if (request) {
    switch (kind) {
      case OFPST_DESC:
        return empty('desc_request');
      case OFPST_FLOW:
        return decodeFlowStatsRequest(r, version, 'flow_stats_request', flags);
      case OFPST_AGGREGATE:
        return decodeFlowStatsRequest(r, version, 'aggregate_stats_request', flags);
      case OFPST_TABLE:
        return empty('table_stats_request');
      case OFPST_PORT: {
        exact(r, 8, 'port_stats_request');
        const portNo = version === OFP10_VERSION ? r.u16() : portFromOf11(r.u32(), 'OFPBRC_BAD_PORT');
        return { type: 'port_stats_request', flags, portNo };
      }
      case OFPST_QUEUE: {
        exact(r, 8, 'queue_stats_request');
        let portNo: number;
        if (version === OFP10_VERSION) {
          portNo = r.u16();
          r.skip(2);
        } else portNo = portFromOf11(r.u32(), 'OFPBRC_BAD_PORT');
        return { type: 'queue_stats_request', flags, portNo, queueId: r.u32() };
      }
      case OFPST_GROUP:
        v13Only();
        exact(r, 8, 'group_stats_request');
        return { type: 'group_stats_request', flags, groupId: r.u32() };
      case OFPST_GROUP_DESC:
        v13Only();
        if (v15) {
          exact(r, 8, 'group_desc_request');
          return { type: 'group_desc_request', flags, groupId: r.u32() };
        }
        return empty('group_desc_request');
      case OFPST_GROUP_FEATURES:
        v13Only();
        return empty('group_features_request');
      case OFPST_TABLE_FEATURES:
        v13Only();
        return { type: 'table_features_request', flags, tables: varEntries(r, decodeTableFeatures) };
      case OFPST_PORT_DESC:
        if (v15) {
          exact(r, 8, 'port_desc_request');
          return { type: 'port_desc_request', flags, portNo: portFromOf11(r.u32(), 'OFPBRC_BAD_PORT') };
        }
        return empty('port_desc_request');
      case OFPST_METER:
      case OFPST_METER_CONFIG:
        v13Only();
        exact(r, 8, 'meter request');
        return {
          type: kind === OFPST_METER ? 'meter_stats_request' : 'meter_config_request',
          flags,
          meterId: r.u32(),
        };
      case OFPST_METER_FEATURES:
        v13Only();
        return empty('meter_features_request');
      case OFPST_QUEUE_DESC:
        v14Only();
        return decodeQueueDescRequest(r, flags);
    }
  } else {
    switch (kind) {
      case OFPST_DESC:
        exact(r, 1056, 'desc_reply');
        return { type: 'desc_reply', flags, desc: decodeDesc(r) };
      case OFPST_FLOW:
        return {
          type: 'flow_stats_reply',
          flags,
          flows: varEntries(r, (x) => (v15 ? decodeFlowStats15(x, version) : decodeFlowStats(x, version))),
        };
      case OFPST_AGGREGATE: {
        if (!v15) return decodeAggregateReply(r, 'aggregate_stats_reply', flags);
        const s = decodeOxs(r);
        exact(r, 0, 'aggregate_stats_reply');
        return {
          type: 'aggregate_stats_reply',
          flags,
          packetCount: s.packetCount ?? 0xffffffffffffffffn,
          byteCount: s.byteCount ?? 0xffffffffffffffffn,
          flowCount: s.flowCount ?? 0xffffffff,
        };
      }
      case OFPST_TABLE:
        return {
          type: 'table_stats_reply',
          flags,
          tables: entries(r, tableStatsLen(version), 'table_stats_reply', (x) =>
            decodeTableStats(x, version),
          ),
        };
      case OFPST_PORT:
        if (version >= OFP14_VERSION)
          return { type: 'port_stats_reply', flags, ports: varEntries(r, decodePortStats14) };
        return {
          type: 'port_stats_reply',
          flags,
          ports: entries(r, portStatsLen(version), 'port_stats_reply', (x) => decodePortStats(x, version)),
        };
      case OFPST_QUEUE:
        if (version >= OFP14_VERSION)
          return { type: 'queue_stats_reply', flags, queues: varEntries(r, decodeQueueStats14) };
        return {
          type: 'queue_stats_reply',
          flags,
          queues: entries(r, queueStatsLen(version), 'queue_stats_reply', (x) =>
            decodeQueueStats(x, version),
          ),
        };
      case OFPST_GROUP:
        v13Only();
        return { type: 'group_stats_reply', flags, groups: varEntries(r, decodeGroupStats) };
      case OFPST_GROUP_DESC:
        v13Only();
        return {
          type: 'group_desc_reply',
          flags,
          groups: varEntries(r, (x) => (v15 ? decodeGroupDesc15(x, version) : decodeGroupDesc(x, version))),
        };
      case OFPST_GROUP_FEATURES:
        v13Only();
        exact(r, 40, 'group_features_reply');
        return { type: 'group_features_reply', flags, features: decodeGroupFeatures(r) };
      case OFPST_TABLE_FEATURES:
        v13Only();
        return { type: 'table_features_reply', flags, tables: varEntries(r, decodeTableFeatures) };
      case OFPST_PORT_DESC:
        if (version >= OFP14_VERSION) return { type: 'port_desc_reply', flags, ports: decodePorts14(r) };
        return { type: 'port_desc_reply', flags, ports: decodePorts(r, version) };
      case OFPST_METER:
        v13Only();
        return { type: 'meter_stats_reply', flags, meters: varEntries(r, decodeMeterStats) };
      case OFPST_METER_CONFIG:
        v13Only();
        return { type: 'meter_config_reply', flags, meters: varEntries(r, decodeMeterConfig) };
      case OFPST_METER_FEATURES:
        v13Only();
        return { type: 'meter_features_reply', flags, features: decodeMeterFeatures(r) };
      case OFPST_QUEUE_DESC:
        v14Only();
        return decodeQueueDescReply(r, flags);
    }
  }
  throw new OfpError('OFPBRC_BAD_STAT', `unsupported statistics type ${kind}`);
}

/** Decodes the body of a Nicira statistics message (after its 24-byte header). */
function decodeNxStats(r: Reader, version: number, request: boolean, subtype: number, flags: number): OfBody {
  if (version !== OFP10_VERSION)
    throw new OfpError('OFPBRC_BAD_SUBTYPE', `NXST ${subtype} outside OpenFlow 1.0`);
  switch (subtype) {
    case NXST_FLOW:
      if (request) return decodeNxFlowStatsRequest(r, 'nx_flow_stats_request', flags);
      return {
        type: 'nx_flow_stats_reply',
        flags,
        flows: varEntries(r, (x) => decodeNxFlowStats(x, version)),
      };
    case NXST_AGGREGATE:
      if (request) return decodeNxFlowStatsRequest(r, 'nx_aggregate_stats_request', flags);
      return decodeAggregateReply(r, 'nx_aggregate_stats_reply', flags);
    case NXST_FLOW_MONITOR:
      if (request) return { type: 'nx_flow_monitor_request', flags, monitors: decodeFlowMonitorRequests(r) };
      return { type: 'nx_flow_monitor_reply', flags, updates: decodeFlowUpdates(r, version) };
  }
  throw new OfpError('OFPBRC_BAD_SUBTYPE', `unsupported Nicira statistics subtype ${subtype}`);
}

/** Decodes a Nicira vendor message body (after vendor id and subtype). */
function decodeNx(r: Reader, version: number, subtype: number): OfBody {
  const one = (type: NxSetting['type']): NxSetting => {
    exact(r, 4, type);
    return { type, value: r.u32() };
  };
  switch (subtype) {
    case NXT_ROLE_REQUEST:
    case NXT_ROLE_REPLY:
      exact(r, 4, 'nx_role');
      return { type: subtype === NXT_ROLE_REQUEST ? 'nx_role_request' : 'nx_role_reply', role: r.u32() };
    case NXT_SET_FLOW_FORMAT:
      if (version !== OFP10_VERSION) break;
      return one('nx_set_flow_format');
    case NXT_FLOW_MOD:
      return decodeNxFlowMod(r, version);
    case NXT_FLOW_REMOVED:
      return decodeNxFlowRemoved(r);
    case NXT_FLOW_MOD_TABLE_ID: {
      exact(r, 8, 'nx_flow_mod_table_id');
      const enable = r.u8() !== 0;
      return { type: 'nx_flow_mod_table_id', enable };
    }
    case NXT_SET_PACKET_IN_FORMAT:
      return one('nx_set_packet_in_format');
    case NXT_PACKET_IN:
      return decodeNxPacketIn(r);
    case NXT_PACKET_IN2:
      return decodeNxPacketIn2(r);
    case NXT_FLOW_AGE:
      exact(r, 0, 'nx_flow_age');
      return { type: 'nx_flow_age' };
    case NXT_SET_ASYNC_CONFIG:
      return decodeAsync(r, 'nx_set_async_config');
    case NXT_FLOW_MONITOR_CANCEL:
      exact(r, 4, 'nx_flow_monitor_cancel');
      return { type: 'nx_flow_monitor_cancel', id: r.u32() };
    case NXT_FLOW_MONITOR_PAUSED:
    case NXT_FLOW_MONITOR_RESUMED:
      exact(r, 0, 'nx_flow_monitor_paused');
      return {
        type: subtype === NXT_FLOW_MONITOR_PAUSED ? 'nx_flow_monitor_paused' : 'nx_flow_monitor_resumed',
      };
    case NXT_SET_CONTROLLER_ID: {
      exact(r, 8, 'nx_set_controller_id');
      r.skip(6);
      return { type: 'nx_set_controller_id', value: r.u16() };
    }
  }
  throw new OfpError('OFPBRC_BAD_SUBTYPE', `unsupported Nicira message subtype ${subtype}`);
}

/** Version-independent messages (hello, error, echo), or null. */
function decodeCommon(type: number, r: Reader, version: number): OfBody | null {
  switch (type) {
    case OFPT_HELLO:
      return decodeHello(r);
    case OFPT_ERROR:
      return decodeError(r, version);
    case OFPT_ECHO_REQUEST:
      return { type: 'echo_request', data: r.rest() };
    case OFPT_ECHO_REPLY:
      return { type: 'echo_reply', data: r.rest() };
  }
  return null;
}

function decodeBody10(type: number, r: Reader): OfBody {
  const v = OFP10_VERSION;
  switch (type) {
    case OFPT10_QUEUE_GET_CONFIG_REQUEST:
      return decodeQueueGetConfigRequest(r, v);
    case OFPT10_QUEUE_GET_CONFIG_REPLY:
      return decodeQueueGetConfigReply(r, v);
    case OFPT_FEATURES_REQUEST:
      exact(r, 0, 'features_request');
      return { type: 'features_request' };
    case OFPT_FEATURES_REPLY:
      return decodeFeaturesReply(r, v);
    case OFPT_GET_CONFIG_REQUEST:
      exact(r, 0, 'get_config_request');
      return { type: 'get_config_request' };
    case OFPT_GET_CONFIG_REPLY:
      return decodeSwitchConfig(r, 'get_config_reply');
    case OFPT_SET_CONFIG:
      return decodeSwitchConfig(r, 'set_config');
    case OFPT_PACKET_IN:
      return decodePacketIn(r, v);
    case OFPT_FLOW_REMOVED:
      return decodeFlowRemoved(r, v);
    case OFPT_PORT_STATUS:
      return decodePortStatus(r, v);
    case OFPT_PACKET_OUT:
      return decodePacketOut(r, v);
    case OFPT_FLOW_MOD:
      return decodeFlowMod(r, v);
    case OFPT10_PORT_MOD:
      return decodePortMod(r, v);
    case OFPT10_BARRIER_REQUEST:
      exact(r, 0, 'barrier_request');
      return { type: 'barrier_request' };
    case OFPT10_BARRIER_REPLY:
      exact(r, 0, 'barrier_reply');
      return { type: 'barrier_reply' };
    case OFPT10_STATS_REQUEST:
    case OFPT10_STATS_REPLY: {
      if (r.left < 4) badLen('stats', 'shorter than ofp_stats_msg');
      const kind = r.u16();
      const flags = r.u16();
      const request = type === OFPT10_STATS_REQUEST;
      if (kind === OFPST_VENDOR) {
        if (r.left < 4) badLen('vendor stats', 'no vendor id');
        const vendor = r.u32();
        if (vendor !== NX_VENDOR_ID)
          throw new OfpError('OFPBRC_BAD_VENDOR', `vendor 0x${vendor.toString(16)}`);
        if (r.left < 8) badLen('Nicira stats', 'shorter than nicira10_stats_msg');
        const subtype = r.u32();
        r.skip(4);
        return decodeNxStats(r, v, request, subtype, flags);
      }
      return decodeStats(r, v, request, kind, flags);
    }
  }
  throw new OfpError('OFPBRC_BAD_TYPE', `unsupported OpenFlow 1.0 message type ${type}`);
}

/** Decodes a message body of OpenFlow 1.3, 1.4 or 1.5 (`v`), the versions after 1.0 this codec speaks. */
function decodeBody13(type: number, r: Reader, v = OFP13_VERSION, xid = 0): OfBody {
  switch (type) {
    case OFPT_FEATURES_REQUEST:
      exact(r, 0, 'features_request');
      return { type: 'features_request' };
    case OFPT_FEATURES_REPLY:
      return decodeFeaturesReply(r, v);
    case OFPT_GET_CONFIG_REQUEST:
      exact(r, 0, 'get_config_request');
      return { type: 'get_config_request' };
    case OFPT_GET_CONFIG_REPLY:
      return decodeSwitchConfig(r, 'get_config_reply');
    case OFPT_SET_CONFIG:
      return decodeSwitchConfig(r, 'set_config');
    case OFPT_PACKET_IN:
      return decodePacketIn(r, v);
    case OFPT_FLOW_REMOVED:
      return decodeFlowRemoved(r, v);
    case OFPT_PORT_STATUS:
      return decodePortStatus(r, v);
    case OFPT_PACKET_OUT:
      return decodePacketOut(r, v);
    case OFPT_FLOW_MOD:
      return decodeFlowMod(r, v);
    case OFPT11_GROUP_MOD: {
      if (v >= OFP15_VERSION) return decodeGroupMod15(r, v);
      if (r.left < 8) badLen('group_mod', 'shorter than ofp11_group_mod');
      const command = r.u16();
      const groupType = r.u8();
      r.skip(1);
      const groupId = r.u32();
      return { type: 'group_mod', command, groupType, groupId, buckets: decodeBuckets(r, v) };
    }
    case OFPT11_PORT_MOD:
      return decodePortMod(r, v);
    case OFPT11_TABLE_MOD: {
      if (v < OFP14_VERSION) exact(r, 8, 'table_mod');
      else if (r.left < 8) badLen('table_mod', 'shorter than ofp14_table_mod');
      const tableId = r.u8();
      r.skip(3);
      const config = r.u32();
      if (v >= OFP14_VERSION) readProps(r); // eviction / vacancy properties: checked, not kept
      return { type: 'table_mod', tableId, config };
    }
    case OFPT13_METER_MOD:
      return decodeMeterMod(r);
    case OFPT11_QUEUE_GET_CONFIG_REQUEST:
      if (v >= OFP14_VERSION) break;
      return decodeQueueGetConfigRequest(r, v);
    case OFPT11_QUEUE_GET_CONFIG_REPLY:
      if (v >= OFP14_VERSION) break;
      return decodeQueueGetConfigReply(r, v);
    case OFPT14_BUNDLE_CONTROL:
      if (v < OFP14_VERSION) break;
      return decodeBundleControl(r);
    case OFPT14_BUNDLE_ADD_MESSAGE:
      if (v < OFP14_VERSION) break;
      return decodeBundleAdd(r, v, xid);
    case OFPT11_BARRIER_REQUEST:
      exact(r, 0, 'barrier_request');
      return { type: 'barrier_request' };
    case OFPT11_BARRIER_REPLY:
      exact(r, 0, 'barrier_reply');
      return { type: 'barrier_reply' };
    case OFPT12_ROLE_REQUEST:
    case OFPT12_ROLE_REPLY: {
      exact(r, 16, 'role');
      const role = r.u32();
      r.skip(4);
      return {
        type: type === OFPT12_ROLE_REQUEST ? 'role_request' : 'role_reply',
        role,
        generationId: r.u64(),
      };
    }
    case OFPT13_GET_ASYNC_REQUEST:
      exact(r, 0, 'get_async_request');
      return { type: 'get_async_request' };
    case OFPT13_GET_ASYNC_REPLY:
      return decodeAsync(r, 'get_async_reply', v);
    case OFPT13_SET_ASYNC:
      return decodeAsync(r, 'set_async', v);
    case OFPT11_MULTIPART_REQUEST:
    case OFPT11_MULTIPART_REPLY: {
      if (r.left < 8) badLen('multipart', 'shorter than ofp11_stats_msg');
      const kind = r.u16();
      const flags = r.u16();
      r.skip(4);
      const request = type === OFPT11_MULTIPART_REQUEST;
      if (kind === OFPST_VENDOR) {
        if (r.left < 4) badLen('experimenter multipart', 'no experimenter id');
        const vendor = r.u32();
        if (vendor !== NX_VENDOR_ID)
          throw new OfpError('OFPBRC_BAD_VENDOR', `experimenter 0x${vendor.toString(16)}`);
        throw new OfpError('OFPBRC_BAD_SUBTYPE', 'unsupported Nicira multipart message in OpenFlow 1.3');
      }
      return decodeStats(r, v, request, kind, flags);
    }
  }
  throw new OfpError('OFPBRC_BAD_TYPE', `unsupported OpenFlow 1.${v - 1} message type ${type}`);
}

/** OpenFlow 1.5's group_mod: ofp15_group_mod, ofp15_buckets, then group properties (skipped). */
function decodeGroupMod15(r: Reader, v: number): GroupMod {
  if (r.left < 16) badLen('group_mod', 'shorter than ofp15_group_mod');
  const command = r.u16();
  const groupType = r.u8();
  r.skip(1);
  const groupId = r.u32();
  const blen = r.u16();
  r.skip(2);
  const commandBucketId = r.u32();
  if (blen > r.left) throw new OfpError('OFPGMFC_BAD_BUCKET', `bucket array length ${blen}`);
  const buckets = decodeBuckets15(r, blen, v, groupType);
  readProps(r);
  return { type: 'group_mod', command, groupType, groupId, buckets, commandBucketId };
}

/** The ONF experimenter messages of OpenFlow 1.3 that Open vSwitch accepts (bundles). */
function decodeOnf(r: Reader, version: number, subtype: number, xid: number): OfBody {
  if (version === OFP13_VERSION) {
    if (subtype === ONFT13_BUNDLE_CONTROL) return decodeBundleControl(r);
    if (subtype === ONFT13_BUNDLE_ADD_MESSAGE) return decodeBundleAdd(r, version, xid);
  }
  throw new OfpError('OFPBRC_BAD_SUBTYPE', `unsupported ONF message subtype ${subtype}`);
}

/**
 * Decodes one whole message (exactly the bytes of its ofp_header.length). Throws only OfpError, whose code
 * is the error to answer with.
 */
export function decodeMessage(msg: Uint8Array): OfMessage {
  const h = readHeader(msg);
  if (h.length !== msg.length) {
    throw new OfpError(
      'OFPBRC_BAD_LEN',
      `ofp_header.length ${h.length} but the message has ${msg.length} bytes`,
    );
  }
  const r = new Reader(msg, OFP_HEADER_LEN, msg.length);
  const common = decodeCommon(h.type, r, h.version);
  if (common) return { ...common, version: h.version, xid: h.xid };
  if (!SUPPORTED_VERSIONS.includes(h.version)) {
    throw new OfpError('OFPBRC_BAD_VERSION', `OpenFlow version 0x${h.version.toString(16)} is not supported`);
  }
  let body: OfBody;
  if (h.type === OFPT_VENDOR) {
    if (r.left < 4) badLen('vendor', 'no vendor id');
    const vendor = r.u32();
    if (vendor === ONF_VENDOR_ID && h.version !== OFP10_VERSION) {
      if (r.left < 4) badLen('ONF message', 'no subtype');
      body = decodeOnf(r, h.version, r.u32(), h.xid);
      return { ...body, version: h.version, xid: h.xid };
    }
    if (vendor !== NX_VENDOR_ID) throw new OfpError('OFPBRC_BAD_VENDOR', `vendor 0x${vendor.toString(16)}`);
    if (r.left < 4) badLen('Nicira message', 'no subtype');
    body = decodeNx(r, h.version, r.u32());
  } else
    body = h.version === OFP10_VERSION ? decodeBody10(h.type, r) : decodeBody13(h.type, r, h.version, h.xid);
  return withHeader(body, h.version, h.xid);
}

/** `body` (freshly decoded, so nobody else holds it) with the header's version and xid added in place:
 *  copying a flow_mod's fields into a new object cost more than decoding it. */
function withHeader(body: OfBody, version: number, xid: number): OfMessage {
  const m = body as OfBody & { version: number; xid: number };
  m.version = version;
  m.xid = xid;
  return m;
}

/** Decodes a message, returning the OfpError instead of throwing it. */
export function tryDecodeMessage(msg: Uint8Array): OfMessage | OfpError {
  try {
    return decodeMessage(msg);
  } catch (err) {
    if (err instanceof OfpError) return err;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Encoding.

function requireVersion(m: OfMessage, ...versions: number[]): void {
  if (!versions.includes(m.version)) {
    throw new OfpError(
      'OFPBRC_BAD_VERSION',
      `${m.type} cannot be encoded in OpenFlow 0x${m.version.toString(16)}`,
    );
  }
}

function t10or13(version: number, t10: number, t13: number): number {
  return version === OFP10_VERSION ? t10 : t13;
}

/** Writes a statistics/multipart header; returns the message type. */
function statsHeader(w: Writer, version: number, request: boolean, kind: number, flags: number): void {
  w.u16(kind).u16(flags);
  if (version !== OFP10_VERSION) w.zeros(4);
  void request;
}

function statsType(version: number, request: boolean): number {
  if (version === OFP10_VERSION) return request ? OFPT10_STATS_REQUEST : OFPT10_STATS_REPLY;
  return request ? OFPT11_MULTIPART_REQUEST : OFPT11_MULTIPART_REPLY;
}

function encodeFlowStatsRequestBody(w: Writer, m: FlowStatsRequest & { version: number }): void {
  if (m.version === OFP10_VERSION) {
    encodeOf10Match(w, m.match);
    w.u8(m.tableId).u8(0).u16(m.outPort);
  } else {
    w.u8(m.tableId)
      .zeros(3)
      .u32(portToOf11(m.outPort))
      .u32(m.outGroup)
      .zeros(4)
      .u64(m.cookie)
      .u64(m.cookieMask);
    encodeOxmMatch(w, m.match, m.version);
  }
}

function nxCookie(cookie: bigint, mask: bigint): { value: bigint; mask: bigint | null } | null {
  if (mask === 0n) return null;
  return { value: cookie, mask: mask === 0xffffffffffffffffn ? null : mask };
}

/** The message type number and a body writer for `m`. */
function plan(m: OfMessage): { type: number; body: (w: Writer) => void } {
  const v = m.version;
  const nx = (subtype: number, body: (w: Writer) => void) => ({
    type: OFPT_VENDOR,
    body: (w: Writer) => {
      w.u32(NX_VENDOR_ID).u32(subtype);
      body(w);
    },
  });
  const stats = (request: boolean, kind: number, flags: number, body: (w: Writer) => void) => ({
    type: statsType(v, request),
    body: (w: Writer) => {
      statsHeader(w, v, request, kind, flags);
      body(w);
    },
  });
  const nxStats = (request: boolean, subtype: number, flags: number, body: (w: Writer) => void) => {
    requireVersion(m, OFP10_VERSION);
    return stats(request, OFPST_VENDOR, flags, (w) => {
      w.u32(NX_VENDOR_ID).u32(subtype).zeros(4);
      body(w);
    });
  };
  const none = () => undefined;
  switch (m.type) {
    case 'hello':
      return {
        type: OFPT_HELLO,
        body: (w) => {
          for (const e of m.elements) {
            if (e.type < 0) {
              w.bytes(e.data);
              continue;
            }
            const start = w.len;
            w.u16(e.type)
              .u16(4 + e.data.length)
              .bytes(e.data);
            w.pad8(start);
          }
        },
      };
    case 'error':
      return {
        type: OFPT_ERROR,
        body: (w) => {
          if (m.vendor === 0) w.u16(m.errType).u16(m.errCode);
          else if (v <= OFP11_VERSION)
            w.u16(NXET_VENDOR).u16(NXVC_VENDOR_ERROR).u32(m.vendor).u16(m.errType).u16(m.errCode);
          else w.u16(OFPET12_EXPERIMENTER).u16(m.errType).u32(m.vendor);
          w.bytes(m.data.subarray(0, Math.max(0, OFP_MAX_MSG_LEN - w.len)));
        },
      };
    case 'echo_request':
    case 'echo_reply':
      return {
        type: m.type === 'echo_request' ? OFPT_ECHO_REQUEST : OFPT_ECHO_REPLY,
        body: (w) => w.bytes(m.data),
      };
  }
  requireVersion(m, ...SUPPORTED_VERSIONS);
  switch (m.type) {
    case 'features_request':
      return { type: OFPT_FEATURES_REQUEST, body: none };
    case 'features_reply':
      return {
        type: OFPT_FEATURES_REPLY,
        body: (w) => {
          w.u64(m.datapathId)
            .u32(m.nBuffers)
            .u8(m.nTables)
            .u8(m.auxiliaryId)
            .zeros(2)
            .u32(m.capabilities)
            .u32(m.actions);
          if (v === OFP10_VERSION) for (const p of m.ports) encodePort(w, p, v);
        },
      };
    case 'get_config_request':
      return { type: OFPT_GET_CONFIG_REQUEST, body: none };
    case 'get_config_reply':
    case 'set_config':
      return {
        type: m.type === 'set_config' ? OFPT_SET_CONFIG : OFPT_GET_CONFIG_REPLY,
        body: (w) => w.u16(m.flags).u16(m.missSendLen),
      };
    case 'packet_in':
      return {
        type: OFPT_PACKET_IN,
        body: (w) => {
          if (v === OFP10_VERSION) w.u32(m.bufferId).u16(m.totalLen).u16(m.inPort).u8(m.reason).u8(0);
          else {
            w.u32(m.bufferId).u16(m.totalLen).u8(m.reason).u8(m.tableId).u64(m.cookie);
            encodeOxmMatch(w, m.match, v);
            w.zeros(2);
          }
          w.bytes(m.data);
        },
      };
    case 'nx_packet_in':
      return nx(NXT_PACKET_IN, (w) => {
        w.u32(m.bufferId).u16(m.totalLen).u8(m.reason).u8(m.tableId).u64(m.cookie);
        const at = w.len;
        w.u16(0).zeros(6);
        w.set16(at, encodeNxMatch(w, m.match));
        w.zeros(2).bytes(m.data);
      });
    case 'nx_packet_in2':
      return nx(NXT_PACKET_IN2, (w) => encodeNxPacketIn2(w, m, v));
    case 'flow_removed':
      return {
        type: OFPT_FLOW_REMOVED,
        body: (w) => {
          if (v === OFP10_VERSION) {
            encodeOf10Match(w, m.match);
            w.u64(m.cookie).u16(m.priority).u8(m.reason).u8(0).u32(m.durationSec).u32(m.durationNsec);
            w.u16(m.idleTimeout).zeros(2).u64(m.packetCount).u64(m.byteCount);
          } else if (v >= OFP15_VERSION) {
            w.u8(m.tableId).u8(m.reason).u16(m.priority).u16(m.idleTimeout).u16(m.hardTimeout).u64(m.cookie);
            encodeOxmMatch(w, m.match, v);
            encodeOxs(w, {
              durationSec: m.durationSec,
              durationNsec: m.durationNsec,
              packetCount: m.packetCount,
              byteCount: m.byteCount,
            });
          } else {
            w.u64(m.cookie).u16(m.priority).u8(m.reason).u8(m.tableId).u32(m.durationSec).u32(m.durationNsec);
            w.u16(m.idleTimeout).u16(m.hardTimeout).u64(m.packetCount).u64(m.byteCount);
            encodeOxmMatch(w, m.match, v);
          }
        },
      };
    case 'nx_flow_removed':
      return nx(NXT_FLOW_REMOVED, (w) => {
        w.u64(m.cookie).u16(m.priority).u8(m.reason).u8(m.tableId).u32(m.durationSec).u32(m.durationNsec);
        w.u16(m.idleTimeout);
        const at = w.len;
        w.u16(0).u64(m.packetCount).u64(m.byteCount);
        w.set16(at, encodeNxMatch(w, m.match));
      });
    case 'port_status':
      return {
        type: OFPT_PORT_STATUS,
        body: (w) => {
          w.u8(m.reason).zeros(7);
          if (v >= OFP14_VERSION) encodePort14(w, m.port);
          else encodePort(w, m.port, v);
        },
      };
    case 'packet_out':
      return {
        type: OFPT_PACKET_OUT,
        body: (w) => {
          if (v >= OFP15_VERSION) {
            const at15 = w.len + 4;
            w.u32(m.bufferId).u16(0).zeros(2);
            encodeOxmMatch(w, m.match ?? [inPortEntry(m.inPort)], v);
            w.set16(at15, encodeActionList(w, m.actions, v));
            w.bytes(m.data);
            return;
          }
          const at = v === OFP10_VERSION ? w.len + 6 : w.len + 8;
          if (v === OFP10_VERSION) w.u32(m.bufferId).u16(m.inPort).u16(0);
          else w.u32(m.bufferId).u32(portToOf11(m.inPort)).u16(0).zeros(6);
          w.set16(at, encodeActionList(w, m.actions, v));
          w.bytes(m.data);
        },
      };
    case 'flow_mod':
      return {
        type: OFPT_FLOW_MOD,
        body: (w) => {
          if (v === OFP10_VERSION) {
            encodeOf10Match(w, m.match);
            w.u64(m.cookie)
              .u16(((m.tableId << 8) | m.command) & 0xffff)
              .u16(m.idleTimeout)
              .u16(m.hardTimeout);
            w.u16(m.priority).u32(m.bufferId).u16(m.outPort).u16(m.flags);
            encodeActionList(w, actionsOf(m.instructions, 'flow_mod'), v);
          } else {
            w.u64(m.cookie)
              .u64(m.cookieMask)
              .u8(m.tableId)
              .u8(m.command)
              .u16(m.idleTimeout)
              .u16(m.hardTimeout);
            w.u16(m.priority)
              .u32(m.bufferId)
              .u32(portToOf11(m.outPort))
              .u32(m.outGroup)
              .u16(m.flags)
              .u16(m.importance);
            encodeOxmMatch(w, m.match, v);
            encodeInstructions(w, m.instructions, v);
          }
        },
      };
    case 'nx_flow_mod':
      return nx(NXT_FLOW_MOD, (w) => {
        const cookie = nxCookie(m.cookie, m.cookieMask);
        w.u64(cookie ? (m.newCookie ?? 0n) : m.cookie)
          .u16(((m.tableId << 8) | m.command) & 0xffff)
          .u16(m.idleTimeout);
        w.u16(m.hardTimeout).u16(m.priority).u32(m.bufferId).u16(m.outPort).u16(m.flags);
        const at = w.len;
        w.u16(0).zeros(6);
        w.set16(at, encodeNxMatch(w, m.match, cookie));
        encodeActionList(w, actionsOf(m.instructions, 'nx_flow_mod'), v);
      });
    case 'port_mod':
      return {
        type: t10or13(v, OFPT10_PORT_MOD, OFPT11_PORT_MOD),
        body: (w) => {
          if (v >= OFP14_VERSION) {
            encodePortMod14(w, m);
            return;
          }
          const mac = m.hwAddr.split(':').map((x) => Number.parseInt(x, 16) & 0xff);
          if (v === OFP10_VERSION) w.u16(m.portNo);
          else w.u32(portToOf11(m.portNo)).zeros(4);
          for (let i = 0; i < 6; i++) w.u8(mac[i] ?? 0);
          if (v !== OFP10_VERSION) w.zeros(2);
          w.u32(m.config).u32(m.mask).u32(m.advertise).zeros(4);
        },
      };
    case 'group_mod':
      requireVersion(m, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION);
      return {
        type: OFPT11_GROUP_MOD,
        body: (w) => {
          w.u16(m.command).u8(m.groupType).u8(0).u32(m.groupId);
          if (v >= OFP15_VERSION) {
            const at = w.len;
            w.u16(0)
              .zeros(2)
              .u32(m.commandBucketId ?? 0xffffffff);
            w.set16(at, encodeBuckets15(w, m.buckets, v, m.groupType));
          } else encodeBuckets(w, m.buckets, v);
        },
      };
    case 'table_mod':
      requireVersion(m, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION);
      return { type: OFPT11_TABLE_MOD, body: (w) => w.u8(m.tableId).zeros(3).u32(m.config) };
    case 'barrier_request':
      return { type: t10or13(v, OFPT10_BARRIER_REQUEST, OFPT11_BARRIER_REQUEST), body: none };
    case 'barrier_reply':
      return { type: t10or13(v, OFPT10_BARRIER_REPLY, OFPT11_BARRIER_REPLY), body: none };
    case 'role_request':
    case 'role_reply':
      requireVersion(m, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION);
      return {
        type: m.type === 'role_request' ? OFPT12_ROLE_REQUEST : OFPT12_ROLE_REPLY,
        body: (w) => w.u32(m.role).zeros(4).u64(m.generationId),
      };
    case 'get_async_request':
      requireVersion(m, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION);
      return { type: OFPT13_GET_ASYNC_REQUEST, body: none };
    case 'get_async_reply':
    case 'set_async':
    case 'nx_set_async_config': {
      const body = (w: Writer) => {
        if (v >= OFP14_VERSION && m.type !== 'nx_set_async_config') {
          // OFPACPT_*: slave (even) then master (odd) masks of packet_in, port_status, flow_removed.
          const masks = [m.packetInMask, m.portStatusMask, m.flowRemovedMask];
          for (let t = 0; t < ASYNC_PROPS; t++) writeProp(w, t, (x) => x.u32(masks[t >> 1][(t & 1) ^ 1]));
          return;
        }
        for (const x of [...m.packetInMask, ...m.portStatusMask, ...m.flowRemovedMask]) w.u32(x);
      };
      if (m.type === 'nx_set_async_config') return nx(NXT_SET_ASYNC_CONFIG, body);
      requireVersion(m, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION);
      return { type: m.type === 'set_async' ? OFPT13_SET_ASYNC : OFPT13_GET_ASYNC_REPLY, body };
    }
    case 'nx_role_request':
    case 'nx_role_reply':
      return nx(m.type === 'nx_role_request' ? NXT_ROLE_REQUEST : NXT_ROLE_REPLY, (w) => w.u32(m.role));
    case 'nx_set_flow_format':
      requireVersion(m, OFP10_VERSION);
      return nx(NXT_SET_FLOW_FORMAT, (w) => w.u32(m.value));
    case 'nx_set_packet_in_format':
      return nx(NXT_SET_PACKET_IN_FORMAT, (w) => w.u32(m.value));
    case 'nx_set_controller_id':
      return nx(NXT_SET_CONTROLLER_ID, (w) => w.zeros(6).u16(m.value));
    case 'nx_flow_mod_table_id':
      return nx(NXT_FLOW_MOD_TABLE_ID, (w) => w.u8(m.enable ? 1 : 0).zeros(7));
    case 'nx_flow_age':
      return nx(NXT_FLOW_AGE, none);
    case 'nx_flow_monitor_request':
      return nxStats(true, NXST_FLOW_MONITOR, m.flags, (w) => encodeFlowMonitorRequests(w, m.monitors));
    case 'nx_flow_monitor_reply':
      return nxStats(false, NXST_FLOW_MONITOR, m.flags, (w) => encodeFlowUpdates(w, m.updates, v));
    case 'nx_flow_monitor_cancel':
      return nx(NXT_FLOW_MONITOR_CANCEL, (w) => w.u32(m.id));
    case 'nx_flow_monitor_paused':
    case 'nx_flow_monitor_resumed':
      return nx(
        m.type === 'nx_flow_monitor_paused' ? NXT_FLOW_MONITOR_PAUSED : NXT_FLOW_MONITOR_RESUMED,
        none,
      );
    case 'desc_request':
      return stats(true, OFPST_DESC, m.flags, none);
    case 'table_stats_request':
      return stats(true, OFPST_TABLE, m.flags, none);
    case 'port_desc_request':
      return stats(true, OFPST_PORT_DESC, m.flags, (w) => {
        if (v >= OFP15_VERSION) w.u32(portToOf11(m.portNo ?? OFPP_NONE)).zeros(4);
      });
    case 'group_desc_request':
      requireVersion(m, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION);
      return stats(true, OFPST_GROUP_DESC, m.flags, (w) => {
        if (v >= OFP15_VERSION) w.u32(m.groupId ?? OFPG_ALL).zeros(4);
      });
    case 'group_features_request':
      requireVersion(m, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION);
      return stats(true, OFPST_GROUP_FEATURES, m.flags, none);
    case 'flow_stats_request':
    case 'aggregate_stats_request':
      return stats(true, m.type === 'flow_stats_request' ? OFPST_FLOW : OFPST_AGGREGATE, m.flags, (w) =>
        encodeFlowStatsRequestBody(w, m),
      );
    case 'nx_flow_stats_request':
    case 'nx_aggregate_stats_request':
      return nxStats(true, m.type === 'nx_flow_stats_request' ? NXST_FLOW : NXST_AGGREGATE, m.flags, (w) => {
        w.u16(m.outPort);
        const at = w.len;
        w.u16(0).u8(m.tableId).zeros(3);
        w.set16(at, encodeNxMatch(w, m.match, nxCookie(m.cookie, m.cookieMask)));
      });
    case 'desc_reply':
      return stats(false, OFPST_DESC, m.flags, (w) => encodeDesc(w, m.desc));
    case 'flow_stats_reply':
      return stats(false, OFPST_FLOW, m.flags, (w) => {
        for (const f of m.flows) {
          if (v >= OFP15_VERSION) encodeFlowStats15(w, f, v);
          else encodeFlowStats(w, f, v);
        }
      });
    case 'nx_flow_stats_reply':
      return nxStats(false, NXST_FLOW, m.flags, (w) => {
        for (const f of m.flows) encodeNxFlowStats(w, f, v);
      });
    case 'aggregate_stats_reply':
    case 'nx_aggregate_stats_reply': {
      const body = (w: Writer) => {
        if (v >= OFP15_VERSION && m.type === 'aggregate_stats_reply')
          encodeOxs(w, { packetCount: m.packetCount, byteCount: m.byteCount, flowCount: m.flowCount });
        else w.u64(m.packetCount).u64(m.byteCount).u32(m.flowCount).zeros(4);
      };
      if (m.type === 'nx_aggregate_stats_reply') return nxStats(false, NXST_AGGREGATE, m.flags, body);
      return stats(false, OFPST_AGGREGATE, m.flags, body);
    }
    case 'table_stats_reply':
      return stats(false, OFPST_TABLE, m.flags, (w) => {
        for (const t of m.tables) encodeTableStats(w, t, v);
      });
    case 'port_stats_request':
      return stats(true, OFPST_PORT, m.flags, (w) => {
        if (v === OFP10_VERSION) w.u16(m.portNo).zeros(6);
        else w.u32(portToOf11(m.portNo)).zeros(4);
      });
    case 'port_stats_reply':
      return stats(false, OFPST_PORT, m.flags, (w) => {
        for (const p of m.ports) {
          if (v >= OFP14_VERSION) encodePortStats14(w, p);
          else encodePortStats(w, p, v);
        }
      });
    case 'queue_stats_request':
      return stats(true, OFPST_QUEUE, m.flags, (w) => {
        if (v === OFP10_VERSION) w.u16(m.portNo).zeros(2);
        else w.u32(portToOf11(m.portNo));
        w.u32(m.queueId);
      });
    case 'queue_stats_reply':
      return stats(false, OFPST_QUEUE, m.flags, (w) => {
        for (const q of m.queues) {
          if (v >= OFP14_VERSION) encodeQueueStats14(w, q);
          else encodeQueueStats(w, q, v);
        }
      });
    case 'port_desc_reply':
      return stats(false, OFPST_PORT_DESC, m.flags, (w) => {
        for (const p of m.ports) {
          if (v >= OFP14_VERSION) encodePort14(w, p);
          else encodePort(w, p, v);
        }
      });
    case 'group_stats_request':
      requireVersion(m, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION);
      return stats(true, OFPST_GROUP, m.flags, (w) => w.u32(m.groupId).zeros(4));
    case 'group_stats_reply':
      requireVersion(m, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION);
      return stats(false, OFPST_GROUP, m.flags, (w) => {
        for (const g of m.groups) encodeGroupStats(w, g);
      });
    case 'group_desc_reply':
      requireVersion(m, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION);
      return stats(false, OFPST_GROUP_DESC, m.flags, (w) => {
        for (const g of m.groups) {
          if (v >= OFP15_VERSION) encodeGroupDesc15(w, g, v);
          else encodeGroupDesc(w, g, v);
        }
      });
    case 'group_features_reply':
      requireVersion(m, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION);
      return stats(false, OFPST_GROUP_FEATURES, m.flags, (w) => encodeGroupFeatures(w, m.features));
    case 'table_features_request':
    case 'table_features_reply':
      requireVersion(m, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION);
      return stats(m.type === 'table_features_request', OFPST_TABLE_FEATURES, m.flags, (w) => {
        for (const t of m.tables) encodeTableFeatures(w, t);
      });
    default:
      return planExt(m, stats);
  }
}

type StatsPlanner = (
  request: boolean,
  kind: number,
  flags: number,
  body: (w: Writer) => void,
) => { type: number; body: (w: Writer) => void };

/** OFPG_ALL. */
const OFPG_ALL = 0xfffffffc;

/** The OXM in_port entry OpenFlow 1.5 puts in a packet_out's match. */
export function inPortEntry(port: number): MatchEntry {
  const p = portToOf11(port);
  return {
    field: 'in_port_oxm',
    value: Uint8Array.of(p >>> 24, (p >>> 16) & 0xff, (p >>> 8) & 0xff, p & 0xff),
    mask: null,
  };
}

/** Plans for the messages of messages-ext.ts: meters, queue configuration, bundles. */
function planExt(m: OfMessage, stats: StatsPlanner): { type: number; body: (w: Writer) => void } {
  const v = m.version;
  const from13 = () => requireVersion(m, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION);
  switch (m.type) {
    case 'meter_mod':
      from13();
      return { type: OFPT13_METER_MOD, body: (w) => encodeMeterMod(w, m) };
    case 'meter_stats_request':
    case 'meter_config_request':
      from13();
      return stats(true, m.type === 'meter_stats_request' ? OFPST_METER : OFPST_METER_CONFIG, m.flags, (w) =>
        w.u32(m.meterId).zeros(4),
      );
    case 'meter_features_request':
      from13();
      return stats(true, OFPST_METER_FEATURES, m.flags, () => undefined);
    case 'meter_stats_reply':
      from13();
      return stats(false, OFPST_METER, m.flags, (w) => {
        for (const s of m.meters) encodeMeterStats(w, s);
      });
    case 'meter_config_reply':
      from13();
      return stats(false, OFPST_METER_CONFIG, m.flags, (w) => {
        for (const c of m.meters) encodeMeterConfig(w, c);
      });
    case 'meter_features_reply':
      from13();
      return stats(false, OFPST_METER_FEATURES, m.flags, (w) => encodeMeterFeatures(w, m.features));
    case 'queue_get_config_request':
    case 'queue_get_config_reply': {
      requireVersion(m, OFP10_VERSION, OFP13_VERSION);
      const request = m.type === 'queue_get_config_request';
      const type =
        v === OFP10_VERSION
          ? request
            ? OFPT10_QUEUE_GET_CONFIG_REQUEST
            : OFPT10_QUEUE_GET_CONFIG_REPLY
          : request
            ? OFPT11_QUEUE_GET_CONFIG_REQUEST
            : OFPT11_QUEUE_GET_CONFIG_REPLY;
      if (!('queues' in m)) {
        const req: QueueGetConfigRequest = m;
        return { type, body: (w) => encodeQueueGetConfigRequest(w, req, v) };
      }
      const rep: QueueGetConfigReply = m;
      return { type, body: (w) => encodeQueueGetConfigReply(w, rep, v) };
    }
    case 'queue_desc_request':
      requireVersion(m, OFP14_VERSION, OFP15_VERSION);
      return stats(true, OFPST_QUEUE_DESC, m.flags ?? 0, (w) => encodeQueueGetConfigRequest(w, m, v));
    case 'queue_desc_reply':
      requireVersion(m, OFP14_VERSION, OFP15_VERSION);
      return stats(false, OFPST_QUEUE_DESC, m.flags ?? 0, (w) => encodeQueueGetConfigReply(w, m, v));
    case 'bundle_control':
    case 'bundle_add': {
      from13();
      const body = (w: Writer) => {
        if (m.type === 'bundle_control') encodeBundleControl(w, m);
        else encodeBundleAdd(w, m);
      };
      if (v >= OFP14_VERSION) {
        return {
          type: m.type === 'bundle_control' ? OFPT14_BUNDLE_CONTROL : OFPT14_BUNDLE_ADD_MESSAGE,
          body,
        };
      }
      const subtype = m.type === 'bundle_control' ? ONFT13_BUNDLE_CONTROL : ONFT13_BUNDLE_ADD_MESSAGE;
      return {
        type: OFPT_VENDOR,
        body: (w) => {
          w.u32(ONF_VENDOR_ID).u32(subtype);
          body(w);
        },
      };
    }
  }
  throw new OfpError('OFPBRC_BAD_TYPE', `${m.type} cannot be encoded`);
}

/** Encodes a message; throws OfpError if it cannot be expressed in its version or exceeds 65535 bytes. */
export function encodeMessage(m: OfMessage): Uint8Array {
  const p = plan(m);
  return buildMessage(m.version, p.type, m.xid, p.body);
}

/** encodeMessage() into `w` (reset first): the bytes are w.view() until `w` is used again. */
export function encodeMessageIn(w: Writer, m: OfMessage): Uint8Array {
  const p = plan(m);
  return buildMessageIn(w, m.version, p.type, m.xid, p.body).view();
}

// ---------------------------------------------------------------------------------------------------------
// Helpers for the connection layer.

/** OFPHET_VERSIONBITMAP. */
export const OFPHET_VERSIONBITMAP = 1;

/**
 * The hello Open vSwitch sends for a set of versions (bit N = version N): header version = the highest,
 * and a version bitmap element only when the set is not "1 up to the highest".
 */
export function helloFor(versionBitmap: number, xid = 0): OfMessage {
  const top = 31 - Math.clz32(versionBitmap);
  const contiguous = (versionBitmap >>> 1) + 1 === 1 << top;
  const elements: HelloElement[] = [];
  if (!contiguous) {
    const data = Uint8Array.of(
      versionBitmap >>> 24,
      (versionBitmap >>> 16) & 0xff,
      (versionBitmap >>> 8) & 0xff,
      versionBitmap & 0xff,
    );
    elements.push({ type: OFPHET_VERSIONBITMAP, data });
  }
  return { type: 'hello', elements, version: top, xid };
}

/**
 * The versions a peer's hello offers, as Open vSwitch reads it: all versions up to the header's, or the
 * first 32 bits of a version bitmap element (version 0 ignored). `ok` is false when the hello carried
 * something Open vSwitch would warn about (unknown elements, a bad bitmap).
 */
export function helloVersions(hello: Hello & { version: number }): { bitmap: number; ok: boolean } {
  let bitmap = hello.version < 31 ? (((1 << hello.version) >>> 0) - 1) * 2 : 0;
  bitmap >>>= 0;
  let ok = true;
  for (const e of hello.elements) {
    if (e.type !== OFPHET_VERSIONBITMAP || e.data.length === 0 || e.data.length % 4 !== 0) {
      ok = false;
      continue;
    }
    let bits = ((e.data[0] << 24) | (e.data[1] << 16) | (e.data[2] << 8) | e.data[3]) >>> 0;
    bits = (bits & ~1) >>> 0;
    if (bits === 0) {
      ok = false;
      continue;
    }
    bitmap = bits;
  }
  return { bitmap, ok };
}

/** "version 0x04", "version 0x04 and earlier", "versions 0x01, 0x04", "no versions" (Open vSwitch's words). */
export function describeVersions(bitmap: number): string {
  const hex = (v: number) => `0x${v.toString(16).padStart(2, '0')}`;
  if (bitmap === 0) return 'no versions';
  const top = 31 - Math.clz32(bitmap);
  if ((bitmap & (bitmap - 1)) === 0) return `version ${hex(top)}`;
  if ((bitmap >>> 1) + 1 === 1 << top) return `version ${hex(top)} and earlier`;
  const list: string[] = [];
  for (let v = 0; v < 32; v++) if (bitmap & (1 << v)) list.push(hex(v));
  return `versions ${list.join(', ')}`;
}

/**
 * An error message for `code`, as Open vSwitch encodes it in `version` (falling back to
 * NXBRC_UNENCODABLE_ERROR when that version has no encoding for it). `data` is what the error carries:
 * the offending request (Open vSwitch sends all of it, up to the 64 KiB limit) or a text.
 */
export function errorMessage(
  code: OfpErrorName,
  version: number,
  xid: number,
  data: Uint8Array,
): ErrorMsg & { version: number; xid: number } {
  let name: OfpErrorName = code;
  let t = ofpErrorTriplet(name, version);
  if (!t) {
    name = 'NXBRC_UNENCODABLE_ERROR';
    t = ofpErrorTriplet(name, version) ?? { vendor: NX_VENDOR_ID, type: 10, code: 0 };
  }
  return { type: 'error', vendor: t.vendor, errType: t.type, errCode: t.code, name, data, version, xid };
}

/** Options for errorReply. */
export interface ErrorReplyOptions {
  /** Bytes of the request to include; Open vSwitch includes all of it (default), the spec asks for >= 64. */
  maxData?: number;
}

/** The error reply to a request that failed with `err`: same version and xid, carrying the request. */
export function errorReply(
  request: Uint8Array,
  err: OfpError | OfpErrorName,
  opts: ErrorReplyOptions = {},
): Uint8Array {
  const code = typeof err === 'string' ? err : err.code;
  const version = request.length >= 1 ? request[0] : OFP10_VERSION;
  const xid =
    request.length >= 8
      ? ((request[4] << 24) | (request[5] << 16) | (request[6] << 8) | request[7]) >>> 0
      : 0;
  const max = opts.maxData ?? request.length;
  const data = request.subarray(0, Math.min(request.length, max));
  const replyVersion = version >= OFP10_VERSION && version <= 6 ? version : OFP10_VERSION;
  return encodeMessage(errorMessage(code, replyVersion, xid, data));
}

/** The text Open vSwitch sends in OFPHFC_INCOMPATIBLE when no version is common. */
export function incompatibleText(ours: number, theirs: number): string {
  return `We support ${describeVersions(ours)}, you support ${describeVersions(theirs)}, no common versions.`;
}

/** The OFPET_HELLO_FAILED / OFPHFC_INCOMPATIBLE error Open vSwitch sends, in the peer's highest version. */
export function helloFailed(ours: number, theirs: number): Uint8Array {
  // Open vSwitch answers in the peer's highest version, or 1.0 when that one is unknown to it.
  const top = theirs === 0 ? 0 : 31 - Math.clz32(theirs);
  const version = top >= OFP10_VERSION && top <= 6 ? top : OFP10_VERSION;
  const text = new TextEncoder().encode(incompatibleText(ours, theirs));
  return encodeMessage(errorMessage('OFPHFC_INCOMPATIBLE', version, 0, text));
}
