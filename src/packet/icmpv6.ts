// ICMPv6 (RFC 4443) and neighbour discovery (RFC 4861): a zero-copy view over the header, the ND target and
// the link-layer address options, and Icmpv6Repr with parse/emit (checksummed under the IPv6 pseudo-header).
import { be16, be32, put16, put32, rangeHolds } from './bytes.js';
import { foldSum, onesSum, pseudoSumV6 } from './checksum.js';
import { needBytes } from './errors.js';
import { formatIpv6Bytes, requireIp } from './ip-addr.js';
import { IPPROTO_ICMPV6 } from './ipv4.js';
import { readMacText, requireMac } from './mac.js';

/** Bytes of the ICMPv6 header (type, code, checksum, 4 bytes of message-specific data). */
export const ICMPV6_HEADER_LEN = 8;
/** Bytes of a neighbour solicitation/advertisement before its options (header + target). */
export const ND_HEADER_LEN = 24;
/** ICMPv6 type: echo request. */
export const ICMPV6_ECHO_REQUEST = 128;
/** ICMPv6 type: echo reply. */
export const ICMPV6_ECHO_REPLY = 129;
/** ICMPv6 type: router solicitation. */
export const ND_ROUTER_SOLICIT = 133;
/** ICMPv6 type: router advertisement. */
export const ND_ROUTER_ADVERT = 134;
/** ICMPv6 type: neighbour solicitation. */
export const ND_NEIGHBOR_SOLICIT = 135;
/** ICMPv6 type: neighbour advertisement. */
export const ND_NEIGHBOR_ADVERT = 136;
/** ND option type: source link-layer address. */
export const ND_OPT_SOURCE_LINKADDR = 1;
/** ND option type: target link-layer address. */
export const ND_OPT_TARGET_LINKADDR = 2;
/** Neighbour advertisement flag (in the 4 bytes after the checksum): router. */
export const ND_NA_ROUTER = 0x80000000;
/** Neighbour advertisement flag: solicited. */
export const ND_NA_SOLICITED = 0x40000000;
/** Neighbour advertisement flag: override. */
export const ND_NA_OVERRIDE = 0x20000000;

const TYPE = 0;
const CODE = 1;
const CSUM = 2;
const REST = 4;
const TARGET = 8;

/** Zero-copy view of an ICMPv6 message at buf[offset..offset+length) (length = the whole message). */
export class Icmpv6Packet {
  constructor(
    readonly buf: Uint8Array,
    readonly offset: number,
    readonly length: number,
  ) {}

  /** True when the range holds the 8-byte header (and, for NS/NA, the target: see isNd). */
  check(): boolean {
    return rangeHolds(this.buf, this.offset, this.length, ICMPV6_HEADER_LEN);
  }
  /** True for a neighbour solicitation or advertisement with code 0 and room for its target. */
  isNd(): boolean {
    const t = this.type;
    return (
      this.code === 0 &&
      (t === ND_NEIGHBOR_SOLICIT || t === ND_NEIGHBOR_ADVERT) &&
      this.length >= ND_HEADER_LEN
    );
  }
  /** Message type. */
  get type(): number {
    return this.buf[this.offset + TYPE];
  }
  /** Message code. */
  get code(): number {
    return this.buf[this.offset + CODE];
  }
  /** Checksum as stored. */
  get checksum(): number {
    return be16(this.buf, this.offset + CSUM);
  }
  /** The 4 bytes after the checksum (NA: R/S/O flags; echo: ident << 16 | seq). */
  get rest(): number {
    return be32(this.buf, this.offset + REST);
  }
  /** Offset (in buf) of the 16-byte ND target (meaningful when isNd()). */
  get targetOffset(): number {
    return this.offset + TARGET;
  }
  /** ND target text (meaningful when isNd()). */
  get target(): string {
    return formatIpv6Bytes(this.buf, this.offset + TARGET);
  }
  /**
   * Offset (in buf) of the 6-byte address in the first well-formed 8-byte option of `optType` after the ND
   * target, or -1 when there is none or the options are malformed before it.
   */
  findLinkAddrOption(optType: number): number {
    const end = this.offset + this.length;
    let at = this.offset + ND_HEADER_LEN;
    while (end - at >= 8) {
      const len = this.buf[at + 1] * 8;
      if (len === 0 || len > end - at) return -1;
      if (this.buf[at] === optType && len === 8) return at + 2;
      at += len;
    }
    return -1;
  }
  /** True when the checksum under the pseudo-header of the addresses at buf[srcOff], buf[dstOff] is right. */
  checksumOk(srcOff: number, dstOff: number): boolean {
    const sum = onesSum(
      this.buf,
      this.offset,
      this.offset + this.length,
      pseudoSumV6(this.buf, srcOff, dstOff, IPPROTO_ICMPV6, this.length),
    );
    return foldSum(sum) === 0xffff;
  }
  /** Recomputes and stores the checksum under the pseudo-header of the addresses at buf[srcOff], buf[dstOff]. */
  fillChecksum(srcOff: number, dstOff: number): void {
    put16(this.buf, this.offset + CSUM, 0);
    const sum = onesSum(
      this.buf,
      this.offset,
      this.offset + this.length,
      pseudoSumV6(this.buf, srcOff, dstOff, IPPROTO_ICMPV6, this.length),
    );
    put16(this.buf, this.offset + CSUM, ~foldSum(sum) & 0xffff);
  }
}

/** Neighbour discovery fields of an NS/NA: target and the link-layer address options. */
export interface NdRepr {
  target: string;
  /** Source link-layer address option (NS), when present. */
  sll?: string;
  /** Target link-layer address option (NA), when present. */
  tll?: string;
}

/** Plain form of an ICMPv6 message; for NS/NA `nd` is set and emit rebuilds the body from it. */
export interface Icmpv6Repr {
  type: number;
  code: number;
  rest: number;
  /** Bytes after the 8-byte header (for NS/NA: the target and options as received). */
  data: Uint8Array;
  nd?: NdRepr;
}

/** Parses the ICMPv6 message filling buf[offset..offset+length); throws PacketError. */
export function parseIcmpv6(buf: Uint8Array, offset: number, length: number): Icmpv6Repr {
  needBytes('icmpv6', rangeHolds(buf, offset, length, 0) ? length : 0, ICMPV6_HEADER_LEN);
  const v = new Icmpv6Packet(buf, offset, length);
  const repr: Icmpv6Repr = {
    type: v.type,
    code: v.code,
    rest: v.rest,
    data: buf.slice(offset + 8, offset + length),
  };
  if (v.isNd()) repr.nd = parseNd(v);
  return repr;
}

function parseNd(v: Icmpv6Packet): NdRepr {
  const nd: NdRepr = { target: v.target };
  const sll = v.findLinkAddrOption(ND_OPT_SOURCE_LINKADDR);
  const tll = v.findLinkAddrOption(ND_OPT_TARGET_LINKADDR);
  if (sll >= 0) nd.sll = readMacText(v.buf, sll);
  if (tll >= 0) nd.tll = readMacText(v.buf, tll);
  return nd;
}

/** The body after the 8-byte header that emit writes: the ND target and options, or `data`. */
function bodyOf(repr: Icmpv6Repr): Uint8Array {
  if (!repr.nd) return repr.data;
  const { target, sll, tll } = repr.nd;
  const body = new Uint8Array(16 + (sll ? 8 : 0) + (tll ? 8 : 0));
  body.set(requireIp(target, 16), 0);
  let at = 16;
  for (const [type, mac] of [
    [ND_OPT_SOURCE_LINKADDR, sll] as const,
    [ND_OPT_TARGET_LINKADDR, tll] as const,
  ]) {
    if (!mac) continue;
    body[at] = type;
    body[at + 1] = 1;
    body.set(requireMac(mac), at + 2);
    at += 8;
  }
  return body;
}

/** Bytes `repr` takes on the wire. */
export function icmpv6Length(repr: Icmpv6Repr): number {
  return ICMPV6_HEADER_LEN + bodyOf(repr).length;
}

/** Writes `repr` at buf[offset] with its checksum under the pseudo-header of `src` → `dst`; returns its length. */
export function emitIcmpv6(
  repr: Icmpv6Repr,
  buf: Uint8Array,
  offset: number,
  src: string,
  dst: string,
): number {
  const body = bodyOf(repr);
  const len = ICMPV6_HEADER_LEN + body.length;
  needBytes('icmpv6 emit', buf.length - offset, len);
  buf[offset + TYPE] = repr.type;
  buf[offset + CODE] = repr.code;
  put32(buf, offset + REST, repr.rest);
  buf.set(body, offset + ICMPV6_HEADER_LEN);
  const addrs = new Uint8Array(32);
  addrs.set(requireIp(src, 16), 0);
  addrs.set(requireIp(dst, 16), 16);
  put16(buf, offset + CSUM, 0);
  const sum = onesSum(buf, offset, offset + len, pseudoSumV6(addrs, 0, 16, IPPROTO_ICMPV6, len));
  put16(buf, offset + CSUM, ~foldSum(sum) & 0xffff);
  return len;
}
