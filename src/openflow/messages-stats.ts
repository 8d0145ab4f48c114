// Bodies of statistics (OpenFlow 1.0) and multipart (1.3) replies: flow entries (standard and Nicira),
// tables, queues, groups and their buckets, table features. One representation per kind for both
// versions; fields one version lacks are 0 / empty and ignored when encoding for it.
import {
  decodeActionList,
  decodeInstructions,
  encodeActionList,
  encodeInstructions,
  FLOW_ACTIONS,
  type Instruction,
  type OfAction,
  portFromOf11,
  portToOf11,
} from './messages-actions.js';
import { decodeNxMatch, decodeOxmMatch, encodeNxMatch, encodeOxmMatch, type MatchEntry } from './oxm.js';
import { decodeOf10Match, encodeOf10Match } from './oxm-of10.js';
import { OFP10_VERSION, type Reader, roundUp8, type Writer } from './wire.js';
import { OfpError } from './wire-errors.js';

/** OFPST_DESC reply. */
export interface SwitchDesc {
  mfrDesc: string;
  hwDesc: string;
  swDesc: string;
  serialNum: string;
  dpDesc: string;
}

export function decodeDesc(r: Reader): SwitchDesc {
  const d = r.sub(1056);
  return {
    mfrDesc: d.str(256),
    hwDesc: d.str(256),
    swDesc: d.str(256),
    serialNum: d.str(32),
    dpDesc: d.str(256),
  };
}

export function encodeDesc(w: Writer, d: SwitchDesc): void {
  w.str(d.mfrDesc, 256).str(d.hwDesc, 256).str(d.swDesc, 256).str(d.serialNum, 32).str(d.dpDesc, 256);
}

/**
 * One flow in a flow-stats reply. `instructions` holds the actions as one apply_actions instruction for
 * OpenFlow 1.0 and Nicira replies (empty when the flow has no actions). idleAge/hardAge exist only in
 * Nicira replies, flags only in 1.3.
 */
export interface FlowStatsEntry {
  tableId: number;
  durationSec: number;
  durationNsec: number;
  priority: number;
  idleTimeout: number;
  hardTimeout: number;
  flags: number;
  importance: number;
  idleAge: number;
  hardAge: number;
  cookie: bigint;
  packetCount: bigint;
  byteCount: bigint;
  match: MatchEntry[];
  instructions: Instruction[];
}

/** The actions of a 1.0-style instruction list: [] or the one apply_actions. Throws for anything else. */
export function actionsOf(insts: readonly Instruction[], what: string): OfAction[] {
  if (insts.length === 0) return [];
  if (insts.length === 1 && insts[0].type === 'apply_actions') return insts[0].actions;
  throw new OfpError('OFPBIC_UNSUP_INST', `${what}: OpenFlow 1.0 carries only an action list`);
}

/** [apply_actions(actions)] or [] for no actions. */
export function asInstructions(actions: OfAction[]): Instruction[] {
  return actions.length === 0 ? [] : [{ type: 'apply_actions', actions }];
}

function entryReader(r: Reader, min: number, what: string): Reader {
  if (r.left < 2) throw new OfpError('OFPBRC_BAD_LEN', `${what}: truncated entry`);
  const len = r.peek16(0);
  if (len < min || len > r.left) throw new OfpError('OFPBRC_BAD_LEN', `${what}: entry length ${len}`);
  return r.sub(len);
}

/** Decodes one OpenFlow 1.0 or 1.3 flow-stats entry. */
export function decodeFlowStats(r: Reader, version: number): FlowStatsEntry {
  if (version === OFP10_VERSION) {
    const e = entryReader(r, 88, 'ofp10_flow_stats');
    e.skip(2);
    const tableId = e.u8();
    e.skip(1);
    const match = decodeOf10Match(e);
    const durationSec = e.u32();
    const durationNsec = e.u32();
    const priority = e.u16();
    const idleTimeout = e.u16();
    const hardTimeout = e.u16();
    e.skip(6);
    const cookie = e.u64();
    const packetCount = e.u64();
    const byteCount = e.u64();
    const actions = decodeActionList(e, e.left, version, FLOW_ACTIONS);
    return {
      tableId,
      durationSec,
      durationNsec,
      priority,
      idleTimeout,
      hardTimeout,
      flags: 0,
      importance: 0,
      idleAge: 0,
      hardAge: 0,
      cookie,
      packetCount,
      byteCount,
      match,
      instructions: asInstructions(actions),
    };
  }
  const e = entryReader(r, 56, 'ofp11_flow_stats');
  e.skip(2);
  const tableId = e.u8();
  e.skip(1);
  const durationSec = e.u32();
  const durationNsec = e.u32();
  const priority = e.u16();
  const idleTimeout = e.u16();
  const hardTimeout = e.u16();
  const flags = e.u16();
  const importance = e.u16();
  e.skip(2);
  const cookie = e.u64();
  const packetCount = e.u64();
  const byteCount = e.u64();
  const match = decodeOxmMatch(e);
  const instructions = decodeInstructions(e, e.left, version);
  return {
    tableId,
    durationSec,
    durationNsec,
    priority,
    idleTimeout,
    hardTimeout,
    flags,
    importance,
    idleAge: 0,
    hardAge: 0,
    cookie,
    packetCount,
    byteCount,
    match,
    instructions,
  };
}

export function encodeFlowStats(w: Writer, f: FlowStatsEntry, version: number): void {
  const start = w.len;
  if (version === OFP10_VERSION) {
    w.u16(0).u8(f.tableId).u8(0);
    encodeOf10Match(w, f.match);
    w.u32(f.durationSec).u32(f.durationNsec).u16(f.priority).u16(f.idleTimeout).u16(f.hardTimeout).zeros(6);
    w.u64(f.cookie).u64(f.packetCount).u64(f.byteCount);
    encodeActionList(w, actionsOf(f.instructions, 'flow stats'), version);
  } else {
    w.u16(0).u8(f.tableId).u8(0).u32(f.durationSec).u32(f.durationNsec);
    w.u16(f.priority).u16(f.idleTimeout).u16(f.hardTimeout).u16(f.flags).u16(f.importance).zeros(2);
    w.u64(f.cookie).u64(f.packetCount).u64(f.byteCount);
    encodeOxmMatch(w, f.match, version);
    encodeInstructions(w, f.instructions, version);
  }
  w.set16(start, w.len - start);
}

/** Decodes one Nicira (NXST_FLOW) flow-stats entry. */
export function decodeNxFlowStats(r: Reader, version: number): FlowStatsEntry {
  const e = entryReader(r, 48, 'nx_flow_stats');
  e.skip(2);
  const tableId = e.u8();
  e.skip(1);
  const durationSec = e.u32();
  const durationNsec = e.u32();
  const priority = e.u16();
  const idleTimeout = e.u16();
  const hardTimeout = e.u16();
  const matchLen = e.u16();
  const idleAge = e.u16();
  const hardAge = e.u16();
  const cookie = e.u64();
  const packetCount = e.u64();
  const byteCount = e.u64();
  const { entries } = decodeNxMatch(e, matchLen);
  const actions = decodeActionList(e, e.left, version, FLOW_ACTIONS);
  return {
    tableId,
    durationSec,
    durationNsec,
    priority,
    idleTimeout,
    hardTimeout,
    flags: 0,
    importance: 0,
    idleAge,
    hardAge,
    cookie,
    packetCount,
    byteCount,
    match: entries,
    instructions: asInstructions(actions),
  };
}

export function encodeNxFlowStats(w: Writer, f: FlowStatsEntry, version: number): void {
  const start = w.len;
  w.u16(0).u8(f.tableId).u8(0).u32(f.durationSec).u32(f.durationNsec);
  w.u16(f.priority).u16(f.idleTimeout).u16(f.hardTimeout);
  const matchLenAt = w.len;
  w.u16(0).u16(f.idleAge).u16(f.hardAge).u64(f.cookie).u64(f.packetCount).u64(f.byteCount);
  w.set16(matchLenAt, encodeNxMatch(w, f.match));
  encodeActionList(w, actionsOf(f.instructions, 'nx flow stats'), version);
  w.set16(start, w.len - start);
}

/** One table's counters; name, wildcards and maxEntries exist only in OpenFlow 1.0. */
export interface TableStats {
  tableId: number;
  name: string;
  wildcards: number;
  maxEntries: number;
  activeCount: number;
  lookupCount: bigint;
  matchedCount: bigint;
}

export function tableStatsLen(version: number): number {
  return version === OFP10_VERSION ? 64 : 24;
}

export function decodeTableStats(r: Reader, version: number): TableStats {
  const t = r.sub(tableStatsLen(version));
  const tableId = t.u8();
  t.skip(3);
  if (version === OFP10_VERSION) {
    const name = t.str(32);
    return {
      tableId,
      name,
      wildcards: t.u32(),
      maxEntries: t.u32(),
      activeCount: t.u32(),
      lookupCount: t.u64(),
      matchedCount: t.u64(),
    };
  }
  return {
    tableId,
    name: '',
    wildcards: 0,
    maxEntries: 0,
    activeCount: t.u32(),
    lookupCount: t.u64(),
    matchedCount: t.u64(),
  };
}

export function encodeTableStats(w: Writer, t: TableStats, version: number): void {
  w.u8(t.tableId).zeros(3);
  if (version === OFP10_VERSION) w.str(t.name, 32).u32(t.wildcards).u32(t.maxEntries);
  w.u32(t.activeCount).u64(t.lookupCount).u64(t.matchedCount);
}

/** One queue's counters (OFPST_QUEUE); durations only in 1.3. */
export interface QueueStats {
  portNo: number;
  queueId: number;
  txBytes: bigint;
  txPackets: bigint;
  txErrors: bigint;
  durationSec: number;
  durationNsec: number;
}

export function queueStatsLen(version: number): number {
  return version === OFP10_VERSION ? 32 : 40;
}

export function decodeQueueStats(r: Reader, version: number): QueueStats {
  const q = r.sub(queueStatsLen(version));
  let portNo: number;
  if (version === OFP10_VERSION) {
    portNo = q.u16();
    q.skip(2);
  } else portNo = portFromOf11(q.u32(), 'OFPBRC_BAD_PORT');
  const queueId = q.u32();
  const txBytes = q.u64();
  const txPackets = q.u64();
  const txErrors = q.u64();
  const durationSec = version === OFP10_VERSION ? 0 : q.u32();
  const durationNsec = version === OFP10_VERSION ? 0 : q.u32();
  return { portNo, queueId, txBytes, txPackets, txErrors, durationSec, durationNsec };
}

export function encodeQueueStats(w: Writer, q: QueueStats, version: number): void {
  if (version === OFP10_VERSION) w.u16(q.portNo).zeros(2);
  else w.u32(portToOf11(q.portNo));
  w.u32(q.queueId).u64(q.txBytes).u64(q.txPackets).u64(q.txErrors);
  if (version !== OFP10_VERSION) w.u32(q.durationSec).u32(q.durationNsec);
}

/** A group bucket (group_mod, group_desc). watchPort in OpenFlow 1.0 numbering. */
export interface Bucket {
  weight: number;
  watchPort: number;
  watchGroup: number;
  actions: OfAction[];
  /** OpenFlow 1.5's bucket id (before 1.5: the bucket's position). */
  bucketId?: number;
}

/** Decodes buckets filling the rest of `r`. */
export function decodeBuckets(r: Reader, version: number): Bucket[] {
  const out: Bucket[] = [];
  while (r.left > 0) {
    if (r.left < 16) throw new OfpError('OFPGMFC_BAD_BUCKET', 'truncated bucket');
    const len = r.peek16(0);
    if (len < 16 || len > r.left || len % 8 !== 0)
      throw new OfpError('OFPGMFC_BAD_BUCKET', `bucket length ${len}`);
    const b = r.sub(len);
    b.skip(2);
    const weight = b.u16();
    const watchPort = portFromOf11(b.u32(), 'OFPBRC_BAD_PORT');
    const watchGroup = b.u32();
    b.skip(4);
    out.push({ weight, watchPort, watchGroup, actions: decodeActionList(b, b.left, version) });
  }
  return out;
}

export function encodeBuckets(w: Writer, buckets: readonly Bucket[], version: number): void {
  for (const bk of buckets) {
    const start = w.len;
    w.u16(0).u16(bk.weight).u32(portToOf11(bk.watchPort)).u32(bk.watchGroup).zeros(4);
    encodeActionList(w, bk.actions, version);
    w.set16(start, w.len - start);
  }
}

/** One group's description (OFPMP_GROUP_DESC). */
export interface GroupDesc {
  groupType: number;
  groupId: number;
  buckets: Bucket[];
}

export function decodeGroupDesc(r: Reader, version: number): GroupDesc {
  const e = entryReader(r, 8, 'ofp11_group_desc_stats');
  e.skip(2);
  const groupType = e.u8();
  e.skip(1);
  const groupId = e.u32();
  return { groupType, groupId, buckets: decodeBuckets(e, version) };
}

export function encodeGroupDesc(w: Writer, g: GroupDesc, version: number): void {
  const start = w.len;
  w.u16(0).u8(g.groupType).u8(0).u32(g.groupId);
  encodeBuckets(w, g.buckets, version);
  w.set16(start, w.len - start);
}

/** One group's counters (OFPMP_GROUP). */
export interface GroupStats {
  groupId: number;
  refCount: number;
  packetCount: bigint;
  byteCount: bigint;
  durationSec: number;
  durationNsec: number;
  buckets: { packetCount: bigint; byteCount: bigint }[];
}

export function decodeGroupStats(r: Reader): GroupStats {
  const e = entryReader(r, 40, 'ofp13_group_stats');
  e.skip(4);
  const groupId = e.u32();
  const refCount = e.u32();
  e.skip(4);
  const packetCount = e.u64();
  const byteCount = e.u64();
  const durationSec = e.u32();
  const durationNsec = e.u32();
  if (e.left % 16 !== 0) throw new OfpError('OFPBRC_BAD_LEN', 'group stats bucket counters');
  const buckets: GroupStats['buckets'] = [];
  while (e.left > 0) buckets.push({ packetCount: e.u64(), byteCount: e.u64() });
  return { groupId, refCount, packetCount, byteCount, durationSec, durationNsec, buckets };
}

export function encodeGroupStats(w: Writer, g: GroupStats): void {
  const start = w.len;
  w.u16(0).zeros(2).u32(g.groupId).u32(g.refCount).zeros(4).u64(g.packetCount).u64(g.byteCount);
  w.u32(g.durationSec).u32(g.durationNsec);
  for (const b of g.buckets) w.u64(b.packetCount).u64(b.byteCount);
  w.set16(start, w.len - start);
}

/** OFPMP_GROUP_FEATURES reply. */
export interface GroupFeatures {
  types: number;
  capabilities: number;
  maxGroups: [number, number, number, number];
  actions: [number, number, number, number];
}

export function decodeGroupFeatures(r: Reader): GroupFeatures {
  const g = r.sub(40);
  const types = g.u32();
  const capabilities = g.u32();
  const maxGroups: [number, number, number, number] = [g.u32(), g.u32(), g.u32(), g.u32()];
  const actions: [number, number, number, number] = [g.u32(), g.u32(), g.u32(), g.u32()];
  return { types, capabilities, maxGroups, actions };
}

export function encodeGroupFeatures(w: Writer, g: GroupFeatures): void {
  w.u32(g.types).u32(g.capabilities);
  for (const v of g.maxGroups) w.u32(v);
  for (const v of g.actions) w.u32(v);
}

// ---------------------------------------------------------------------------------------------------------
// Table features (OFPMP_TABLE_FEATURES, OpenFlow 1.3).

/** An instruction or action id in a table-features property: type plus any experimenter bytes. */
export interface FeatureId {
  type: number;
  data: Uint8Array;
}

/** An OXM id: the raw 32-bit header and, for class 0xffff, the experimenter id. */
export interface OxmId {
  header: number;
  experimenter: number | null;
}

export type TableFeatureProp =
  | { kind: 'instructions' | 'instructions_miss'; ids: FeatureId[] }
  | { kind: 'next_tables' | 'next_tables_miss'; tables: number[] }
  | {
      kind: 'write_actions' | 'write_actions_miss' | 'apply_actions' | 'apply_actions_miss';
      ids: FeatureId[];
    }
  | {
      kind:
        | 'match'
        | 'wildcards'
        | 'write_setfield'
        | 'write_setfield_miss'
        | 'apply_setfield'
        | 'apply_setfield_miss';
      oxms: OxmId[];
    }
  | { kind: 'experimenter' | 'experimenter_miss'; experimenter: number; expType: number; data: Uint8Array };

const PROP_KINDS: Record<number, TableFeatureProp['kind']> = {
  0: 'instructions',
  1: 'instructions_miss',
  2: 'next_tables',
  3: 'next_tables_miss',
  4: 'write_actions',
  5: 'write_actions_miss',
  6: 'apply_actions',
  7: 'apply_actions_miss',
  8: 'match',
  10: 'wildcards',
  12: 'write_setfield',
  13: 'write_setfield_miss',
  14: 'apply_setfield',
  15: 'apply_setfield_miss',
  65534: 'experimenter',
  65535: 'experimenter_miss',
};

const PROP_TYPES = new Map<TableFeatureProp['kind'], number>(
  Object.entries(PROP_KINDS).map(([k, v]) => [v, Number.parseInt(k, 10)]),
);

/** One table in a table-features request or reply. */
export interface TableFeatures {
  tableId: number;
  name: string;
  metadataMatch: bigint;
  metadataWrite: bigint;
  /** OFPTC_* config (capabilities in 1.5). */
  config: number;
  maxEntries: number;
  props: TableFeatureProp[];
}

function decodeFeatureIds(p: Reader): FeatureId[] {
  const ids: FeatureId[] = [];
  while (p.left > 0) {
    if (p.left < 4) throw new OfpError('OFPBPC_BAD_LEN', 'truncated id');
    const type = p.u16();
    const len = p.u16();
    if (len < 4 || len - 4 > p.left) throw new OfpError('OFPBPC_BAD_LEN', `id length ${len}`);
    ids.push({ type, data: p.bytes(len - 4) });
  }
  return ids;
}

function decodeOxmIds(p: Reader): OxmId[] {
  const ids: OxmId[] = [];
  while (p.left > 0) {
    const header = p.u32();
    const experimenter = header >>> 16 === 0xffff ? p.u32() : null;
    ids.push({ header, experimenter });
  }
  return ids;
}

function decodeTableFeatureProp(r: Reader): TableFeatureProp {
  if (r.left < 4) throw new OfpError('OFPBPC_BAD_LEN', 'truncated property');
  const type = r.peek16(0);
  const len = r.peek16(2);
  const padded = roundUp8(len);
  if (len < 4 || padded > r.left) throw new OfpError('OFPBPC_BAD_LEN', `property length ${len}`);
  const all = r.sub(padded, 'OFPBPC_BAD_LEN', 'table feature property');
  all.skip(4);
  const p = all.sub(len - 4, 'OFPBPC_BAD_LEN', 'table feature property');
  const kind = PROP_KINDS[type];
  switch (kind) {
    case 'instructions':
    case 'instructions_miss':
    case 'write_actions':
    case 'write_actions_miss':
    case 'apply_actions':
    case 'apply_actions_miss':
      return { kind, ids: decodeFeatureIds(p) };
    case 'next_tables':
    case 'next_tables_miss': {
      const tables: number[] = [];
      while (p.left > 0) tables.push(p.u8());
      return { kind, tables };
    }
    case 'match':
    case 'wildcards':
    case 'write_setfield':
    case 'write_setfield_miss':
    case 'apply_setfield':
    case 'apply_setfield_miss':
      return { kind, oxms: decodeOxmIds(p) };
    case 'experimenter':
    case 'experimenter_miss':
      return { kind, experimenter: p.u32(), expType: p.u32(), data: p.rest() };
    default:
      throw new OfpError('OFPBPC_BAD_TYPE', `unknown table feature property ${type}`);
  }
}

function encodeTableFeatureProp(w: Writer, prop: TableFeatureProp): void {
  const start = w.len;
  w.u16(PROP_TYPES.get(prop.kind) ?? 0).u16(0);
  if ('ids' in prop) {
    for (const id of prop.ids)
      w.u16(id.type)
        .u16(4 + id.data.length)
        .bytes(id.data);
  } else if ('tables' in prop) {
    for (const t of prop.tables) w.u8(t);
  } else if ('oxms' in prop) {
    for (const o of prop.oxms) {
      w.u32(o.header);
      if (o.experimenter !== null) w.u32(o.experimenter);
    }
  } else {
    w.u32(prop.experimenter).u32(prop.expType).bytes(prop.data);
  }
  w.set16(start + 2, w.len - start);
  w.pad8(start);
}

export function decodeTableFeatures(r: Reader): TableFeatures {
  const e = entryReader(r, 64, 'ofp13_table_features');
  e.skip(2);
  const tableId = e.u8();
  e.skip(5);
  const name = e.str(32);
  const metadataMatch = e.u64();
  const metadataWrite = e.u64();
  const config = e.u32();
  const maxEntries = e.u32();
  const props: TableFeatureProp[] = [];
  while (e.left > 0) props.push(decodeTableFeatureProp(e));
  return { tableId, name, metadataMatch, metadataWrite, config, maxEntries, props };
}

export function encodeTableFeatures(w: Writer, t: TableFeatures): void {
  const start = w.len;
  w.u16(0).u8(t.tableId).zeros(5).str(t.name, 32).u64(t.metadataMatch).u64(t.metadataWrite);
  w.u32(t.config).u32(t.maxEntries);
  for (const p of t.props) encodeTableFeatureProp(w, p);
  w.set16(start, w.len - start);
}
