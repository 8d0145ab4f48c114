// ODP text of ACT_SET_MASKED words (actions.ts) as Open vSwitch 3.1's userspace datapath prints its set and
// masked-set actions (format_odp_action → format_odp_key_attr, not verbose): consecutive words of one header
// become one `set(hdr(field=value[/mask],...))` in OVS's field order; fields with a zero mask are left out,
// full masks print no "/mask". Checked against ovs-appctl ofproto/trace and dpctl/dump-flows (see
// test/datapath/set-actions.test.ts). Slow path: allocation is fine.
import {
  K_ARP_SHA_HI,
  K_ARP_THA_HI,
  K_ARP_THA_LO,
  K_DL_DST_HI,
  K_DL_SRC_HI,
  K_DL_SRC_LO,
  K_DL_TYPE,
  K_IPV6_DST,
  K_IPV6_LABEL,
  K_IPV6_SRC,
  K_ND_TARGET,
  K_NW,
  K_NW_DST,
  K_NW_SRC,
  K_TP,
  KEY_WORDS,
  NW_TOS_SHIFT,
  NW_TTL_SHIFT,
} from '../packet/flow-key.js';
import { formatIpv4, formatIpv6Words } from '../packet/ip-addr.js';
import { formatMac } from '../packet/mac.js';

/** The ODP header a set word belongs to. */
type Header = 'eth' | 'ipv4' | 'ipv6' | 'arp' | 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmpv6' | 'nd' | '';

const ETH_TYPE_ARP = 0x0806;
const ETH_TYPE_RARP = 0x8035;
const ETH_TYPE_IPV6 = 0x86dd;

/** What the flow says about the packet: its dl_type and nw_proto (guessed when no key is given). */
interface Context {
  dlType: number;
  proto: number;
}

function contextOf(actions: Uint32Array, at: number, key: Uint32Array | undefined): Context {
  if (key !== undefined) return { dlType: key[K_DL_TYPE], proto: key[K_NW] & 0xff };
  // No key: IPv6 when the consecutive set words from `at` include an IPv6 or ND word, else IPv4; TCP.
  let v6 = false;
  for (let i = at; i + 3 < actions.length && actions[i] === actions[at]; i += 4) {
    const w = actions[i + 1];
    if (w >= K_IPV6_SRC && w < K_ND_TARGET + 4) v6 = true;
  }
  return { dlType: v6 ? ETH_TYPE_IPV6 : 0x0800, proto: 6 };
}

function headerOf(word: number, c: Context): Header {
  const arp = c.dlType === ETH_TYPE_ARP || c.dlType === ETH_TYPE_RARP;
  const v6 = c.dlType === ETH_TYPE_IPV6;
  if (word >= K_DL_DST_HI && word <= K_DL_SRC_LO) return 'eth';
  if (word === K_NW_SRC || word === K_NW_DST) return arp ? 'arp' : 'ipv4';
  if (word === K_NW) return arp ? 'arp' : v6 ? 'ipv6' : 'ipv4';
  if (word >= K_IPV6_SRC && word <= K_IPV6_LABEL) return 'ipv6';
  if (word >= K_ND_TARGET && word < K_ND_TARGET + 4) return 'nd';
  if (word >= K_ARP_SHA_HI && word <= K_ARP_THA_LO) return v6 ? 'nd' : 'arp';
  if (word !== K_TP) return '';
  if (c.proto === 17) return 'udp';
  if (c.proto === 132) return 'sctp';
  if (c.proto === 1 && !v6) return 'icmp';
  if (c.proto === 58 && v6) return 'icmpv6';
  return 'tcp';
}

/**
 * Formats the run of set words of one header starting at actions[at] (an ACT_SET_MASKED opcode) into `out`;
 * returns the index of the first action after the run.
 */
export function formatSetRun(
  actions: Uint32Array,
  at: number,
  key: Uint32Array | undefined,
  out: string[],
): number {
  const op = actions[at];
  const c = contextOf(actions, at, key);
  const header = headerOf(actions[at + 1], c);
  const value = new Uint32Array(KEY_WORDS);
  const mask = new Uint32Array(KEY_WORDS);
  let i = at;
  for (; i + 3 < actions.length && actions[i] === op; i += 4) {
    const w = actions[i + 1];
    if (headerOf(w, c) !== header || (header === '' && i !== at)) break;
    if (w >= KEY_WORDS) break;
    value[w] = ((value[w] & ~actions[i + 3]) | (actions[i + 2] & actions[i + 3])) >>> 0;
    mask[w] = (mask[w] | actions[i + 3]) >>> 0;
  }
  if (header === '') {
    const w = actions[at + 1];
    out.push(`set_masked(word=${w},value=${hexAlt(actions[at + 2])},mask=${hexAlt(actions[at + 3])})`);
    return at + 4;
  }
  out.push(`set(${header}(${fieldsOf(header, value, mask).join(',')}))`);
  return i;
}

/** "%#x" as C prints it: "0" for zero, else 0x-prefixed lower-case hex. */
function hexAlt(n: number): string {
  return n === 0 ? '0' : '0x' + (n >>> 0).toString(16);
}

function fieldsOf(h: Header, v: Uint32Array, m: Uint32Array): string[] {
  const f: string[] = [];
  const nwByte = (a: Uint32Array, shift: number) => (a[K_NW] >>> shift) & 0xff;
  switch (h) {
    case 'eth':
      mac(f, 'src', v, m, K_DL_SRC_HI);
      mac(f, 'dst', v, m, K_DL_DST_HI);
      break;
    case 'ipv4':
      ipv4(f, 'src', v[K_NW_SRC], m[K_NW_SRC]);
      ipv4(f, 'dst', v[K_NW_DST], m[K_NW_DST]);
      u8(f, 'tos', nwByte(v, NW_TOS_SHIFT), nwByte(m, NW_TOS_SHIFT), true);
      u8(f, 'ttl', nwByte(v, NW_TTL_SHIFT), nwByte(m, NW_TTL_SHIFT), false);
      break;
    case 'ipv6':
      in6(f, 'src', v, m, K_IPV6_SRC);
      in6(f, 'dst', v, m, K_IPV6_DST);
      label(f, v[K_IPV6_LABEL] & 0xfffff, m[K_IPV6_LABEL] & 0xfffff);
      u8(f, 'tclass', nwByte(v, NW_TOS_SHIFT), nwByte(m, NW_TOS_SHIFT), true);
      u8(f, 'hlimit', nwByte(v, NW_TTL_SHIFT), nwByte(m, NW_TTL_SHIFT), false);
      break;
    case 'arp': {
      ipv4(f, 'sip', v[K_NW_SRC], m[K_NW_SRC]);
      ipv4(f, 'tip', v[K_NW_DST], m[K_NW_DST]);
      // get_arp_key widens a full 8-bit opcode mask to 0xffff.
      const op = (w: number) => ((w & 0xff) === 0xff ? 0xffff : w & 0xff);
      be16(f, 'op', v[K_NW] & 0xff, op(m[K_NW]));
      mac(f, 'sha', v, m, K_ARP_SHA_HI);
      mac(f, 'tha', v, m, K_ARP_THA_HI);
      break;
    }
    case 'tcp':
    case 'udp':
    case 'sctp':
      be16(f, 'src', v[K_TP] >>> 16, m[K_TP] >>> 16);
      be16(f, 'dst', v[K_TP] & 0xffff, m[K_TP] & 0xffff);
      break;
    case 'icmp':
    case 'icmpv6':
      u8(f, 'type', (v[K_TP] >>> 16) & 0xff, (m[K_TP] >>> 16) & 0xff, false);
      u8(f, 'code', v[K_TP] & 0xff, m[K_TP] & 0xff, false);
      break;
    case 'nd':
      in6(f, 'target', v, m, K_ND_TARGET);
      mac(f, 'sll', v, m, K_ARP_SHA_HI);
      mac(f, 'tll', v, m, K_ARP_THA_HI);
      break;
  }
  return f;
}

function u8(f: string[], name: string, v: number, m: number, hex: boolean): void {
  if (m === 0) return;
  f.push(`${name}=${hex ? hexAlt(v) : v}${m === 0xff ? '' : '/' + hexAlt(m)}`);
}

function be16(f: string[], name: string, v: number, m: number): void {
  if (m === 0) return;
  f.push(`${name}=${v}${m === 0xffff ? '' : '/' + hexAlt(m)}`);
}

function ipv4(f: string[], name: string, v: number, m: number): void {
  if (m === 0) return;
  f.push(`${name}=${formatIpv4(v)}${m >>> 0 === 0xffffffff ? '' : '/' + formatIpv4(m)}`);
}

function mac(f: string[], name: string, v: Uint32Array, m: Uint32Array, hi: number): void {
  const mhi = m[hi] & 0xffff;
  const mlo = m[hi + 1];
  if (mhi === 0 && mlo === 0) return;
  const full = mhi === 0xffff && mlo === 0xffffffff;
  f.push(`${name}=${formatMac(v[hi] & 0xffff, v[hi + 1])}${full ? '' : '/' + formatMac(mhi, mlo)}`);
}

function in6(f: string[], name: string, v: Uint32Array, m: Uint32Array, at: number): void {
  let zero = true;
  let full = true;
  for (let i = 0; i < 4; i++) {
    zero &&= m[at + i] === 0;
    full &&= m[at + i] === 0xffffffff;
  }
  if (zero) return;
  f.push(`${name}=${formatIpv6Words(v, at)}${full ? '' : '/' + formatIpv6Words(m, at)}`);
}

function label(f: string[], v: number, m: number): void {
  if (m === 0) return;
  f.push(`label=${hexAlt(v)}${m === 0xfffff ? '' : '/' + hexAlt(m)}`);
}
