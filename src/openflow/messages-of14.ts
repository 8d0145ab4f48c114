// OpenFlow 1.4 and 1.5 forms of structures whose layout changed after 1.3: properties (ofp_prop_header,
// experimenter properties), ofp14_port with its Ethernet property, ofp14_port_stats (Ethernet property and
// the Intel RFC 2819 / custom-statistics experimenter properties Open vSwitch adds), ofp14_port_mod, OXS
// statistics (OpenFlow 1.5's flow statistics, aggregate and flow-removed counters), ofp15_flow_desc,
// ofp15_bucket and ofp15_group_desc_stats. Same representations as the 1.0/1.3 codecs (messages-ports.ts,
// messages-stats.ts); messages.ts picks these by version.
import {
  decodeActionList,
  decodeInstructions,
  encodeActionList,
  encodeInstructions,
  OFPP_NONE,
  portFromOf11,
  portToOf11,
} from './messages-actions.js';
import type { PhyPort, PortStats } from './messages-ports.js';
import type { Bucket, FlowStatsEntry, GroupDesc, QueueStats } from './messages-stats.js';
import { decodeOxmMatch, encodeOxmMatch } from './oxm.js';
import { type Reader, roundUp8, type Writer } from './wire.js';
import { OfpError } from './wire-errors.js';

/** OFPPC_* and OFPPS_* bits OpenFlow 1.1+ defines (what OVS keeps of a 1.4 port). */
const OFPPC11_ALL = 0x65;
const OFPPS11_ALL = 0x7;
/** Intel's experimenter id, and its port statistics property types. */
export const INTEL_VENDOR_ID = 0x0000aa01;
const INTEL_PORT_STATS_RFC2819 = 1;
const INTEL_PORT_STATS_CUSTOM = 2;
/** Number of counters in the RFC 2819 property. */
export const RFC2819_COUNTERS = 21;
const U64_MAX = 0xffffffffffffffffn;

// ---------------------------------------------------------------------------------------------------------
// Properties.

/** One property: its type, the experimenter id and type for 0xffff, and a reader over its body. */
export interface PropView {
  type: number;
  experimenter: number;
  expType: number;
  body: Reader;
}

/** Reads one ofp_prop_header property (padded to 8 bytes) from `r`; OFPBPC_BAD_LEN when it does not fit. */
export function readProp(r: Reader): PropView {
  if (r.left < 4) throw new OfpError('OFPBPC_BAD_LEN', 'truncated property header');
  const type = r.peek16(0);
  const len = r.peek16(2);
  if (len < 4 || len > r.left) throw new OfpError('OFPBPC_BAD_LEN', `property length ${len}`);
  const padded = Math.min(roundUp8(len), r.left);
  const all = r.sub(padded, 'OFPBPC_BAD_LEN', 'property');
  all.skip(4);
  let experimenter = 0;
  let expType = 0;
  if (type === 0xffff) {
    if (len < 12) throw new OfpError('OFPBPC_BAD_LEN', `experimenter property length ${len}`);
    experimenter = all.u32();
    expType = all.u32();
  }
  const body = all.sub(len - (type === 0xffff ? 12 : 4), 'OFPBPC_BAD_LEN', 'property');
  return { type, experimenter, expType, body };
}

/** Reads every property filling `r`. */
export function readProps(r: Reader): PropView[] {
  const out: PropView[] = [];
  while (r.left > 0) out.push(readProp(r));
  return out;
}

/** Writes a property: header, `body`, the length, then padding to 8 bytes. */
export function writeProp(w: Writer, type: number, body: (w: Writer) => void): void {
  const start = w.len;
  w.u16(type).u16(0);
  body(w);
  w.set16(start + 2, w.len - start);
  w.pad8(start);
}

/** Writes an experimenter property (type 0xffff). */
export function writeExpProp(
  w: Writer,
  experimenter: number,
  expType: number,
  body: (w: Writer) => void,
): void {
  writeProp(w, 0xffff, (x) => {
    x.u32(experimenter).u32(expType);
    body(x);
  });
}

function readMac(r: Reader): string {
  return Array.from(r.bytes(6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

function writeMac(w: Writer, mac: string): void {
  const parts = mac.split(':');
  for (let i = 0; i < 6; i++) {
    const v = Number.parseInt(parts[i] ?? '0', 16);
    w.u8(Number.isFinite(v) ? v & 0xff : 0);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Ports.

/** Decodes one ofp14_port (40 bytes plus properties; the Ethernet property carries the features). */
export function decodePort14(r: Reader): PhyPort {
  if (r.left < 40) throw new OfpError('OFPBRC_BAD_LEN', 'truncated ofp14_port');
  const len = r.peek16(4);
  if (len < 40 || len > r.left) throw new OfpError('OFPBRC_BAD_LEN', `ofp14_port length ${len}`);
  const p = r.sub(len);
  const portNo = portFromOf11(p.u32(), 'OFPBRC_BAD_PORT');
  p.skip(4);
  const hwAddr = readMac(p);
  p.skip(2);
  const name = p.str(16);
  const port: PhyPort = {
    portNo,
    hwAddr,
    name,
    config: p.u32() & OFPPC11_ALL,
    state: p.u32() & OFPPS11_ALL,
    curr: 0,
    advertised: 0,
    supported: 0,
    peer: 0,
    currSpeed: 0,
    maxSpeed: 0,
  };
  for (const prop of readProps(p)) {
    if (prop.type !== 0) continue; // OVS ignores unknown port properties.
    const b = prop.body;
    if (b.left !== 28) throw new OfpError('OFPBPC_BAD_LEN', `ethernet port property of ${b.left} bytes`);
    b.skip(4);
    port.curr = b.u32();
    port.advertised = b.u32();
    port.supported = b.u32();
    port.peer = b.u32();
    port.currSpeed = b.u32();
    port.maxSpeed = b.u32();
  }
  return port;
}

/** Writes one ofp14_port with its Ethernet property, as Open vSwitch does. */
export function encodePort14(w: Writer, p: PhyPort): void {
  w.u32(portToOf11(p.portNo)).u16(72).zeros(2);
  writeMac(w, p.hwAddr);
  w.zeros(2)
    .str(p.name, 16)
    .u32(p.config & OFPPC11_ALL)
    .u32(p.state & OFPPS11_ALL);
  writeProp(w, 0, (x) => {
    x.zeros(4).u32(p.curr).u32(p.advertised).u32(p.supported).u32(p.peer);
    x.u32(p.currSpeed).u32(p.maxSpeed);
  });
}

/** Decodes ofp14_ports filling the rest of `r`. */
export function decodePorts14(r: Reader): PhyPort[] {
  const out: PhyPort[] = [];
  while (r.left > 0) out.push(decodePort14(r));
  return out;
}

/** The body of an ofp14_port_mod after the header: port, address, config, mask, advertise property. */
export interface PortMod14 {
  portNo: number;
  hwAddr: string;
  config: number;
  mask: number;
  advertise: number;
}

export function decodePortMod14(r: Reader): PortMod14 {
  if (r.left < 24) throw new OfpError('OFPBRC_BAD_LEN', 'shorter than ofp14_port_mod');
  const portNo = portFromOf11(r.u32(), 'OFPBRC_BAD_PORT');
  r.skip(4);
  const hwAddr = readMac(r);
  r.skip(2);
  const config = r.u32();
  const mask = r.u32();
  let advertise = 0;
  for (const prop of readProps(r)) {
    if (prop.type !== 0) throw new OfpError('OFPBPC_BAD_TYPE', `port_mod property ${prop.type}`);
    if (prop.body.left !== 4) throw new OfpError('OFPBPC_BAD_LEN', 'ethernet port_mod property');
    advertise = prop.body.u32();
  }
  return { portNo, hwAddr, config, mask, advertise };
}

export function encodePortMod14(w: Writer, m: PortMod14): void {
  w.u32(portToOf11(m.portNo)).zeros(4);
  writeMac(w, m.hwAddr);
  w.zeros(2).u32(m.config).u32(m.mask);
  if (m.advertise) writeProp(w, 0, (x) => x.u32(m.advertise));
}

// ---------------------------------------------------------------------------------------------------------
// Port statistics.

/** Decodes one ofp14_port_stats entry with its properties. Absent counters are all-ones ("?"). */
export function decodePortStats14(r: Reader): PortStats {
  if (r.left < 80) throw new OfpError('OFPBRC_BAD_LEN', 'truncated ofp14_port_stats');
  const len = r.peek16(0);
  if (len < 80 || len > r.left) throw new OfpError('OFPBRC_BAD_LEN', `ofp14_port_stats length ${len}`);
  const e = r.sub(len);
  e.skip(4);
  const portNo = portFromOf11(e.u32(), 'OFPBRC_BAD_PORT');
  const durationSec = e.u32();
  const durationNsec = e.u32();
  const c: bigint[] = [];
  for (let i = 0; i < 8; i++) c.push(e.u64());
  const s: PortStats = {
    portNo,
    rxPackets: c[0],
    txPackets: c[1],
    rxBytes: c[2],
    txBytes: c[3],
    rxDropped: c[4],
    txDropped: c[5],
    rxErrors: c[6],
    txErrors: c[7],
    rxFrameErr: U64_MAX,
    rxOverErr: U64_MAX,
    rxCrcErr: U64_MAX,
    collisions: U64_MAX,
    durationSec,
    durationNsec,
  };
  for (const prop of readProps(e)) {
    const b = prop.body;
    if (prop.type === 0) {
      if (b.left !== 36) throw new OfpError('OFPBPC_BAD_LEN', 'ethernet port stats property');
      b.skip(4);
      s.rxFrameErr = b.u64();
      s.rxOverErr = b.u64();
      s.rxCrcErr = b.u64();
      s.collisions = b.u64();
    } else if (prop.type === 0xffff && prop.experimenter === INTEL_VENDOR_ID) {
      if (prop.expType === INTEL_PORT_STATS_RFC2819) {
        if (b.left !== 4 + RFC2819_COUNTERS * 8) throw new OfpError('OFPBPC_BAD_LEN', 'rfc2819 property');
        b.skip(4);
        const v: bigint[] = [];
        for (let i = 0; i < RFC2819_COUNTERS; i++) v.push(b.u64());
        s.rfc2819 = v;
      } else if (prop.expType === INTEL_PORT_STATS_CUSTOM) {
        b.skip(2);
        const n = b.u16();
        const custom: { name: string; value: bigint }[] = [];
        for (let i = 0; i < n; i++) {
          const nameLen = b.u8();
          const name = String.fromCharCode(...b.bytes(nameLen));
          custom.push({ name, value: b.u64() });
        }
        s.custom = custom;
      }
    }
  }
  return s;
}

/** Writes one ofp14_port_stats: the Ethernet property, the RFC 2819 property (unknown counters all-ones,
 * as Open vSwitch sends them) and the custom counters when there are any. */
export function encodePortStats14(w: Writer, s: PortStats): void {
  const start = w.len;
  w.u16(0).zeros(2).u32(portToOf11(s.portNo)).u32(s.durationSec).u32(s.durationNsec);
  w.u64(s.rxPackets).u64(s.txPackets).u64(s.rxBytes).u64(s.txBytes);
  w.u64(s.rxDropped).u64(s.txDropped).u64(s.rxErrors).u64(s.txErrors);
  writeProp(w, 0, (x) => x.zeros(4).u64(s.rxFrameErr).u64(s.rxOverErr).u64(s.rxCrcErr).u64(s.collisions));
  writeExpProp(w, INTEL_VENDOR_ID, INTEL_PORT_STATS_RFC2819, (x) => {
    x.zeros(4);
    for (let i = 0; i < RFC2819_COUNTERS; i++) x.u64(s.rfc2819?.[i] ?? U64_MAX);
  });
  if (s.custom && s.custom.length > 0) {
    const custom = s.custom;
    writeExpProp(w, INTEL_VENDOR_ID, INTEL_PORT_STATS_CUSTOM, (x) => {
      x.zeros(2).u16(custom.length);
      for (const c of custom) {
        const name = c.name.slice(0, 255);
        x.u8(name.length);
        for (let i = 0; i < name.length; i++) x.u8(name.charCodeAt(i) & 0xff);
        x.u64(c.value);
      }
    });
  }
  w.set16(start, w.len - start);
}

// ---------------------------------------------------------------------------------------------------------
// OXS statistics (OpenFlow 1.5).

/** OXS counters; undefined = not present. */
export interface OxsStats {
  durationSec?: number;
  durationNsec?: number;
  idleAge?: number;
  flowCount?: number;
  packetCount?: bigint;
  byteCount?: bigint;
}

const OXS_BASIC = 0x8002;
const OXS_DURATION = 0;
const OXS_IDLE_TIME = 1;
const OXS_FLOW_COUNT = 3;
const OXS_PACKET_COUNT = 4;
const OXS_BYTE_COUNT = 5;

/** Decodes an ofp_oxs_stat (reserved, length, entries; padded to 8). Unknown entries are skipped. */
export function decodeOxs(r: Reader): OxsStats {
  if (r.left < 4) throw new OfpError('OFPBMC_BAD_LEN', 'truncated OXS stats');
  const len = r.peek16(2);
  if (len < 4 || roundUp8(len) > r.left) throw new OfpError('OFPBMC_BAD_LEN', `OXS stats length ${len}`);
  const all = r.sub(roundUp8(len), 'OFPBMC_BAD_LEN', 'OXS stats');
  all.skip(4);
  const e = all.sub(len - 4, 'OFPBMC_BAD_LEN', 'OXS stats');
  const s: OxsStats = {};
  while (e.left > 0) {
    const header = e.u32();
    const cls = header >>> 16;
    const field = (header >>> 9) & 0x7f;
    let length = header & 0xff;
    if (cls === 0xffff) {
      if (length < 4) throw new OfpError('OFPBMC_BAD_LEN', 'OXS experimenter entry');
      e.skip(4);
      length -= 4;
    }
    const v = e.sub(length, 'OFPBMC_BAD_LEN', 'OXS entry');
    if (cls !== OXS_BASIC) continue;
    if (field === OXS_DURATION && length === 8) {
      s.durationSec = v.u32();
      s.durationNsec = v.u32();
    } else if (field === OXS_IDLE_TIME && length === 8) {
      s.idleAge = v.u32();
    } else if (field === OXS_FLOW_COUNT && length === 4) s.flowCount = v.u32();
    else if (field === OXS_PACKET_COUNT && length === 8) s.packetCount = v.u64();
    else if (field === OXS_BYTE_COUNT && length === 8) s.byteCount = v.u64();
  }
  return s;
}

/** Writes an ofp_oxs_stat with the counters present in `s`, in Open vSwitch's order. */
export function encodeOxs(w: Writer, s: OxsStats): void {
  const start = w.len;
  w.u16(0).u16(0);
  const head = (field: number, len: number) => w.u32(((OXS_BASIC << 16) | (field << 9) | len) >>> 0);
  if (s.durationSec !== undefined) {
    head(OXS_DURATION, 8);
    w.u32(s.durationSec).u32(s.durationNsec ?? 0);
  }
  if (s.idleAge !== undefined) {
    head(OXS_IDLE_TIME, 8);
    w.u32(s.idleAge).u32(0);
  }
  if (s.packetCount !== undefined) {
    head(OXS_PACKET_COUNT, 8);
    w.u64(s.packetCount);
  }
  if (s.byteCount !== undefined) {
    head(OXS_BYTE_COUNT, 8);
    w.u64(s.byteCount);
  }
  if (s.flowCount !== undefined) {
    head(OXS_FLOW_COUNT, 4);
    w.u32(s.flowCount);
  }
  w.set16(start + 2, w.len - start);
  w.pad8(start);
}

// ---------------------------------------------------------------------------------------------------------
// Flow statistics (OpenFlow 1.5).

/**
 * Decodes one ofp15_flow_desc entry. Its idle age (OXS idle time) is kept as in Nicira replies: the age
 * plus one, 0 when absent.
 */
export function decodeFlowStats15(r: Reader, version: number): FlowStatsEntry {
  if (r.left < 24) throw new OfpError('OFPBRC_BAD_LEN', 'truncated ofp15_flow_desc');
  const len = r.peek16(0);
  if (len < 24 || len > r.left) throw new OfpError('OFPBRC_BAD_LEN', `ofp15_flow_desc length ${len}`);
  const e = r.sub(len);
  e.skip(4);
  const tableId = e.u8();
  e.skip(1);
  const priority = e.u16();
  const idleTimeout = e.u16();
  const hardTimeout = e.u16();
  const flags = e.u16();
  const importance = e.u16();
  const cookie = e.u64();
  const match = decodeOxmMatch(e);
  const oxs = decodeOxs(e);
  const instructions = decodeInstructions(e, e.left, version);
  return {
    tableId,
    durationSec: oxs.durationSec ?? 0,
    durationNsec: oxs.durationNsec ?? 0,
    priority,
    idleTimeout,
    hardTimeout,
    flags,
    importance,
    idleAge: oxs.idleAge === undefined || oxs.idleAge === 0xffffffff ? 0 : Math.min(oxs.idleAge + 1, 0xffff),
    hardAge: 0,
    cookie,
    packetCount: oxs.packetCount ?? U64_MAX,
    byteCount: oxs.byteCount ?? U64_MAX,
    match,
    instructions,
  };
}

export function encodeFlowStats15(w: Writer, f: FlowStatsEntry, version: number): void {
  const start = w.len;
  w.u16(0).zeros(2).u8(f.tableId).u8(0).u16(f.priority).u16(f.idleTimeout).u16(f.hardTimeout);
  w.u16(f.flags).u16(f.importance).u64(f.cookie);
  encodeOxmMatch(w, f.match, version);
  encodeOxs(w, {
    durationSec: f.durationSec,
    durationNsec: f.durationNsec,
    ...(f.idleAge > 0 ? { idleAge: f.idleAge - 1 } : {}),
    packetCount: f.packetCount,
    byteCount: f.byteCount,
  });
  encodeInstructions(w, f.instructions, version);
  w.set16(start, w.len - start);
}

// ---------------------------------------------------------------------------------------------------------
// Group buckets and descriptions (OpenFlow 1.5).

/** OFPG15_BUCKET_MAX: the largest bucket id. */
export const OFPG15_BUCKET_MAX = 0xffffff00;
const OFPGBPT15_WEIGHT = 0;
const OFPGBPT15_WATCH_PORT = 1;
const OFPGBPT15_WATCH_GROUP = 2;

/** Decodes `len` bytes of ofp15_buckets (weight defaults to 1 in select groups, 0 elsewhere). */
export function decodeBuckets15(r: Reader, len: number, version: number, groupType: number): Bucket[] {
  const list = r.sub(len, 'OFPGMFC_BAD_BUCKET', 'bucket list');
  const out: Bucket[] = [];
  const ids = new Set<number>();
  while (list.left > 0) {
    if (list.left < 8) throw new OfpError('OFPGMFC_BAD_BUCKET', 'truncated bucket');
    const blen = list.peek16(0);
    const alen = list.peek16(2);
    if (blen < 8 || blen > list.left || alen > blen - 8)
      throw new OfpError('OFPGMFC_BAD_BUCKET', `bucket length ${blen}`);
    const b = list.sub(blen, 'OFPGMFC_BAD_BUCKET', 'bucket');
    b.skip(4);
    const bucketId = b.u32();
    const actions = decodeActionList(b, alen, version);
    let weight = groupType === 1 ? 1 : 0;
    let watchPort = OFPP_NONE;
    let watchGroup = 0xffffffff;
    for (const prop of readProps(b)) {
      const need = (n: number) => {
        if (prop.body.left !== n) throw new OfpError('OFPBPC_BAD_LEN', `bucket property ${prop.type}`);
      };
      if (prop.type === OFPGBPT15_WEIGHT) {
        // OpenFlow pads 16-bit properties to 8 bytes; OVS takes any body of at least 2.
        if (prop.body.left < 2) throw new OfpError('OFPBPC_BAD_LEN', 'bucket weight property');
        weight = prop.body.u16();
      } else if (prop.type === OFPGBPT15_WATCH_PORT) {
        need(4);
        const raw = prop.body.u32();
        try {
          watchPort = portFromOf11(raw, 'OFPBRC_BAD_PORT');
        } catch {
          throw new OfpError('OFPGMFC_BAD_WATCH', `watch port 0x${raw.toString(16)}`);
        }
      } else if (prop.type === OFPGBPT15_WATCH_GROUP) {
        need(4);
        watchGroup = prop.body.u32();
      } else throw new OfpError('OFPBPC_BAD_TYPE', `group bucket property ${prop.type}`);
    }
    if (bucketId > OFPG15_BUCKET_MAX) throw new OfpError('OFPGMFC_BAD_BUCKET', `bucket id ${bucketId}`);
    if (ids.has(bucketId)) throw new OfpError('OFPGMFC_BUCKET_EXISTS', `duplicate bucket id ${bucketId}`);
    ids.add(bucketId);
    out.push({ weight, watchPort, watchGroup, actions, bucketId });
  }
  return out;
}

/** Writes ofp15_buckets; a bucket without an id gets its position. Returns the bytes written. */
export function encodeBuckets15(
  w: Writer,
  buckets: readonly Bucket[],
  version: number,
  groupType: number,
): number {
  const first = w.len;
  buckets.forEach((bk, i) => {
    const start = w.len;
    w.u16(0)
      .u16(0)
      .u32(bk.bucketId ?? i);
    const alen = encodeActionList(w, bk.actions, version);
    if (groupType === 1 || bk.weight) writeProp(w, OFPGBPT15_WEIGHT, (x) => x.u16(bk.weight).zeros(2));
    if (bk.watchPort !== OFPP_NONE)
      writeProp(w, OFPGBPT15_WATCH_PORT, (x) => x.u32(portToOf11(bk.watchPort)));
    if (bk.watchGroup !== 0xffffffff) writeProp(w, OFPGBPT15_WATCH_GROUP, (x) => x.u32(bk.watchGroup));
    w.set16(start, w.len - start);
    w.set16(start + 2, alen);
  });
  return w.len - first;
}

/** Decodes one ofp15_group_desc_stats entry (group properties are skipped). */
export function decodeGroupDesc15(r: Reader, version: number): GroupDesc {
  if (r.left < 16) throw new OfpError('OFPBRC_BAD_LEN', 'truncated ofp15_group_desc_stats');
  const len = r.peek16(0);
  if (len < 16 || len > r.left) throw new OfpError('OFPBRC_BAD_LEN', `group desc length ${len}`);
  const e = r.sub(len);
  e.skip(2);
  const groupType = e.u8();
  e.skip(1);
  const groupId = e.u32();
  const blen = e.u16();
  e.skip(6);
  if (blen > e.left) throw new OfpError('OFPBRC_BAD_LEN', `bucket list length ${blen}`);
  return { groupType, groupId, buckets: decodeBuckets15(e, blen, version, groupType) };
}

export function encodeGroupDesc15(w: Writer, g: GroupDesc, version: number): void {
  const start = w.len;
  w.u16(0).u8(g.groupType).u8(0).u32(g.groupId).u16(0).zeros(6);
  const blen = encodeBuckets15(w, g.buckets, version, g.groupType);
  w.set16(start + 8, blen);
  w.set16(start, w.len - start);
}

/** Decodes one ofp14_queue_stats entry (its properties, none defined, are skipped). */
export function decodeQueueStats14(r: Reader): QueueStats {
  if (r.left < 48) throw new OfpError('OFPBRC_BAD_LEN', 'truncated ofp14_queue_stats');
  const len = r.peek16(0);
  if (len < 48 || len > r.left) throw new OfpError('OFPBRC_BAD_LEN', `ofp14_queue_stats length ${len}`);
  const e = r.sub(len);
  e.skip(8);
  const portNo = portFromOf11(e.u32(), 'OFPBRC_BAD_PORT');
  const queueId = e.u32();
  const txBytes = e.u64();
  const txPackets = e.u64();
  const txErrors = e.u64();
  const durationSec = e.u32();
  const durationNsec = e.u32();
  return { portNo, queueId, txBytes, txPackets, txErrors, durationSec, durationNsec };
}

export function encodeQueueStats14(w: Writer, q: QueueStats): void {
  w.u16(48).zeros(6).u32(portToOf11(q.portNo)).u32(q.queueId);
  w.u64(q.txBytes).u64(q.txPackets).u64(q.txErrors).u32(q.durationSec).u32(q.durationNsec);
}
