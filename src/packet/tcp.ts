// TCP headers (RFC 9293): a zero-copy view with the field offsets named once (check() validates the data
// offset) and TcpRepr with parse/emit, the checksum computed under the IPv4 or IPv6 pseudo-header.
import { be16, be32, put16, put32, rangeHolds } from './bytes.js';
import { foldSum, onesSum, pseudoSumAddrs } from './checksum.js';
import { needBytes, PacketError } from './errors.js';
import { requireIpPair } from './ip-addr.js';
import { IPPROTO_TCP } from './ipv4.js';

/** Bytes of a TCP header without options. */
export const TCP_HEADER_LEN = 20;
/** TCP flag FIN (flags are the low 12 bits of bytes 12-13, as the flow key's tcp_flags holds them). */
export const TCP_FIN = 0x001;
/** TCP flag SYN. */
export const TCP_SYN = 0x002;
/** TCP flag RST. */
export const TCP_RST = 0x004;
/** TCP flag PSH. */
export const TCP_PSH = 0x008;
/** TCP flag ACK. */
export const TCP_ACK = 0x010;
/** TCP flag URG. */
export const TCP_URG = 0x020;
/** TCP flag ECE. */
export const TCP_ECE = 0x040;
/** TCP flag CWR. */
export const TCP_CWR = 0x080;
/** TCP flag NS (ECN nonce). */
export const TCP_NS = 0x100;

const SRC_PORT = 0;
const DST_PORT = 2;
const SEQ = 4;
const ACK = 8;
const OFF_FLAGS = 12;
const WINDOW = 14;
const CSUM = 16;
const URGENT = 18;

/** Zero-copy view of a TCP segment at buf[offset..offset+length) (length = header and payload). */
export class TcpPacket {
  constructor(
    readonly buf: Uint8Array,
    readonly offset: number,
    readonly length: number,
  ) {}

  /** True when 20 <= data offset * 4 <= the bytes at hand. */
  check(): boolean {
    if (!rangeHolds(this.buf, this.offset, this.length, TCP_HEADER_LEN)) return false;
    const hl = this.headerLength;
    return hl >= TCP_HEADER_LEN && hl <= this.length;
  }
  /** Source port. */
  get srcPort(): number {
    return be16(this.buf, this.offset + SRC_PORT);
  }
  /** Destination port. */
  get dstPort(): number {
    return be16(this.buf, this.offset + DST_PORT);
  }
  /** Sequence number. */
  get seq(): number {
    return be32(this.buf, this.offset + SEQ);
  }
  /** Acknowledgment number. */
  get ack(): number {
    return be32(this.buf, this.offset + ACK);
  }
  /** Header length in bytes (data offset * 4). */
  get headerLength(): number {
    return (this.buf[this.offset + OFF_FLAGS] >> 4) * 4;
  }
  /** The 12 flag bits (TCP_* constants). */
  get flags(): number {
    return be16(this.buf, this.offset + OFF_FLAGS) & 0x0fff;
  }
  /** Receive window. */
  get window(): number {
    return be16(this.buf, this.offset + WINDOW);
  }
  /** Checksum as stored. */
  get checksum(): number {
    return be16(this.buf, this.offset + CSUM);
  }
  /** Urgent pointer. */
  get urgent(): number {
    return be16(this.buf, this.offset + URGENT);
  }
  /** Offset (in buf) of the payload. */
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
  /** Rewrites the ports (the checksum must be fixed by the caller). */
  setPorts(src: number, dst: number): void {
    put16(this.buf, this.offset + SRC_PORT, src);
    put16(this.buf, this.offset + DST_PORT, dst);
  }
  /** True when the checksum under a pseudo-header sum (see checksum.ts pseudoSum*) is right. */
  checksumOk(pseudoSum: number): boolean {
    return foldSum(onesSum(this.buf, this.offset, this.offset + this.length, pseudoSum)) === 0xffff;
  }
}

/** Plain form of a TCP segment. */
export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** The 12 flag bits. */
  flags: number;
  window: number;
  urgent: number;
  /** Option bytes (a multiple of 4 long, at most 40). */
  options: Uint8Array;
  payload: Uint8Array;
}

/** Bytes `repr` takes on the wire. */
export function tcpLength(repr: TcpRepr): number {
  return TCP_HEADER_LEN + repr.options.length + repr.payload.length;
}

/** Parses the TCP segment filling buf[offset..offset+length); throws PacketError. Checksums are not verified. */
export function parseTcp(buf: Uint8Array, offset: number, length: number): TcpRepr {
  needBytes('tcp', rangeHolds(buf, offset, length, 0) ? length : 0, TCP_HEADER_LEN);
  const tcp = new TcpPacket(buf, offset, length);
  const hl = tcp.headerLength;
  if (hl < TCP_HEADER_LEN) throw new PacketError('MALFORMED', `tcp: data offset ${hl / 4}`);
  needBytes('tcp', length, hl);
  return {
    srcPort: tcp.srcPort,
    dstPort: tcp.dstPort,
    seq: tcp.seq,
    ack: tcp.ack,
    flags: tcp.flags,
    window: tcp.window,
    urgent: tcp.urgent,
    options: buf.slice(offset + TCP_HEADER_LEN, offset + hl),
    payload: buf.slice(offset + hl, offset + length),
  };
}

/** Writes `repr` at buf[offset] with its checksum under the pseudo-header of `src` → `dst`; returns its length. */
export function emitTcp(repr: TcpRepr, buf: Uint8Array, offset: number, src: string, dst: string): number {
  const hl = TCP_HEADER_LEN + repr.options.length;
  if (repr.options.length % 4 !== 0 || hl > 60)
    throw new PacketError('MALFORMED', 'tcp: options must be 4n <= 40 bytes');
  const len = hl + repr.payload.length;
  needBytes('tcp emit', buf.length - offset, len);
  const [s, d] = requireIpPair(src, dst);
  put16(buf, offset + SRC_PORT, repr.srcPort);
  put16(buf, offset + DST_PORT, repr.dstPort);
  put32(buf, offset + SEQ, repr.seq);
  put32(buf, offset + ACK, repr.ack);
  put16(buf, offset + OFF_FLAGS, ((hl / 4) << 12) | (repr.flags & 0x0fff));
  put16(buf, offset + WINDOW, repr.window);
  put16(buf, offset + CSUM, 0);
  put16(buf, offset + URGENT, repr.urgent);
  buf.set(repr.options, offset + TCP_HEADER_LEN);
  buf.set(repr.payload, offset + hl);
  const sum = onesSum(buf, offset, offset + len, pseudoSumAddrs(s, d, IPPROTO_TCP, len));
  put16(buf, offset + CSUM, ~foldSum(sum) & 0xffff);
  return len;
}
