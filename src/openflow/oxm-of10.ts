// OpenFlow 1.0's fixed 40-byte struct ofp10_match, turned into the same entry list as NXM/OXM matches
// and back, the way Open vSwitch converts it (ofputil_match_from_ofp10_match / _to_ofp10_match):
// dl_vlan/dl_vlan_pcp become one vlan_tci entry, nw_src/nw_dst become ip_src/ip_dst (arp_spa/arp_tpa under
// ARP) with a CIDR mask, tp_src/tp_dst are named by the protocol (tcp_src, udp_src, icmp_type ...).
// Values are stored masked, as Open vSwitch zeroes wildcarded bits.
import type { MatchEntry } from './oxm.js';
import type { Reader, Writer } from './wire.js';
import { OfpError } from './wire-errors.js';

/** Bytes in struct ofp10_match. */
export const OFP10_MATCH_LEN = 40;

export const OFPFW10_IN_PORT = 1 << 0;
export const OFPFW10_DL_VLAN = 1 << 1;
export const OFPFW10_DL_SRC = 1 << 2;
export const OFPFW10_DL_DST = 1 << 3;
export const OFPFW10_DL_TYPE = 1 << 4;
export const OFPFW10_NW_PROTO = 1 << 5;
export const OFPFW10_TP_SRC = 1 << 6;
export const OFPFW10_TP_DST = 1 << 7;
export const OFPFW10_NW_SRC_SHIFT = 8;
export const OFPFW10_NW_DST_SHIFT = 14;
export const OFPFW10_DL_VLAN_PCP = 1 << 20;
export const OFPFW10_NW_TOS = 1 << 21;
export const OFPFW10_ALL = (1 << 22) - 1;
/** dl_vlan value meaning "no 802.1Q header". */
export const OFP10_VLAN_NONE = 0xffff;

const VLAN_CFI = 0x1000;
const VLAN_VID_MASK = 0x0fff;
const VLAN_PCP_MASK = 0xe000;

function bytes16(v: number): Uint8Array {
  return Uint8Array.of(v >>> 8, v & 0xff);
}

function bytes32(v: number): Uint8Array {
  return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

function num(b: Uint8Array): number {
  let v = 0;
  for (const x of b) v = v * 256 + x;
  return v;
}

/** The netmask for an OpenFlow 1.0 wildcard bit count (0 = exact, 32+ = all wild). */
export function wcbitsToNetmask(wcbits: number): number {
  const n = wcbits & 0x3f;
  return n < 32 ? (~((1 << n) - 1) >>> 0) >>> 0 : 0;
}

/** The wildcard bit count of a CIDR netmask, or -1 if the mask is not a CIDR prefix. */
export function netmaskToWcbits(mask: number): number {
  const inv = ~mask >>> 0;
  if ((inv & (inv + 1)) !== 0) return -1;
  return inv === 0 ? 0 : 32 - Math.clz32(inv);
}

function entry(field: string, value: Uint8Array, mask: Uint8Array | null = null): MatchEntry {
  return { field, value, mask };
}

function tpNames(dlType: number | undefined, proto: number | undefined): [string, string, number] {
  const ip = dlType === 0x0800 || dlType === 0x86dd;
  if (ip && proto === 6) return ['tcp_src', 'tcp_dst', 2];
  if (ip && proto === 17) return ['udp_src', 'udp_dst', 2];
  if (ip && proto === 132) return ['sctp_src', 'sctp_dst', 2];
  if (dlType === 0x0800 && proto === 1) return ['icmp_type', 'icmp_code', 1];
  if (dlType === 0x86dd && proto === 58) return ['icmpv6_type', 'icmpv6_code', 1];
  return ['tcp_src', 'tcp_dst', 2];
}

/** Decodes struct ofp10_match (40 bytes) into entries, in the order Open vSwitch writes them in NXM. */
export function decodeOf10Match(r: Reader): MatchEntry[] {
  const m = r.sub(OFP10_MATCH_LEN, 'OFPBRC_BAD_LEN', 'ofp10_match');
  const wc = m.u32() & OFPFW10_ALL;
  const inPort = m.u16();
  const dlSrc = m.bytes(6);
  const dlDst = m.bytes(6);
  const dlVlan = m.u16();
  const dlVlanPcp = m.u8();
  m.skip(1);
  const dlType = m.u16();
  const nwTos = m.u8();
  const nwProto = m.u8();
  m.skip(2);
  const nwSrc = m.u32();
  const nwDst = m.u32();
  const tpSrc = m.u16();
  const tpDst = m.u16();

  const out: MatchEntry[] = [];
  if (!(wc & OFPFW10_IN_PORT)) out.push(entry('in_port', bytes16(inPort)));
  if (!(wc & OFPFW10_DL_SRC)) out.push(entry('eth_src', dlSrc));
  if (!(wc & OFPFW10_DL_DST)) out.push(entry('eth_dst', dlDst));
  const type = wc & OFPFW10_DL_TYPE ? undefined : dlType;
  if (type !== undefined) out.push(entry('eth_type', bytes16(type)));

  if (!(wc & OFPFW10_DL_VLAN) && dlVlan === OFP10_VLAN_NONE) {
    out.push(entry('vlan_tci', bytes16(0)));
  } else {
    let mask = 0;
    if (!(wc & OFPFW10_DL_VLAN_PCP)) mask |= VLAN_PCP_MASK | VLAN_CFI;
    if (!(wc & OFPFW10_DL_VLAN)) mask |= VLAN_VID_MASK | VLAN_CFI;
    if (mask) {
      const tci = ((dlVlan & VLAN_VID_MASK) | ((dlVlanPcp << 13) & VLAN_PCP_MASK) | VLAN_CFI) & mask;
      out.push(entry('vlan_tci', bytes16(tci), mask === 0xffff ? null : bytes16(mask)));
    }
  }

  const arp = type === 0x0806 || type === 0x8035;
  const srcMask = wcbitsToNetmask(wc >>> OFPFW10_NW_SRC_SHIFT);
  const dstMask = wcbitsToNetmask(wc >>> OFPFW10_NW_DST_SHIFT);
  const proto = wc & OFPFW10_NW_PROTO ? undefined : nwProto;
  const addr = (name: string, v: number, mask: number) =>
    entry(name, bytes32((v & mask) >>> 0), mask === 0xffffffff ? null : bytes32(mask));
  if (arp) {
    if (proto !== undefined) out.push(entry('arp_op', bytes16(proto)));
    if (srcMask) out.push(addr('arp_spa', nwSrc, srcMask));
    if (dstMask) out.push(addr('arp_tpa', nwDst, dstMask));
  } else {
    if (srcMask) out.push(addr('ip_src', nwSrc, srcMask));
    if (dstMask) out.push(addr('ip_dst', nwDst, dstMask));
  }
  if (!(wc & OFPFW10_NW_TOS)) out.push(entry('nw_tos', Uint8Array.of(nwTos & 0xfc)));
  if (!arp && proto !== undefined) out.push(entry('nw_proto', Uint8Array.of(proto)));
  const [srcName, dstName, width] = tpNames(type, proto);
  // An ICMP type or code above 255 cannot be an icmp_type entry: keep the 16-bit slot as tcp_src/tcp_dst.
  const tp = (name: string, wide: string, v: number) =>
    width === 1
      ? v <= 0xff
        ? entry(name, Uint8Array.of(v))
        : entry(wide, bytes16(v))
      : entry(name, bytes16(v));
  if (!(wc & OFPFW10_TP_SRC)) out.push(tp(srcName, 'tcp_src', tpSrc));
  if (!(wc & OFPFW10_TP_DST)) out.push(tp(dstName, 'tcp_dst', tpDst));
  return out;
}

const TP_SRC_NAMES = new Set(['tcp_src', 'udp_src', 'sctp_src', 'icmp_type', 'icmpv6_type']);
const TP_DST_NAMES = new Set(['tcp_dst', 'udp_dst', 'sctp_dst', 'icmp_code', 'icmpv6_code']);

function cannot(e: MatchEntry, why: string): never {
  throw new OfpError('OFPBMC_BAD_FIELD', `OpenFlow 1.0 cannot match ${e.field}${why}`);
}

function exact(e: MatchEntry): number {
  if (e.mask && !e.mask.every((b) => b === 0xff)) cannot(e, ' with a mask');
  return num(e.value);
}

/** Why `entries` cannot be written as an ofp10_match, or null when they can. */
export function of10Unencodable(entries: readonly MatchEntry[]): string | null {
  try {
    const w = new DryWriter();
    encodeOf10MatchInto(w, entries);
    return null;
  } catch (err) {
    return err instanceof OfpError ? err.message : String(err);
  }
}

/** What encodeOf10Match writes to: a Writer, or nothing (to test encodability). */
interface MatchSink {
  u32(v: number): unknown;
  u16(v: number): unknown;
  u8(v: number): unknown;
  bytes(b: Uint8Array): unknown;
  zeros(n: number): unknown;
}

class DryWriter implements MatchSink {
  u32(): void {}
  u16(): void {}
  u8(): void {}
  bytes(): void {}
  zeros(): void {}
}

/** Writes entries as a struct ofp10_match; throws OFPBMC_BAD_FIELD for what OpenFlow 1.0 cannot express. */
export function encodeOf10Match(w: Writer, entries: readonly MatchEntry[]): void {
  encodeOf10MatchInto(w, entries);
}

function encodeOf10MatchInto(w: MatchSink, entries: readonly MatchEntry[]): void {
  // Start from "all wild" except the address bit counts and the VLAN bits, which are set below.
  let wc =
    OFPFW10_ALL &
    ~(0x3f << OFPFW10_NW_SRC_SHIFT) &
    ~(0x3f << OFPFW10_NW_DST_SHIFT) &
    ~(OFPFW10_DL_VLAN | OFPFW10_DL_VLAN_PCP);
  let srcBits = 32;
  let dstBits = 32;
  let inPort = 0;
  let dlSrc: Uint8Array = new Uint8Array(6);
  let dlDst: Uint8Array = new Uint8Array(6);
  let dlType = 0;
  let tos = 0;
  let proto = 0;
  let nwSrc = 0;
  let nwDst = 0;
  let tpSrc = 0;
  let tpDst = 0;
  let tci = 0;
  let tciMask = 0;
  for (const e of entries) {
    const f = e.field;
    if (f === 'in_port') {
      inPort = exact(e);
      wc &= ~OFPFW10_IN_PORT;
    } else if (f === 'eth_src' || f === 'eth_dst') {
      exact(e);
      if (f === 'eth_src') dlSrc = e.value;
      else dlDst = e.value;
      wc &= ~(f === 'eth_src' ? OFPFW10_DL_SRC : OFPFW10_DL_DST);
    } else if (f === 'eth_type') {
      dlType = exact(e);
      wc &= ~OFPFW10_DL_TYPE;
    } else if (f === 'vlan_tci') {
      const m = e.mask ? num(e.mask) : 0xffff;
      tci = (tci & ~m) | (num(e.value) & m);
      tciMask |= m;
    } else if (f === 'vlan_vid' || f === 'dl_vlan') {
      const present = f === 'vlan_vid' ? 0 : VLAN_CFI;
      const m = (e.mask ? num(e.mask) : f === 'vlan_vid' ? 0x1fff : 0x0fff) & 0x1fff;
      const v = num(e.value) | present;
      const mm = m | present;
      tci = (tci & ~mm) | (v & mm);
      tciMask |= mm;
    } else if (f === 'vlan_pcp' || f === 'dl_vlan_pcp') {
      const v = exact(e);
      tci = (tci & ~VLAN_PCP_MASK) | ((v << 13) & VLAN_PCP_MASK) | VLAN_CFI;
      tciMask |= VLAN_PCP_MASK | VLAN_CFI;
    } else if (f === 'ip_src' || f === 'arp_spa' || f === 'ip_dst' || f === 'arp_tpa') {
      const m = e.mask ? num(e.mask) : 0xffffffff;
      const bits = netmaskToWcbits(m);
      if (bits < 0) cannot(e, ' with a non-CIDR mask');
      if (f === 'ip_src' || f === 'arp_spa') {
        nwSrc = num(e.value);
        srcBits = bits;
      } else {
        nwDst = num(e.value);
        dstBits = bits;
      }
    } else if (f === 'nw_tos' || f === 'ip_dscp') {
      const v = exact(e);
      tos = f === 'nw_tos' ? v & 0xfc : (v << 2) & 0xfc;
      wc &= ~OFPFW10_NW_TOS;
    } else if (f === 'nw_proto' || f === 'arp_op') {
      proto = exact(e) & 0xff;
      wc &= ~OFPFW10_NW_PROTO;
    } else if (TP_SRC_NAMES.has(f)) {
      tpSrc = exact(e);
      wc &= ~OFPFW10_TP_SRC;
    } else if (TP_DST_NAMES.has(f)) {
      tpDst = exact(e);
      wc &= ~OFPFW10_TP_DST;
    } else {
      cannot(e, '');
    }
  }
  let dlVlan = 0;
  let dlVlanPcp = 0;
  if (tciMask === 0) {
    wc |= OFPFW10_DL_VLAN | OFPFW10_DL_VLAN_PCP;
  } else if (tciMask & VLAN_CFI && !(tci & VLAN_CFI)) {
    dlVlan = OFP10_VLAN_NONE;
  } else {
    if (!(tciMask & VLAN_VID_MASK)) wc |= OFPFW10_DL_VLAN;
    else dlVlan = tci & VLAN_VID_MASK;
    if (!(tciMask & VLAN_PCP_MASK)) wc |= OFPFW10_DL_VLAN_PCP;
    else dlVlanPcp = (tci >>> 13) & 7;
  }
  wc |= (srcBits << OFPFW10_NW_SRC_SHIFT) | (dstBits << OFPFW10_NW_DST_SHIFT);
  w.u32(wc >>> 0);
  w.u16(inPort);
  w.bytes(dlSrc);
  w.bytes(dlDst);
  w.u16(dlVlan);
  w.u8(dlVlanPcp);
  w.zeros(1);
  w.u16(dlType);
  w.u8(tos);
  w.u8(proto);
  w.zeros(2);
  w.u32(nwSrc >>> 0);
  w.u32(nwDst >>> 0);
  w.u16(tpSrc);
  w.u16(tpDst);
}
