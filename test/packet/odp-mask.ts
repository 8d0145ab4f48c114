// Test helper: the flow-key mask an ODP flow line from `ovs-appctl dpctl/dump-flows -m` describes (every field
// printed, "value/mask" or exact), so captured real-OVS lines can be re-printed from our extracted key.
import {
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
  K_VLAN0,
  KEY_WORDS,
} from '../../src/packet/flow-key.js';
import { parseIpv4, parseIpv6 } from '../../src/packet/ip-addr.js';
import { parseMac } from '../../src/packet/mac.js';

/** Splits "a(x,y),b(z)" at top-level commas. */
export function splitTop(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

function fieldsOf(body: string): Map<string, string | undefined> {
  const m = new Map<string, string | undefined>();
  for (const f of splitTop(body)) {
    const eq = f.indexOf('=');
    const [, mask] = f.slice(eq + 1).split('/');
    m.set(f.slice(0, eq), mask);
  }
  return m;
}

function num(text: string): number {
  return Number(text);
}

/** Mask of a field given its "/mask" text (undefined: exact = `full`). */
function maskNum(m: string | undefined, full: number): number {
  return m === undefined ? full : num(m);
}

function setMac(mask: Uint32Array, at: number, m: string | undefined): void {
  const [hi, lo] = m === undefined ? [0xffff, 0xffffffff] : parseMac(m)!;
  mask[at] = hi;
  mask[at + 1] = lo;
}

function setIn6(mask: Uint32Array, at: number, m: string | undefined): void {
  const bytes = m === undefined ? new Uint8Array(16).fill(0xff) : parseIpv6(m)!;
  for (let i = 0; i < 4; i++) {
    mask[at + i] =
      ((bytes[4 * i] << 24) | (bytes[4 * i + 1] << 16) | (bytes[4 * i + 2] << 8) | bytes[4 * i + 3]) >>> 0;
  }
}

function setV4(mask: Uint32Array, at: number, m: string | undefined): void {
  mask[at] = m === undefined ? 0xffffffff : parseIpv4(m)!;
}

function nwMask(f: Map<string, string | undefined>, proto: string, tos: string, ttl: string): number {
  let w = 0;
  if (f.has(proto)) w |= maskNum(f.get(proto), 0xff);
  if (f.has(tos)) w |= maskNum(f.get(tos), 0xff) << 8;
  if (f.has(ttl)) w |= maskNum(f.get(ttl), 0xff) << 16;
  if (f.has('frag')) w |= 3 << 24;
  return w >>> 0;
}

const TCP_BITS = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr', 'ns'];

function tcpFlagsMask(body: string): number {
  if (body === '0/0') return 0;
  if (!/^[+-]/.test(body)) return 0xfff;
  let m = 0;
  for (const part of body.match(/[+-][a-z]+/g) ?? []) m |= 1 << TCP_BITS.indexOf(part.slice(1));
  return m;
}

function applyAttr(name: string, body: string, mask: Uint32Array, level: number): void {
  const f = fieldsOf(body);
  switch (name) {
    case 'recirc_id':
      mask[K_RECIRC] = body.includes('/') ? num(body.split('/')[1]) : 0xffffffff;
      break;
    case 'in_port':
      mask[K_IN_PORT] = body.includes('/') ? num(body.split('/')[1]) : 0xffffffff;
      break;
    case 'eth':
      if (f.has('src')) setMac(mask, K_DL_SRC_HI, f.get('src'));
      if (f.has('dst')) setMac(mask, K_DL_DST_HI, f.get('dst'));
      break;
    case 'eth_type':
      mask[K_DL_TYPE] = body.includes('/') ? num(body.split('/')[1]) : 0xffff;
      break;
    case 'vlan': {
      const vid = f.has('vid') ? maskNum(f.get('vid'), 0xfff) : 0;
      const pcp = f.has('pcp') ? maskNum(f.get('pcp'), 7) : 0;
      const tci = (pcp << 13) | vid;
      mask[K_VLAN0 + level] = tci ? (0xffff0000 | tci | 0x1000) >>> 0 : 0;
      break;
    }
    case 'ipv4':
    case 'arp':
      if (f.has('src') || f.has('sip')) setV4(mask, K_NW_SRC, f.get('src') ?? f.get('sip'));
      if (f.has('dst') || f.has('tip')) setV4(mask, K_NW_DST, f.get('dst') ?? f.get('tip'));
      mask[K_NW] = name === 'arp' ? maskNum(f.get('op'), 0xff) & 0xff : nwMask(f, 'proto', 'tos', 'ttl');
      if (f.has('sha')) setMac(mask, K_ARP_SHA_HI, f.get('sha'));
      if (f.has('tha')) setMac(mask, K_ARP_THA_HI, f.get('tha'));
      break;
    case 'ipv6':
      if (f.has('src')) setIn6(mask, K_IPV6_SRC, f.get('src'));
      if (f.has('dst')) setIn6(mask, K_IPV6_DST, f.get('dst'));
      if (f.has('label')) mask[K_IPV6_LABEL] = maskNum(f.get('label'), 0xfffff);
      mask[K_NW] = nwMask(f, 'proto', 'tclass', 'hlimit');
      break;
    case 'tcp':
    case 'udp':
    case 'sctp':
    case 'icmp':
    case 'icmpv6': {
      const full = name.startsWith('icmp') ? 0xff : 0xffff;
      const s = f.has('src') || f.has('type') ? maskNum(f.get('src') ?? f.get('type'), full) : 0;
      const d = f.has('dst') || f.has('code') ? maskNum(f.get('dst') ?? f.get('code'), full) : 0;
      mask[K_TP] = ((s << 16) | d) >>> 0;
      break;
    }
    case 'tcp_flags':
      mask[K_TCP_FLAGS] = tcpFlagsMask(body);
      break;
    case 'nd':
      if (f.has('target')) setIn6(mask, K_ND_TARGET, f.get('target'));
      if (f.has('sll')) setMac(mask, K_ARP_SHA_HI, f.get('sll'));
      if (f.has('tll')) setMac(mask, K_ARP_THA_HI, f.get('tll'));
      break;
  }
}

function applyLevel(text: string, mask: Uint32Array, level: number): void {
  for (const a of splitTop(text)) {
    const open = a.indexOf('(');
    const name = a.slice(0, open);
    const body = a.slice(open + 1, -1);
    if (name === 'encap') applyLevel(body, mask, level + 1);
    else applyAttr(name, body, mask, level);
  }
}

/** The flow-key mask a verbose (`-m`) ODP flow line describes. */
export function maskFromVerboseOdp(line: string): Uint32Array {
  const mask = new Uint32Array(KEY_WORDS);
  applyLevel(line, mask, 0);
  return mask;
}
