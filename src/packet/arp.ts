// ARP (RFC 826) for Ethernet hardware and IPv4 protocol addresses: a zero-copy view with the field offsets
// named once, and ArpRepr with parse/emit. Other hardware/protocol kinds are visible in the view only.
import { be16, be32, put16, rangeHolds } from './bytes.js';
import { needBytes, PacketError } from './errors.js';
import { ETH_TYPE_IPV4 } from './ethernet.js';
import { ipText, requireIp } from './ip-addr.js';
import { readMacHi, readMacLo, readMacText, requireMac } from './mac.js';

/** Bytes of an Ethernet/IPv4 ARP packet. */
export const ARP_ETH_IPV4_LEN = 28;
/** Bytes of the fixed part before the addresses. */
export const ARP_FIXED_LEN = 8;
/** ARP hardware type for Ethernet. */
export const ARP_HRD_ETHERNET = 1;
/** ARP opcode: request. */
export const ARP_OP_REQUEST = 1;
/** ARP opcode: reply. */
export const ARP_OP_REPLY = 2;

const HRD = 0;
const PRO = 2;
const HLN = 4;
const PLN = 5;
const OP = 6;
const SHA = 8;
const SPA = 14;
const THA = 18;
const TPA = 24;

/** Zero-copy view of an ARP packet at buf[offset..offset+length). */
export class ArpPacket {
  constructor(
    readonly buf: Uint8Array,
    readonly offset: number,
    readonly length: number,
  ) {}

  /** True when the fixed part and the addresses its lengths announce are all in range. */
  check(): boolean {
    if (!rangeHolds(this.buf, this.offset, this.length, ARP_FIXED_LEN)) return false;
    return this.length >= ARP_FIXED_LEN + 2 * (this.hardwareLen + this.protocolLen);
  }
  /** True for the one kind the switch understands: Ethernet addresses over IPv4. */
  isEthernetIpv4(): boolean {
    return (
      this.hardwareType === ARP_HRD_ETHERNET &&
      this.protocolType === ETH_TYPE_IPV4 &&
      this.hardwareLen === 6 &&
      this.protocolLen === 4
    );
  }
  /** Hardware type (1 = Ethernet). */
  get hardwareType(): number {
    return be16(this.buf, this.offset + HRD);
  }
  /** Protocol type (0x0800 = IPv4). */
  get protocolType(): number {
    return be16(this.buf, this.offset + PRO);
  }
  /** Hardware address length. */
  get hardwareLen(): number {
    return this.buf[this.offset + HLN];
  }
  /** Protocol address length. */
  get protocolLen(): number {
    return this.buf[this.offset + PLN];
  }
  /** Operation (1 request, 2 reply). */
  get op(): number {
    return be16(this.buf, this.offset + OP);
  }
  /** Sender hardware address bytes 0-1 (Ethernet/IPv4 layout). */
  get shaHi(): number {
    return readMacHi(this.buf, this.offset + SHA);
  }
  /** Sender hardware address bytes 2-5. */
  get shaLo(): number {
    return readMacLo(this.buf, this.offset + SHA);
  }
  /** Target hardware address bytes 0-1. */
  get thaHi(): number {
    return readMacHi(this.buf, this.offset + THA);
  }
  /** Target hardware address bytes 2-5. */
  get thaLo(): number {
    return readMacLo(this.buf, this.offset + THA);
  }
  /** Sender protocol address as an unsigned 32-bit number. */
  get spa(): number {
    return be32(this.buf, this.offset + SPA);
  }
  /** Target protocol address as an unsigned 32-bit number. */
  get tpa(): number {
    return be32(this.buf, this.offset + TPA);
  }
  /** Rewrites the operation. */
  setOp(op: number): void {
    put16(this.buf, this.offset + OP, op);
  }
}

/** Plain form of an Ethernet/IPv4 ARP packet. */
export interface ArpRepr {
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

/** Parses an Ethernet/IPv4 ARP packet; throws PacketError (UNSUPPORTED for other address kinds). */
export function parseArp(buf: Uint8Array, offset: number, length: number): ArpRepr {
  const arp = new ArpPacket(buf, offset, length);
  needBytes('arp', rangeHolds(buf, offset, length, 0) ? length : 0, ARP_FIXED_LEN);
  if (!arp.isEthernetIpv4()) {
    throw new PacketError(
      'UNSUPPORTED',
      `arp: hardware ${arp.hardwareType}/protocol 0x${arp.protocolType.toString(16)}`,
    );
  }
  needBytes('arp', length, ARP_ETH_IPV4_LEN);
  return {
    op: arp.op,
    senderMac: readMacText(buf, offset + SHA),
    senderIp: ipText(buf, offset + SPA, 4),
    targetMac: readMacText(buf, offset + THA),
    targetIp: ipText(buf, offset + TPA, 4),
  };
}

/** Writes `repr` at buf[offset]; returns 28. Throws PacketError for bad addresses or no room. */
export function emitArp(repr: ArpRepr, buf: Uint8Array, offset: number): number {
  needBytes('arp emit', buf.length - offset, ARP_ETH_IPV4_LEN);
  put16(buf, offset + HRD, ARP_HRD_ETHERNET);
  put16(buf, offset + PRO, ETH_TYPE_IPV4);
  buf[offset + HLN] = 6;
  buf[offset + PLN] = 4;
  put16(buf, offset + OP, repr.op);
  buf.set(requireMac(repr.senderMac), offset + SHA);
  buf.set(requireIp(repr.senderIp, 4), offset + SPA);
  buf.set(requireMac(repr.targetMac), offset + THA);
  buf.set(requireIp(repr.targetIp, 4), offset + TPA);
  return ARP_ETH_IPV4_LEN;
}
