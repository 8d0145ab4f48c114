// OpenFlow actions and instructions in ovs-ofctl's text syntax (ovs-actions(7)): a typed list (one variant
// per OVS ofpact kind we implement), the parser (OVS ofpacts_parse_instructions), the printer (OVS
// ofpacts_format) and the consistency check against the flow's match (OVS ofpacts_check): an action that
// reads or writes a field the match does not establish is refused with OFPBAC_MATCH_INCONSISTENT.
import { FLOW_WORDS, FlowWordsPool } from '../ofproto/of-flow.js';
import { K_VLAN0, K_VLAN1, VLAN_PRESENT } from '../packet/flow-key.js';
import { formatIpv4 } from '../packet/ip-addr.js';
import {
  exactMask,
  fieldByName,
  formatFieldValue,
  formatSubfield,
  getField,
  isUnsupportedFieldName,
  isValidFieldValue,
  type MatchField,
  parseExactFieldValue,
  parseFieldValue,
  parseSubfield,
  parseSubfieldAt,
  prerequisitesMet,
  type Subfield,
  setMatchField,
  subfieldMask,
} from './fields.js';
import {
  formatPort,
  OFPP_ALL,
  OFPP_CONTROLLER,
  OFPP_FLOOD,
  OFPP_IN_PORT,
  OFPP_LOCAL,
  OFPP_MAX,
  OFPP_NONE,
  OFPP_NORMAL,
  OFPP_TABLE,
  type PortNames,
  parsePort,
} from './port-text.js';
import {
  atoi,
  FlowTextError,
  formatMac48,
  hexBytes,
  hexText,
  parseHexBytes,
  parseIntString,
  splitKeyValues,
  strToIp,
  strToMac,
  strToU8,
  strToU16,
  strToU32,
  strToU64,
  strToUint,
  strtoull,
} from './text-util.js';

/** Why a packet goes to the controller (OVS enum ofp_packet_in_reason, by its text name). */
export type PacketInReason = 'no_match' | 'action' | 'invalid_ttl' | 'action_set' | 'group' | 'packet_out';
const REASONS: readonly PacketInReason[] = [
  'no_match',
  'action',
  'invalid_ttl',
  'action_set',
  'group',
  'packet_out',
];

/** Fields a bundle or multipath action hashes (OVS enum nx_hash_fields, by name). */
export type HashFields =
  | 'eth_src'
  | 'symmetric_l4'
  | 'symmetric_l3l4'
  | 'symmetric_l3l4+udp'
  | 'nw_src'
  | 'nw_dst'
  | 'symmetric_l3';
const HASH_FIELDS: readonly HashFields[] = [
  'eth_src',
  'symmetric_l4',
  'symmetric_l3l4',
  'symmetric_l3l4+udp',
  'nw_src',
  'nw_dst',
  'symmetric_l3',
];

/** One spec of a learn action: what the learned flow matches, loads or outputs. */
export type LearnSpec =
  /** Match the learned flow's `dst` against the current packet's `src`. */
  | { readonly kind: 'match_field'; readonly dst: Subfield; readonly src: Subfield }
  /** Match the learned flow's `dst` against a constant. */
  | { readonly kind: 'match_imm'; readonly dst: Subfield; readonly value: bigint }
  /** The learned flow loads the current packet's `src` into `dst`. */
  | { readonly kind: 'load_field'; readonly dst: Subfield; readonly src: Subfield }
  /** The learned flow loads a constant into `dst`. */
  | { readonly kind: 'load_imm'; readonly dst: Subfield; readonly value: bigint }
  /** The learned flow outputs to the port in the current packet's `src`. */
  | { readonly kind: 'output'; readonly src: Subfield };

/** The learn action (OVS struct ofpact_learn). */
export interface LearnAction {
  readonly type: 'learn';
  readonly tableId: number;
  readonly idleTimeout: number;
  readonly hardTimeout: number;
  readonly finIdleTimeout: number;
  readonly finHardTimeout: number;
  readonly priority: number;
  readonly cookie: bigint;
  readonly sendFlowRem: boolean;
  readonly deleteLearned: boolean;
  readonly limit: number;
  /** Bit that receives whether the flow was learned (result_dst=), or null. */
  readonly resultDst: Subfield | null;
  readonly specs: readonly LearnSpec[];
}

/** An action or instruction. Port numbers are 16-bit OpenFlow ports (see port-text.ts). */
export type OfpAction =
  /** Output to a port (NORMAL, FLOOD, ALL, IN_PORT, LOCAL, CONTROLLER are ports too). */
  | { readonly type: 'output'; readonly port: number; readonly maxLen: number }
  /** Output to the port held in a field (output:NXM_NX_REG0[]). */
  | { readonly type: 'output_reg'; readonly src: Subfield; readonly maxLen: number }
  | { readonly type: 'group'; readonly groupId: number }
  /** controller(...) with anything beyond max_len (a plain one is an output to CONTROLLER). */
  | {
      readonly type: 'controller';
      readonly maxLen: number;
      readonly reason: PacketInReason;
      readonly controllerId: number;
      readonly userdata: Uint8Array | null;
      readonly pause: boolean;
      readonly meterId: number;
    }
  | { readonly type: 'enqueue'; readonly port: number; readonly queue: number }
  | {
      readonly type: 'bundle';
      readonly fields: HashFields;
      readonly basis: number;
      readonly algorithm: 'active_backup' | 'hrw';
      readonly members: readonly number[];
      /** bundle_load's destination; null for bundle. */
      readonly dst: Subfield | null;
    }
  /** set_field (or load, when `load` is true: printed as load:...->SUBFIELD). */
  | {
      readonly type: 'set_field';
      readonly field: MatchField;
      readonly value: bigint;
      readonly mask: bigint;
      readonly load: boolean;
    }
  /** set_vlan_vid, or mod_vlan_vid (which pushes a tag when there is none) when pushIfNeeded. */
  | { readonly type: 'set_vlan_vid'; readonly vid: number; readonly pushIfNeeded: boolean }
  | { readonly type: 'set_vlan_pcp'; readonly pcp: number; readonly pushIfNeeded: boolean }
  /** strip_vlan, spelled pop_vlan when `pop`. */
  | { readonly type: 'strip_vlan'; readonly pop: boolean }
  | { readonly type: 'push_vlan'; readonly ethertype: number }
  | { readonly type: 'set_eth_src' | 'set_eth_dst'; readonly mac: bigint }
  | { readonly type: 'set_ipv4_src' | 'set_ipv4_dst'; readonly ip: number }
  /** mod_nw_tos: the TOS byte's DSCP bits (low two bits zero). */
  | { readonly type: 'set_ip_dscp'; readonly dscp: number }
  | { readonly type: 'set_ip_ecn'; readonly ecn: number }
  | { readonly type: 'set_ip_ttl'; readonly ttl: number }
  | { readonly type: 'set_l4_src_port' | 'set_l4_dst_port'; readonly port: number }
  | { readonly type: 'reg_move'; readonly src: Subfield; readonly dst: Subfield }
  | { readonly type: 'stack_push' | 'stack_pop'; readonly subfield: Subfield }
  /** dec_ttl; `controllerIds` is the list given as dec_ttl(ID,...), null for plain dec_ttl. */
  | { readonly type: 'dec_ttl'; readonly controllerIds: readonly number[] | null }
  /** set_tunnel / set_tunnel64 (`is64` when written as set_tunnel64). */
  | { readonly type: 'set_tunnel'; readonly tunId: bigint; readonly is64: boolean }
  | { readonly type: 'set_queue'; readonly queueId: number }
  | { readonly type: 'pop_queue' }
  | { readonly type: 'fin_timeout'; readonly idleTimeout: number; readonly hardTimeout: number }
  /** resubmit; inPort OFPP_IN_PORT means "same port", tableId 255 means "same table". */
  | {
      readonly type: 'resubmit';
      readonly inPort: number;
      readonly tableId: number;
      readonly withCtOrig: boolean;
    }
  | LearnAction
  /** conjunction(id, clause/nClauses); clause is 0-based here (printed 1-based). */
  | { readonly type: 'conjunction'; readonly id: number; readonly clause: number; readonly nClauses: number }
  | {
      readonly type: 'multipath';
      readonly fields: HashFields;
      readonly basis: number;
      readonly algorithm: 'modulo_n' | 'hash_threshold' | 'hrw' | 'iter_hash';
      readonly maxLink: number;
      readonly arg: number;
      readonly dst: Subfield;
    }
  | { readonly type: 'note'; readonly data: Uint8Array }
  | { readonly type: 'exit' }
  | { readonly type: 'clone'; readonly actions: readonly OfpAction[] }
  /** Instructions (OpenFlow 1.1+): meter, clear_actions, write_actions, write_metadata, goto_table. */
  | { readonly type: 'meter'; readonly meterId: number }
  | { readonly type: 'clear_actions' }
  | { readonly type: 'write_actions'; readonly actions: readonly OfpAction[] }
  | { readonly type: 'write_metadata'; readonly metadata: bigint; readonly mask: bigint }
  | { readonly type: 'goto_table'; readonly tableId: number };

/** The action kinds. */
export type OfpActionType = OfpAction['type'];

/** Where an action list sits, for the nesting rules. */
type Outer = '' | 'clone' | 'write_actions';

/** Options for parsing actions. */
export interface ActionParseOptions {
  /** Port names (ovs-ofctl --names). */
  readonly ports?: PortNames;
}

const NX_CTLR_NO_METER = 0xffffffff;
const U64 = 0xffffffffffffffffn;

// Action names Open vSwitch has and tsovs does not implement.
const UNSUPPORTED_ACTIONS = new Set([
  'set_mpls_label',
  'set_mpls_tc',
  'set_mpls_ttl',
  'dec_mpls_ttl',
  'push_mpls',
  'pop_mpls',
  'dec_nsh_ttl',
  'delete_field',
  'encap',
  'decap',
  'sample',
  'unroll_xlate',
  'ct',
  'ct_clear',
  'nat',
  'output_trunc',
  'check_pkt_larger',
  'debug_recirc',
  'debug_slow',
]);

function unsupported(what: string): FlowTextError {
  return new FlowTextError(`${what}: not supported by tsovs`, 'UNSUPPORTED');
}

// OVS set_field_split_str(): "VALUE->FIELD".
function splitArrow(arg: string): { value: string; key: string } {
  const at = arg.indexOf('->');
  if (at < 0) throw new FlowTextError(`${arg}: missing \`->'`);
  if (arg.length - at <= 2) throw new FlowTextError(`${arg}: missing field name following \`->'`);
  return { value: arg.slice(0, at), key: arg.slice(at + 2) };
}

function bitsFit(value: bigint, nBits: number): boolean {
  return value >> BigInt(nBits) === 0n;
}

function checkNxmHeader(sf: Subfield, whole: string, text: string): void {
  if (!sf.field.headers.length)
    throw new FlowTextError(`${whole}: experimenter OXM field '${text}' not supported`);
}

function parseOutput(arg: string, o: ActionParseOptions): OfpAction {
  if (arg.includes('port') && arg.includes('max_len')) throw unsupported('output(port=...,max_len=...)');
  const port = parsePort(arg, o.ports);
  if (port !== undefined) return { type: 'output', port, maxLen: port === OFPP_CONTROLLER ? 0xffff : 0 };
  let src: Subfield;
  try {
    src = parseSubfield(arg);
  } catch {
    throw new FlowTextError(`${arg}: output to unknown port`);
  }
  return { type: 'output_reg', src, maxLen: 0xffff };
}

function parseController(arg: string): OfpAction {
  let reason: PacketInReason = 'action';
  let controllerId = 0;
  let maxLen = 0xffff;
  let meterId = NX_CTLR_NO_METER;
  let userdata: string | null = null;
  let pause = false;
  if (arg === '') {
    // defaults
  } else if (/^[0-9]*$/.test(arg)) {
    maxLen = strToU16(arg, 'max_len');
  } else {
    for (const { key, value } of splitKeyValues(arg)) {
      if (key === 'reason') {
        const r = REASONS.find((x) => x === value.toLowerCase());
        if (!r) throw new FlowTextError(`unknown reason "${value}"`);
        reason = r;
      } else if (key === 'max_len') maxLen = strToU16(value, 'max_len');
      else if (key === 'id') controllerId = strToU16(value, 'id');
      else if (key === 'userdata') userdata = value;
      else if (key === 'pause') pause = true;
      else if (key === 'meter_id') meterId = strToU32(value);
      else throw new FlowTextError(`unknown key "${key}" parsing controller action`);
    }
  }
  if (
    reason === 'action' &&
    controllerId === 0 &&
    userdata === null &&
    !pause &&
    meterId === NX_CTLR_NO_METER
  ) {
    return { type: 'output', port: OFPP_CONTROLLER, maxLen };
  }
  let bytes: Uint8Array | null = null;
  if (userdata !== null) {
    const h = parseHexBytes(userdata);
    if (h.end !== userdata.length) throw new FlowTextError("bad hex digit in `controller' action `userdata'");
    bytes = h.bytes.length ? h.bytes : null;
  }
  return { type: 'controller', maxLen, reason, controllerId, userdata: bytes, pause, meterId };
}

function parseEnqueue(arg: string, o: ActionParseOptions): OfpAction {
  const m = /^[:q,]*([^:q,]+)[:q,]?(.*)$/.exec(arg);
  if (!m || m[2] === '') {
    throw new FlowTextError('"enqueue" syntax is "enqueue:PORT:QUEUE" or "enqueue(PORT,QUEUE)"');
  }
  const port = parsePort(m[1], o.ports);
  if (port === undefined) throw new FlowTextError(`${m[1]}: enqueue to unknown port`);
  return { type: 'enqueue', port, queue: strToU32(m[2]) };
}

function hashFields(s: string, whole: string): HashFields {
  const f = HASH_FIELDS.find((x) => x === s.toLowerCase());
  if (!f) throw new FlowTextError(`${whole}: unknown fields \`${s}'`);
  return f;
}

// OVS bundle_parse() / bundle_parse_load(): strtok_r over ", " then members over ", []".
function parseBundle(arg: string, load: boolean, o: ActionParseOptions): OfpAction {
  const tokens: string[] = [];
  let rest = arg;
  const next = (delims: string): string | undefined => {
    let i = 0;
    while (i < rest.length && delims.includes(rest[i])) i++;
    if (i >= rest.length) {
      rest = '';
      return undefined;
    }
    let j = i;
    while (j < rest.length && !delims.includes(rest[j])) j++;
    const tok = rest.slice(i, j);
    rest = rest.slice(j + 1);
    return tok;
  };
  for (let k = 0; k < (load ? 5 : 4); k++) tokens.push(next(', ') ?? '');
  const memberDelim = next(': ');
  const [fieldsText, basis, algorithm, memberType] = tokens;
  const dstText = load ? tokens[4] : '';
  if (memberDelim === undefined) throw new FlowTextError(`${arg}: not enough arguments to bundle action`);
  const delim = memberDelim.toLowerCase();
  if (delim !== 'members' && delim !== 'slaves') {
    throw new FlowTextError(`${arg}: missing member delimiter, expected \`members', got \`${memberDelim}'`);
  }
  const members: number[] = [];
  for (;;) {
    const m = next(', []');
    if (m === undefined || members.length >= 2048) break;
    const port = parsePort(m, o.ports);
    if (port === undefined) throw new FlowTextError(`${m}: bad port number`);
    members.push(port);
  }
  const fields = hashFields(fieldsText, arg);
  const alg = algorithm.toLowerCase();
  if (alg !== 'active_backup' && alg !== 'hrw')
    throw new FlowTextError(`${arg}: unknown algorithm \`${algorithm}'`);
  if (memberType.toLowerCase() !== 'ofport')
    throw new FlowTextError(`${arg}: unknown member_type \`${memberType}'`);
  let dst: Subfield | null = null;
  if (load) {
    dst = parseSubfield(dstText);
    checkNxmHeader(dst, arg, dstText);
  }
  return { type: 'bundle', fields, basis: atoi(basis) & 0xffff, algorithm: alg, members, dst };
}

function parseSetField(arg: string, o: ActionParseOptions): OfpAction {
  const { value, key } = splitArrow(arg);
  const f = fieldByName(key);
  if (!f) {
    if (isUnsupportedFieldName(key)) throw unsupported(key);
    throw new FlowTextError(`${key} is not a valid OXM field name`);
  }
  if (!f.writable) throw new FlowTextError(`${key} is read-only`);
  const r = parseFieldValue(f, value, o.ports);
  if (!isValidFieldValue(f, r.value))
    throw new FlowTextError(`${value} is not a valid value for field ${key}`);
  return { type: 'set_field', field: f, value: r.value & r.mask, mask: r.mask, load: false };
}

function parseLoad(arg: string): OfpAction {
  const { value, key } = splitArrow(arg);
  const dst = parseSubfield(key);
  const v = parseIntString(value, dst.field.bytes);
  if (v.err) throw new FlowTextError(`${arg}: cannot parse integer value`);
  if (!bitsFit(v.value, dst.nBits)) {
    throw new FlowTextError(
      `${arg}: value ${formatFieldValue(dst.field, v.value)} does not fit into ${dst.nBits} bits`,
    );
  }
  const mask = subfieldMask(dst);
  return { type: 'set_field', field: dst.field, value: v.value << BigInt(dst.ofs), mask, load: true };
}

function parseMove(arg: string): { src: Subfield; dst: Subfield } {
  const s = parseSubfieldAt(arg);
  if (!arg.startsWith('->', s.end)) throw new FlowTextError(`${arg}: missing \`->' following source`);
  const dst = parseSubfield(arg.slice(s.end + 2));
  if (s.sf.nBits !== dst.nBits) {
    throw new FlowTextError(
      `${arg}: source field is ${s.sf.nBits} bits wide but destination is ${dst.nBits} bits wide`,
    );
  }
  return { src: s.sf, dst };
}

function parseStack(arg: string): Subfield {
  const s = parseSubfieldAt(arg);
  if (s.end !== arg.length)
    throw new FlowTextError(`${arg.slice(s.end)}: trailing garbage following push or pop`);
  return s.sf;
}

function parseTable(s: string): number {
  const t = strToUint(s);
  if (t === undefined || t > 255) throw new FlowTextError(`unknown table "${s}"`);
  return t;
}

function parseResubmit(arg: string, o: ActionParseOptions): OfpAction {
  const parts = arg.split(',');
  let inPort = OFPP_IN_PORT;
  let tableId = 255;
  let withCtOrig = false;
  if (parts[0]) {
    const p = parsePort(parts[0], o.ports);
    if (p === undefined) throw new FlowTextError(`${parts[0]}: resubmit to unknown port`);
    inPort = p;
  }
  if (parts.length > 1 && parts[1]) {
    const t = strToUint(parts[1]);
    if (t === undefined || t > 255) throw new FlowTextError(`${parts[1]}: resubmit to unknown table`);
    tableId = t;
  }
  if (parts.length > 2 && parts[2]) {
    if (parts.slice(2).join(',') !== 'ct')
      throw new FlowTextError(`${parts.slice(2).join(',')}: unknown parameter`);
    withCtOrig = true;
  }
  if (inPort === OFPP_IN_PORT && tableId === 255) {
    throw new FlowTextError('at least one "in_port" or "table" must be specified on resubmit');
  }
  return { type: 'resubmit', inPort, tableId, withCtOrig };
}

function parseLearnSpec(orig: string, name: string, value: string, o: ActionParseOptions): LearnSpec {
  let dst: Subfield | undefined;
  try {
    dst = parseSubfield(name);
  } catch {
    dst = undefined;
  }
  if (dst) {
    checkNxmHeader(dst, orig, name);
    if (value === '') return { kind: 'match_field', dst, src: dst };
    let srcError = '';
    let src: Subfield | undefined;
    try {
      src = parseSubfield(value);
    } catch (e) {
      if (!(e instanceof FlowTextError)) throw e;
      srcError = e.message;
    }
    if (src) {
      if (src.nBits !== dst.nBits) {
        throw new FlowTextError(
          `${orig}: bit widths of ${name} (${src.nBits}) and ${value} (${dst.nBits}) differ`,
        );
      }
      return { kind: 'match_field', dst, src };
    }
    let imm: bigint;
    let immError = '';
    if (dst.ofs === 0 && dst.nBits === dst.field.bits) {
      try {
        imm = parseExactFieldValue(dst.field, value, o.ports);
      } catch (e) {
        immError = e instanceof FlowTextError ? e.message : String(e);
        imm = 0n;
      }
    } else {
      const v = parseIntString(value, dst.field.bytes);
      imm = v.value;
      if (v.err || v.end !== value.length) immError = `${orig}: cannot parse integer value`;
      else if (!bitsFit(v.value, dst.nBits)) {
        immError = `${orig}: value ${formatFieldValue(dst.field, v.value)} does not fit into ${dst.nBits} bits`;
      }
    }
    if (immError) {
      throw new FlowTextError(
        `${orig}: ${name} value ${value} cannot be parsed as a subfield (${srcError}) or an immediate value (${immError})`,
      );
    }
    const immBytes = Math.ceil(dst.nBits / 8);
    return { kind: 'match_imm', dst, value: imm & ((1n << BigInt(immBytes * 8)) - 1n) };
  }
  if (name === 'load') {
    const arrow = value.indexOf('->');
    if (arrow === 0) throw new FlowTextError(`${name}: missing source before \`->' in \`${value}'`);
    if (arrow < 0) throw new FlowTextError(`${name}: missing \`->' in \`${value}'`);
    const v = parseIntString(value, 128);
    if (!v.err && v.end !== 0) {
      if (v.end !== arrow) throw new FlowTextError(`${name}: garbage before \`->' in \`${value}'`);
      const ld = parseSubfield(value.slice(arrow + 2));
      checkNxmHeader(ld, value, value.slice(arrow + 2));
      if (!bitsFit(v.value, ld.nBits))
        throw new FlowTextError(`${value}: value does not fit into ${ld.nBits} bits`);
      return { kind: 'load_imm', dst: ld, value: v.value };
    }
    const mv = parseMove(value);
    return { kind: 'load_field', dst: mv.dst, src: mv.src };
  }
  if (name === 'output') return { kind: 'output', src: parseSubfield(value) };
  throw new FlowTextError(`${orig}: unknown keyword ${name}`);
}

function parseLearn(arg: string, o: ActionParseOptions): LearnAction {
  let tableId = 1;
  let idleTimeout = 0;
  let hardTimeout = 0;
  let finIdleTimeout = 0;
  let finHardTimeout = 0;
  let priority = 32768;
  let cookie = 0n;
  let sendFlowRem = false;
  let deleteLearned = false;
  let limit = 0;
  let resultDst: Subfield | null = null;
  const specs: LearnSpec[] = [];
  for (const { key, value } of splitKeyValues(arg)) {
    if (key === 'table') {
      tableId = parseTable(value);
      if (tableId === 255) throw new FlowTextError(`${arg}: table id 255 not valid for \`learn' action`);
    } else if (key === 'priority') priority = atoi(value) & 0xffff;
    else if (key === 'idle_timeout') idleTimeout = atoi(value) & 0xffff;
    else if (key === 'hard_timeout') hardTimeout = atoi(value) & 0xffff;
    else if (key === 'fin_idle_timeout') finIdleTimeout = atoi(value) & 0xffff;
    else if (key === 'fin_hard_timeout') finHardTimeout = atoi(value) & 0xffff;
    else if (key === 'cookie') cookie = strtoull(value, 0, 0).value;
    else if (key === 'send_flow_rem') sendFlowRem = true;
    else if (key === 'delete_learned') deleteLearned = true;
    else if (key === 'limit') limit = atoi(value) >>> 0;
    else if (key === 'result_dst') {
      resultDst = parseSubfield(value);
      if (!resultDst.field.writable) throw new FlowTextError(`${value} is read-only`);
      if (resultDst.nBits !== 1) throw new FlowTextError("result_dst in 'learn' action must be a single bit");
    } else specs.push(parseLearnSpec(arg, key, value, o));
  }
  return {
    type: 'learn',
    tableId,
    idleTimeout,
    hardTimeout,
    finIdleTimeout,
    finHardTimeout,
    priority,
    cookie,
    sendFlowRem,
    deleteLearned,
    limit,
    resultDst,
    specs,
  };
}

function parseConjunction(arg: string): OfpAction {
  const m = /^\s*([+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*))\s*,\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(arg);
  if (!m) throw new FlowTextError('"conjunction" syntax is "conjunction(id,i/n)"');
  const id = Number(BigInt.asUintN(32, strtoull(m[1], 0, 0).value));
  const clause = Number(m[2]);
  const n = Number(m[3]);
  if (clause > 255 || n > 255) throw new FlowTextError('"conjunction" syntax is "conjunction(id,i/n)"');
  if (n < 2) throw new FlowTextError('conjunction must have at least 2 clauses');
  if (n > 64) throw new FlowTextError('conjunction must have at most 64 clauses');
  if (clause < 1) throw new FlowTextError('clause index must be positive');
  if (clause > n) throw new FlowTextError('clause index must be less than or equal to number of clauses');
  return { type: 'conjunction', id, clause: clause - 1, nClauses: n };
}

function parseMultipath(arg: string): OfpAction {
  const tokens = arg.split(/[, ]+/).filter((t) => t !== '');
  if (tokens.length < 6) throw new FlowTextError(`${arg}: not enough arguments to multipath action`);
  const [fieldsText, basis, algorithm, nLinksText, argText, dstText] = tokens;
  const fields = hashFields(fieldsText, arg);
  const alg = algorithm.toLowerCase();
  if (alg !== 'modulo_n' && alg !== 'hash_threshold' && alg !== 'hrw' && alg !== 'iter_hash') {
    throw new FlowTextError(`${arg}: unknown algorithm \`${algorithm}'`);
  }
  const nLinks = atoi(nLinksText);
  if (nLinks < 1 || nLinks > 65536) {
    throw new FlowTextError(`${arg}: n_links ${nLinks} is not in valid range 1 to 65536`);
  }
  const dst = parseSubfield(dstText);
  checkNxmHeader(dst, arg, dstText);
  if (dst.nBits < 16 && nLinks > 2 ** dst.nBits) {
    throw new FlowTextError(
      `${arg}: ${dst.nBits}-bit destination field has ${2 ** dst.nBits} possible values, less than specified n_links ${nLinks}`,
    );
  }
  return {
    type: 'multipath',
    fields,
    basis: atoi(basis) & 0xffff,
    algorithm: alg,
    maxLink: nLinks - 1,
    arg: atoi(argText) >>> 0,
    dst,
  };
}

function parseDecTtl(arg: string): OfpAction {
  if (arg === '') return { type: 'dec_ttl', controllerIds: null };
  const ids = arg
    .split(/[, ]+/)
    .filter((t) => t !== '')
    .map((t) => atoi(t) & 0xffff);
  if (!ids.length) throw new FlowTextError('dec_ttl_cnt_ids: expected at least one controller id.');
  return { type: 'dec_ttl', controllerIds: ids };
}

function parseFinTimeout(arg: string): OfpAction {
  let idleTimeout = 0;
  let hardTimeout = 0;
  for (const { key, value } of splitKeyValues(arg)) {
    if (key === 'idle_timeout') idleTimeout = strToU16(value, key);
    else if (key === 'hard_timeout') hardTimeout = strToU16(value, key);
    else throw new FlowTextError(`invalid key '${key}' in 'fin_timeout' argument`);
  }
  return { type: 'fin_timeout', idleTimeout, hardTimeout };
}

function parseWriteMetadata(arg: string): OfpAction {
  const slash = arg.indexOf('/');
  const mask = slash >= 0 ? strToU64(arg.slice(slash + 1)) : U64;
  const metadata = strToU64(slash >= 0 ? arg.slice(0, slash) : arg);
  return { type: 'write_metadata', metadata, mask };
}

function parseSetVlanVid(arg: string, pushIfNeeded: boolean): OfpAction {
  const vid = strToU16(arg, 'VLAN VID');
  if (vid & ~0x0fff) throw new FlowTextError(`${arg}: not a valid VLAN VID`);
  return { type: 'set_vlan_vid', vid, pushIfNeeded };
}

function parseSetVlanPcp(arg: string, pushIfNeeded: boolean): OfpAction {
  const pcp = strToU8(arg, 'VLAN PCP');
  if (pcp & ~7) throw new FlowTextError(`${arg}: not a valid VLAN PCP`);
  return { type: 'set_vlan_pcp', pcp, pushIfNeeded };
}

function parseNote(arg: string): OfpAction {
  const h = parseHexBytes(arg);
  if (h.end !== arg.length) throw new FlowTextError("bad hex digit in `note' argument");
  return { type: 'note', data: h.bytes };
}

// One named action (OVS ofpact_parse() and the special names in ofpacts_parse__()).
function parseOne(name: string, value: string, o: ActionParseOptions): OfpAction | 'drop' {
  switch (name.toLowerCase()) {
    case 'output':
    case 'output_reg':
      return parseOutput(value, o);
    case 'group':
      return { type: 'group', groupId: strToU32(value) };
    case 'controller':
      return parseController(value);
    case 'enqueue':
      return parseEnqueue(value, o);
    case 'bundle':
      return parseBundle(value, false, o);
    case 'bundle_load':
      return parseBundle(value, true, o);
    case 'set_field':
      return parseSetField(value, o);
    case 'load':
      return parseLoad(value);
    case 'set_vlan_vid':
      return parseSetVlanVid(value, false);
    case 'mod_vlan_vid':
      return parseSetVlanVid(value, true);
    case 'set_vlan_pcp':
      return parseSetVlanPcp(value, false);
    case 'mod_vlan_pcp':
      return parseSetVlanPcp(value, true);
    case 'strip_vlan':
      return { type: 'strip_vlan', pop: false };
    case 'pop_vlan':
      return { type: 'strip_vlan', pop: true };
    case 'push_vlan': {
      const ethertype = strToU16(value, 'ethertype');
      if (ethertype !== 0x8100 && ethertype !== 0x88a8)
        throw new FlowTextError(`${value}: not a valid VLAN ethertype`);
      return { type: 'push_vlan', ethertype };
    }
    case 'mod_dl_src':
      return { type: 'set_eth_src', mac: strToMac(value) };
    case 'mod_dl_dst':
      return { type: 'set_eth_dst', mac: strToMac(value) };
    case 'mod_nw_src':
      return { type: 'set_ipv4_src', ip: strToIp(value) };
    case 'mod_nw_dst':
      return { type: 'set_ipv4_dst', ip: strToIp(value) };
    case 'mod_nw_tos': {
      const tos = strToU8(value, 'TOS');
      if (tos & 3) throw new FlowTextError(`${value}: not a valid TOS`);
      return { type: 'set_ip_dscp', dscp: tos };
    }
    case 'mod_nw_ecn': {
      const ecn = strToU8(value, 'ECN');
      if (ecn & ~3) throw new FlowTextError(`${value}: not a valid ECN`);
      return { type: 'set_ip_ecn', ecn };
    }
    case 'mod_nw_ttl':
    case 'set_nw_ttl':
      return { type: 'set_ip_ttl', ttl: strToU8(value, 'TTL') };
    case 'mod_tp_src':
      return { type: 'set_l4_src_port', port: strToU16(value, 'source port') };
    case 'mod_tp_dst':
      return { type: 'set_l4_dst_port', port: strToU16(value, 'destination port') };
    case 'move':
      return { type: 'reg_move', ...parseMove(value) };
    case 'push':
      return { type: 'stack_push', subfield: parseStack(value) };
    case 'pop':
      return { type: 'stack_pop', subfield: parseStack(value) };
    case 'dec_ttl':
      return parseDecTtl(value);
    case 'set_tunnel':
      return { type: 'set_tunnel', tunId: strToU64(value), is64: false };
    case 'set_tunnel64':
      return { type: 'set_tunnel', tunId: strToU64(value), is64: true };
    case 'set_queue':
      return { type: 'set_queue', queueId: strToU32(value) };
    case 'pop_queue':
      return { type: 'pop_queue' };
    case 'fin_timeout':
      return parseFinTimeout(value);
    case 'resubmit':
      return parseResubmit(value, o);
    case 'learn':
      return parseLearn(value, o);
    case 'conjunction':
      return parseConjunction(value);
    case 'multipath':
      return parseMultipath(value);
    case 'note':
      return parseNote(value);
    case 'exit':
      return { type: 'exit' };
    case 'clone':
      return { type: 'clone', actions: parseActionList(value, o, false, 'clone') };
    case 'meter':
      return { type: 'meter', meterId: strToU32(value) };
    case 'clear_actions':
      return { type: 'clear_actions' };
    case 'write_actions':
      return { type: 'write_actions', actions: parseActionList(value, o, false, 'write_actions') };
    case 'write_metadata':
      return parseWriteMetadata(value);
    case 'goto_table':
      return { type: 'goto_table', tableId: parseTable(value) };
    case 'drop':
      return 'drop';
    case 'apply_actions':
      throw new FlowTextError('apply_actions is the default instruction');
    default: {
      if (UNSUPPORTED_ACTIONS.has(name.toLowerCase())) throw unsupported(name);
      const port = parsePort(name, o.ports);
      if (port !== undefined) return { type: 'output', port, maxLen: 0 };
      throw new FlowTextError(`unknown action ${name}`);
    }
  }
}

// OVS's instruction types, in the order OpenFlow 1.1+ requires them.
const INSTRUCTION_NAMES = [
  'meter',
  'apply_actions',
  'clear_actions',
  'write_actions',
  'write_metadata',
  'goto_table',
];

function instructionOf(a: OfpAction): number {
  switch (a.type) {
    case 'meter':
      return 0;
    case 'clear_actions':
      return 2;
    case 'write_actions':
      return 3;
    case 'write_metadata':
      return 4;
    case 'goto_table':
      return 5;
    default:
      return 1;
  }
}

// OVS ofpacts_verify(): instruction order and where instructions may appear.
function verify(actions: readonly OfpAction[], allowInstructions: boolean, outer: Outer): void {
  if (actions.some((a) => a.type === 'conjunction')) {
    const other = actions.find((a) => a.type !== 'conjunction' && a.type !== 'note');
    if (other) {
      throw new FlowTextError(
        `"conjunction" actions may be used along with "note" but not any other kind of action (such as the "${actionName(other)}" action used here)`,
      );
    }
    return;
  }
  let inst = 0;
  actions.forEach((a, i) => {
    if (outer && a.type === 'meter')
      throw new FlowTextError(`${outer} action doesn't support nested action meter`);
    const next = instructionOf(a);
    if (i > 0 && (inst === 1 ? next < inst : next <= inst)) {
      if (next === inst) {
        throw new FlowTextError(
          `duplicate ${INSTRUCTION_NAMES[inst]} instruction not allowed, for OpenFlow 1.1+ compatibility`,
        );
      }
      throw new FlowTextError(
        `invalid instruction ordering: ${INSTRUCTION_NAMES[next]} must appear before ${INSTRUCTION_NAMES[inst]}, for OpenFlow 1.1+ compatibility`,
      );
    }
    if (!allowInstructions && next !== 0 && next !== 1) {
      throw new FlowTextError(`${INSTRUCTION_NAMES[next]} instruction not allowed here`);
    }
    inst = next;
  });
}

/** OVS's name for an action kind (ofpact_name). */
export function actionName(a: OfpAction): string {
  switch (a.type) {
    case 'set_eth_src':
      return 'mod_dl_src';
    case 'set_eth_dst':
      return 'mod_dl_dst';
    case 'set_ipv4_src':
      return 'mod_nw_src';
    case 'set_ipv4_dst':
      return 'mod_nw_dst';
    case 'set_ip_dscp':
      return 'mod_nw_tos';
    case 'set_ip_ecn':
      return 'mod_nw_ecn';
    case 'set_ip_ttl':
      return 'mod_nw_ttl';
    case 'set_l4_src_port':
      return 'mod_tp_src';
    case 'set_l4_dst_port':
      return 'mod_tp_dst';
    case 'reg_move':
      return 'move';
    case 'stack_push':
      return 'push';
    case 'stack_pop':
      return 'pop';
    default:
      return a.type;
  }
}

function parseActionList(
  text: string,
  o: ActionParseOptions,
  allowInstructions: boolean,
  outer: Outer,
): OfpAction[] {
  const out: OfpAction[] = [];
  let drop = false;
  for (const { key, value } of splitKeyValues(text)) {
    const a = parseOne(key, value, o);
    if (a === 'drop') drop = true;
    else out.push(a);
  }
  if (drop && out.length) {
    throw new FlowTextError('"drop" must not be accompanied by any other action or instruction');
  }
  verify(out, allowInstructions, outer);
  return out;
}

/**
 * Parses the text after "actions=" (OVS ofpacts_parse_instructions): actions and OpenFlow 1.1+
 * instructions, comma-separated; "drop" or nothing for no actions. Throws FlowTextError with OVS's message.
 */
export function parseActions(text: string, options: ActionParseOptions = {}): OfpAction[] {
  return parseActionList(text, options, true, '');
}

// --- Printing -----------------------------------------------------------------------------------------

function formatLoad(a: { field: MatchField; value: bigint; mask: bigint }): string {
  // OVS next_load_segment(): one load per run of contiguous mask bits, lowest run first.
  const parts: string[] = [];
  const bits = a.field.bits;
  let ofs = 0;
  while (ofs < bits) {
    while (ofs < bits && !((a.mask >> BigInt(ofs)) & 1n)) ofs++;
    if (ofs >= bits) break;
    let end = ofs;
    while (end < bits && (a.mask >> BigInt(end)) & 1n) end++;
    const n = end - ofs;
    const v = (a.value >> BigInt(ofs)) & ((1n << BigInt(n)) - 1n);
    parts.push(`load:${hexText(v)}->${formatSubfield({ field: a.field, ofs, nBits: n })}`);
    ofs = end;
  }
  return parts.join(',');
}

function formatLearn(a: LearnAction, portNames?: ReadonlyMap<number, string>): string {
  let s = `learn(table=${a.tableId}`;
  if (a.idleTimeout) s += `,idle_timeout=${a.idleTimeout}`;
  if (a.hardTimeout) s += `,hard_timeout=${a.hardTimeout}`;
  if (a.finIdleTimeout) s += `,fin_idle_timeout=${a.finIdleTimeout}`;
  if (a.finHardTimeout) s += `,fin_hard_timeout=${a.finHardTimeout}`;
  if (a.priority !== 32768) s += `,priority=${a.priority}`;
  if (a.sendFlowRem) s += ',send_flow_rem';
  if (a.deleteLearned) s += ',delete_learned';
  if (a.cookie) s += `,cookie=${hexText(a.cookie)}`;
  if (a.limit) s += `,limit=${a.limit}`;
  if (a.resultDst) s += `,result_dst=${formatSubfield(a.resultDst)}`;
  for (const spec of a.specs) {
    s += ',';
    switch (spec.kind) {
      case 'match_imm':
        if (spec.dst.ofs === 0 && spec.dst.nBits === spec.dst.field.bits) {
          s += `${spec.dst.field.name}=${formatFieldValue(spec.dst.field, spec.value, undefined, portNames)}`;
        } else {
          s += `${formatSubfield(spec.dst)}=${hexText(spec.value)}`;
        }
        break;
      case 'match_field':
        s += formatSubfield(spec.dst);
        if (spec.src.field !== spec.dst.field || spec.src.ofs !== spec.dst.ofs)
          s += `=${formatSubfield(spec.src)}`;
        break;
      case 'load_imm':
        s += `load:${hexText(spec.value)}->${formatSubfield(spec.dst)}`;
        break;
      case 'load_field':
        s += `load:${formatSubfield(spec.src)}->${formatSubfield(spec.dst)}`;
        break;
      case 'output':
        s += `output:${formatSubfield(spec.src)}`;
        break;
    }
  }
  return `${s})`;
}

/** One action as ovs-ofctl prints it. */
export function actionText(a: OfpAction, portNames?: ReadonlyMap<number, string>): string {
  switch (a.type) {
    case 'output':
      return (
        (a.port < OFPP_MAX ? 'output:' : '') +
        formatPort(a.port, portNames) +
        (a.port === OFPP_CONTROLLER ? `:${a.maxLen}` : '')
      );
    case 'output_reg':
      return `output:${formatSubfield(a.src)}`;
    case 'group':
      return `group:${a.groupId}`;
    case 'controller': {
      const parts: string[] = [];
      if (a.reason !== 'action') parts.push(`reason=${a.reason}`);
      if (a.maxLen !== 0xffff) parts.push(`max_len=${a.maxLen}`);
      if (a.controllerId) parts.push(`id=${a.controllerId}`);
      if (a.userdata?.length) parts.push(`userdata=${hexBytes(a.userdata, '.')}`);
      if (a.pause) parts.push('pause');
      if (a.meterId !== NX_CTLR_NO_METER) parts.push(`meter_id=${a.meterId}`);
      if (!parts.length) return `CONTROLLER:${a.maxLen}`;
      return `controller(${parts.join(',')})`;
    }
    case 'enqueue':
      return `enqueue:${formatPort(a.port, portNames)}:${a.queue}`;
    case 'bundle':
      return (
        `${a.dst ? 'bundle_load' : 'bundle'}(${a.fields},${a.basis},${a.algorithm},ofport,` +
        (a.dst ? `${formatSubfield(a.dst)},` : '') +
        `members:${a.members.map((p) => formatPort(p, portNames)).join(',')})`
      );
    case 'set_field':
      if (a.load) return formatLoad(a);
      return `set_field:${formatFieldValue(a.field, a.value, a.mask, portNames)}->${a.field.name}`;
    case 'set_vlan_vid':
      return `${a.pushIfNeeded ? 'mod_vlan_vid' : 'set_vlan_vid'}:${a.vid}`;
    case 'set_vlan_pcp':
      return `${a.pushIfNeeded ? 'mod_vlan_pcp' : 'set_vlan_pcp'}:${a.pcp}`;
    case 'strip_vlan':
      return a.pop ? 'pop_vlan' : 'strip_vlan';
    case 'push_vlan':
      return `push_vlan:${hexText(a.ethertype)}`;
    case 'set_eth_src':
      return `mod_dl_src:${formatMac48(a.mac)}`;
    case 'set_eth_dst':
      return `mod_dl_dst:${formatMac48(a.mac)}`;
    case 'set_ipv4_src':
      return `mod_nw_src:${formatIpv4(a.ip)}`;
    case 'set_ipv4_dst':
      return `mod_nw_dst:${formatIpv4(a.ip)}`;
    case 'set_ip_dscp':
      return `mod_nw_tos:${a.dscp}`;
    case 'set_ip_ecn':
      return `mod_nw_ecn:${a.ecn}`;
    case 'set_ip_ttl':
      return `mod_nw_ttl:${a.ttl}`;
    case 'set_l4_src_port':
      return `mod_tp_src:${a.port}`;
    case 'set_l4_dst_port':
      return `mod_tp_dst:${a.port}`;
    case 'reg_move':
      return `move:${formatSubfield(a.src)}->${formatSubfield(a.dst)}`;
    case 'stack_push':
      return `push:${formatSubfield(a.subfield)}`;
    case 'stack_pop':
      return `pop:${formatSubfield(a.subfield)}`;
    case 'dec_ttl':
      return a.controllerIds ? `dec_ttl(${a.controllerIds.join(',')})` : 'dec_ttl';
    case 'set_tunnel':
      return `set_tunnel${a.is64 || a.tunId > 0xffffffffn ? '64' : ''}:${hexText(a.tunId)}`;
    case 'set_queue':
      return `set_queue:${a.queueId}`;
    case 'pop_queue':
      return 'pop_queue';
    case 'fin_timeout': {
      const parts: string[] = [];
      if (a.idleTimeout) parts.push(`idle_timeout=${a.idleTimeout}`);
      if (a.hardTimeout) parts.push(`hard_timeout=${a.hardTimeout}`);
      return `fin_timeout(${parts.join(',')})`;
    }
    case 'resubmit':
      if (a.inPort !== OFPP_IN_PORT && a.tableId === 255)
        return `resubmit:${formatPort(a.inPort, portNames)}`;
      return (
        `resubmit(${a.inPort !== OFPP_IN_PORT ? formatPort(a.inPort, portNames) : ''},` +
        `${a.tableId !== 255 ? a.tableId : ''}${a.withCtOrig ? ',ct' : ''})`
      );
    case 'learn':
      return formatLearn(a, portNames);
    case 'conjunction':
      return `conjunction(${a.id},${a.clause + 1}/${a.nClauses})`;
    case 'multipath':
      return `multipath(${a.fields},${a.basis},${a.algorithm},${a.maxLink + 1},${a.arg},${formatSubfield(a.dst)})`;
    case 'note':
      return `note:${hexBytes(a.data, '.')}`;
    case 'exit':
      return 'exit';
    case 'clone':
      return `clone(${actionsText(a.actions, portNames)})`;
    case 'meter':
      return `meter:${a.meterId}`;
    case 'clear_actions':
      return 'clear_actions';
    case 'write_actions':
      return `write_actions(${actionsText(a.actions, portNames)})`;
    case 'write_metadata':
      return `write_metadata:${hexText(a.metadata)}${a.mask !== U64 ? `/${hexText(a.mask)}` : ''}`;
    case 'goto_table':
      return `goto_table:${a.tableId}`;
  }
}

/** An action list as ovs-ofctl prints it after "actions=" (OVS ofpacts_format): "drop" when empty. */
export function actionsText(actions: readonly OfpAction[], portNames?: ReadonlyMap<number, string>): string {
  if (!actions.length) return 'drop';
  return actions.map((a) => actionText(a, portNames)).join(',');
}

// --- Consistency with the match -------------------------------------------------------------------------

function inconsistent(): FlowTextError {
  return new FlowTextError(
    'actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)',
    'OFPBAC_MATCH_INCONSISTENT',
  );
}

function invalid(code: string): FlowTextError {
  return new FlowTextError(`actions are invalid with specified match (${code})`, code);
}

function checkSrc(sf: Subfield, flow: Uint32Array): void {
  if (!prerequisitesMet(sf.field, flow)) throw inconsistent();
}

function checkDst(sf: Subfield, flow: Uint32Array): void {
  checkSrc(sf, flow);
  if (!sf.field.writable) throw invalid('OFPBAC_BAD_SET_ARGUMENT');
}

function checkOutputPort(port: number): void {
  switch (port) {
    case OFPP_IN_PORT:
    case OFPP_TABLE:
    case OFPP_NORMAL:
    case OFPP_FLOOD:
    case OFPP_ALL:
    case OFPP_CONTROLLER:
    case OFPP_LOCAL:
      return;
    case OFPP_NONE:
      throw invalid('OFPBAC_BAD_OUT_PORT');
    default:
      if (port >= OFPP_MAX) throw invalid('OFPBAC_BAD_OUT_PORT');
  }
}

// Writes a subfield's bits into a match (value and mask), as OVS mf_write_subfield_value() does for learn.
function writeSubfieldMatch(sf: Subfield, value: Uint32Array, mask: Uint32Array, bits: bigint): void {
  const f = sf.field;
  const sm = subfieldMask(sf);
  const v = (getField(f, value) & ~sm) | ((bits << BigInt(sf.ofs)) & sm);
  const m = getField(f, mask) | sm;
  if (!f.maskable && (m & exactMask(f)) !== exactMask(f)) return;
  setMatchField(f, value, mask, v, m);
}

function checkLearn(a: LearnAction, flow: Uint32Array): void {
  const dst = { value: new Uint32Array(flow.length), mask: new Uint32Array(flow.length) };
  for (const spec of a.specs) {
    if (spec.kind === 'match_field' || spec.kind === 'load_field' || spec.kind === 'output')
      checkSrc(spec.src, flow);
    if (spec.kind === 'match_field' || spec.kind === 'match_imm') {
      checkSrc(spec.dst, dst.value);
      if (spec.kind === 'match_imm') writeSubfieldMatch(spec.dst, dst.value, dst.mask, spec.value);
    } else if (spec.kind === 'load_field' || spec.kind === 'load_imm') {
      checkDst(spec.dst, dst.value);
    }
  }
}

/** The copies checkList() works on (a typed array of its own each would cost more than the check). */
const checkPool = new FlowWordsPool();

function checkList(actions: readonly OfpAction[], flow: Uint32Array, tableId: number): void {
  // Actions may change what the flow looks like to later actions (VLAN tags); work on a copy.
  const f = checkPool.alloc();
  f.set(flow.length > FLOW_WORDS ? flow.subarray(0, FLOW_WORDS) : flow);
  for (const a of actions) {
    switch (a.type) {
      case 'output':
        checkOutputPort(a.port);
        break;
      case 'enqueue':
        if (a.port >= OFPP_MAX && a.port !== OFPP_IN_PORT && a.port !== OFPP_LOCAL) {
          throw invalid('OFPBAC_BAD_OUT_PORT');
        }
        break;
      case 'output_reg':
        checkSrc(a.src, f);
        break;
      case 'bundle':
        if (a.dst) checkDst(a.dst, f);
        for (const p of a.members) {
          if (p !== OFPP_NONE) checkOutputPort(p);
          if (p === OFPP_CONTROLLER) throw invalid('OFPBAC_BAD_OUT_PORT');
        }
        break;
      case 'set_vlan_vid':
      case 'set_vlan_pcp':
        f[K_VLAN0] |= VLAN_PRESENT;
        break;
      case 'strip_vlan':
        f[K_VLAN0] = f[K_VLAN1];
        f[K_VLAN1] = 0;
        break;
      case 'push_vlan':
        if (f[K_VLAN1] & VLAN_PRESENT) throw invalid('OFPBAC_BAD_TAG');
        f[K_VLAN1] = f[K_VLAN0];
        f[K_VLAN0] = VLAN_PRESENT;
        break;
      case 'set_field':
        if (!prerequisitesMet(a.field, f) || (a.field.name === 'vlan_vid' && !(f[K_VLAN0] & VLAN_PRESENT))) {
          throw inconsistent();
        }
        if (a.field.name === 'vlan_tci') f[K_VLAN0] = (f[K_VLAN0] & 0xffff0000) | Number(a.value & 0xffffn);
        break;
      case 'reg_move':
        checkSrc(a.src, f);
        checkDst(a.dst, f);
        break;
      case 'stack_push':
        checkSrc(a.subfield, f);
        break;
      case 'stack_pop':
        checkDst(a.subfield, f);
        break;
      case 'learn':
        checkLearn(a, f);
        break;
      case 'multipath':
        checkDst(a.dst, f);
        break;
      case 'resubmit':
        // with_ct_orig needs a match on a tracked connection (ct_state), which tsovs does not have.
        if (a.withCtOrig) throw inconsistent();
        break;
      case 'clone':
        checkList(a.actions, f, tableId);
        break;
      case 'write_actions':
        checkList(a.actions, f, tableId);
        break;
      case 'meter':
        if (a.meterId === 0 || a.meterId > 0xffff0000) throw invalid('OFPMMFC_INVALID_METER');
        break;
      case 'goto_table':
        if (tableId !== 255 && a.tableId <= tableId) throw invalid('OFPBIC_BAD_TABLE_ID');
        break;
      default:
        break;
    }
  }
}

/**
 * Checks actions against the match of the flow they belong to (OVS ofpacts_check): fields read or written
 * must have their prerequisites in the match (OFPBAC_MATCH_INCONSISTENT), output ports must be valid
 * (OFPBAC_BAD_OUT_PORT), goto_table must go forward (OFPBIC_BAD_TABLE_ID). `matchValue` is the match's
 * value words; `tableId` 255 when the flow's table is not given. Throws FlowTextError.
 */
export function checkActions(actions: readonly OfpAction[], matchValue: Uint32Array, tableId = 255): void {
  checkList(actions, matchValue, tableId);
}
