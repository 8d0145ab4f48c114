// The match-field registry: every field ovs-ofctl's flow syntax names (OVS lib/meta-flow.h), with where its
// bits live in the pipeline flow (src/packet/flow-key.ts + src/ofproto/of-flow.ts), how its value is
// written and read as text, whether it can be masked, and what the flow must already match for the field
// to mean anything (its prerequisites). Values are bigints holding the field's own representation, as
// OVS's union mf_value does: a MAC is 48 bits, nw_tos is the TOS byte with the ECN bits zero, vlan_vid
// carries the 0x1000 "present" bit, icmp_type is 8 bits though it is stored in tp_src.

import { F_METADATA_HI, F_METADATA_LO, F_REG0 } from '../ofproto/of-flow.js';
import {
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
  K_TUN_DST,
  K_TUN_FLAGS,
  K_TUN_ID_HI,
  K_TUN_ID_LO,
  K_TUN_SRC,
  K_VLAN0,
  NW_FRAG_SHIFT,
  NW_TOS_SHIFT,
  NW_TTL_SHIFT,
  VLAN_PRESENT,
} from '../packet/flow-key.js';
import { formatPort, type PortNames, parsePort } from './port-text.js';
import {
  FlowTextError,
  formatIpv4Masked,
  formatIpv6Masked,
  formatMacMasked,
  hexText,
  parseIntString,
  parseIpv4Masked,
  parseIpv6Masked,
  scanMac,
  strtoll,
} from './text-util.js';

/** How a field's value is written as text (OVS enum mf_string). */
export type FieldKind = 'decimal' | 'hex' | 'mac' | 'ipv4' | 'ipv6' | 'port' | 'frag' | 'tcp-flags';

/** What a flow must match before a field is meaningful (OVS enum mf_prereqs). */
export type Prerequisite =
  | 'none'
  | 'ethernet'
  | 'vlan'
  | 'arp'
  | 'ipv4'
  | 'ipv6'
  | 'ip'
  | 'tcp'
  | 'udp'
  | 'sctp'
  | 'icmpv4'
  | 'icmpv6'
  | 'nd'
  | 'nd_solicit'
  | 'nd_advert';

/** A run of a field's bits inside one 32-bit flow word. */
export interface FieldSlot {
  /** Word index in the pipeline flow. */
  readonly word: number;
  /** Bit position of the run's least significant bit in the word. */
  readonly shift: number;
  /** Bits in the run. */
  readonly width: number;
}

/** One match field. */
export interface MatchField {
  /** OVS's name for it (the one it prints, e.g. "eth_src", "tcp_dst", "nw_tos"). */
  readonly name: string;
  /** Other names it is accepted by (e.g. "dl_src"; "tp_dst" for tcp_dst). */
  readonly aliases: readonly string[];
  /** NXM/OXM names accepted in subfield syntax (NXM_OF_ETH_SRC[]); the first is the one printed. */
  readonly headers: readonly string[];
  /** Bytes of the value (OVS n_bytes): the width of numbers parsed for it. */
  readonly bytes: number;
  /** Bits of the value that subfields address (OVS n_bits). */
  readonly bits: number;
  /** Value text form. */
  readonly kind: FieldKind;
  /** Whether an arbitrary bit mask may be given (otherwise only exact or fully wild). */
  readonly maskable: boolean;
  /** Prerequisite. */
  readonly prereq: Prerequisite;
  /** Whether set_field/load/move may write it. */
  readonly writable: boolean;
  /** Where the stored bits live, most significant run first. */
  readonly slots: readonly FieldSlot[];
  /** Low bits of the value that are not stored (2 for nw_tos, whose ECN bits belong to nw_ecn). */
  readonly lsb: number;
}

function slot(word: number, shift: number, width: number): FieldSlot {
  return { word, shift, width };
}

interface FieldSpec {
  name: string;
  aliases?: string[];
  headers?: string[];
  bytes: number;
  bits: number;
  kind: FieldKind;
  maskable: boolean;
  prereq: Prerequisite;
  writable?: boolean;
  slots: FieldSlot[];
  lsb?: number;
}

function def(s: FieldSpec): MatchField {
  return {
    name: s.name,
    aliases: s.aliases ?? [],
    headers: s.headers ?? [],
    bytes: s.bytes,
    bits: s.bits,
    kind: s.kind,
    maskable: s.maskable,
    prereq: s.prereq,
    writable: s.writable ?? true,
    slots: s.slots,
    lsb: s.lsb ?? 0,
  };
}

const mac = (hi: number, lo: number) => [slot(hi, 0, 16), slot(lo, 0, 32)];
const ip6 = (w: number) => [slot(w, 0, 32), slot(w + 1, 0, 32), slot(w + 2, 0, 32), slot(w + 3, 0, 32)];

function registers(): MatchField[] {
  const out: MatchField[] = [];
  for (let i = 0; i < 16; i++) {
    out.push(
      def({
        name: `reg${i}`,
        headers: [`NXM_NX_REG${i}`],
        bytes: 4,
        bits: 32,
        kind: 'hex',
        maskable: true,
        prereq: 'none',
        slots: [slot(F_REG0 + i, 0, 32)],
      }),
    );
  }
  for (let i = 0; i < 8; i++) {
    out.push(
      def({
        name: `xreg${i}`,
        headers: [`OXM_OF_PKT_REG${i}`],
        bytes: 8,
        bits: 64,
        kind: 'hex',
        maskable: true,
        prereq: 'none',
        slots: [slot(F_REG0 + 2 * i, 0, 32), slot(F_REG0 + 2 * i + 1, 0, 32)],
      }),
    );
  }
  return out;
}

/** Every field, in OVS's order (lib/meta-flow.h). */
export const FIELDS: readonly MatchField[] = [
  def({
    name: 'tun_id',
    aliases: ['tunnel_id'],
    headers: ['NXM_NX_TUN_ID', 'OXM_OF_TUNNEL_ID'],
    bytes: 8,
    bits: 64,
    kind: 'hex',
    maskable: true,
    prereq: 'none',
    slots: [slot(K_TUN_ID_HI, 0, 32), slot(K_TUN_ID_LO, 0, 32)],
  }),
  def({
    name: 'tun_src',
    headers: ['NXM_NX_TUN_IPV4_SRC'],
    bytes: 4,
    bits: 32,
    kind: 'ipv4',
    maskable: true,
    prereq: 'none',
    slots: [slot(K_TUN_SRC, 0, 32)],
  }),
  def({
    name: 'tun_dst',
    headers: ['NXM_NX_TUN_IPV4_DST'],
    bytes: 4,
    bits: 32,
    kind: 'ipv4',
    maskable: true,
    prereq: 'none',
    slots: [slot(K_TUN_DST, 0, 32)],
  }),
  def({
    name: 'tun_ttl',
    bytes: 1,
    bits: 8,
    kind: 'decimal',
    maskable: false,
    prereq: 'none',
    writable: false,
    slots: [slot(K_TUN_FLAGS, 16, 8)],
  }),
  def({
    name: 'tun_tos',
    bytes: 1,
    bits: 8,
    kind: 'decimal',
    maskable: false,
    prereq: 'none',
    writable: false,
    slots: [slot(K_TUN_FLAGS, 8, 8)],
  }),
  def({
    name: 'metadata',
    headers: ['OXM_OF_METADATA'],
    bytes: 8,
    bits: 64,
    kind: 'hex',
    maskable: true,
    prereq: 'none',
    slots: [slot(F_METADATA_HI, 0, 32), slot(F_METADATA_LO, 0, 32)],
  }),
  def({
    name: 'in_port',
    headers: ['NXM_OF_IN_PORT'],
    bytes: 2,
    bits: 16,
    kind: 'port',
    maskable: false,
    prereq: 'none',
    slots: [slot(K_IN_PORT, 0, 16)],
  }),
  ...registers(),
  def({
    name: 'eth_src',
    aliases: ['dl_src'],
    headers: ['NXM_OF_ETH_SRC', 'OXM_OF_ETH_SRC'],
    bytes: 6,
    bits: 48,
    kind: 'mac',
    maskable: true,
    prereq: 'ethernet',
    slots: mac(K_DL_SRC_HI, K_DL_SRC_LO),
  }),
  def({
    name: 'eth_dst',
    aliases: ['dl_dst'],
    headers: ['NXM_OF_ETH_DST', 'OXM_OF_ETH_DST'],
    bytes: 6,
    bits: 48,
    kind: 'mac',
    maskable: true,
    prereq: 'ethernet',
    slots: mac(K_DL_DST_HI, K_DL_DST_LO),
  }),
  def({
    name: 'eth_type',
    aliases: ['dl_type'],
    headers: ['NXM_OF_ETH_TYPE', 'OXM_OF_ETH_TYPE'],
    bytes: 2,
    bits: 16,
    kind: 'hex',
    maskable: false,
    prereq: 'ethernet',
    writable: false,
    slots: [slot(K_DL_TYPE, 0, 16)],
  }),
  def({
    name: 'vlan_tci',
    headers: ['NXM_OF_VLAN_TCI'],
    bytes: 2,
    bits: 16,
    kind: 'hex',
    maskable: true,
    prereq: 'ethernet',
    slots: [slot(K_VLAN0, 0, 16)],
  }),
  def({
    name: 'dl_vlan',
    bytes: 2,
    bits: 12,
    kind: 'decimal',
    maskable: false,
    prereq: 'ethernet',
    slots: [slot(K_VLAN0, 0, 12)],
  }),
  def({
    name: 'vlan_vid',
    headers: ['OXM_OF_VLAN_VID'],
    bytes: 2,
    bits: 12,
    kind: 'decimal',
    maskable: true,
    prereq: 'ethernet',
    slots: [slot(K_VLAN0, 0, 13)],
  }),
  def({
    name: 'dl_vlan_pcp',
    bytes: 1,
    bits: 3,
    kind: 'decimal',
    maskable: false,
    prereq: 'ethernet',
    slots: [slot(K_VLAN0, 13, 3)],
  }),
  def({
    name: 'vlan_pcp',
    headers: ['OXM_OF_VLAN_PCP'],
    bytes: 1,
    bits: 3,
    kind: 'decimal',
    maskable: false,
    prereq: 'vlan',
    slots: [slot(K_VLAN0, 13, 3)],
  }),
  def({
    name: 'ip_src',
    aliases: ['nw_src'],
    headers: ['NXM_OF_IP_SRC', 'OXM_OF_IPV4_SRC'],
    bytes: 4,
    bits: 32,
    kind: 'ipv4',
    maskable: true,
    prereq: 'ipv4',
    slots: [slot(K_NW_SRC, 0, 32)],
  }),
  def({
    name: 'ip_dst',
    aliases: ['nw_dst'],
    headers: ['NXM_OF_IP_DST', 'OXM_OF_IPV4_DST'],
    bytes: 4,
    bits: 32,
    kind: 'ipv4',
    maskable: true,
    prereq: 'ipv4',
    slots: [slot(K_NW_DST, 0, 32)],
  }),
  def({
    name: 'ipv6_src',
    headers: ['NXM_NX_IPV6_SRC', 'OXM_OF_IPV6_SRC'],
    bytes: 16,
    bits: 128,
    kind: 'ipv6',
    maskable: true,
    prereq: 'ipv6',
    slots: ip6(K_IPV6_SRC),
  }),
  def({
    name: 'ipv6_dst',
    headers: ['NXM_NX_IPV6_DST', 'OXM_OF_IPV6_DST'],
    bytes: 16,
    bits: 128,
    kind: 'ipv6',
    maskable: true,
    prereq: 'ipv6',
    slots: ip6(K_IPV6_DST),
  }),
  def({
    name: 'ipv6_label',
    headers: ['NXM_NX_IPV6_LABEL', 'OXM_OF_IPV6_FLABEL'],
    bytes: 4,
    bits: 20,
    kind: 'hex',
    maskable: true,
    prereq: 'ipv6',
    slots: [slot(K_IPV6_LABEL, 0, 20)],
  }),
  def({
    name: 'nw_proto',
    aliases: ['ip_proto'],
    headers: ['NXM_OF_IP_PROTO', 'OXM_OF_IP_PROTO'],
    bytes: 1,
    bits: 8,
    kind: 'decimal',
    maskable: false,
    prereq: 'ip',
    writable: false,
    slots: [slot(K_NW, 0, 8)],
  }),
  def({
    name: 'nw_tos',
    headers: ['NXM_OF_IP_TOS'],
    bytes: 1,
    bits: 8,
    kind: 'decimal',
    maskable: false,
    prereq: 'ip',
    slots: [slot(K_NW, NW_TOS_SHIFT + 2, 6)],
    lsb: 2,
  }),
  def({
    name: 'ip_dscp',
    headers: ['OXM_OF_IP_DSCP'],
    bytes: 1,
    bits: 6,
    kind: 'decimal',
    maskable: false,
    prereq: 'ip',
    slots: [slot(K_NW, NW_TOS_SHIFT + 2, 6)],
  }),
  def({
    name: 'nw_ecn',
    aliases: ['ip_ecn'],
    headers: ['NXM_NX_IP_ECN', 'OXM_OF_IP_ECN'],
    bytes: 1,
    bits: 2,
    kind: 'decimal',
    maskable: false,
    prereq: 'ip',
    slots: [slot(K_NW, NW_TOS_SHIFT, 2)],
  }),
  def({
    name: 'nw_ttl',
    headers: ['NXM_NX_IP_TTL'],
    bytes: 1,
    bits: 8,
    kind: 'decimal',
    maskable: false,
    prereq: 'ip',
    slots: [slot(K_NW, NW_TTL_SHIFT, 8)],
  }),
  def({
    name: 'ip_frag',
    aliases: ['nw_frag'],
    headers: ['NXM_NX_IP_FRAG'],
    bytes: 1,
    bits: 2,
    kind: 'frag',
    maskable: true,
    prereq: 'ip',
    writable: false,
    slots: [slot(K_NW, NW_FRAG_SHIFT, 2)],
  }),
  def({
    name: 'arp_op',
    headers: ['NXM_OF_ARP_OP', 'OXM_OF_ARP_OP'],
    bytes: 2,
    bits: 16,
    kind: 'decimal',
    maskable: false,
    prereq: 'arp',
    slots: [slot(K_NW, 0, 8)],
  }),
  def({
    name: 'arp_spa',
    headers: ['NXM_OF_ARP_SPA', 'OXM_OF_ARP_SPA'],
    bytes: 4,
    bits: 32,
    kind: 'ipv4',
    maskable: true,
    prereq: 'arp',
    slots: [slot(K_NW_SRC, 0, 32)],
  }),
  def({
    name: 'arp_tpa',
    headers: ['NXM_OF_ARP_TPA', 'OXM_OF_ARP_TPA'],
    bytes: 4,
    bits: 32,
    kind: 'ipv4',
    maskable: true,
    prereq: 'arp',
    slots: [slot(K_NW_DST, 0, 32)],
  }),
  def({
    name: 'arp_sha',
    headers: ['NXM_NX_ARP_SHA', 'OXM_OF_ARP_SHA'],
    bytes: 6,
    bits: 48,
    kind: 'mac',
    maskable: true,
    prereq: 'arp',
    slots: mac(K_ARP_SHA_HI, K_ARP_SHA_LO),
  }),
  def({
    name: 'arp_tha',
    headers: ['NXM_NX_ARP_THA', 'OXM_OF_ARP_THA'],
    bytes: 6,
    bits: 48,
    kind: 'mac',
    maskable: true,
    prereq: 'arp',
    slots: mac(K_ARP_THA_HI, K_ARP_THA_LO),
  }),
  def({
    name: 'tcp_src',
    aliases: ['tp_src'],
    headers: ['NXM_OF_TCP_SRC', 'OXM_OF_TCP_SRC'],
    bytes: 2,
    bits: 16,
    kind: 'decimal',
    maskable: true,
    prereq: 'tcp',
    slots: [slot(K_TP, 16, 16)],
  }),
  def({
    name: 'tcp_dst',
    aliases: ['tp_dst'],
    headers: ['NXM_OF_TCP_DST', 'OXM_OF_TCP_DST'],
    bytes: 2,
    bits: 16,
    kind: 'decimal',
    maskable: true,
    prereq: 'tcp',
    slots: [slot(K_TP, 0, 16)],
  }),
  def({
    name: 'tcp_flags',
    headers: ['NXM_NX_TCP_FLAGS', 'ONFOXM_ET_TCP_FLAGS', 'OXM_OF_TCP_FLAGS'],
    bytes: 2,
    bits: 12,
    kind: 'tcp-flags',
    maskable: true,
    prereq: 'tcp',
    writable: false,
    slots: [slot(K_TCP_FLAGS, 0, 12)],
  }),
  def({
    name: 'udp_src',
    headers: ['NXM_OF_UDP_SRC', 'OXM_OF_UDP_SRC'],
    bytes: 2,
    bits: 16,
    kind: 'decimal',
    maskable: true,
    prereq: 'udp',
    slots: [slot(K_TP, 16, 16)],
  }),
  def({
    name: 'udp_dst',
    headers: ['NXM_OF_UDP_DST', 'OXM_OF_UDP_DST'],
    bytes: 2,
    bits: 16,
    kind: 'decimal',
    maskable: true,
    prereq: 'udp',
    slots: [slot(K_TP, 0, 16)],
  }),
  def({
    name: 'sctp_src',
    headers: ['OXM_OF_SCTP_SRC'],
    bytes: 2,
    bits: 16,
    kind: 'decimal',
    maskable: true,
    prereq: 'sctp',
    slots: [slot(K_TP, 16, 16)],
  }),
  def({
    name: 'sctp_dst',
    headers: ['OXM_OF_SCTP_DST'],
    bytes: 2,
    bits: 16,
    kind: 'decimal',
    maskable: true,
    prereq: 'sctp',
    slots: [slot(K_TP, 0, 16)],
  }),
  def({
    name: 'icmp_type',
    headers: ['NXM_OF_ICMP_TYPE', 'OXM_OF_ICMPV4_TYPE'],
    bytes: 1,
    bits: 8,
    kind: 'decimal',
    maskable: false,
    prereq: 'icmpv4',
    slots: [slot(K_TP, 16, 16)],
  }),
  def({
    name: 'icmp_code',
    headers: ['NXM_OF_ICMP_CODE', 'OXM_OF_ICMPV4_CODE'],
    bytes: 1,
    bits: 8,
    kind: 'decimal',
    maskable: false,
    prereq: 'icmpv4',
    slots: [slot(K_TP, 0, 16)],
  }),
  def({
    name: 'icmpv6_type',
    headers: ['NXM_NX_ICMPV6_TYPE', 'OXM_OF_ICMPV6_TYPE'],
    bytes: 1,
    bits: 8,
    kind: 'decimal',
    maskable: false,
    prereq: 'icmpv6',
    slots: [slot(K_TP, 16, 16)],
  }),
  def({
    name: 'icmpv6_code',
    headers: ['NXM_NX_ICMPV6_CODE', 'OXM_OF_ICMPV6_CODE'],
    bytes: 1,
    bits: 8,
    kind: 'decimal',
    maskable: false,
    prereq: 'icmpv6',
    slots: [slot(K_TP, 0, 16)],
  }),
  def({
    name: 'nd_target',
    headers: ['NXM_NX_ND_TARGET', 'OXM_OF_IPV6_ND_TARGET'],
    bytes: 16,
    bits: 128,
    kind: 'ipv6',
    maskable: true,
    prereq: 'nd',
    slots: ip6(K_ND_TARGET),
  }),
  def({
    name: 'nd_sll',
    headers: ['NXM_NX_ND_SLL', 'OXM_OF_IPV6_ND_SLL'],
    bytes: 6,
    bits: 48,
    kind: 'mac',
    maskable: true,
    prereq: 'nd_solicit',
    slots: mac(K_ARP_SHA_HI, K_ARP_SHA_LO),
  }),
  def({
    name: 'nd_tll',
    headers: ['NXM_NX_ND_TLL', 'OXM_OF_IPV6_ND_TLL'],
    bytes: 6,
    bits: 48,
    kind: 'mac',
    maskable: true,
    prereq: 'nd_advert',
    slots: mac(K_ARP_THA_HI, K_ARP_THA_LO),
  }),
];

const byName = new Map<string, MatchField>();
const byHeader = new Map<string, MatchField>();
for (const f of FIELDS) {
  for (const n of [f.name, ...f.aliases]) if (!byName.has(n)) byName.set(n, f);
  for (const h of f.headers) byHeader.set(h, f);
}

/**
 * OVS fields that tsovs's flow has no room for: naming one is refused with an 'UNSUPPORTED' error instead of
 * OVS's "unknown" messages, so that the user learns the field exists but is not implemented here.
 */
const UNSUPPORTED = new Set([
  'dp_hash',
  'recirc_id',
  'packet_type',
  'conj_id',
  'tun_ipv6_src',
  'tun_ipv6_dst',
  'tun_flags',
  'tun_gbp_id',
  'tun_gbp_flags',
  'tun_erspan_idx',
  'tun_erspan_ver',
  'tun_erspan_dir',
  'tun_erspan_hwid',
  'tun_gtpu_flags',
  'tun_gtpu_msgtype',
  'in_port_oxm',
  'actset_output',
  'skb_priority',
  'pkt_mark',
  'ct_state',
  'ct_zone',
  'ct_mark',
  'ct_label',
  'ct_nw_proto',
  'ct_nw_src',
  'ct_nw_dst',
  'ct_ipv6_src',
  'ct_ipv6_dst',
  'ct_tp_src',
  'ct_tp_dst',
  'mpls_label',
  'mpls_tc',
  'mpls_bos',
  'mpls_ttl',
  'nd_reserved',
  'nd_options_type',
  'nsh_flags',
  'nsh_ttl',
  'nsh_mdtype',
  'nsh_np',
  'nsh_spi',
  'nsh_si',
  'nsh_c1',
  'nsh_c2',
  'nsh_c3',
  'nsh_c4',
]);

// NXM/OXM names of the same fields, as they appear in subfield syntax (NXM_NX_CT_MARK[]).
const UNSUPPORTED_HEADERS =
  /^(NXM_NX_(CT_\w+|PKT_MARK|TUN_METADATA\d+|XXREG\d+|CONJ_ID|TUN_FLAGS|TUN_GBP_\w+|TUN_IPV6_\w+|DP_HASH|RECIRC_ID)|OXM_OF_(MPLS_\w+|IN_PORT|ACTSET_OUTPUT|PACKET_TYPE|PBB_ISID|IPV6_EXTHDR)|NXOXM_\w+|ERICOXM_\w+|ONFOXM_ET_ACTSET_OUTPUT)(_W)?$/;

/** Whether `name` is an Open vSwitch field that tsovs does not implement (tun_metadata*, xxreg*, ct_*...). */
export function isUnsupportedFieldName(name: string): boolean {
  return UNSUPPORTED.has(name) || /^(tun_metadata\d+|xxreg\d+)$/.test(name) || UNSUPPORTED_HEADERS.test(name);
}

/** The field called `name` or one of its aliases (OVS mf_from_name); undefined when none is. */
export function fieldByName(name: string): MatchField | undefined {
  return byName.get(name);
}

/** The field with NXM/OXM name `name` (e.g. "NXM_OF_ETH_SRC"), ignoring a "_W" suffix. */
export function fieldByHeaderName(name: string): MatchField | undefined {
  const base = name.length > 2 && name.endsWith('_W') ? name.slice(0, -2) : name;
  return byHeader.get(base);
}

/** The name ovs-ofctl prints for a field in subfield syntax: its NXM name, else its OXM name, else its own. */
export function subfieldName(f: MatchField): string {
  return f.headers.length ? f.headers[0] : f.name;
}

function storageBits(f: MatchField): number {
  let n = 0;
  for (const s of f.slots) n += s.width;
  return n;
}

/** (1 << n) - 1 for n = 0..128, made once: BigInt shifts are slow enough to show in flow loading. */
const ONES_BIG: readonly bigint[] = Array.from({ length: 129 }, (_, n) => (1n << BigInt(n)) - 1n);

/** A bigint of `bits` one bits. */
export function ones(bits: number): bigint {
  return bits >= 0 && bits <= 128 ? ONES_BIG[bits] : (1n << BigInt(bits)) - 1n;
}

/** All-ones value for the field's bytes (an exact mask). */
export function exactMask(f: MatchField): bigint {
  return ones(f.bytes * 8);
}

function readStorage(f: MatchField, words: Uint32Array): bigint {
  let v = 0n;
  for (const s of f.slots) {
    const bits = s.width === 32 ? words[s.word] >>> 0 : (words[s.word] >>> s.shift) & ((1 << s.width) - 1);
    v = (v << BigInt(s.width)) | BigInt(bits >>> 0);
  }
  return v;
}

function writeStorage(f: MatchField, words: Uint32Array, v: bigint): void {
  let rest = v;
  for (let i = f.slots.length - 1; i >= 0; i--) {
    const s = f.slots[i];
    const part = Number(rest & ones(s.width));
    rest >>= BigInt(s.width);
    if (s.width === 32) {
      words[s.word] = part >>> 0;
    } else {
      const m = ((1 << s.width) - 1) << s.shift;
      words[s.word] = ((words[s.word] & ~m) | ((part << s.shift) & m)) >>> 0;
    }
  }
}

function toStorage(f: MatchField, v: bigint): bigint {
  return (v >> BigInt(f.lsb)) & ones(storageBits(f));
}

function fromStorage(f: MatchField, s: bigint): bigint {
  return (s << BigInt(f.lsb)) & ones(f.bytes * 8);
}

const TCI_VID = 0x0fff;
const TCI_PCP = 0xe000;

/** The field's value in `flow` (OVS mf_get_value). */
export function getField(f: MatchField, flow: Uint32Array): bigint {
  if (f.name === 'dl_vlan') return BigInt(flow[K_VLAN0] & TCI_VID);
  return fromStorage(f, readStorage(f, flow));
}

/**
 * Writes `value` (only the bits set in `mask`, all when omitted) into `flow` as set_field/load do
 * (OVS mf_set_flow_value_masked): writing a VLAN VID or PCP also marks the tag present, dl_vlan 0xffff
 * removes the tag.
 */
export function setField(f: MatchField, flow: Uint32Array, value: bigint, mask: bigint = exactMask(f)): void {
  const v = (value & mask) | (getField(f, flow) & ~mask & exactMask(f));
  const tci = flow[K_VLAN0];
  switch (f.name) {
    case 'dl_vlan':
      if (v === 0xffffn) flow[K_VLAN0] = 0;
      else flow[K_VLAN0] = ((tci & ~TCI_VID) | VLAN_PRESENT | (Number(v) & TCI_VID)) >>> 0;
      return;
    case 'dl_vlan_pcp':
    case 'vlan_pcp':
      flow[K_VLAN0] = ((tci & ~TCI_PCP) | VLAN_PRESENT | ((Number(v) & 7) << 13)) >>> 0;
      return;
    default:
      writeStorage(f, flow, toStorage(f, v));
  }
}

/** The field's (value, mask) in a match (OVS mf_get). */
export function getMatchField(
  f: MatchField,
  value: Uint32Array,
  mask: Uint32Array,
): { value: bigint; mask: bigint } {
  return { value: getField(f, value), mask: getField(f, mask) };
}

/**
 * Makes a match (value and mask words) match `v` under mask `m` on field `f`, replacing what it matched on
 * that field before, with OVS's semantics (mf_set): an all-ones mask is an exact match, an all-zeros
 * mask wildcards the field, anything else is a bitwise match (callers check `maskable` first). The VLAN
 * fields keep OVS's special cases: dl_vlan 0xffff matches untagged frames, VID and PCP matches require a
 * tag, and wildcarding one of them leaves the other alone.
 */
export function setMatchField(
  f: MatchField,
  value: Uint32Array,
  mask: Uint32Array,
  v: bigint,
  m: bigint,
): void {
  const full = exactMask(f);
  const exact = (m & full) === full;
  const wild = (m & full) === 0n;
  if (f.name === 'dl_vlan' || f.name === 'vlan_vid' || f.name === 'dl_vlan_pcp' || f.name === 'vlan_pcp') {
    setVlanMatch(f, value, mask, Number(v & full), Number(m & full), exact, wild);
    return;
  }
  if (wild) {
    writeStorage(f, mask, 0n);
    writeStorage(f, value, 0n);
    return;
  }
  const sm = exact ? ones(storageBits(f)) : toStorage(f, m);
  writeStorage(f, mask, sm);
  writeStorage(f, value, toStorage(f, v) & sm);
}

/** Whether a field is one of the four whose matches setVlanMatch() makes (OVS's VLAN special cases). */
function isVlanMatchField(f: MatchField): boolean {
  const n = f.name;
  return n === 'dl_vlan' || n === 'vlan_vid' || n === 'dl_vlan_pcp' || n === 'vlan_pcp';
}

/** `n` one bits (n = 1..32) as an unsigned number. */
function ones32(n: number): number {
  return 0xffffffff >>> (32 - n);
}

/** Writes `part` (at most `s.width` bits) into its run of `words`, as writeStorage() does for one slot. */
function writeSlot(words: Uint32Array, s: FieldSlot, part: number): void {
  if (s.width === 32) {
    words[s.word] = part >>> 0;
  } else {
    const m = ((1 << s.width) - 1) << s.shift;
    words[s.word] = ((words[s.word] & ~m) | ((part << s.shift) & m)) >>> 0;
  }
}

/** Reads one slot's bits, as readStorage() does. */
function readSlot(words: Uint32Array, s: FieldSlot): number {
  return s.width === 32 ? words[s.word] >>> 0 : (words[s.word] >>> s.shift) & ((1 << s.width) - 1);
}

/**
 * Whether the field's bytes map onto its slots whole: no dropped low bits, slots of whole bytes, as wide
 * together as the value (MACs, 64-bit fields, IPv6 addresses). Such a field's value is read and written
 * byte run by byte run, without bigints.
 */
function byteSlots(f: MatchField): boolean {
  if (f.lsb !== 0) return false;
  let bits = 0;
  for (const s of f.slots) {
    if (s.width % 8 !== 0 || s.width > 32) return false;
    bits += s.width;
  }
  return bits === f.bytes * 8;
}

/** Whether the field's value fits one slot and 32 bits, so that it is read and written as a number. */
function numberSlot(f: MatchField): boolean {
  return f.bytes <= 4 && f.slots.length === 1 && f.slots[0].width + f.lsb <= 32;
}

/**
 * getField() as a number, for fields of 4 bytes or less: the same value without bigints (decoding and
 * encoding flow mods reads and writes a few dozen fields each).
 */
export function getField32(f: MatchField, flow: Uint32Array): number {
  if (f.name === 'dl_vlan') return flow[K_VLAN0] & TCI_VID;
  if (!numberSlot(f)) return Number(getField(f, flow));
  const full = ones32(f.bytes * 8);
  return ((readSlot(flow, f.slots[0]) << f.lsb) & full) >>> 0;
}

/**
 * getField() as the field's `f.bytes` big-endian bytes, written into `out` at `at`: for any field, without
 * bigints for those that fit a number or lie in whole bytes.
 */
export function getFieldBytes(f: MatchField, flow: Uint32Array, out: Uint8Array, at = 0): void {
  const n = f.bytes;
  if (n <= 4 && (numberSlot(f) || f.name === 'dl_vlan')) {
    const v = getField32(f, flow);
    for (let i = n - 1; i >= 0; i--) out[at + i] = (v >>> (8 * (n - 1 - i))) & 0xff;
    return;
  }
  if (byteSlots(f)) {
    let o = at;
    for (const s of f.slots) {
      const bits = readSlot(flow, s);
      for (let k = s.width / 8 - 1; k >= 0; k--) out[o++] = (bits >>> (8 * k)) & 0xff;
    }
    return;
  }
  let v = getField(f, flow);
  for (let i = n - 1; i >= 0; i--) {
    out[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/**
 * setMatchField() with the value and mask as numbers, for fields of 4 bytes or less: the same words, without
 * bigints.
 */
export function setMatchField32(
  f: MatchField,
  value: Uint32Array,
  mask: Uint32Array,
  v: number,
  m: number,
): void {
  if (f.bytes > 4 || (!numberSlot(f) && !isVlanMatchField(f))) {
    setMatchField(f, value, mask, BigInt(v >>> 0), BigInt(m >>> 0));
    return;
  }
  const full = ones32(f.bytes * 8);
  const vv = (v & full) >>> 0;
  const mm = (m & full) >>> 0;
  const exact = mm === full;
  const wild = mm === 0;
  if (isVlanMatchField(f)) {
    setVlanMatch(f, value, mask, vv, mm, exact, wild);
    return;
  }
  const s = f.slots[0];
  if (wild) {
    writeSlot(mask, s, 0);
    writeSlot(value, s, 0);
    return;
  }
  // As toStorage(): the value and a partial mask are shifted and cut to the slot, not to the field's bytes.
  const storage = ones32(s.width);
  const sm = exact ? storage : ((m >>> f.lsb) & storage) >>> 0;
  writeSlot(mask, s, sm);
  writeSlot(value, s, ((v >>> f.lsb) & sm) >>> 0);
}

/**
 * setMatchField() with the value and mask as the field's big-endian bytes (`m` null: exact), as a wire
 * match carries them: numbers for fields of 4 bytes or less, byte runs for wider fields that lie in whole
 * bytes, bigints only for anything else.
 */
export function setMatchFieldBytes(
  f: MatchField,
  value: Uint32Array,
  mask: Uint32Array,
  v: Uint8Array,
  m: Uint8Array | null,
): void {
  const n = f.bytes;
  if (v.length === n && (m === null || m.length === n)) {
    if (n <= 4) {
      setMatchField32(f, value, mask, beNumber(v, 0, n), m === null ? ones32(n * 8) : beNumber(m, 0, n));
      return;
    }
    if (byteSlots(f)) {
      let exact = true;
      let wild = m !== null;
      if (m !== null) {
        for (let i = 0; i < n; i++) {
          if (m[i] !== 0xff) exact = false;
          if (m[i] !== 0) wild = false;
        }
      }
      let at = 0;
      for (const s of f.slots) {
        const k = s.width / 8;
        if (wild) {
          writeSlot(mask, s, 0);
          writeSlot(value, s, 0);
        } else {
          const sm = exact || m === null ? ones32(s.width) : beNumber(m, at, k);
          writeSlot(mask, s, sm);
          writeSlot(value, s, (beNumber(v, at, k) & sm) >>> 0);
        }
        at += k;
      }
      return;
    }
  }
  setMatchField(f, value, mask, bytesToBigint(v), m === null ? exactMask(f) : bytesToBigint(m));
}

/** Big-endian number of `n` (<= 4) bytes of `b` at `at`. */
function beNumber(b: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[at + i];
  return v;
}

function bytesToBigint(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function setVlanMatch(
  f: MatchField,
  value: Uint32Array,
  mask: Uint32Array,
  v: number,
  m: number,
  exact: boolean,
  wild: boolean,
): void {
  let tci = value[K_VLAN0] & 0xffff;
  let tciMask = mask[K_VLAN0] & 0xffff;
  const isVid = f.name === 'dl_vlan' || f.name === 'vlan_vid';
  if (wild) {
    // match_set_any_vid / match_set_any_pcp: drop one half, or the whole tag test if the other is unset.
    const other = isVid ? TCI_PCP : TCI_VID;
    const own = isVid ? TCI_VID : TCI_PCP;
    if (tciMask & other) {
      tciMask &= ~own;
      tci &= ~own;
    } else {
      tci = 0;
      tciMask = 0;
    }
  } else if (f.name === 'dl_vlan') {
    if (v === 0xffff) {
      tci = 0;
      tciMask = 0xffff;
    } else {
      tci = (tci & ~TCI_VID) | VLAN_PRESENT | (v & TCI_VID);
      tciMask |= TCI_VID | VLAN_PRESENT;
    }
  } else if (f.name === 'vlan_vid') {
    const vm = (exact ? 0x1fff : m) & 0x1fff;
    tci = (tci & ~0x1fff) | (v & vm);
    tciMask = vm | (tciMask & TCI_PCP);
  } else {
    tci = (tci & ~TCI_PCP) | ((v & 7) << 13) | VLAN_PRESENT;
    tciMask |= VLAN_PRESENT | TCI_PCP;
  }
  value[K_VLAN0] = ((value[K_VLAN0] & 0xffff0000) | (tci & tciMask)) >>> 0;
  mask[K_VLAN0] = ((mask[K_VLAN0] & 0xffff0000) | tciMask) >>> 0;
}

const ETH_TYPE_IP = 0x0800;
const ETH_TYPE_IPV6 = 0x86dd;
const ETH_TYPE_ARP = 0x0806;
const ETH_TYPE_RARP = 0x8035;

/**
 * Whether `flow` (a flow, or the value words of a match, whose wildcarded bits are zero) satisfies the
 * field's prerequisites (OVS mf_are_prereqs_ok).
 */
export function prerequisitesMet(f: MatchField, flow: Uint32Array): boolean {
  return prerequisiteMet(f.prereq, flow);
}

/** Whether `flow` satisfies prerequisite `p`. */
export function prerequisiteMet(p: Prerequisite, flow: Uint32Array): boolean {
  const dlType = flow[K_DL_TYPE] & 0xffff;
  const proto = flow[K_NW] & 0xff;
  const isIp = dlType === ETH_TYPE_IP || dlType === ETH_TYPE_IPV6;
  const later = ((flow[K_NW] >>> NW_FRAG_SHIFT) & FRAG_LATER) !== 0;
  const icmp6 = dlType === ETH_TYPE_IPV6 && proto === 58;
  const type = (flow[K_TP] >>> 16) & 0xffff;
  const nd = icmp6 && (flow[K_TP] & 0xffff) === 0 && (type === 135 || type === 136);
  switch (p) {
    case 'none':
    case 'ethernet':
      return true;
    case 'vlan':
      return (flow[K_VLAN0] & VLAN_PRESENT) !== 0;
    case 'arp':
      return dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP;
    case 'ipv4':
      return dlType === ETH_TYPE_IP;
    case 'ipv6':
      return dlType === ETH_TYPE_IPV6;
    case 'ip':
      return isIp;
    case 'tcp':
      return isIp && proto === 6 && !later;
    case 'udp':
      return isIp && proto === 17 && !later;
    case 'sctp':
      return isIp && proto === 132 && !later;
    case 'icmpv4':
      return dlType === ETH_TYPE_IP && proto === 1;
    case 'icmpv6':
      return icmp6;
    case 'nd':
      return nd;
    case 'nd_solicit':
      return nd && type === 135;
    case 'nd_advert':
      return nd && type === 136;
  }
}

// --- Text ---------------------------------------------------------------------------------------------

/** TCP flag names by bit, as OVS prints them (packet_tcp_flag_to_string). */
const TCP_FLAG_NAMES: readonly string[] = [
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

/** The name of TCP flag `bit` (a single-bit value), or undefined. */
export function tcpFlagName(bit: number): string | undefined {
  const i = 31 - Math.clz32(bit);
  return bit > 0 && (bit & (bit - 1)) === 0 ? TCP_FLAG_NAMES[i] : undefined;
}

/** OVS format_flags_masked() for TCP flags (value and mask over the 12 flag bits). */
export function formatTcpFlags(value: number, mask: number): string {
  const max = 0x0fff;
  if (mask === max) {
    if (!value) return '0';
    const parts: string[] = [];
    let bad = 0;
    for (let bit = 1; bit <= max; bit <<= 1) {
      if (!(value & bit)) continue;
      const name = tcpFlagName(bit);
      if (name) parts.push(name);
      else bad |= bit;
    }
    if (bad) parts.push(`0x${bad.toString(16)}`);
    return parts.join('|');
  }
  if (!mask) return '0/0';
  let out = '';
  for (let bit = 1; bit <= max; bit <<= 1) {
    if (!(mask & bit)) continue;
    out += (value & bit ? '+' : '-') + (tcpFlagName(bit) ?? '[Unknown]');
  }
  return out;
}

// OVS parse_flags() for TCP flags with a mask: "0x12/0x3f", "+syn-ack", or "syn|ack|0x20".
function parseTcpFlags(s: string): { value: bigint; mask: bigint } {
  const allowed = 0x0fff;
  const unknown = (at: string) => new FlowTextError(`${at}: unknown TCP flag(s)`);
  const numeric = /^[ \t\r\n\v\f]*[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s);
  if (numeric && s[numeric[0].length] === '/') {
    const a = strtoll(s, 0, 0);
    const b = strtoll(s, a.end + 1, 0);
    if (b.end !== a.end + 1) {
      const flags = Number(BigInt.asUintN(32, a.value));
      const mask = Number(BigInt.asUintN(32, b.value));
      if (flags & ~allowed || mask & ~allowed) throw unknown(s);
      return { value: BigInt(flags), mask: BigInt(mask) };
    }
  }
  if (s[0] === '+' || s[0] === '-') {
    let flags = 0;
    let mask = 0;
    let i = 0;
    while (i < s.length) {
      const set = s[i] === '+';
      if (s[i] !== '+' && s[i] !== '-') {
        throw new FlowTextError(`${s.slice(i)}: TCP must be preceded by '+' (for SET) or '-' (NOT SET)`);
      }
      i++;
      let found = 0;
      let len = 0;
      for (let bit = 1; bit <= allowed; bit <<= 1) {
        const name = tcpFlagName(bit);
        if (!name || !s.startsWith(name, i)) continue;
        const next = s[i + name.length];
        if (next !== undefined && next !== '+' && next !== '-') continue;
        found = bit;
        len = name.length;
        break;
      }
      if (!found) throw unknown(s.slice(i));
      if (mask & found) throw new FlowTextError(`${s.slice(i)}: Each TCP flag can be specified only once`);
      if (set) flags |= found;
      mask |= found;
      i += len;
    }
    return { value: BigInt(flags), mask: BigInt(mask) };
  }
  let result = 0;
  let i = 0;
  while (i < s.length) {
    const n = strtoll(s, i, 0);
    if (n.end !== i) {
      const flags = Number(BigInt.asUintN(32, n.value));
      if (flags & ~allowed) throw unknown(s);
      result |= flags;
      i = n.end + (s[n.end] === '|' ? 1 : 0);
      continue;
    }
    let found = 0;
    for (let bit = 1; bit <= allowed; bit <<= 1) {
      const name = tcpFlagName(bit);
      if (!name || !s.startsWith(name, i)) continue;
      const next = s[i + name.length];
      if (next !== undefined && next !== '|') continue;
      found = bit;
      i += name.length + (next === '|' ? 1 : 0);
      break;
    }
    if (!found) throw unknown(s);
    result |= found;
  }
  return { value: BigInt(result), mask: 0xffffn };
}

const FRAG_TEXT: readonly { name: string; mask: number; value: number }[] = [
  { name: 'no', mask: FRAG_ANY | FRAG_LATER, value: 0 },
  { name: 'first', mask: FRAG_ANY | FRAG_LATER, value: FRAG_ANY },
  { name: 'later', mask: FRAG_ANY | FRAG_LATER, value: FRAG_ANY | FRAG_LATER },
  { name: 'no', mask: FRAG_ANY, value: 0 },
  { name: 'yes', mask: FRAG_ANY, value: FRAG_ANY },
  { name: 'not_later', mask: FRAG_LATER, value: 0 },
  { name: 'later', mask: FRAG_LATER, value: FRAG_LATER },
];

/** OVS's text for an ip_frag value/mask ("no", "yes", "first", "later", "not_later", or "<error>"). */
export function formatFrag(value: number, mask: number): string {
  const m = mask & 3;
  const v = value & m;
  for (const h of FRAG_TEXT) if (h.value === v && h.mask === m) return h.name;
  return '<error>';
}

function parseInteger(f: MatchField, s: string): { value: bigint; mask: bigint } {
  const fail = (err: string, what: string) =>
    new FlowTextError(
      err === 'ERANGE'
        ? `${s}: ${what} too large for ${f.bytes}-byte field ${f.name}`
        : `${s}: bad syntax for ${f.name} ${what}`,
    );
  const v = parseIntString(s, f.bytes);
  if (v.err || (v.end < s.length && s[v.end] !== '/')) throw fail(v.err || 'EINVAL', 'value');
  if (s[v.end] !== '/') return { value: v.value, mask: exactMask(f) };
  const m = parseIntString(s, f.bytes, v.end + 1);
  if (m.err || m.end !== s.length) throw fail(m.err || 'EINVAL', 'mask');
  return { value: v.value, mask: m.value };
}

/**
 * Parses a field's value text, optionally "/MASK", as ovs-ofctl does (OVS mf_parse): "*" is fully wild;
 * MACs, IPv4 and IPv6 addresses (with /prefix or /mask), ports by number or name, numbers in C syntax,
 * ip_frag names, TCP flags. Throws FlowTextError with OVS's message when the text is not valid.
 */
export function parseFieldValue(
  f: MatchField,
  s: string,
  ports?: PortNames,
): { value: bigint; mask: bigint } {
  if (s === '*') return { value: 0n, mask: 0n };
  let r: { value: bigint; mask: bigint };
  switch (f.kind) {
    case 'decimal':
    case 'hex':
      r = parseInteger(f, s);
      break;
    case 'mac': {
      const a = scanMac(s);
      if (a && a.end === s.length) {
        r = { value: a.mac, mask: exactMask(f) };
        break;
      }
      const b = a && s[a.end] === '/' ? scanMac(s, a.end + 1) : null;
      if (!a || !b || b.end !== s.length) throw new FlowTextError(`${s}: invalid Ethernet address`);
      r = { value: a.mac, mask: b.mac };
      break;
    }
    case 'ipv4': {
      const ip = parseIpv4Masked(s);
      r = { value: BigInt(ip.ip), mask: BigInt(ip.mask >>> 0) };
      break;
    }
    case 'ipv6': {
      const ip = parseIpv6Masked(s);
      r = { value: ip.ip, mask: ip.mask };
      break;
    }
    case 'port': {
      const port = parsePort(s, ports);
      if (port === undefined) throw new FlowTextError(`${s}: invalid or unknown port for ${f.name}`);
      r = { value: BigInt(port), mask: 0xffffn };
      break;
    }
    case 'frag': {
      const h = FRAG_TEXT.find((x) => x.name === s.toLowerCase());
      if (!h) {
        throw new FlowTextError(
          `${s}: unknown fragment type (valid types are "no", "yes", "first", "later", "not_later"`,
        );
      }
      r = { value: BigInt(h.value), mask: BigInt(h.mask | 0xfc) };
      break;
    }
    case 'tcp-flags':
      r = parseTcpFlags(s);
      break;
  }
  const full = exactMask(f);
  r = { value: r.value & full, mask: r.mask & full };
  if (!f.maskable && r.mask !== 0n && r.mask !== full) {
    throw new FlowTextError(`${s}: invalid mask for field ${f.name}`);
  }
  return r;
}

/** Like parseFieldValue, but refuses a mask (OVS mf_parse_value: "wildcards not allowed here"). */
export function parseExactFieldValue(f: MatchField, s: string, ports?: PortNames): bigint {
  const r = parseFieldValue(f, s, ports);
  if (r.mask !== exactMask(f)) throw new FlowTextError(`${s}: wildcards not allowed here`);
  return r.value;
}

/** Whether a value is acceptable for set_field on `f` (OVS mf_is_value_valid). */
export function isValidFieldValue(f: MatchField, v: bigint): boolean {
  switch (f.name) {
    case 'nw_tos':
      return (v & 3n) === 0n;
    case 'ip_dscp':
      return (v & ~0x3fn) === 0n;
    case 'nw_ecn':
    case 'ip_frag':
      return (v & ~3n) === 0n;
    case 'tcp_flags':
      return (v & ~0x0fffn) === 0n;
    case 'arp_op':
      return (v & 0xff00n) === 0n;
    case 'dl_vlan':
      return (v & 0xf000n) === 0n;
    case 'vlan_vid':
      return (v & 0xe000n) === 0n;
    case 'dl_vlan_pcp':
    case 'vlan_pcp':
      return (v & ~7n) === 0n;
    case 'ipv6_label':
      return (v & ~0xfffffn) === 0n;
    default:
      return true;
  }
}

/**
 * A field's value as ovs-ofctl prints it (OVS mf_format): `mask` undefined or all-ones prints the bare
 * value, an all-zero mask prints "ANY".
 */
export function formatFieldValue(
  f: MatchField,
  value: bigint,
  mask?: bigint,
  portNames?: ReadonlyMap<number, string>,
): string {
  const full = exactMask(f);
  let m: bigint | undefined = mask;
  if (m !== undefined) {
    if ((m & full) === 0n) return 'ANY';
    if ((m & full) === full) m = undefined;
  }
  switch (f.kind) {
    case 'port':
      if (m === undefined) return formatPort(Number(value), portNames);
      return formatInteger(f, value, m);
    case 'decimal':
    case 'hex':
      return formatInteger(f, value, m);
    case 'mac':
      return formatMacMasked(value, m ?? 0xffffffffffffn);
    case 'ipv4':
      return formatIpv4Masked(Number(value), Number(m ?? 0xffffffffn));
    case 'ipv6':
      return formatIpv6Masked(value, m ?? full);
    case 'frag':
      return formatFrag(Number(value), Number(m ?? 0xffn));
    case 'tcp-flags':
      return formatTcpFlags(Number(value) & 0x0fff, Number(m ?? 0xffffn) & 0x0fff);
  }
}

function formatInteger(f: MatchField, value: bigint, mask: bigint | undefined): string {
  const v = f.kind === 'hex' ? hexText(value) : value.toString();
  return mask === undefined ? v : `${v}/${hexText(mask)}`;
}

/** A bit range of a field (OVS struct mf_subfield). */
export interface Subfield {
  readonly field: MatchField;
  /** First bit (0 = least significant bit of the field's value). */
  readonly ofs: number;
  /** Number of bits. */
  readonly nBits: number;
}

/**
 * Parses "NAME[]", "NAME[BIT]" or "NAME[START..END]" (NAME an NXM/OXM name or a field name; "[...]" may be
 * omitted for the whole field) from `s` at `start` (OVS mf_parse_subfield__). Returns the subfield and
 * where it ended.
 */
export function parseSubfieldAt(s: string, start = 0): { sf: Subfield; end: number } {
  const whole = s.slice(start);
  let nameEnd = start;
  while (nameEnd < s.length && s[nameEnd] !== '[' && s[nameEnd] !== '-') nameEnd++;
  const name = s.slice(start, nameEnd);
  const field = fieldByHeaderName(name) ?? fieldByName(name);
  if (!field) {
    if (isUnsupportedFieldName(name))
      throw new FlowTextError(`${name}: field not supported by tsovs`, 'UNSUPPORTED');
    throw new FlowTextError(`${whole}: unknown field \`${name}'`);
  }
  let from = 0;
  let to = field.bits - 1;
  let i = nameEnd;
  if (s[i] === '[') {
    const m = /^\[(?:(-?\d+)(?:\.\.(-?\d+))?)?\]/.exec(s.slice(i));
    if (!m) throw new FlowTextError(`${whole}: syntax error expecting [] or [<bit>] or [<start>..<end>]`);
    if (m[1] !== undefined) {
      from = Number(m[1]);
      to = m[2] !== undefined ? Number(m[2]) : from;
    }
    i += m[0].length;
  }
  if (from > to) throw new FlowTextError(`${whole}: starting bit ${from} is after ending bit ${to}`);
  if (from >= field.bits) {
    throw new FlowTextError(
      `${whole}: starting bit ${from} is not valid because field is only ${field.bits} bits wide`,
    );
  }
  if (to >= field.bits) {
    throw new FlowTextError(
      `${whole}: ending bit ${to} is not valid because field is only ${field.bits} bits wide`,
    );
  }
  return { sf: { field, ofs: from, nBits: to - from + 1 }, end: i };
}

/** Parses a whole string as a subfield (OVS mf_parse_subfield). */
export function parseSubfield(s: string): Subfield {
  const r = parseSubfieldAt(s);
  if (r.end !== s.length) throw new FlowTextError('unexpected input following field syntax');
  return r.sf;
}

/** "NXM_OF_ETH_SRC[]", "NXM_NX_REG0[3]", "NXM_NX_REG0[0..15]" (OVS mf_format_subfield). */
export function formatSubfield(sf: Subfield): string {
  const name = subfieldName(sf.field);
  if (sf.ofs === 0 && sf.nBits === sf.field.bits) return `${name}[]`;
  if (sf.nBits === 1) return `${name}[${sf.ofs}]`;
  return `${name}[${sf.ofs}..${sf.ofs + sf.nBits - 1}]`;
}

/** The mask of a subfield's bits within its field's value. */
export function subfieldMask(sf: Subfield): bigint {
  return ones(sf.nBits) << BigInt(sf.ofs);
}

/** Reads a subfield's bits from `flow` (shifted down to bit 0). */
export function getSubfield(sf: Subfield, flow: Uint32Array): bigint {
  return (getField(sf.field, flow) >> BigInt(sf.ofs)) & ones(sf.nBits);
}

/** Writes the low `sf.nBits` bits of `bits` into the subfield of `flow`. */
export function setSubfield(sf: Subfield, flow: Uint32Array, bits: bigint): void {
  setField(sf.field, flow, (bits & ones(sf.nBits)) << BigInt(sf.ofs), subfieldMask(sf));
}
