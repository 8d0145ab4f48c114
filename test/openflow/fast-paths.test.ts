// The fast paths of flow loading against the general ones they replaced. Decoding a flow mod's match
// (oxm.ts pullTlvs: headers looked up by number, prerequisites kept as they go by) and converting it to
// flow words (convert.ts matchFromWire with numbers instead of bigints), and the other way (matchToWire,
// encodeTlvs), must give the same entries, words and bytes, or fail with the same OfpError code, as the
// entry-by-entry, bigint-based code kept below as the reference. Random matches, valid and not, decide.
// The instruction and action list caches must hand out what a fresh decoding gives, keep versions apart,
// never remember an error, and refuse to be modified.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FLOW_WORDS } from '../../src/ofproto/of-flow.js';
import { matchFromWire, matchToWire } from '../../src/openflow/convert.js';
import {
  exactMask,
  fieldByName,
  getField,
  getField32,
  getFieldBytes,
  type MatchField,
  prerequisiteMet,
  setMatchField,
  setMatchField32,
  setMatchFieldBytes,
  FIELDS as TEXT_FIELDS,
} from '../../src/openflow/fields.js';
import type { MatchWords } from '../../src/openflow/match-text.js';
import {
  APPLY_ONLY,
  decodeActionList,
  decodeInstructions,
  encodeActionList,
  encodeInstructions,
  FLOW_ACTIONS,
  type Instruction,
  type OfAction,
  portFromOf11,
  portToOf11,
} from '../../src/openflow/messages-actions.js';
import {
  ALL_FIELDS,
  decodeNxMatch,
  decodeOxmMatch,
  decodeTlvs,
  encodeTlvs,
  type FieldInfo,
  fieldInfo,
  headerFor,
  type MatchEntry,
  OXM_CLASS_EXPERIMENTER,
  prereqsMet,
} from '../../src/openflow/oxm.js';
import { hex, Reader, Writer } from '../../src/openflow/wire.js';
import { OfpError } from '../../src/openflow/wire-errors.js';
import {
  K_DL_TYPE,
  K_IN_PORT,
  K_NW,
  K_TCP_FLAGS,
  K_TP,
  K_TUN_ID_HI,
  K_VLAN0,
  NW_FRAG_SHIFT,
  NW_TOS_SHIFT,
  NW_TTL_SHIFT,
} from '../../src/packet/flow-key.js';

// ---------------------------------------------------------------------------------------------------------
// A seeded generator, so that a failure can be replayed.

class Rng {
  constructor(private s: number) {}

  next(): number {
    // xorshift32
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }

  int(n: number): number {
    return this.next() % n;
  }

  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }

  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)];
  }

  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}

function outcome<T>(fn: () => T): { ok: T } | { error: string } {
  try {
    return { ok: fn() };
  } catch (err) {
    if (err instanceof OfpError) return { error: err.code };
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The reference: the general code the fast paths replaced.

const REF_BY_HEADER = new Map<string, FieldInfo>();
for (const f of ALL_FIELDS) {
  for (const h of f.headers) REF_BY_HEADER.set(`${h.cls}:${h.field}:${h.experimenter >>> 0}`, f);
}

function refFieldByHeader(cls: number, field: number, experimenter: number): FieldInfo | undefined {
  return REF_BY_HEADER.get(`${cls}:${field}:${(cls === OXM_CLASS_EXPERIMENTER ? experimenter : 0) >>> 0}`);
}

function isAll(b: Uint8Array, v: number): boolean {
  return b.every((x) => x === v);
}

function be(b: Uint8Array): number {
  let v = 0;
  for (const x of b) v = v * 256 + x;
  return v;
}

function refIsValueValid(field: FieldInfo, value: Uint8Array): boolean {
  const v = value.length <= 4 ? be(value) : 0;
  switch (field.name) {
    case 'in_port_oxm':
    case 'actset_output':
      return v < 0xff00 || v >= 0xffffff00;
    case 'nw_tos':
      return (v & ~0xfc) === 0;
    case 'ip_dscp':
      return v <= 0x3f;
    case 'nw_ecn':
    case 'ip_frag':
      return v <= 3;
    case 'tcp_flags':
      return v <= 0x0fff;
    case 'arp_op':
      return v <= 0xff;
    case 'dl_vlan':
      return v <= 0x0fff;
    case 'vlan_vid':
      return v <= 0x1fff;
    case 'dl_vlan_pcp':
    case 'vlan_pcp':
    case 'mpls_tc':
      return v <= 7;
    case 'ipv6_label':
    case 'mpls_label':
      return v <= 0xfffff;
    case 'mpls_bos':
    case 'tun_flags':
      return v <= 1;
    case 'ct_state':
      return v <= 0xff;
    case 'nsh_ttl':
      return v <= 63;
    case 'nsh_mdtype':
      return v === 1 || v === 2;
    case 'nsh_spi':
      return v <= 0xffffff;
    default:
      return true;
  }
}

interface Decoded {
  entries: MatchEntry[];
  cookie: { value: bigint; mask: bigint | null } | null;
}

/** The entry-by-entry TLV decoder (headers by string key, prerequisites searched in the entries). */
function refDecodeTlvs(b: Uint8Array, allowCookie: boolean, strict: boolean): Decoded {
  const r = new Reader(b, 0, b.length, 'OFPBMC_BAD_LEN');
  const entries: MatchEntry[] = [];
  let cookie: Decoded['cookie'] = null;
  const seen = new Set<string>();
  const bad = (code: 'OFPBMC_BAD_LEN'): never => {
    throw new OfpError(code);
  };
  while (r.left > 0) {
    if (r.left < 4) bad('OFPBMC_BAD_LEN');
    const h = r.u32();
    const cls = h >>> 16;
    const field = (h >>> 9) & 0x7f;
    const hasMask = ((h >>> 8) & 1) === 1;
    const length = h & 0xff;
    let experimenter = 0;
    if (cls === OXM_CLASS_EXPERIMENTER) {
      if (r.left < 4) bad('OFPBMC_BAD_LEN');
      if (length < 4) bad('OFPBMC_BAD_LEN');
      experimenter = r.u32();
    }
    const payloadLen = length - (cls === OXM_CLASS_EXPERIMENTER ? 4 : 0);
    if (r.left < payloadLen) bad('OFPBMC_BAD_LEN');
    const isCookie = cls === 1 && field === 30 && payloadLen === (hasMask ? 16 : 8);
    if (isCookie && allowCookie) {
      const value = r.u64();
      const mask = hasMask ? r.u64() : null;
      if (mask !== null && (value & ~mask) !== 0n) throw new OfpError('OFPBMC_BAD_WILDCARDS');
      if (cookie) throw new OfpError('OFPBMC_DUP_FIELD');
      cookie = { value, mask };
      continue;
    }
    const width = hasMask ? Math.floor(payloadLen / 2) : payloadLen;
    const payload = r.bytes(payloadLen);
    const value = payload.slice(0, width);
    const mask = hasMask ? payload.slice(width, 2 * width) : null;
    if (mask) {
      for (let i = 0; i < width; i++) if (value[i] & ~mask[i]) throw new OfpError('OFPBMC_BAD_WILDCARDS');
    }
    let info = refFieldByHeader(cls, field, experimenter);
    if (info) {
      const w = hasMask ? payloadLen / 2 : payloadLen;
      if (hasMask && payloadLen % 2 !== 0) info = undefined;
      else if (info.variable ? w < 1 || w > info.bytes : w !== info.bytes) info = undefined;
    }
    if (!info) throw new OfpError('OFPBMC_BAD_FIELD');
    if (mask && !info.maskable && !isAll(mask, 0) && !isAll(mask, 0xff))
      throw new OfpError('OFPBMC_BAD_MASK');
    if (!info.variable && !refIsValueValid(info, value)) throw new OfpError('OFPBMC_BAD_VALUE');
    if (strict) {
      if (!prereqsMet(info, entries)) throw new OfpError('OFPBMC_BAD_PREREQ');
      if (seen.has(info.name)) throw new OfpError('OFPBMC_DUP_FIELD');
    }
    seen.add(info.name);
    if (info.prereq !== 'none') seen.add('packet_type');
    entries.push({ field: info.name, value, mask });
  }
  return { entries, cookie };
}

function fromBytes(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function toBytes(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = v;
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function newWords(): MatchWords {
  return { value: new Uint32Array(FLOW_WORDS), mask: new Uint32Array(FLOW_WORDS) };
}

/** matchFromWire with bigints and name look-ups (nx_pull_raw + mf_set). */
function refMatchFromWire(entries: readonly MatchEntry[], strict: boolean): MatchWords {
  const m = newWords();
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.field === 'packet_type') {
      if (fromBytes(e.value) !== 0n || (e.mask && !isAll(e.mask, 0xff)))
        throw new OfpError('OFPBMC_BAD_VALUE');
      continue;
    }
    const oxmPort = e.field === 'in_port_oxm';
    const f = fieldByName(oxmPort ? 'in_port' : e.field);
    if (!f) throw new OfpError('OFPBMC_BAD_FIELD');
    const info = fieldInfo(e.field);
    if (!info) throw new OfpError('OFPBMC_BAD_FIELD');
    if (e.value.length !== info.bytes || (e.mask && e.mask.length !== info.bytes)) {
      throw new OfpError('OFPBMC_BAD_LEN');
    }
    if (strict) {
      if (seen.has(f.name)) throw new OfpError('OFPBMC_DUP_FIELD');
      if (!prerequisiteMet(f.prereq, m.value)) throw new OfpError('OFPBMC_BAD_PREREQ');
    }
    seen.add(f.name);
    const exact = e.mask === null || isAll(e.mask, 0xff);
    if (!exact && !info.maskable && e.mask?.some((b) => b !== 0)) throw new OfpError('OFPBMC_BAD_MASK');
    if (!refIsValueValid(info, e.value)) throw new OfpError('OFPBMC_BAD_VALUE');
    let value = fromBytes(e.value);
    if (oxmPort) {
      try {
        value = BigInt(portFromOf11(Number(value)));
      } catch {
        throw new OfpError('OFPBMC_BAD_VALUE');
      }
    }
    const mask = exact ? exactMask(f) : fromBytes(e.mask ?? new Uint8Array(0));
    setMatchField(f, m.value, m.mask, value, mask);
  }
  return m;
}

const ONES = new Uint32Array(FLOW_WORDS).fill(0xffffffff);

/** matchToWire with bigints and name look-ups (nx_put_raw). */
function refMatchToWire(m: MatchWords, version: number): MatchEntry[] {
  const oxm = version >= 3;
  const v = m.value;
  const k = m.mask;
  const out: MatchEntry[] = [];
  const wireBytes = (name: string) => fieldInfo(name)?.bytes ?? 0;
  const masked = (name: string, textName = name) => {
    const f = fieldByName(textName) as MatchField;
    const mask = getField(f, k);
    if (!mask) return;
    const value = getField(f, v) & mask;
    const n = wireBytes(name);
    const exact = mask === getField(f, ONES) || mask === exactMask(f);
    out.push({ field: name, value: toBytes(value, n), mask: exact ? null : toBytes(mask, n) });
  };
  const exact = (name: string, x: number) => {
    out.push({ field: name, value: toBytes(BigInt(x), wireBytes(name)), mask: null });
  };
  if (k[K_IN_PORT] & 0xffff) {
    const port = v[K_IN_PORT] & 0xffff;
    if (oxm) exact('in_port_oxm', portToOf11(port));
    else exact('in_port', port);
  }
  masked('eth_src');
  masked('eth_dst');
  masked('eth_type');
  if (oxm) {
    const tci = v[K_VLAN0] & 0xffff;
    const tciMask = k[K_VLAN0] & 0xffff;
    const vid = tci & 0x1fff;
    const vidMask = tciMask & 0x1fff;
    if (vidMask === 0x1fff) exact('vlan_vid', vid);
    else if (vidMask)
      out.push({ field: 'vlan_vid', value: toBytes(BigInt(vid), 2), mask: toBytes(BigInt(vidMask), 2) });
    if (vid && tciMask & 0xe000) exact('vlan_pcp', tci >>> 13);
  } else masked('vlan_tci');
  const dlType = v[K_DL_TYPE] & 0xffff;
  if (dlType === 0x0800 || dlType === 0x86dd) {
    if (dlType === 0x0800) {
      masked('ip_src');
      masked('ip_dst');
    } else {
      masked('ipv6_src');
      masked('ipv6_dst');
    }
    const fragMask = (k[K_NW] >>> NW_FRAG_SHIFT) & 3;
    if (fragMask) {
      const frag = (v[K_NW] >>> NW_FRAG_SHIFT) & 3;
      out.push({
        field: 'ip_frag',
        value: Uint8Array.of(frag),
        mask: fragMask === 3 ? null : Uint8Array.of(fragMask),
      });
    }
    const tos = (v[K_NW] >>> NW_TOS_SHIFT) & 0xff;
    const tosMask = (k[K_NW] >>> NW_TOS_SHIFT) & 0xff;
    if (tosMask & 0xfc) {
      if (oxm) exact('ip_dscp', tos >>> 2);
      else exact('nw_tos', tos & 0xfc);
    }
    if (tosMask & 0x03) exact('nw_ecn', tos & 0x03);
    if ((k[K_NW] >>> NW_TTL_SHIFT) & 0xff) exact('nw_ttl', (v[K_NW] >>> NW_TTL_SHIFT) & 0xff);
    masked('ipv6_label');
    if (k[K_NW] & 0xff) {
      const proto = v[K_NW] & 0xff;
      exact('nw_proto', proto);
      const tpSrc = v[K_TP] >>> 16;
      const tpDst = v[K_TP] & 0xffff;
      if (proto === 6) {
        masked('tcp_src');
        masked('tcp_dst');
        if (k[K_TCP_FLAGS] & 0x0fff) masked('tcp_flags');
      } else if (proto === 17) {
        masked('udp_src');
        masked('udp_dst');
      } else if (proto === 132) {
        masked('sctp_src');
        masked('sctp_dst');
      } else if (dlType === 0x0800 && proto === 1) {
        if (k[K_TP] >>> 16) exact('icmp_type', tpSrc & 0xff);
        if (k[K_TP] & 0xffff) exact('icmp_code', tpDst & 0xff);
      } else if (dlType === 0x86dd && proto === 58) {
        if (k[K_TP] >>> 16) exact('icmpv6_type', tpSrc & 0xff);
        if (k[K_TP] & 0xffff) exact('icmpv6_code', tpDst & 0xff);
        if (tpDst === 0 && (tpSrc === 135 || tpSrc === 136)) {
          masked('nd_target');
          if (tpSrc === 135) masked('nd_sll', 'arp_sha');
          else masked('nd_tll', 'arp_tha');
        }
      }
    }
  } else if (dlType === 0x0806 || dlType === 0x8035) {
    if (k[K_NW] & 0xff) exact('arp_op', v[K_NW] & 0xff);
    masked('arp_spa');
    masked('arp_tpa');
    masked('arp_sha');
    masked('arp_tha');
  }
  masked('tun_id');
  masked('tun_src');
  masked('tun_dst');
  if (version < 6) for (let i = 0; i < 16; i++) masked(`reg${i}`);
  else for (let i = 0; i < 8; i++) masked(`xreg${i}`);
  masked('metadata');
  return out;
}

/** encodeTlvs with the header chosen by headerFor() for every entry. */
function refEncodeTlvs(entries: readonly MatchEntry[], version: number): string {
  const w = new Writer();
  for (const e of entries) {
    const info = fieldInfo(e.field);
    if (!info) throw new OfpError('OFPBMC_BAD_FIELD');
    const h = headerFor(info, version);
    if (!h) throw new OfpError('OFPBMC_BAD_FIELD');
    const exp = h.cls === OXM_CLASS_EXPERIMENTER ? 4 : 0;
    const payload = (e.mask ? 2 : 1) * e.value.length + exp;
    w.u32(((h.cls << 16) | (h.field << 9) | (e.mask ? 0x100 : 0) | payload) >>> 0);
    if (exp) w.u32(h.experimenter);
    w.bytes(e.value);
    if (e.mask) w.bytes(e.mask);
  }
  return hex(w.finish());
}

// ---------------------------------------------------------------------------------------------------------
// Random matches.

/** Fields most generated entries use: the ones tsovs models and the ones prerequisites look at. */
const COMMON = [
  'eth_type',
  'nw_proto',
  'eth_src',
  'eth_dst',
  'vlan_tci',
  'vlan_vid',
  'vlan_pcp',
  'ip_src',
  'ip_dst',
  'ipv6_src',
  'ipv6_dst',
  'ipv6_label',
  'nw_tos',
  'ip_dscp',
  'nw_ecn',
  'nw_ttl',
  'ip_frag',
  'tcp_src',
  'tcp_dst',
  'tcp_flags',
  'udp_src',
  'udp_dst',
  'sctp_src',
  'sctp_dst',
  'icmp_type',
  'icmp_code',
  'icmpv6_type',
  'icmpv6_code',
  'nd_target',
  'nd_sll',
  'nd_tll',
  'arp_op',
  'arp_spa',
  'arp_tpa',
  'arp_sha',
  'arp_tha',
  'in_port',
  'in_port_oxm',
  'packet_type',
  'tun_id',
  'tun_src',
  'tun_dst',
  'metadata',
  'reg0',
  'reg5',
  'xreg1',
  'ct_state',
  'ct_nw_src',
  'mpls_label',
  'tun_metadata3',
  'dp_hash',
  'nsh_mdtype',
  'nsh_spi',
  'actset_output',
].map((n) => fieldInfo(n) as FieldInfo);

/** A value for a field, mostly one that the prerequisites of other fields care about. */
function randomValue(rng: Rng, info: FieldInfo, width: number): Uint8Array {
  const num = (v: number) => {
    const b = new Uint8Array(width);
    for (let i = width - 1, x = v; i >= 0; i--, x = Math.floor(x / 256)) b[i] = x & 0xff;
    return b;
  };
  if (rng.chance(0.7)) {
    switch (info.name) {
      case 'eth_type':
        return num(rng.pick([0x0800, 0x86dd, 0x0806, 0x8035, 0x8847, 0x894f, 0x1234]));
      case 'nw_proto':
        return num(rng.pick([6, 17, 1, 58, 132, 0]));
      case 'icmpv6_type':
        return num(rng.pick([135, 136, 1]));
      case 'icmpv6_code':
      case 'packet_type':
        return num(rng.pick([0, 0, 1, 0x10000]));
      case 'vlan_vid':
      case 'vlan_tci':
        return num(rng.pick([0x1000, 0x1005, 0x0005, 0x1fff, 0xf123]));
      case 'ct_state':
        return num(rng.pick([0x20, 0x21, 0x30, 0x00, 0x120]));
      case 'in_port_oxm':
      case 'actset_output':
        return num(rng.pick([1, 0xfffffffe, 0xff00, 0xfffffffd, 7]));
      case 'nsh_mdtype':
        return num(rng.pick([1, 2, 3]));
      case 'ip_frag':
      case 'nw_ecn':
        return num(rng.int(5));
      case 'ip_dscp':
      case 'vlan_pcp':
        return num(rng.int(0x48));
    }
  }
  return rng.chance(0.2) ? new Uint8Array(width) : rng.bytes(width);
}

/** For each field with a prerequisite, entries (field, value choices) that establish it, in order. */
const RECIPES: readonly [string, readonly (readonly [string, readonly number[]])[]][] = [
  [
    'nd_target',
    [
      ['eth_type', [0x86dd]],
      ['nw_proto', [58]],
      ['icmpv6_type', [135, 136]],
      ['icmpv6_code', [0]],
    ],
  ],
  [
    'nd_sll',
    [
      ['eth_type', [0x86dd]],
      ['nw_proto', [58]],
      ['icmpv6_type', [135]],
      ['icmpv6_code', [0]],
    ],
  ],
  [
    'nd_tll',
    [
      ['eth_type', [0x86dd]],
      ['nw_proto', [58]],
      ['icmpv6_type', [136]],
      ['icmpv6_code', [0]],
    ],
  ],
  [
    'vlan_pcp',
    [
      ['vlan_vid', [0x1000, 0x1005]],
      ['vlan_tci', [0x1000, 0x2005]],
    ],
  ],
  ['ct_nw_src', [['ct_state', [0x20, 0x21]]]],
  ['ct_tp_dst', [['ct_state', [0x22, 0x30]]]],
  [
    'tcp_src',
    [
      ['eth_type', [0x0800, 0x86dd]],
      ['nw_proto', [6]],
    ],
  ],
  [
    'udp_dst',
    [
      ['eth_type', [0x0800, 0x86dd]],
      ['nw_proto', [17]],
    ],
  ],
  [
    'sctp_src',
    [
      ['eth_type', [0x0800, 0x86dd]],
      ['nw_proto', [132]],
    ],
  ],
  [
    'icmp_type',
    [
      ['eth_type', [0x0800]],
      ['nw_proto', [1]],
    ],
  ],
  [
    'icmpv6_code',
    [
      ['eth_type', [0x86dd]],
      ['nw_proto', [58]],
    ],
  ],
  ['arp_op', [['eth_type', [0x0806, 0x8035]]]],
  ['ipv6_src', [['eth_type', [0x86dd]]]],
  ['ip_src', [['eth_type', [0x0800]]]],
  ['nw_ttl', [['eth_type', [0x0800, 0x86dd]]]],
  ['mpls_label', [['eth_type', [0x8847, 0x8848]]]],
  ['nsh_spi', [['eth_type', [0x894f]]]],
  ['eth_src', [['packet_type', [0, 0x10000]]]],
];

/** Values of the fields prerequisites read, right and wrong ones. */
const INPUT_VALUES: Readonly<Record<string, readonly number[]>> = {
  eth_type: [0x0800, 0x86dd, 0x0806, 0x8847, 0x894f, 0x1234],
  nw_proto: [6, 17, 58, 1, 132, 0],
  icmpv6_type: [135, 136, 1],
  icmpv6_code: [0, 1],
  vlan_vid: [0x1000, 0x0005, 0x1fff],
  vlan_tci: [0x1000, 0x0005, 0xefff],
  ct_state: [0x20, 0x30, 0x00, 0x21],
  packet_type: [0, 0x10000, 1],
};

function numberBytes(v: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = n - 1, x = v; i >= 0; i--, x = Math.floor(x / 256)) b[i] = x & 0xff;
  return b;
}

/** An entry of `name` = `v`, maybe with a mask (all-ones, none, or one the value fits). */
function writeValue(rng: Rng, w: Writer, name: string, v: number): void {
  const info = fieldInfo(name) as FieldInfo;
  const h = rng.pick(info.headers);
  const value = numberBytes(v, info.bytes);
  let mask: Uint8Array | null = null;
  if (rng.chance(0.2)) {
    const kind = rng.int(3);
    mask =
      kind === 0
        ? new Uint8Array(info.bytes).fill(0xff)
        : kind === 1
          ? new Uint8Array(info.bytes)
          : value.map((x) => x | rng.int(256));
    for (let k = 0; k < info.bytes; k++) value[k] &= mask[k];
  }
  const exp = h.cls === OXM_CLASS_EXPERIMENTER ? 4 : 0;
  w.u32(((h.cls << 16) | (h.field << 9) | (mask ? 0x100 : 0) | ((mask ? 2 : 1) * info.bytes + exp)) >>> 0);
  if (exp) w.u32(h.experimenter);
  w.bytes(value);
  if (mask) w.bytes(mask);
}

/**
 * The entries that establish a field's prerequisite, then the field, often spoilt: a value changed, an
 * entry dropped or duplicated, the order shuffled, packet_type or the other VLAN field added.
 */
function writeRecipe(rng: Rng, w: Writer): void {
  const [target, chain] = rng.pick(RECIPES);
  let steps = chain.map(([name, values]) => [name, rng.pick(values)] as [string, number]);
  // vlan_pcp's recipe names both VLAN fields: keep one, or both (then vlan_vid decides).
  if (target === 'vlan_pcp' && rng.chance(0.6)) steps = [rng.pick(steps)];
  if (rng.chance(0.3)) {
    const i = rng.int(steps.length);
    steps[i] = [steps[i][0], rng.pick(INPUT_VALUES[steps[i][0]] ?? [0])];
  }
  if (rng.chance(0.15) && steps.length > 1) steps.splice(rng.int(steps.length), 1);
  if (rng.chance(0.1)) steps.push(rng.pick(steps));
  if (rng.chance(0.15)) steps.sort(() => (rng.chance(0.5) ? 1 : -1));
  if (rng.chance(0.15)) steps.unshift(['packet_type', rng.pick(INPUT_VALUES.packet_type)]);
  if (rng.chance(0.1)) steps.push(['vlan_tci', rng.pick(INPUT_VALUES.vlan_tci)]);
  for (const [name, v] of steps) writeValue(rng, w, name, v);
  writeEntry(rng, w, fieldInfo(target) as FieldInfo, rng.chance(0.2));
  if (rng.chance(0.3)) writeEntry(rng, w, fieldInfo(rng.pick(RECIPES)[0]) as FieldInfo, false);
}

/** Random TLVs: mostly well formed, with wrong lengths, unknown headers, bad masks and cookies mixed in. */
function randomTlvs(rng: Rng, nxm: boolean): Uint8Array {
  const w = new Writer();
  // Half the time, a field with what its prerequisite needs before it (or not quite).
  if (rng.chance(0.5)) {
    writeRecipe(rng, w);
    return w.finish();
  }
  const n = rng.int(7);
  for (let i = 0; i < n; i++) {
    if (rng.chance(0.04)) {
      // Garbage: a truncated or unknown header.
      w.bytes(rng.bytes(rng.int(9)));
      continue;
    }
    if (nxm && rng.chance(0.05)) {
      // NXM_NX_COOKIE, maybe masked, maybe with value bits outside the mask.
      const masked = rng.chance(0.5);
      w.u32(((1 << 16) | (30 << 9) | (masked ? 0x100 : 0) | (masked ? 16 : 8)) >>> 0);
      const v = rng.bytes(8);
      const m = masked ? rng.bytes(8) : null;
      if (m && rng.chance(0.8)) for (let k = 0; k < 8; k++) v[k] &= m[k];
      w.bytes(v);
      if (m) w.bytes(m);
      continue;
    }
    writeEntry(rng, w, rng.chance(0.85) ? rng.pick(COMMON) : rng.pick(ALL_FIELDS), rng.chance(0.35));
  }
  return w.finish();
}

/** One TLV of `info`, with one of its headers, sometimes with a wrong length or a mask not fitting. */
function writeEntry(rng: Rng, w: Writer, info: FieldInfo, masked: boolean): void {
  {
    if (info.headers.length === 0) return;
    const h = rng.pick(info.headers);
    let width = info.variable ? 1 + rng.int(8) : info.bytes;
    if (rng.chance(0.03)) width += rng.chance(0.5) ? 1 : -1;
    if (width < 0) width = 0;
    const value = randomValue(rng, info, width);
    let mask: Uint8Array | null = null;
    if (masked) {
      const kind = rng.int(4);
      mask =
        kind === 0 ? new Uint8Array(width).fill(0xff) : kind === 1 ? new Uint8Array(width) : rng.bytes(width);
      if (rng.chance(0.9)) for (let k = 0; k < width; k++) value[k] &= mask[k];
    }
    const exp = h.cls === OXM_CLASS_EXPERIMENTER ? 4 : 0;
    let payload = (masked ? 2 * width : width) + exp;
    if (rng.chance(0.02)) payload = (payload + 1) & 0xff;
    w.u32(((h.cls << 16) | (h.field << 9) | (masked ? 0x100 : 0) | (payload & 0xff)) >>> 0);
    if (exp) w.u32(h.experimenter);
    w.bytes(value);
    if (mask) w.bytes(mask);
  }
}

function outcomeText(o: { ok: unknown } | { error: string }): string {
  return 'error' in o ? o.error : 'decoded';
}

function entriesText(entries: readonly MatchEntry[]): string {
  return entries.map((e) => `${e.field}=${hex(e.value)}${e.mask ? `/${hex(e.mask)}` : ''}`).join(',');
}

function wordsText(m: MatchWords): string {
  return `${Array.from(m.value).join(' ')} / ${Array.from(m.mask).join(' ')}`;
}

// ---------------------------------------------------------------------------------------------------------

describe('TLV decoding and matchFromWire: fast paths against the general code', () => {
  it('give the same entries, words or error codes for random NXM and OXM matches', () => {
    const rng = new Rng(0x5eed1234);
    const stats = { decoded: 0, converted: 0, errors: new Map<string, number>() };
    for (let i = 0; i < 40000; i++) {
      const nxm = rng.chance(0.5);
      const strict = rng.chance(0.8);
      const b = randomTlvs(rng, nxm);
      const got = outcome(() => decodeTlvs(new Reader(b), b.length, { allowCookie: nxm, strict }));
      const want = outcome(() => refDecodeTlvs(b, nxm, strict));
      const context = `case ${i}: ${hex(b)} (nxm ${nxm}, strict ${strict})`;
      if ('error' in want) {
        assert.deepEqual(got, want, context);
        stats.errors.set(want.error, (stats.errors.get(want.error) ?? 0) + 1);
        continue;
      }
      assert.ok('ok' in got, `${context}: ${outcomeText(got)}`);
      assert.equal(entriesText(got.ok.entries), entriesText(want.ok.entries), context);
      assert.deepEqual(got.ok.cookie, want.ok.cookie, context);
      stats.decoded++;
      // Converted strictly or not whatever the decoding was, to reach the conversion's own checks.
      const strictWords = rng.chance(0.8);
      const words = outcome(() => matchFromWire(got.ok.entries, { strict: strictWords }));
      const refWords = outcome(() => refMatchFromWire(want.ok.entries, strictWords));
      if ('error' in refWords) {
        assert.deepEqual(words, refWords, context);
        stats.errors.set(`conv ${refWords.error}`, (stats.errors.get(`conv ${refWords.error}`) ?? 0) + 1);
      } else {
        assert.ok('ok' in words, `${context}: ${outcomeText(words)}`);
        assert.equal(wordsText(words.ok), wordsText(refWords.ok), context);
        stats.converted++;
      }
    }
    // The generator must reach the interesting cases, not only errors.
    if (process.env.FAST_PATHS_STATS) console.log(stats);
    assert.ok(stats.decoded > 5000, `decoded ${stats.decoded}`);
    assert.ok(stats.converted > 2000, `converted ${stats.converted}`);
    for (const code of [
      'OFPBMC_BAD_LEN',
      'OFPBMC_BAD_FIELD',
      'OFPBMC_BAD_WILDCARDS',
      'OFPBMC_BAD_MASK',
      'OFPBMC_BAD_VALUE',
      'OFPBMC_BAD_PREREQ',
      'OFPBMC_DUP_FIELD',
      'conv OFPBMC_BAD_PREREQ',
      'conv OFPBMC_BAD_FIELD',
      'conv OFPBMC_DUP_FIELD',
      'conv OFPBMC_BAD_VALUE',
    ]) {
      assert.ok((stats.errors.get(code) ?? 0) > 10, `${code}: ${stats.errors.get(code) ?? 0}`);
    }
  });

  it('decodeOxmMatch and decodeNxMatch read the same entries as the general decoder', () => {
    const rng = new Rng(0xabcdef01);
    for (let i = 0; i < 5000; i++) {
      const nxm = rng.chance(0.5);
      const tlvs = randomTlvs(rng, nxm);
      const w = new Writer();
      if (!nxm) w.u16(1).u16(4 + tlvs.length);
      w.bytes(tlvs);
      w.pad8();
      w.u32(0xdeadbeef);
      const b = w.finish();
      const r = new Reader(b);
      const got = outcome(() =>
        nxm
          ? decodeNxMatch(r, tlvs.length, { allowCookie: true, strict: true }).entries
          : decodeOxmMatch(r, { strict: true }),
      );
      const want = outcome(() => refDecodeTlvs(tlvs, nxm, true).entries);
      const context = `case ${i}: ${hex(b)}`;
      if ('error' in want) assert.deepEqual(got, want, context);
      else {
        assert.ok('ok' in got, `${context}: ${outcomeText(got)}`);
        assert.equal(entriesText(got.ok), entriesText(want.ok), context);
        // The reader is left after the padding.
        assert.equal(r.u32(), 0xdeadbeef, context);
      }
    }
  });

  it('matchFromWire takes entries of any origin: aliases, odd lengths, unknown names', () => {
    const cases: MatchEntry[][] = [
      [{ field: 'dl_type', value: Uint8Array.of(8, 0), mask: null }],
      [{ field: 'eth_type', value: Uint8Array.of(8), mask: null }],
      [{ field: 'no_such_field', value: Uint8Array.of(8), mask: null }],
      [{ field: 'ct_mark', value: new Uint8Array(4), mask: null }],
      [
        { field: 'in_port', value: Uint8Array.of(0, 5), mask: null },
        { field: 'in_port_oxm', value: Uint8Array.of(0, 0, 0, 5), mask: null },
      ],
      [{ field: 'in_port_oxm', value: Uint8Array.of(0, 0, 0xff, 0), mask: null }],
      [{ field: 'in_port_oxm', value: Uint8Array.of(0xff, 0xff, 0xff, 0xfe), mask: new Uint8Array(4) }],
      [{ field: 'packet_type', value: Uint8Array.of(0, 1, 0, 0), mask: null }],
      [{ field: 'packet_type', value: new Uint8Array(4), mask: Uint8Array.of(0xff, 0xff, 0, 0) }],
    ];
    for (const entries of cases) {
      for (const strict of [true, false]) {
        const got = outcome(() => wordsText(matchFromWire(entries, { strict })));
        const want = outcome(() => wordsText(refMatchFromWire(entries, strict)));
        assert.deepEqual(got, want, entriesText(entries));
      }
    }
  });
});

describe('matchToWire and encodeTlvs: fast paths against the general code', () => {
  it('give the same entries and bytes for random match words', () => {
    const rng = new Rng(0x13572468);
    const dlTypes = [0x0800, 0x86dd, 0x0806, 0x8035, 0x88cc];
    const protos = [6, 17, 132, 1, 58, 47];
    for (let i = 0; i < 20000; i++) {
      const m = newWords();
      for (let k = 0; k < FLOW_WORDS; k++) {
        if (rng.chance(0.15)) m.mask[k] = rng.chance(0.5) ? 0xffffffff : rng.next();
        if (rng.chance(0.3)) m.value[k] = rng.next();
      }
      // Most matches name no tunnel field, register or metadata (the words from K_TUN_ID_HI on).
      if (rng.chance(0.5)) m.mask.fill(0, K_TUN_ID_HI);
      m.value[K_DL_TYPE] = rng.pick(dlTypes);
      m.mask[K_DL_TYPE] = 0xffff;
      if (rng.chance(0.8)) {
        m.value[K_NW] = (m.value[K_NW] & ~0xff) | rng.pick(protos);
        m.mask[K_NW] |= 0xff;
      }
      if (rng.chance(0.3))
        m.value[K_TP] = ((rng.pick([135, 136, 1]) << 16) | (rng.chance(0.7) ? 0 : 1)) >>> 0;
      const version = rng.pick([0, 1, 3, 4, 5, 6]);
      const got = matchToWire(m, version);
      const want = refMatchToWire(m, version);
      const context = `case ${i}: ${wordsText(m)} version ${version}`;
      assert.equal(entriesText(got), entriesText(want), context);
      const oxm = Math.max(version, 3);
      const w = new Writer();
      encodeTlvs(w, got, version < 3 ? 0 : oxm);
      assert.equal(hex(w.finish()), refEncodeTlvs(want, version < 3 ? 0 : oxm), context);
    }
  });
});

describe('fields.ts number and byte paths against the bigint ones', () => {
  it('getField32 / getFieldBytes read what getField reads', () => {
    const rng = new Rng(0x24681357);
    for (let i = 0; i < 3000; i++) {
      const words = new Uint32Array(FLOW_WORDS);
      for (let k = 0; k < FLOW_WORDS; k++) words[k] = rng.chance(0.5) ? rng.next() : 0;
      for (const f of TEXT_FIELDS) {
        const want = getField(f, words);
        if (f.bytes <= 4) assert.equal(getField32(f, words), Number(want), f.name);
        const out = new Uint8Array(f.bytes + 2).fill(0xaa);
        getFieldBytes(f, words, out, 1);
        assert.equal(hex(out), `aa${hex(toBytes(want, f.bytes))}aa`, f.name);
      }
    }
  });

  it('setMatchField32 / setMatchFieldBytes make the words setMatchField makes', () => {
    const rng = new Rng(0x11223344);
    for (let i = 0; i < 1000; i++) {
      const start = newWords();
      for (let k = 0; k < FLOW_WORDS; k++) {
        if (rng.chance(0.3)) start.mask[k] = rng.next();
        start.value[k] = start.mask[k] & rng.next();
      }
      for (const f of TEXT_FIELDS) {
        const v = rng.bytes(f.bytes);
        const kind = rng.int(4);
        const m =
          kind === 0
            ? null
            : kind === 1
              ? new Uint8Array(f.bytes)
              : kind === 2
                ? new Uint8Array(f.bytes).fill(0xff)
                : rng.bytes(f.bytes);
        const want = { value: start.value.slice(), mask: start.mask.slice() };
        setMatchField(f, want.value, want.mask, fromBytes(v), m ? fromBytes(m) : exactMask(f));
        const got = { value: start.value.slice(), mask: start.mask.slice() };
        setMatchFieldBytes(f, got.value, got.mask, v, m);
        assert.equal(wordsText(got), wordsText(want), `${f.name} ${hex(v)}/${m ? hex(m) : '-'}`);
        if (f.bytes <= 4) {
          const got32 = { value: start.value.slice(), mask: start.mask.slice() };
          setMatchField32(f, got32.value, got32.mask, be(v), m ? be(m) : Number(exactMask(f)));
          assert.equal(wordsText(got32), wordsText(want), `${f.name} (32) ${hex(v)}/${m ? hex(m) : '-'}`);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

function encodedInstructions(insts: Instruction[], version: number): Uint8Array {
  const w = new Writer();
  encodeInstructions(w, insts, version);
  return w.finish();
}

function decodeAt(b: Uint8Array, version: number, pad = 0): Instruction[] {
  // At an offset in a larger buffer, as in a message.
  const buf = new Uint8Array(b.length + pad + 8);
  buf.set(b, pad);
  const r = new Reader(buf, pad, pad + b.length);
  const out = decodeInstructions(r, b.length, version);
  assert.equal(r.left, 0);
  return out;
}

describe('decoded instruction and action lists reused for equal bytes', () => {
  const lists: Instruction[][] = [
    [{ type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }] }],
    [{ type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] }],
    [
      { type: 'meter', meterId: 3 },
      { type: 'goto_table', tableId: 2 },
    ],
    [
      {
        type: 'apply_actions',
        actions: [{ type: 'set_field', field: 'ip_dst', value: Uint8Array.of(10, 0, 0, 1), mask: null }],
      },
      { type: 'write_metadata', metadata: 5n, mask: 0xffn },
    ],
    [{ type: 'clear_actions' }, { type: 'write_actions', actions: [{ type: 'group', value: 7 }] }],
    [],
  ];

  it('give what a fresh decoding gives, in any order and at any offset', () => {
    const rng = new Rng(0x77777777);
    for (let i = 0; i < 300; i++) {
      const k = rng.int(lists.length);
      const version = rng.pick([4, 5]);
      const b = encodedInstructions(lists[k], version);
      assert.deepEqual(decodeAt(b, version, rng.int(24)), lists[k], `list ${k}`);
    }
  });

  it('hand out the same list, frozen, for the same bytes', () => {
    const b = encodedInstructions(lists[3], 4);
    const a = decodeAt(b, 4);
    const again = decodeAt(b, 4, 16);
    assert.equal(again, a);
    assert.ok(Object.isFrozen(a) && Object.isFrozen(a[0]));
    const apply = a[0] as Extract<Instruction, { type: 'apply_actions' }>;
    assert.ok(Object.isFrozen(apply.actions) && Object.isFrozen(apply.actions[0]));
    assert.throws(() => (a as Instruction[]).push({ type: 'clear_actions' }), TypeError);
    assert.throws(() => {
      (apply.actions[0] as { field: string }).field = 'ip_src';
    }, TypeError);
  });

  it('keep versions apart and never remember an error', () => {
    // A meter instruction is OpenFlow 1.3's, unknown in 1.5: the 1.3 list must not answer for 1.5.
    const b = encodedInstructions([{ type: 'meter', meterId: 9 }], 4);
    assert.deepEqual(decodeAt(b, 4), [{ type: 'meter', meterId: 9 }]);
    assert.throws(
      () => decodeAt(b, 6),
      (e: unknown) => e instanceof OfpError && e.code === 'OFPBIC_UNKNOWN_INST',
    );
    assert.throws(
      () => decodeAt(b, 6),
      (e: unknown) => e instanceof OfpError && e.code === 'OFPBIC_UNKNOWN_INST',
    );
    assert.deepEqual(decodeAt(b, 4), [{ type: 'meter', meterId: 9 }]);
    // Output to port 0 is refused each time, also after output:1 of the same length was decoded.
    const good = encodedInstructions(lists[0], 4);
    const bad = good.slice();
    // The 32-bit port (after the instruction's 8 bytes and the action's type and length) becomes 0xff00.
    bad[14] = 0xff;
    bad[15] = 0;
    decodeAt(good, 4);
    assert.throws(
      () => decodeAt(bad, 4),
      (e: unknown) => e instanceof OfpError && e.code === 'OFPBAC_BAD_OUT_PORT',
    );
    assert.throws(
      () => decodeAt(bad, 4),
      (e: unknown) => e instanceof OfpError && e.code === 'OFPBAC_BAD_OUT_PORT',
    );
  });

  it('for OpenFlow 1.0 and Nicira flow mod action lists too, and only those', () => {
    const actions: OfAction[] = [{ type: 'output', port: 3, maxLen: 0 }];
    const w = new Writer();
    encodeActionList(w, actions, 1);
    const b = w.finish();
    const a = decodeActionList(new Reader(b), b.length, 1, FLOW_ACTIONS);
    assert.deepEqual(a, actions);
    assert.equal(decodeActionList(new Reader(b), b.length, 1, FLOW_ACTIONS), a);
    assert.ok(Object.isFrozen(a));
    // Other lists (packet-out, groups) are decoded afresh each time and left as they are.
    const other = decodeActionList(new Reader(b), b.length, 1, APPLY_ONLY);
    assert.deepEqual(other, actions);
    assert.notEqual(other, a);
    assert.ok(!Object.isFrozen(other));
  });
});
