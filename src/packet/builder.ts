// Frame builders for tests and the switch's own frames: Ethernet (+VLAN tags), ARP, ICMP echo, UDP/TCP over
// IPv4/IPv6 and ND, checksummed, composed from the Repr emitters (slow path: bad addresses throw PacketError).
import { ARP_OP_REPLY, ARP_OP_REQUEST, emitArp } from './arp.js';
import {
  ETH_TYPE_ARP,
  ETH_TYPE_IPV4,
  ETH_TYPE_IPV6,
  ETH_TYPE_VLAN,
  type EthernetRepr,
  emitEthernet,
  ethernetHeaderLength,
} from './ethernet.js';
import { emitIcmp, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, icmpLength } from './icmp.js';
import { emitIcmpv6, icmpv6Length, type NdRepr } from './icmpv6.js';
import { emitIpv4, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from './ipv4.js';
import { emitIpv6, IPV6_HEADER_LEN } from './ipv6.js';
import { emitTcp, TCP_ACK, TCP_SYN, tcpLength } from './tcp.js';
import { emitUdp, UDP_HEADER_LEN } from './udp.js';

/** One VLAN tag to push, outermost first (TPID 0x8100 unless given). */
export interface VlanSpec {
  vid: number;
  pcp?: number;
  dei?: boolean;
  tpid?: number;
}

/** The Ethernet part of a frame. */
export interface L2Spec {
  srcMac: string;
  dstMac: string;
  vlans?: VlanSpec[];
}

/** The IP part of a frame; the family follows the addresses. */
export interface IpSpec extends L2Spec {
  src: string;
  dst: string;
  ttl?: number;
  /** IPv4 TOS byte or IPv6 traffic class. */
  tos?: number;
  /** IPv4 identification. */
  ipId?: number;
  dontFragment?: boolean;
  flowLabel?: number;
}

/** An Ethernet frame around `payload`, with `etherType` after any tags. */
export function ethernetFrame(l2: L2Spec, etherType: number, payload: Uint8Array): Uint8Array {
  const repr: EthernetRepr = {
    dst: l2.dstMac,
    src: l2.srcMac,
    etherType,
    vlans: (l2.vlans ?? []).map((v) => ({
      tpid: v.tpid ?? ETH_TYPE_VLAN,
      pcp: v.pcp ?? 0,
      dei: v.dei ?? false,
      vid: v.vid,
    })),
  };
  const out = new Uint8Array(ethernetHeaderLength(repr) + payload.length);
  const hl = emitEthernet(repr, out, 0);
  out.set(payload, hl);
  return out;
}

/** An IPv4 or IPv6 packet (in an Ethernet frame) carrying the L4 bytes `l4` as `protocol`. */
export function ipFrame(ip: IpSpec, protocol: number, l4: Uint8Array): Uint8Array {
  if (ip.src.includes(':')) {
    const pkt = new Uint8Array(IPV6_HEADER_LEN + l4.length);
    const repr = {
      src: ip.src,
      dst: ip.dst,
      nextHeader: protocol,
      hopLimit: ip.ttl ?? 64,
      trafficClass: ip.tos ?? 0,
      flowLabel: ip.flowLabel ?? 0,
      payloadLength: l4.length,
    };
    pkt.set(l4, emitIpv6(repr, pkt, 0));
    return ethernetFrame(ip, ETH_TYPE_IPV6, pkt);
  }
  const pkt = new Uint8Array(20 + l4.length);
  const repr = {
    src: ip.src,
    dst: ip.dst,
    protocol,
    ttl: ip.ttl ?? 64,
    tos: ip.tos ?? 0,
    ident: ip.ipId ?? 0,
    dontFragment: ip.dontFragment ?? false,
    moreFragments: false,
    fragOffset: 0,
    options: new Uint8Array(0),
    payloadLength: l4.length,
  };
  pkt.set(l4, emitIpv4(repr, pkt, 0));
  return ethernetFrame(ip, ETH_TYPE_IPV4, pkt);
}

/** An ARP request from (srcMac, srcIp) for targetIp, broadcast. */
export function arpRequest(spec: {
  srcMac: string;
  srcIp: string;
  targetIp: string;
  vlans?: VlanSpec[];
}): Uint8Array {
  const arp = new Uint8Array(28);
  emitArp(
    {
      op: ARP_OP_REQUEST,
      senderMac: spec.srcMac,
      senderIp: spec.srcIp,
      targetMac: '00:00:00:00:00:00',
      targetIp: spec.targetIp,
    },
    arp,
    0,
  );
  return ethernetFrame(
    { srcMac: spec.srcMac, dstMac: 'ff:ff:ff:ff:ff:ff', vlans: spec.vlans },
    ETH_TYPE_ARP,
    arp,
  );
}

/** An ARP reply telling (dstMac, dstIp) that srcIp is at srcMac. */
export function arpReply(spec: {
  srcMac: string;
  srcIp: string;
  dstMac: string;
  dstIp: string;
  vlans?: VlanSpec[];
}): Uint8Array {
  const arp = new Uint8Array(28);
  emitArp(
    {
      op: ARP_OP_REPLY,
      senderMac: spec.srcMac,
      senderIp: spec.srcIp,
      targetMac: spec.dstMac,
      targetIp: spec.dstIp,
    },
    arp,
    0,
  );
  return ethernetFrame(spec, ETH_TYPE_ARP, arp);
}

/** Options of an ICMP echo message. */
export interface EchoSpec extends IpSpec {
  /** Echo identifier. */
  ident: number;
  seq: number;
  data?: Uint8Array;
}

function icmpEcho(spec: EchoSpec, type: number): Uint8Array {
  const repr = {
    type,
    code: 0,
    rest: ((spec.ident & 0xffff) << 16) | (spec.seq & 0xffff),
    data: spec.data ?? new Uint8Array(0),
  };
  const l4 = new Uint8Array(icmpLength(repr));
  emitIcmp(repr, l4, 0);
  return ipFrame(spec, IPPROTO_ICMP, l4);
}

/** An IPv4 ICMP echo request. */
export function icmpEchoRequest(spec: EchoSpec): Uint8Array {
  return icmpEcho(spec, ICMP_ECHO_REQUEST);
}

/** An IPv4 ICMP echo reply. */
export function icmpEchoReply(spec: EchoSpec): Uint8Array {
  return icmpEcho(spec, ICMP_ECHO_REPLY);
}

/** Options of a UDP datagram. */
export interface UdpSpec extends IpSpec {
  srcPort: number;
  dstPort: number;
  payload?: Uint8Array;
}

/** A UDP datagram over IPv4 or IPv6 (by the addresses), checksummed. */
export function udpFrame(spec: UdpSpec): Uint8Array {
  const payload = spec.payload ?? new Uint8Array(0);
  const l4 = new Uint8Array(UDP_HEADER_LEN + payload.length);
  emitUdp({ srcPort: spec.srcPort, dstPort: spec.dstPort, payload }, l4, 0, spec.src, spec.dst);
  return ipFrame(spec, IPPROTO_UDP, l4);
}

/** Options of a TCP segment (flags default to SYN; seq, ack and window to 0, 0, 65535). */
export interface TcpSpec extends IpSpec {
  srcPort: number;
  dstPort: number;
  flags?: number;
  seq?: number;
  ack?: number;
  window?: number;
  options?: Uint8Array;
  payload?: Uint8Array;
}

/** A TCP segment over IPv4 or IPv6 (by the addresses), checksummed. */
export function tcpFrame(spec: TcpSpec): Uint8Array {
  const repr = {
    srcPort: spec.srcPort,
    dstPort: spec.dstPort,
    seq: spec.seq ?? 0,
    ack: spec.ack ?? 0,
    flags: spec.flags ?? (spec.ack ? TCP_ACK : TCP_SYN),
    window: spec.window ?? 65535,
    urgent: 0,
    options: spec.options ?? new Uint8Array(0),
    payload: spec.payload ?? new Uint8Array(0),
  };
  const l4 = new Uint8Array(tcpLength(repr));
  emitTcp(repr, l4, 0, spec.src, spec.dst);
  return ipFrame(spec, IPPROTO_TCP, l4);
}

/** An IPv6 neighbour solicitation (type 135) or advertisement (136) with `nd`'s target and options. */
export function ndFrame(spec: IpSpec & { type: 135 | 136; flags?: number; nd: NdRepr }): Uint8Array {
  const repr = { type: spec.type, code: 0, rest: spec.flags ?? 0, data: new Uint8Array(0), nd: spec.nd };
  const l4 = new Uint8Array(icmpv6Length(repr));
  emitIcmpv6(repr, l4, 0, spec.src, spec.dst);
  return ipFrame({ ttl: 255, ...spec }, IPPROTO_ICMPV6, l4);
}
