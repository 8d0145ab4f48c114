// Message bodies OpenFlow added after 1.0 that tsovs carries beside the core set in messages.ts: bundles
// (OFPT_BUNDLE_CONTROL / OFPT_BUNDLE_ADD_MESSAGE of 1.4+, and the ONF experimenter form Open vSwitch
// accepts in 1.3), meters (OFPT_METER_MOD, OFPMP_METER / METER_CONFIG / METER_FEATURES, 1.3+) and queue
// configuration (OFPT_QUEUE_GET_CONFIG_REQUEST/REPLY of 1.0–1.3, OFPMP_QUEUE_DESC of 1.4+).
// The bodies are decoded and written here; messages.ts frames them.
import { portFromOf11, portToOf11 } from './messages-actions.js';
import { readProps, writeProp } from './messages-of14.js';
import { OFP10_VERSION, OFP12_VERSION, type Reader, type Writer } from './wire.js';
import { OfpError } from './wire-errors.js';

/** OFPBCT_* bundle control types. */
export const OFPBCT_OPEN_REQUEST = 0;
export const OFPBCT_OPEN_REPLY = 1;
export const OFPBCT_CLOSE_REQUEST = 2;
export const OFPBCT_CLOSE_REPLY = 3;
export const OFPBCT_COMMIT_REQUEST = 4;
export const OFPBCT_COMMIT_REPLY = 5;
export const OFPBCT_DISCARD_REQUEST = 6;
export const OFPBCT_DISCARD_REPLY = 7;
/** OFPBF_* bundle flags. */
export const OFPBF_ATOMIC = 1;
export const OFPBF_ORDERED = 2;
/** The ONF experimenter subtypes of the OpenFlow 1.3 bundle extension. */
export const ONFT13_BUNDLE_CONTROL = 2300;
export const ONFT13_BUNDLE_ADD_MESSAGE = 2301;

/** OFPT_BUNDLE_CONTROL (ONFT13_BUNDLE_CONTROL in 1.3). Properties are kept as bytes. */
export interface BundleControl {
  type: 'bundle_control';
  bundleId: number;
  ctrlType: number;
  flags: number;
  props: Uint8Array;
}

/** OFPT_BUNDLE_ADD_MESSAGE (ONFT13_BUNDLE_ADD_MESSAGE in 1.3): `message` is the inner message's bytes. */
export interface BundleAdd {
  type: 'bundle_add';
  bundleId: number;
  flags: number;
  message: Uint8Array;
}

export function decodeBundleControl(r: Reader): BundleControl {
  if (r.left < 8) throw new OfpError('OFPBRC_BAD_LEN', 'shorter than ofp14_bundle_ctrl_msg');
  const bundleId = r.u32();
  const ctrlType = r.u16();
  const flags = r.u16();
  return { type: 'bundle_control', bundleId, ctrlType, flags, props: r.rest() };
}

export function encodeBundleControl(w: Writer, m: BundleControl): void {
  w.u32(m.bundleId).u16(m.ctrlType).u16(m.flags).bytes(m.props);
}

/**
 * Decodes a bundle add message; `outerVersion` and `outerXid` are its header's. The inner message must be
 * whole, of the same version and xid (OFPBFC_MSG_BAD_LEN, OFPBFC_BAD_VERSION, OFPBFC_MSG_BAD_XID).
 */
export function decodeBundleAdd(r: Reader, outerVersion: number, outerXid: number): BundleAdd {
  if (r.left < 8) throw new OfpError('OFPBRC_BAD_LEN', 'shorter than ofp14_bundle_ctrl_msg');
  const bundleId = r.u32();
  r.skip(2);
  const flags = r.u16();
  if (r.left < 8) throw new OfpError('OFPBFC_MSG_BAD_LEN', 'no inner message');
  const version = r.peek16(0) >>> 8;
  const len = r.peek16(2);
  const xid = r.peek32(4);
  if (version !== outerVersion) throw new OfpError('OFPBFC_BAD_VERSION', `inner version ${version}`);
  if (len < 8 || len > r.left) throw new OfpError('OFPBFC_MSG_BAD_LEN', `inner length ${len}`);
  if (xid !== outerXid) throw new OfpError('OFPBFC_MSG_BAD_XID', `inner xid ${xid}`);
  const message = r.bytes(len);
  r.skip(r.left); // padding and properties
  return { type: 'bundle_add', bundleId, flags, message };
}

export function encodeBundleAdd(w: Writer, m: BundleAdd): void {
  w.u32(m.bundleId).u16(0).u16(m.flags).bytes(m.message);
}

// ---------------------------------------------------------------------------------------------------------
// Meters.

/** OFPMC_* meter_mod commands. */
export const OFPMC_ADD = 0;
export const OFPMC_MODIFY = 1;
export const OFPMC_DELETE = 2;
/** OFPMF_* meter flags. */
export const OFPMF_KBPS = 1;
export const OFPMF_PKTPS = 2;
export const OFPMF_BURST = 4;
export const OFPMF_STATS = 8;
/** OFPMBT_* band types. */
export const OFPMBT_DROP = 1;
export const OFPMBT_DSCP_REMARK = 2;
/** Meter ids: the largest ordinary one, and the virtual ones. */
export const OFPM_MAX = 0xffff0000;
export const OFPM_SLOWPATH = 0xfffffffd;
export const OFPM_CONTROLLER = 0xfffffffe;
export const OFPM_ALL = 0xffffffff;

/** One meter band; precLevel only for dscp_remark. */
export interface MeterBand {
  bandType: number;
  rate: number;
  burstSize: number;
  precLevel: number;
}

/** A meter's configuration (meter_mod body, OFPMP_METER_CONFIG entry). */
export interface MeterConfig {
  meterId: number;
  flags: number;
  bands: MeterBand[];
}

/** One meter's counters (OFPMP_METER entry). */
export interface MeterStats {
  meterId: number;
  flowCount: number;
  packetInCount: bigint;
  byteInCount: bigint;
  durationSec: number;
  durationNsec: number;
  bands: { packetCount: bigint; byteCount: bigint }[];
}

/** OFPMP_METER_FEATURES reply body. */
export interface MeterFeatures {
  maxMeter: number;
  bandTypes: number;
  capabilities: number;
  maxBands: number;
  maxColor: number;
}

/** OFPT_METER_MOD. */
export interface MeterMod {
  type: 'meter_mod';
  command: number;
  meter: MeterConfig;
}

/** Reads meter bands filling `r` (each 16 bytes; OVS's checks: OFPBRC_BAD_LEN, OFPMMFC_BAD_BAND). */
export function decodeBands(r: Reader): MeterBand[] {
  const out: MeterBand[] = [];
  while (r.left >= 16) {
    const bandType = r.u16();
    const len = r.u16();
    if (len !== 16) throw new OfpError('OFPBRC_BAD_LEN', `meter band length ${len}`);
    if (bandType !== OFPMBT_DROP && bandType !== OFPMBT_DSCP_REMARK)
      throw new OfpError('OFPMMFC_BAD_BAND', `meter band type ${bandType}`);
    const rate = r.u32();
    const burstSize = r.u32();
    const prec = r.u8();
    r.skip(3);
    out.push({ bandType, rate, burstSize, precLevel: bandType === OFPMBT_DSCP_REMARK ? prec : 0 });
  }
  if (r.left) throw new OfpError('OFPBRC_BAD_LEN', `${r.left} bytes after the meter bands`);
  return out;
}

export function encodeBands(w: Writer, bands: readonly MeterBand[]): void {
  for (const b of bands) w.u16(b.bandType).u16(16).u32(b.rate).u32(b.burstSize).u8(b.precLevel).zeros(3);
}

export function decodeMeterMod(r: Reader): MeterMod {
  if (r.left < 8) throw new OfpError('OFPBRC_BAD_LEN', 'shorter than ofp13_meter_mod');
  const command = r.u16();
  let flags = r.u16();
  const meterId = r.u32();
  if (command !== OFPMC_ADD && command !== OFPMC_MODIFY && command !== OFPMC_DELETE)
    throw new OfpError('OFPMMFC_BAD_COMMAND', `meter_mod command ${command}`);
  let bands: MeterBand[] = [];
  if (command === OFPMC_DELETE) {
    flags = 0;
    r.skip(r.left);
  } else {
    if (flags & OFPMF_KBPS && flags & OFPMF_PKTPS) throw new OfpError('OFPMMFC_BAD_FLAGS', 'kbps and pktps');
    bands = decodeBands(r);
  }
  return { type: 'meter_mod', command, meter: { meterId, flags, bands } };
}

export function encodeMeterMod(w: Writer, m: MeterMod): void {
  w.u16(m.command)
    .u16(m.command === OFPMC_DELETE ? 0 : m.meter.flags)
    .u32(m.meter.meterId);
  encodeBands(w, m.meter.bands);
}

export function decodeMeterConfig(r: Reader): MeterConfig {
  if (r.left < 8) throw new OfpError('OFPBRC_BAD_LEN', 'truncated ofp13_meter_config');
  const len = r.peek16(0);
  if (len < 8 || len > r.left) throw new OfpError('OFPBRC_BAD_LEN', `meter config length ${len}`);
  const e = r.sub(len);
  e.skip(2);
  const flags = e.u16();
  const meterId = e.u32();
  return { meterId, flags, bands: decodeBands(e) };
}

export function encodeMeterConfig(w: Writer, c: MeterConfig): void {
  w.u16(8 + 16 * c.bands.length)
    .u16(c.flags)
    .u32(c.meterId);
  encodeBands(w, c.bands);
}

export function decodeMeterStats(r: Reader): MeterStats {
  if (r.left < 40) throw new OfpError('OFPBRC_BAD_LEN', 'truncated ofp13_meter_stats');
  const len = r.peek16(4);
  if (len < 40 || len > r.left || (len - 40) % 16 !== 0)
    throw new OfpError('OFPBRC_BAD_LEN', `meter stats length ${len}`);
  const e = r.sub(len);
  const meterId = e.u32();
  e.skip(8);
  const flowCount = e.u32();
  const packetInCount = e.u64();
  const byteInCount = e.u64();
  const durationSec = e.u32();
  const durationNsec = e.u32();
  const bands: MeterStats['bands'] = [];
  while (e.left > 0) bands.push({ packetCount: e.u64(), byteCount: e.u64() });
  return { meterId, flowCount, packetInCount, byteInCount, durationSec, durationNsec, bands };
}

export function encodeMeterStats(w: Writer, s: MeterStats): void {
  w.u32(s.meterId)
    .u16(40 + 16 * s.bands.length)
    .zeros(6)
    .u32(s.flowCount);
  w.u64(s.packetInCount).u64(s.byteInCount).u32(s.durationSec).u32(s.durationNsec);
  for (const b of s.bands) w.u64(b.packetCount).u64(b.byteCount);
}

export function decodeMeterFeatures(r: Reader): MeterFeatures {
  if (r.left !== 16) throw new OfpError('OFPBRC_BAD_LEN', `meter features of ${r.left} bytes`);
  const maxMeter = r.u32();
  const bandTypes = r.u32();
  const capabilities = r.u32();
  const maxBands = r.u8();
  const maxColor = r.u8();
  r.skip(2);
  return { maxMeter, bandTypes, capabilities, maxBands, maxColor };
}

export function encodeMeterFeatures(w: Writer, f: MeterFeatures): void {
  w.u32(f.maxMeter).u32(f.bandTypes).u32(f.capabilities).u8(f.maxBands).u8(f.maxColor).zeros(2);
}

// ---------------------------------------------------------------------------------------------------------
// Queue configuration.

/** OFPQ_ALL: every queue. */
export const OFPQ_ALL = 0xffffffff;

/** One queue's configuration; rates in tenths of a percent, 0xffff when not given. */
export interface QueueConfig {
  portNo: number;
  queueId: number;
  minRate: number;
  maxRate: number;
}

/** OFPT_QUEUE_GET_CONFIG_REQUEST (1.0–1.3) or OFPMP_QUEUE_DESC request (1.4+, queueId given). */
export interface QueueGetConfigRequest {
  type: 'queue_get_config_request' | 'queue_desc_request';
  portNo: number;
  queueId: number;
  /** Multipart flags (queue_desc_request only). */
  flags?: number;
}

/** OFPT_QUEUE_GET_CONFIG_REPLY (portNo from its header) or OFPMP_QUEUE_DESC reply. */
export interface QueueGetConfigReply {
  type: 'queue_get_config_reply' | 'queue_desc_reply';
  portNo: number;
  queues: QueueConfig[];
  /** Multipart flags (queue_desc_reply only). */
  flags?: number;
}

const OFPQT_MIN_RATE = 1;
const OFPQT_MAX_RATE = 2;

/** Port numbers of queue requests and replies in 1.0 numbering. */
function readPort(r: Reader, version: number): number {
  if (version === OFP10_VERSION) {
    const p = r.u16();
    r.skip(2);
    return p;
  }
  return portFromOf11(r.u32(), 'OFPBRC_BAD_PORT');
}

export function decodeQueueGetConfigRequest(r: Reader, version: number): QueueGetConfigRequest {
  if (r.left !== (version === OFP10_VERSION ? 4 : 8))
    throw new OfpError('OFPBRC_BAD_LEN', `queue_get_config_request of ${r.left} bytes`);
  const portNo = readPort(r, version);
  r.skip(r.left);
  return { type: 'queue_get_config_request', portNo, queueId: OFPQ_ALL };
}

export function encodeQueueGetConfigRequest(w: Writer, m: QueueGetConfigRequest, version: number): void {
  if (m.type === 'queue_desc_request') {
    w.u32(portToOf11(m.portNo)).u32(m.queueId);
    return;
  }
  if (version === OFP10_VERSION) w.u16(m.portNo).zeros(2);
  else w.u32(portToOf11(m.portNo)).zeros(4);
}

/** Queue properties of 1.0–1.3 (ofp10_queue_prop_header based). */
function readOldQueueProps(r: Reader, q: QueueConfig): void {
  while (r.left > 0) {
    if (r.left < 8) throw new OfpError('OFPBRC_BAD_LEN', 'truncated queue property');
    const property = r.peek16(0);
    const len = r.peek16(2);
    if (len < 8 || len > r.left || len % 8)
      throw new OfpError('OFPBRC_BAD_LEN', `queue property length ${len}`);
    const p = r.sub(len);
    p.skip(8);
    if (property === OFPQT_MIN_RATE || property === OFPQT_MAX_RATE) {
      if (len !== 16) throw new OfpError('OFPBRC_BAD_LEN', 'queue rate property');
      const rate = p.u16();
      if (property === OFPQT_MIN_RATE) q.minRate = rate;
      else q.maxRate = rate;
    }
  }
}

export function decodeQueueGetConfigReply(r: Reader, version: number): QueueGetConfigReply {
  if (r.left < (version === OFP10_VERSION ? 8 : 8))
    throw new OfpError('OFPBRC_BAD_LEN', 'queue config reply');
  let portNo: number;
  if (version === OFP10_VERSION) {
    portNo = r.u16();
    r.skip(6);
  } else {
    portNo = portFromOf11(r.u32(), 'OFPBRC_BAD_PORT');
    r.skip(4);
  }
  const queues: QueueConfig[] = [];
  const head = version < OFP12_VERSION ? 8 : 16;
  while (r.left > 0) {
    if (r.left < head) throw new OfpError('OFPBRC_BAD_LEN', 'truncated packet queue');
    const queueId = r.peek32(0);
    const len = version < OFP12_VERSION ? r.peek16(4) : r.peek16(8);
    if (len < head || len > r.left || len % 8)
      throw new OfpError('OFPBRC_BAD_LEN', `packet queue length ${len}`);
    const q = r.sub(len);
    q.skip(head);
    // Open vSwitch reports every queue of such a reply under the port its header names.
    const cfg: QueueConfig = { portNo, queueId, minRate: 0xffff, maxRate: 0xffff };
    readOldQueueProps(q, cfg);
    queues.push(cfg);
  }
  return { type: 'queue_get_config_reply', portNo, queues };
}

function writeOldRate(w: Writer, property: number, rate: number): void {
  if (rate !== 0xffff) w.u16(property).u16(16).zeros(4).u16(rate).zeros(6);
}

export function encodeQueueGetConfigReply(w: Writer, m: QueueGetConfigReply, version: number): void {
  if (m.type === 'queue_desc_reply') {
    for (const q of m.queues) {
      const start = w.len;
      w.u32(portToOf11(q.portNo)).u32(q.queueId).u16(0).zeros(6);
      if (q.minRate !== 0xffff) writeProp(w, OFPQT_MIN_RATE, (x) => x.u16(q.minRate).zeros(2));
      if (q.maxRate !== 0xffff) writeProp(w, OFPQT_MAX_RATE, (x) => x.u16(q.maxRate).zeros(2));
      w.set16(start + 8, w.len - start);
    }
    return;
  }
  if (version === OFP10_VERSION) w.u16(m.portNo).zeros(6);
  else w.u32(portToOf11(m.portNo)).zeros(4);
  for (const q of m.queues) {
    const start = w.len;
    if (version < OFP12_VERSION) {
      w.u32(q.queueId).u16(0).zeros(2);
      writeOldRate(w, OFPQT_MIN_RATE, q.minRate);
      writeOldRate(w, OFPQT_MAX_RATE, q.maxRate);
      w.set16(start + 4, w.len - start);
    } else {
      w.u32(q.queueId).u32(portToOf11(q.portNo)).u16(0).zeros(6);
      writeOldRate(w, OFPQT_MIN_RATE, q.minRate);
      writeOldRate(w, OFPQT_MAX_RATE, q.maxRate);
      w.set16(start + 8, w.len - start);
    }
  }
}

export function decodeQueueDescRequest(r: Reader, flags: number): QueueGetConfigRequest {
  if (r.left !== 8) throw new OfpError('OFPBRC_BAD_LEN', `queue desc request of ${r.left} bytes`);
  const portNo = portFromOf11(r.u32(), 'OFPBRC_BAD_PORT');
  return { type: 'queue_desc_request', portNo, queueId: r.u32(), flags };
}

export function decodeQueueDescReply(r: Reader, flags: number): QueueGetConfigReply {
  const queues: QueueConfig[] = [];
  while (r.left > 0) {
    if (r.left < 16) throw new OfpError('OFPBRC_BAD_LEN', 'truncated ofp14_queue_desc');
    const len = r.peek16(8);
    if (len < 16 || len > r.left || len % 8) throw new OfpError('OFPBRC_BAD_LEN', `queue desc length ${len}`);
    const e = r.sub(len);
    const portNo = portFromOf11(e.u32(), 'OFPBRC_BAD_PORT');
    const queueId = e.u32();
    e.skip(8);
    const q: QueueConfig = { portNo, queueId, minRate: 0xffff, maxRate: 0xffff };
    for (const prop of readProps(e)) {
      if (prop.type !== OFPQT_MIN_RATE && prop.type !== OFPQT_MAX_RATE) continue;
      if (prop.body.left < 2) throw new OfpError('OFPBPC_BAD_LEN', 'queue rate property');
      if (prop.type === OFPQT_MIN_RATE) q.minRate = prop.body.u16();
      else q.maxRate = prop.body.u16();
    }
    queues.push(q);
  }
  return { type: 'queue_desc_reply', portNo: 0xffff, queues, flags };
}
