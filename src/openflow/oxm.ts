// The NXM/OXM field table and the TLV codec for matches and set-field actions.
//
// A match is a list of entries {field, value, mask}: `field` is Open vSwitch's field name (eth_dst,
// ip_src, reg0, tun_id ...), `value` the field's bytes in network order, `mask` null for an exact match.
// The list keeps the order of the wire; a layer above maps names to flow words (fieldInfo() gives each
// field's width, maskability and prerequisites; `alias` is the other name ovs-ofctl accepts, e.g. dl_dst).
//
// Each field may have several headers: an NXM one (classes 0x0000/0x0001, "NXM_OF_*"/"NXM_NX_*"), a
// standard OXM one (class 0x8000, since some OpenFlow version) and experimenter OXMs (class 0xffff plus a
// 32-bit experimenter id). The encoder picks the header Open vSwitch picks for a version: version 0 is the
// NXM format (Nicira flow mods and stats), 1.2+ the OXM format of that version.

import { RoundMarks } from '../util/marks.js';
import { ByteSlab, OFP10_VERSION, type Reader, roundUp8, type Writer } from './wire.js';
import { NX_VENDOR_ID, OfpError, type OfpErrorName, ONF_VENDOR_ID } from './wire-errors.js';

/** How a field's value is written in ovs-ofctl's syntax. */
export type FieldFormat =
  | 'dec'
  | 'hex'
  | 'ipv4'
  | 'ipv6'
  | 'eth'
  | 'port'
  | 'port32'
  | 'frag'
  | 'tun_flags'
  | 'tcp_flags'
  | 'packet_type'
  | 'ct_state';

/** A field's prerequisite, as Open vSwitch names it ('none', 'IPv4', 'TCP', 'ND solicit', ...). */
export type FieldPrereq =
  | 'none'
  | 'Ethernet'
  | 'ARP'
  | 'VLAN VID'
  | 'IPv4'
  | 'IPv6'
  | 'IPv4/IPv6'
  | 'NSH'
  | 'CT'
  | 'MPLS'
  | 'TCP'
  | 'UDP'
  | 'SCTP'
  | 'ICMPv4'
  | 'ICMPv6'
  | 'ND'
  | 'ND solicit'
  | 'ND advert';

/** One NXM/OXM header a field can be written with. */
export interface OxmHeader {
  /** e.g. 'NXM_OF_ETH_DST', 'OXM_OF_ETH_DST', 'ONFOXM_ET_TCP_FLAGS'. */
  name: string;
  /** oxm_class: 0x0000/0x0001 NXM, 0x8000 OpenFlow basic, 0x8001 packet registers, 0xffff experimenter. */
  cls: number;
  /** oxm_field (7 bits). */
  field: number;
  /** Experimenter id for class 0xffff, else 0. */
  experimenter: number;
  /** Wire version a standard OXM header belongs to from, or 0 for an extension header (usable in NXM). */
  since: number;
}

/** What the codec knows about one field. */
export interface FieldInfo {
  /** Open vSwitch's name (eth_dst). */
  name: string;
  /** The other name ovs-ofctl accepts (dl_dst), or null. */
  alias: string | null;
  /** Bytes of the value on the wire (for variable-length fields, the maximum). */
  bytes: number;
  /** Significant bits (e.g. 12 for vlan_vid, 20 for mpls_label). */
  bits: number;
  maskable: boolean;
  /** Settable by set_field / reg_load. */
  writable: boolean;
  /** tun_metadata0..63: any length from 1 to 124 bytes. */
  variable: boolean;
  prereq: FieldPrereq;
  format: FieldFormat;
  /** Headers in Open vSwitch's order (extension headers first, then standard ones by version). */
  headers: OxmHeader[];
  /** How OpenFlow 1.0's ofp10_match can express it: exact, CIDR mask, or not at all. */
  of10: 'exact' | 'cidr' | null;
}

/** One match (or set-field) entry. */
export interface MatchEntry {
  field: string;
  value: Uint8Array;
  mask: Uint8Array | null;
}

// Rows: [name, alias, bytes, bits, flags (m maskable, w writable), prereq, format, headers, OF1.0/OF1.1].
// Headers: NAME(field)[@version since which the standard header exists]; the class comes from the prefix.
type Row = readonly [string, string, number, number, string, FieldPrereq, FieldFormat, string, string];
const ROWS: readonly Row[] = [
  ['dp_hash', '', 4, 32, 'm', 'none', 'hex', 'NXM_NX_DP_HASH(35) NXOXM_ET_DP_HASH(0)', '--'],
  ['recirc_id', '', 4, 32, '', 'none', 'dec', 'NXM_NX_RECIRC_ID(36)', '--'],
  ['packet_type', '', 4, 32, '', 'none', 'packet_type', 'OXM_OF_PACKET_TYPE(44)@1.5', '--'],
  ['conj_id', '', 4, 32, '', 'none', 'dec', 'NXM_NX_CONJ_ID(37)', '--'],
  ['tun_id', 'tunnel_id', 8, 64, 'mw', 'none', 'hex', 'NXM_NX_TUN_ID(16) OXM_OF_TUNNEL_ID(38)@1.3', '--'],
  ['tun_src', '', 4, 32, 'mw', 'none', 'ipv4', 'NXM_NX_TUN_IPV4_SRC(31)', '--'],
  ['tun_dst', '', 4, 32, 'mw', 'none', 'ipv4', 'NXM_NX_TUN_IPV4_DST(32)', '--'],
  ['tun_ipv6_src', '', 16, 128, 'mw', 'none', 'ipv6', 'NXM_NX_TUN_IPV6_SRC(109)', '--'],
  ['tun_ipv6_dst', '', 16, 128, 'mw', 'none', 'ipv6', 'NXM_NX_TUN_IPV6_DST(110)', '--'],
  ['tun_flags', '', 2, 1, 'mw', 'none', 'tun_flags', 'NXM_NX_TUN_FLAGS(104)', '--'],
  ['tun_ttl', '', 1, 8, '', 'none', 'dec', '', '--'],
  ['tun_tos', '', 1, 8, '', 'none', 'dec', '', '--'],
  ['tun_gbp_id', '', 2, 16, 'mw', 'none', 'dec', 'NXM_NX_TUN_GBP_ID(38)', '--'],
  ['tun_gbp_flags', '', 1, 8, 'mw', 'none', 'hex', 'NXM_NX_TUN_GBP_FLAGS(39)', '--'],
  ['tun_erspan_idx', '', 4, 20, 'mw', 'none', 'hex', 'NXOXM_ET_ERSPAN_IDX(11)', '--'],
  ['tun_erspan_ver', '', 1, 4, 'mw', 'none', 'dec', 'NXOXM_ET_ERSPAN_VER(12)', '--'],
  ['tun_erspan_dir', '', 1, 1, 'mw', 'none', 'dec', 'NXOXM_ET_ERSPAN_DIR(13)', '--'],
  ['tun_erspan_hwid', '', 1, 6, 'mw', 'none', 'hex', 'NXOXM_ET_ERSPAN_HWID(14)', '--'],
  ['tun_gtpu_flags', '', 1, 8, 'm', 'none', 'hex', 'NXOXM_ET_GTPU_FLAGS(15)', '--'],
  ['tun_gtpu_msgtype', '', 1, 8, 'm', 'none', 'dec', 'NXOXM_ET_GTPU_MSGTYPE(16)', '--'],
  ['metadata', '', 8, 64, 'mw', 'none', 'hex', 'OXM_OF_METADATA(2)@1.2', '-b'],
  ['in_port', '', 2, 16, 'w', 'none', 'port', 'NXM_OF_IN_PORT(0)', 'ee'],
  ['in_port_oxm', '', 4, 32, 'w', 'none', 'port32', 'OXM_OF_IN_PORT(0)@1.2', '-e'],
  [
    'actset_output',
    '',
    4,
    32,
    '',
    'none',
    'port32',
    'ONFOXM_ET_ACTSET_OUTPUT(43)@1.3 OXM_OF_ACTSET_OUTPUT(43)@1.5',
    '--',
  ],
  ['skb_priority', '', 4, 32, '', 'none', 'hex', '', '--'],
  ['pkt_mark', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_PKT_MARK(33)', '--'],
  ['ct_state', '', 4, 32, 'm', 'none', 'ct_state', 'NXM_NX_CT_STATE(105)', '--'],
  ['ct_zone', '', 2, 16, '', 'none', 'hex', 'NXM_NX_CT_ZONE(106)', '--'],
  ['ct_mark', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_CT_MARK(107)', '--'],
  ['ct_label', '', 16, 128, 'mw', 'none', 'hex', 'NXM_NX_CT_LABEL(108)', '--'],
  ['ct_nw_proto', '', 1, 8, '', 'CT', 'dec', 'NXM_NX_CT_NW_PROTO(119)', '--'],
  ['ct_nw_src', '', 4, 32, 'm', 'CT', 'ipv4', 'NXM_NX_CT_NW_SRC(120)', '--'],
  ['ct_nw_dst', '', 4, 32, 'm', 'CT', 'ipv4', 'NXM_NX_CT_NW_DST(121)', '--'],
  ['ct_ipv6_src', '', 16, 128, 'm', 'CT', 'ipv6', 'NXM_NX_CT_IPV6_SRC(122)', '--'],
  ['ct_ipv6_dst', '', 16, 128, 'm', 'CT', 'ipv6', 'NXM_NX_CT_IPV6_DST(123)', '--'],
  ['ct_tp_src', '', 2, 16, 'm', 'CT', 'dec', 'NXM_NX_CT_TP_SRC(124)', '--'],
  ['ct_tp_dst', '', 2, 16, 'm', 'CT', 'dec', 'NXM_NX_CT_TP_DST(125)', '--'],
  ['reg0', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_REG0(0)', '--'],
  ['reg1', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_REG1(1)', '--'],
  ['reg2', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_REG2(2)', '--'],
  ['reg3', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_REG3(3)', '--'],
  ['reg4', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_REG4(4)', '--'],
  ['reg5', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_REG5(5)', '--'],
  ['reg6', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_REG6(6)', '--'],
  ['reg7', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_REG7(7)', '--'],
  ['reg8', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_REG8(8)', '--'],
  ['reg9', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_REG9(9)', '--'],
  ['reg10', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_REG10(10)', '--'],
  ['reg11', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_REG11(11)', '--'],
  ['reg12', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_REG12(12)', '--'],
  ['reg13', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_REG13(13)', '--'],
  ['reg14', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_REG14(14)', '--'],
  ['reg15', '', 4, 32, 'mw', 'none', 'hex', 'NXM_NX_REG15(15)', '--'],
  ['xreg0', '', 8, 64, 'mw', 'none', 'hex', 'OXM_OF_PKT_REG0(0)@1.3', '--'],
  ['xreg1', '', 8, 64, 'mw', 'none', 'hex', 'OXM_OF_PKT_REG1(1)@1.3', '--'],
  ['xreg2', '', 8, 64, 'mw', 'none', 'hex', 'OXM_OF_PKT_REG2(2)@1.3', '--'],
  ['xreg3', '', 8, 64, 'mw', 'none', 'hex', 'OXM_OF_PKT_REG3(3)@1.3', '--'],
  ['xreg4', '', 8, 64, 'mw', 'none', 'hex', 'OXM_OF_PKT_REG4(4)@1.3', '--'],
  ['xreg5', '', 8, 64, 'mw', 'none', 'hex', 'OXM_OF_PKT_REG5(5)@1.3', '--'],
  ['xreg6', '', 8, 64, 'mw', 'none', 'hex', 'OXM_OF_PKT_REG6(6)@1.3', '--'],
  ['xreg7', '', 8, 64, 'mw', 'none', 'hex', 'OXM_OF_PKT_REG7(7)@1.3', '--'],
  ['xxreg0', '', 16, 128, 'mw', 'none', 'hex', 'NXM_NX_XXREG0(111)', '--'],
  ['xxreg1', '', 16, 128, 'mw', 'none', 'hex', 'NXM_NX_XXREG1(112)', '--'],
  ['xxreg2', '', 16, 128, 'mw', 'none', 'hex', 'NXM_NX_XXREG2(113)', '--'],
  ['xxreg3', '', 16, 128, 'mw', 'none', 'hex', 'NXM_NX_XXREG3(114)', '--'],
  ['eth_src', 'dl_src', 6, 48, 'mw', 'Ethernet', 'eth', 'NXM_OF_ETH_SRC(2) OXM_OF_ETH_SRC(4)@1.2', 'eb'],
  ['eth_dst', 'dl_dst', 6, 48, 'mw', 'Ethernet', 'eth', 'NXM_OF_ETH_DST(1) OXM_OF_ETH_DST(3)@1.2', 'eb'],
  ['eth_type', 'dl_type', 2, 16, '', 'Ethernet', 'hex', 'NXM_OF_ETH_TYPE(3) OXM_OF_ETH_TYPE(5)@1.2', 'ee'],
  ['vlan_tci', '', 2, 16, 'mw', 'Ethernet', 'hex', 'NXM_OF_VLAN_TCI(4)', 'ee'],
  ['dl_vlan', '', 2, 12, 'w', 'Ethernet', 'dec', '', 'ee'],
  ['vlan_vid', '', 2, 12, 'mw', 'Ethernet', 'dec', 'OXM_OF_VLAN_VID(6)@1.2', 'ee'],
  ['dl_vlan_pcp', '', 1, 3, 'w', 'Ethernet', 'dec', '', 'ee'],
  ['vlan_pcp', '', 1, 3, 'w', 'VLAN VID', 'dec', 'OXM_OF_VLAN_PCP(7)@1.2', 'ee'],
  ['mpls_label', '', 4, 20, 'w', 'MPLS', 'dec', 'OXM_OF_MPLS_LABEL(34)@1.2', '-e'],
  ['mpls_tc', '', 1, 3, 'w', 'MPLS', 'dec', 'OXM_OF_MPLS_TC(35)@1.2', '-e'],
  ['mpls_bos', '', 1, 1, '', 'MPLS', 'dec', 'OXM_OF_MPLS_BOS(36)@1.3', '--'],
  ['mpls_ttl', '', 1, 8, 'w', 'MPLS', 'dec', 'NXM_NX_MPLS_TTL(30)', '--'],
  ['ip_src', 'nw_src', 4, 32, 'mw', 'IPv4', 'ipv4', 'NXM_OF_IP_SRC(7) OXM_OF_IPV4_SRC(11)@1.2', 'cb'],
  ['ip_dst', 'nw_dst', 4, 32, 'mw', 'IPv4', 'ipv4', 'NXM_OF_IP_DST(8) OXM_OF_IPV4_DST(12)@1.2', 'cb'],
  ['ipv6_src', '', 16, 128, 'mw', 'IPv6', 'ipv6', 'NXM_NX_IPV6_SRC(19) OXM_OF_IPV6_SRC(26)@1.2', '--'],
  ['ipv6_dst', '', 16, 128, 'mw', 'IPv6', 'ipv6', 'NXM_NX_IPV6_DST(20) OXM_OF_IPV6_DST(27)@1.2', '--'],
  ['ipv6_label', '', 4, 20, 'mw', 'IPv6', 'hex', 'NXM_NX_IPV6_LABEL(27) OXM_OF_IPV6_FLABEL(28)@1.2', '--'],
  ['nw_proto', 'ip_proto', 1, 8, '', 'IPv4/IPv6', 'dec', 'NXM_OF_IP_PROTO(6) OXM_OF_IP_PROTO(10)@1.2', 'ee'],
  ['nw_tos', '', 1, 8, 'w', 'IPv4/IPv6', 'dec', 'NXM_OF_IP_TOS(5)', 'ee'],
  ['ip_dscp', '', 1, 6, 'w', 'IPv4/IPv6', 'dec', 'OXM_OF_IP_DSCP(8)@1.2', 'ee'],
  ['nw_ecn', 'ip_ecn', 1, 2, 'w', 'IPv4/IPv6', 'dec', 'NXM_NX_IP_ECN(28) OXM_OF_IP_ECN(9)@1.2', '-e'],
  ['nw_ttl', '', 1, 8, 'w', 'IPv4/IPv6', 'dec', 'NXM_NX_IP_TTL(29)', '--'],
  ['ip_frag', 'nw_frag', 1, 2, 'm', 'IPv4/IPv6', 'frag', 'NXM_NX_IP_FRAG(26)', '--'],
  ['arp_op', '', 2, 16, 'w', 'ARP', 'dec', 'NXM_OF_ARP_OP(15) OXM_OF_ARP_OP(21)@1.2', 'ee'],
  ['arp_spa', '', 4, 32, 'mw', 'ARP', 'ipv4', 'NXM_OF_ARP_SPA(16) OXM_OF_ARP_SPA(22)@1.2', 'cb'],
  ['arp_tpa', '', 4, 32, 'mw', 'ARP', 'ipv4', 'NXM_OF_ARP_TPA(17) OXM_OF_ARP_TPA(23)@1.2', 'cb'],
  ['arp_sha', '', 6, 48, 'mw', 'ARP', 'eth', 'NXM_NX_ARP_SHA(17) OXM_OF_ARP_SHA(24)@1.2', '--'],
  ['arp_tha', '', 6, 48, 'mw', 'ARP', 'eth', 'NXM_NX_ARP_THA(18) OXM_OF_ARP_THA(25)@1.2', '--'],
  ['tcp_src', 'tp_src', 2, 16, 'mw', 'TCP', 'dec', 'NXM_OF_TCP_SRC(9) OXM_OF_TCP_SRC(13)@1.2', 'ee'],
  ['tcp_dst', 'tp_dst', 2, 16, 'mw', 'TCP', 'dec', 'NXM_OF_TCP_DST(10) OXM_OF_TCP_DST(14)@1.2', 'ee'],
  [
    'tcp_flags',
    '',
    2,
    12,
    'm',
    'TCP',
    'tcp_flags',
    'NXM_NX_TCP_FLAGS(34) ONFOXM_ET_TCP_FLAGS(42)@1.3 OXM_OF_TCP_FLAGS(42)@1.5',
    '--',
  ],
  ['udp_src', '', 2, 16, 'mw', 'UDP', 'dec', 'NXM_OF_UDP_SRC(11) OXM_OF_UDP_SRC(15)@1.2', 'ee'],
  ['udp_dst', '', 2, 16, 'mw', 'UDP', 'dec', 'NXM_OF_UDP_DST(12) OXM_OF_UDP_DST(16)@1.2', 'ee'],
  ['sctp_src', '', 2, 16, 'mw', 'SCTP', 'dec', 'OXM_OF_SCTP_SRC(17)@1.2', '-e'],
  ['sctp_dst', '', 2, 16, 'mw', 'SCTP', 'dec', 'OXM_OF_SCTP_DST(18)@1.2', '-e'],
  ['icmp_type', '', 1, 8, 'w', 'ICMPv4', 'dec', 'NXM_OF_ICMP_TYPE(13) OXM_OF_ICMPV4_TYPE(19)@1.2', 'ee'],
  ['icmp_code', '', 1, 8, 'w', 'ICMPv4', 'dec', 'NXM_OF_ICMP_CODE(14) OXM_OF_ICMPV4_CODE(20)@1.2', 'ee'],
  ['icmpv6_type', '', 1, 8, 'w', 'ICMPv6', 'dec', 'NXM_NX_ICMPV6_TYPE(21) OXM_OF_ICMPV6_TYPE(29)@1.2', '--'],
  ['icmpv6_code', '', 1, 8, 'w', 'ICMPv6', 'dec', 'NXM_NX_ICMPV6_CODE(22) OXM_OF_ICMPV6_CODE(30)@1.2', '--'],
  ['nd_target', '', 16, 128, 'mw', 'ND', 'ipv6', 'NXM_NX_ND_TARGET(23) OXM_OF_IPV6_ND_TARGET(31)@1.2', '--'],
  ['nd_sll', '', 6, 48, 'mw', 'ND solicit', 'eth', 'NXM_NX_ND_SLL(24) OXM_OF_IPV6_ND_SLL(32)@1.2', '--'],
  ['nd_tll', '', 6, 48, 'mw', 'ND advert', 'eth', 'NXM_NX_ND_TLL(25) OXM_OF_IPV6_ND_TLL(33)@1.2', '--'],
  ['nd_reserved', '', 4, 32, 'w', 'ND', 'dec', 'ERICOXM_OF_ICMPV6_ND_RESERVED(1)', '--'],
  ['nd_options_type', '', 1, 8, 'w', 'ND', 'dec', 'ERICOXM_OF_ICMPV6_ND_OPTIONS_TYPE(2)', '--'],
  ['nsh_flags', '', 1, 8, 'mw', 'NSH', 'dec', 'NXOXM_NSH_FLAGS(1)', '--'],
  ['nsh_mdtype', '', 1, 8, '', 'NSH', 'dec', 'NXOXM_NSH_MDTYPE(2)', '--'],
  ['nsh_np', '', 1, 8, '', 'NSH', 'dec', 'NXOXM_NSH_NP(3)', '--'],
  ['nsh_spi', 'nsp', 4, 24, 'w', 'NSH', 'hex', 'NXOXM_NSH_SPI(4)', '--'],
  ['nsh_si', 'nsi', 1, 8, 'w', 'NSH', 'dec', 'NXOXM_NSH_SI(5)', '--'],
  ['nsh_c1', 'nshc1', 4, 32, 'mw', 'NSH', 'hex', 'NXOXM_NSH_C1(6)', '--'],
  ['nsh_c2', 'nshc2', 4, 32, 'mw', 'NSH', 'hex', 'NXOXM_NSH_C2(7)', '--'],
  ['nsh_c3', 'nshc3', 4, 32, 'mw', 'NSH', 'hex', 'NXOXM_NSH_C3(8)', '--'],
  ['nsh_c4', 'nshc4', 4, 32, 'mw', 'NSH', 'hex', 'NXOXM_NSH_C4(9)', '--'],
  ['nsh_ttl', '', 1, 8, 'w', 'NSH', 'dec', 'NXOXM_NSH_TTL(10)', '--'],
];

/** Header-name prefixes and the (class, experimenter) they stand for; the longest prefix wins. */
const CLASSES: readonly [string, number, number][] = [
  ['NXM_OF_', 0x0000, 0],
  ['NXM_NX_', 0x0001, 0],
  ['NXOXM_NSH_', 0xffff, 0x005ad650],
  ['OXM_OF_', 0x8000, 0],
  ['OXM_OF_PKT_REG', 0x8001, 0],
  ['ONFOXM_ET_', 0xffff, ONF_VENDOR_ID],
  ['ERICOXM_OF_', 0x1000, 0],
  ['NXOXM_ET_', 0xffff, NX_VENDOR_ID],
];

/** The experimenter OXM class. */
export const OXM_CLASS_EXPERIMENTER = 0xffff;
/** The number of tun_metadata fields. */
export const TUN_METADATA_COUNT = 64;

function parseHeader(spec: string): OxmHeader {
  const m = /^([A-Z0-9_]+)\((\d+)\)(?:@1\.(\d))?$/.exec(spec);
  if (!m) throw new Error(`bad header spec ${spec}`);
  let best: readonly [string, number, number] | undefined;
  for (const c of CLASSES) if (m[1].startsWith(c[0]) && (!best || c[0].length > best[0].length)) best = c;
  if (!best) throw new Error(`no class for ${spec}`);
  return {
    name: m[1],
    cls: best[1],
    field: Number.parseInt(m[2], 10),
    experimenter: best[2],
    since: m[3] === undefined ? 0 : Number.parseInt(m[3], 10) + 1,
  };
}

function rowToInfo(row: Row): FieldInfo {
  const [name, alias, bytes, bits, flags, prereq, format, headers, of] = row;
  const hs = headers === '' ? [] : headers.split(' ').map(parseHeader);
  hs.sort((a, b) => a.since - b.since);
  return {
    name,
    alias: alias === '' ? null : alias,
    bytes,
    bits,
    maskable: flags.includes('m'),
    writable: flags.includes('w'),
    variable: false,
    prereq,
    format,
    headers: hs,
    of10: of[0] === 'e' ? 'exact' : of[0] === 'c' ? 'cidr' : null,
  };
}

const FIELDS: FieldInfo[] = [];
for (const row of ROWS) {
  FIELDS.push(rowToInfo(row));
  if (row[0] === 'tun_gtpu_msgtype') {
    for (let i = 0; i < TUN_METADATA_COUNT; i++) {
      FIELDS.push({
        name: `tun_metadata${i}`,
        alias: null,
        bytes: 124,
        bits: 992,
        maskable: true,
        writable: true,
        variable: true,
        prereq: 'none',
        format: 'hex',
        headers: [{ name: `NXM_NX_TUN_METADATA${i}`, cls: 0x0001, field: 40 + i, experimenter: 0, since: 0 }],
        of10: null,
      });
    }
  }
}

const BY_NAME = new Map<string, FieldInfo>();
const HEADER_BY_NAME = new Map<string, OxmHeader>();

/**
 * What the TLV codec needs of a field, worked out once: decoding a flow mod looks each header up, checks
 * its value, prerequisites and duplicates, and string keys, name switches and name sets for those cost
 * more than the rest of the decoding.
 */
interface FieldCodec {
  readonly info: FieldInfo;
  /** Dense number (position in FIELDS), for the duplicate check. */
  readonly id: number;
  /** The prerequisite as a PRE_* number. */
  readonly prereq: number;
  /** The value rule of isValueValid, or null when any value goes. */
  readonly valueRule: ((v: number) => boolean) | null;
  /** Which prerequisite input the field is (TRACK_*), for fields later entries' prerequisites look at. */
  readonly track: number;
  /** The header written for versions 0..OFP15 (headerFor), by version. */
  readonly headers: readonly (OxmHeader | null)[];
}

/** Non-experimenter headers by class * 128 + field (numbers below 2^23: small integers as Map keys). */
const CODEC_BY_HEADER = new Map<number, FieldCodec>();
/** Experimenter headers: experimenter id, then field. */
const CODEC_BY_EXPERIMENTER = new Map<number, Map<number, FieldCodec>>();
const CODEC_BY_NAME = new Map<string, FieldCodec>();

// FieldPrereq as numbers (the decoder's prerequisite check is a switch on them).
const PRE_NONE = 0;
const PRE_ETHERNET = 1;
const PRE_ARP = 2;
const PRE_VLAN_VID = 3;
const PRE_IPV4 = 4;
const PRE_IPV6 = 5;
const PRE_IP = 6;
const PRE_NSH = 7;
const PRE_CT = 8;
const PRE_MPLS = 9;
const PRE_TCP = 10;
const PRE_UDP = 11;
const PRE_SCTP = 12;
const PRE_ICMPV4 = 13;
const PRE_ICMPV6 = 14;
const PRE_ND = 15;
const PRE_ND_SOLICIT = 16;
const PRE_ND_ADVERT = 17;
const PRE_NUMBERS: Readonly<Record<FieldPrereq, number>> = {
  none: PRE_NONE,
  Ethernet: PRE_ETHERNET,
  ARP: PRE_ARP,
  'VLAN VID': PRE_VLAN_VID,
  IPv4: PRE_IPV4,
  IPv6: PRE_IPV6,
  'IPv4/IPv6': PRE_IP,
  NSH: PRE_NSH,
  CT: PRE_CT,
  MPLS: PRE_MPLS,
  TCP: PRE_TCP,
  UDP: PRE_UDP,
  SCTP: PRE_SCTP,
  ICMPv4: PRE_ICMPV4,
  ICMPv6: PRE_ICMPV6,
  ND: PRE_ND,
  'ND solicit': PRE_ND_SOLICIT,
  'ND advert': PRE_ND_ADVERT,
};

// The fields whose values prerequisites depend on (prereqsMet reads them from the entries before).
const TRACK_NONE = 0;
const TRACK_ETH_TYPE = 1;
const TRACK_NW_PROTO = 2;
const TRACK_PACKET_TYPE = 3;
const TRACK_VLAN_VID = 4;
const TRACK_VLAN_TCI = 5;
const TRACK_CT_STATE = 6;
const TRACK_ICMPV6_TYPE = 7;
const TRACK_ICMPV6_CODE = 8;
const TRACKS: Readonly<Record<string, number>> = {
  eth_type: TRACK_ETH_TYPE,
  nw_proto: TRACK_NW_PROTO,
  packet_type: TRACK_PACKET_TYPE,
  vlan_vid: TRACK_VLAN_VID,
  vlan_tci: TRACK_VLAN_TCI,
  ct_state: TRACK_CT_STATE,
  icmpv6_type: TRACK_ICMPV6_TYPE,
  icmpv6_code: TRACK_ICMPV6_CODE,
};

/**
 * Value checks Open vSwitch makes (mf_is_value_valid), on the value as a number (fields of 4 bytes or
 * less): the bits a field may not have set. Fields not named take any value.
 */
const VALUE_RULES: Readonly<Record<string, (v: number) => boolean>> = {
  in_port_oxm: (v) => v < 0xff00 || v >= 0xffffff00,
  actset_output: (v) => v < 0xff00 || v >= 0xffffff00,
  nw_tos: (v) => (v & ~0xfc) === 0,
  ip_dscp: (v) => v <= 0x3f,
  nw_ecn: (v) => v <= 3,
  ip_frag: (v) => v <= 3,
  tcp_flags: (v) => v <= 0x0fff,
  arp_op: (v) => v <= 0xff,
  dl_vlan: (v) => v <= 0x0fff,
  vlan_vid: (v) => v <= 0x1fff,
  dl_vlan_pcp: (v) => v <= 7,
  vlan_pcp: (v) => v <= 7,
  mpls_tc: (v) => v <= 7,
  ipv6_label: (v) => v <= 0xfffff,
  mpls_label: (v) => v <= 0xfffff,
  mpls_bos: (v) => v <= 1,
  tun_flags: (v) => v <= 1,
  ct_state: (v) => v <= 0xff,
  nsh_ttl: (v) => v <= 63,
  nsh_mdtype: (v) => v === 1 || v === 2,
  nsh_spi: (v) => v <= 0xffffff,
};

/** Versions for which the header choice is worked out in advance (0 = NXM, up to OpenFlow 1.5). */
const CODEC_VERSIONS = 7;

for (let id = 0; id < FIELDS.length; id++) {
  const f = FIELDS[id];
  BY_NAME.set(f.name, f);
  const headers: (OxmHeader | null)[] = [];
  for (let v = 0; v < CODEC_VERSIONS; v++) headers.push(headerFor(f, v));
  const codec: FieldCodec = {
    info: f,
    id,
    prereq: PRE_NUMBERS[f.prereq],
    valueRule: valueRuleOf(f),
    track: Object.hasOwn(TRACKS, f.name) ? TRACKS[f.name] : TRACK_NONE,
    headers,
  };
  CODEC_BY_NAME.set(f.name, codec);
  for (const h of f.headers) {
    if (h.cls === OXM_CLASS_EXPERIMENTER) {
      let byField = CODEC_BY_EXPERIMENTER.get(h.experimenter >>> 0);
      if (!byField) {
        byField = new Map();
        CODEC_BY_EXPERIMENTER.set(h.experimenter >>> 0, byField);
      }
      byField.set(h.field, codec);
    } else CODEC_BY_HEADER.set(h.cls * 128 + h.field, codec);
    HEADER_BY_NAME.set(h.name, h);
  }
}
for (const f of FIELDS) if (f.alias && !BY_NAME.has(f.alias)) BY_NAME.set(f.alias, f);
for (const f of FIELDS) {
  const codec = CODEC_BY_NAME.get(f.name);
  if (f.alias && codec && !CODEC_BY_NAME.has(f.alias)) CODEC_BY_NAME.set(f.alias, codec);
}

/** The codec entry of a header (class, field, experimenter for class 0xffff), or undefined. */
function codecByHeader(cls: number, field: number, experimenter: number): FieldCodec | undefined {
  if (cls === OXM_CLASS_EXPERIMENTER) return CODEC_BY_EXPERIMENTER.get(experimenter >>> 0)?.get(field);
  return CODEC_BY_HEADER.get(cls * 128 + field);
}

/** Every field, in Open vSwitch's order. */
export const ALL_FIELDS: readonly FieldInfo[] = FIELDS;

/** A field by its Open vSwitch name or its alias (eth_dst or dl_dst); undefined if unknown. */
export function fieldInfo(name: string): FieldInfo | undefined {
  return BY_NAME.get(name);
}

/** The Open vSwitch name for an ovs-ofctl name (dl_dst -> eth_dst, nw_src -> ip_src); undefined if unknown. */
export function canonicalFieldName(name: string): string | undefined {
  return BY_NAME.get(name)?.name;
}

/** The alternative name ovs-ofctl accepts for a field (eth_dst -> dl_dst), or null. */
export function ofctlAlias(name: string): string | null {
  return BY_NAME.get(name)?.alias ?? null;
}

/** The field an NXM/OXM header names (class, field, experimenter), or undefined. */
export function fieldByHeader(cls: number, field: number, experimenter = 0): FieldInfo | undefined {
  return codecByHeader(cls, field, experimenter)?.info;
}

/** An NXM/OXM header by its name (NXM_OF_ETH_DST), or undefined. */
export function headerByName(name: string): OxmHeader | undefined {
  return HEADER_BY_NAME.get(name);
}

/**
 * The header Open vSwitch writes `field` with in `version` (0 = NXM format): the last header (in table
 * order) that belongs to that version or earlier, else the first. Null if the field has none.
 */
export function headerFor(field: FieldInfo, version: number): OxmHeader | null {
  let chosen: OxmHeader | null = null;
  for (const h of field.headers) if (!chosen || version >= h.since) chosen = h;
  return chosen;
}

/** Payload bytes of a header's value (excluding the experimenter id), given the raw oxm_length. */
function experimenterLen(cls: number): number {
  return cls === OXM_CLASS_EXPERIMENTER ? 4 : 0;
}

/** Decoding options. */
export interface OxmDecodeOptions {
  /** Accept the NXM_NX_COOKIE pseudo-field (Nicira flow mods and flow stats requests). */
  allowCookie?: boolean;
  /** Check prerequisites and duplicates as Open vSwitch's strict decoding does (flow mods, requests). */
  strict?: boolean;
}

/** A decoded NXM/OXM list, with the cookie pseudo-field when allowed and present. */
export interface DecodedTlvs {
  entries: MatchEntry[];
  cookie: { value: bigint; mask: bigint | null } | null;
}

/** NXM_NX_COOKIE: class 1, field 30, 8 bytes. */
const NXM_NX_COOKIE_FIELD = 30;

function isAll(b: Uint8Array, v: number): boolean {
  for (const x of b) if (x !== v) return false;
  return true;
}

function be(value: Uint8Array): number {
  let v = 0;
  for (const x of value) v = v * 256 + x;
  return v;
}

/**
 * The value check isValueValid() makes for a field, on its value as a number (a value of more than 4
 * bytes counts as 0); null when the field takes any value. For callers that check many values.
 */
export function valueRuleOf(field: FieldInfo): ((v: number) => boolean) | null {
  return Object.hasOwn(VALUE_RULES, field.name) ? VALUE_RULES[field.name] : null;
}

/** Value checks Open vSwitch makes (mf_is_value_valid): the bits a field may not have set. */
export function isValueValid(field: FieldInfo, value: Uint8Array): boolean {
  const rule = valueRuleOf(field);
  return rule === null || rule(value.length <= 4 ? be(value) : 0);
}

/** One raw TLV header. */
interface TlvHeader {
  cls: number;
  field: number;
  hasMask: boolean;
  experimenter: number;
  /** Bytes of value (+ mask) after the header. */
  payloadLen: number;
}

/** Reads one TLV header; `badLen` is thrown when it is truncated or inconsistent. */
function readTlvHeader(r: Reader, badLen: OfpErrorName): TlvHeader {
  if (r.left < 4) throw new OfpError(badLen, `partial (${r.left}-byte) OXM entry`);
  const h = r.u32();
  const cls = h >>> 16;
  const field = (h >>> 9) & 0x7f;
  const hasMask = ((h >>> 8) & 1) === 1;
  const length = h & 0xff;
  let experimenter = 0;
  if (cls === OXM_CLASS_EXPERIMENTER) {
    if (r.left < 4) throw new OfpError(badLen, 'partial experimenter OXM header');
    if (length < 4)
      throw new OfpError(badLen, `experimenter OXM header with length ${length} (minimum is 4)`);
    experimenter = r.u32();
  }
  return { cls, field, hasMask, experimenter, payloadLen: length - experimenterLen(cls) };
}

/** The field a header names when its length fits the field (any length 1..124 for tun_metadata). */
function fieldOfHeader(h: TlvHeader): FieldInfo | undefined {
  const info = fieldByHeader(h.cls, h.field, h.experimenter);
  if (!info) return undefined;
  if (h.hasMask && h.payloadLen % 2 !== 0) return undefined;
  const width = h.hasMask ? h.payloadLen / 2 : h.payloadLen;
  if (info.variable ? width < 1 || width > info.bytes : width !== info.bytes) return undefined;
  return info;
}

function describeHeader(h: TlvHeader): string {
  const exp = h.cls === OXM_CLASS_EXPERIMENTER ? ` experimenter 0x${h.experimenter.toString(16)}` : '';
  return `class 0x${h.cls.toString(16)} field ${h.field}${exp} hasmask ${h.hasMask ? 1 : 0} length ${h.payloadLen}`;
}

/** Where decoded values and masks are copied to. */
const tlvBytes = new ByteSlab();

/**
 * Decodes `len` bytes of NXM/OXM entries (no padding) at the reader's position. Errors are those Open
 * vSwitch answers with: OFPBMC_BAD_LEN (truncated), OFPBMC_BAD_FIELD (unknown header or wrong length),
 * OFPBMC_BAD_WILDCARDS (value bits outside the mask), OFPBMC_BAD_MASK, OFPBMC_BAD_VALUE, and in strict
 * mode OFPBMC_DUP_FIELD and OFPBMC_BAD_PREREQ.
 */
export function decodeTlvs(r: Reader, len: number, opts: OxmDecodeOptions = {}): DecodedTlvs {
  const entries: MatchEntry[] = [];
  const cookie = pullTlvs(r, len, opts.allowCookie === true, opts.strict === true, entries);
  return { entries, cookie };
}

/** The fields seen by the current strict decoding (by FieldCodec id). */
const seen = new RoundMarks(FIELDS.length);

/** Big-endian number of the `n` (<= 4) bytes of `b` at `at`. */
function beAt(b: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[at + i];
  return v;
}

function allBytesAre(b: Uint8Array, at: number, n: number, v: number): boolean {
  for (let i = 0; i < n; i++) if (b[at + i] !== v) return false;
  return true;
}

/**
 * decodeTlvs() into `entries`, returning the cookie. One pass over the bytes with no intermediate objects:
 * the header is looked up by number, the value and mask are checked where they lie and only then copied,
 * and in strict mode the values prerequisites depend on (eth_type, nw_proto, ...) are kept as they go by
 * rather than searched for in the entries before each field (prereqsMet gives the same answers from the
 * entries). For each entry the checks come in Open vSwitch's order: lengths, the cookie, value bits outside
 * the mask, the field, its mask, its value, then in strict mode prerequisites and duplicates.
 * test/openflow/fast-paths.test.ts keeps the entry-by-entry decoder as the reference this must match.
 */
function pullTlvs(
  r: Reader,
  len: number,
  allowCookie: boolean,
  strict: boolean,
  entries: MatchEntry[],
): DecodedTlvs['cookie'] {
  r.need(len, 'nx_match');
  const buf = r.buf;
  let pos = r.pos;
  const end = pos + len;
  r.pos = end;
  let cookie: DecodedTlvs['cookie'] = null;
  if (strict) seen.begin();
  // A field with a prerequisite makes the match Ethernet-only, which Open vSwitch records as a
  // packet_type match: a packet_type entry after it is a duplicate.
  let packetTypeImplied = false;
  // What the entries so far say, as prereqsMet reads them (exact values; -1 for none).
  let dlType = 0;
  let proto = 0;
  let packetType = -1;
  let vlanVid = -1;
  let vlanTci = -1;
  let ctState = -1;
  let icmpType = 0;
  let icmpCode = 0;
  while (pos < end) {
    if (end - pos < 4) throw new OfpError('OFPBMC_BAD_LEN', `partial (${end - pos}-byte) OXM entry`);
    const header = ((buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]) >>> 0;
    pos += 4;
    const cls = header >>> 16;
    const field = (header >>> 9) & 0x7f;
    const hasMask = (header & 0x100) !== 0;
    let payloadLen = header & 0xff;
    let experimenter = 0;
    if (cls === OXM_CLASS_EXPERIMENTER) {
      if (end - pos < 4) throw new OfpError('OFPBMC_BAD_LEN', 'partial experimenter OXM header');
      if (payloadLen < 4) {
        throw new OfpError(
          'OFPBMC_BAD_LEN',
          `experimenter OXM header with length ${payloadLen} (minimum is 4)`,
        );
      }
      experimenter = beAt(buf, pos, 4);
      pos += 4;
      payloadLen -= 4;
    }
    if (end - pos < payloadLen) {
      throw new OfpError(
        'OFPBMC_BAD_LEN',
        `OXM entry calls for ${payloadLen}-byte payload, ${end - pos} remain`,
      );
    }
    const at = pos;
    pos += payloadLen;
    const isCookie = cls === 0x0001 && field === NXM_NX_COOKIE_FIELD && payloadLen === (hasMask ? 16 : 8);
    if (isCookie && allowCookie) {
      const value = (BigInt(beAt(buf, at, 4)) << 32n) | BigInt(beAt(buf, at + 4, 4));
      const mask = hasMask ? (BigInt(beAt(buf, at + 8, 4)) << 32n) | BigInt(beAt(buf, at + 12, 4)) : null;
      if (mask !== null && (value & ~mask) !== 0n) {
        throw new OfpError('OFPBMC_BAD_WILDCARDS', 'cookie has bits outside its mask');
      }
      if (cookie) throw new OfpError('OFPBMC_DUP_FIELD', 'cookie appears twice');
      cookie = { value, mask };
      continue;
    }
    // As nx_pull_entry: the payload is taken and a mask checked against the value before an unknown
    // field is reported.
    const width = hasMask ? payloadLen >>> 1 : payloadLen;
    if (hasMask) {
      for (let i = 0; i < width; i++) {
        if (buf[at + i] & ~buf[at + width + i]) {
          throw new OfpError(
            'OFPBMC_BAD_WILDCARDS',
            `${describeHeader({ cls, field, hasMask, experimenter, payloadLen })}: value has 1-bits where the mask has 0-bits`,
          );
        }
      }
    }
    const codec = codecByHeader(cls, field, experimenter);
    const info = codec?.info;
    const fits =
      info !== undefined &&
      !(hasMask && payloadLen % 2 !== 0) &&
      (info.variable ? width >= 1 && width <= info.bytes : width === info.bytes);
    if (codec === undefined || info === undefined || !fits) {
      throw new OfpError(
        'OFPBMC_BAD_FIELD',
        `unknown OXM field (${describeHeader({ cls, field, hasMask, experimenter, payloadLen })})`,
      );
    }
    const exact = !hasMask || allBytesAre(buf, at + width, width, 0xff);
    if (!exact && !info.maskable && !allBytesAre(buf, at + width, width, 0)) {
      throw new OfpError('OFPBMC_BAD_MASK', `${info.name} cannot be matched with a mask`);
    }
    const v = width <= 4 ? beAt(buf, at, width) : 0;
    if (!info.variable && codec.valueRule !== null && !codec.valueRule(v)) {
      throw new OfpError('OFPBMC_BAD_VALUE', `${info.name}: value out of range`);
    }
    if (strict) {
      const ok = prereqOk(codec.prereq, dlType, proto, packetType, vlanVid >= 0 ? vlanVid : vlanTci, ctState);
      const nd = ok && codec.prereq >= PRE_ND ? ndOk(codec.prereq, dlType, proto, icmpType, icmpCode) : ok;
      if (!nd) {
        throw new OfpError('OFPBMC_BAD_PREREQ', `${info.name} requires ${info.prereq} earlier in the match`);
      }
      if (seen.has(codec.id) || (codec.track === TRACK_PACKET_TYPE && packetTypeImplied)) {
        throw new OfpError('OFPBMC_DUP_FIELD', `${info.name} appears twice`);
      }
      seen.mark(codec.id);
      if (codec.prereq !== PRE_NONE) packetTypeImplied = true;
      // A field is here at most once (a second one is a duplicate), so this is its first entry.
      switch (codec.track) {
        case TRACK_ETH_TYPE:
          if (exact) dlType = v;
          break;
        case TRACK_NW_PROTO:
          if (exact) proto = v;
          break;
        case TRACK_PACKET_TYPE:
          if (exact) packetType = v;
          break;
        case TRACK_VLAN_VID:
          vlanVid = v;
          break;
        case TRACK_VLAN_TCI:
          vlanTci = v;
          break;
        case TRACK_CT_STATE:
          ctState = v;
          break;
        case TRACK_ICMPV6_TYPE:
          if (exact) icmpType = v;
          break;
        case TRACK_ICMPV6_CODE:
          if (exact) icmpCode = v;
          break;
      }
    }
    const value = tlvBytes.copy(buf, at, at + width);
    const mask = hasMask ? tlvBytes.copy(buf, at + width, at + 2 * width) : null;
    entries.push({ field: info.name, value, mask });
  }
  return cookie;
}

/**
 * prereqsMet() from the values the entries before establish: the Ethertype and IP protocol (0 when not
 * matched exactly), packet_type (-1 when not exact), the VLAN tag match (vlan_vid's value, else
 * vlan_tci's, -1 for neither) and ct_state's value (-1 for none). ND prerequisites also need ndOk().
 */
function prereqOk(
  prereq: number,
  dlType: number,
  proto: number,
  packetType: number,
  tag: number,
  ctState: number,
): boolean {
  const ip = dlType === ETH_TYPE_IP || dlType === ETH_TYPE_IPV6;
  switch (prereq) {
    case PRE_NONE:
      return true;
    case PRE_ETHERNET:
      return packetType <= 0;
    case PRE_ARP:
      return dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP;
    case PRE_IPV4:
      return dlType === ETH_TYPE_IP;
    case PRE_IPV6:
      return dlType === ETH_TYPE_IPV6;
    case PRE_IP:
      return ip;
    case PRE_VLAN_VID:
      // OFPVID_PRESENT in vlan_vid and the CFI bit in vlan_tci are the same bit.
      return tag >= 0 && (tag & 0x1000) !== 0;
    case PRE_MPLS:
      return dlType === 0x8847 || dlType === 0x8848;
    case PRE_NSH:
      return dlType === ETH_TYPE_NSH;
    case PRE_CT:
      // Tracked (0x20) and not invalid (0x10).
      return ctState >= 0 && (ctState & 0x20) !== 0 && (ctState & 0x10) === 0;
    case PRE_TCP:
      return ip && proto === 6;
    case PRE_UDP:
      return ip && proto === 17;
    case PRE_SCTP:
      return ip && proto === 132;
    case PRE_ICMPV4:
      return dlType === ETH_TYPE_IP && proto === 1;
    case PRE_ICMPV6:
    case PRE_ND:
    case PRE_ND_SOLICIT:
    case PRE_ND_ADVERT:
      return dlType === ETH_TYPE_IPV6 && proto === 58;
    default:
      return false;
  }
}

/** The rest of an ND prerequisite (after ICMPv6's): the ICMPv6 type and code matched exactly (else 0). */
function ndOk(prereq: number, dlType: number, proto: number, type: number, code: number): boolean {
  if (!(dlType === ETH_TYPE_IPV6 && proto === 58) || code !== 0) return false;
  if (prereq === PRE_ND_SOLICIT) return type === 135;
  if (prereq === PRE_ND_ADVERT) return type === 136;
  return type === 135 || type === 136;
}

/** The exact value of `name` in the entries so far, as a number (masked or absent: undefined). */
function exactValue(entries: readonly MatchEntry[], name: string): number | undefined {
  for (const e of entries) {
    if (e.field === name && (e.mask === null || isAll(e.mask, 0xff))) return be(e.value);
  }
  return undefined;
}

function maskedValue(
  entries: readonly MatchEntry[],
  name: string,
): { value: number; mask: number } | undefined {
  for (const e of entries)
    if (e.field === name) return { value: be(e.value), mask: e.mask ? be(e.mask) : -1 };
  return undefined;
}

const ETH_TYPE_IP = 0x0800;
const ETH_TYPE_IPV6 = 0x86dd;
const ETH_TYPE_ARP = 0x0806;
const ETH_TYPE_RARP = 0x8035;
const ETH_TYPE_NSH = 0x894f;

/**
 * True when the entries before a field satisfy its prerequisite, as Open vSwitch's strict decoding checks
 * it (the prerequisite fields must come first: eth_type=0x0800 before ip_src, nw_proto=6 before tcp_src).
 */
export function prereqsMet(field: FieldInfo, before: readonly MatchEntry[]): boolean {
  const dlType = exactValue(before, 'eth_type') ?? 0;
  const proto = exactValue(before, 'nw_proto') ?? 0;
  const ip = dlType === ETH_TYPE_IP || dlType === ETH_TYPE_IPV6;
  const packetType = exactValue(before, 'packet_type');
  switch (field.prereq) {
    case 'none':
      return true;
    case 'Ethernet':
      return packetType === undefined || packetType === 0;
    case 'ARP':
      return dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP;
    case 'IPv4':
      return dlType === ETH_TYPE_IP;
    case 'IPv6':
      return dlType === ETH_TYPE_IPV6;
    case 'IPv4/IPv6':
      return ip;
    case 'VLAN VID': {
      // OFPVID_PRESENT in vlan_vid and the CFI bit in vlan_tci are the same bit.
      const tag = maskedValue(before, 'vlan_vid') ?? maskedValue(before, 'vlan_tci');
      return tag !== undefined && (tag.value & 0x1000) !== 0;
    }
    case 'MPLS':
      return dlType === 0x8847 || dlType === 0x8848;
    case 'NSH':
      return dlType === ETH_TYPE_NSH;
    case 'CT': {
      const st = maskedValue(before, 'ct_state');
      // Tracked (0x20) and not invalid (0x10).
      return st !== undefined && (st.value & 0x20) !== 0 && (st.value & 0x10) === 0;
    }
    case 'TCP':
      return ip && proto === 6;
    case 'UDP':
      return ip && proto === 17;
    case 'SCTP':
      return ip && proto === 132;
    case 'ICMPv4':
      return dlType === ETH_TYPE_IP && proto === 1;
    case 'ICMPv6':
      return dlType === ETH_TYPE_IPV6 && proto === 58;
    case 'ND':
    case 'ND solicit':
    case 'ND advert': {
      if (!(dlType === ETH_TYPE_IPV6 && proto === 58)) return false;
      const type = exactValue(before, 'icmpv6_type') ?? 0;
      const code = exactValue(before, 'icmpv6_code') ?? 0;
      if (code !== 0) return false;
      if (field.prereq === 'ND solicit') return type === 135;
      if (field.prereq === 'ND advert') return type === 136;
      return type === 135 || type === 136;
    }
  }
}

/** Throws OFPBMC_BAD_FIELD / OFPBMC_BAD_LEN if an entry cannot be written (unknown field, wrong size). */
function checkEntry(e: MatchEntry, info: FieldInfo | undefined = fieldInfo(e.field)): FieldInfo {
  if (!info) throw new OfpError('OFPBMC_BAD_FIELD', `unknown field ${e.field}`);
  const ok = info.variable
    ? e.value.length >= 1 && e.value.length <= info.bytes
    : e.value.length === info.bytes;
  if (!ok || (e.mask && e.mask.length !== e.value.length)) {
    throw new OfpError('OFPBMC_BAD_LEN', `${info.name} takes ${info.bytes} bytes, got ${e.value.length}`);
  }
  return info;
}

/** Writes one TLV header for `info` with a `width`-byte value (doubled when masked). */
function writeTlvHeader(w: Writer, h: OxmHeader, masked: boolean, width: number): void {
  const payload = (masked ? 2 * width : width) + experimenterLen(h.cls);
  w.u32(((h.cls << 16) | (h.field << 9) | (masked ? 0x100 : 0) | payload) >>> 0);
  if (h.cls === OXM_CLASS_EXPERIMENTER) w.u32(h.experimenter);
}

/**
 * Writes entries as NXM/OXM TLVs (no padding) with the headers Open vSwitch uses in `version` (0 = NXM).
 * A cookie (Nicira flow mods and stats requests) goes last, as Open vSwitch puts it. Returns bytes written.
 */
export function encodeTlvs(
  w: Writer,
  entries: readonly MatchEntry[],
  version: number,
  cookie: DecodedTlvs['cookie'] = null,
): number {
  const start = w.len;
  const known = version >= 0 && version < CODEC_VERSIONS;
  for (const e of entries) {
    const codec = CODEC_BY_NAME.get(e.field);
    const info = checkEntry(e, codec?.info);
    const h = known && codec ? codec.headers[version] : headerFor(info, version);
    if (!h) throw new OfpError('OFPBMC_BAD_FIELD', `${info.name} has no NXM or OXM header`);
    writeTlvHeader(w, h, e.mask !== null, e.value.length);
    w.bytes(e.value);
    if (e.mask) w.bytes(e.mask);
  }
  if (cookie) {
    w.u32(
      ((0x0001 << 16) |
        (NXM_NX_COOKIE_FIELD << 9) |
        (cookie.mask !== null ? 0x100 : 0) |
        (cookie.mask !== null ? 16 : 8)) >>>
        0,
    );
    w.u64(cookie.mask !== null ? cookie.value & cookie.mask : cookie.value);
    if (cookie.mask !== null) w.u64(cookie.mask);
  }
  return w.len - start;
}

/**
 * Decodes an nx_match of `matchLen` bytes followed by padding to a multiple of 8 (Nicira flow mods, flow
 * stats, flow removed, packet in).
 */
export function decodeNxMatch(r: Reader, matchLen: number, opts: OxmDecodeOptions = {}): DecodedTlvs {
  const padded = roundUp8(matchLen);
  if (r.left < padded) {
    throw new OfpError(
      'OFPBMC_BAD_LEN',
      `nx_match length ${matchLen}, rounded up to ${padded}, exceeds ${r.left}`,
    );
  }
  const entries: MatchEntry[] = [];
  const cookie = pullTlvs(r, matchLen, opts.allowCookie === true, opts.strict === true, entries);
  r.skip(padded - matchLen);
  return { entries, cookie };
}

/** Writes an nx_match (NXM headers) plus padding to 8; returns match_len (without padding). */
export function encodeNxMatch(
  w: Writer,
  entries: readonly MatchEntry[],
  cookie: DecodedTlvs['cookie'] = null,
): number {
  const n = encodeTlvs(w, entries, 0, cookie);
  w.zeros(roundUp8(n) - n);
  return n;
}

/** OFPMT_OXM. */
export const OFPMT_OXM = 1;
/** OFPMT_STANDARD (OpenFlow 1.1's fixed ofp11_match). */
export const OFPMT_STANDARD = 0;

/**
 * Decodes an OpenFlow 1.2+ struct ofp11_match_header (type OFPMT_OXM, length) with its OXM entries and
 * padding to a multiple of 8. OFPBMC_BAD_TYPE for another match type, OFPBMC_BAD_LEN for a bad length.
 */
export function decodeOxmMatch(r: Reader, opts: OxmDecodeOptions = {}): MatchEntry[] {
  if (r.left < 4) throw new OfpError('OFPBMC_BAD_LEN', 'truncated ofp_match header');
  const type = r.peek16(0);
  const length = r.peek16(2);
  if (type === OFPMT_STANDARD) {
    // OpenFlow 1.1's fixed ofp11_match: Open vSwitch checks its length first; this codec does not carry it.
    if (length !== 88 || r.left < 88) throw new OfpError('OFPBMC_BAD_LEN', `ofp11_match of length ${length}`);
    throw new OfpError('OFPBMC_BAD_TYPE', 'OpenFlow 1.1 standard matches are not supported');
  }
  if (type !== OFPMT_OXM) throw new OfpError('OFPBMC_BAD_TYPE', `ofp_match type ${type} is not OFPMT_OXM`);
  if (length < 4) throw new OfpError('OFPBMC_BAD_LEN', `ofp_match length ${length} below 4`);
  const padded = roundUp8(length);
  if (r.left < padded) throw new OfpError('OFPBMC_BAD_LEN', `ofp_match length ${length} exceeds the message`);
  r.skip(4);
  const entries: MatchEntry[] = [];
  pullTlvs(r, length - 4, false, opts.strict === true, entries);
  r.skip(padded - length);
  return entries;
}

/** Writes struct ofp11_match_header + OXM entries (headers for `version`) + padding; returns its length. */
export function encodeOxmMatch(w: Writer, entries: readonly MatchEntry[], version: number): number {
  const start = w.len;
  w.u16(OFPMT_OXM).u16(0);
  encodeTlvs(w, entries, Math.max(version, OFP10_VERSION + 2));
  const length = w.len - start;
  w.set16(start + 2, length);
  w.zeros(roundUp8(length) - length);
  return length;
}

/**
 * Decodes one TLV used as an action argument (OFPAT_SET_FIELD, learn specs): a header, a value and, when
 * `allowMask`, a mask. Errors use the action space (OFPBAC_BAD_SET_TYPE, OFPBAC_BAD_SET_LEN,
 * OFPBAC_BAD_SET_ARGUMENT) as Open vSwitch does.
 */
export function decodeActionTlv(r: Reader, allowMask: boolean): MatchEntry {
  // As nx_pull_entry in an action: header and length faults are OFPBMC_BAD_LEN, like in a match.
  const h = readTlvHeader(r, 'OFPBMC_BAD_LEN');
  const known = fieldByHeader(h.cls, h.field, h.experimenter);
  if (!known) {
    // Open vSwitch's lookup reports a length mismatch against whatever shares the hash bucket, so in
    // practice an unknown header with a nonzero length is OFPBAC_BAD_SET_LEN.
    const code = h.payloadLen > 0 ? 'OFPBAC_BAD_SET_LEN' : 'OFPBAC_BAD_SET_TYPE';
    throw new OfpError(code, `unknown field in set_field (${describeHeader(h)})`);
  }
  const info = fieldOfHeader(h);
  if (!info) throw new OfpError('OFPBAC_BAD_SET_LEN', `${known.name} with payload of ${h.payloadLen} bytes`);
  if (r.left < h.payloadLen) throw new OfpError('OFPBMC_BAD_LEN', `${info.name}: truncated value`);
  const width = h.hasMask ? h.payloadLen / 2 : h.payloadLen;
  const value = r.bytes(width);
  const mask = h.hasMask ? r.bytes(width) : null;
  if (mask) {
    for (let i = 0; i < width; i++) {
      if (value[i] & ~mask[i]) throw new OfpError('OFPBMC_BAD_WILDCARDS', `${info.name}: value outside mask`);
    }
  }
  if (h.hasMask && !allowMask) throw new OfpError('OFPBAC_BAD_SET_MASK', `${info.name}: masked set_field`);
  return { field: info.name, value, mask };
}

/** Writes one TLV (header for `version`, value, mask if any); returns bytes written. */
export function encodeActionTlv(w: Writer, e: MatchEntry, version: number): number {
  const start = w.len;
  const info = fieldInfo(e.field);
  if (!info) throw new OfpError('OFPBAC_BAD_SET_TYPE', `unknown field ${e.field}`);
  const h = headerFor(info, version);
  if (!h) throw new OfpError('OFPBAC_BAD_SET_TYPE', `${info.name} has no NXM or OXM header`);
  writeTlvHeader(w, h, e.mask !== null, e.value.length);
  w.bytes(e.value);
  if (e.mask) w.bytes(e.mask);
  return w.len - start;
}

/** A bare NXM/OXM header naming a field (as in reg_move, output_reg, learn), decoded from 32 or 64 bits. */
export interface FieldRef {
  field: string;
  /** hasmask bit of the header. */
  masked: boolean;
}

/**
 * Reads a bare header that actions carry after their fixed part (reg_move, stack, output_reg2 ...), as
 * Open vSwitch's nx_pull_header does: OFPBMC_BAD_LEN when truncated, OFPBMC_BAD_FIELD when unknown,
 * OFPBMC_BAD_MASK when it has the mask bit.
 */
export function decodeFieldHeader(r: Reader): FieldRef {
  const h = readTlvHeader(r, 'OFPBMC_BAD_LEN');
  const info = fieldOfHeader(h);
  if (!info) throw new OfpError('OFPBMC_BAD_FIELD', `unknown field header (${describeHeader(h)})`);
  if (h.hasMask) throw new OfpError('OFPBMC_BAD_MASK', `${info.name}: masked header where none is allowed`);
  return { field: info.name, masked: h.hasMask };
}

/**
 * The field a 32-bit NXM header names when it sits in a fixed action field (reg_load's dst, output_reg's
 * src, multipath, bundle_load, learn specs): a masked header is taken as the exact one, and an unknown one
 * is OFPBAC_BAD_SET_TYPE, as Open vSwitch's mf_from_nxm_header answers.
 */
export function fieldOfNxmHeader32(header: number): FieldInfo {
  const cls = header >>> 16;
  const field = (header >>> 9) & 0x7f;
  const hasMask = ((header >>> 8) & 1) === 1;
  const length = header & 0xff;
  const exact = hasMask ? length / 2 : length;
  const info = cls === OXM_CLASS_EXPERIMENTER ? undefined : fieldByHeader(cls, field, 0);
  const fits =
    info &&
    Number.isInteger(exact) &&
    (info.variable ? exact >= 1 && exact <= info.bytes : exact === info.bytes);
  if (!info || !fits) {
    throw new OfpError('OFPBAC_BAD_SET_TYPE', `unknown NXM header 0x${header.toString(16).padStart(8, '0')}`);
  }
  return info;
}

/** The bare header of a field for version 0 (NXM), as 32 bits (0 for an experimenter field). */
export function nxmHeader32(name: string, masked = false): number {
  const info = fieldInfo(name);
  if (!info) throw new OfpError('OFPBAC_BAD_ARGUMENT', `unknown field ${name}`);
  const h = headerFor(info, 0);
  if (!h || h.cls === OXM_CLASS_EXPERIMENTER) return 0;
  const len = masked ? 2 * info.bytes : info.bytes;
  return ((h.cls << 16) | (h.field << 9) | (masked ? 0x100 : 0) | len) >>> 0;
}

/** Writes the bare header of a field as Open vSwitch does in `version` (0 = NXM): 4 bytes, or 8 for experimenter. */
export function encodeFieldHeader(w: Writer, name: string, version: number, masked = false): void {
  const info = fieldInfo(name);
  if (!info) throw new OfpError('OFPBAC_BAD_ARGUMENT', `unknown field ${name}`);
  const h = headerFor(info, version);
  if (!h) throw new OfpError('OFPBAC_BAD_ARGUMENT', `${name} has no NXM or OXM header`);
  writeTlvHeader(w, h, masked, info.bytes);
}
