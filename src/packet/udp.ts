// UDP headers (RFC 768): a zero-copy view with the field offsets named once (check() validates the length
// field) and UdpRepr with parse/emit, the checksum computed under the IPv4 or IPv6 pseudo-header.
import { be16, put16, rangeHolds } from './bytes.js';
import { foldSum, onesSum, pseudoSumAddrs } from './checksum.js';
import { needBytes, PacketError } from './errors.js';
import { requireIpPair } from './ip-addr.js';
import { IPPROTO_UDP } from './ipv4.js';

/** Bytes of a UDP header. */
export const UDP_HEADER_LEN = 8;

const SRC_PORT = 0;
const DST_PORT = 2;
const LENGTH = 4;
const CSUM = 6;

/** Zero-copy view of a UDP datagram at buf[offset..offset+length). */
export class UdpPacket {
  constructor(
    readonly buf: Uint8Array,
    readonly offset: number,
    readonly length: number,
  ) {}

  /** True when the header is in range and 8 <= its length field <= the bytes at hand. */
  check(): boolean {
    if (!rangeHolds(this.buf, this.offset, this.length, UDP_HEADER_LEN)) return false;
    const len = this.udpLength;
    return len >= UDP_HEADER_LEN && len <= this.length;
  }
  /** Source port. */
  get srcPort(): number {
    return be16(this.buf, this.offset + SRC_PORT);
  }
  /** Destination port. */
  get dstPort(): number {
    return be16(this.buf, this.offset + DST_PORT);
  }
  /** The length field (header and payload). */
  get udpLength(): number {
    return be16(this.buf, this.offset + LENGTH);
  }
  /** Checksum as stored (0: none, IPv4 only). */
  get checksum(): number {
    return be16(this.buf, this.offset + CSUM);
  }
  /** Offset (in buf) of the payload. */
  get payloadOffset(): number {
    return this.offset + UDP_HEADER_LEN;
  }
  /** Rewrites the ports (the checksum must be fixed by the caller). */
  setPorts(src: number, dst: number): void {
    put16(this.buf, this.offset + SRC_PORT, src);
    put16(this.buf, this.offset + DST_PORT, dst);
  }
  /** True when the checksum is absent (0) or right under a pseudo-header sum (see checksum.ts). */
  checksumOk(pseudoSum: number): boolean {
    if (this.checksum === 0) return true;
    return foldSum(onesSum(this.buf, this.offset, this.offset + this.udpLength, pseudoSum)) === 0xffff;
  }
}

/** Plain form of a UDP datagram. */
export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** Parses the UDP datagram at buf[offset..offset+length) (payload by the length field); throws PacketError. */
export function parseUdp(buf: Uint8Array, offset: number, length: number): UdpRepr {
  needBytes('udp', rangeHolds(buf, offset, length, 0) ? length : 0, UDP_HEADER_LEN);
  const udp = new UdpPacket(buf, offset, length);
  const len = udp.udpLength;
  if (len < UDP_HEADER_LEN) throw new PacketError('MALFORMED', `udp: length field ${len}`);
  needBytes('udp', length, len);
  return {
    srcPort: udp.srcPort,
    dstPort: udp.dstPort,
    payload: buf.slice(offset + UDP_HEADER_LEN, offset + len),
  };
}

/** Writes `repr` at buf[offset] with its checksum under the pseudo-header of `src` → `dst`; returns its length. */
export function emitUdp(repr: UdpRepr, buf: Uint8Array, offset: number, src: string, dst: string): number {
  const len = UDP_HEADER_LEN + repr.payload.length;
  if (len > 0xffff) throw new PacketError('MALFORMED', `udp: ${len} bytes do not fit the length field`);
  needBytes('udp emit', buf.length - offset, len);
  const [s, d] = requireIpPair(src, dst);
  put16(buf, offset + SRC_PORT, repr.srcPort);
  put16(buf, offset + DST_PORT, repr.dstPort);
  put16(buf, offset + LENGTH, len);
  put16(buf, offset + CSUM, 0);
  buf.set(repr.payload, offset + UDP_HEADER_LEN);
  const csum = ~foldSum(onesSum(buf, offset, offset + len, pseudoSumAddrs(s, d, IPPROTO_UDP, len))) & 0xffff;
  put16(buf, offset + CSUM, csum || 0xffff);
  return len;
}
