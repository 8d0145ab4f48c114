// ICMP for IPv4 (RFC 792): a zero-copy view over the 8-byte header (type, code, checksum, the 4-byte rest
// that echo messages split into identifier and sequence) and IcmpRepr with parse/emit of the whole message.
import { be16, be32, put16, put32, rangeHolds } from './bytes.js';
import { internetChecksum } from './checksum.js';
import { needBytes } from './errors.js';

/** Bytes of the ICMP header (type, code, checksum, rest of header). */
export const ICMP_HEADER_LEN = 8;
/** ICMP type: echo reply. */
export const ICMP_ECHO_REPLY = 0;
/** ICMP type: destination unreachable. */
export const ICMP_DEST_UNREACH = 3;
/** ICMP type: echo request. */
export const ICMP_ECHO_REQUEST = 8;
/** ICMP type: time exceeded. */
export const ICMP_TIME_EXCEEDED = 11;

const TYPE = 0;
const CODE = 1;
const CSUM = 2;
const REST = 4;

/** Zero-copy view of an ICMP message at buf[offset..offset+length) (length = the whole message). */
export class IcmpPacket {
  constructor(
    readonly buf: Uint8Array,
    readonly offset: number,
    readonly length: number,
  ) {}

  /** True when the range holds the 8-byte header. */
  check(): boolean {
    return rangeHolds(this.buf, this.offset, this.length, ICMP_HEADER_LEN);
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
  /** The 4 bytes after the checksum as an unsigned 32-bit number. */
  get rest(): number {
    return be32(this.buf, this.offset + REST);
  }
  /** Echo identifier (first half of rest). */
  get ident(): number {
    return be16(this.buf, this.offset + REST);
  }
  /** Echo sequence number (second half of rest). */
  get seq(): number {
    return be16(this.buf, this.offset + REST + 2);
  }
  /** Offset (in buf) of the data after the header. */
  get dataOffset(): number {
    return this.offset + ICMP_HEADER_LEN;
  }
  /** True when the checksum over the whole message is right. */
  checksumOk(): boolean {
    return internetChecksum(this.buf, this.offset, this.offset + this.length) === 0;
  }
  /** Rewrites the type (call fillChecksum afterwards). */
  setType(type: number): void {
    this.buf[this.offset + TYPE] = type;
  }
  /** Recomputes and stores the checksum over the whole message. */
  fillChecksum(): void {
    put16(this.buf, this.offset + CSUM, 0);
    put16(this.buf, this.offset + CSUM, internetChecksum(this.buf, this.offset, this.offset + this.length));
  }
}

/** Plain form of an ICMP message. */
export interface IcmpRepr {
  type: number;
  code: number;
  /** The 4 bytes after the checksum (echo: ident << 16 | seq). */
  rest: number;
  data: Uint8Array;
}

/** Bytes `repr` takes on the wire. */
export function icmpLength(repr: IcmpRepr): number {
  return ICMP_HEADER_LEN + repr.data.length;
}

/** Parses the ICMP message filling buf[offset..offset+length); throws PacketError. */
export function parseIcmp(buf: Uint8Array, offset: number, length: number): IcmpRepr {
  needBytes('icmp', rangeHolds(buf, offset, length, 0) ? length : 0, ICMP_HEADER_LEN);
  const icmp = new IcmpPacket(buf, offset, length);
  return {
    type: icmp.type,
    code: icmp.code,
    rest: icmp.rest,
    data: buf.slice(icmp.dataOffset, offset + length),
  };
}

/** Writes `repr` with its checksum at buf[offset]; returns the message length. Throws PacketError. */
export function emitIcmp(repr: IcmpRepr, buf: Uint8Array, offset: number): number {
  const len = icmpLength(repr);
  needBytes('icmp emit', buf.length - offset, len);
  buf[offset + TYPE] = repr.type;
  buf[offset + CODE] = repr.code;
  put32(buf, offset + REST, repr.rest);
  buf.set(repr.data, offset + ICMP_HEADER_LEN);
  new IcmpPacket(buf, offset, len).fillChecksum();
  return len;
}
