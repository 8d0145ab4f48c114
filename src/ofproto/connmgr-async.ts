// Asynchronous messages as each connection asked for them (Open vSwitch's connmgr_send_async_msg,
// connmgr_send_flow_removed, connmgr_send_port_status): a packet-in in the connection's format (OpenFlow
// 1.0 packet_in, 1.3 packet_in with the pipeline fields as a match, NXT_PACKET_IN, NXT_PACKET_IN2), always
// unbuffered and, as ovs-vswitchd 3.1 sends them, with the frame the switch handed over (miss_send_len is
// not a truncation length without buffers; it only turns asynchronous messages on for service
// connections); flow_removed in the connection's flow format; port_status to everyone who receives it.
import type { PacketInReason } from '../openflow/action-text.js';
import {
  NO_BUFFER,
  NXPIF_NXT_PACKET_IN,
  NXPIF_NXT_PACKET_IN2,
  type OfBody,
  type PacketIn2Prop,
} from '../openflow/messages.js';
import { portToOf11 } from '../openflow/messages-actions.js';
import type { MatchEntry } from '../openflow/oxm.js';
import { OFP10_VERSION } from '../openflow/wire.js';
import type { WireConvert } from './connmgr-convert.js';
import { portFor } from './connmgr-handle.js';
import {
  OFPR_ACTION,
  OFPR_ACTION_SET,
  OFPR_EXPLICIT_MISS,
  OFPR_GROUP,
  OFPR_IMPLICIT_MISS,
  OFPR_INVALID_TTL,
  OFPR_PACKET_OUT,
  type Ofconn,
  wireReason,
} from './connmgr-ofconn.js';
import type { FlowRemovedEvent, PacketInEvent, PortStatusEvent } from './of-switch.js';

/**
 * The internal reason of a switch's packet-in: 'no_match' is OVS's implicit miss when the switch says so
 * (no table-miss flow: only pre-1.3 connections receive those by default), else an explicit miss (a
 * table-miss flow's controller action: no_match in 1.3, action before).
 */
export function internalReason(reason: PacketInReason, implicitMiss = false): number {
  switch (reason) {
    case 'no_match':
      return implicitMiss ? OFPR_IMPLICIT_MISS : OFPR_EXPLICIT_MISS;
    case 'action':
      return OFPR_ACTION;
    case 'invalid_ttl':
      return OFPR_INVALID_TTL;
    case 'action_set':
      return OFPR_ACTION_SET;
    case 'group':
      return OFPR_GROUP;
    case 'packet_out':
      return OFPR_PACKET_OUT;
  }
}

const FLOW_REMOVED_REASONS: Record<FlowRemovedEvent['reason'], number> = {
  idle: 0,
  hard: 1,
  delete: 2,
  group_delete: 3,
  meter_delete: 4,
  eviction: 5,
};

/** The flow_removed reason number for an event. */
export function flowRemovedReason(e: FlowRemovedEvent): number {
  return FLOW_REMOVED_REASONS[e.reason];
}

const PORT_REASONS = { add: 0, delete: 1, modify: 2 } as const;

/** The port_status reason number for an event. */
export function portStatusReason(e: PortStatusEvent): number {
  return PORT_REASONS[e.reason];
}

function u16(v: number): Uint8Array {
  return Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
}

function u32(v: number): Uint8Array {
  return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

/** The pipeline fields of a packet-in: in_port first (as a 1.1+ port in OXM), then the rest. */
function pinMetadata(convert: WireConvert, e: PacketInEvent, version: number, oxm: boolean): MatchEntry[] {
  const inPort: MatchEntry = oxm
    ? { field: 'in_port_oxm', value: u32(portToOf11(e.inPort)), mask: null }
    : { field: 'in_port', value: u16(e.inPort), mask: null };
  const rest = convert
    .matchToWire(e.metadata, oxm ? version : 0)
    .filter((m) => m.field !== 'in_port' && m.field !== 'in_port_oxm');
  return [inPort, ...rest];
}

/** The packet-in `oc` receives for `e` (reason already checked against its async config). */
export function packetInFor(convert: WireConvert, oc: Ofconn, e: PacketInEvent): OfBody {
  const version = oc.version;
  const reason = wireReason(internalReason(e.reason, e.implicitMiss), version);
  const totalLen = Math.min(0xffff, Math.max(e.totalLen, e.frame.length));
  if (oc.packetInFormat === NXPIF_NXT_PACKET_IN2) {
    const props: PacketIn2Prop[] = [{ kind: 'packet', data: e.frame }];
    if (e.frame.length !== totalLen) props.push({ kind: 'full_len', value: totalLen });
    props.push({ kind: 'table_id', value: e.tableId });
    if (e.cookie !== 0xffffffffffffffffn) props.push({ kind: 'cookie', value: e.cookie });
    props.push({ kind: 'reason', value: reason });
    // oxm_put_raw(): in_port as OXM_OF_IN_PORT even in OpenFlow 1.0, the other fields in the version's spelling.
    props.push({ kind: 'metadata', match: pinMetadata(convert, e, version, true) });
    if (e.userdata !== null && e.userdata.length > 0) props.push({ kind: 'userdata', data: e.userdata });
    return { type: 'nx_packet_in2', props };
  }
  if (oc.packetInFormat === NXPIF_NXT_PACKET_IN) {
    return {
      type: 'nx_packet_in',
      bufferId: NO_BUFFER,
      totalLen,
      reason,
      tableId: e.tableId,
      cookie: e.cookie,
      match: pinMetadata(convert, e, 0, false),
      data: e.frame,
    };
  }
  const v10 = version === OFP10_VERSION;
  return {
    type: 'packet_in',
    bufferId: NO_BUFFER,
    totalLen,
    reason,
    inPort: e.inPort,
    tableId: v10 ? 0 : e.tableId,
    cookie: v10 ? 0n : e.cookie,
    match: v10 ? [] : pinMetadata(convert, e, version, true),
    data: e.frame,
  };
}

/** The flow_removed `oc` receives for `e`, in its flow format. */
export function flowRemovedFor(convert: WireConvert, oc: Ofconn, e: FlowRemovedEvent): OfBody {
  const r = e.rule;
  const ms = Math.max(0, r.durationMs);
  const nxm = oc.nxm;
  return {
    type: nxm ? 'nx_flow_removed' : 'flow_removed',
    cookie: r.cookie,
    priority: r.priority,
    reason: flowRemovedReason(e),
    // NXT_FLOW_REMOVED carries the table plus one (0: unknown), as OVS encodes it.
    tableId: nxm ? r.tableId + 1 : r.tableId,
    durationSec: Math.floor(ms / 1000),
    durationNsec: Math.floor(ms % 1000) * 1_000_000,
    idleTimeout: r.idleTimeout,
    hardTimeout: r.hardTimeout,
    packetCount: BigInt(r.packets),
    byteCount: BigInt(r.bytes),
    match: convert.matchToWire(r.match, nxm ? 0 : oc.version),
  };
}

/** The port_status `oc` receives for `e`. */
export function portStatusFor(oc: Ofconn, e: PortStatusEvent): OfBody {
  return { type: 'port_status', reason: portStatusReason(e), port: portFor(e.port, oc.version) };
}
