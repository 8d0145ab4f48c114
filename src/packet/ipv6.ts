// IPv6 fixed headers (RFC 8200): a zero-copy view with the field offsets named once and a check() against the
// payload length, and Ipv6Repr with parse/emit. Extension headers are walked by the flow-key extractor.
import { be16, be32, put16, put32, rangeHolds } from './bytes.js';
import { needBytes, PacketError } from './errors.js';
import { formatIpv6Bytes, requireIp } from './ip-addr.js';

/** Bytes of the fixed IPv6 header. */
export const IPV6_HEADER_LEN = 40;
/** IPv6 hop-by-hop options header (one of the extension headers OVS walks past). */
export const IPPROTO_HOPOPTS = 0;
/** IPv6 routing header. */
export const IPPROTO_ROUTING = 43;
/** IPv6 fragment header. */
export const IPPROTO_FRAGMENT = 44;
/** IPv6 authentication header. */
export const IPPROTO_AH = 51;
/** IPv6 "no next header". */
export const IPPROTO_NONE = 59;
/** IPv6 destination options header. */
export const IPPROTO_DSTOPTS = 60;
/** IPv6 fragment header: the offset bits (8-byte units, shifted left 3) of the offset/flags field. */
export const IP6F_OFF_MASK = 0xfff8;
/** IPv6 fragment header M flag. */
export const IP6F_MORE_FRAGMENTS = 0x0001;

const VTC_FLOW = 0;
const PLEN = 4;
const NEXT = 6;
const HLIM = 7;
const SRC = 8;
const DST = 24;

/** Zero-copy view of an IPv6 header at buf[offset..offset+length). */
export class Ipv6Packet {
  constructor(
    readonly buf: Uint8Array,
    readonly offset: number,
    readonly length: number,
  ) {}

  /** A view when check() passes, else undefined. */
  static checked(buf: Uint8Array, offset: number, length: number): Ipv6Packet | undefined {
    const v = new Ipv6Packet(buf, offset, length);
    return v.check() ? v : undefined;
  }

  /** True when version is 6 and the header plus its payload length fit the bytes at hand. */
  check(): boolean {
    if (!rangeHolds(this.buf, this.offset, this.length, IPV6_HEADER_LEN)) return false;
    return this.version === 6 && IPV6_HEADER_LEN + this.payloadLength <= this.length;
  }
  /** IP version (6). */
  get version(): number {
    return this.buf[this.offset + VTC_FLOW] >> 4;
  }
  /** Traffic class (8 bits: DSCP << 2 | ECN). */
  get trafficClass(): number {
    return (be32(this.buf, this.offset + VTC_FLOW) >>> 20) & 0xff;
  }
  /** Flow label (20 bits). */
  get flowLabel(): number {
    return be32(this.buf, this.offset + VTC_FLOW) & 0xfffff;
  }
  /** Payload length (extension headers included). */
  get payloadLength(): number {
    return be16(this.buf, this.offset + PLEN);
  }
  /** The first next-header value. */
  get nextHeader(): number {
    return this.buf[this.offset + NEXT];
  }
  /** Hop limit. */
  get hopLimit(): number {
    return this.buf[this.offset + HLIM];
  }
  /** Offset (in buf) of the 16-byte source address. */
  get srcOffset(): number {
    return this.offset + SRC;
  }
  /** Offset (in buf) of the 16-byte destination address. */
  get dstOffset(): number {
    return this.offset + DST;
  }
  /** Source address text. */
  get src(): string {
    return formatIpv6Bytes(this.buf, this.offset + SRC);
  }
  /** Destination address text. */
  get dst(): string {
    return formatIpv6Bytes(this.buf, this.offset + DST);
  }
  /** Offset (in buf) of the first byte after the fixed header. */
  get payloadOffset(): number {
    return this.offset + IPV6_HEADER_LEN;
  }
  /** Rewrites the hop limit. */
  setHopLimit(hlim: number): void {
    this.buf[this.offset + HLIM] = hlim;
  }
}

/** Plain form of the fixed IPv6 header. */
export interface Ipv6Repr {
  src: string;
  dst: string;
  nextHeader: number;
  hopLimit: number;
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
}

/** Parses the fixed IPv6 header at buf[offset..offset+length); throws PacketError. */
export function parseIpv6(buf: Uint8Array, offset: number, length: number): Ipv6Repr {
  needBytes('ipv6', rangeHolds(buf, offset, length, 0) ? length : 0, IPV6_HEADER_LEN);
  const ip = new Ipv6Packet(buf, offset, length);
  if (ip.version !== 6) throw new PacketError('MALFORMED', `ipv6: version ${ip.version}`);
  needBytes('ipv6', length, IPV6_HEADER_LEN + ip.payloadLength);
  return {
    src: ip.src,
    dst: ip.dst,
    nextHeader: ip.nextHeader,
    hopLimit: ip.hopLimit,
    trafficClass: ip.trafficClass,
    flowLabel: ip.flowLabel,
    payloadLength: ip.payloadLength,
  };
}

/** Writes the fixed header of `repr` at buf[offset]; returns 40. Throws PacketError. */
export function emitIpv6(repr: Ipv6Repr, buf: Uint8Array, offset: number): number {
  needBytes('ipv6 emit', buf.length - offset, IPV6_HEADER_LEN);
  put32(buf, offset + VTC_FLOW, (6 << 28) | ((repr.trafficClass & 0xff) << 20) | (repr.flowLabel & 0xfffff));
  put16(buf, offset + PLEN, repr.payloadLength);
  buf[offset + NEXT] = repr.nextHeader;
  buf[offset + HLIM] = repr.hopLimit;
  buf.set(requireIp(repr.src, 16), offset + SRC);
  buf.set(requireIp(repr.dst, 16), offset + DST);
  return IPV6_HEADER_LEN;
}
