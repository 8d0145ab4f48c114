// RSTP's wire codec (802.1D-2004 clause 9): RST, Configuration and TCN BPDUs inside 802.3 + LLC 42/42/03
// frames to 01:80:c2:00:00:00. Pure bytes ↔ values; parsing never throws and reports a typed error.

/** The bridge group address every BPDU is sent to, as a 48-bit number. */
export const BPDU_DST_MAC = 0x0180_c200_0000;

/** The BPDU Type octet values (9.3). */
export const BPDU_TYPE_CONFIG = 0x00;
export const BPDU_TYPE_RST = 0x02;
export const BPDU_TYPE_TCN = 0x80;

/** Sizes of the BPDUs themselves, without the Ethernet and LLC headers (9.3.1-9.3.3). */
export const RST_BPDU_SIZE = 36;
export const CONFIG_BPDU_SIZE = 35;
export const TCN_BPDU_SIZE = 4;

/** Ethernet header (14) + LLC (3). */
const HEADER_SIZE = 17;
/** Frames are padded to Ethernet's 60-byte minimum (no FCS). */
const MIN_FRAME = 60;

/** Field offsets inside a BPDU, named once (9.3). */
const F = {
  protocolId: 0,
  version: 2,
  type: 3,
  flags: 4,
  rootId: 5,
  rootPathCost: 13,
  bridgeId: 17,
  portId: 25,
  messageAge: 27,
  maxAge: 29,
  helloTime: 31,
  forwardDelay: 33,
  version1Length: 35,
} as const;

/** Flag bits of the flags octet (9.3.3); the role is the two bits under ROLE_MASK. */
const FLAG_TC = 0x01;
const FLAG_PROPOSAL = 0x02;
const ROLE_MASK = 0x0c;
const ROLE_SHIFT = 2;
const FLAG_LEARNING = 0x10;
const FLAG_FORWARDING = 0x20;
const FLAG_AGREEMENT = 0x40;
const FLAG_TCA = 0x80;

/** The Port Role field of an RST BPDU (9.2.9). */
export type BpduRole = 'unknown' | 'alternate-backup' | 'root' | 'designated';
const ROLE_CODES: readonly BpduRole[] = ['unknown', 'alternate-backup', 'root', 'designated'];

/** Priority vector and timer fields shared by Configuration and RST BPDUs; times are in seconds. */
export interface BpduBody {
  rootId: bigint;
  rootPathCost: number;
  bridgeId: bigint;
  portId: number;
  messageAge: number;
  maxAge: number;
  helloTime: number;
  forwardDelay: number;
}

/** A legacy 802.1D Configuration BPDU. */
export interface ConfigBpdu extends BpduBody {
  type: 'config';
  tc: boolean;
  tca: boolean;
}

/** A legacy 802.1D Topology Change Notification BPDU. */
export interface TcnBpdu {
  type: 'tcn';
}

/** A Rapid Spanning Tree BPDU (version 2). */
export interface RstBpdu extends BpduBody {
  type: 'rst';
  tc: boolean;
  proposal: boolean;
  role: BpduRole;
  learning: boolean;
  forwarding: boolean;
  agreement: boolean;
  tca: boolean;
}

/** Any BPDU RSTP understands. */
export type Bpdu = ConfigBpdu | TcnBpdu | RstBpdu;

/** Why a frame was not accepted as a BPDU. */
export type BpduErrorCode =
  | 'truncated'
  | 'not-bpdu-address'
  | 'not-llc'
  | 'bad-llc'
  | 'bad-protocol-id'
  | 'bad-type';

/** A parse failure: `type: 'error'` so one switch on `.type` covers both outcomes. */
export interface BpduParseError {
  type: 'error';
  code: BpduErrorCode;
  message: string;
}

function parseError(code: BpduErrorCode, message: string): BpduParseError {
  return { type: 'error', code, message };
}

function readTime(view: DataView, at: number): number {
  return view.getUint16(at) / 256;
}

function writeTime(view: DataView, at: number, seconds: number): void {
  view.setUint16(at, Math.max(0, Math.min(0xffff, Math.round(seconds * 256))));
}

function readBody(view: DataView): BpduBody {
  return {
    rootId: view.getBigUint64(F.rootId),
    rootPathCost: view.getUint32(F.rootPathCost),
    bridgeId: view.getBigUint64(F.bridgeId),
    portId: view.getUint16(F.portId),
    messageAge: readTime(view, F.messageAge),
    maxAge: readTime(view, F.maxAge),
    helloTime: readTime(view, F.helloTime),
    forwardDelay: readTime(view, F.forwardDelay),
  };
}

function writeBody(view: DataView, body: BpduBody): void {
  view.setBigUint64(F.rootId, BigInt.asUintN(64, body.rootId));
  view.setUint32(F.rootPathCost, body.rootPathCost >>> 0);
  view.setBigUint64(F.bridgeId, BigInt.asUintN(64, body.bridgeId));
  view.setUint16(F.portId, body.portId & 0xffff);
  writeTime(view, F.messageAge, body.messageAge);
  writeTime(view, F.maxAge, body.maxAge);
  writeTime(view, F.helloTime, body.helloTime);
  writeTime(view, F.forwardDelay, body.forwardDelay);
}

function rstFlags(b: RstBpdu): number {
  let flags = ROLE_CODES.indexOf(b.role) << ROLE_SHIFT;
  if (b.tc) flags |= FLAG_TC;
  if (b.proposal) flags |= FLAG_PROPOSAL;
  if (b.learning) flags |= FLAG_LEARNING;
  if (b.forwarding) flags |= FLAG_FORWARDING;
  if (b.agreement) flags |= FLAG_AGREEMENT;
  if (b.tca) flags |= FLAG_TCA;
  return flags;
}

/** The BPDU alone (no Ethernet/LLC), as it goes on the wire. */
export function encodeBpdu(bpdu: Bpdu): Uint8Array {
  if (bpdu.type === 'tcn') return Uint8Array.of(0, 0, 0, BPDU_TYPE_TCN);
  const bytes = new Uint8Array(bpdu.type === 'rst' ? RST_BPDU_SIZE : CONFIG_BPDU_SIZE);
  const view = new DataView(bytes.buffer);
  writeBody(view, bpdu);
  if (bpdu.type === 'rst') {
    view.setUint8(F.version, 2);
    view.setUint8(F.type, BPDU_TYPE_RST);
    view.setUint8(F.flags, rstFlags(bpdu));
  } else {
    view.setUint8(F.type, BPDU_TYPE_CONFIG);
    view.setUint8(F.flags, (bpdu.tc ? FLAG_TC : 0) | (bpdu.tca ? FLAG_TCA : 0));
  }
  return bytes;
}

/** A whole frame: 802.3 header from `srcMac` (48-bit number) to the bridge group address, LLC, BPDU. */
export function encodeRstpFrame(srcMac: number, bpdu: Bpdu): Uint8Array {
  const body = encodeBpdu(bpdu);
  const frame = new Uint8Array(Math.max(MIN_FRAME, HEADER_SIZE + body.length));
  const view = new DataView(frame.buffer);
  view.setUint16(0, Math.floor(BPDU_DST_MAC / 0x1_0000_0000));
  view.setUint32(2, BPDU_DST_MAC % 0x1_0000_0000);
  view.setUint16(6, Math.floor(srcMac / 0x1_0000_0000) & 0xffff);
  view.setUint32(8, srcMac % 0x1_0000_0000);
  view.setUint16(12, 3 + body.length);
  frame.set([0x42, 0x42, 0x03], 14);
  frame.set(body, HEADER_SIZE);
  return frame;
}

function parseRst(view: DataView, flags: number): RstBpdu {
  return {
    type: 'rst',
    ...readBody(view),
    tc: (flags & FLAG_TC) !== 0,
    proposal: (flags & FLAG_PROPOSAL) !== 0,
    role: ROLE_CODES[(flags & ROLE_MASK) >> ROLE_SHIFT],
    learning: (flags & FLAG_LEARNING) !== 0,
    forwarding: (flags & FLAG_FORWARDING) !== 0,
    agreement: (flags & FLAG_AGREEMENT) !== 0,
    tca: (flags & FLAG_TCA) !== 0,
  };
}

/** Decodes a BPDU (no Ethernet/LLC) following the validation rules of 9.3.4; never throws. */
export function parseBpdu(bytes: Uint8Array): Bpdu | BpduParseError {
  if (bytes.length < TCN_BPDU_SIZE) return parseError('truncated', `BPDU of ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(F.protocolId) !== 0) return parseError('bad-protocol-id', 'protocol id is not 0');
  const type = view.getUint8(F.type);
  const flags = bytes.length > F.flags ? view.getUint8(F.flags) : 0;
  if (type === BPDU_TYPE_TCN) return { type: 'tcn' };
  if (type === BPDU_TYPE_RST && view.getUint8(F.version) >= 2) {
    if (bytes.length < RST_BPDU_SIZE) return parseError('truncated', `RST BPDU of ${bytes.length} bytes`);
    return parseRst(view, flags);
  }
  if (type === BPDU_TYPE_CONFIG) {
    if (bytes.length < CONFIG_BPDU_SIZE)
      return parseError('truncated', `Config BPDU of ${bytes.length} bytes`);
    return { type: 'config', ...readBody(view), tc: (flags & FLAG_TC) !== 0, tca: (flags & FLAG_TCA) !== 0 };
  }
  return parseError('bad-type', `unknown BPDU type 0x${type.toString(16).padStart(2, '0')}`);
}

function checkHeaders(frame: Uint8Array, offset: number, length: number): BpduParseError | number {
  if (length < HEADER_SIZE + TCN_BPDU_SIZE) return parseError('truncated', `frame of ${length} bytes`);
  const view = new DataView(frame.buffer, frame.byteOffset + offset, length);
  const dst = view.getUint16(0) * 0x1_0000_0000 + view.getUint32(2);
  if (dst !== BPDU_DST_MAC) return parseError('not-bpdu-address', 'destination is not 01:80:c2:00:00:00');
  const llcLength = view.getUint16(12);
  if (llcLength > 1500) return parseError('not-llc', `EtherType 0x${llcLength.toString(16)}, not 802.3`);
  if (view.getUint8(14) !== 0x42 || view.getUint8(15) !== 0x42 || view.getUint8(16) !== 0x03) {
    return parseError('bad-llc', 'LLC header is not 42 42 03');
  }
  if (llcLength < 3) return parseError('truncated', `802.3 length ${llcLength}`);
  return Math.min(llcLength - 3, length - HEADER_SIZE);
}

/** Decodes the BPDU in `frame[offset, offset+length)` (Ethernet header onwards); never throws. */
export function parseRstpFrame(frame: Uint8Array, offset: number, length: number): Bpdu | BpduParseError {
  if (offset < 0 || length < 0 || offset + length > frame.length) {
    return parseError('truncated', 'frame bounds outside the buffer');
  }
  const bodyLength = checkHeaders(frame, offset, length);
  if (typeof bodyLength !== 'number') return bodyLength;
  const start = frame.byteOffset + offset + HEADER_SIZE;
  return parseBpdu(new Uint8Array(frame.buffer, start, bodyLength));
}
