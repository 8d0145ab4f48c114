// A frame as ovs-ofctl prints it under a packet_in or packet_out (OVS ofp_packet_to_string()): the flow
// extracted from it, with the fields a packet of that kind has (flow_wildcards_init_for_packet; in_port
// only when nonzero, which it never is for a bare frame) in match syntax, then the L4 checksum
// ("udp_csum:1a2b") when the frame holds a whole TCP/UDP/SCTP/ICMP header.

import { extractFlowKey } from '../packet/extract.js';
import {
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
  K_TUN_ID_HI,
  K_TUN_ID_LO,
  K_TUN_SRC,
  K_VLAN0,
  K_VLAN1,
  KEY_WORDS,
  newFlowKey,
} from '../packet/flow-key.js';
import { emptyFlowWords } from './flow-text.js';
import { matchText } from './match-text.js';

const ALL = 0xffff_ffff;

/**
 * The fields a packet like `flow` has (OVS flow_wildcards_init_for_packet): what ofproto/trace's Flow:
 * lines print and, without in_port unless it is set, the flow line under a packet_in or packet_out.
 */
export function packetMask(flow: Uint32Array, inPort: 'always' | 'when set' = 'always'): Uint32Array {
  const m = emptyFlowWords();
  if (inPort === 'always' || flow[K_IN_PORT] !== 0) m[K_IN_PORT] = ALL;
  m[K_DL_SRC_HI] = 0xffff;
  m[K_DL_SRC_LO] = ALL;
  m[K_DL_DST_HI] = 0xffff;
  m[K_DL_DST_LO] = ALL;
  m[K_DL_TYPE] = 0xffff;
  m[K_VLAN0] = 0xffff;
  if (flow[K_VLAN0] !== 0) m[K_VLAN1] = 0xffff;
  for (const w of [K_TUN_ID_HI, K_TUN_ID_LO, K_TUN_SRC, K_TUN_DST]) if (flow[w] !== 0) m[w] = ALL;
  const dlType = flow[K_DL_TYPE] & 0xffff;
  const proto = flow[K_NW] & 0xff;
  const l4 = (): void => {
    if (proto === 6 || proto === 17 || proto === 132 || proto === 1 || proto === 58) m[K_TP] = ALL;
    if (proto === 6) m[K_TCP_FLAGS] = 0xfff;
  };
  if (dlType === 0x0800) {
    m[K_NW_SRC] = ALL;
    m[K_NW_DST] = ALL;
    m[K_NW] = 0x03ff_ffff;
    l4();
  } else if (dlType === 0x86dd) {
    for (let i = 0; i < 4; i++) {
      m[K_IPV6_SRC + i] = ALL;
      m[K_IPV6_DST + i] = ALL;
    }
    m[K_IPV6_LABEL] = 0xfffff;
    m[K_NW] = 0x03ff_ffff;
    l4();
    if (proto === 58 && (flow[K_TP] >>> 16 === 135 || flow[K_TP] >>> 16 === 136)) {
      for (let i = 0; i < 4; i++) m[K_ND_TARGET + i] = ALL;
      m[K_ARP_SHA_HI] = 0xffff;
      m[K_ARP_SHA_LO] = ALL;
      m[K_ARP_THA_HI] = 0xffff;
      m[K_ARP_THA_LO] = ALL;
    }
  } else if (dlType === 0x0806 || dlType === 0x8035) {
    m[K_NW_SRC] = ALL;
    m[K_NW_DST] = ALL;
    m[K_NW] = 0xff;
    m[K_ARP_SHA_HI] = 0xffff;
    m[K_ARP_SHA_LO] = ALL;
    m[K_ARP_THA_HI] = 0xffff;
    m[K_ARP_THA_LO] = ALL;
  }
  return m;
}

/** Where the L4 header starts and its protocol, or null (no IP, a later fragment, a truncated header). */
function l4Of(frame: Uint8Array): { at: number; proto: number } | null {
  let p = 12;
  const u16 = (i: number) => (frame[i] << 8) | frame[i + 1];
  if (frame.length < 14) return null;
  while ((u16(p) === 0x8100 || u16(p) === 0x88a8) && p + 6 <= frame.length) p += 4;
  const type = u16(p);
  p += 2;
  if (type === 0x0800 && p + 20 <= frame.length) {
    const ihl = (frame[p] & 0x0f) * 4;
    const fragOffset = u16(p + 6) & 0x1fff;
    if (ihl < 20 || fragOffset !== 0) return null;
    return { at: p + ihl, proto: frame[p + 9] };
  }
  if (type === 0x86dd && p + 40 <= frame.length) return { at: p + 40, proto: frame[p + 6] };
  return null;
}

/** The L4 checksum suffix (" tcp_csum:..."), or "". */
function checksumText(frame: Uint8Array): string {
  const l4 = l4Of(frame);
  if (l4 === null) return '';
  const size = frame.length - l4.at;
  const hex16 = (off: number) => ((frame[l4.at + off] << 8) | frame[l4.at + off + 1]).toString(16);
  if (l4.proto === 6 && size >= 20) return ` tcp_csum:${hex16(16)}`;
  if (l4.proto === 17 && size >= 8) return ` udp_csum:${hex16(6)}`;
  if (l4.proto === 132 && size >= 12) {
    const v =
      (frame[l4.at + 8] << 24) | (frame[l4.at + 9] << 16) | (frame[l4.at + 10] << 8) | frame[l4.at + 11];
    return ` sctp_csum:${(v >>> 0).toString(16)}`;
  }
  if (l4.proto === 1 && size >= 8) return ` icmp_csum:${hex16(2)}`;
  if (l4.proto === 58 && size >= 4) return ` icmp6_csum:${hex16(2)}`;
  return '';
}

/** A frame's flow and checksum as one line (ending in a newline). */
export function packetText(frame: Uint8Array): string {
  const key = newFlowKey();
  extractFlowKey(frame, 0, frame.length, 0, key);
  const flow = emptyFlowWords();
  flow.set(key.subarray(0, KEY_WORDS));
  return `${matchText({ value: flow, mask: packetMask(flow, 'when set') }, 32768)}${checksumText(frame)}\n`;
}
