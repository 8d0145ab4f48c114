// The bridge between the two OpenFlow representations: the text layer (flow words + OfpAction, what
// ovs-ofctl's syntax parses into and prints from) and the wire layer (MatchEntry lists, OfAction and
// Instruction, what the codec reads and writes). The choices follow Open vSwitch's own encoders and
// decoders so that a flow sent by us is byte for byte the flow ovs-ofctl sends:
//   - matches: nx_put_raw() (field order, exact vs masked entries, NXM vs OXM spellings of VLAN and DSCP
//     and in_port) and nx_pull_raw() + mf_set() (prerequisites, duplicates, value checks);
//   - actions: the encode_*() / decode_*() pairs of lib/ofp-actions.c, including the version-specific
//     rewrites (mod_vlan_vid becomes push_vlan + set_field in OpenFlow 1.2+, set_field becomes reg_load or
//     a legacy OpenFlow 1.0 action, goto_table becomes resubmit in OpenFlow 1.0 ...);
//   - instructions: ofpacts_put_openflow_instructions() / ofpacts_pull_openflow_instructions().
// Port numbers are 16-bit OpenFlow 1.0 ports on both sides; the wire codec maps them to 32 bits itself.

import { F_REGS, FLOW_WORDS, FlowWordsPool } from '../ofproto/of-flow.js';
import {
  K_DL_TYPE,
  K_IN_PORT,
  K_NW,
  K_TCP_FLAGS,
  K_TP,
  K_VLAN0,
  K_VLAN1,
  NW_FRAG_SHIFT,
  NW_TOS_SHIFT,
  NW_TTL_SHIFT,
  VLAN_PRESENT,
} from '../packet/flow-key.js';
import { RoundMarks } from '../util/marks.js';
import type { HashFields, OfpAction, PacketInReason, LearnSpec as TextLearnSpec } from './action-text.js';
import {
  exactMask,
  fieldByName,
  getField,
  getFieldBytes,
  type MatchField,
  ones,
  prerequisiteMet,
  type Subfield,
  setField,
  setMatchField32,
  setMatchFieldBytes,
  FIELDS as TEXT_FIELDS,
} from './fields.js';
import { OFPG_ANY, type ParsedFlow, TABLE_ANY } from './flow-text.js';
import type { MatchWords } from './match-text.js';
import type { FlowMod, FlowStatsRequest } from './messages.js';
import {
  type Controller2Prop,
  type Instruction,
  type OfAction,
  portFromOf11,
  portToOf11,
  type LearnSpec as WireLearnSpec,
} from './messages-actions.js';
import {
  type FieldInfo,
  fieldInfo,
  headerFor,
  type MatchEntry,
  OXM_CLASS_EXPERIMENTER,
  valueRuleOf,
} from './oxm.js';
import { of10Unencodable } from './oxm-of10.js';
import { OFPP_IN_PORT } from './port-text.js';
import { formatMac48 } from './text-util.js';
import { OFP10_VERSION, OFP11_VERSION, OFP12_VERSION, OFP13_VERSION, OFP15_VERSION } from './wire.js';
import { OfpError } from './wire-errors.js';

export type { MatchWords } from './match-text.js';

const ETH_TYPE_IP = 0x0800;
const ETH_TYPE_IPV6 = 0x86dd;
const ETH_TYPE_ARP = 0x0806;
const ETH_TYPE_RARP = 0x8035;
const ETH_TYPE_VLAN = 0x8100;
const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_SCTP = 132;
const IPPROTO_ICMPV6 = 58;
const ND_SOLICIT = 135;
const ND_ADVERT = 136;
const NX_CTLR_NO_METER = 0xffffffff;
const OFP14_VERSION = 0x05;

// ---------------------------------------------------------------------------------------------------------
// Small helpers.

/** Every bit set: reading a field from it gives the field's "exact" mask in the text layer's storage. */
const ONES = new Uint32Array(FLOW_WORDS).fill(0xffffffff);

/** `v` as `n` big-endian bytes (high bits beyond n bytes dropped). */
function toBytes(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = v;
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function fromBytes(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function isAllOnes(b: Uint8Array): boolean {
  return b.every((x) => x === 0xff);
}

/** The text-layer field of a wire field name; OFPBMC_BAD_FIELD when tsovs does not model it. */
function textField(
  name: string,
  code: 'OFPBMC_BAD_FIELD' | 'OFPBAC_BAD_SET_TYPE' = 'OFPBMC_BAD_FIELD',
): MatchField {
  const f = fieldByName(name);
  if (!f) throw new OfpError(code, `field ${name} is not supported by tsovs`);
  return f;
}

/** The wire (oxm.ts) name of a text-layer field; the two registries share Open vSwitch's names. */
function wireName(f: MatchField): string {
  const info = fieldInfo(f.name);
  if (!info) throw new Error(`field ${f.name} has no wire form`);
  return info.name;
}

/**
 * True when the field can be named by a 32-bit header, as NXAST_REG_LOAD and NXAST_OUTPUT_REG need (OVS
 * mf_nxm_header(): any header but an experimenter OXM, so OXM_OF_METADATA counts).
 */
function hasNxmHeader(name: string): boolean {
  const info = fieldInfo(name);
  const h = info ? headerFor(info, 0) : null;
  return h !== null && h.cls !== OXM_CLASS_EXPERIMENTER;
}

function wireBytes(name: string): number {
  const info = fieldInfo(name);
  if (!info) throw new Error(`unknown wire field ${name}`);
  return info.bytes;
}

// ---------------------------------------------------------------------------------------------------------
// Matches.

/** Options for matchFromWire. */
export interface MatchFromWireOptions {
  /**
   * Check prerequisites in entry order and refuse duplicates, as Open vSwitch's strict decoding of flow
   * mods and requests does (default true). Turn off for OpenFlow 1.0 ofp10_match entries, whose fields
   * come without their prerequisites when the wildcards allow it.
   */
  readonly strict?: boolean;
}

/**
 * What matchFromWire needs of a wire field name, worked out once per name: the text-layer field (the
 * OXM in_port is the 16-bit in_port), its place for the duplicate check, the wire field and its value
 * rule. Looking these up by name for every entry of every flow mod cost more than the conversion.
 */
interface WireField {
  /** The text-layer field, or undefined when tsovs does not model it (OFPBMC_BAD_FIELD). */
  readonly f: MatchField | undefined;
  /** f's position in FIELDS (duplicate check), -1 without f. */
  readonly textId: number;
  /** The wire field, or undefined for a name the wire codec does not know (OFPBMC_BAD_FIELD). */
  readonly info: FieldInfo | undefined;
  readonly rule: ((v: number) => boolean) | null;
  /** OXM_OF_IN_PORT: a 32-bit OpenFlow 1.1 port number. */
  readonly oxmPort: boolean;
}

const TEXT_IDS = new Map<MatchField, number>(TEXT_FIELDS.map((f, i) => [f, i]));
const WIRE_FIELDS = new Map<string, WireField>();

function wireField(name: string): WireField {
  let w = WIRE_FIELDS.get(name);
  if (w === undefined) {
    const oxmPort = name === 'in_port_oxm';
    const f = fieldByName(oxmPort ? 'in_port' : name);
    const info = fieldInfo(name);
    w = {
      f,
      textId: f ? (TEXT_IDS.get(f) ?? -1) : -1,
      info,
      rule: info ? valueRuleOf(info) : null,
      oxmPort,
    };
    // Only names one of the registries knows are kept, so that odd names cannot grow the table.
    if (f || info) WIRE_FIELDS.set(name, w);
  }
  return w;
}

/** Zeroed words for decoded matches, which live until copied into a rule or printed. */
const decodedPool = new FlowWordsPool();

function decodedWords(): Uint32Array {
  return decodedPool.alloc();
}

/** The text fields matchFromWire has set in the current match (by TEXT_IDS). */
const seen = new RoundMarks(TEXT_FIELDS.length);

function allBytes(b: Uint8Array, v: number): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== v) return false;
  return true;
}

/** Big-endian number of the (at most 4) bytes of `b`. */
function be32(b: Uint8Array): number {
  let v = 0;
  for (let i = 0; i < b.length; i++) v = v * 256 + b[i];
  return v;
}

/**
 * A wire match as flow words (OVS nx_pull_raw + mf_set). Throws OfpError: OFPBMC_BAD_PREREQ for a field
 * whose prerequisites the entries before it do not establish, OFPBMC_DUP_FIELD for a repeated field,
 * OFPBMC_BAD_VALUE / OFPBMC_BAD_MASK for values and masks the field cannot take, OFPBMC_BAD_FIELD for a
 * field tsovs does not model (conntrack, MPLS, tunnel metadata, ...).
 */
export function matchFromWire(
  entries: readonly MatchEntry[],
  options: MatchFromWireOptions = {},
): MatchWords {
  const strict = options.strict ?? true;
  const m: MatchWords = { value: decodedWords(), mask: decodedWords() };
  seen.begin();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.field === 'packet_type') {
      // Only Ethernet (packet_type 0,0) is a packet type tsovs matches, and it is what every match implies.
      if (!allBytes(e.value, 0) || (e.mask && !allBytes(e.mask, 0xff))) {
        throw new OfpError('OFPBMC_BAD_VALUE', 'only Ethernet packet_type is supported by tsovs');
      }
      continue;
    }
    const w = wireField(e.field);
    const f = w.f;
    if (!f) throw new OfpError('OFPBMC_BAD_FIELD', `field ${e.field} is not supported by tsovs`);
    const info = w.info;
    if (!info) throw new OfpError('OFPBMC_BAD_FIELD', `unknown field ${e.field}`);
    if (e.value.length !== info.bytes || (e.mask && e.mask.length !== info.bytes)) {
      throw new OfpError('OFPBMC_BAD_LEN', `${e.field} takes ${info.bytes} bytes`);
    }
    if (strict) {
      if (seen.has(w.textId)) throw new OfpError('OFPBMC_DUP_FIELD', `${e.field} appears twice`);
      if (!prerequisiteMet(f.prereq, m.value)) {
        throw new OfpError('OFPBMC_BAD_PREREQ', `${e.field} requires ${f.prereq} earlier in the match`);
      }
    }
    seen.mark(w.textId);
    const exact = e.mask === null || allBytes(e.mask, 0xff);
    if (!exact && !info.maskable && !allBytes(e.mask ?? e.value, 0)) {
      throw new OfpError('OFPBMC_BAD_MASK', `${e.field} cannot be matched with a mask`);
    }
    if (w.rule !== null && !w.rule(e.value.length <= 4 ? be32(e.value) : 0)) {
      throw new OfpError('OFPBMC_BAD_VALUE', `${e.field}: value out of range`);
    }
    if (w.oxmPort) {
      const raw = be32(e.value);
      let port: number;
      try {
        port = portFromOf11(raw);
      } catch {
        throw new OfpError('OFPBMC_BAD_VALUE', `in_port ${raw} is not a valid port`);
      }
      setMatchField32(f, m.value, m.mask, port, exact ? 0xffff : be32(e.mask ?? e.value));
      continue;
    }
    setMatchFieldBytes(f, m.value, m.mask, e.value, exact ? null : e.mask);
  }
  return m;
}

/** Big-endian bytes of the `n` (<= 4) low bytes of an unsigned number. */
function numberBytes(v: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = n - 1, x = v; i >= 0; i--, x = Math.floor(x / 256)) out[i] = x & 0xff;
  return out;
}

/**
 * A field matchToWire may write with nxm_put(), resolved once: the wire name, the text-layer field its
 * words are read through, the wire size, and how it is read (see `how`).
 */
interface PutField {
  readonly wire: string;
  readonly f: MatchField;
  /** Wire bytes. */
  readonly n: number;
  /**
   * 'number': read as a number (4 bytes or less, as wide on the wire as in the text layer); 'bytes': read
   * as whole bytes (wider fields whose storage is their bytes); 'bigint': neither, the general way.
   */
  readonly how: 'number' | 'bytes' | 'bigint';
  /** The masks that mean "exact" (getField of all-ones storage and the field's all-ones value). */
  readonly exactA: number;
  readonly exactB: number;
  /** 'number' fields: where the value lies (getField32 with these worked out once). */
  readonly word: number;
  readonly shift: number;
  /** Bits of the slot, at bit 0. */
  readonly bits: number;
  readonly lsb: number;
  /** All-ones value of the field's bytes. */
  readonly full: number;
  /** Every slot's word and its bits there: any of them set in the mask words means "not wildcarded". */
  readonly slotWords: readonly number[];
  readonly slotBits: readonly number[];
}

function putField(name: string, textName = name): PutField {
  const f = textField(textName);
  const n = wireBytes(name);
  const full = exactMask(f);
  const fromOnes = getField(f, ONES);
  const slot = f.slots[0];
  let how: PutField['how'] = 'bigint';
  const oneSlot = f.slots.length === 1 && slot.width + f.lsb <= 32 && f.name !== 'dl_vlan';
  if (n === f.bytes && n <= 4 && oneSlot) how = 'number';
  else if (n === f.bytes && fromOnes === full) how = 'bytes';
  return {
    wire: name,
    f,
    n,
    how,
    exactA: how === 'number' ? Number(fromOnes) : 0,
    exactB: how === 'number' ? Number(full) : 0,
    word: slot.word,
    shift: slot.width === 32 ? 0 : slot.shift,
    bits: slot.width === 32 ? 0xffffffff : (1 << slot.width) - 1,
    lsb: f.lsb,
    full: how === 'number' ? Number(full) : 0,
    slotWords: f.slots.map((x) => x.word),
    slotBits: f.slots.map((x) => (x.width === 32 ? 0xffffffff : ((1 << x.width) - 1) << x.shift)),
  };
}

/** Whether any of the field's stored bits is set in `words`. */
function anyBits(p: PutField, words: Uint32Array): boolean {
  for (let i = 0; i < p.slotWords.length; i++) if (words[p.slotWords[i]] & p.slotBits[i]) return true;
  return false;
}

/** getField32() of a 'number' PutField. */
function putFieldValue(p: PutField, words: Uint32Array): number {
  return ((((words[p.word] >>> p.shift) & p.bits) << p.lsb) & p.full) >>> 0;
}

/** A field matchToWire writes with nxm_put_8/16/32() (exact): the wire name and size. */
interface ExactField {
  readonly wire: string;
  readonly n: number;
}

function exactField(name: string): ExactField {
  return { wire: name, n: wireBytes(name) };
}

const P_ETH_SRC = putField('eth_src');
const P_ETH_DST = putField('eth_dst');
const P_ETH_TYPE = putField('eth_type');
const P_VLAN_TCI = putField('vlan_tci');
const P_ARP_SPA = putField('arp_spa');
const P_ARP_TPA = putField('arp_tpa');
const P_ARP_SHA = putField('arp_sha');
const P_ARP_THA = putField('arp_tha');
const P_TUN_ID = putField('tun_id');
const P_TUN_SRC = putField('tun_src');
const P_TUN_DST = putField('tun_dst');
const P_REGS = Array.from({ length: F_REGS }, (_, i) => putField(`reg${i}`));
const P_XREGS = Array.from({ length: F_REGS / 2 }, (_, i) => putField(`xreg${i}`));
const P_METADATA = putField('metadata');
const P_IP_SRC = putField('ip_src');
const P_IP_DST = putField('ip_dst');
const P_IPV6_SRC = putField('ipv6_src');
const P_IPV6_DST = putField('ipv6_dst');
const P_IPV6_LABEL = putField('ipv6_label');
const P_TCP_SRC = putField('tcp_src');
const P_TCP_DST = putField('tcp_dst');
const P_TCP_FLAGS = putField('tcp_flags');
const P_UDP_SRC = putField('udp_src');
const P_UDP_DST = putField('udp_dst');
const P_SCTP_SRC = putField('sctp_src');
const P_SCTP_DST = putField('sctp_dst');
const P_ND_TARGET = putField('nd_target');
const P_ND_SLL = putField('nd_sll', 'arp_sha');
const P_ND_TLL = putField('nd_tll', 'arp_tha');
const X_IN_PORT = exactField('in_port');
const X_IN_PORT_OXM = exactField('in_port_oxm');
const X_VLAN_VID = exactField('vlan_vid');
const X_VLAN_PCP = exactField('vlan_pcp');
const X_ARP_OP = exactField('arp_op');
const X_IP_DSCP = exactField('ip_dscp');
const X_NW_TOS = exactField('nw_tos');
const X_NW_ECN = exactField('nw_ecn');
const X_NW_TTL = exactField('nw_ttl');
const X_NW_PROTO = exactField('nw_proto');
const X_ICMP_TYPE = exactField('icmp_type');
const X_ICMP_CODE = exactField('icmp_code');
const X_ICMPV6_TYPE = exactField('icmpv6_type');
const X_ICMPV6_CODE = exactField('icmpv6_code');

/**
 * The mask words of the tunnel fields, registers and metadata: most matches have none of them, and one
 * look at these words spares matchToWire a dozen fields that would each find nothing.
 */
const TAIL_WORDS = Int32Array.from(
  new Set([P_TUN_ID, P_TUN_SRC, P_TUN_DST, ...P_REGS, ...P_XREGS, P_METADATA].flatMap((p) => p.slotWords)),
);

function anyWord(words: Uint32Array, which: Int32Array): boolean {
  for (let i = 0; i < which.length; i++) if (words[which[i]] !== 0) return true;
  return false;
}

/** What matchToWire writes entries into. */
class EntryList {
  readonly out: MatchEntry[] = [];

  constructor(private readonly m: MatchWords) {}

  /** OVS nxm_put(): nothing when wildcarded, no mask when exact, else value and mask. */
  masked(p: PutField): void {
    const f = p.f;
    const n = p.n;
    if (p.how === 'number') {
      const mask = putFieldValue(p, this.m.mask);
      if (!mask) return;
      const value = (putFieldValue(p, this.m.value) & mask) >>> 0;
      const exact = mask === p.exactA || mask === p.exactB;
      this.out.push({
        field: p.wire,
        value: numberBytes(value, n),
        mask: exact ? null : numberBytes(mask, n),
      });
      return;
    }
    if (p.how === 'bytes') {
      // Most such fields (MACs, registers, metadata) are wildcarded: look before making bytes.
      if (!anyBits(p, this.m.mask)) return;
      const mask = new Uint8Array(n);
      getFieldBytes(f, this.m.mask, mask);
      let any = 0;
      let all = 0xff;
      for (let i = 0; i < n; i++) {
        any |= mask[i];
        all &= mask[i];
      }
      if (!any) return;
      const value = new Uint8Array(n);
      getFieldBytes(f, this.m.value, value);
      for (let i = 0; i < n; i++) value[i] &= mask[i];
      this.out.push({ field: p.wire, value, mask: all === 0xff ? null : mask });
      return;
    }
    const mask = getField(f, this.m.mask);
    if (!mask) return;
    const value = getField(f, this.m.value) & mask;
    const exact = mask === getField(f, ONES) || mask === exactMask(f);
    this.out.push({ field: p.wire, value: toBytes(value, n), mask: exact ? null : toBytes(mask, n) });
  }

  /** OVS nxm_put_8/16/32(): an exact entry with value `v`. */
  exact(x: ExactField, v: number): void {
    this.out.push({ field: x.wire, value: numberBytes(v, x.n), mask: null });
  }
}

/**
 * The wire entries of a match, in the order Open vSwitch's nx_put_raw() writes them. `version` 0 (the
 * default) gives the NXM spelling (Nicira flow mods and stats; also what encodeOf10Match takes for an
 * OpenFlow 1.0 ofp10_match); an OpenFlow version 1.2+ gives the OXM spelling of that version: in_port as
 * OXM_OF_IN_PORT (32 bits), the VLAN as vlan_vid + vlan_pcp instead of vlan_tci, DSCP as ip_dscp.
 */
export function matchToWire(m: MatchWords, version = 0): MatchEntry[] {
  const oxm = version >= OFP12_VERSION;
  const v = m.value;
  const k = m.mask;
  const put = new EntryList(m);

  if (k[K_IN_PORT] & 0xffff) {
    const port = v[K_IN_PORT] & 0xffff;
    if (oxm) put.exact(X_IN_PORT_OXM, portToOf11(port));
    else put.exact(X_IN_PORT, port);
  }
  put.masked(P_ETH_SRC);
  put.masked(P_ETH_DST);
  put.masked(P_ETH_TYPE);

  if (oxm) {
    const tci = v[K_VLAN0] & 0xffff;
    const tciMask = k[K_VLAN0] & 0xffff;
    const vid = tci & 0x1fff;
    const vidMask = tciMask & 0x1fff;
    if (vidMask === 0x1fff) put.exact(X_VLAN_VID, vid);
    else if (vidMask)
      put.out.push({ field: 'vlan_vid', value: numberBytes(vid, 2), mask: numberBytes(vidMask, 2) });
    if (vid && tciMask & 0xe000) put.exact(X_VLAN_PCP, tci >>> 13);
  } else {
    put.masked(P_VLAN_TCI);
  }

  const dlType = v[K_DL_TYPE] & 0xffff;
  if (dlType === ETH_TYPE_IP || dlType === ETH_TYPE_IPV6) {
    putIp(put, m, dlType, oxm);
  } else if (dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP) {
    if (k[K_NW] & 0xff) put.exact(X_ARP_OP, v[K_NW] & 0xff);
    put.masked(P_ARP_SPA);
    put.masked(P_ARP_TPA);
    put.masked(P_ARP_SHA);
    put.masked(P_ARP_THA);
  }

  if (!anyWord(k, TAIL_WORDS)) return put.out;
  put.masked(P_TUN_ID);
  put.masked(P_TUN_SRC);
  put.masked(P_TUN_DST);
  if (version < OFP15_VERSION) {
    for (let i = 0; i < F_REGS; i++) put.masked(P_REGS[i]);
  } else {
    for (let i = 0; i < F_REGS / 2; i++) put.masked(P_XREGS[i]);
  }
  put.masked(P_METADATA);
  return put.out;
}

/** OVS nxm_put_ip(): the IPv4/IPv6 fields and the L4 fields of the protocol matched. */
function putIp(put: EntryList, m: MatchWords, dlType: number, oxm: boolean): void {
  const v = m.value;
  const k = m.mask;
  if (dlType === ETH_TYPE_IP) {
    put.masked(P_IP_SRC);
    put.masked(P_IP_DST);
  } else {
    put.masked(P_IPV6_SRC);
    put.masked(P_IPV6_DST);
  }
  const fragMask = (k[K_NW] >>> NW_FRAG_SHIFT) & 3;
  if (fragMask) {
    const frag = (v[K_NW] >>> NW_FRAG_SHIFT) & 3;
    put.out.push({
      field: 'ip_frag',
      value: Uint8Array.of(frag),
      mask: fragMask === 3 ? null : Uint8Array.of(fragMask),
    });
  }
  const tos = (v[K_NW] >>> NW_TOS_SHIFT) & 0xff;
  const tosMask = (k[K_NW] >>> NW_TOS_SHIFT) & 0xff;
  if (tosMask & 0xfc) {
    if (oxm) put.exact(X_IP_DSCP, tos >>> 2);
    else put.exact(X_NW_TOS, tos & 0xfc);
  }
  if (tosMask & 0x03) put.exact(X_NW_ECN, tos & 0x03);
  if ((k[K_NW] >>> NW_TTL_SHIFT) & 0xff) put.exact(X_NW_TTL, (v[K_NW] >>> NW_TTL_SHIFT) & 0xff);
  put.masked(P_IPV6_LABEL);
  if (!(k[K_NW] & 0xff)) return;
  const proto = v[K_NW] & 0xff;
  put.exact(X_NW_PROTO, proto);
  const tpSrc = v[K_TP] >>> 16;
  const tpDst = v[K_TP] & 0xffff;
  if (proto === IPPROTO_TCP) {
    put.masked(P_TCP_SRC);
    put.masked(P_TCP_DST);
    if (k[K_TCP_FLAGS] & 0x0fff) put.masked(P_TCP_FLAGS);
  } else if (proto === IPPROTO_UDP) {
    put.masked(P_UDP_SRC);
    put.masked(P_UDP_DST);
  } else if (proto === IPPROTO_SCTP) {
    put.masked(P_SCTP_SRC);
    put.masked(P_SCTP_DST);
  } else if (dlType === ETH_TYPE_IP && proto === IPPROTO_ICMP) {
    if (k[K_TP] >>> 16) put.exact(X_ICMP_TYPE, tpSrc & 0xff);
    if (k[K_TP] & 0xffff) put.exact(X_ICMP_CODE, tpDst & 0xff);
  } else if (dlType === ETH_TYPE_IPV6 && proto === IPPROTO_ICMPV6) {
    if (k[K_TP] >>> 16) put.exact(X_ICMPV6_TYPE, tpSrc & 0xff);
    if (k[K_TP] & 0xffff) put.exact(X_ICMPV6_CODE, tpDst & 0xff);
    if (tpDst === 0 && (tpSrc === ND_SOLICIT || tpSrc === ND_ADVERT)) {
      put.masked(P_ND_TARGET);
      if (tpSrc === ND_SOLICIT) put.masked(P_ND_SLL);
      else put.masked(P_ND_TLL);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Actions: wire -> text.

const REASONS: readonly PacketInReason[] = [
  'no_match',
  'action',
  'invalid_ttl',
  'action_set',
  'group',
  'packet_out',
];
const HASH_FIELDS: readonly HashFields[] = [
  'eth_src',
  'symmetric_l4',
  'symmetric_l3l4',
  'symmetric_l3l4+udp',
  'nw_src',
  'nw_dst',
  'symmetric_l3',
];
const BUNDLE_ALGORITHMS = ['active_backup', 'hrw'] as const;
const MULTIPATH_ALGORITHMS = ['modulo_n', 'hash_threshold', 'hrw', 'iter_hash'] as const;

const LEARN_SEND_FLOW_REM = 1;
const LEARN_DELETE_LEARNED = 2;
const LEARN_WRITE_RESULT = 4;

function pick<T>(list: readonly T[], i: number, what: string): T {
  const x = list[i];
  if (x === undefined) throw new OfpError('OFPBAC_BAD_ARGUMENT', `${what} ${i} is out of range`);
  return x;
}

function subfield(name: string, ofs: number, nBits: number): Subfield {
  const field = textField(name, 'OFPBAC_BAD_SET_TYPE');
  if (ofs + nBits > field.bits) {
    throw new OfpError('OFPBAC_BAD_SET_LEN', `${name}[${ofs}..${ofs + nBits - 1}] is wider than the field`);
  }
  return { field, ofs, nBits };
}

function reasonName(reason: number): PacketInReason {
  return pick(REASONS, reason, 'packet-in reason');
}

/** A text set_field from a wire set_field / reg_load2 entry. */
function setFieldFromWire(
  name: string,
  value: Uint8Array,
  mask: Uint8Array | null,
  load: boolean,
): OfpAction {
  if (name === 'in_port_oxm') {
    const port = BigInt(portFromOf11(Number(fromBytes(value))));
    return { type: 'set_field', field: textField('in_port'), value: port, mask: 0xffffn, load };
  }
  const field = textField(name, 'OFPBAC_BAD_SET_TYPE');
  return {
    type: 'set_field',
    field,
    value: fromBytes(value),
    mask: mask ? fromBytes(mask) : exactMask(field),
    load,
  };
}

function controller2FromWire(props: readonly Controller2Prop[]): OfpAction {
  let maxLen = 0xffff;
  let controllerId = 0;
  let reason: PacketInReason = 'action';
  let userdata: Uint8Array | null = null;
  let pause = false;
  let meterId = NX_CTLR_NO_METER;
  for (const p of props) {
    if (p.kind === 'max_len') maxLen = p.value;
    else if (p.kind === 'controller_id') controllerId = p.value;
    else if (p.kind === 'reason') reason = reasonName(p.value);
    else if (p.kind === 'userdata') userdata = p.data;
    else if (p.kind === 'pause') pause = true;
    else meterId = p.value;
  }
  return { type: 'controller', maxLen, reason, controllerId, userdata, pause, meterId };
}

function learnSpecFromWire(s: WireLearnSpec): TextLearnSpec {
  const immBits = Math.ceil(s.nBits / 8) * 8;
  if (s.dst.kind === 'output') {
    if ('imm' in s.src) throw new OfpError('OFPBAC_BAD_ARGUMENT', 'learn output spec with an immediate');
    return { kind: 'output', src: subfield(s.src.field, s.src.ofs, s.nBits) };
  }
  const dst = subfield(s.dst.field, s.dst.ofs, s.nBits);
  if ('imm' in s.src) {
    const value = fromBytes(s.src.imm) & ones(immBits);
    return s.dst.kind === 'match' ? { kind: 'match_imm', dst, value } : { kind: 'load_imm', dst, value };
  }
  const src = subfield(s.src.field, s.src.ofs, s.nBits);
  return s.dst.kind === 'match' ? { kind: 'match_field', dst, src } : { kind: 'load_field', dst, src };
}

function actionFromWire(a: OfAction, version: number, out: OfpAction[]): void {
  switch (a.type) {
    case 'output':
      out.push({ type: 'output', port: a.port, maxLen: a.maxLen });
      return;
    case 'set_vlan_vid':
      // OpenFlow 1.0's set_vlan_vid pushes a tag when there is none (OVS decodes it as mod_vlan_vid).
      out.push({ type: 'set_vlan_vid', vid: a.value, pushIfNeeded: version === OFP10_VERSION });
      return;
    case 'set_vlan_pcp':
      out.push({ type: 'set_vlan_pcp', pcp: a.value, pushIfNeeded: version === OFP10_VERSION });
      return;
    case 'strip_vlan':
    case 'pop_vlan':
      out.push({ type: 'strip_vlan', pop: a.type === 'pop_vlan' });
      return;
    case 'push_vlan':
      out.push({ type: 'push_vlan', ethertype: a.value });
      return;
    case 'set_dl_src':
    case 'set_dl_dst':
      out.push({
        type: a.type === 'set_dl_src' ? 'set_eth_src' : 'set_eth_dst',
        mac: BigInt(`0x${a.mac.replaceAll(':', '')}`),
      });
      return;
    case 'set_nw_src':
    case 'set_nw_dst':
      out.push({ type: a.type === 'set_nw_src' ? 'set_ipv4_src' : 'set_ipv4_dst', ip: a.value >>> 0 });
      return;
    case 'set_nw_tos':
      if (a.value & ~0xfc) throw new OfpError('OFPBAC_BAD_ARGUMENT', `mod_nw_tos ${a.value}`);
      out.push({ type: 'set_ip_dscp', dscp: a.value });
      return;
    case 'set_nw_ecn':
      if (a.value > 3) throw new OfpError('OFPBAC_BAD_ARGUMENT', `mod_nw_ecn ${a.value}`);
      out.push({ type: 'set_ip_ecn', ecn: a.value });
      return;
    case 'set_nw_ttl':
      out.push({ type: 'set_ip_ttl', ttl: a.value });
      return;
    case 'set_tp_src':
    case 'set_tp_dst':
      out.push({ type: a.type === 'set_tp_src' ? 'set_l4_src_port' : 'set_l4_dst_port', port: a.value });
      return;
    case 'enqueue':
      out.push({ type: 'enqueue', port: a.port, queue: a.queueId });
      return;
    case 'set_queue':
      out.push({ type: 'set_queue', queueId: a.value });
      return;
    case 'pop_queue':
      out.push({ type: 'pop_queue' });
      return;
    case 'group':
      out.push({ type: 'group', groupId: a.value });
      return;
    case 'dec_nw_ttl':
      out.push({ type: 'dec_ttl', controllerIds: null });
      return;
    case 'dec_ttl_cnt_ids':
      out.push({ type: 'dec_ttl', controllerIds: [...a.ids] });
      return;
    case 'set_field':
    case 'reg_load2':
      out.push(setFieldFromWire(a.field, a.value, a.mask, false));
      return;
    case 'reg_load': {
      const sf = subfield(a.field, a.ofs, a.nBits);
      out.push({
        type: 'set_field',
        field: sf.field,
        value: a.value << BigInt(a.ofs),
        mask: ones(a.nBits) << BigInt(a.ofs),
        load: true,
      });
      return;
    }
    case 'reg_move':
    case 'copy_field':
      out.push({
        type: 'reg_move',
        src: subfield(a.src, a.srcOfs, a.nBits),
        dst: subfield(a.dst, a.dstOfs, a.nBits),
      });
      return;
    case 'resubmit':
      out.push({ type: 'resubmit', inPort: a.value, tableId: 255, withCtOrig: false });
      return;
    case 'resubmit_table':
    case 'resubmit_table_ct':
      out.push({
        type: 'resubmit',
        inPort: a.port,
        tableId: a.table,
        withCtOrig: a.type === 'resubmit_table_ct',
      });
      return;
    case 'set_tunnel':
      out.push({ type: 'set_tunnel', tunId: BigInt(a.value >>> 0), is64: false });
      return;
    case 'set_tunnel64':
      out.push({ type: 'set_tunnel', tunId: a.value, is64: true });
      return;
    case 'note':
      out.push({ type: 'note', data: a.data });
      return;
    case 'output_reg':
    case 'output_reg2':
      out.push({ type: 'output_reg', src: subfield(a.field, a.ofs, a.nBits), maxLen: a.maxLen });
      return;
    case 'controller':
      out.push({
        type: 'controller',
        maxLen: a.maxLen,
        reason: reasonName(a.reason),
        controllerId: a.controllerId,
        userdata: null,
        pause: false,
        meterId: NX_CTLR_NO_METER,
      });
      return;
    case 'controller2':
      out.push(controller2FromWire(a.props));
      return;
    case 'write_metadata':
      out.push({ type: 'write_metadata', metadata: a.metadata, mask: a.mask });
      return;
    case 'stack_push':
    case 'stack_pop':
      out.push({ type: a.type, subfield: subfield(a.field, a.ofs, a.nBits) });
      return;
    case 'fin_timeout':
      out.push({ type: 'fin_timeout', idleTimeout: a.idleTimeout, hardTimeout: a.hardTimeout });
      return;
    case 'conjunction':
      out.push({ type: 'conjunction', id: a.id >>> 0, clause: a.clause, nClauses: a.nClauses });
      return;
    case 'multipath':
      out.push({
        type: 'multipath',
        fields: pick(HASH_FIELDS, a.fields, 'hash fields'),
        basis: a.basis,
        algorithm: pick(MULTIPATH_ALGORITHMS, a.algorithm, 'multipath algorithm'),
        maxLink: a.maxLink,
        arg: a.arg,
        dst: subfield(a.field, a.ofs, a.nBits),
      });
      return;
    case 'bundle':
    case 'bundle_load':
      out.push({
        type: 'bundle',
        fields: pick(HASH_FIELDS, a.fields, 'hash fields'),
        basis: a.basis,
        algorithm: pick(BUNDLE_ALGORITHMS, a.algorithm, 'bundle algorithm'),
        members: [...a.members],
        dst: a.dst ? subfield(a.dst.field, a.dst.ofs, a.dst.nBits) : null,
      });
      return;
    case 'learn':
    case 'learn2':
      out.push({
        type: 'learn',
        tableId: a.tableId,
        idleTimeout: a.idleTimeout,
        hardTimeout: a.hardTimeout,
        finIdleTimeout: a.finIdleTimeout,
        finHardTimeout: a.finHardTimeout,
        priority: a.priority,
        cookie: a.cookie,
        sendFlowRem: (a.flags & LEARN_SEND_FLOW_REM) !== 0,
        deleteLearned: (a.flags & LEARN_DELETE_LEARNED) !== 0,
        limit: a.limit,
        resultDst: a.resultDst ? subfield(a.resultDst.field, a.resultDst.ofs, 1) : null,
        specs: a.specs.map(learnSpecFromWire),
      });
      return;
    case 'clone':
      out.push({ type: 'clone', actions: actionsFromWire(a.actions, version) });
      return;
    case 'exit':
      out.push({ type: 'exit' });
      return;
    case 'meter':
      out.push({ type: 'meter', meterId: a.value });
      return;
    default:
      throw new OfpError('OFPBAC_BAD_TYPE', `action ${a.type} is not supported by tsovs`);
  }
}

/**
 * Wire actions as text-layer actions (OVS ofpacts_pull_openflow_actions' decode_*()). `version` is the
 * OpenFlow version they came in; it matters only for OpenFlow 1.0's set_vlan_vid/pcp, which push a tag
 * when there is none (mod_vlan_vid), unlike 1.1's. Throws OfpError OFPBAC_BAD_TYPE for an action tsovs
 * does not implement (ct, nat, MPLS, sample ...) and OFPBAC_BAD_ARGUMENT for an argument out of range.
 */
export function actionsFromWire(list: readonly OfAction[], version = OFP10_VERSION): OfpAction[] {
  const out: OfpAction[] = [];
  for (const a of list) actionFromWire(a, version, out);
  return out;
}

/**
 * Instructions as text-layer actions, in Open vSwitch's canonical order (meter, the apply-actions list,
 * clear_actions, write_actions, write_metadata, goto_table), as ofpacts_pull_openflow_instructions() does.
 */
export function instructionsFromWire(insts: readonly Instruction[], version = OFP13_VERSION): OfpAction[] {
  // The decoder hands out the same frozen list for flow mods with the same instruction bytes (see
  // decodeInstructions): the same list converts to the same actions, which ofproto then shares as they are
  // (its rules share equal action lists and never modify them).
  if (insts === lastInstructions && version === lastInstructionsVersion) return lastInstructionActions;
  const out = convertInstructions(insts, version);
  if (Object.isFrozen(insts)) {
    lastInstructions = insts;
    lastInstructionsVersion = version;
    lastInstructionActions = out;
  }
  return out;
}

/** The last frozen instruction list instructionsFromWire converted, and what it gave. */
let lastInstructions: readonly Instruction[] | null = null;
let lastInstructionsVersion = 0;
let lastInstructionActions: OfpAction[] = [];

function convertInstructions(insts: readonly Instruction[], version: number): OfpAction[] {
  const out: OfpAction[] = [];
  const find = <T extends Instruction['type']>(t: T) =>
    insts.find((i): i is Extract<Instruction, { type: T }> => i.type === t);
  const meter = find('meter');
  if (meter) out.push({ type: 'meter', meterId: meter.meterId });
  const apply = find('apply_actions');
  if (apply) out.push(...actionsFromWire(apply.actions, version));
  if (find('clear_actions')) out.push({ type: 'clear_actions' });
  const write = find('write_actions');
  if (write) out.push({ type: 'write_actions', actions: actionsFromWire(write.actions, version) });
  const meta = find('write_metadata');
  if (meta) out.push({ type: 'write_metadata', metadata: meta.metadata, mask: meta.mask });
  const gotoTable = find('goto_table');
  if (gotoTable) out.push({ type: 'goto_table', tableId: gotoTable.tableId });
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Actions: text -> wire.

/** What actionsToWire may know of the flow the actions belong to. */
export interface ActionContext {
  /**
   * The flow's match. Open vSwitch notes two facts from it when it checks the actions (ofpacts_check) and
   * uses them when encoding: whether the packet has a VLAN tag at mod_vlan_vid/mod_vlan_pcp (else, in
   * OpenFlow 1.1+, a push_vlan goes first) and the IP protocol at mod_tp_src/dst (which set_field field
   * they become in OpenFlow 1.2+). Without it: no tag, no protocol, as for a packet-out.
   */
  readonly match?: MatchWords;
}

/** Where FlowState's words come from: a typed array of its own for each action list cost more than
 *  converting the list. */
const statePool = new FlowWordsPool();

/** The flow of a FlowState without a match: all zeros, never written (writes go to a copy). */
const NO_FLOW = new Uint32Array(FLOW_WORDS);

/**
 * The flow as the actions see it while they are encoded (OVS's ofpact_check_params flow). It starts as the
 * match's value words, copied only when an action changes it: most action lists (output:1) only read it.
 */
class FlowState {
  private words: Uint32Array;
  private own = false;

  constructor(match: MatchWords | undefined) {
    this.words = match ? match.value : NO_FLOW;
  }

  /** The flow, to read (writes go through writable()). */
  get flow(): Uint32Array {
    return this.words;
  }

  /** The flow, to write: the state's own copy from the first write on. */
  writable(): Uint32Array {
    if (!this.own) {
      const copy = statePool.alloc();
      copy.set(this.words);
      this.words = copy;
      this.own = true;
    }
    return this.words;
  }

  get hasVlan(): boolean {
    return (this.words[K_VLAN0] & VLAN_PRESENT) !== 0;
  }

  markVlan(): void {
    const flow = this.writable();
    flow[K_VLAN0] |= VLAN_PRESENT;
  }

  pushVlan(): void {
    const flow = this.writable();
    flow[K_VLAN1] = flow[K_VLAN0];
    flow[K_VLAN0] |= VLAN_PRESENT;
  }

  popVlan(): void {
    const flow = this.writable();
    flow[K_VLAN0] = flow[K_VLAN1];
    flow[K_VLAN1] = 0;
  }

  get ipProto(): number {
    return this.words[K_NW] & 0xff;
  }
}

/** A wire set_field of `name` to the number `v` (OVS put_set_field()). */
function setFieldWire(name: string, v: bigint | number): OfAction {
  return { type: 'set_field', field: name, value: toBytes(BigInt(v), wireBytes(name)), mask: null };
}

/** OVS set_field_to_nxast(): reg_load per contiguous run of mask bits, or reg_load2 when it must. */
function setFieldToNxast(name: string, value: bigint, mask: bigint, out: OfAction[]): void {
  const info = fieldInfo(name);
  if (!info) throw new Error(`unknown field ${name}`);
  if (!hasNxmHeader(name)) {
    out.push({
      type: 'reg_load2',
      field: name,
      value: toBytes(value, info.bytes),
      mask: isAllOnes(toBytes(mask, info.bytes)) ? null : toBytes(mask, info.bytes),
    });
    return;
  }
  let ofs = 0;
  while (ofs < info.bits) {
    if (!((mask >> BigInt(ofs)) & 1n)) {
      ofs++;
      continue;
    }
    let end = ofs + 1;
    while (end < Math.min(ofs + 64, info.bits) && (mask >> BigInt(end)) & 1n) end++;
    const nBits = end - ofs;
    out.push({ type: 'reg_load', field: name, ofs, nBits, value: (value >> BigInt(ofs)) & ones(nBits) });
    ofs = end;
  }
}

/** OVS set_field_to_legacy_openflow(): OpenFlow 1.0/1.1 actions for a set_field where one exists. */
function setFieldToLegacy(
  name: string,
  value: bigint,
  mask: bigint,
  version: number,
  state: FlowState,
  out: OfAction[],
): void {
  const n = Number(value & 0xffffffffn);
  switch (name) {
    case 'vlan_tci': {
      const cfi = (n & VLAN_PRESENT) !== 0;
      if (version === OFP10_VERSION) {
        if (cfi)
          out.push({ type: 'set_vlan_vid', value: n & 0xfff }, { type: 'set_vlan_pcp', value: n >>> 13 });
        else out.push({ type: 'strip_vlan' });
      } else if (cfi) {
        if (!state.hasVlan) out.push({ type: 'push_vlan', value: ETH_TYPE_VLAN });
        out.push({ type: 'set_vlan_vid', value: n & 0xfff }, { type: 'set_vlan_pcp', value: n >>> 13 });
      } else out.push({ type: 'pop_vlan' });
      return;
    }
    case 'vlan_vid':
      out.push({ type: 'set_vlan_vid', value: n & 0xfff });
      return;
    case 'vlan_pcp':
      out.push({ type: 'set_vlan_pcp', value: n });
      return;
    case 'eth_src':
    case 'eth_dst':
      out.push({ type: name === 'eth_src' ? 'set_dl_src' : 'set_dl_dst', mac: formatMac48(value) });
      return;
    case 'ip_src':
    case 'ip_dst':
      out.push({ type: name === 'ip_src' ? 'set_nw_src' : 'set_nw_dst', value: n >>> 0 });
      return;
    case 'nw_tos':
      out.push({ type: 'set_nw_tos', value: n });
      return;
    case 'ip_dscp':
      out.push({ type: 'set_nw_tos', value: (n << 2) & 0xff });
      return;
    case 'nw_ecn':
      if (version === OFP10_VERSION)
        out.push({ type: 'reg_load', field: 'nw_ecn', ofs: 0, nBits: 2, value: BigInt(n) });
      else out.push({ type: 'set_nw_ecn', value: n });
      return;
    case 'tcp_src':
    case 'udp_src':
      out.push({ type: 'set_tp_src', value: n });
      return;
    case 'tcp_dst':
    case 'udp_dst':
      out.push({ type: 'set_tp_dst', value: n });
      return;
    default:
      setFieldToNxast(name, value, mask, out);
  }
}

/** OVS encode_SET_FIELD(). */
function setFieldToWire(
  a: Extract<OfpAction, { type: 'set_field' }>,
  version: number,
  state: FlowState,
  out: OfAction[],
): void {
  const name = wireName(a.field);
  const info = fieldInfo(name);
  if (!info || !headerFor(info, version >= OFP12_VERSION ? version : 0)) {
    throw new Error(`set_field: field ${a.field.name} has no NXM or OXM header`);
  }
  const full = exactMask(a.field);
  const whole = (a.mask & full) === full;
  if (version >= OFP15_VERSION) {
    out.push({
      type: 'set_field',
      field: name,
      value: toBytes(a.value, info.bytes),
      mask: whole ? null : toBytes(a.mask, info.bytes),
    });
  } else if (a.load) {
    setFieldToNxast(name, a.value & a.mask, a.mask, out);
  } else if (version < OFP12_VERSION) {
    setFieldToLegacy(name, a.value & a.mask, a.mask, version, state, out);
  } else if (whole) {
    out.push({ type: 'set_field', field: name, value: toBytes(a.value, info.bytes), mask: null });
  } else {
    setFieldToNxast(name, a.value & a.mask, a.mask, out);
  }
  // As check_SET_FIELD, the flow now carries the value (this decides later mod_vlan_* pushes).
  if (name === 'vlan_vid' || name === 'vlan_pcp' || name === 'vlan_tci') state.markVlan();
  else if (a.field.name !== 'dl_vlan') setField(a.field, state.writable(), a.value, a.mask);
}

function subfieldWire(sf: Subfield): { field: string; ofs: number; nBits: number } {
  return { field: wireName(sf.field), ofs: sf.ofs, nBits: sf.nBits };
}

function learnSpecToWire(s: TextLearnSpec): WireLearnSpec {
  if (s.kind === 'output') {
    return {
      nBits: s.src.nBits,
      src: { field: wireName(s.src.field), ofs: s.src.ofs },
      dst: { kind: 'output' },
    };
  }
  const kind = s.kind === 'match_field' || s.kind === 'match_imm' ? 'match' : 'load';
  const dst = { kind, field: wireName(s.dst.field), ofs: s.dst.ofs } as const;
  const nBits = s.dst.nBits;
  if (s.kind === 'match_imm' || s.kind === 'load_imm') {
    return { nBits, src: { imm: toBytes(s.value, 2 * Math.ceil(nBits / 16)) }, dst };
  }
  return { nBits, src: { field: wireName(s.src.field), ofs: s.src.ofs }, dst };
}

function controllerToWire(a: Extract<OfpAction, { type: 'controller' }>): OfAction {
  const reason = REASONS.indexOf(a.reason);
  if (!a.userdata?.length && !a.pause && a.meterId === NX_CTLR_NO_METER) {
    return { type: 'controller', maxLen: a.maxLen, controllerId: a.controllerId, reason };
  }
  const props: Controller2Prop[] = [];
  if (a.maxLen !== 0xffff) props.push({ kind: 'max_len', value: a.maxLen });
  if (a.controllerId) props.push({ kind: 'controller_id', value: a.controllerId });
  if (a.reason !== 'action') props.push({ kind: 'reason', value: reason });
  if (a.userdata?.length) props.push({ kind: 'userdata', data: a.userdata });
  if (a.pause) props.push({ kind: 'pause' });
  if (a.meterId !== NX_CTLR_NO_METER) props.push({ kind: 'meter_id', value: a.meterId });
  return { type: 'controller2', props };
}

function l4Field(proto: number, dir: 'src' | 'dst'): string | null {
  if (proto === IPPROTO_TCP) return `tcp_${dir}`;
  if (proto === IPPROTO_UDP) return `udp_${dir}`;
  if (proto === IPPROTO_SCTP) return `sctp_${dir}`;
  return null;
}

function instructionOnly(a: OfpAction, version: number): never {
  throw new Error(`${a.type} is an instruction in OpenFlow ${versionText(version)}, not an action`);
}

function versionText(version: number): string {
  return `1.${version - 1}`;
}

function actionToWire(a: OfpAction, version: number, state: FlowState, out: OfAction[]): void {
  const of10 = version === OFP10_VERSION;
  const legacy = version < OFP12_VERSION;
  switch (a.type) {
    case 'output':
      out.push({ type: 'output', port: a.port, maxLen: a.maxLen });
      return;
    case 'output_reg': {
      const src = subfieldWire(a.src);
      out.push({ type: hasNxmHeader(src.field) ? 'output_reg' : 'output_reg2', ...src, maxLen: a.maxLen });
      return;
    }
    case 'group':
      out.push({ type: 'group', value: a.groupId });
      return;
    case 'controller':
      out.push(controllerToWire(a));
      return;
    case 'enqueue':
      if (of10) out.push({ type: 'enqueue', port: a.port, queueId: a.queue });
      else {
        out.push(
          { type: 'set_queue', value: a.queue },
          { type: 'output', port: a.port, maxLen: 0xffff },
          { type: 'pop_queue' },
        );
      }
      return;
    case 'bundle':
      out.push({
        type: a.dst ? 'bundle_load' : 'bundle',
        algorithm: BUNDLE_ALGORITHMS.indexOf(a.algorithm),
        fields: HASH_FIELDS.indexOf(a.fields),
        basis: a.basis,
        members: [...a.members],
        dst: a.dst ? subfieldWire(a.dst) : null,
      });
      return;
    case 'set_field':
      setFieldToWire(a, version, state, out);
      return;
    case 'set_vlan_vid':
    case 'set_vlan_pcp': {
      if (!of10 && a.pushIfNeeded && !state.hasVlan) out.push({ type: 'push_vlan', value: ETH_TYPE_VLAN });
      const vid = a.type === 'set_vlan_vid';
      const n = vid ? a.vid : a.pcp;
      if (version <= OFP11_VERSION) out.push({ type: a.type, value: n });
      else out.push(setFieldWire(vid ? 'vlan_vid' : 'vlan_pcp', vid ? n | VLAN_PRESENT : n));
      state.markVlan();
      return;
    }
    case 'strip_vlan':
      out.push({ type: of10 ? 'strip_vlan' : 'pop_vlan' });
      state.popVlan();
      return;
    case 'push_vlan':
      // OpenFlow 1.0 has no push: the set_vlan_vid/pcp that follows pushes the tag.
      if (!of10) out.push({ type: 'push_vlan', value: a.ethertype });
      state.pushVlan();
      return;
    case 'set_eth_src':
    case 'set_eth_dst': {
      const src = a.type === 'set_eth_src';
      if (legacy) out.push({ type: src ? 'set_dl_src' : 'set_dl_dst', mac: formatMac48(a.mac) });
      else out.push(setFieldWire(src ? 'eth_src' : 'eth_dst', a.mac));
      return;
    }
    case 'set_ipv4_src':
    case 'set_ipv4_dst': {
      const src = a.type === 'set_ipv4_src';
      if (legacy) out.push({ type: src ? 'set_nw_src' : 'set_nw_dst', value: a.ip >>> 0 });
      else out.push(setFieldWire(src ? 'ip_src' : 'ip_dst', a.ip >>> 0));
      return;
    }
    case 'set_ip_dscp':
      if (legacy) out.push({ type: 'set_nw_tos', value: a.dscp });
      else out.push(setFieldWire('ip_dscp', a.dscp >>> 2));
      return;
    case 'set_ip_ecn':
      if (of10) out.push({ type: 'reg_load', field: 'nw_ecn', ofs: 0, nBits: 2, value: BigInt(a.ecn) });
      else if (version === OFP11_VERSION) out.push({ type: 'set_nw_ecn', value: a.ecn });
      else out.push(setFieldWire('nw_ecn', a.ecn));
      return;
    case 'set_ip_ttl':
      if (of10) out.push({ type: 'reg_load', field: 'nw_ttl', ofs: 0, nBits: 8, value: BigInt(a.ttl) });
      else out.push({ type: 'set_nw_ttl', value: a.ttl });
      return;
    case 'set_l4_src_port':
    case 'set_l4_dst_port': {
      const src = a.type === 'set_l4_src_port';
      const field = l4Field(state.ipProto, src ? 'src' : 'dst');
      if (version >= OFP12_VERSION && field) out.push(setFieldWire(field, a.port));
      else out.push({ type: src ? 'set_tp_src' : 'set_tp_dst', value: a.port });
      return;
    }
    case 'reg_move':
      if (version >= OFP15_VERSION) throw new Error('move cannot be encoded in OpenFlow 1.5 by tsovs');
      out.push({
        type: 'reg_move',
        nBits: a.dst.nBits,
        src: wireName(a.src.field),
        srcOfs: a.src.ofs,
        dst: wireName(a.dst.field),
        dstOfs: a.dst.ofs,
      });
      return;
    case 'stack_push':
    case 'stack_pop':
      out.push({ type: a.type, ...subfieldWire(a.subfield) });
      return;
    case 'dec_ttl':
      if (a.controllerIds === null) out.push({ type: 'dec_nw_ttl' });
      else out.push({ type: 'dec_ttl_cnt_ids', ids: [...a.controllerIds] });
      return;
    case 'set_tunnel':
      if (!legacy) out.push(setFieldWire('tun_id', a.tunId));
      else if (a.tunId <= 0xffffffffn && !a.is64) out.push({ type: 'set_tunnel', value: Number(a.tunId) });
      else out.push({ type: 'set_tunnel64', value: a.tunId });
      return;
    case 'set_queue':
      out.push({ type: 'set_queue', value: a.queueId });
      return;
    case 'pop_queue':
      out.push({ type: 'pop_queue' });
      return;
    case 'fin_timeout':
      out.push({ type: 'fin_timeout', idleTimeout: a.idleTimeout, hardTimeout: a.hardTimeout });
      return;
    case 'resubmit':
      // Open vSwitch writes NXAST_RESUBMIT only for a resubmit that came in as one; a parsed resubmit
      // (even "resubmit:N") always goes out as NXAST_RESUBMIT_TABLE.
      out.push({
        type: a.withCtOrig ? 'resubmit_table_ct' : 'resubmit_table',
        port: a.inPort,
        table: a.tableId,
      });
      return;
    case 'learn': {
      const flags =
        (a.sendFlowRem ? LEARN_SEND_FLOW_REM : 0) |
        (a.deleteLearned ? LEARN_DELETE_LEARNED : 0) |
        (a.resultDst ? LEARN_WRITE_RESULT : 0);
      out.push({
        type: a.limit || a.resultDst ? 'learn2' : 'learn',
        idleTimeout: a.idleTimeout,
        hardTimeout: a.hardTimeout,
        priority: a.priority,
        cookie: a.cookie,
        flags,
        tableId: a.tableId,
        finIdleTimeout: a.finIdleTimeout,
        finHardTimeout: a.finHardTimeout,
        limit: a.limit,
        resultDst: a.resultDst ? { field: wireName(a.resultDst.field), ofs: a.resultDst.ofs } : null,
        specs: a.specs.map(learnSpecToWire),
      });
      return;
    }
    case 'conjunction':
      out.push({ type: 'conjunction', clause: a.clause, nClauses: a.nClauses, id: a.id });
      return;
    case 'multipath':
      out.push({
        type: 'multipath',
        fields: HASH_FIELDS.indexOf(a.fields),
        basis: a.basis,
        algorithm: MULTIPATH_ALGORITHMS.indexOf(a.algorithm),
        maxLink: a.maxLink,
        arg: a.arg,
        ...subfieldWire(a.dst),
      });
      return;
    case 'note':
      out.push({ type: 'note', data: a.data });
      return;
    case 'exit':
      out.push({ type: 'exit' });
      return;
    case 'clone': {
      const inner: OfAction[] = [];
      for (const x of a.actions) actionToWire(x, version, state, inner);
      out.push({ type: 'clone', actions: inner });
      return;
    }
    case 'meter':
      // encode_METER: an action only from OpenFlow 1.5; OpenFlow 1.0 drops it.
      if (version >= OFP15_VERSION) out.push({ type: 'meter', value: a.meterId });
      else if (!of10) instructionOnly(a, version);
      return;
    case 'write_metadata':
      if (of10) out.push({ type: 'write_metadata', metadata: a.metadata, mask: a.mask });
      else instructionOnly(a, version);
      return;
    case 'goto_table':
      if (of10) out.push({ type: 'resubmit_table', port: OFPP_IN_PORT, table: a.tableId });
      else instructionOnly(a, version);
      return;
    case 'clear_actions':
    case 'write_actions':
      // OpenFlow 1.0 has no action set: Open vSwitch leaves these out of a 1.0 flow mod.
      if (!of10) instructionOnly(a, version);
      return;
  }
}

/** Whether a text action is an instruction (not part of apply-actions) in `version` (1.1+). */
function isInstruction(a: OfpAction, version: number): boolean {
  switch (a.type) {
    case 'meter':
      return version < OFP15_VERSION;
    case 'clear_actions':
    case 'write_actions':
    case 'write_metadata':
    case 'goto_table':
      return true;
    default:
      return false;
  }
}

/**
 * Text-layer actions as wire actions for OpenFlow `version` (OVS ofpacts_put_openflow_actions()). Throws
 * an Error naming the action when it cannot be expressed there (an instruction in an action list of
 * OpenFlow 1.1+, a field without a header ...). `context.match` lets mod_vlan_vid and mod_tp_src/dst be
 * encoded exactly as ovs-ofctl encodes them for a flow (see ActionContext).
 */
export function actionsToWire(
  list: readonly OfpAction[],
  version: number,
  context: ActionContext = {},
): OfAction[] {
  const state = new FlowState(context.match);
  const out: OfAction[] = [];
  for (const a of list) actionToWire(a, version, state, out);
  return out;
}

/**
 * Text-layer actions and instructions as wire instructions for `version` (OVS
 * ofpacts_put_openflow_instructions()): for OpenFlow 1.0 and Nicira flow mods, [] or one apply_actions
 * holding everything OpenFlow 1.0 can say (goto_table as resubmit, write_metadata as the Nicira action);
 * for 1.1+, each run of actions becomes an apply_actions instruction, the rest become their instructions.
 */
export function instructionsToWire(
  list: readonly OfpAction[],
  version: number,
  context: ActionContext = {},
): Instruction[] {
  const state = new FlowState(context.match);
  if (version === OFP10_VERSION) {
    const actions: OfAction[] = [];
    for (const a of list) actionToWire(a, version, state, actions);
    return actions.length ? [{ type: 'apply_actions', actions }] : [];
  }
  const out: Instruction[] = [];
  let apply: OfAction[] | null = null;
  for (const a of list) {
    if (!isInstruction(a, version)) {
      if (!apply) {
        apply = [];
        out.push({ type: 'apply_actions', actions: apply });
      }
      actionToWire(a, version, state, apply);
      continue;
    }
    apply = null;
    switch (a.type) {
      case 'meter':
        // OpenFlow 1.1 and 1.2 have no meters (encode_METER writes nothing).
        if (version >= OFP13_VERSION) out.push({ type: 'meter', meterId: a.meterId });
        break;
      case 'clear_actions':
        out.push({ type: 'clear_actions' });
        break;
      case 'write_actions': {
        const inner: OfAction[] = [];
        for (const x of a.actions) actionToWire(x, version, state, inner);
        out.push({ type: 'write_actions', actions: inner });
        break;
      }
      case 'write_metadata':
        out.push({ type: 'write_metadata', metadata: a.metadata, mask: a.mask });
        break;
      case 'goto_table':
        out.push({ type: 'goto_table', tableId: a.tableId });
        break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Whole flows.

/** How flows travel (OVS enum ofputil_protocol): OpenFlow 1.0's ofp10_match, Nicira NXM, or OXM (1.2+). */
export type FlowFormat = 'openflow10' | 'nxm' | 'oxm';

/** The protocol a flow mod is encoded for. */
export interface FlowProtocol {
  /** OpenFlow version of the connection. */
  readonly version: number;
  readonly format: FlowFormat;
  /**
   * OpenFlow 1.0 / NXM only: whether NXT_FLOW_MOD_TABLE_ID is on, so that the command's high byte carries
   * the table (255 for a flow that names none).
   */
  readonly tid?: boolean;
}

/** OFPFC_* numbers of the flow commands. */
const FLOW_COMMANDS: Readonly<Record<ParsedFlow['command'], number>> = {
  add: 0,
  modify: 1,
  modify_strict: 2,
  delete: 3,
  delete_strict: 4,
  filter: 3,
};

const ALL_ONES_64 = 0xffffffffffffffffn;

/**
 * A parsed flow as the flow mod ovs-ofctl sends for it (OVS ofputil_encode_flow_mod): OFPT_FLOW_MOD in
 * OpenFlow 1.0 or 1.1+, or NXT_FLOW_MOD (NXM, in OpenFlow 1.0). Cookies, tables and flags are placed as
 * that function places them for each protocol.
 */
export function flowModToWire(flow: ParsedFlow, protocol: FlowProtocol): FlowMod {
  const { version, format } = protocol;
  const command = FLOW_COMMANDS[flow.command];
  const del = command === 3 || command === 4;
  const newCookie = flow.newCookie ?? ALL_ONES_64;
  const match = matchToWire(flow.match, format === 'oxm' ? version : 0);
  // A field the text named made ovs-ofctl's match Ethernet-only (match_add_ethernet_prereq); when
  // normalization dropped it and nothing left implies Ethernet, nx_put_raw says so with packet_type=(0,0).
  if (format !== 'openflow10' && flow.dropped.length && !impliesEthernet(match)) {
    match.unshift({ field: 'packet_type', value: new Uint8Array(4), mask: null });
  }
  const instructions = instructionsToWire(flow.actions, version, { match: flow.match });
  let cookie: bigint;
  let tableId: number;
  if (format === 'oxm') {
    cookie = command === 0 ? newCookie : flow.cookie & flow.cookieMask;
    tableId = flow.tableId !== TABLE_ANY || del ? flow.tableId : 0;
  } else {
    cookie = format === 'nxm' && flow.cookieMask ? flow.cookie : newCookie;
    tableId = protocol.tid ? flow.tableId : 0;
  }
  const fm: FlowMod = {
    type: format === 'nxm' ? 'nx_flow_mod' : 'flow_mod',
    cookie,
    cookieMask: format === 'openflow10' ? 0n : flow.cookieMask,
    tableId,
    command,
    idleTimeout: flow.idleTimeout,
    hardTimeout: flow.hardTimeout,
    priority: flow.priority,
    bufferId: 0xffffffff,
    outPort: flow.outPort,
    outGroup: flow.outGroup,
    // OpenFlow 1.0 has only send_flow_rem and check_overlap of the flags the syntax names.
    flags: version === OFP10_VERSION ? flow.flags & 3 : flow.flags,
    importance: version >= OFP14_VERSION && command === 0 ? flow.importance : 0,
    match,
    instructions,
  };
  // Added after the rest (not spread from a literal of its own): the same object, made for less.
  if (format === 'nxm' && flow.cookieMask) fm.newCookie = newCookie;
  return fm;
}

/** Whether a wire match names a field with a prerequisite (one that implies Ethernet). */
function impliesEthernet(match: readonly MatchEntry[]): boolean {
  for (const e of match) if (fieldInfo(e.field)?.prereq !== 'none') return true;
  return false;
}

/** A flow (or aggregate) stats request for a dump-flows filter, as ovs-ofctl writes it. */
export function flowStatsRequestToWire(
  filter: ParsedFlow,
  protocol: FlowProtocol,
  aggregate: boolean,
): FlowStatsRequest {
  const { version, format } = protocol;
  const base = aggregate ? 'aggregate_stats_request' : 'flow_stats_request';
  return {
    type: format === 'nxm' ? (`nx_${base}` as const) : base,
    flags: 0,
    tableId: filter.tableId,
    outPort: filter.outPort,
    outGroup: filter.outGroup ?? OFPG_ANY,
    cookie: filter.cookie,
    cookieMask: filter.cookieMask,
    match: matchToWire(filter.match, format === 'oxm' ? version : 0),
  };
}

/** Which flow formats can carry a flow (a subset of OVS's usable_protocols, for OpenFlow 1.0 and 1.3). */
export interface UsableFormats {
  /** OpenFlow 1.0's ofp10_match (OFPUTIL_P_OF10_STD*). */
  readonly openflow10: boolean;
  /** Nicira NXM in OpenFlow 1.0 (OFPUTIL_P_OF10_NXM*). */
  readonly nxm: boolean;
  /** OXM in OpenFlow 1.2+ (OFPUTIL_P_OF1x_OXM): not when an action does not fit the match. */
  readonly oxm: boolean;
  /** In OpenFlow 1.0 the flow names a table, which needs NXT_FLOW_MOD_TABLE_ID (OFPUTIL_P_TID). */
  readonly tid: boolean;
}

interface Usable {
  std: boolean;
  of10: boolean;
  /** False once an action does not fit the match (OVS inconsistent_match(): OpenFlow 1.0 only). */
  consistent: boolean;
}

/** Whether an action fits the flow as the actions before it left it (OVS's check_*() that may say no). */
function consistent(a: OfpAction, state: FlowState): boolean {
  const dlType = state.flow[K_DL_TYPE] & 0xffff;
  const ip = dlType === ETH_TYPE_IP || dlType === ETH_TYPE_IPV6;
  switch (a.type) {
    case 'set_vlan_vid':
    case 'set_vlan_pcp':
      return state.hasVlan || a.pushIfNeeded;
    case 'strip_vlan':
      return state.hasVlan;
    case 'set_ipv4_src':
    case 'set_ipv4_dst':
      return dlType === ETH_TYPE_IP;
    case 'set_ip_dscp':
    case 'set_ip_ecn':
    case 'set_ip_ttl':
      return ip;
    case 'set_l4_src_port':
    case 'set_l4_dst_port':
      return (
        ip &&
        !((state.flow[K_NW] >>> NW_FRAG_SHIFT) & 2) &&
        [IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP].includes(state.ipProto)
      );
    case 'fin_timeout':
      return state.ipProto === IPPROTO_TCP;
    default:
      return true;
  }
}

/** Updates the flow as the action leaves it (mod_vlan_vid tags it, strip_vlan untags it, set_field ...). */
function track(a: OfpAction, state: FlowState): void {
  if (a.type === 'set_vlan_vid' || a.type === 'set_vlan_pcp') state.markVlan();
  else if (a.type === 'push_vlan') state.pushVlan();
  else if (a.type === 'strip_vlan') state.popVlan();
  else if (a.type === 'set_field') {
    if (['vlan_vid', 'vlan_pcp', 'vlan_tci', 'dl_vlan', 'dl_vlan_pcp'].includes(a.field.name))
      state.markVlan();
    else setField(a.field, state.writable(), a.value, a.mask);
  }
}

function actionsUsable(list: readonly OfpAction[], usable: Usable, state: FlowState): void {
  for (const a of list) {
    if (!consistent(a, state)) usable.consistent = false;
    if (a.type === 'push_vlan' || a.type === 'meter') usable.of10 = false;
    else if (a.type === 'write_metadata') usable.std = false;
    else if (a.type === 'set_field' && !a.load && fieldInfo(a.field.name)?.of10 == null) usable.std = false;
    else if (a.type === 'clone') actionsUsable(a.actions, usable, state);
    else if (a.type === 'write_actions') {
      // An action set is not checked against the match (check_WRITE_ACTIONS works on a copy).
      const copy = { ...usable };
      actionsUsable(a.actions, copy, new FlowState({ value: state.flow, mask: state.flow }));
      usable.std &&= copy.std;
      usable.of10 &&= copy.of10;
    }
    track(a, state);
  }
}

/**
 * The flow formats a parsed flow can travel in, as ovs-ofctl works them out while parsing (parse_ofp_str's
 * usable_protocols, as far as tsovs's fields and actions go): OpenFlow 1.0's fixed match only for what
 * ofp10_match can say (no registers, tunnel or metadata fields, no IPv6 L3/L4 fields, CIDR address masks,
 * no cookie mask), NXM for everything OpenFlow 1.0 can carry (not push_vlan or meter), OXM always.
 */
export function usableFormats(flow: ParsedFlow, forRequest = false): UsableFormats {
  const usable: Usable = { std: true, of10: true, consistent: true };
  const entries = matchToWire(flow.match, 0);
  if (of10Unencodable(entries) !== null) usable.std = false;
  const v = flow.match.value;
  const k = flow.match.mask;
  if ((v[K_DL_TYPE] & 0xffff) === ETH_TYPE_IPV6 && (k[K_NW] & 0xffff || k[K_TP])) usable.std = false;
  if (flow.cookieMask) usable.std = false;
  // SCTP ports have no ofp10_match slot (OVS: OXM and NXM only).
  if ((v[K_NW] & 0xff) === IPPROTO_SCTP && k[K_TP]) usable.std = false;
  // Fields the text named but normalization dropped still decided the protocol in ovs-ofctl's parser.
  if (flow.dropped.some((name) => fieldInfo(name)?.of10 == null)) usable.std = false;
  // ofp10_match has a VID and a PCP, each exact or wild: the masks dl_vlan/vlan_vid and dl_vlan_pcp/vlan_pcp
  // leave. Other vlan_tci masks (vlan_tci=0x1000/0x1000) need NXM.
  const tciMask = k[K_VLAN0] & 0xffff;
  if (![0, 0xffff, 0x1fff, 0xf000].includes(tciMask)) usable.std = false;
  if (flow.outGroup !== OFPG_ANY) usable.of10 = false;
  if (flow.flags & ~3) usable.of10 = false;
  actionsUsable(flow.actions, usable, new FlowState(flow.match));
  return {
    openflow10: usable.of10 && usable.std,
    nxm: usable.of10,
    oxm: usable.consistent,
    // Stats requests carry the table in their body; only flow mods need the extension.
    tid: !forRequest && flow.tableId !== TABLE_ANY,
  };
}
