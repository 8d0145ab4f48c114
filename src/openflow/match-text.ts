// A match (value and mask words over the pipeline flow) as ovs-ofctl prints it — OVS match_format(), field
// for field and in its order, with the protocol shorthands (tcp, udp6, arp...) — and the normalization
// every OpenFlow encoder applies before a match leaves ovs-ofctl: fields whose prerequisites the match
// does not establish (tp_dst without tcp/udp/sctp, nw_src without ip...) are dropped.

import { F_REG0, F_REGS, FLOW_WORDS, FlowWordsPool } from '../ofproto/of-flow.js';
import {
  FRAG_ANY,
  FRAG_LATER,
  K_DL_TYPE,
  K_IN_PORT,
  K_IPV6_LABEL,
  K_NW,
  K_NW_DST,
  K_NW_SRC,
  K_TCP_FLAGS,
  K_TP,
  K_TUN_DST,
  K_TUN_FLAGS,
  K_TUN_SRC,
  K_VLAN0,
  NW_FRAG_SHIFT,
  NW_TTL_SHIFT,
  VLAN_PRESENT,
} from '../packet/flow-key.js';
import { fieldByName, formatTcpFlags, getField, type MatchField, setMatchField } from './fields.js';
import { formatPort } from './port-text.js';
import { FlowTextError, formatIpv4Masked, formatIpv6Masked, formatMacMasked, hexText } from './text-util.js';

/** A match: a flow matches when (flow & mask) == value for every word. */
export interface MatchWords {
  readonly value: Uint32Array;
  readonly mask: Uint32Array;
}

/** Parsed matches are mostly short-lived (copied into rules or encoded): their own slabs. */
const parsePool = new FlowWordsPool();

/** A match on nothing (every flow). */
export function catchAllMatch(): { value: Uint32Array; mask: Uint32Array } {
  return { value: parsePool.alloc(), mask: parsePool.alloc() };
}

/** OpenFlow's default priority (OFP_DEFAULT_PRIORITY). */
export const DEFAULT_PRIORITY = 32768;

const ETH_TYPE_IP = 0x0800;
const ETH_TYPE_IPV6 = 0x86dd;
const ETH_TYPE_ARP = 0x0806;
const ETH_TYPE_RARP = 0x8035;
const ETH_TYPE_MPLS = 0x8847;
const ETH_TYPE_MPLS_MCAST = 0x8848;
const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_SCTP = 132;
const IPPROTO_ICMPV6 = 58;

/** The protocol shorthands of the flow syntax (OVS ofp_parse_protocol): Ethertype and IP protocol. */
export const PROTOCOL_SHORTHANDS: ReadonlyMap<string, { readonly dlType: number; readonly nwProto: number }> =
  new Map([
    ['ip', { dlType: ETH_TYPE_IP, nwProto: 0 }],
    ['ipv4', { dlType: ETH_TYPE_IP, nwProto: 0 }],
    ['ip4', { dlType: ETH_TYPE_IP, nwProto: 0 }],
    ['arp', { dlType: ETH_TYPE_ARP, nwProto: 0 }],
    ['icmp', { dlType: ETH_TYPE_IP, nwProto: IPPROTO_ICMP }],
    ['tcp', { dlType: ETH_TYPE_IP, nwProto: IPPROTO_TCP }],
    ['udp', { dlType: ETH_TYPE_IP, nwProto: IPPROTO_UDP }],
    ['sctp', { dlType: ETH_TYPE_IP, nwProto: IPPROTO_SCTP }],
    ['ipv6', { dlType: ETH_TYPE_IPV6, nwProto: 0 }],
    ['ip6', { dlType: ETH_TYPE_IPV6, nwProto: 0 }],
    ['icmp6', { dlType: ETH_TYPE_IPV6, nwProto: IPPROTO_ICMPV6 }],
    ['tcp6', { dlType: ETH_TYPE_IPV6, nwProto: IPPROTO_TCP }],
    ['udp6', { dlType: ETH_TYPE_IPV6, nwProto: IPPROTO_UDP }],
    ['sctp6', { dlType: ETH_TYPE_IPV6, nwProto: IPPROTO_SCTP }],
    ['rarp', { dlType: ETH_TYPE_RARP, nwProto: 0 }],
    ['mpls', { dlType: ETH_TYPE_MPLS, nwProto: 0 }],
    ['mplsm', { dlType: ETH_TYPE_MPLS_MCAST, nwProto: 0 }],
  ]);

function field(name: string): MatchField {
  const f = fieldByName(name);
  if (!f) throw new Error(`no field ${name}`);
  return f;
}

const F = {
  tunId: field('tun_id'),
  metadata: field('metadata'),
  ethSrc: field('eth_src'),
  ethDst: field('eth_dst'),
  arpSha: field('arp_sha'),
  arpTha: field('arp_tha'),
  ipv6Src: field('ipv6_src'),
  ipv6Dst: field('ipv6_dst'),
  ndTarget: field('nd_target'),
};

function big(f: MatchField, words: Uint32Array): bigint {
  return getField(f, words);
}

function u16(v: number): string {
  return String(v & 0xffff);
}

// OVS format_be16_masked(): decimal when exact, else "0xV/0xM".
function be16Masked(out: string[], name: string, value: number, mask: number): void {
  if (!mask) return;
  out.push(
    mask === 0xffff ? `${name}=${u16(value)}` : `${name}=0x${value.toString(16)}/0x${mask.toString(16)}`,
  );
}

// OVS format_uint32_masked() / format_be64_masked(): "%#x" with "/%#x" unless exact.
function hexMasked(out: string[], name: string, value: bigint, mask: bigint, full: bigint): void {
  if (!mask) return;
  out.push(`${name}=${hexText(value)}${mask === full ? '' : `/${hexText(mask)}`}`);
}

function ipMasked(out: string[], name: string, value: number, mask: number): void {
  if (mask) out.push(`${name}=${formatIpv4Masked(value, mask)}`);
}

function ipv6Masked(out: string[], name: string, f: MatchField, m: MatchWords): void {
  const mask = big(f, m.mask);
  if (mask) out.push(`${name}=${formatIpv6Masked(big(f, m.value), mask)}`);
}

function ethMasked(out: string[], name: string, f: MatchField, m: MatchWords): void {
  const mask = big(f, m.mask);
  if (mask) out.push(`${name}=${formatMacMasked(big(f, m.value), mask)}`);
}

/**
 * The match as ovs-ofctl prints it (OVS match_format()): "priority=N," first unless N is the default, then
 * the fields in OVS's order, comma-separated, with shorthands for the Ethertype and IP protocol. An empty
 * string for a catch-all match at the default priority.
 */
export function matchText(
  m: MatchWords,
  priority = DEFAULT_PRIORITY,
  portNames?: ReadonlyMap<number, string>,
): string {
  const v = m.value;
  const k = m.mask;
  const out: string[] = [];
  if (priority !== DEFAULT_PRIORITY) out.push(`priority=${priority}`);

  const dlType = v[K_DL_TYPE] & 0xffff;
  const dlTypeMasked = (k[K_DL_TYPE] & 0xffff) !== 0;
  const proto = v[K_NW] & 0xff;
  const protoMasked = (k[K_NW] & 0xff) !== 0;
  let skipType = false;
  let skipProto = false;
  if (dlTypeMasked) {
    skipType = true;
    if (dlType === ETH_TYPE_IP || dlType === ETH_TYPE_IPV6) {
      const v6 = dlType === ETH_TYPE_IPV6;
      let name = v6 ? 'ipv6' : 'ip';
      if (protoMasked) {
        skipProto = true;
        if (proto === (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP)) name = v6 ? 'icmp6' : 'icmp';
        else if (proto === IPPROTO_TCP) name = v6 ? 'tcp6' : 'tcp';
        else if (proto === IPPROTO_UDP) name = v6 ? 'udp6' : 'udp';
        else if (proto === IPPROTO_SCTP) name = v6 ? 'sctp6' : 'sctp';
        else skipProto = false;
      }
      out.push(name);
    } else if (dlType === ETH_TYPE_ARP) out.push('arp');
    else if (dlType === ETH_TYPE_RARP) out.push('rarp');
    else if (dlType === ETH_TYPE_MPLS) out.push('mpls');
    else if (dlType === ETH_TYPE_MPLS_MCAST) out.push('mplsm');
    else skipType = false;
  }

  for (let i = 0; i < F_REGS; i++) {
    const mask = k[F_REG0 + i] >>> 0;
    if (mask) hexMasked(out, `reg${i}`, BigInt(v[F_REG0 + i] >>> 0), BigInt(mask), 0xffffffffn);
  }

  hexMasked(out, 'tun_id', big(F.tunId, v), big(F.tunId, k), 0xffffffffffffffffn);
  ipMasked(out, 'tun_src', v[K_TUN_SRC] >>> 0, k[K_TUN_SRC] >>> 0);
  ipMasked(out, 'tun_dst', v[K_TUN_DST] >>> 0, k[K_TUN_DST] >>> 0);
  if ((k[K_TUN_FLAGS] >>> 8) & 0xff) out.push(`tun_tos=${((v[K_TUN_FLAGS] >>> 8) & 0xff).toString(16)}`);
  if ((k[K_TUN_FLAGS] >>> 16) & 0xff) out.push(`tun_ttl=${(v[K_TUN_FLAGS] >>> 16) & 0xff}`);

  hexMasked(out, 'metadata', big(F.metadata, v), big(F.metadata, k), 0xffffffffffffffffn);

  if (k[K_IN_PORT] & 0xffff) out.push(`in_port=${formatPort(v[K_IN_PORT] & 0xffff, portNames)}`);

  const tciMask = k[K_VLAN0] & 0xffff;
  if (tciMask) {
    const tci = v[K_VLAN0] & 0xffff;
    const vidMask = tciMask & 0x0fff;
    const pcpMask = tciMask & 0xe000;
    const cfi = tciMask & VLAN_PRESENT;
    if (
      cfi &&
      tci & VLAN_PRESENT &&
      (!vidMask || vidMask === 0x0fff) &&
      (!pcpMask || pcpMask === 0xe000) &&
      (vidMask || pcpMask)
    ) {
      if (vidMask) out.push(`dl_vlan=${tci & 0x0fff}`);
      if (pcpMask) out.push(`dl_vlan_pcp=${tci >>> 13}`);
    } else if (tciMask === 0xffff) {
      out.push(`vlan_tci=0x${tci.toString(16).padStart(4, '0')}`);
    } else {
      out.push(`vlan_tci=0x${tci.toString(16).padStart(4, '0')}/0x${tciMask.toString(16).padStart(4, '0')}`);
    }
  }

  ethMasked(out, 'dl_src', F.ethSrc, m);
  ethMasked(out, 'dl_dst', F.ethDst, m);

  if (!skipType && dlTypeMasked) out.push(`dl_type=0x${dlType.toString(16).padStart(4, '0')}`);

  const isArp = dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP;
  if (dlType === ETH_TYPE_IPV6) {
    ipv6Masked(out, 'ipv6_src', F.ipv6Src, m);
    ipv6Masked(out, 'ipv6_dst', F.ipv6Dst, m);
    const lm = k[K_IPV6_LABEL] & 0xfffff;
    if (lm) {
      const lv = v[K_IPV6_LABEL] & 0xfffff;
      const hex5 = (x: number) => `0x${x.toString(16).padStart(5, '0')}`;
      out.push(lm === 0xfffff ? `ipv6_label=${hex5(lv)}` : `ipv6_label=${hex5(lv)}/${hex5(lm)}`);
    }
  } else if (isArp) {
    ipMasked(out, 'arp_spa', v[K_NW_SRC] >>> 0, k[K_NW_SRC] >>> 0);
    ipMasked(out, 'arp_tpa', v[K_NW_DST] >>> 0, k[K_NW_DST] >>> 0);
  } else {
    ipMasked(out, 'nw_src', v[K_NW_SRC] >>> 0, k[K_NW_SRC] >>> 0);
    ipMasked(out, 'nw_dst', v[K_NW_DST] >>> 0, k[K_NW_DST] >>> 0);
  }
  if (!skipProto && protoMasked) out.push(`${isArp ? 'arp_op' : 'nw_proto'}=${proto}`);
  if (isArp) {
    ethMasked(out, 'arp_sha', F.arpSha, m);
    ethMasked(out, 'arp_tha', F.arpTha, m);
  }
  const tos = (v[K_NW] >>> 8) & 0xff;
  const tosMask = (k[K_NW] >>> 8) & 0xff;
  if (tosMask & 0xfc) out.push(`nw_tos=${tos & 0xfc}`);
  if (tosMask & 0x03) out.push(`nw_ecn=${tos & 0x03}`);
  if ((k[K_NW] >>> NW_TTL_SHIFT) & 0xff) out.push(`nw_ttl=${(v[K_NW] >>> NW_TTL_SHIFT) & 0xff}`);

  const frag = (v[K_NW] >>> NW_FRAG_SHIFT) & 3;
  switch ((k[K_NW] >>> NW_FRAG_SHIFT) & 3) {
    case FRAG_ANY | FRAG_LATER:
      out.push(
        `nw_frag=${frag & FRAG_ANY ? (frag & FRAG_LATER ? 'later' : 'first') : frag & FRAG_LATER ? '<error>' : 'no'}`,
      );
      break;
    case FRAG_ANY:
      out.push(`nw_frag=${frag & FRAG_ANY ? 'yes' : 'no'}`);
      break;
    case FRAG_LATER:
      out.push(`nw_frag=${frag & FRAG_LATER ? 'later' : 'not_later'}`);
      break;
  }

  const tpSrc = v[K_TP] >>> 16;
  const tpDst = v[K_TP] & 0xffff;
  const tpSrcMask = k[K_TP] >>> 16;
  const tpDstMask = k[K_TP] & 0xffff;
  if (dlType === ETH_TYPE_IP && proto === IPPROTO_ICMP) {
    be16Masked(out, 'icmp_type', tpSrc, tpSrcMask);
    be16Masked(out, 'icmp_code', tpDst, tpDstMask);
  } else if (dlType === ETH_TYPE_IPV6 && proto === IPPROTO_ICMPV6) {
    be16Masked(out, 'icmp_type', tpSrc, tpSrcMask);
    be16Masked(out, 'icmp_code', tpDst, tpDstMask);
    ipv6Masked(out, 'nd_target', F.ndTarget, m);
    ethMasked(out, 'nd_sll', F.arpSha, m);
    ethMasked(out, 'nd_tll', F.arpTha, m);
  } else {
    be16Masked(out, 'tp_src', tpSrc, tpSrcMask);
    be16Masked(out, 'tp_dst', tpDst, tpDstMask);
  }
  const flagsMask = k[K_TCP_FLAGS] & 0x0fff;
  if ((dlType === ETH_TYPE_IP || dlType === ETH_TYPE_IPV6) && proto === IPPROTO_TCP && flagsMask) {
    out.push(`tcp_flags=${formatTcpFlags(v[K_TCP_FLAGS] & 0x0fff, flagsMask)}`);
  }
  return out.join(',');
}

/** A field's words to clear when normalization drops it. */
function clearField(m: { value: Uint32Array; mask: Uint32Array }, name: string): void {
  const f = fieldByName(name);
  if (f) setMatchField(f, m.value, m.mask, 0n, 0n);
}

function fieldSet(m: MatchWords, name: string): boolean {
  const f = fieldByName(name);
  return f !== undefined && getField(f, m.mask) !== 0n;
}

/**
 * Drops from the match every field its prerequisites rule out, as OVS does when it encodes a match for the
 * wire (nx_put_raw(), ofputil_normalize_match()): L3 fields need ip/ipv6/arp, L4 ports need tcp/udp/sctp/
 * icmp, tcp_flags needs tcp, nd_* need an ICMPv6 neighbour solicitation/advertisement. Returns the names
 * of the fields dropped (empty when nothing changed).
 */
export function normalizeMatch(m: { value: Uint32Array; mask: Uint32Array }): string[] {
  const dropped: string[] = [];
  const drop = (name: string, alias = name) => {
    if (fieldSet(m, name)) {
      dropped.push(alias);
      clearField(m, name);
    }
  };
  const dlType = m.value[K_DL_TYPE] & 0xffff;
  const proto = m.value[K_NW] & 0xff;
  const protoMasked = (m.mask[K_NW] & 0xff) !== 0;
  const v4 = dlType === ETH_TYPE_IP;
  const v6 = dlType === ETH_TYPE_IPV6;
  const arp = dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP;
  const ip = v4 || v6;
  const type = m.value[K_TP] >>> 16;
  const icmp6 = v6 && protoMasked && proto === IPPROTO_ICMPV6;
  const nd = icmp6 && (m.value[K_TP] & 0xffff) === 0 && (type === 135 || type === 136);

  if (!v4 && !arp) {
    drop('ip_src', 'nw_src');
    drop('ip_dst', 'nw_dst');
  }
  if (!v6) {
    drop('ipv6_src');
    drop('ipv6_dst');
  }
  // The encoders put ipv6_label for IPv4 too (and the switch refuses it: checkMatchPrerequisites).
  if (!ip) drop('ipv6_label');
  if (!ip && !arp) drop('nw_proto');
  if (!ip) {
    drop('nw_tos');
    drop('nw_ecn');
    drop('nw_ttl');
    drop('ip_frag', 'nw_frag');
  }
  const ports =
    ip &&
    protoMasked &&
    (proto === IPPROTO_TCP ||
      proto === IPPROTO_UDP ||
      proto === IPPROTO_SCTP ||
      (v4 && proto === IPPROTO_ICMP) ||
      (v6 && proto === IPPROTO_ICMPV6));
  if (!ports) {
    drop('tcp_src', 'tp_src');
    drop('tcp_dst', 'tp_dst');
  } else if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) {
    // ICMP type and code travel as exact 8-bit fields (NXM_OF_ICMP_TYPE...): a mask does not survive.
    for (const shift of [16, 0]) {
      const half = 0xffff << shift;
      if (m.mask[K_TP] & half) {
        m.mask[K_TP] = (m.mask[K_TP] | half) >>> 0;
        m.value[K_TP] = ((m.value[K_TP] & ~half) | (m.value[K_TP] & (0xff << shift))) >>> 0;
      }
    }
  }
  if (!(ip && protoMasked && proto === IPPROTO_TCP)) drop('tcp_flags');
  if (!nd) drop('nd_target');
  if (!arp && !(nd && type === 135)) drop('arp_sha', nd ? 'nd_sll' : 'arp_sha');
  if (!arp && !(nd && type === 136)) drop('arp_tha', nd ? 'nd_tll' : 'arp_tha');
  return dropped;
}

/**
 * Refuses a (normalized) match that an OpenFlow encoder would send but a switch must reject because a
 * field's prerequisites are not met (OVS's decoder answers OFPBMC_BAD_PREREQ): ipv6_label in an IPv4
 * match, L4 ports or tcp_flags in a match on later fragments (which carry no L4 header).
 */
export function checkMatchPrerequisites(m: MatchWords): void {
  const dlType = m.value[K_DL_TYPE] & 0xffff;
  const proto = m.value[K_NW] & 0xff;
  const fail = (name: string) =>
    new FlowTextError(`${name}: prerequisites not met (OFPBMC_BAD_PREREQ)`, 'OFPBMC_BAD_PREREQ');
  if (dlType === ETH_TYPE_IP && m.mask[K_IPV6_LABEL] & 0xfffff) throw fail('ipv6_label');
  const later = (m.value[K_NW] >>> NW_FRAG_SHIFT) & FRAG_LATER;
  if (later && (proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP)) {
    if (m.mask[K_TP] >>> 16) throw fail('tp_src');
    if (m.mask[K_TP] & 0xffff) throw fail('tp_dst');
    if (m.mask[K_TCP_FLAGS] & 0x0fff) throw fail('tcp_flags');
  }
}

/** Whether two matches are identical. */
export function sameMatch(a: MatchWords, b: MatchWords): boolean {
  for (let i = 0; i < FLOW_WORDS; i++) {
    if (a.mask[i] !== b.mask[i] || a.value[i] !== b.value[i]) return false;
  }
  return true;
}
