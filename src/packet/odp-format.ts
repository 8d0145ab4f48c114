// Open vSwitch 3.1's ODP text for a masked flow key as the userspace datapath's `dpctl/dump-flows` prints it
// (odp_flow_key_from_flow's order, odp_flow_format's rules: wildcards left out, value/mask, -m when verbose).
import {
  FRAG_ANY,
  FRAG_LATER,
  K_ARP_SHA_HI,
  K_ARP_THA_HI,
  K_DL_DST_HI,
  K_DL_SRC_HI,
  K_DL_TYPE,
  K_IN_PORT,
  K_IPV6_DST,
  K_IPV6_LABEL,
  K_IPV6_SRC,
  K_ND_TARGET,
  K_NW,
  K_NW_DST,
  K_NW_SRC,
  K_RECIRC,
  K_TCP_FLAGS,
  K_TP,
  K_TUN_DST,
  K_TUN_FLAGS,
  K_TUN_ID_HI,
  K_TUN_ID_LO,
  K_TUN_SRC,
  K_VLAN0,
  KEY_WORDS,
  NW_FRAG_SHIFT,
  NW_TOS_SHIFT,
  NW_TTL_SHIFT,
  VLAN_PRESENT,
} from './flow-key.js';
import { formatIpv4, formatIpv6Words } from './ip-addr.js';
import { formatMac } from './mac.js';

const ETH_TYPE_MIN = 0x0600;
const VLAN_TPIDS = [0x8100, 0x88a8];
const MAX_VLANS = 2;
/** An all-wildcard mask, for attributes the mask lacks. */
const ZERO_MASK = new Uint32Array(KEY_WORDS);

/** "%#x" as C prints it: "0" for zero, else 0x-prefixed lower-case hex. */
function hexAlt(n: number): string {
  return n === 0 ? '0' : '0x' + (n >>> 0).toString(16);
}

/** A masked field printer's result: "name=value[/mask]", or null when the field is left out. */
type Field = string | null;

function u8u(name: string, k: number, m: number, verbose: boolean): Field {
  if (!verbose && m === 0) return null;
  return `${name}=${k}` + (m === 0xff ? '' : '/' + hexAlt(m));
}

function u8x(name: string, k: number, m: number, verbose: boolean): Field {
  if (!verbose && m === 0) return null;
  return `${name}=${hexAlt(k)}` + (m === 0xff ? '' : '/' + hexAlt(m));
}

function be16(name: string, k: number, m: number, verbose: boolean): Field {
  if (!verbose && m === 0) return null;
  return `${name}=${k}` + (m === 0xffff ? '' : '/' + hexAlt(m));
}

function ipv4(name: string, k: number, m: number, verbose: boolean): Field {
  if (!verbose && m === 0) return null;
  return `${name}=${formatIpv4(k)}` + (m >>> 0 === 0xffffffff ? '' : '/' + formatIpv4(m));
}

function eth(name: string, key: Uint32Array, mask: Uint32Array, at: number, verbose: boolean): Field {
  const mhi = mask[at] & 0xffff;
  const mlo = mask[at + 1];
  if (!verbose && mhi === 0 && mlo === 0) return null;
  const full = mhi === 0xffff && mlo === 0xffffffff;
  return `${name}=${formatMac(key[at], key[at + 1])}` + (full ? '' : '/' + formatMac(mhi, mlo));
}

function in6(name: string, key: Uint32Array, mask: Uint32Array, at: number, verbose: boolean): Field {
  const words = [mask[at], mask[at + 1], mask[at + 2], mask[at + 3]];
  if (!verbose && words.every((w) => w === 0)) return null;
  const full = words.every((w) => w === 0xffffffff);
  return `${name}=${formatIpv6Words(key, at)}` + (full ? '' : '/' + formatIpv6Words(mask, at));
}

function label(k: number, m: number, verbose: boolean): Field {
  if (!verbose && m === 0) return null;
  return `label=${hexAlt(k)}` + ((m & 0xfffff) === 0xfffff ? '' : '/' + hexAlt(m));
}

/** The ODP frag field: an enumeration printed only under a full mask (the key's FRAG_ANY bit decides it). */
function frag(k: number, m: number): Field {
  if (m === 0) return null;
  return 'frag=' + (!(k & FRAG_ANY) ? 'no' : k & FRAG_LATER ? 'later' : 'first');
}

function fields(list: Field[]): string {
  return list.filter((f): f is string => f !== null).join(',');
}

const TCP_FLAG_NAMES = [
  'fin',
  'syn',
  'rst',
  'psh',
  'ack',
  'urg',
  'ece',
  'cwr',
  'ns',
  '[200]',
  '[400]',
  '[800]',
];
const TUN_FLAG_NAMES = ['oam', 'df', 'csum', 'key'];

/** format_flags: names joined by '|', unnamed bits as one hex number, "0" for none. */
function flagList(flags: number, names: string[]): string {
  if (flags === 0) return '0';
  const out: string[] = [];
  let bad = 0;
  for (let bit = 0; bit < 32; bit++) {
    const b = 2 ** bit;
    if (!(flags & b)) continue;
    if (bit < names.length) out.push(names[bit]);
    else bad += b;
  }
  if (bad) out.push('0x' + bad.toString(16));
  return out.join('|');
}

/** format_flags_masked: exact masks as a list, others as +name/-name per masked bit, "0/0" for none. */
function flagsMasked(flags: number, mask: number, max: number, names: string[]): string {
  if (mask === max) return flagList(flags, names);
  if (mask === 0) return '0/0';
  let out = '';
  for (let bit = 0; bit < 32; bit++) {
    if (!(mask & (2 ** bit))) continue;
    out += (flags & (2 ** bit) ? '+' : '-') + (bit < names.length ? names[bit] : '[Unknown]');
  }
  return out;
}

/** Attributes OVS prints only in verbose mode for the userspace datapath (always zero here). */
function verboseZeros(names: string[], verbose: boolean): string[] {
  return verbose ? names.map((n) => `${n}(0/0)`) : [];
}

/**
 * The metadata attributes up to packet_type, in Open vSwitch 3.1's order (odp_flow_key_from_flow__ puts
 * skb_priority, tunnel, skb_mark and the ct_* fields before recirc_id, dp_hash and in_port).
 */
function metadata(key: Uint32Array, mask: Uint32Array, verbose: boolean): string[] {
  const out = verboseZeros(['skb_priority'], verbose);
  if (key[K_TUN_DST] !== 0 || key[K_TUN_SRC] !== 0) out.push(`tunnel(${tunnel(key, mask, verbose)})`);
  out.push(...verboseZeros(['skb_mark', 'ct_state', 'ct_zone', 'ct_mark', 'ct_label'], verbose));
  const rm = mask[K_RECIRC];
  if (verbose || rm !== 0)
    out.push(`recirc_id(${hexAlt(key[K_RECIRC])}${rm === 0xffffffff ? '' : '/' + hexAlt(rm)})`);
  out.push(...verboseZeros(['dp_hash'], verbose));
  const pm = mask[K_IN_PORT];
  if (pm === 0xffffffff) out.push(`in_port(${key[K_IN_PORT]})`);
  else if (verbose || pm !== 0) out.push(`in_port(${key[K_IN_PORT]}/${hexAlt(pm)})`);
  out.push('packet_type(ns=0,id=0)');
  return out;
}

// Our K_TUN_FLAGS bits (0 key, 1 csum, 2 df) as OVS's FLOW_TNL_F_* bits (oam 1, df 2, csum 4, key 8).
function ovsTunFlags(word: number): number {
  return (word & 1 ? 8 : 0) | (word & 2 ? 4 : 0) | (word & 4 ? 2 : 0);
}

function tunId(key: Uint32Array, at: number): string {
  const hi = key[at];
  const lo = key[at + 1];
  return hi ? hi.toString(16) + lo.toString(16).padStart(8, '0') : lo.toString(16);
}

/** The tunnel(...) attribute: sub-attributes present in the key as tun_key_to_attr writes them. */
function tunnel(key: Uint32Array, mask: Uint32Array, verbose: boolean): string {
  const kf = ovsTunFlags(key[K_TUN_FLAGS]);
  const mf = ovsTunFlags(mask[K_TUN_FLAGS]);
  const out: Field[] = [];
  let flags = kf & 6;
  let maskFlags = mf & 6;
  if (key[K_TUN_ID_HI] !== 0 || key[K_TUN_ID_LO] !== 0 || kf & 8) {
    const mHi = mask[K_TUN_ID_HI];
    const mLo = mask[K_TUN_ID_LO];
    const full = mHi === 0xffffffff && mLo === 0xffffffff;
    if (verbose || mHi !== 0 || mLo !== 0) {
      const m = mHi === 0 && mLo === 0 ? '0' : '0x' + tunId(mask, K_TUN_ID_HI);
      out.push(`tun_id=0x${tunId(key, K_TUN_ID_HI)}` + (full ? '' : '/' + m));
    }
    flags |= 8;
    maskFlags |= 8;
  }
  if (key[K_TUN_SRC] !== 0) out.push(ipv4('src', key[K_TUN_SRC], mask[K_TUN_SRC], verbose));
  if (key[K_TUN_DST] !== 0) out.push(ipv4('dst', key[K_TUN_DST], mask[K_TUN_DST], verbose));
  const ktos = (key[K_TUN_FLAGS] >>> 8) & 0xff;
  if (ktos !== 0) out.push(u8x('tos', ktos, (mask[K_TUN_FLAGS] >>> 8) & 0xff, verbose));
  out.push(u8u('ttl', (key[K_TUN_FLAGS] >>> 16) & 0xff, (mask[K_TUN_FLAGS] >>> 16) & 0xff, verbose));
  if (verbose || maskFlags !== 0) out.push(`flags(${flagsMasked(flags, maskFlags, 0xf, TUN_FLAG_NAMES)})`);
  return fields(out);
}

/** vlan(...) contents as format_vlan_tci prints a TCI and its mask. */
function vlanTci(tci: number, m: number, verbose: boolean): string {
  const out: string[] = [];
  const vid = tci & 0xfff;
  const mvid = m & 0xfff;
  if (verbose || vid || mvid) out.push(`vid=${vid}` + (mvid === 0xfff ? '' : '/0x' + mvid.toString(16)));
  const pcp = tci >> 13;
  const mpcp = (m >> 13) & 7;
  if (verbose || pcp || mpcp) out.push(`pcp=${pcp}` + (mpcp === 7 ? '' : '/0x' + mpcp.toString(16)));
  if (!(tci & VLAN_PRESENT)) out.push('cfi=0');
  return out.join(',');
}

/** The attributes after eth(): VLAN encapsulation levels, then eth_type and L3/L4. */
function encapLevel(key: Uint32Array, mask: Uint32Array, verbose: boolean, level: number): string[] {
  const dlType = key[K_DL_TYPE];
  if (level < MAX_VLANS) {
    const word = key[K_VLAN0 + level];
    const truncated = word === 0 && VLAN_TPIDS.includes(dlType);
    if (word !== 0 || truncated) {
      const tpid = truncated ? dlType : word >>> 16;
      const out = [`eth_type(0x${tpid.toString(16).padStart(4, '0')})`];
      const tci = word & 0xffff;
      const mtci = mask[K_VLAN0 + level] & 0xffff;
      if (verbose || mtci !== 0) out.push(`vlan(${vlanTci(tci, mtci, verbose)})`);
      const inner = truncated ? [] : encapLevel(key, mask, verbose, level + 1);
      out.push(`encap(${inner.join(',')})`);
      return out;
    }
  }
  if (dlType < ETH_TYPE_MIN) return level === 0 ? ['eth_type(0/0xffff)'] : [];
  const out: string[] = [];
  const mt = mask[K_DL_TYPE] & 0xffff;
  const hex4 = (n: number) => '0x' + n.toString(16).padStart(4, '0');
  if (verbose || mt !== 0) out.push(`eth_type(${hex4(dlType)}${mt === 0xffff ? '' : '/' + hex4(mt)})`);
  if (VLAN_TPIDS.includes(dlType)) return out;
  out.push(...l3(key, mask, verbose, dlType));
  return out;
}

function nwByte(word: number, shift: number): number {
  return (word >>> shift) & 0xff;
}

/** An attribute "name(fields)", left out when every field is wildcarded (unless verbose). */
function attr(name: string, list: Field[], wildcard: boolean, verbose: boolean): string[] {
  if (wildcard && !verbose) return [];
  return [`${name}(${fields(list)})`];
}

function l3(key: Uint32Array, mask: Uint32Array, verbose: boolean, dlType: number): string[] {
  if (dlType === 0x0800) return [...ipv4Attr(key, mask, verbose), ...l4(key, mask, verbose, dlType)];
  if (dlType === 0x86dd) return [...ipv6Attr(key, mask, verbose), ...l4(key, mask, verbose, dlType)];
  if (dlType === 0x0806 || dlType === 0x8035) return arp(key, mask, verbose);
  return [];
}

/** The ODP frag mask: all ones when the FRAG_ANY bit is matched, else zero (ovs_to_odp_frag). */
function fragMaskOf(mask: Uint32Array): number {
  return nwByte(mask[K_NW], NW_FRAG_SHIFT) & FRAG_ANY ? 0xff : 0;
}

/** proto/tos/ttl (IPv6: tclass/hlimit) and frag fields of the NW word. */
function nwFields(key: Uint32Array, mask: Uint32Array, tos: string, ttl: string, verbose: boolean): Field[] {
  const kn = key[K_NW];
  const mn = mask[K_NW];
  return [
    u8u('proto', kn & 0xff, mn & 0xff, verbose),
    u8x(tos, nwByte(kn, NW_TOS_SHIFT), nwByte(mn, NW_TOS_SHIFT), verbose),
    u8u(ttl, nwByte(kn, NW_TTL_SHIFT), nwByte(mn, NW_TTL_SHIFT), verbose),
    frag(nwByte(kn, NW_FRAG_SHIFT), fragMaskOf(mask)),
  ];
}

function ipv4Attr(key: Uint32Array, mask: Uint32Array, verbose: boolean): string[] {
  const wild =
    mask[K_NW_SRC] === 0 && mask[K_NW_DST] === 0 && (mask[K_NW] & 0xffffff) === 0 && fragMaskOf(mask) === 0;
  const list = [
    ipv4('src', key[K_NW_SRC], mask[K_NW_SRC], verbose),
    ipv4('dst', key[K_NW_DST], mask[K_NW_DST], verbose),
    ...nwFields(key, mask, 'tos', 'ttl', verbose),
  ];
  return attr('ipv4', list, wild, verbose);
}

function ipv6Attr(key: Uint32Array, mask: Uint32Array, verbose: boolean): string[] {
  let wild = (mask[K_NW] & 0xffffff) === 0 && fragMaskOf(mask) === 0 && (mask[K_IPV6_LABEL] & 0xfffff) === 0;
  for (let i = 0; i < 4; i++) wild &&= mask[K_IPV6_SRC + i] === 0 && mask[K_IPV6_DST + i] === 0;
  const list = [
    in6('src', key, mask, K_IPV6_SRC, verbose),
    in6('dst', key, mask, K_IPV6_DST, verbose),
    label(key[K_IPV6_LABEL], mask[K_IPV6_LABEL], verbose),
    ...nwFields(key, mask, 'tclass', 'hlimit', verbose),
  ];
  return attr('ipv6', list, wild, verbose);
}

function arp(key: Uint32Array, mask: Uint32Array, verbose: boolean): string[] {
  // get_arp_key widens an all-ones 8-bit opcode to 0xffff (so an exact 0xff mask prints as exact).
  const op = (w: number) => ((w & 0xff) === 0xff ? 0xffff : w & 0xff);
  let wild = mask[K_NW_SRC] === 0 && mask[K_NW_DST] === 0 && (mask[K_NW] & 0xff) === 0;
  for (let i = 0; i < 4; i++) wild &&= mask[K_ARP_SHA_HI + i] === 0;
  const list = [
    ipv4('sip', key[K_NW_SRC], mask[K_NW_SRC], verbose),
    ipv4('tip', key[K_NW_DST], mask[K_NW_DST], verbose),
    be16('op', op(key[K_NW]), op(mask[K_NW]), verbose),
    eth('sha', key, mask, K_ARP_SHA_HI, verbose),
    eth('tha', key, mask, K_ARP_THA_HI, verbose),
  ];
  return attr('arp', list, wild, verbose);
}

function l4(key: Uint32Array, mask: Uint32Array, verbose: boolean, dlType: number): string[] {
  if (nwByte(key[K_NW], NW_FRAG_SHIFT) & FRAG_LATER) return [];
  const proto = key[K_NW] & 0xff;
  const ksrc = key[K_TP] >>> 16;
  const kdst = key[K_TP] & 0xffff;
  const msrc = mask[K_TP] >>> 16;
  const mdst = mask[K_TP] & 0xffff;
  const ports = (name: string) =>
    attr(
      name,
      [be16('src', ksrc, msrc, verbose), be16('dst', kdst, mdst, verbose)],
      msrc === 0 && mdst === 0,
      verbose,
    );
  if (proto === 6) return [...ports('tcp'), ...tcpFlags(key[K_TCP_FLAGS], mask[K_TCP_FLAGS], verbose)];
  if (proto === 17) return ports('udp');
  if (proto === 132) return ports('sctp');
  const type = (name: string) => {
    const list = [
      u8u('type', ksrc & 0xff, msrc & 0xff, verbose),
      u8u('code', kdst & 0xff, mdst & 0xff, verbose),
    ];
    return attr(name, list, (msrc & 0xff) === 0 && (mdst & 0xff) === 0, verbose);
  };
  if (dlType === 0x0800 && proto === 1) return type('icmp');
  if (dlType === 0x86dd && proto === 58) return [...type('icmpv6'), ...nd(key, mask, verbose)];
  return [];
}

function tcpFlags(k: number, m: number, verbose: boolean): string[] {
  const mf = m & 0x0fff;
  if (k === 0 && mf === 0) return [];
  if (mf === 0 && !verbose) return [];
  return [`tcp_flags(${flagsMasked(k & 0xffff, mf, 0x0fff, TCP_FLAG_NAMES)})`];
}

/** nd(...) for a neighbour solicitation/advertisement whose ICMPv6 type is matched exactly. */
function nd(key: Uint32Array, mask: Uint32Array, verbose: boolean): string[] {
  const type = key[K_TP] >>> 16;
  if ((key[K_TP] & 0xffff) !== 0 || (type !== 135 && type !== 136)) return [];
  const inMask = ((mask[K_TP] >>> 16) & 0xff) === 0xff;
  const m = inMask ? mask : ZERO_MASK;
  let wild = true;
  for (let i = 0; i < 4; i++) wild &&= m[K_ND_TARGET + i] === 0 && m[K_ARP_SHA_HI + i] === 0;
  const list = [
    in6('target', key, m, K_ND_TARGET, verbose),
    eth('sll', key, m, K_ARP_SHA_HI, verbose),
    eth('tll', key, m, K_ARP_THA_HI, verbose),
  ];
  return attr('nd', list, wild, verbose);
}

/**
 * The ODP text of a flow `key` under `mask` (both in the flow-key.ts layout), as the userspace datapath's
 * `ovs-appctl dpctl/dump-flows` prints its match, e.g. `recirc_id(0),in_port(2),packet_type(ns=0,id=0),
 * eth(src=…,dst=…),eth_type(0x0800),ipv4(frag=no)`. Key values are printed as given (OVS prints the
 * packet's unmasked values beside partial masks). `verbose` prints every field with its mask, like `-m`.
 */
export function formatOdpFlow(key: Uint32Array, mask: Uint32Array, verbose = false): string {
  const out = metadata(key, mask, verbose);
  const ethFields = [
    eth('src', key, mask, K_DL_SRC_HI, verbose),
    eth('dst', key, mask, K_DL_DST_HI, verbose),
  ];
  if (ethFields.some((f) => f !== null)) out.push(`eth(${fields(ethFields)})`);
  out.push(...encapLevel(key, mask, verbose, 0));
  return out.join(',');
}
