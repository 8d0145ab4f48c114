// Nicira flow monitors (Open vSwitch's NXST_FLOW_MONITOR, lib/ofp-monitor.c): the request a controller
// sends to watch flow table changes (one or more nx_flow_monitor_request entries, each with an NXM match),
// the reply carrying flow updates (nx_flow_update_full for ADDED/DELETED/MODIFIED, nx_flow_update_abbrev
// for a change the watching connection made itself), and the NXT_FLOW_MONITOR_CANCEL / _PAUSED / _RESUMED
// messages. messages.ts puts these bodies into its union and calls the codec functions here; the bodies
// carry wire matches and actions (convert.ts turns them into text-layer matches and actions).
import { decodeActionList, encodeActionList, type OfAction } from './messages-actions.js';
import { decodeNxMatch, encodeNxMatch, type MatchEntry } from './oxm.js';
import type { Reader, Writer } from './wire.js';
import { OfpError } from './wire-errors.js';

/** NXST_FLOW_MONITOR: the Nicira statistics subtype. */
export const NXST_FLOW_MONITOR = 2;
/** NXT_FLOW_MONITOR_CANCEL, _PAUSED, _RESUMED: Nicira message subtypes. */
export const NXT_FLOW_MONITOR_CANCEL = 21;
export const NXT_FLOW_MONITOR_PAUSED = 22;
export const NXT_FLOW_MONITOR_RESUMED = 23;

/** NXFMF_* request flags. */
export const NXFMF_INITIAL = 1 << 0;
export const NXFMF_ADD = 1 << 1;
export const NXFMF_DELETE = 1 << 2;
export const NXFMF_MODIFY = 1 << 3;
export const NXFMF_ACTIONS = 1 << 4;
export const NXFMF_OWN = 1 << 5;
/** Every flag a request may carry. */
export const NXFMF_ALL = 0x3f;

/** NXFME_* update events. */
export const NXFME_ADDED = 0;
export const NXFME_DELETED = 1;
export const NXFME_MODIFIED = 2;
export const NXFME_ABBREV = 3;

/** Bytes of an nx_flow_monitor_request before its match. */
const REQUEST_LEN = 16;
/** Bytes of an nx_flow_update_full before its match. */
const UPDATE_FULL_LEN = 24;
/** Bytes of an nx_flow_update_abbrev. */
const UPDATE_ABBREV_LEN = 8;

/** One nx_flow_monitor_request: what to watch. outPort is a 16-bit port (0xffff: any); table 0xff: all. */
export interface FlowMonitorRequest {
  id: number;
  flags: number;
  outPort: number;
  tableId: number;
  match: MatchEntry[];
}

/** One flow update: a full one (ADDED, DELETED, MODIFIED) or an abbreviated one (ABBREV, the xid only). */
export type FlowUpdate =
  | {
      event: 'added' | 'deleted' | 'modified';
      /** OFPRR_* reason of a deletion (0 otherwise). */
      reason: number;
      priority: number;
      idleTimeout: number;
      hardTimeout: number;
      tableId: number;
      cookie: bigint;
      match: MatchEntry[];
      /** Present only when the monitor asked for actions (NXFMF_ACTIONS). */
      actions: OfAction[];
    }
  | { event: 'abbrev'; xid: number };

/** NXST_FLOW_MONITOR request. */
export interface NxFlowMonitorRequestMsg {
  type: 'nx_flow_monitor_request';
  flags: number;
  monitors: FlowMonitorRequest[];
}

/** NXST_FLOW_MONITOR reply: the initial flows, and later every change as it happens (xid 0). */
export interface NxFlowMonitorReplyMsg {
  type: 'nx_flow_monitor_reply';
  flags: number;
  updates: FlowUpdate[];
}

/** NXT_FLOW_MONITOR_CANCEL. */
export interface NxFlowMonitorCancel {
  type: 'nx_flow_monitor_cancel';
  id: number;
}

/** NXT_FLOW_MONITOR_PAUSED / NXT_FLOW_MONITOR_RESUMED (no body). */
export interface NxFlowMonitorPause {
  type: 'nx_flow_monitor_paused' | 'nx_flow_monitor_resumed';
}

/** Every flow-monitor message body. */
export type FlowMonitorBody =
  | NxFlowMonitorRequestMsg
  | NxFlowMonitorReplyMsg
  | NxFlowMonitorCancel
  | NxFlowMonitorPause;

const EVENTS = ['added', 'deleted', 'modified', 'abbrev'] as const;

/** The requests of an NXST_FLOW_MONITOR request body (OVS ofputil_decode_flow_monitor_request). */
export function decodeFlowMonitorRequests(r: Reader): FlowMonitorRequest[] {
  const out: FlowMonitorRequest[] = [];
  while (r.left > 0) {
    if (r.left < REQUEST_LEN) {
      throw new OfpError('OFPBRC_BAD_LEN', `NXST_FLOW_MONITOR request has ${r.left} leftover bytes at end`);
    }
    const id = r.u32();
    const flags = r.u16();
    const outPort = r.u16();
    const matchLen = r.u16();
    const tableId = r.u8();
    const zeros = r.bytes(5);
    if ((flags & (NXFMF_ADD | NXFMF_DELETE | NXFMF_MODIFY)) === 0 || flags & ~NXFMF_ALL) {
      throw new OfpError('OFPMOFC_BAD_FLAGS', `NXST_FLOW_MONITOR has bad flags 0x${flags.toString(16)}`);
    }
    if (zeros.some((b) => b !== 0)) throw new OfpError('NXBRC_MUST_BE_ZERO', 'nx_flow_monitor_request pad');
    const { entries } = decodeNxMatch(r, matchLen, { strict: true });
    out.push({ id, flags, outPort, tableId, match: entries });
  }
  return out;
}

/** Writes NXST_FLOW_MONITOR request entries (OVS ofputil_append_flow_monitor_request, OpenFlow 1.0). */
export function encodeFlowMonitorRequests(w: Writer, monitors: readonly FlowMonitorRequest[]): void {
  for (const m of monitors) {
    w.u32(m.id).u16(m.flags).u16(m.outPort);
    const at = w.len;
    w.u16(0).u8(m.tableId).zeros(5);
    w.set16(at, encodeNxMatch(w, m.match));
  }
}

/** The updates of an NXST_FLOW_MONITOR reply body (OVS ofputil_decode_flow_update). */
export function decodeFlowUpdates(r: Reader, version: number): FlowUpdate[] {
  const out: FlowUpdate[] = [];
  while (r.left > 0) {
    if (r.left < 4) badLen(r.left);
    const length = r.peek16(0);
    const eventNo = r.peek16(2);
    if (length > r.left || length % 8 !== 0 || length < 4) badLen(r.left);
    const u = r.sub(length);
    u.skip(4);
    const event = EVENTS[eventNo];
    if (event === undefined) {
      throw new OfpError('NXBRC_FM_BAD_EVENT', `NXST_FLOW_MONITOR reply has bad event ${eventNo}`);
    }
    if (event === 'abbrev') {
      if (length !== UPDATE_ABBREV_LEN) badLen(r.left);
      out.push({ event, xid: u.u32() });
      continue;
    }
    if (length < UPDATE_FULL_LEN) badLen(r.left);
    const reason = u.u16();
    const priority = u.u16();
    const idleTimeout = u.u16();
    const hardTimeout = u.u16();
    const matchLen = u.u16();
    const tableId = u.u8();
    u.skip(1);
    const cookie = u.u64();
    if (UPDATE_FULL_LEN + matchLen > length) badLen(r.left);
    const { entries } = decodeNxMatch(u, matchLen);
    const actions = decodeActionList(u, u.left, version, null);
    out.push({ event, reason, priority, idleTimeout, hardTimeout, tableId, cookie, match: entries, actions });
  }
  return out;
}

function badLen(left: number): never {
  throw new OfpError('OFPBRC_BAD_LEN', `NXST_FLOW_MONITOR reply has ${left} leftover bytes at end`);
}

/** Writes flow updates (OVS ofputil_append_flow_update for OpenFlow 1.0). */
export function encodeFlowUpdates(w: Writer, updates: readonly FlowUpdate[], version: number): void {
  for (const u of updates) {
    const start = w.len;
    w.u16(0).u16(EVENTS.indexOf(u.event));
    if (u.event === 'abbrev') w.u32(u.xid);
    else {
      w.u16(u.reason).u16(u.priority).u16(u.idleTimeout).u16(u.hardTimeout);
      const at = w.len;
      w.u16(0).u8(u.tableId).u8(0).u64(u.cookie);
      w.set16(at, encodeNxMatch(w, u.match));
      encodeActionList(w, u.actions, version);
    }
    w.set16(start, w.len - start);
  }
}
