// ACT_SET_MASKED on the frame bytes: finds the header that a flow-key word names (Ethernet; VLAN tags and
// LLC/SNAP skipped; IPv4, IPv6 and its extension headers, ARP; TCP, UDP, SCTP, ICMP, ICMPv6 and ND), rewrites
// the masked bits in place and keeps every checksum right incrementally (RFC 1624), as Open vSwitch's
// odp_execute_masked_set_action and lib/packets.c do. A checksum the NIC will finish (virtio-net NEEDS_CSUM
// pointing at it) holds the uncomplemented pseudo-header sum: only pseudo-header changes touch it.
// Per packet: never throws, never allocates, never reads or writes outside buf[offset, offset+length).
import { VNET_HDR_LEN } from '../netdev/netdev.js';
import { crc32cInt, readSctpChecksum, writeSctpChecksum } from '../packet/crc32c.js';
import {
  K_ARP_SHA_HI,
  K_ARP_SHA_LO,
  K_ARP_THA_HI,
  K_ARP_THA_LO,
  K_DL_DST_HI,
  K_DL_DST_LO,
  K_DL_SRC_HI,
  K_DL_SRC_LO,
  K_IPV6_DST,
  K_IPV6_LABEL,
  K_IPV6_SRC,
  K_ND_TARGET,
  K_NW,
  K_NW_DST,
  K_NW_SRC,
  K_TP,
  NW_TOS_SHIFT,
  NW_TTL_SHIFT,
} from '../packet/flow-key.js';

const ETH_TYPE_MIN = 0x0600;
const ETH_TYPE_IPV4 = 0x0800;
const ETH_TYPE_ARP = 0x0806;
const ETH_TYPE_RARP = 0x8035;
const ETH_TYPE_IPV6 = 0x86dd;
const ETH_TYPE_VLAN = 0x8100;
const ETH_TYPE_QINQ = 0x88a8;
/** VLAN tags skipped before the type is taken as the L3 type (as extract.ts: OVS's vlan-limit 2). */
const MAX_VLANS = 2;
const LLC_SNAP_LEN = 8;
const ARP_ETH_LEN = 28;

const PROTO_HOPOPTS = 0;
const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ROUTING = 43;
const PROTO_FRAGMENT = 44;
const PROTO_AH = 51;
const PROTO_ICMPV6 = 58;
const PROTO_DSTOPTS = 60;
const PROTO_SCTP = 132;

const ND_SOLICIT = 135;
const ND_ADVERT = 136;
const ND_HEADER_LEN = 24;
const ND_OPT_SLL = 1;
const ND_OPT_TLL = 2;

const VNET_F_NEEDS_CSUM = 1;

// What parse() found (module state, not a returned object, so parsing allocates nothing).
/** Offset of the L3 header (-1: none found). */
let l3 = -1;
/** Offset of the L4 header (-1: none, e.g. a later fragment or a truncated extension header). */
let l4 = -1;
/** End of the L4 bytes: the IP length's end, or the frame's end when that is shorter or unusable. */
let l4End = 0;
/** The L4 protocol (after IPv6 extension headers). */
let proto = 0;
/** IPv6: a routing header with segments left, so the destination is not the one the L4 checksum covers. */
let routed = false;

function be16(buf: Uint8Array, i: number): number {
  return (buf[i] << 8) | buf[i + 1];
}

// 32-bit values are kept as signed int32 here (never `>>> 0`): V8 boxes numbers beyond 2^31 - 1 when they
// cross a call, and the hot path must not allocate.
function be32(buf: Uint8Array, i: number): number {
  return (buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3];
}

function put16(buf: Uint8Array, i: number, v: number): void {
  buf[i] = (v >>> 8) & 0xff;
  buf[i + 1] = v & 0xff;
}

function put32(buf: Uint8Array, i: number, v: number): void {
  buf[i] = (v >>> 24) & 0xff;
  buf[i + 1] = (v >>> 16) & 0xff;
  buf[i + 2] = (v >>> 8) & 0xff;
  buf[i + 3] = v & 0xff;
}

function merge(old: number, value: number, mask: number): number {
  return (old & ~mask) | (value & mask);
}

function fold(s: number): number {
  s = (s & 0xffff) + (s >>> 16);
  return (s & 0xffff) + (s >>> 16);
}

/**
 * Updates the 16-bit checksum field at buf[at] for covered data whose ones' complement sum goes from `from`
 * to `to` (RFC 1624 eqn 3: HC' = ~(~HC + ~m + m')). `partial`: the field holds an uncomplemented sum
 * (NEEDS_CSUM), which moves by the same difference. Returns the stored value.
 */
function adjust(buf: Uint8Array, at: number, from: number, to: number, partial: boolean): number {
  const field = be16(buf, at);
  const s = fold((partial ? field : ~field & 0xffff) + (~fold(from) & 0xffff) + to);
  const out = partial ? s : ~s & 0xffff;
  put16(buf, at, out);
  return out;
}

/** adjust() for one 32-bit word changing from `from` to `to`. */
function adjust32(buf: Uint8Array, at: number, from: number, to: number, partial: boolean): number {
  return adjust(buf, at, (from >>> 16) + (from & 0xffff), (to >>> 16) + (to & 0xffff), partial);
}

/**
 * Finds L3 and L4 in the frame at buf[off..end) (end - off >= 14): sets l3/l4/l4End/proto/routed and returns
 * the L3 type (0: none usable).
 */
function parse(buf: Uint8Array, off: number, end: number): number {
  l3 = -1;
  l4 = -1;
  routed = false;
  let p = off + 12;
  for (let n = 0; n < MAX_VLANS; n++) {
    const tpid = be16(buf, p);
    if (tpid !== ETH_TYPE_VLAN && tpid !== ETH_TYPE_QINQ) break;
    if (end - p < 6) return 0;
    p += 4;
  }
  if (end - p < 2) return 0;
  let type = be16(buf, p);
  p += 2;
  if (type < ETH_TYPE_MIN) {
    if (end - p < LLC_SNAP_LEN || buf[p] !== 0xaa || buf[p + 1] !== 0xaa || buf[p + 2] !== 0x03) return 0;
    if (buf[p + 3] !== 0 || buf[p + 4] !== 0 || buf[p + 5] !== 0) return 0;
    type = be16(buf, p + 6);
    p += LLC_SNAP_LEN;
  }
  l3 = p;
  if (type === ETH_TYPE_IPV4) return parseIpv4(buf, p, end) ? type : 0;
  if (type === ETH_TYPE_IPV6) return parseIpv6(buf, p, end) ? type : 0;
  if (type === ETH_TYPE_ARP || type === ETH_TYPE_RARP) return parseArp(buf, p, end) ? ETH_TYPE_ARP : 0;
  return 0;
}

function parseIpv4(buf: Uint8Array, p: number, end: number): boolean {
  const size = end - p;
  if (size < 20 || buf[p] >> 4 !== 4) return false;
  const ihl = (buf[p] & 0x0f) * 4;
  if (ihl < 20 || ihl > size) return false;
  proto = buf[p + 9];
  if ((be16(buf, p + 6) & 0x1fff) !== 0) return true;
  const tot = be16(buf, p + 2);
  l4 = p + ihl;
  l4End = tot >= ihl && tot <= size ? p + tot : end;
  return true;
}

function isExtension(next: number): boolean {
  return (
    next === PROTO_HOPOPTS ||
    next === PROTO_ROUTING ||
    next === PROTO_DSTOPTS ||
    next === PROTO_AH ||
    next === PROTO_FRAGMENT
  );
}

/** The fixed header, then the extension headers as packet_rh_present walks them; no L4 for a later fragment. */
function parseIpv6(buf: Uint8Array, p: number, end: number): boolean {
  const size = end - p;
  if (size < 40 || buf[p] >> 4 !== 6) return false;
  const plen = be16(buf, p + 4);
  const stop = plen !== 0 && 40 + plen <= size ? p + 40 + plen : end;
  let q = p + 40;
  let next = buf[p + 6];
  while (isExtension(next)) {
    if (stop - q < 8) return true;
    let len = (buf[q + 1] + 1) * 8;
    if (next === PROTO_AH) len = (buf[q + 1] + 2) * 4;
    else if (next === PROTO_FRAGMENT) {
      len = 8;
      if ((be16(buf, q + 2) & 0xfff8) !== 0) return true;
    } else if (next === PROTO_ROUTING && buf[q + 3] > 0) routed = true;
    if (stop - q < len) return true;
    next = buf[q];
    q += len;
  }
  proto = next;
  l4 = q;
  l4End = stop;
  return true;
}

function parseArp(buf: Uint8Array, p: number, end: number): boolean {
  if (end - p < ARP_ETH_LEN) return false;
  return be16(buf, p) === 1 && be16(buf, p + 2) === ETH_TYPE_IPV4 && buf[p + 4] === 6 && buf[p + 5] === 4;
}

/** Bytes of the L4 header needed before its checksum (or ports) can be touched; 0: not a known L4. */
function l4Need(): number {
  if (proto === PROTO_TCP) return 20;
  if (proto === PROTO_UDP || proto === PROTO_ICMP || proto === PROTO_ICMPV6) return 8;
  if (proto === PROTO_SCTP) return 12;
  return 0;
}

/** Offset of the 16-bit L4 checksum in the header (-1: none, or SCTP's CRC). */
function l4CsumOff(): number {
  if (proto === PROTO_TCP) return 16;
  if (proto === PROTO_UDP) return 6;
  if (proto === PROTO_ICMP || proto === PROTO_ICMPV6) return 2;
  return -1;
}

/** Whether the L4 header is all there (`need` bytes of it at least). */
function l4Holds(need: number): boolean {
  return l4 >= 0 && need > 0 && l4End - l4 >= need;
}

/** Whether the frame's virtio-net header says the NIC will finish the checksum field at buf[field]. */
function isPartial(buf: Uint8Array, off: number, field: number): boolean {
  const v = off - VNET_HDR_LEN;
  if (v < 0 || !(buf[v] & VNET_F_NEEDS_CSUM)) return false;
  const start = buf[v + 6] | (buf[v + 7] << 8);
  const csumOff = buf[v + 8] | (buf[v + 9] << 8);
  return off + start + csumOff === field;
}

/**
 * An L4 checksum covering a pseudo-header word that changed from `from` to `to` (an IPv4 or IPv6 address
 * word): TCP, UDP (a zero UDP checksum stays zero), ICMPv6 (IPv6 only). Partial checksums follow too.
 */
function pseudoChanged(buf: Uint8Array, off: number, from: number, to: number, v6: boolean): void {
  const csumOff = l4CsumOff();
  if (csumOff < 0 || proto === PROTO_ICMP || (proto === PROTO_ICMPV6 && !v6) || !l4Holds(l4Need())) return;
  const field = l4 + csumOff;
  const partial = isPartial(buf, off, field);
  if (proto === PROTO_UDP && !partial && be16(buf, field) === 0) return;
  const out = adjust32(buf, field, from, to, partial);
  if (proto === PROTO_UDP && !partial && out === 0) put16(buf, field, 0xffff);
}

/** Sets the masked bits of flow-key word `word` in the frame at buf[offset..offset+length). */
export function setMasked(
  buf: Uint8Array,
  offset: number,
  length: number,
  word: number,
  value: number,
  mask: number,
): void {
  let end = offset + length;
  if (end > buf.length) end = buf.length;
  if (!(offset >= 0) || end - offset < 14 || mask === 0) return;
  if (word >= K_DL_DST_HI && word <= K_DL_SRC_LO) {
    setEth(buf, offset, word, value, mask);
    return;
  }
  const type = parse(buf, offset, end);
  if (type === ETH_TYPE_IPV4) setIpv4(buf, offset, word, value, mask);
  else if (type === ETH_TYPE_IPV6) setIpv6(buf, offset, word, value, mask);
  else if (type === ETH_TYPE_ARP) setArp(buf, word, value, mask);
}

function setEth(buf: Uint8Array, off: number, word: number, value: number, mask: number): void {
  if (word === K_DL_DST_HI) put16(buf, off, merge(be16(buf, off), value, mask));
  else if (word === K_DL_DST_LO) put32(buf, off + 2, merge(be32(buf, off + 2), value, mask));
  else if (word === K_DL_SRC_HI) put16(buf, off + 6, merge(be16(buf, off + 6), value, mask));
  else if (word === K_DL_SRC_LO) put32(buf, off + 8, merge(be32(buf, off + 8), value, mask));
}

function setIpv4(buf: Uint8Array, off: number, word: number, value: number, mask: number): void {
  if (word === K_NW_SRC || word === K_NW_DST) {
    const at = l3 + (word === K_NW_SRC ? 12 : 16);
    const from = be32(buf, at);
    const to = merge(from, value, mask);
    if (from === to) return;
    put32(buf, at, to);
    adjust32(buf, l3 + 10, from, to, false);
    pseudoChanged(buf, off, from, to, false);
  } else if (word === K_NW) {
    const tosMask = (mask >>> NW_TOS_SHIFT) & 0xff;
    if (tosMask !== 0) setIpv4Byte(buf, 1, (value >>> NW_TOS_SHIFT) & 0xff, tosMask);
    const ttlMask = (mask >>> NW_TTL_SHIFT) & 0xff;
    if (ttlMask !== 0) setIpv4Byte(buf, 8, (value >>> NW_TTL_SHIFT) & 0xff, ttlMask);
  } else if (word === K_TP) {
    setL4(buf, off, value, mask);
  }
}

/** Sets bits of the IPv4 header byte at l3 + `at` and updates the header checksum. */
function setIpv4Byte(buf: Uint8Array, at: number, value: number, mask: number): void {
  const i = l3 + at;
  const before = buf[i];
  const after = (before & ~mask) | (value & mask);
  if (before === after) return;
  const even = l3 + (at & ~1);
  const w0 = be16(buf, even);
  buf[i] = after;
  adjust(buf, l3 + 10, w0, be16(buf, even), false);
}

function setIpv6(buf: Uint8Array, off: number, word: number, value: number, mask: number): void {
  if (word >= K_IPV6_SRC && word < K_IPV6_DST + 4) {
    const src = word < K_IPV6_DST;
    const at = l3 + 8 + 4 * (word - K_IPV6_SRC);
    const from = be32(buf, at);
    const to = merge(from, value, mask);
    if (from === to) return;
    put32(buf, at, to);
    if (src || !routed) pseudoChanged(buf, off, from, to, true);
  } else if (word === K_IPV6_LABEL) {
    put32(buf, l3, merge(be32(buf, l3), value, mask & 0xfffff));
  } else if (word === K_NW) {
    const tcMask = (mask >>> NW_TOS_SHIFT) & 0xff;
    const tc = (value >>> NW_TOS_SHIFT) & 0xff;
    if (tcMask !== 0) put32(buf, l3, merge(be32(buf, l3), tc << 20, tcMask << 20));
    const hlMask = (mask >>> NW_TTL_SHIFT) & 0xff;
    const hl = (value >>> NW_TTL_SHIFT) & 0xff;
    if (hlMask !== 0) buf[l3 + 7] = (buf[l3 + 7] & ~hlMask) | (hl & hlMask);
  } else if (word === K_TP) {
    setL4(buf, off, value, mask);
  } else if (word >= K_ND_TARGET && word < K_ND_TARGET + 4) {
    setNdTarget(buf, off, word - K_ND_TARGET, value, mask);
  } else if (word >= K_ARP_SHA_HI && word <= K_ARP_THA_LO) {
    setNdLinkAddr(buf, off, word, value, mask);
  }
}

/** K_TP: ports of TCP/UDP/SCTP (src << 16 | dst), or ICMP/ICMPv6 type << 16 | code. */
function setL4(buf: Uint8Array, off: number, value: number, mask: number): void {
  if (!l4Holds(l4Need())) return;
  if (proto === PROTO_ICMP || proto === PROTO_ICMPV6) {
    const from = be16(buf, l4);
    const m = ((mask >>> 8) & 0xff00) | (mask & 0xff);
    const v = ((value >>> 8) & 0xff00) | (value & 0xff);
    const to = (from & ~m) | (v & m);
    if (from === to) return;
    put16(buf, l4, to);
    const field = l4 + 2;
    if (!isPartial(buf, off, field)) adjust(buf, field, from, to, false);
    return;
  }
  const from = be32(buf, l4);
  const to = merge(from, value, mask);
  if (from === to) return;
  if (proto === PROTO_SCTP) {
    setSctpPorts(buf, off, to);
    return;
  }
  put32(buf, l4, to);
  const field = l4 + l4CsumOff();
  // Under NEEDS_CSUM the ports are part of what the NIC sums: the pseudo-header sum stays as it is.
  if (isPartial(buf, off, field)) return;
  if (proto === PROTO_UDP && be16(buf, field) === 0) return;
  const out = adjust32(buf, field, from, to, false);
  if (proto === PROTO_UDP && out === 0) put16(buf, field, 0xffff);
}

/**
 * SCTP ports, with the CRC-32C updated as packet_set_sctp_port does: the old checksum XOR the correct one
 * before and after the change, so a wrong checksum stays exactly as wrong. A CRC the NIC finishes is left.
 */
function setSctpPorts(buf: Uint8Array, off: number, ports: number): void {
  const field = l4 + 8;
  if (isPartial(buf, off, field)) {
    put32(buf, l4, ports);
    return;
  }
  const old = readSctpChecksum(buf, field);
  writeSctpChecksum(buf, field, 0);
  const before = crc32cInt(buf, l4, l4End);
  put32(buf, l4, ports);
  const after = crc32cInt(buf, l4, l4End);
  writeSctpChecksum(buf, field, old ^ before ^ after);
}

/** Whether L4 is an ND solicitation/advertisement (code 0) holding its target. */
function isNd(buf: Uint8Array): boolean {
  if (proto !== PROTO_ICMPV6 || !l4Holds(ND_HEADER_LEN) || buf[l4 + 1] !== 0) return false;
  return buf[l4] === ND_SOLICIT || buf[l4] === ND_ADVERT;
}

function setNdTarget(buf: Uint8Array, off: number, index: number, value: number, mask: number): void {
  if (!isNd(buf)) return;
  const at = l4 + 8 + 4 * index;
  const from = be32(buf, at);
  const to = merge(from, value, mask);
  if (from === to) return;
  put32(buf, at, to);
  if (!isPartial(buf, off, l4 + 2)) adjust32(buf, l4 + 2, from, to, false);
}

/**
 * ND source/target link-layer address (K_ARP_SHA_* = SLL, K_ARP_THA_* = TLL): the first 8-byte SLL or TLL
 * option is the one packet_set_nd rewrites, and only when it is of the kind asked for.
 */
function setNdLinkAddr(buf: Uint8Array, off: number, word: number, value: number, mask: number): void {
  if (!isNd(buf)) return;
  const want = word <= K_ARP_SHA_LO ? ND_OPT_SLL : ND_OPT_TLL;
  let q = l4 + ND_HEADER_LEN;
  while (l4End - q >= 8 && buf[q + 1] !== 0) {
    const type = buf[q];
    if (buf[q + 1] === 1 && (type === ND_OPT_SLL || type === ND_OPT_TLL)) {
      if (type !== want) return;
      const hi = word === K_ARP_SHA_HI || word === K_ARP_THA_HI;
      const partial = isPartial(buf, off, l4 + 2);
      if (hi) {
        const from = be16(buf, q + 2);
        const to = merge(from, value, mask & 0xffff);
        put16(buf, q + 2, to);
        if (!partial) adjust(buf, l4 + 2, from, to, false);
      } else {
        const from = be32(buf, q + 4);
        const to = merge(from, value, mask);
        put32(buf, q + 4, to);
        if (!partial) adjust32(buf, l4 + 2, from, to, false);
      }
      return;
    }
    q += buf[q + 1] * 8;
  }
}

/** ARP for Ethernet/IPv4: spa, tpa, opcode (K_NW bits 0-7; a full 8-bit mask sets the 16-bit op), sha, tha. */
function setArp(buf: Uint8Array, word: number, value: number, mask: number): void {
  const p = l3;
  if (word === K_NW_SRC) put32(buf, p + 14, merge(be32(buf, p + 14), value, mask));
  else if (word === K_NW_DST) put32(buf, p + 24, merge(be32(buf, p + 24), value, mask));
  else if (word === K_NW) {
    const m = mask & 0xff;
    if (m === 0xff) put16(buf, p + 6, value & 0xff);
    else if (m !== 0) buf[p + 7] = (buf[p + 7] & ~m) | (value & m);
  } else if (word === K_ARP_SHA_HI) put16(buf, p + 8, merge(be16(buf, p + 8), value, mask & 0xffff));
  else if (word === K_ARP_SHA_LO) put32(buf, p + 10, merge(be32(buf, p + 10), value, mask));
  else if (word === K_ARP_THA_HI) put16(buf, p + 18, merge(be16(buf, p + 18), value, mask & 0xffff));
  else if (word === K_ARP_THA_LO) put32(buf, p + 20, merge(be32(buf, p + 20), value, mask));
}
