// Ethernet II / 802.3 headers and 802.1Q / 802.1ad VLAN tags: a zero-copy view over the header bytes (field
// offsets named once, check() before use) and a plain EthernetRepr with parse/emit for the slow path.
import { be16, put16, rangeHolds } from './bytes.js';
import { needBytes, PacketError } from './errors.js';
import { readMacHi, readMacLo, readMacText, requireMac, writeMac } from './mac.js';

/** Bytes in an untagged Ethernet header. */
export const ETH_HEADER_LEN = 14;
/** Bytes in one VLAN tag (TPID + TCI). */
export const VLAN_TAG_LEN = 4;
/** Smallest value of the type field that is an EtherType rather than an 802.3 length. */
export const ETH_TYPE_MIN = 0x0600;

/** EtherType of IPv4. */
export const ETH_TYPE_IPV4 = 0x0800;
/** EtherType of ARP. */
export const ETH_TYPE_ARP = 0x0806;
/** EtherType of reverse ARP. */
export const ETH_TYPE_RARP = 0x8035;
/** EtherType (TPID) of an 802.1Q tag. */
export const ETH_TYPE_VLAN = 0x8100;
/** EtherType of IPv6. */
export const ETH_TYPE_IPV6 = 0x86dd;
/** EtherType of unicast MPLS. */
export const ETH_TYPE_MPLS = 0x8847;
/** EtherType of multicast MPLS. */
export const ETH_TYPE_MPLS_MCAST = 0x8848;
/** EtherType (TPID) of an 802.1ad service tag. */
export const ETH_TYPE_QINQ = 0x88a8;
/** EtherType of LLDP. */
export const ETH_TYPE_LLDP = 0x88cc;

const DST = 0;
const SRC = 6;
const TYPE = 12;

/** True for the two VLAN TPIDs (802.1Q 0x8100 and 802.1ad 0x88a8). */
export function isVlanTpid(type: number): boolean {
  return type === ETH_TYPE_VLAN || type === ETH_TYPE_QINQ;
}

/** Zero-copy view of an Ethernet header at buf[offset..offset+length). */
export class EthernetFrame {
  constructor(
    readonly buf: Uint8Array,
    readonly offset: number,
    readonly length: number,
  ) {}

  /** A view when the range holds a whole Ethernet header, else undefined. */
  static checked(buf: Uint8Array, offset: number, length: number): EthernetFrame | undefined {
    const v = new EthernetFrame(buf, offset, length);
    return v.check() ? v : undefined;
  }

  /** True when the range holds the 14-byte header, so every accessor reads real bytes. */
  check(): boolean {
    return rangeHolds(this.buf, this.offset, this.length, ETH_HEADER_LEN);
  }

  /** Destination MAC bytes 0-1. */
  get dstHi(): number {
    return readMacHi(this.buf, this.offset + DST);
  }
  /** Destination MAC bytes 2-5. */
  get dstLo(): number {
    return readMacLo(this.buf, this.offset + DST);
  }
  /** Source MAC bytes 0-1. */
  get srcHi(): number {
    return readMacHi(this.buf, this.offset + SRC);
  }
  /** Source MAC bytes 2-5. */
  get srcLo(): number {
    return readMacLo(this.buf, this.offset + SRC);
  }
  /** Destination MAC as text. */
  get dst(): string {
    return readMacText(this.buf, this.offset + DST);
  }
  /** Source MAC as text. */
  get src(): string {
    return readMacText(this.buf, this.offset + SRC);
  }
  /** The type/length field right after the source MAC (a TPID when the frame is tagged). */
  get etherType(): number {
    return be16(this.buf, this.offset + TYPE);
  }
  /** True when bit 0 of the first destination byte (group address) is set. */
  get isMulticast(): boolean {
    return (this.buf[this.offset + DST] & 1) === 1;
  }
  /** Offset (in buf) of the first byte after the untagged header. */
  get payloadOffset(): number {
    return this.offset + ETH_HEADER_LEN;
  }

  /** Rewrites the destination MAC. */
  setDst(hi16: number, lo32: number): void {
    writeMac(this.buf, this.offset + DST, hi16, lo32);
  }
  /** Rewrites the source MAC. */
  setSrc(hi16: number, lo32: number): void {
    writeMac(this.buf, this.offset + SRC, hi16, lo32);
  }
  /** Rewrites the type/length field. */
  setEtherType(type: number): void {
    put16(this.buf, this.offset + TYPE, type);
  }
}

const TCI = 2;

/** Zero-copy view of one VLAN tag whose TPID is at buf[offset] (the tag's type field follows it). */
export class VlanTag {
  constructor(
    readonly buf: Uint8Array,
    readonly offset: number,
    readonly length: number,
  ) {}

  /** True when the range holds the TPID, the TCI and the next type field (6 bytes). */
  check(): boolean {
    return rangeHolds(this.buf, this.offset, this.length, VLAN_TAG_LEN + 2);
  }
  /** Tag protocol identifier (0x8100 or 0x88a8). */
  get tpid(): number {
    return be16(this.buf, this.offset);
  }
  /** The whole 16-bit tag control information. */
  get tci(): number {
    return be16(this.buf, this.offset + TCI);
  }
  /** Priority code point (3 bits). */
  get pcp(): number {
    return this.buf[this.offset + TCI] >> 5;
  }
  /** Drop eligible indicator (the old CFI bit). */
  get dei(): boolean {
    return (this.buf[this.offset + TCI] & 0x10) !== 0;
  }
  /** VLAN id (12 bits). */
  get vid(): number {
    return this.tci & 0x0fff;
  }
  /** The type field after this tag. */
  get innerType(): number {
    return be16(this.buf, this.offset + VLAN_TAG_LEN);
  }
  /** Rewrites the TCI. */
  setTci(tci: number): void {
    put16(this.buf, this.offset + TCI, tci);
  }
}

/** One VLAN tag, outermost first in EthernetRepr.vlans. */
export interface VlanRepr {
  tpid: number;
  pcp: number;
  dei: boolean;
  vid: number;
}

/** Plain form of an Ethernet header: MACs as text, tags outermost first, the type after the tags. */
export interface EthernetRepr {
  dst: string;
  src: string;
  vlans: VlanRepr[];
  /** EtherType after the tags (or the 802.3 length when below 0x0600). */
  etherType: number;
}

/** Header bytes `repr` takes: 14 plus 4 per tag. */
export function ethernetHeaderLength(repr: EthernetRepr): number {
  return ETH_HEADER_LEN + VLAN_TAG_LEN * repr.vlans.length;
}

/** Parses the Ethernet header and all VLAN tags at buf[offset..offset+length); throws PacketError. */
export function parseEthernet(buf: Uint8Array, offset: number, length: number): EthernetRepr {
  needBytes('ethernet', rangeHolds(buf, offset, length, 0) ? length : 0, ETH_HEADER_LEN);
  const eth = new EthernetFrame(buf, offset, length);
  const vlans: VlanRepr[] = [];
  let at = offset + TYPE;
  while (isVlanTpid(be16(buf, at))) {
    const tag = new VlanTag(buf, at, offset + length - at);
    if (!tag.check())
      throw new PacketError('TRUNCATED', `ethernet: VLAN tag ${vlans.length + 1} is cut short`);
    vlans.push({ tpid: tag.tpid, pcp: tag.pcp, dei: tag.dei, vid: tag.vid });
    at += VLAN_TAG_LEN;
  }
  return { dst: eth.dst, src: eth.src, vlans, etherType: be16(buf, at) };
}

/** Writes `repr` at buf[offset]; returns the header length. Throws PacketError for bad MACs or no room. */
export function emitEthernet(repr: EthernetRepr, buf: Uint8Array, offset: number): number {
  const len = ethernetHeaderLength(repr);
  needBytes('ethernet emit', buf.length - offset, len);
  buf.set(requireMac(repr.dst), offset + DST);
  buf.set(requireMac(repr.src), offset + SRC);
  let at = offset + TYPE;
  for (const v of repr.vlans) {
    put16(buf, at, v.tpid);
    put16(buf, at + TCI, ((v.pcp & 7) << 13) | (v.dei ? 0x1000 : 0) | (v.vid & 0x0fff));
    at += VLAN_TAG_LEN;
  }
  put16(buf, at, repr.etherType);
  return len;
}
