// The hot path: flow-key extraction into a preallocated key (layout in flow-key.ts) with OVS miniflow_extract's
// semantics, and the key hash the caches use. Never throws, never allocates: buf[i] arithmetic only.
import {
  DL_TYPE_NONE,
  FRAG_ANY,
  FRAG_LATER,
  K_ARP_SHA_HI,
  K_ARP_SHA_LO,
  K_ARP_THA_HI,
  K_ARP_THA_LO,
  K_DL_DST_HI,
  K_DL_DST_LO,
  K_DL_SRC_HI,
  K_DL_SRC_LO,
  K_DL_TYPE,
  K_IN_PORT,
  K_IPV6_DST,
  K_IPV6_LABEL,
  K_IPV6_SRC,
  K_ND_TARGET,
  K_NW,
  K_NW_DST,
  K_NW_SRC,
  K_TCP_FLAGS,
  K_TP,
  K_TUN_ID_HI,
  K_VLAN0,
  KEY_OK,
  KEY_RUNT,
  KEY_TRUNCATED,
  KEY_WORDS,
  NW_FRAG_SHIFT,
  NW_TOS_SHIFT,
  NW_TTL_SHIFT,
  VLAN_PRESENT,
} from './flow-key.js';

const ETH_HEADER_LEN = 14;
const ETH_TYPE_MIN = 0x0600;
const ETH_TYPE_IPV4 = 0x0800;
const ETH_TYPE_ARP = 0x0806;
const ETH_TYPE_RARP = 0x8035;
const ETH_TYPE_IPV6 = 0x86dd;
const ETH_TYPE_VLAN = 0x8100;
const ETH_TYPE_QINQ = 0x88a8;
/** Tags parsed before the remaining type is taken as dl_type (OVS's vlan-limit set to 2). */
const MAX_VLANS = 2;
const LLC_SNAP_LEN = 8;
const ARP_ETH_LEN = 28;
const IPV4_HEADER_LEN = 20;
const IPV6_HEADER_LEN = 40;

const PROTO_HOPOPTS = 0;
const PROTO_ICMP = 1;
const PROTO_IGMP = 2;
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
const ND_OPT_SLL = 1;
const ND_OPT_TLL = 2;

function be16(buf: Uint8Array, i: number): number {
  return (buf[i] << 8) | buf[i + 1];
}

function be32(buf: Uint8Array, i: number): number {
  return (buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3];
}

/**
 * Writes the flow key of the frame at buf[offset..offset+length) into `key`: zeroes words K_IN_PORT up to
 * (not including) K_TUN_ID_HI, sets K_IN_PORT, then the fields miniflow_extract would set. Returns KEY_OK,
 * KEY_RUNT (shorter than an Ethernet header: only in_port) or KEY_TRUNCATED (the fields before the bad header).
 */
export function extractFlowKey(
  buf: Uint8Array,
  offset: number,
  length: number,
  inPort: number,
  key: Uint32Array,
): number {
  key.fill(0, K_IN_PORT, K_TUN_ID_HI);
  key[K_IN_PORT] = inPort;
  let end = offset + length;
  if (end > buf.length) end = buf.length;
  if (!(offset >= 0) || end - offset < ETH_HEADER_LEN) return KEY_RUNT;
  key[K_DL_DST_HI] = be16(buf, offset);
  key[K_DL_DST_LO] = be32(buf, offset + 2);
  key[K_DL_SRC_HI] = be16(buf, offset + 6);
  key[K_DL_SRC_LO] = be32(buf, offset + 8);
  let p = offset + 12;
  let status = KEY_OK;
  for (let n = 0; n < MAX_VLANS; n++) {
    const tpid = be16(buf, p);
    if (tpid !== ETH_TYPE_VLAN && tpid !== ETH_TYPE_QINQ) break;
    if (end - p < 6) {
      status = KEY_TRUNCATED;
      break;
    }
    key[K_VLAN0 + n] = (tpid << 16) | be16(buf, p + 2) | VLAN_PRESENT;
    p += 4;
  }
  const type = be16(buf, p);
  p += 2;
  if (type >= ETH_TYPE_MIN) {
    key[K_DL_TYPE] = type;
    return status | extractL3(buf, p, end, type, key);
  }
  const snap = snapType(buf, p, end);
  key[K_DL_TYPE] = snap;
  if (snap === DL_TYPE_NONE) return status;
  return status | extractL3(buf, p + LLC_SNAP_LEN, end, snap, key);
}

/** dl_type of an 802.3 frame whose LLC header starts at buf[p]: the SNAP type for OUI 0, else 0x05ff. */
function snapType(buf: Uint8Array, p: number, end: number): number {
  if (end - p < LLC_SNAP_LEN) return DL_TYPE_NONE;
  if (buf[p] !== 0xaa || buf[p + 1] !== 0xaa || buf[p + 2] !== 0x03) return DL_TYPE_NONE;
  if (buf[p + 3] !== 0 || buf[p + 4] !== 0 || buf[p + 5] !== 0) return DL_TYPE_NONE;
  const type = be16(buf, p + 6);
  return type >= ETH_TYPE_MIN ? type : DL_TYPE_NONE;
}

function extractL3(buf: Uint8Array, p: number, end: number, type: number, key: Uint32Array): number {
  if (type === ETH_TYPE_IPV4) return extractIpv4(buf, p, end, key);
  if (type === ETH_TYPE_IPV6) return extractIpv6(buf, p, end, key);
  if (type === ETH_TYPE_ARP || type === ETH_TYPE_RARP) return extractArp(buf, p, end, key);
  return KEY_OK;
}

/** Ethernet/IPv4 ARP only: addresses, opcode (when it fits 8 bits) and hardware addresses. */
function extractArp(buf: Uint8Array, p: number, end: number, key: Uint32Array): number {
  if (end - p < ARP_ETH_LEN) return KEY_TRUNCATED;
  if (be16(buf, p) !== 1 || be16(buf, p + 2) !== ETH_TYPE_IPV4 || buf[p + 4] !== 6 || buf[p + 5] !== 4) {
    return KEY_OK;
  }
  key[K_NW_SRC] = be32(buf, p + 14);
  key[K_NW_DST] = be32(buf, p + 24);
  const op = be16(buf, p + 6);
  if (op <= 0xff) key[K_NW] = op;
  key[K_ARP_SHA_HI] = be16(buf, p + 8);
  key[K_ARP_SHA_LO] = be32(buf, p + 10);
  key[K_ARP_THA_HI] = be16(buf, p + 18);
  key[K_ARP_THA_LO] = be32(buf, p + 20);
  return KEY_OK;
}

/** IPv4 after OVS's sanity check (IHL and total length against the bytes); padding beyond is ignored. */
function extractIpv4(buf: Uint8Array, p: number, end: number, key: Uint32Array): number {
  const size = end - p;
  if (size < IPV4_HEADER_LEN) return KEY_TRUNCATED;
  const ihl = (buf[p] & 0x0f) * 4;
  const totLen = be16(buf, p + 2);
  if (ihl < IPV4_HEADER_LEN || ihl > size || totLen > size || ihl > totLen || size - totLen > 0xffff) {
    return KEY_TRUNCATED;
  }
  key[K_NW_SRC] = be32(buf, p + 12);
  key[K_NW_DST] = be32(buf, p + 16);
  const fragField = be16(buf, p + 6);
  let frag = 0;
  if ((fragField & 0x3fff) !== 0) frag = (fragField & 0x1fff) !== 0 ? FRAG_ANY | FRAG_LATER : FRAG_ANY;
  const proto = buf[p + 9];
  key[K_NW] = proto | (buf[p + 1] << NW_TOS_SHIFT) | (buf[p + 8] << NW_TTL_SHIFT) | (frag << NW_FRAG_SHIFT);
  if (frag & FRAG_LATER) return KEY_OK;
  return extractL4(buf, p + ihl, p + totLen, proto, key);
}

/** IPv6: addresses, then extension headers as flow.c walks them, then flow label and the NW word. */
function extractIpv6(buf: Uint8Array, p: number, end: number, key: Uint32Array): number {
  const size = end - p;
  if (size < IPV6_HEADER_LEN) return KEY_TRUNCATED;
  const plen = be16(buf, p + 4);
  if (plen + IPV6_HEADER_LEN > size || size - (plen + IPV6_HEADER_LEN) > 0xffff) return KEY_TRUNCATED;
  for (let i = 0; i < 4; i++) {
    key[K_IPV6_SRC + i] = be32(buf, p + 8 + 4 * i);
    key[K_IPV6_DST + i] = be32(buf, p + 24 + 4 * i);
  }
  const l4End = p + IPV6_HEADER_LEN + plen;
  if (!walkIpv6Ext(buf, p + IPV6_HEADER_LEN, l4End, buf[p + 6])) return KEY_TRUNCATED;
  const tcFlow = be32(buf, p);
  key[K_IPV6_LABEL] = tcFlow & 0xfffff;
  const tos = (tcFlow >>> 20) & 0xff;
  key[K_NW] = extProto | (tos << NW_TOS_SHIFT) | (buf[p + 7] << NW_TTL_SHIFT) | (extFrag << NW_FRAG_SHIFT);
  if (extFrag & FRAG_LATER) return KEY_OK;
  return extractL4(buf, extOff, l4End, extProto, key);
}

// Results of walkIpv6Ext (module state instead of a returned object, so the walk allocates nothing).
let extOff = 0;
let extProto = 0;
let extFrag = 0;

function isIpv6Ext(proto: number): boolean {
  return (
    proto === PROTO_HOPOPTS ||
    proto === PROTO_ROUTING ||
    proto === PROTO_DSTOPTS ||
    proto === PROTO_AH ||
    proto === PROTO_FRAGMENT
  );
}

/**
 * Skips extension headers from buf[q] (first next-header `proto`) within the payload ending at `end`, leaving
 * the L4 offset, nw_proto and frag bits in extOff/extProto/extFrag; false when a header does not fit. A later
 * fragment stops the walk with nw_proto 44 (FRAGMENT), as parse_ipv6_ext_hdrs does.
 */
function walkIpv6Ext(buf: Uint8Array, q: number, end: number, proto: number): boolean {
  let frag = 0;
  while (isIpv6Ext(proto)) {
    if (end - q < 8) return false;
    const next = buf[q];
    let len = (buf[q + 1] + 1) * 8;
    if (proto === PROTO_AH) len = (buf[q + 1] + 2) * 4;
    else if (proto === PROTO_FRAGMENT) len = 8;
    if (end - q < len) return false;
    const offlg = proto === PROTO_FRAGMENT ? be16(buf, q + 2) : 0;
    q += len;
    proto = next;
    if (offlg !== 0) {
      frag = FRAG_ANY;
      if ((offlg & 0xfff8) !== 0) {
        frag |= FRAG_LATER;
        proto = PROTO_FRAGMENT;
        break;
      }
    }
  }
  extOff = q;
  extProto = proto;
  extFrag = frag;
  return true;
}

/** Transport fields for the L4 header at buf[p..end), by protocol, as miniflow_extract sets them. */
function extractL4(buf: Uint8Array, p: number, end: number, proto: number, key: Uint32Array): number {
  const size = end - p;
  if (proto === PROTO_TCP) {
    if (size < 20) return KEY_TRUNCATED;
    const hl = (buf[p + 12] >> 4) * 4;
    if (hl < 20 || hl > size) return KEY_TRUNCATED;
    key[K_TP] = be32(buf, p);
    key[K_TCP_FLAGS] = be16(buf, p + 12) & 0x0fff;
    return KEY_OK;
  }
  if (proto === PROTO_UDP) return ports(buf, p, size, 8, key);
  if (proto === PROTO_SCTP) return ports(buf, p, size, 12, key);
  if (proto === PROTO_ICMP || proto === PROTO_IGMP) {
    if (size < 8) return KEY_TRUNCATED;
    key[K_TP] = (buf[p] << 16) | buf[p + 1];
    return KEY_OK;
  }
  if (proto === PROTO_ICMPV6) return extractIcmpv6(buf, p, end, key);
  return KEY_OK;
}

function ports(buf: Uint8Array, p: number, size: number, need: number, key: Uint32Array): number {
  if (size < need) return KEY_TRUNCATED;
  key[K_TP] = be32(buf, p);
  return KEY_OK;
}

/** ICMPv6 type/code; for NS/NA (code 0) the target and the first SLL/TLL options, like parse_icmpv6. */
function extractIcmpv6(buf: Uint8Array, p: number, end: number, key: Uint32Array): number {
  if (end - p < 8) return KEY_TRUNCATED;
  const type = buf[p];
  const code = buf[p + 1];
  key[K_TP] = (type << 16) | code;
  if (code !== 0 || (type !== ND_SOLICIT && type !== ND_ADVERT)) return KEY_OK;
  let q = p + 8;
  if (end - q < 16) return KEY_TRUNCATED;
  for (let i = 0; i < 4; i++) key[K_ND_TARGET + i] = be32(buf, q + 4 * i);
  q += 16;
  while (end - q >= 8) {
    const optLen = buf[q + 1] * 8;
    if (optLen === 0 || optLen > end - q) return KEY_TRUNCATED;
    const optType = buf[q];
    if (optLen === 8 && (optType === ND_OPT_SLL || optType === ND_OPT_TLL)) {
      const hi = optType === ND_OPT_SLL ? K_ARP_SHA_HI : K_ARP_THA_HI;
      if (key[hi] !== 0 || key[hi + 1] !== 0) return invalidNd(key);
      key[hi] = be16(buf, q + 2);
      key[hi + 1] = be32(buf, q + 4);
    }
    q += optLen;
  }
  return KEY_OK;
}

/** A repeated link-layer option: OVS drops the target and both addresses. */
function invalidNd(key: Uint32Array): number {
  for (let i = 0; i < 4; i++) key[K_ND_TARGET + i] = 0;
  key[K_ARP_SHA_HI] = 0;
  key[K_ARP_SHA_LO] = 0;
  key[K_ARP_THA_HI] = 0;
  key[K_ARP_THA_LO] = 0;
  return KEY_TRUNCATED;
}

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixWord(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number): number {
  h ^= KEY_WORDS * 4;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 32-bit murmur3 hash of all KEY_WORDS words of `key` (each ANDed with `mask` when given), started from
 * `seed`. hashKey(k, m, s) equals hashKey(k & m, null, s). Allocates nothing.
 */
export function hashKey(key: Uint32Array, mask: Uint32Array | null, seed: number): number {
  let h = seed | 0;
  if (mask === null) {
    for (let i = 0; i < KEY_WORDS; i++) h = mixWord(h, key[i]);
  } else {
    for (let i = 0; i < KEY_WORDS; i++) h = mixWord(h, key[i] & mask[i]);
  }
  return finish(h);
}
