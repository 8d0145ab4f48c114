// Tunnel headers as tunnel ports write and read them: GRE (RFC 2784 with RFC 2890's key and sequence number),
// VXLAN (RFC 7348) and Geneve (RFC 8926). The kernel's own sockets add and strip the outer IP/UDP headers, so
// these codecs cover only the tunnel header in front of the inner Ethernet frame.
//
// Hot path: parse* fill a caller-owned TunnelHeader and return a TNL_* code; write* store at an offset and
// return the header length (or -1 when it does not fit). Nothing here allocates or throws.
import { be16, be32, put16, put32 } from './bytes.js';
import { foldSum, onesSum } from './checksum.js';

/** Protocol type of an Ethernet payload in GRE and Geneve: Transparent Ethernet Bridging. */
export const ETH_TYPE_TEB = 0x6558;
/** IANA UDP port of VXLAN. */
export const VXLAN_PORT = 4789;
/** IANA UDP port of Geneve. */
export const GENEVE_PORT = 6081;

/** GRE flag C: checksum (and a reserved word) present. Flags are the first 16 bits of the header. */
export const GRE_CSUM = 0x8000;
/** GRE flag R (RFC 1701 routing): a receiver discards packets with it. */
export const GRE_ROUTING = 0x4000;
/** GRE flag K: key present (RFC 2890). */
export const GRE_KEY = 0x2000;
/** GRE flag S: sequence number present (RFC 2890). */
export const GRE_SEQ = 0x1000;
/** GRE RFC 1701 strict source route (s) and top recursion bit: bits 4-5, which RFC 2784 says to discard on. */
export const GRE_STRICT_RECUR = 0x0c00;
/** GRE version bits (must be 0). */
export const GRE_VERSION_MASK = 0x0007;
/** Bytes of the GRE header without optional fields. */
export const GRE_BASE_LEN = 4;
/** Largest GRE header (checksum, key and sequence number). */
export const GRE_MAX_LEN = 16;

/** Bytes of the VXLAN header. */
export const VXLAN_HEADER_LEN = 8;
/** VXLAN flags byte: the I flag (VNI valid). */
export const VXLAN_FLAG_I = 0x08;

/** Bytes of the Geneve header without options. */
export const GENEVE_BASE_LEN = 8;
/** Most option bytes a Geneve header holds (6-bit length in 4-byte units). */
export const GENEVE_MAX_OPTIONS = 252;
/** Geneve byte 1: O bit (control/OAM packet). */
export const GENEVE_FLAG_OAM = 0x80;
/** Geneve byte 1: C bit (critical options present). */
export const GENEVE_FLAG_CRITICAL = 0x40;
/** Geneve option type bit: critical option. */
export const GENEVE_OPT_CRITICAL = 0x80;
/** Bytes of a Geneve option's own header (class, type, length). */
export const GENEVE_OPT_HEADER_LEN = 4;
/** Largest Geneve option (4-byte header plus 31 * 4 bytes of data). */
export const GENEVE_OPT_MAX_LEN = 128;

/** Parsed fine (for Geneve: no critical option present). */
export const TNL_OK = 0;
/** The bytes end before the header does. */
export const TNL_ERR_TRUNCATED = 1;
/** Version field not 0 (GRE, Geneve). */
export const TNL_ERR_VERSION = 2;
/** Flags a receiver must refuse: GRE routing/strict-route/recursion bits, VXLAN without the I flag. */
export const TNL_ERR_FLAGS = 3;
/** GRE checksum present and wrong. */
export const TNL_ERR_CHECKSUM = 4;
/** Payload protocol not Ethernet (0x6558); the rest of the result is filled. */
export const TNL_ERR_PROTOCOL = 5;
/** Geneve option TLVs do not tile the option area. */
export const TNL_ERR_OPTIONS = 6;
/** Geneve C bit or a critical option: a receiver that does not interpret options must drop (rest filled). */
export const TNL_ERR_CRITICAL = 7;

/** Tunnel header kinds. */
export type TunnelKind = 'gre' | 'vxlan' | 'geneve';

/** What a parse* call found; one instance is reused by its owner for every packet. */
export class TunnelHeader {
  /** Bytes of the tunnel header (the inner frame starts here, relative to the header's offset). */
  headerLength = 0;
  /** Payload protocol type (VXLAN: always ETH_TYPE_TEB). */
  protocol = 0;
  /** GRE: K flag; VXLAN/Geneve: always true (the VNI). */
  keyPresent = false;
  /** GRE key (unsigned 32 bits) or the 24-bit VNI. */
  key = 0;
  /** GRE: S flag. */
  seqPresent = false;
  /** GRE sequence number (unsigned 32 bits). */
  seq = 0;
  /** GRE: C flag (the checksum was verified). */
  csumPresent = false;
  /** Geneve O bit. */
  oam = false;
  /** Geneve: the C bit or some option's critical bit is set. */
  critical = false;
  /** Geneve: offset (in the parsed buffer) of the options. */
  optionsOffset = 0;
  /** Geneve: bytes of options. */
  optionsLength = 0;

  /** Clears every field. */
  reset(): void {
    this.headerLength = 0;
    this.protocol = 0;
    this.keyPresent = false;
    this.key = 0;
    this.seqPresent = false;
    this.seq = 0;
    this.csumPresent = false;
    this.oam = false;
    this.critical = false;
    this.optionsOffset = 0;
    this.optionsLength = 0;
  }
}

/** True when buf[off, off+len) is a real range of buf. */
function inRange(buf: Uint8Array, off: number, len: number): boolean {
  return Number.isInteger(off) && Number.isInteger(len) && off >= 0 && len >= 0 && off + len <= buf.length;
}

/** Bytes of a GRE header whose flags word is `flags` (C adds 4, K adds 4, S adds 4). */
export function greHeaderLength(flags: number): number {
  return GRE_BASE_LEN + (flags & GRE_CSUM ? 4 : 0) + (flags & GRE_KEY ? 4 : 0) + (flags & GRE_SEQ ? 4 : 0);
}

/**
 * Bytes of a tunnel header: `options` is, for GRE, the mask of GRE_CSUM/GRE_KEY/GRE_SEQ; for Geneve, the option
 * bytes (a multiple of 4, at most 252); ignored for VXLAN. -1 for Geneve option bytes that cannot be.
 */
export function tunnelHeaderLength(kind: TunnelKind, options = 0): number {
  if (kind === 'gre') return greHeaderLength(options);
  if (kind === 'vxlan') return VXLAN_HEADER_LEN;
  if (!Number.isInteger(options) || options < 0 || options > GENEVE_MAX_OPTIONS || options % 4 !== 0)
    return -1;
  return GENEVE_BASE_LEN + options;
}

// ---- GRE ----

/**
 * Parses the GRE header at buf[off] of a packet whose GRE part (header and payload) is buf[off, off+len).
 * Refuses version != 0 and the RFC 1701 routing/strict-route/recursion bits (TNL_ERR_FLAGS); with C set, the
 * checksum over header and payload must be right (TNL_ERR_CHECKSUM). A protocol other than 0x6558 gives
 * TNL_ERR_PROTOCOL with `out` filled. Bits 6-12 are ignored, as RFC 2784 says.
 */
export function parseGre(buf: Uint8Array, off: number, len: number, out: TunnelHeader): number {
  out.reset();
  if (!inRange(buf, off, len) || len < GRE_BASE_LEN) return TNL_ERR_TRUNCATED;
  const flags = be16(buf, off);
  if ((flags & GRE_VERSION_MASK) !== 0) return TNL_ERR_VERSION;
  if ((flags & (GRE_ROUTING | GRE_STRICT_RECUR)) !== 0) return TNL_ERR_FLAGS;
  const hl = greHeaderLength(flags);
  if (len < hl) return TNL_ERR_TRUNCATED;
  out.headerLength = hl;
  out.protocol = be16(buf, off + 2);
  let p = off + GRE_BASE_LEN;
  if (flags & GRE_CSUM) {
    if (foldSum(onesSum(buf, off, off + len)) !== 0xffff) return TNL_ERR_CHECKSUM;
    out.csumPresent = true;
    p += 4;
  }
  if (flags & GRE_KEY) {
    out.keyPresent = true;
    out.key = be32(buf, p);
    p += 4;
  }
  if (flags & GRE_SEQ) {
    out.seqPresent = true;
    out.seq = be32(buf, p);
  }
  return out.protocol === ETH_TYPE_TEB ? TNL_OK : TNL_ERR_PROTOCOL;
}

/**
 * Writes a GRE header at buf[off]: `flags` selects GRE_CSUM/GRE_KEY/GRE_SEQ (other bits are dropped), version 0,
 * `protocol` (ETH_TYPE_TEB for Ethernet). The checksum field is left 0: with GRE_CSUM, call fillGreChecksum
 * (or fillGreChecksumSplit) once the payload is in place. Returns the header length, or -1 if it does not fit.
 */
export function writeGre(
  buf: Uint8Array,
  off: number,
  flags: number,
  protocol: number,
  key: number,
  seq: number,
): number {
  const f = flags & (GRE_CSUM | GRE_KEY | GRE_SEQ);
  const hl = greHeaderLength(f);
  if (!inRange(buf, off, hl)) return -1;
  put16(buf, off, f);
  put16(buf, off + 2, protocol);
  let p = off + GRE_BASE_LEN;
  if (f & GRE_CSUM) {
    put32(buf, p, 0);
    p += 4;
  }
  if (f & GRE_KEY) {
    put32(buf, p, key);
    p += 4;
  }
  if (f & GRE_SEQ) put32(buf, p, seq);
  return hl;
}

/**
 * Fills the checksum of the GRE header at buf[off] over header and payload buf[off, end) (RFC 2784: the ones'
 * complement sum of both). Returns the checksum, or -1 (nothing written) when C is not set or the range is bad.
 */
export function fillGreChecksum(buf: Uint8Array, off: number, end: number): number {
  if (!inRange(buf, off, end - off) || end - off < 8) return -1;
  const flags = be16(buf, off);
  if ((flags & GRE_CSUM) === 0 || end - off < greHeaderLength(flags)) return -1;
  put16(buf, off + 4, 0);
  const csum = ~foldSum(onesSum(buf, off, end)) & 0xffff;
  put16(buf, off + 4, csum);
  return csum;
}

/**
 * fillGreChecksum for a header and a payload in separate places (an iovec pair): the header at hdr[off] (its
 * length from its flags) and the payload payload[pOff, pOff+pLen). Returns the checksum or -1.
 */
export function fillGreChecksumSplit(
  hdr: Uint8Array,
  off: number,
  payload: Uint8Array,
  pOff: number,
  pLen: number,
): number {
  if (!inRange(hdr, off, 8) || !inRange(payload, pOff, pLen)) return -1;
  const flags = be16(hdr, off);
  if ((flags & GRE_CSUM) === 0) return -1;
  const hl = greHeaderLength(flags);
  if (!inRange(hdr, off, hl)) return -1;
  put16(hdr, off + 4, 0);
  // The header is a multiple of 4 bytes, so the payload's words pair up as if they followed it.
  const sum = onesSum(payload, pOff, pOff + pLen, onesSum(hdr, off, off + hl));
  const csum = ~foldSum(sum) & 0xffff;
  put16(hdr, off + 4, csum);
  return csum;
}

// ---- VXLAN ----

/**
 * Parses the VXLAN header at buf[off, off+len): the I flag must be set (TNL_ERR_FLAGS); reserved bits are
 * ignored, as RFC 7348 says. Fills headerLength 8, protocol ETH_TYPE_TEB, keyPresent and key (the VNI).
 */
export function parseVxlan(buf: Uint8Array, off: number, len: number, out: TunnelHeader): number {
  out.reset();
  if (!inRange(buf, off, len) || len < VXLAN_HEADER_LEN) return TNL_ERR_TRUNCATED;
  if ((buf[off] & VXLAN_FLAG_I) === 0) return TNL_ERR_FLAGS;
  out.headerLength = VXLAN_HEADER_LEN;
  out.protocol = ETH_TYPE_TEB;
  out.keyPresent = true;
  out.key = (buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6];
  return TNL_OK;
}

/** Writes a VXLAN header for `vni` (24 bits) at buf[off]; returns 8, or -1 if it does not fit. */
export function writeVxlan(buf: Uint8Array, off: number, vni: number): number {
  if (!inRange(buf, off, VXLAN_HEADER_LEN)) return -1;
  put32(buf, off, VXLAN_FLAG_I << 24);
  put32(buf, off + 4, (vni & 0xffffff) << 8);
  return VXLAN_HEADER_LEN;
}

// ---- Geneve ----

/**
 * Walks Geneve option TLVs in buf[off, off+len). Returns -1 when they do not tile the range exactly, 1 when some
 * option has its critical bit, else 0.
 */
export function scanGeneveOptions(buf: Uint8Array, off: number, len: number): number {
  if (!inRange(buf, off, len)) return -1;
  const end = off + len;
  let critical = 0;
  let p = off;
  while (p < end) {
    if (end - p < GENEVE_OPT_HEADER_LEN) return -1;
    const optLen = GENEVE_OPT_HEADER_LEN + (buf[p + 3] & 0x1f) * 4;
    if (end - p < optLen) return -1;
    if (buf[p + 2] & GENEVE_OPT_CRITICAL) critical = 1;
    p += optLen;
  }
  return critical;
}

/**
 * Parses the Geneve header at buf[off, off+len): version 0 (TNL_ERR_VERSION), the options in range and well
 * formed (TNL_ERR_TRUNCATED, TNL_ERR_OPTIONS). Fills headerLength (8 + options), protocol, key (the VNI), oam,
 * critical and the options' offset/length. Returns TNL_ERR_PROTOCOL for a protocol other than 0x6558, then
 * TNL_ERR_CRITICAL when the C bit or an option's critical bit is set (a receiver that does not interpret
 * options must drop it), else TNL_OK; `out` is filled in all three cases.
 */
export function parseGeneve(buf: Uint8Array, off: number, len: number, out: TunnelHeader): number {
  out.reset();
  if (!inRange(buf, off, len) || len < GENEVE_BASE_LEN) return TNL_ERR_TRUNCATED;
  const b0 = buf[off];
  if (b0 >> 6 !== 0) return TNL_ERR_VERSION;
  const optLen = (b0 & 0x3f) * 4;
  const hl = GENEVE_BASE_LEN + optLen;
  if (len < hl) return TNL_ERR_TRUNCATED;
  const scan = scanGeneveOptions(buf, off + GENEVE_BASE_LEN, optLen);
  if (scan < 0) return TNL_ERR_OPTIONS;
  const b1 = buf[off + 1];
  out.headerLength = hl;
  out.protocol = be16(buf, off + 2);
  out.keyPresent = true;
  out.key = (buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6];
  out.oam = (b1 & GENEVE_FLAG_OAM) !== 0;
  out.critical = (b1 & GENEVE_FLAG_CRITICAL) !== 0 || scan === 1;
  out.optionsOffset = off + GENEVE_BASE_LEN;
  out.optionsLength = optLen;
  if (out.protocol !== ETH_TYPE_TEB) return TNL_ERR_PROTOCOL;
  return out.critical ? TNL_ERR_CRITICAL : TNL_OK;
}

/**
 * Writes a Geneve header at buf[off]: version 0, protocol ETH_TYPE_TEB, `vni` (24 bits), the O bit when `oam`,
 * and `options` (whole TLVs, a multiple of 4 bytes, at most 252; null for none) copied after it, with the C bit
 * set when one of them is critical. Returns the header length, or -1 when the options are malformed or the
 * header does not fit.
 */
export function writeGeneve(
  buf: Uint8Array,
  off: number,
  vni: number,
  options: Uint8Array | null = null,
  oam = false,
): number {
  const optLen = options === null ? 0 : options.length;
  if (optLen % 4 !== 0 || optLen > GENEVE_MAX_OPTIONS) return -1;
  const hl = GENEVE_BASE_LEN + optLen;
  if (!inRange(buf, off, hl)) return -1;
  let critical = 0;
  if (options !== null && optLen > 0) {
    critical = scanGeneveOptions(options, 0, optLen);
    if (critical < 0) return -1;
    buf.set(options, off + GENEVE_BASE_LEN);
  }
  buf[off] = optLen / 4;
  buf[off + 1] = (oam ? GENEVE_FLAG_OAM : 0) | (critical === 1 ? GENEVE_FLAG_CRITICAL : 0);
  put16(buf, off + 2, ETH_TYPE_TEB);
  put32(buf, off + 4, (vni & 0xffffff) << 8);
  return hl;
}
