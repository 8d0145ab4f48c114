// IPv4 headers (RFC 791): a zero-copy view (field offsets named once; check() validates IHL and total length
// against the bytes before any accessor is trusted) and Ipv4Repr with parse/emit, options included.
import { be16, be32, put16, put32, rangeHolds } from './bytes.js';
import { ipv4HeaderChecksum } from './checksum.js';
import { needBytes, PacketError } from './errors.js';
import { formatIpv4, requireIp } from './ip-addr.js';

/** Bytes of an IPv4 header without options. */
export const IPV4_HEADER_LEN = 20;
/** IP protocol ICMP. */
export const IPPROTO_ICMP = 1;
/** IP protocol IGMP. */
export const IPPROTO_IGMP = 2;
/** IP protocol TCP. */
export const IPPROTO_TCP = 6;
/** IP protocol UDP. */
export const IPPROTO_UDP = 17;
/** IP protocol GRE. */
export const IPPROTO_GRE = 47;
/** IP protocol ICMPv6. */
export const IPPROTO_ICMPV6 = 58;
/** IP protocol SCTP. */
export const IPPROTO_SCTP = 132;
/** IPv4 flag (in the flags/fragment-offset field): don't fragment. */
export const IP_DONT_FRAGMENT = 0x4000;
/** IPv4 flag: more fragments. */
export const IP_MORE_FRAGMENTS = 0x2000;
/** Fragment offset bits (in 8-byte units) of that field. */
export const IP_FRAG_OFF_MASK = 0x1fff;

const VER_IHL = 0;
const TOS = 1;
const TOT_LEN = 2;
const IDENT = 4;
const FRAG = 6;
const TTL = 8;
const PROTO = 9;
const CSUM = 10;
const SRC = 12;
const DST = 16;

/** Zero-copy view of an IPv4 header at buf[offset..offset+length). */
export class Ipv4Packet {
  constructor(
    readonly buf: Uint8Array,
    readonly offset: number,
    readonly length: number,
  ) {}

  /** A view when check() passes, else undefined. */
  static checked(buf: Uint8Array, offset: number, length: number): Ipv4Packet | undefined {
    const v = new Ipv4Packet(buf, offset, length);
    return v.check() ? v : undefined;
  }

  /** True when version is 4, 20 <= IHL*4 <= total length <= the bytes at hand. */
  check(): boolean {
    if (!rangeHolds(this.buf, this.offset, this.length, IPV4_HEADER_LEN)) return false;
    const hl = this.headerLength;
    return (
      this.version === 4 && hl >= IPV4_HEADER_LEN && hl <= this.totalLength && this.totalLength <= this.length
    );
  }
  /** IP version (4). */
  get version(): number {
    return this.buf[this.offset + VER_IHL] >> 4;
  }
  /** Header length in bytes (IHL * 4). */
  get headerLength(): number {
    return (this.buf[this.offset + VER_IHL] & 0x0f) * 4;
  }
  /** The whole TOS byte (DSCP << 2 | ECN). */
  get tos(): number {
    return this.buf[this.offset + TOS];
  }
  /** Differentiated services code point (6 bits). */
  get dscp(): number {
    return this.tos >> 2;
  }
  /** Explicit congestion notification (2 bits). */
  get ecn(): number {
    return this.tos & 3;
  }
  /** Total length (header and payload) from the header. */
  get totalLength(): number {
    return be16(this.buf, this.offset + TOT_LEN);
  }
  /** Identification. */
  get ident(): number {
    return be16(this.buf, this.offset + IDENT);
  }
  /** Don't-fragment flag. */
  get dontFragment(): boolean {
    return (be16(this.buf, this.offset + FRAG) & IP_DONT_FRAGMENT) !== 0;
  }
  /** More-fragments flag. */
  get moreFragments(): boolean {
    return (be16(this.buf, this.offset + FRAG) & IP_MORE_FRAGMENTS) !== 0;
  }
  /** Fragment offset in 8-byte units. */
  get fragOffset(): number {
    return be16(this.buf, this.offset + FRAG) & IP_FRAG_OFF_MASK;
  }
  /** Time to live. */
  get ttl(): number {
    return this.buf[this.offset + TTL];
  }
  /** Payload protocol. */
  get protocol(): number {
    return this.buf[this.offset + PROTO];
  }
  /** Header checksum as stored. */
  get checksum(): number {
    return be16(this.buf, this.offset + CSUM);
  }
  /** Source address as an unsigned 32-bit number. */
  get src(): number {
    return be32(this.buf, this.offset + SRC);
  }
  /** Destination address as an unsigned 32-bit number. */
  get dst(): number {
    return be32(this.buf, this.offset + DST);
  }
  /** Offset (in buf) of the payload. */
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
  /** Payload bytes by the header's total length. */
  get payloadLength(): number {
    return this.totalLength - this.headerLength;
  }
  /** True when the stored header checksum is right. */
  checksumOk(): boolean {
    return ipv4HeaderChecksum(this.buf, this.offset) === this.checksum;
  }

  /** Rewrites the TTL (call fillChecksum afterwards). */
  setTtl(ttl: number): void {
    this.buf[this.offset + TTL] = ttl;
  }
  /** Rewrites the TOS byte (call fillChecksum afterwards). */
  setTos(tos: number): void {
    this.buf[this.offset + TOS] = tos;
  }
  /** Rewrites the source address (call fillChecksum afterwards). */
  setSrc(addr: number): void {
    put32(this.buf, this.offset + SRC, addr);
  }
  /** Rewrites the destination address (call fillChecksum afterwards). */
  setDst(addr: number): void {
    put32(this.buf, this.offset + DST, addr);
  }
  /** Recomputes and stores the header checksum. */
  fillChecksum(): void {
    put16(this.buf, this.offset + CSUM, ipv4HeaderChecksum(this.buf, this.offset));
  }
}

/** Plain form of an IPv4 header. `payloadLength` is the bytes after the header by its total length. */
export interface Ipv4Repr {
  src: string;
  dst: string;
  protocol: number;
  ttl: number;
  tos: number;
  ident: number;
  dontFragment: boolean;
  moreFragments: boolean;
  fragOffset: number;
  /** Option bytes (a multiple of 4 long, at most 40). */
  options: Uint8Array;
  payloadLength: number;
}

/** Header bytes `repr` takes (20 plus its options). */
export function ipv4HeaderLength(repr: Ipv4Repr): number {
  return IPV4_HEADER_LEN + repr.options.length;
}

/** Parses the IPv4 header at buf[offset..offset+length); throws PacketError. Checksums are not verified. */
export function parseIpv4(buf: Uint8Array, offset: number, length: number): Ipv4Repr {
  needBytes('ipv4', rangeHolds(buf, offset, length, 0) ? length : 0, IPV4_HEADER_LEN);
  const ip = new Ipv4Packet(buf, offset, length);
  if (ip.version !== 4) throw new PacketError('MALFORMED', `ipv4: version ${ip.version}`);
  const hl = ip.headerLength;
  if (hl < IPV4_HEADER_LEN || hl > ip.totalLength)
    throw new PacketError('MALFORMED', `ipv4: header length ${hl}`);
  needBytes('ipv4', length, ip.totalLength);
  return {
    src: formatIpv4(ip.src),
    dst: formatIpv4(ip.dst),
    protocol: ip.protocol,
    ttl: ip.ttl,
    tos: ip.tos,
    ident: ip.ident,
    dontFragment: ip.dontFragment,
    moreFragments: ip.moreFragments,
    fragOffset: ip.fragOffset,
    options: buf.slice(offset + IPV4_HEADER_LEN, offset + hl),
    payloadLength: ip.payloadLength,
  };
}

/** Writes the header of `repr` (with its checksum) at buf[offset]; returns its length. Throws PacketError. */
export function emitIpv4(repr: Ipv4Repr, buf: Uint8Array, offset: number): number {
  const hl = ipv4HeaderLength(repr);
  if (repr.options.length % 4 !== 0 || hl > 60)
    throw new PacketError('MALFORMED', 'ipv4: options must be 4n <= 40 bytes');
  needBytes('ipv4 emit', buf.length - offset, hl);
  buf[offset + VER_IHL] = 0x40 | (hl / 4);
  buf[offset + TOS] = repr.tos;
  put16(buf, offset + TOT_LEN, hl + repr.payloadLength);
  put16(buf, offset + IDENT, repr.ident);
  const flags = (repr.dontFragment ? IP_DONT_FRAGMENT : 0) | (repr.moreFragments ? IP_MORE_FRAGMENTS : 0);
  put16(buf, offset + FRAG, flags | (repr.fragOffset & IP_FRAG_OFF_MASK));
  buf[offset + TTL] = repr.ttl;
  buf[offset + PROTO] = repr.protocol;
  put16(buf, offset + CSUM, 0);
  buf.set(requireIp(repr.src, 4), offset + SRC);
  buf.set(requireIp(repr.dst, 4), offset + DST);
  buf.set(repr.options, offset + IPV4_HEADER_LEN);
  put16(buf, offset + CSUM, ipv4HeaderChecksum(buf, offset));
  return hl;
}
