// OpenFlow actions and instructions: a typed union with one member per wire form (OpenFlow 1.0 and 1.1+
// standard actions, Nicira and ONF vendor actions), decoded and encoded for a given OpenFlow version.
//
// The union follows the wire, not the meaning: resubmit and resubmit_table are different members, as are
// set_tunnel and set_tunnel64, reg_load and set_field, so decode -> encode gives back the same bytes. The
// same member may have a different number per version (set_queue is NXAST 4 in OpenFlow 1.0, OFPAT 21 in
// 1.1+; output takes a 16-bit port in 1.0 and a 32-bit one in 1.1+). Ports are always given in OpenFlow 1.0
// numbering (OFPP_CONTROLLER = 0xfffd): 1.1+ ports 0xffffff00 and up map to 0xff00 and up, as in OVS.
//
// Errors are the OFPBAC_* / OFPBIC_* ones Open vSwitch answers with (OFPBAC_BAD_TYPE, OFPBAC_BAD_LEN,
// OFPBAC_BAD_VENDOR, OFPBAC_BAD_VENDOR_TYPE, OFPBAC_BAD_OUT_PORT, OFPBIC_UNKNOWN_INST ...).
import {
  decodeActionTlv,
  decodeFieldHeader,
  encodeActionTlv,
  encodeFieldHeader,
  fieldInfo,
  fieldOfNxmHeader32,
  isValueValid,
  type MatchEntry,
  nxmHeader32,
} from './oxm.js';
import {
  OFP10_VERSION,
  OFP11_VERSION,
  OFP12_VERSION,
  OFP13_VERSION,
  OFP15_VERSION,
  Reader,
  type Writer,
} from './wire.js';
import { NX_VENDOR_ID, OfpError, ONF_VENDOR_ID } from './wire-errors.js';

/** type of a vendor (experimenter) action. */
export const OFPAT_VENDOR = 0xffff;
/** OpenFlow 1.0 reserved ports. */
export const OFPP_MAX = 0xff00;
export const OFPP_IN_PORT = 0xfff8;
export const OFPP_TABLE = 0xfff9;
export const OFPP_NORMAL = 0xfffa;
export const OFPP_FLOOD = 0xfffb;
export const OFPP_ALL = 0xfffc;
export const OFPP_CONTROLLER = 0xfffd;
export const OFPP_LOCAL = 0xfffe;
export const OFPP_NONE = 0xffff;
/** OpenFlow 1.1+ equivalents are OFPP_* + this offset. */
export const OFPP11_OFFSET = 0xffff0000;
/** OpenFlow 1.1+ "any port" (OFPP_NONE's counterpart). */
export const OFPP11_ANY = 0xffffffff;

/** An OpenFlow 1.1+ 32-bit port as an OpenFlow 1.0 port; throws `err` for 0xff00..0xfffffeff. */
export function portFromOf11(
  port: number,
  err: 'OFPBAC_BAD_OUT_PORT' | 'OFPBRC_BAD_PORT' = 'OFPBAC_BAD_OUT_PORT',
): number {
  if (port < OFPP_MAX) return port;
  if (port >= 0xffffff00) return port - OFPP11_OFFSET;
  throw new OfpError(err, `port ${port} is outside 0 through 65279 or 0xffffff00 through 0xffffffff`);
}

/** An OpenFlow 1.0 port as the OpenFlow 1.1+ 32-bit port. */
export function portToOf11(port: number): number {
  return port < OFPP_MAX ? port : (port + OFPP11_OFFSET) >>> 0;
}

// ---------------------------------------------------------------------------------------------------------
// The union.

/** Actions whose wire form is a header and one integer. */
export type NumericActionType =
  | 'set_vlan_vid'
  | 'set_vlan_pcp'
  | 'push_vlan'
  | 'set_nw_src'
  | 'set_nw_dst'
  | 'set_nw_tos'
  | 'set_nw_ecn'
  | 'set_tp_src'
  | 'set_tp_dst'
  | 'set_mpls_label'
  | 'set_mpls_tc'
  | 'set_mpls_ttl'
  | 'push_mpls'
  | 'pop_mpls'
  | 'set_queue'
  | 'group'
  | 'set_nw_ttl'
  | 'meter'
  | 'resubmit'
  | 'set_tunnel';

/** Actions whose wire form is just a header. */
export type VoidActionType =
  | 'strip_vlan'
  | 'pop_vlan'
  | 'dec_mpls_ttl'
  | 'dec_nw_ttl'
  | 'pop_queue'
  | 'exit'
  | 'ct_clear'
  | 'dec_nsh_ttl';

/** A header-and-integer action (vid, pcp, ethertype, IPv4 address as u32, port, queue, group, table...). */
export interface NumericAction {
  type: NumericActionType;
  value: number;
}

export interface VoidAction {
  type: VoidActionType;
}

/** OFPAT_OUTPUT: port (OpenFlow 1.0 numbering), bytes to send to the controller. */
export interface OutputAction {
  type: 'output';
  port: number;
  maxLen: number;
}

/** OpenFlow 1.0 OFPAT_ENQUEUE. */
export interface EnqueueAction {
  type: 'enqueue';
  port: number;
  queueId: number;
}

/** OFPAT_SET_DL_SRC / _DST: a MAC as "aa:bb:cc:dd:ee:ff". */
export interface SetDlAction {
  type: 'set_dl_src' | 'set_dl_dst';
  mac: string;
}

/** NXAST_SET_TUNNEL64. */
export interface SetTunnel64Action {
  type: 'set_tunnel64';
  value: bigint;
}

/** OFPAT_SET_FIELD (mask only in OpenFlow 1.5) and NXAST_REG_LOAD2 (mask allowed). */
export interface SetFieldAction {
  type: 'set_field' | 'reg_load2';
  field: string;
  value: Uint8Array;
  mask: Uint8Array | null;
}

/** NXAST_REG_LOAD: `value` into bits [ofs, ofs+nBits) of `field`. */
export interface RegLoadAction {
  type: 'reg_load';
  field: string;
  ofs: number;
  nBits: number;
  value: bigint;
}

/** NXAST_REG_MOVE and ONF copy_field: nBits from src[srcOfs..] to dst[dstOfs..]. */
export interface RegMoveAction {
  type: 'reg_move' | 'copy_field';
  nBits: number;
  src: string;
  srcOfs: number;
  dst: string;
  dstOfs: number;
}

/** NXAST_RESUBMIT_TABLE(_CT): table 255 means "this table". */
export interface ResubmitTableAction {
  type: 'resubmit_table' | 'resubmit_table_ct';
  port: number;
  table: number;
}

/** NXAST_NOTE: the note bytes (as on the wire, with their padding). */
export interface NoteAction {
  type: 'note';
  data: Uint8Array;
}

/** NXAST_OUTPUT_REG(2): output to the port in a subfield. */
export interface OutputRegAction {
  type: 'output_reg' | 'output_reg2';
  field: string;
  ofs: number;
  nBits: number;
  maxLen: number;
}

/** NXAST_CONTROLLER. */
export interface ControllerAction {
  type: 'controller';
  maxLen: number;
  controllerId: number;
  reason: number;
}

/** NXAST_CONTROLLER2: the properties present, in order. */
export interface Controller2Action {
  type: 'controller2';
  props: Controller2Prop[];
}

export type Controller2Prop =
  | { kind: 'max_len'; value: number }
  | { kind: 'controller_id'; value: number }
  | { kind: 'reason'; value: number }
  | { kind: 'userdata'; data: Uint8Array }
  | { kind: 'pause' }
  | { kind: 'meter_id'; value: number };

/** NXAST_WRITE_METADATA. */
export interface WriteMetadataAction {
  type: 'write_metadata';
  metadata: bigint;
  mask: bigint;
}

/** NXAST_STACK_PUSH / _POP. */
export interface StackAction {
  type: 'stack_push' | 'stack_pop';
  field: string;
  ofs: number;
  nBits: number;
}

/** NXAST_FIN_TIMEOUT. */
export interface FinTimeoutAction {
  type: 'fin_timeout';
  idleTimeout: number;
  hardTimeout: number;
}

/** NXAST_CONJUNCTION. */
export interface ConjunctionAction {
  type: 'conjunction';
  clause: number;
  nClauses: number;
  id: number;
}

/** NXAST_MULTIPATH. */
export interface MultipathAction {
  type: 'multipath';
  fields: number;
  basis: number;
  algorithm: number;
  maxLink: number;
  arg: number;
  field: string;
  ofs: number;
  nBits: number;
}

/** NXAST_BUNDLE / _BUNDLE_LOAD (dst is null for bundle). */
export interface BundleAction {
  type: 'bundle' | 'bundle_load';
  algorithm: number;
  fields: number;
  basis: number;
  members: number[];
  dst: { field: string; ofs: number; nBits: number } | null;
}

/** NXAST_SAMPLE (sample), NXAST_SAMPLE2 and NXAST_SAMPLE3 (with sampling port and direction). */
export interface SampleAction {
  type: 'sample' | 'sample2' | 'sample3';
  probability: number;
  collectorSetId: number;
  obsDomainId: number;
  obsPointId: number;
  samplingPort: number;
  direction: number;
}

/** NXAST_DEC_TTL_CNT_IDS. */
export interface DecTtlCntIdsAction {
  type: 'dec_ttl_cnt_ids';
  ids: number[];
}

/** NXAST_OUTPUT_TRUNC. */
export interface OutputTruncAction {
  type: 'output_trunc';
  port: number;
  maxLen: number;
}

/** NXAST_CLONE: nested actions. */
export interface CloneAction {
  type: 'clone';
  actions: OfAction[];
}

/** NXAST_CT: zone from a subfield (zoneSrc) or immediate (zone); nested actions (nat, set_field...). */
export interface CtAction {
  type: 'ct';
  flags: number;
  zoneSrc: { field: string; ofs: number; nBits: number } | null;
  zone: number;
  recircTable: number;
  alg: number;
  actions: OfAction[];
}

/** NXAST_NAT: the range fields present are those given. */
export interface NatAction {
  type: 'nat';
  flags: number;
  ipv4Min: number | null;
  ipv4Max: number | null;
  ipv6Min: Uint8Array | null;
  ipv6Max: Uint8Array | null;
  protoMin: number | null;
  protoMax: number | null;
}

/** NXAST_CHECK_PKT_LARGER: sets bit `ofs` of `field` if the packet is longer than pktLen. */
export interface CheckPktLargerAction {
  type: 'check_pkt_larger';
  pktLen: number;
  field: string;
  ofs: number;
}

/** NXAST_DELETE_FIELD. */
export interface DeleteFieldAction {
  type: 'delete_field';
  field: string;
}

/** One learn flow_mod_spec. `imm` holds the immediate as on the wire (2*ceil(nBits/16) bytes). */
export interface LearnSpec {
  nBits: number;
  src: { field: string; ofs: number } | { imm: Uint8Array };
  dst: { kind: 'match' | 'load'; field: string; ofs: number } | { kind: 'output' };
}

/** NXAST_LEARN / NXAST_LEARN2 (limit and resultDst only in learn2). */
export interface LearnAction {
  type: 'learn' | 'learn2';
  idleTimeout: number;
  hardTimeout: number;
  priority: number;
  cookie: bigint;
  flags: number;
  tableId: number;
  finIdleTimeout: number;
  finHardTimeout: number;
  limit: number;
  resultDst: { field: string; ofs: number } | null;
  specs: LearnSpec[];
}

/** Every action. */
export type OfAction =
  | NumericAction
  | VoidAction
  | OutputAction
  | EnqueueAction
  | SetDlAction
  | SetTunnel64Action
  | SetFieldAction
  | RegLoadAction
  | RegMoveAction
  | ResubmitTableAction
  | NoteAction
  | OutputRegAction
  | ControllerAction
  | Controller2Action
  | WriteMetadataAction
  | StackAction
  | FinTimeoutAction
  | ConjunctionAction
  | MultipathAction
  | BundleAction
  | SampleAction
  | DecTtlCntIdsAction
  | OutputTruncAction
  | CloneAction
  | CtAction
  | NatAction
  | CheckPktLargerAction
  | DeleteFieldAction
  | LearnAction;

/** The `type` strings of every action. */
export type OfActionType = OfAction['type'];

// ---------------------------------------------------------------------------------------------------------
// Where each action lives on the wire, per version: 'OF1.0(1) OF1.1+(1)' = standard type 1 in 1.0 and in
// 1.1 and later; NX = Nicira subtype, ONF = ONF experimenter type.

type ArgType = 'void' | 'u8' | 'u16' | 'u32' | 'u64' | 'struct';

interface Encoding {
  vendor: number;
  type: number;
  from: number;
  to: number;
}

interface ActionSpec {
  kind: OfActionType;
  arg: ArgType;
  /** Bytes of the fixed part (for 'struct'); the action may be longer when `variable`. */
  size: number;
  variable: boolean;
  encodings: Encoding[];
}

const SPEC_ROWS: readonly [OfActionType, ArgType, number, boolean, string][] = [
  ['output', 'struct', 0, false, 'OF1.0(0) OF1.1+(0)'],
  ['set_vlan_vid', 'u16', 0, false, 'OF1.0(1) OF1.1+(1)'],
  ['set_vlan_pcp', 'u8', 0, false, 'OF1.0(2) OF1.1+(2)'],
  ['push_vlan', 'u16', 0, false, 'OF1.1+(17)'],
  ['strip_vlan', 'void', 0, false, 'OF1.0(3)'],
  ['pop_vlan', 'void', 0, false, 'OF1.1+(18)'],
  ['set_dl_src', 'struct', 16, false, 'OF1.0(4) OF1.1+(3)'],
  ['set_dl_dst', 'struct', 16, false, 'OF1.0(5) OF1.1+(4)'],
  ['set_nw_src', 'u32', 0, false, 'OF1.0(6) OF1.1+(5)'],
  ['set_nw_dst', 'u32', 0, false, 'OF1.0(7) OF1.1+(6)'],
  ['set_nw_tos', 'u8', 0, false, 'OF1.0(8) OF1.1+(7)'],
  ['set_nw_ecn', 'u8', 0, false, 'OF1.1+(8)'],
  ['set_tp_src', 'u16', 0, false, 'OF1.0(9) OF1.1+(9)'],
  ['set_tp_dst', 'u16', 0, false, 'OF1.0(10) OF1.1+(10)'],
  ['enqueue', 'struct', 16, false, 'OF1.0(11)'],
  ['set_mpls_label', 'u32', 0, false, 'NX1.0(30) OF1.1+(13)'],
  ['set_mpls_tc', 'u8', 0, false, 'NX1.0(31) OF1.1+(14)'],
  ['set_mpls_ttl', 'u8', 0, false, 'NX1.0(25) OF1.1+(15)'],
  ['dec_mpls_ttl', 'void', 0, false, 'NX1.0(26) OF1.1+(16)'],
  ['push_mpls', 'u16', 0, false, 'NX1.0(23) OF1.1+(19)'],
  ['pop_mpls', 'u16', 0, false, 'NX1.0(24) OF1.1+(20)'],
  ['set_queue', 'u32', 0, false, 'NX1.0(4) OF1.1+(21)'],
  ['group', 'u32', 0, false, 'NX1.0(40) OF1.1+(22)'],
  ['set_nw_ttl', 'u8', 0, false, 'OF1.1+(23)'],
  ['dec_nw_ttl', 'void', 0, false, 'NX1.0(18) OF1.1+(24)'],
  ['dec_ttl_cnt_ids', 'struct', 16, true, 'NX1.0+(21)'],
  ['set_field', 'struct', 8, true, 'OF1.2+(25)'],
  ['reg_load', 'struct', 24, false, 'NX1.0-1.4(7)'],
  ['reg_load2', 'struct', 16, true, 'NX1.0-1.4(33)'],
  ['copy_field', 'struct', 24, true, 'ONF1.3-1.4(3200)'],
  ['reg_move', 'struct', 16, true, 'NX1.0-1.4(6)'],
  ['meter', 'u32', 0, false, 'OF1.5+(29)'],
  ['resubmit', 'u16', 0, false, 'NX1.0+(1)'],
  ['resubmit_table', 'struct', 16, false, 'NX1.0+(14)'],
  ['resubmit_table_ct', 'struct', 16, false, 'NX1.0+(44)'],
  ['set_tunnel', 'u32', 0, false, 'NX1.0+(2)'],
  ['set_tunnel64', 'u64', 0, false, 'NX1.0+(9)'],
  ['pop_queue', 'void', 0, false, 'NX1.0+(5)'],
  ['note', 'struct', 16, true, 'NX1.0+(8)'],
  ['multipath', 'struct', 32, false, 'NX1.0+(10)'],
  ['bundle', 'struct', 32, true, 'NX1.0+(12)'],
  ['bundle_load', 'struct', 32, true, 'NX1.0+(13)'],
  ['output_reg', 'struct', 24, false, 'NX1.0+(15)'],
  ['output_reg2', 'struct', 24, false, 'NX1.0+(32)'],
  ['learn', 'struct', 32, true, 'NX1.0+(16)'],
  ['learn2', 'struct', 40, true, 'NX1.0+(45)'],
  ['exit', 'void', 0, false, 'NX1.0+(17)'],
  ['fin_timeout', 'struct', 16, false, 'NX1.0+(19)'],
  ['controller', 'struct', 16, false, 'NX1.0+(20)'],
  ['controller2', 'struct', 16, true, 'NX1.0+(37)'],
  ['write_metadata', 'struct', 32, false, 'NX1.0+(22)'],
  ['stack_push', 'struct', 24, false, 'NX1.0+(27)'],
  ['stack_pop', 'struct', 24, false, 'NX1.0+(28)'],
  ['sample', 'struct', 24, false, 'NX1.0+(29)'],
  ['sample2', 'struct', 32, false, 'NX1.0+(38)'],
  ['sample3', 'struct', 32, false, 'NX1.0+(41)'],
  ['conjunction', 'struct', 16, false, 'NX1.0+(34)'],
  ['ct', 'struct', 24, true, 'NX1.0+(35)'],
  ['nat', 'struct', 16, true, 'NX1.0+(36)'],
  ['output_trunc', 'struct', 16, false, 'NX1.0+(39)'],
  ['clone', 'struct', 16, true, 'NX1.0+(42)'],
  ['ct_clear', 'void', 0, false, 'NX1.0+(43)'],
  ['dec_nsh_ttl', 'void', 0, false, 'NX1.3+(48)'],
  ['check_pkt_larger', 'struct', 24, true, 'NX1.0+(49)'],
  ['delete_field', 'struct', 24, false, 'NX1.0+(50)'],
];

const VENDOR_OF_NAME: Record<string, number> = { OF: 0, NX: NX_VENDOR_ID, ONF: ONF_VENDOR_ID };

/**
 * Nicira actions Open vSwitch knows but this codec does not carry (encap, decap; the debug actions it
 * refuses unless started with --enable-dummy): their length is checked, then they are
 * OFPBAC_BAD_VENDOR_TYPE, in the order Open vSwitch answers. [subtype, first version, min length, variable].
 */
const REFUSED_NX: readonly [number, number, number, boolean][] = [
  [46, OFP13_VERSION, 16, true],
  [47, OFP13_VERSION, 16, true],
  [254, OFP10_VERSION, 16, false],
  [255, OFP10_VERSION, 16, false],
];

function parseEncodings(text: string): Encoding[] {
  return text.split(' ').map((spec) => {
    const m = /^([A-Z]+)1\.(\d)(\+|-1\.(\d))?\((\d+)\)$/.exec(spec);
    if (!m) throw new Error(`bad action spec ${spec}`);
    const from = Number.parseInt(m[2], 10) + 1;
    const to = m[3] === undefined ? from : m[3] === '+' ? OFP15_VERSION : Number.parseInt(m[4], 10) + 1;
    return { vendor: VENDOR_OF_NAME[m[1]], type: Number.parseInt(m[5], 10), from, to };
  });
}

const SPECS = new Map<OfActionType, ActionSpec>();
/** "version/vendor/type" -> spec. */
const DECODE = new Map<string, ActionSpec>();

for (const [kind, arg, size, variable, enc] of SPEC_ROWS) {
  const spec: ActionSpec = { kind, arg, size, variable, encodings: parseEncodings(enc) };
  SPECS.set(kind, spec);
  for (const e of spec.encodings) {
    for (let v = e.from; v <= e.to; v++) DECODE.set(`${v}/${e.vendor}/${e.type}`, spec);
  }
}

function headerLen(vendor: number): number {
  return vendor === 0 ? 4 : 10;
}

function argSize(arg: ArgType): number {
  return arg === 'u8' ? 1 : arg === 'u16' ? 2 : arg === 'u32' ? 4 : arg === 'u64' ? 8 : 0;
}

function roundUp(n: number, k: number): number {
  return Math.ceil(n / k) * k;
}

/** Fixed size of an action's encoding with `vendor` (integer-argument and void actions). */
function simpleLen(spec: ActionSpec, vendor: number): number {
  if (spec.arg === 'void') return roundUp(headerLen(vendor), 8);
  const size = argSize(spec.arg);
  return roundUp(roundUp(headerLen(vendor), size) + size, 8);
}

function minLen(spec: ActionSpec, vendor: number, version: number): number {
  if (spec.arg !== 'struct') return simpleLen(spec, vendor);
  if (spec.kind === 'output') return version === OFP10_VERSION ? 8 : 16;
  return spec.size;
}

/** The encoding of `kind` in `version`, or null if that version has none. */
function encodingFor(kind: OfActionType, version: number): Encoding | null {
  const spec = SPECS.get(kind);
  if (!spec) return null;
  for (const e of spec.encodings) if (version >= e.from && version <= e.to) return e;
  return null;
}

/** True when `action` can be encoded in OpenFlow `version`. */
export function actionEncodable(kind: OfActionType, version: number): boolean {
  return encodingFor(kind, version) !== null;
}

// ---------------------------------------------------------------------------------------------------------
// Decoding.

function ofsNbits(v: number): { ofs: number; nBits: number } {
  return { ofs: v >>> 6, nBits: (v & 63) + 1 };
}

function encodeOfsNbits(ofs: number, nBits: number): number {
  return ((ofs << 6) | (nBits - 1)) & 0xffff;
}

function mustBeZero(
  r: Reader,
  n: number,
  err: 'NXBRC_MUST_BE_ZERO' | 'OFPBAC_BAD_ARGUMENT' = 'NXBRC_MUST_BE_ZERO',
): void {
  const b = r.bytes(n);
  if (b.some((x) => x !== 0)) throw new OfpError(err, 'reserved bytes are not zero');
}

/** Checks a source subfield fits its field, as Open vSwitch's mf_check_src: OFPBAC_BAD_SET_LEN otherwise. */
function checkSrc(field: string, ofs: number, nBits: number): void {
  const bits = fieldInfo(field)?.bits ?? 0;
  if (nBits === 0 || ofs >= bits || ofs + nBits > bits) {
    throw new OfpError(
      'OFPBAC_BAD_SET_LEN',
      `bits ${ofs}..${ofs + nBits - 1} do not fit ${field} (${bits} bits)`,
    );
  }
}

/** mf_check_dst: checkSrc, and the field must be writable (OFPBAC_BAD_SET_ARGUMENT). */
function checkDst(field: string, ofs: number, nBits: number): void {
  checkSrc(field, ofs, nBits);
  if (!fieldInfo(field)?.writable) throw new OfpError('OFPBAC_BAD_SET_ARGUMENT', `${field} is not writable`);
}

/** A bare header following an action's fixed part (nx_pull_header's errors). */
function pulledField(r: Reader): string {
  return decodeFieldHeader(r).field;
}

/** A 32-bit NXM header inside an action's fixed part (OFPBAC_BAD_SET_TYPE if unknown). */
function structField(r: Reader): string {
  return fieldOfNxmHeader32(r.u32()).name;
}

/** ofpact_check_output_port: reserved ports by name, OFPP_NONE and 0xff00-0xfff7 refused. */
function checkOutputPort(port: number): void {
  if (port < OFPP_MAX || (port >= OFPP_IN_PORT && port <= OFPP_LOCAL)) return;
  throw new OfpError('OFPBAC_BAD_OUT_PORT', `cannot output to port 0x${port.toString(16)}`);
}

/** Open vSwitch's NX_HASH_FIELDS_* values (eth_src ... symmetric_l3). */
function hashFieldsValid(fields: number): boolean {
  return fields >= 0 && fields <= 6;
}

/** Argument checks Open vSwitch makes on the integer-argument actions. */
function checkNumeric(kind: NumericActionType, value: number): void {
  const bad =
    (kind === 'set_vlan_vid' && value > 0xfff) ||
    (kind === 'set_vlan_pcp' && value > 7) ||
    (kind === 'push_vlan' && value !== 0x8100 && value !== 0x88a8) ||
    (kind === 'set_nw_tos' && (value & ~0xfc) !== 0) ||
    (kind === 'set_nw_ecn' && value > 3) ||
    (kind === 'push_mpls' && value !== 0x8847 && value !== 0x8848);
  if (bad) throw new OfpError('OFPBAC_BAD_ARGUMENT', `${kind} with argument 0x${value.toString(16)}`);
}

function decodeController2Props(r: Reader): Controller2Prop[] {
  const props: Controller2Prop[] = [];
  while (r.left > 0) {
    if (r.left < 4) throw new OfpError('OFPBPC_BAD_LEN', 'truncated property header');
    const type = r.peek16(0);
    const len = r.peek16(2);
    const padded = roundUp(len, 8);
    if (len < 4 || padded > r.left) throw new OfpError('OFPBPC_BAD_LEN', `property length ${len}`);
    const p = r.sub(padded, 'OFPBPC_BAD_LEN', 'property');
    p.skip(4);
    const body = len - 4;
    // As ofpprop_parse_u8/u16: at least the value's size (Open vSwitch writes a 16-bit value with two
    // bytes of padding, a property length of 8); 32-bit values exactly; flags empty.
    const need = (n: number) => {
      const ok = n === 4 || n === 0 ? body === n : body >= n;
      if (!ok) throw new OfpError('OFPBPC_BAD_LEN', `controller2 property ${type} of ${body} bytes`);
    };
    switch (type) {
      case 0:
        need(2);
        props.push({ kind: 'max_len', value: p.u16() });
        break;
      case 1:
        need(2);
        props.push({ kind: 'controller_id', value: p.u16() });
        break;
      case 2:
        need(1);
        props.push({ kind: 'reason', value: p.u8() });
        break;
      case 3:
        props.push({ kind: 'userdata', data: p.bytes(body) });
        break;
      case 4:
        need(0);
        props.push({ kind: 'pause' });
        break;
      case 5:
        need(4);
        props.push({ kind: 'meter_id', value: p.u32() });
        break;
      default:
        throw new OfpError('OFPBPC_BAD_TYPE', `unknown controller2 property ${type}`);
    }
  }
  return props;
}

function decodeLearnSpecs(r: Reader): LearnSpec[] {
  const specs: LearnSpec[] = [];
  while (r.left >= 2) {
    const header = r.peek16(0);
    if (header === 0) break;
    r.skip(2);
    const nBits = header & 0x3ff;
    const srcImm = (header & (1 << 13)) !== 0;
    const dstType = (header >>> 11) & 3;
    if (!(dstType === 0 || dstType === 1 || (dstType === 2 && !srcImm))) {
      throw new OfpError('OFPBAC_BAD_ARGUMENT', `learn spec with src/dst combination ${header.toString(16)}`);
    }
    const srcLen = srcImm ? 2 * Math.ceil(nBits / 16) : 6;
    const dstLen = dstType === 2 ? 0 : 6;
    if (r.left < srcLen + dstLen) throw new OfpError('OFPBAC_BAD_LEN', 'learn spec overruns the action');
    let src: LearnSpec['src'];
    if (srcImm) src = { imm: r.bytes(srcLen) };
    else {
      const field = structField(r);
      src = { field, ofs: r.u16() };
    }
    let dst: LearnSpec['dst'];
    if (dstType === 2) dst = { kind: 'output' };
    else {
      const field = structField(r);
      dst = { kind: dstType === 0 ? 'match' : 'load', field, ofs: r.u16() };
    }
    specs.push({ nBits, src, dst });
  }
  mustBeZero(r, r.left, 'OFPBAC_BAD_ARGUMENT');
  return specs;
}

function ipv6Zero(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}

function decodeNat(r: Reader): NatAction {
  r.skip(2);
  const flags = r.u16();
  const present = r.u16();
  if (flags & ~0x1f || (flags & 1 && flags & 2) || (flags & 8 && flags & 16)) {
    throw new OfpError('OFPBAC_BAD_ARGUMENT', `nat flags 0x${flags.toString(16)}`);
  }
  const bad = (why: string): never => {
    throw new OfpError('OFPBAC_BAD_ARGUMENT', `nat: ${why}`);
  };
  const nat: NatAction = {
    type: 'nat',
    flags,
    ipv4Min: null,
    ipv4Max: null,
    ipv6Min: null,
    ipv6Max: null,
    protoMin: null,
    protoMax: null,
  };
  const take = (n: number): Reader | null => (r.left >= n ? r.sub(n) : null);
  let af = 0;
  if (present & 1) {
    if (present & 12) bad('both IPv4 and IPv6 ranges');
    const min = take(4);
    if (!min) return bad('truncated range');
    nat.ipv4Min = min.u32();
    if (nat.ipv4Min === 0) bad('zero address');
    af = 4;
    if (present & 2) {
      const max = take(4);
      if (!max) return bad('truncated range');
      nat.ipv4Max = max.u32();
      if (nat.ipv4Max < nat.ipv4Min) bad('max below min');
    }
  } else if (present & 2) bad('max without min');
  else if (present & 4) {
    const min = take(16);
    if (!min) return bad('truncated range');
    nat.ipv6Min = min.rest();
    if (ipv6Zero(nat.ipv6Min)) bad('zero address');
    af = 6;
    if (present & 8) {
      const max = take(16);
      if (!max) return bad('truncated range');
      nat.ipv6Max = max.rest();
    }
  } else if (present & 8) bad('max without min');
  if (present & 16) {
    if (af === 0) bad('port range without address range');
    const min = take(2);
    if (!min) return bad('truncated range');
    nat.protoMin = min.u16();
    if (nat.protoMin === 0) bad('zero port');
    if (present & 32) {
      const max = take(2);
      if (!max) return bad('truncated range');
      nat.protoMax = max.u16();
      if (nat.protoMax < nat.protoMin) bad('max below min');
    }
  } else if (present & 32) bad('port max without min');
  r.skip(r.left);
  return nat;
}

/** Decodes the body of one action whose header (4 or 10 bytes) has been read; `r` spans the action. */
function decodeBody(spec: ActionSpec, r: Reader, version: number, start: number, depth: number): OfAction {
  const kind = spec.kind;
  if (spec.arg !== 'struct') {
    if (spec.arg === 'void') return { type: kind as VoidActionType };
    // The argument is aligned to its own size within the action.
    const offset = r.pos - start;
    r.skip(roundUp(offset, argSize(spec.arg)) - offset);
    if (spec.arg === 'u64') return { type: 'set_tunnel64', value: r.u64() };
    const value = spec.arg === 'u8' ? r.u8() : spec.arg === 'u16' ? r.u16() : r.u32();
    checkNumeric(kind as NumericActionType, value);
    return { type: kind as NumericActionType, value };
  }
  switch (kind) {
    case 'output': {
      const port = version === OFP10_VERSION ? r.u16() : portFromOf11(r.u32());
      const maxLen = r.u16();
      checkOutputPort(port);
      return { type: 'output', port, maxLen };
    }
    case 'enqueue': {
      const port = r.u16();
      r.skip(6);
      const queueId = r.u32();
      if (port >= OFPP_MAX && port !== OFPP_IN_PORT && port !== OFPP_LOCAL) {
        throw new OfpError('OFPBAC_BAD_OUT_PORT', `enqueue on port 0x${port.toString(16)}`);
      }
      return { type: 'enqueue', port, queueId };
    }
    case 'set_dl_src':
    case 'set_dl_dst': {
      const b = r.bytes(6);
      const mac = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
      return { type: kind, mac };
    }
    case 'set_field': {
      const e = decodeActionTlv(r, version >= OFP15_VERSION);
      if (r.bytes(r.left).some((x) => x !== 0))
        throw new OfpError('OFPBAC_BAD_SET_ARGUMENT', 'set_field padding');
      checkSetField(e);
      return { type: 'set_field', field: e.field, value: e.value, mask: e.mask };
    }
    case 'reg_load2': {
      const e = decodeActionTlv(r, true);
      if (r.bytes(r.left).some((x) => x !== 0))
        throw new OfpError('OFPBAC_BAD_SET_ARGUMENT', 'reg_load2 padding');
      if (!fieldInfo(e.field)?.writable)
        throw new OfpError('OFPBAC_BAD_SET_ARGUMENT', `${e.field} is not writable`);
      return { type: 'reg_load2', field: e.field, value: e.value, mask: e.mask };
    }
    case 'reg_load': {
      const { ofs, nBits } = ofsNbits(r.u16());
      const field = structField(r);
      const value = r.u64();
      checkDst(field, ofs, nBits);
      if (nBits < 64 && value >> BigInt(nBits) !== 0n)
        throw new OfpError('OFPBAC_BAD_ARGUMENT', 'value wider than n_bits');
      return { type: 'reg_load', field, ofs, nBits, value };
    }
    case 'reg_move':
    case 'copy_field': {
      if (kind === 'copy_field') r.skip(2);
      const nBits = r.u16();
      const srcOfs = r.u16();
      const dstOfs = r.u16();
      if (kind === 'copy_field') r.skip(2);
      const src = pulledField(r);
      const dst = pulledField(r);
      mustBeZero(r, r.left);
      checkSrc(src, srcOfs, nBits);
      checkDst(dst, dstOfs, nBits);
      return { type: kind, nBits, src, srcOfs, dst, dstOfs };
    }
    case 'resubmit_table':
    case 'resubmit_table_ct': {
      const port = r.u16();
      const table = r.u8();
      mustBeZero(r, 3, 'OFPBAC_BAD_ARGUMENT');
      return { type: kind, port, table };
    }
    case 'note':
      return { type: 'note', data: r.rest() };
    case 'multipath': {
      const fields = r.u16();
      const basis = r.u16();
      r.skip(2);
      const algorithm = r.u16();
      const maxLink = r.u16();
      const arg = r.u32();
      r.skip(2);
      const { ofs, nBits } = ofsNbits(r.u16());
      const field = structField(r);
      const minBits = Math.ceil(Math.log2(maxLink + 1));
      if (!hashFieldsValid(fields) || algorithm > 3 || nBits < minBits) {
        throw new OfpError('OFPBAC_BAD_ARGUMENT', 'multipath fields, algorithm or destination width');
      }
      checkDst(field, ofs, nBits);
      return { type: 'multipath', fields, basis, algorithm, maxLink, arg, field, ofs, nBits };
    }
    case 'bundle':
    case 'bundle_load': {
      const algorithm = r.u16();
      const fields = r.u16();
      const basis = r.u16();
      const memberType = r.u32();
      const nMembers = r.u16();
      const on = r.u16();
      const dstHeader = r.u32();
      const zero = r.bytes(4);
      let bad =
        !hashFieldsValid(fields) || nMembers > 2048 || algorithm > 1 || memberType !== nxmHeader32('in_port');
      if (zero.some((x) => x !== 0)) bad = true;
      let dst: BundleAction['dst'] = null;
      if (kind === 'bundle_load') {
        const { ofs, nBits } = ofsNbits(on);
        dst = { field: fieldOfNxmHeader32(dstHeader).name, ofs, nBits };
        if (nBits < 16) bad = true;
      } else if (on || dstHeader) bad = true;
      if (r.left < 2 * nMembers) throw new OfpError('OFPBAC_BAD_LEN', 'bundle members overrun the action');
      const members: number[] = [];
      for (let i = 0; i < nMembers; i++) members.push(r.u16());
      r.skip(r.left);
      if (bad)
        throw new OfpError('OFPBAC_BAD_ARGUMENT', 'bundle algorithm, fields, member type or reserved bytes');
      if (dst) checkDst(dst.field, dst.ofs, dst.nBits);
      for (const m of members) {
        if (m === OFPP_CONTROLLER) throw new OfpError('OFPBAC_BAD_OUT_PORT', 'bundle member CONTROLLER');
        if (m !== OFPP_NONE) checkOutputPort(m);
      }
      return { type: kind, algorithm, fields, basis, members, dst };
    }
    case 'output_reg': {
      const on = r.u16();
      const srcHeader = r.u32();
      const maxLen = r.u16();
      mustBeZero(r, 6, 'OFPBAC_BAD_ARGUMENT');
      const { ofs, nBits } = ofsNbits(on);
      const field = fieldOfNxmHeader32(srcHeader).name;
      checkSrc(field, ofs, nBits);
      return { type: 'output_reg', field, ofs, nBits, maxLen };
    }
    case 'output_reg2': {
      const { ofs, nBits } = ofsNbits(r.u16());
      const maxLen = r.u16();
      const field = pulledField(r);
      mustBeZero(r, r.left);
      checkSrc(field, ofs, nBits);
      return { type: 'output_reg2', field, ofs, nBits, maxLen };
    }
    case 'learn':
    case 'learn2': {
      const idleTimeout = r.u16();
      const hardTimeout = r.u16();
      const priority = r.u16();
      const cookie = r.u64();
      const flags = r.u16();
      const tableId = r.u8();
      if (r.u8() !== 0) throw new OfpError('OFPBAC_BAD_ARGUMENT', 'learn pad is not zero');
      const finIdleTimeout = r.u16();
      const finHardTimeout = r.u16();
      if (tableId === 0xff) throw new OfpError('OFPBAC_BAD_ARGUMENT', 'learn into table 255');
      let limit = 0;
      let resultDst: LearnAction['resultDst'] = null;
      if (kind === 'learn2') {
        limit = r.u32();
        const resultOfs = r.u16();
        if (r.u16() !== 0) throw new OfpError('NXBAC_MUST_BE_ZERO', 'learn2 pad2 is not zero');
        if (flags & ~7) throw new OfpError('OFPBAC_BAD_ARGUMENT', 'learn2 flags');
        if (flags & 4) {
          resultDst = { field: pulledField(r), ofs: resultOfs };
          if (!fieldInfo(resultDst.field)?.writable) {
            throw new OfpError('OFPBAC_BAD_SET_ARGUMENT', `${resultDst.field} is not writable`);
          }
        } else if (resultOfs)
          throw new OfpError('OFPBAC_BAD_ARGUMENT', 'learn2 result offset without write_result');
      } else if (flags & ~3) throw new OfpError('OFPBAC_BAD_ARGUMENT', 'learn flags');
      const specs = decodeLearnSpecs(r);
      return {
        type: kind,
        idleTimeout,
        hardTimeout,
        priority,
        cookie,
        flags,
        tableId,
        finIdleTimeout,
        finHardTimeout,
        limit,
        resultDst,
        specs,
      };
    }
    case 'fin_timeout': {
      const idleTimeout = r.u16();
      const hardTimeout = r.u16();
      r.skip(2);
      return { type: 'fin_timeout', idleTimeout, hardTimeout };
    }
    case 'controller': {
      const maxLen = r.u16();
      const controllerId = r.u16();
      const reason = r.u8();
      if (r.u8() !== 0) throw new OfpError('OFPBAC_BAD_ARGUMENT', 'controller zero byte is not zero');
      return { type: 'controller', maxLen, controllerId, reason };
    }
    case 'controller2': {
      mustBeZero(r, 6);
      return { type: 'controller2', props: decodeController2Props(r) };
    }
    case 'write_metadata': {
      mustBeZero(r, 6);
      return { type: 'write_metadata', metadata: r.u64(), mask: r.u64() };
    }
    case 'stack_push':
    case 'stack_pop': {
      const ofs = r.u16();
      const field = pulledField(r);
      const nBits = r.u16();
      mustBeZero(r, r.left);
      if (kind === 'stack_push') checkSrc(field, ofs, nBits);
      else checkDst(field, ofs, nBits);
      return { type: kind, field, ofs, nBits };
    }
    case 'sample':
    case 'sample2':
    case 'sample3': {
      const probability = r.u16();
      const collectorSetId = r.u32();
      const obsDomainId = r.u32();
      const obsPointId = r.u32();
      let samplingPort = OFPP_NONE;
      let direction = 0;
      if (kind !== 'sample') {
        samplingPort = r.u16();
        direction = r.u8();
        if (kind === 'sample3') {
          mustBeZero(r, 5);
          if (direction > 2) throw new OfpError('OFPBAC_BAD_ARGUMENT', `sample direction ${direction}`);
        } else {
          direction = 0;
          r.skip(5);
        }
      }
      if (probability === 0) throw new OfpError('OFPBAC_BAD_ARGUMENT', 'sample probability 0');
      return { type: kind, probability, collectorSetId, obsDomainId, obsPointId, samplingPort, direction };
    }
    case 'conjunction': {
      const clause = r.u8();
      const nClauses = r.u8();
      const id = r.u32();
      if (nClauses < 2 || nClauses > 64 || clause >= nClauses) {
        throw new OfpError('NXBAC_BAD_CONJUNCTION', `conjunction clause ${clause} of ${nClauses}`);
      }
      return { type: 'conjunction', clause, nClauses, id };
    }
    case 'ct': {
      const flags = r.u16();
      const zoneHeader = r.peek32(0);
      let zoneSrc: CtAction['zoneSrc'] = null;
      let zone = 0;
      if (zoneHeader) {
        const field = structField(r);
        const { ofs, nBits } = ofsNbits(r.u16());
        checkSrc(field, ofs, nBits);
        if (nBits !== 16) throw new OfpError('OFPBAC_BAD_SET_LEN', `ct zone from ${nBits} bits (must be 16)`);
        zoneSrc = { field, ofs, nBits };
      } else {
        r.skip(4);
        zone = r.u16();
      }
      const recircTable = r.u8();
      r.skip(3);
      const alg = r.u16();
      if (flags & 2 && !(flags & 1)) throw new OfpError('OFPBAC_BAD_ARGUMENT', 'ct force without commit');
      const actions = decodeActionList(
        r,
        r.left,
        version,
        { allInstructions: false, outer: 'ct' },
        depth + 1,
      );
      // Without commit, ct may only carry a nat without arguments (Open vSwitch's rule).
      const plainNat = (a: OfAction) =>
        a.type === 'nat' && a.flags === 0 && a.ipv4Min === null && a.ipv6Min === null;
      if (!(flags & 1) && !actions.every(plainNat)) {
        throw new OfpError('OFPBAC_BAD_ARGUMENT', 'ct actions other than a bare nat require commit');
      }
      return { type: 'ct', flags, zoneSrc, zone, recircTable, alg, actions };
    }
    case 'nat':
      return decodeNat(r);
    case 'output_trunc': {
      const port = r.u16();
      const maxLen = r.u32();
      if (maxLen < 14) throw new OfpError('OFPBAC_BAD_ARGUMENT', 'output_trunc max_len below 14');
      return { type: 'output_trunc', port, maxLen };
    }
    case 'clone': {
      r.skip(6);
      return { type: 'clone', actions: decodeActionList(r, r.left, version, APPLY_ONLY, depth + 1) };
    }
    case 'check_pkt_larger': {
      const pktLen = r.u16();
      const ofs = r.u16();
      const field = pulledField(r);
      mustBeZero(r, r.left);
      checkDst(field, ofs, 1);
      return { type: 'check_pkt_larger', pktLen, field, ofs };
    }
    case 'delete_field': {
      const field = pulledField(r);
      r.skip(r.left);
      return { type: 'delete_field', field };
    }
    case 'dec_ttl_cnt_ids': {
      const n = r.u16();
      mustBeZero(r, 4);
      if (r.left < 2 * n) throw new OfpError('OFPBAC_BAD_LEN', 'dec_ttl controller ids overrun the action');
      const ids: number[] = [];
      for (let i = 0; i < n; i++) ids.push(r.u16());
      r.skip(r.left);
      return { type: 'dec_ttl_cnt_ids', ids };
    }
    default:
      throw new OfpError('OFPBAC_BAD_TYPE', `no decoder for ${kind}`);
  }
}

function checkSetField(e: MatchEntry): void {
  const info = fieldInfo(e.field);
  if (!info || e.field === 'in_port_oxm' || !info.writable) {
    throw new OfpError('OFPBAC_BAD_SET_ARGUMENT', `${e.field} cannot be set`);
  }
  if (!info.variable && !isValueValid(info, e.value)) {
    throw new OfpError('OFPBAC_BAD_SET_ARGUMENT', `invalid value for set_field ${e.field}`);
  }
  if (e.field === 'vlan_vid' && !(e.value[0] & 0x10)) {
    throw new OfpError('OFPBAC_BAD_SET_ARGUMENT', 'set_field vlan_vid without OFPVID_PRESENT');
  }
}

/** Nesting depth limit for clone/ct inside clone/ct (Open vSwitch allows a handful). */
const MAX_NESTING = 16;

/** Decodes one action at the reader's position (which must hold `len` bytes of actions). */
function decodeAction(r: Reader, version: number, depth: number): OfAction {
  if (r.left < 8) throw new OfpError('OFPBAC_BAD_LEN', `${r.left} bytes left, less than an action header`);
  const type = r.peek16(0);
  const len = r.peek16(2);
  let vendor = 0;
  let sub = type;
  if (type === OFPAT_VENDOR) {
    vendor = r.peek32(4);
    if (vendor !== NX_VENDOR_ID && vendor !== ONF_VENDOR_ID) {
      throw new OfpError('OFPBAC_BAD_VENDOR', `unknown action vendor 0x${vendor.toString(16)}`);
    }
    if (r.left < 16) throw new OfpError('OFPBAC_BAD_LEN', 'vendor action shorter than 16 bytes');
    sub = r.peek16(8);
  }
  const spec = DECODE.get(`${version}/${vendor}/${sub}`);
  const refused =
    vendor === NX_VENDOR_ID ? REFUSED_NX.find(([t, from]) => t === sub && version >= from) : undefined;
  if (!spec && refused) {
    const [, , min, variable] = refused;
    if (len > r.left || len < min || (!variable && len > min) || len % 8 !== 0) {
      throw new OfpError('OFPBAC_BAD_LEN', `vendor action subtype ${sub} of length ${len}`);
    }
    throw new OfpError('OFPBAC_BAD_VENDOR_TYPE', `unsupported vendor action subtype ${sub}`);
  }
  if (!spec) {
    if (vendor) throw new OfpError('OFPBAC_BAD_VENDOR_TYPE', `unknown vendor action subtype ${sub}`);
    throw new OfpError(
      'OFPBAC_BAD_TYPE',
      `unknown action type ${type} for version 0x${version.toString(16)}`,
    );
  }
  const min = minLen(spec, vendor, version);
  const max = spec.variable ? 65528 : min;
  if (len > r.left || len < min || len > max || len % 8 !== 0) {
    throw new OfpError(
      'OFPBAC_BAD_LEN',
      `${spec.kind} action of length ${len} (valid ${min}..${max}, ${r.left} left)`,
    );
  }
  if (spec.kind === 'clone' || spec.kind === 'ct') {
    if (depth >= MAX_NESTING) throw new OfpError('OFPBAC_BAD_ARGUMENT', 'actions nested too deeply');
  }
  const start = r.pos;
  const a = r.sub(len, 'OFPBAC_BAD_LEN', spec.kind);
  a.skip(headerLen(vendor));
  return decodeBody(spec, a, version, start, depth);
}

/**
 * Lists decoded lately, by OpenFlow version and wire bytes. Flow mods loaded in bulk mostly carry the same
 * instructions (100,000 flows with actions=output:1), and decoding and verifying them again for each cost
 * more than the rest of the flow mod. Decoding is a function of the bytes and the version alone (offsets
 * are relative to the list, errors are never remembered), so equal bytes may take the list decoded before.
 * That list is then shared by every message decoded from those bytes, so it is frozen (with everything in
 * it but byte arrays, which cannot be): decoded messages are read, never modified (ofproto shares action
 * lists between rules too), and a mutation would throw rather than change other messages.
 */
class RecentDecodes<T> {
  private readonly versions: number[] = [];
  private readonly bytes: Uint8Array[] = [];
  private readonly values: T[] = [];

  constructor(private readonly size: number) {}

  /** The list decoded from buf[at, at + len) in `version`, if it is one of the last few. */
  find(buf: Uint8Array, at: number, len: number, version: number): T | undefined {
    for (let i = 0; i < this.bytes.length; i++) {
      const b = this.bytes[i];
      if (this.versions[i] !== version || b.length !== len) continue;
      let same = true;
      for (let k = 0; k < len; k++) {
        if (b[k] !== buf[at + k]) {
          same = false;
          break;
        }
      }
      if (same) return this.values[i];
    }
    return undefined;
  }

  /** Remembers `value` (frozen) as decoded from buf[at, at + len) in `version`, forgetting the oldest. */
  add(buf: Uint8Array, at: number, len: number, version: number, value: T): void {
    // Long lists are rarely repeated and costly to compare and keep.
    if (len > RECENT_MAX_BYTES) return;
    if (this.bytes.length === this.size) {
      this.versions.pop();
      this.bytes.pop();
      this.values.pop();
    }
    this.versions.unshift(version);
    this.bytes.unshift(buf.slice(at, at + len));
    this.values.unshift(freezeDeep(value));
  }
}

/** Longest list RecentDecodes keeps. */
const RECENT_MAX_BYTES = 1024;

/** Freezes `x` and the arrays and objects in it (typed arrays cannot be frozen and are left as they are). */
function freezeDeep<T>(x: T): T {
  if (typeof x !== 'object' || x === null || ArrayBuffer.isView(x) || Object.isFrozen(x)) return x;
  for (const v of Object.values(x)) freezeDeep(v);
  return Object.freeze(x);
}

/** OpenFlow 1.1+ instruction lists (flow mods, flow stats). */
const recentInstructions = new RecentDecodes<Instruction[]>(4);
/** OpenFlow 1.0 and Nicira flow mod action lists (FLOW_ACTIONS, outermost). */
const recentFlowActions = new RecentDecodes<OfAction[]>(4);

/**
 * How a decoded action list is checked as a whole, as Open vSwitch's ofpacts_verify does: whether
 * instruction-like actions (write_metadata) are allowed (flow mods: yes; packet-out, groups, nested lists:
 * no), and which action the list is nested in (ct allows only ct_mark/ct_label set-fields and nat).
 */
export interface VerifyContext {
  allInstructions: boolean;
  outer: 'ct' | 'clone' | null;
}

/** An apply-actions list (packet-out, buckets, `ovs-ofctl parse-actions`). */
export const APPLY_ONLY: VerifyContext = { allInstructions: false, outer: null };
/** A flow mod's OpenFlow 1.0 / Nicira action list. */
export const FLOW_ACTIONS: VerifyContext = { allInstructions: true, outer: null };

/**
 * Decodes `len` bytes of actions (a multiple of 8) at the reader's position, for OpenFlow `version`, then
 * verifies the list for `ctx` (null: no verification).
 */
export function decodeActionList(
  r: Reader,
  len: number,
  version: number,
  ctx: VerifyContext | null = APPLY_ONLY,
  depth = 0,
): OfAction[] {
  if (len % 8 !== 0) throw new OfpError('OFPBRC_BAD_LEN', `actions length ${len} is not a multiple of 8`);
  if (len > r.left)
    throw new OfpError('OFPBRC_BAD_LEN', `actions length ${len} exceeds the ${r.left} bytes left`);
  // The action lists of OpenFlow 1.0 and Nicira flow mods (and flow stats) repeat: see RecentDecodes.
  const cached = ctx === FLOW_ACTIONS && depth === 0;
  if (cached) {
    const known = recentFlowActions.find(r.buf, r.pos, len, version);
    if (known !== undefined) {
      r.skip(len);
      return known;
    }
  }
  const start = r.pos;
  const sub = r.sub(len, 'OFPBAC_BAD_LEN', 'actions');
  const out: OfAction[] = [];
  while (sub.left > 0) out.push(decodeAction(sub, version, depth));
  if (ctx) verifyActions(out, ctx);
  if (cached) recentFlowActions.add(r.buf, start, len, version, out);
  return out;
}

/** Decodes a whole byte array of actions as an apply-actions list. */
export function decodeActions(
  bytes: Uint8Array,
  version: number,
  ctx: VerifyContext | null = APPLY_ONLY,
): OfAction[] {
  return decodeActionList(new Reader(bytes), bytes.length, version, ctx);
}

// Open vSwitch's instruction order (enum ovs_instruction_type).
const INST_METER = 0;
const INST_APPLY = 1;
const INST_CLEAR = 2;
const INST_WRITE_ACTIONS = 3;
const INST_WRITE_METADATA = 4;
const INST_GOTO = 5;

/** The field an action writes, as Open vSwitch's ofpact_get_mf_dst sees it (set-field and move kinds). */
function dstField(a: OfAction): string | null {
  switch (a.type) {
    case 'set_field':
    case 'reg_load':
    case 'reg_load2':
      return a.field;
    case 'reg_move':
    case 'copy_field':
      return a.dst;
    default:
      return null;
  }
}

function checkNested(a: OfAction, outer: VerifyContext['outer']): void {
  const field = dstField(a);
  const ctField = field === 'ct_mark' || field === 'ct_label';
  if (ctField && outer !== 'ct')
    throw new OfpError('OFPBAC_BAD_SET_ARGUMENT', 'cannot set CT fields outside of ct action');
  if (a.type === 'nat') {
    if (outer !== 'ct')
      throw new OfpError('OFPBAC_BAD_SET_ARGUMENT', 'cannot have NAT action outside of "ct" action');
    return;
  }
  if (outer === 'ct' && !ctField) {
    throw new OfpError('OFPBAC_BAD_ARGUMENT', `ct action does not support nested ${a.type}`);
  }
  if (outer && a.type === 'meter') throw new OfpError('OFPBAC_BAD_ARGUMENT', 'meter cannot be nested');
}

/** Checks an instruction sequence in Open vSwitch's canonical order (ofpacts_verify). */
function verifySequence(
  items: readonly { inst: number; action: OfAction | null }[],
  ctx: VerifyContext,
): void {
  const actions = items.flatMap((i) => (i.action ? [i.action] : []));
  let inst = INST_METER;
  for (let i = 0; i < items.length; i++) {
    const a = items[i].action;
    if (a?.type === 'conjunction') {
      // A conjunction ends verification: the whole list may hold only conjunctions and notes.
      if (!actions.every((x) => x.type === 'conjunction' || x.type === 'note')) {
        throw new OfpError('NXBAC_BAD_CONJUNCTION', 'conjunction may be combined only with note');
      }
      return;
    }
    if (a) checkNested(a, ctx.outer);
    const next = items[i].inst;
    if (i > 0 && (inst === INST_APPLY ? next < inst : next <= inst)) {
      throw new OfpError(
        'OFPBAC_UNSUPPORTED_ORDER',
        'invalid instruction ordering for OpenFlow 1.1+ compatibility',
      );
    }
    if (!ctx.allInstructions && next !== INST_APPLY) {
      throw new OfpError('OFPBIC_UNSUP_INST', 'instruction not allowed here');
    }
    inst = next;
  }
}

/** Verifies an action list as Open vSwitch does after decoding it. */
export function verifyActions(actions: readonly OfAction[], ctx: VerifyContext): void {
  const items = actions.map((action) => ({
    action,
    inst: action.type === 'write_metadata' ? INST_WRITE_METADATA : INST_APPLY,
  }));
  verifySequence(items, ctx);
}

/** Actions Open vSwitch accepts inside write_actions (an action set); others are OFPBAC_BAD_TYPE. */
const ACTION_SET_KINDS = new Set<OfActionType>([
  'strip_vlan',
  'pop_vlan',
  'pop_mpls',
  'push_mpls',
  'push_vlan',
  'dec_nw_ttl',
  'dec_ttl_cnt_ids',
  'dec_mpls_ttl',
  'dec_nsh_ttl',
  'ct',
  'ct_clear',
  'resubmit',
  'resubmit_table',
  'resubmit_table_ct',
  'output',
  'group',
  'set_field',
  'reg_load',
  'reg_load2',
  'reg_move',
  'copy_field',
  'set_dl_src',
  'set_dl_dst',
  'set_nw_tos',
  'set_nw_ecn',
  'set_nw_ttl',
  'set_nw_src',
  'set_nw_dst',
  'set_tp_src',
  'set_tp_dst',
  'set_mpls_label',
  'set_mpls_tc',
  'set_mpls_ttl',
  'set_queue',
  'set_tunnel',
  'set_tunnel64',
  'set_vlan_pcp',
  'set_vlan_vid',
]);

// ---------------------------------------------------------------------------------------------------------
// Encoding.

function startAction(w: Writer, e: Encoding): number {
  const start = w.len;
  w.u16(e.vendor ? OFPAT_VENDOR : e.type).u16(0);
  if (e.vendor) w.u32(e.vendor).u16(e.type);
  return start;
}

function finishAction(w: Writer, start: number): void {
  w.pad8(start);
  w.set16(start + 2, w.len - start);
}

function requireEncoding(a: OfAction, version: number): Encoding {
  const e = encodingFor(a.type, version);
  if (!e) {
    throw new OfpError(
      'OFPBAC_BAD_TYPE',
      `${a.type} cannot be encoded in OpenFlow 0x${version.toString(16)}`,
    );
  }
  return e;
}

function macBytes(mac: string): Uint8Array {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new OfpError('OFPBAC_BAD_ARGUMENT', `not a MAC address: ${mac}`);
  }
  return Uint8Array.from(parts.map((p) => Number.parseInt(p, 16)));
}

function writeField32(w: Writer, field: string): void {
  const h = nxmHeader32(field);
  if (!h) throw new OfpError('OFPBAC_BAD_ARGUMENT', `${field} has no 32-bit NXM header`);
  w.u32(h);
}

function encodeLearnSpecs(w: Writer, specs: readonly LearnSpec[]): void {
  for (const s of specs) {
    const srcImm = 'imm' in s.src;
    const dstType = s.dst.kind === 'match' ? 0 : s.dst.kind === 'load' ? 1 : 2;
    w.u16((s.nBits & 0x3ff) | (srcImm ? 1 << 13 : 0) | (dstType << 11));
    if ('imm' in s.src) {
      const n = 2 * Math.ceil(s.nBits / 16);
      const imm = s.src.imm;
      if (imm.length >= n) w.bytes(imm.subarray(imm.length - n));
      else w.zeros(n - imm.length).bytes(imm);
    } else {
      writeField32(w, s.src.field);
      w.u16(s.src.ofs);
    }
    if (s.dst.kind !== 'output') {
      writeField32(w, s.dst.field);
      w.u16(s.dst.ofs);
    }
  }
}

function encodeController2Props(w: Writer, props: readonly Controller2Prop[]): void {
  for (const p of props) {
    const start = w.len;
    const type = { max_len: 0, controller_id: 1, reason: 2, userdata: 3, pause: 4, meter_id: 5 }[p.kind];
    w.u16(type).u16(0);
    // ofpprop_put_u16: a 16-bit value is followed by two bytes of padding (property length 8).
    if (p.kind === 'max_len' || p.kind === 'controller_id') w.u16(p.value).zeros(2);
    else if (p.kind === 'reason') w.u8(p.value);
    else if (p.kind === 'userdata') w.bytes(p.data);
    else if (p.kind === 'meter_id') w.u32(p.value);
    w.set16(start + 2, w.len - start);
    w.pad8(start);
  }
}

/** Writes one action in OpenFlow `version`; throws OFPBAC_BAD_TYPE if that version has no such action. */
export function encodeAction(w: Writer, a: OfAction, version: number): void {
  const e = requireEncoding(a, version);
  const spec = SPECS.get(a.type);
  if (!spec) throw new OfpError('OFPBAC_BAD_TYPE', `unknown action ${a.type}`);
  const start = startAction(w, e);
  if (spec.arg !== 'struct') {
    if (spec.arg !== 'void') {
      const size = argSize(spec.arg);
      const at = roundUp(w.len - start, size);
      w.zeros(at - (w.len - start));
      if (a.type === 'set_tunnel64') w.u64(a.value);
      else if ('value' in a && typeof a.value === 'number') {
        if (spec.arg === 'u8') w.u8(a.value);
        else if (spec.arg === 'u16') w.u16(a.value);
        else w.u32(a.value);
      }
    }
    finishAction(w, start);
    return;
  }
  switch (a.type) {
    case 'output':
      if (version === OFP10_VERSION) w.u16(a.port).u16(a.maxLen);
      else w.u32(portToOf11(a.port)).u16(a.maxLen).zeros(6);
      break;
    case 'enqueue':
      w.u16(a.port).zeros(6).u32(a.queueId);
      break;
    case 'set_dl_src':
    case 'set_dl_dst':
      w.bytes(macBytes(a.mac)).zeros(6);
      break;
    case 'set_field':
      encodeActionTlv(w, { field: a.field, value: a.value, mask: a.mask }, Math.max(version, OFP12_VERSION));
      break;
    case 'reg_load2':
      encodeActionTlv(w, { field: a.field, value: a.value, mask: a.mask }, 0);
      break;
    case 'reg_load':
      w.u16(encodeOfsNbits(a.ofs, a.nBits));
      writeField32(w, a.field);
      w.u64(a.value);
      break;
    case 'reg_move':
      w.u16(a.nBits).u16(a.srcOfs).u16(a.dstOfs);
      encodeFieldHeader(w, a.src, 0);
      encodeFieldHeader(w, a.dst, 0);
      break;
    case 'copy_field':
      w.zeros(2).u16(a.nBits).u16(a.srcOfs).u16(a.dstOfs).zeros(2);
      encodeFieldHeader(w, a.src, version);
      encodeFieldHeader(w, a.dst, version);
      break;
    case 'resubmit_table':
    case 'resubmit_table_ct':
      w.u16(a.port).u8(a.table).zeros(3);
      break;
    case 'note':
      w.bytes(a.data);
      break;
    case 'multipath':
      w.u16(a.fields).u16(a.basis).zeros(2).u16(a.algorithm).u16(a.maxLink).u32(a.arg).zeros(2);
      w.u16(encodeOfsNbits(a.ofs, a.nBits));
      writeField32(w, a.field);
      break;
    case 'bundle':
    case 'bundle_load':
      w.u16(a.algorithm).u16(a.fields).u16(a.basis).u32(nxmHeader32('in_port')).u16(a.members.length);
      if (a.dst) {
        w.u16(encodeOfsNbits(a.dst.ofs, a.dst.nBits));
        writeField32(w, a.dst.field);
      } else w.zeros(6);
      w.zeros(4);
      for (const m of a.members) w.u16(m);
      break;
    case 'output_reg':
      w.u16(encodeOfsNbits(a.ofs, a.nBits));
      writeField32(w, a.field);
      w.u16(a.maxLen).zeros(6);
      break;
    case 'output_reg2': {
      w.u16(encodeOfsNbits(a.ofs, a.nBits)).u16(a.maxLen);
      const at = w.len;
      encodeFieldHeader(w, a.field, 0);
      if (w.len - at < 10) w.zeros(10 - (w.len - at));
      break;
    }
    case 'learn':
    case 'learn2':
      w.u16(a.idleTimeout).u16(a.hardTimeout).u16(a.priority).u64(a.cookie).u16(a.flags).u8(a.tableId).u8(0);
      w.u16(a.finIdleTimeout).u16(a.finHardTimeout);
      if (a.type === 'learn2') {
        w.u32(a.limit)
          .u16(a.resultDst ? a.resultDst.ofs : 0)
          .u16(0);
        if (a.resultDst) encodeFieldHeader(w, a.resultDst.field, 0);
      }
      encodeLearnSpecs(w, a.specs);
      break;
    case 'fin_timeout':
      w.u16(a.idleTimeout).u16(a.hardTimeout).zeros(2);
      break;
    case 'controller':
      w.u16(a.maxLen).u16(a.controllerId).u8(a.reason).u8(0);
      break;
    case 'controller2':
      w.zeros(6);
      encodeController2Props(w, a.props);
      break;
    case 'write_metadata':
      w.zeros(6).u64(a.metadata).u64(a.mask);
      break;
    case 'stack_push':
    case 'stack_pop': {
      w.u16(a.ofs);
      const at = w.len;
      encodeFieldHeader(w, a.field, 0);
      w.u16(a.nBits);
      const used = w.len - at;
      if (used < 12) w.zeros(12 - used);
      break;
    }
    case 'sample':
      w.u16(a.probability).u32(a.collectorSetId).u32(a.obsDomainId).u32(a.obsPointId);
      break;
    case 'sample2':
    case 'sample3':
      w.u16(a.probability).u32(a.collectorSetId).u32(a.obsDomainId).u32(a.obsPointId);
      w.u16(a.samplingPort)
        .u8(a.type === 'sample3' ? a.direction : 0)
        .zeros(5);
      break;
    case 'conjunction':
      w.u8(a.clause).u8(a.nClauses).u32(a.id);
      break;
    case 'ct':
      w.u16(a.flags);
      if (a.zoneSrc) {
        writeField32(w, a.zoneSrc.field);
        w.u16(encodeOfsNbits(a.zoneSrc.ofs, a.zoneSrc.nBits));
      } else w.u32(0).u16(a.zone);
      w.u8(a.recircTable).zeros(3).u16(a.alg);
      for (const inner of a.actions) encodeAction(w, inner, version);
      break;
    case 'nat': {
      let present = 0;
      w.zeros(2).u16(a.flags);
      const presentAt = w.len;
      w.u16(0);
      if (a.ipv4Min !== null) {
        w.u32(a.ipv4Min);
        present |= 1;
        if (a.ipv4Max !== null) {
          w.u32(a.ipv4Max);
          present |= 2;
        }
      } else if (a.ipv6Min !== null) {
        w.bytes(a.ipv6Min);
        present |= 4;
        if (a.ipv6Max !== null) {
          w.bytes(a.ipv6Max);
          present |= 8;
        }
      }
      if (present && a.protoMin !== null) {
        w.u16(a.protoMin);
        present |= 16;
        if (a.protoMax !== null) {
          w.u16(a.protoMax);
          present |= 32;
        }
      }
      w.set16(presentAt, present);
      break;
    }
    case 'output_trunc':
      w.u16(a.port).u32(a.maxLen);
      break;
    case 'clone':
      w.zeros(6);
      for (const inner of a.actions) encodeAction(w, inner, version);
      break;
    case 'check_pkt_larger': {
      w.u16(a.pktLen).u16(a.ofs);
      const at = w.len;
      encodeFieldHeader(w, a.field, 0);
      if (w.len - at < 10) w.zeros(10 - (w.len - at));
      break;
    }
    case 'delete_field': {
      const at = w.len;
      encodeFieldHeader(w, a.field, 0);
      if (w.len - at < 14) w.zeros(14 - (w.len - at));
      break;
    }
    case 'dec_ttl_cnt_ids':
      w.u16(a.ids.length).zeros(4);
      for (const id of a.ids) w.u16(id);
      break;
    default:
      throw new OfpError('OFPBAC_BAD_TYPE', `cannot encode ${a.type}`);
  }
  finishAction(w, start);
}

/** Writes a list of actions; returns the bytes written. */
export function encodeActionList(w: Writer, actions: readonly OfAction[], version: number): number {
  const start = w.len;
  for (const a of actions) encodeAction(w, a, version);
  return w.len - start;
}

// ---------------------------------------------------------------------------------------------------------
// OpenFlow 1.1+ instructions.

export const OFPIT_GOTO_TABLE = 1;
export const OFPIT_WRITE_METADATA = 2;
export const OFPIT_WRITE_ACTIONS = 3;
export const OFPIT_APPLY_ACTIONS = 4;
export const OFPIT_CLEAR_ACTIONS = 5;
export const OFPIT_METER = 6;
export const OFPIT_EXPERIMENTER = 0xffff;

export type Instruction =
  | { type: 'goto_table'; tableId: number }
  | { type: 'write_metadata'; metadata: bigint; mask: bigint }
  | { type: 'write_actions'; actions: OfAction[] }
  | { type: 'apply_actions'; actions: OfAction[] }
  | { type: 'clear_actions' }
  | { type: 'meter'; meterId: number };

/**
 * Decodes `len` bytes of instructions (OpenFlow 1.1+) in wire order, checking them as Open vSwitch does:
 * first every instruction's type and length (OFPBIC_BAD_LEN, OFPBIC_UNKNOWN_INST, OFPBIC_DUP_INST,
 * OFPBIC_BAD_EXPERIMENTER), then the apply and write action lists (write_actions takes only action-set
 * actions: OFPBAC_BAD_TYPE), then the whole in canonical order (OFPBAC_UNSUPPORTED_ORDER).
 */
export function decodeInstructions(r: Reader, len: number, version: number): Instruction[] {
  if (len % 8 !== 0)
    throw new OfpError('OFPBIC_BAD_LEN', `instructions length ${len} is not a multiple of 8`);
  if (len > r.left) throw new OfpError('OFPBIC_BAD_LEN', `instructions length ${len} exceeds the message`);
  const known = recentInstructions.find(r.buf, r.pos, len, version);
  if (known !== undefined) {
    r.skip(len);
    return known;
  }
  const start = r.pos;
  const sub = r.sub(len, 'OFPBIC_BAD_LEN', 'instructions');
  const raw: { type: number; body: Reader }[] = [];
  const seen = new Set<number>();
  const fixed: Record<number, number> = { 1: 8, 2: 24, 5: 8, 6: 8 };
  while (sub.left > 0) {
    const offset = len - sub.left;
    if (sub.left < 8) throw new OfpError('OFPBIC_BAD_LEN', `bad instruction format at offset ${offset}`);
    const type = sub.peek16(0);
    const ilen = sub.peek16(2);
    // Open vSwitch stops at an instruction whose length is unusable before looking at its type.
    if (ilen < 8 || ilen % 8 !== 0 || ilen > sub.left) {
      throw new OfpError('OFPBIC_BAD_LEN', `bad instruction format at offset ${offset}`);
    }
    if (type === OFPIT_EXPERIMENTER)
      throw new OfpError('OFPBIC_BAD_EXPERIMENTER', 'experimenter instruction');
    if (
      type < 1 ||
      type > 6 ||
      (type === OFPIT_METER && version >= OFP15_VERSION) ||
      version < OFP11_VERSION
    ) {
      throw new OfpError('OFPBIC_UNKNOWN_INST', `unknown instruction type ${type}`);
    }
    if (fixed[type] !== undefined && ilen !== fixed[type]) {
      throw new OfpError('OFPBIC_BAD_LEN', `instruction ${type} of length ${ilen} at offset ${offset}`);
    }
    if (seen.has(type)) throw new OfpError('OFPBIC_DUP_INST', `instruction ${type} appears twice`);
    seen.add(type);
    const body = sub.sub(ilen, 'OFPBIC_BAD_LEN', 'instruction');
    body.skip(4);
    raw.push({ type, body });
  }
  const byType = new Map(raw.map((x) => [x.type, x.body]));
  // Decode the action lists in Open vSwitch's order (apply, then write).
  const decoded = new Map<number, OfAction[]>();
  const apply = byType.get(OFPIT_APPLY_ACTIONS);
  if (apply) {
    apply.skip(4);
    decoded.set(OFPIT_APPLY_ACTIONS, decodeActionList(apply, apply.left, version, null));
  }
  const write = byType.get(OFPIT_WRITE_ACTIONS);
  if (write) {
    write.skip(4);
    const actions = decodeActionList(write, write.left, version, null);
    for (const a of actions) {
      if (!ACTION_SET_KINDS.has(a.type))
        throw new OfpError('OFPBAC_BAD_TYPE', `${a.type} is not allowed in an action set`);
    }
    decoded.set(OFPIT_WRITE_ACTIONS, actions);
  }
  const out: Instruction[] = raw.map(({ type, body }) => {
    switch (type) {
      case OFPIT_GOTO_TABLE:
        return { type: 'goto_table', tableId: body.u8() };
      case OFPIT_WRITE_METADATA:
        body.skip(4);
        return { type: 'write_metadata', metadata: body.u64(), mask: body.u64() };
      case OFPIT_APPLY_ACTIONS:
        return { type: 'apply_actions', actions: decoded.get(type) ?? [] };
      case OFPIT_WRITE_ACTIONS:
        return { type: 'write_actions', actions: decoded.get(type) ?? [] };
      case OFPIT_CLEAR_ACTIONS:
        return { type: 'clear_actions' };
      default:
        return { type: 'meter', meterId: body.u32() };
    }
  });
  verifyInstructions(out);
  recentInstructions.add(r.buf, start, len, version, out);
  return out;
}

/** Checks instructions as one sequence in Open vSwitch's canonical order (meter, apply ... goto). */
export function verifyInstructions(insts: readonly Instruction[]): void {
  const order: Instruction['type'][] = [
    'meter',
    'apply_actions',
    'clear_actions',
    'write_actions',
    'write_metadata',
    'goto_table',
  ];
  const instOf: Record<Instruction['type'], number> = {
    meter: INST_METER,
    apply_actions: INST_APPLY,
    clear_actions: INST_CLEAR,
    write_actions: INST_WRITE_ACTIONS,
    write_metadata: INST_WRITE_METADATA,
    goto_table: INST_GOTO,
  };
  const items: { inst: number; action: OfAction | null }[] = [];
  for (const kind of order) {
    const inst = insts.find((i) => i.type === kind);
    if (!inst) continue;
    if (inst.type === 'apply_actions') {
      for (const action of inst.actions) {
        items.push({ action, inst: action.type === 'write_metadata' ? INST_WRITE_METADATA : INST_APPLY });
      }
    } else items.push({ action: null, inst: instOf[kind] });
  }
  verifySequence(items, FLOW_ACTIONS);
}

/** Writes instructions; returns the bytes written. */
export function encodeInstructions(w: Writer, insts: readonly Instruction[], version: number): number {
  const start = w.len;
  for (const inst of insts) {
    const at = w.len;
    switch (inst.type) {
      case 'goto_table':
        w.u16(OFPIT_GOTO_TABLE).u16(8).u8(inst.tableId).zeros(3);
        break;
      case 'write_metadata':
        w.u16(OFPIT_WRITE_METADATA).u16(24).zeros(4).u64(inst.metadata).u64(inst.mask);
        break;
      case 'write_actions':
      case 'apply_actions':
        w.u16(inst.type === 'apply_actions' ? OFPIT_APPLY_ACTIONS : OFPIT_WRITE_ACTIONS)
          .u16(0)
          .zeros(4);
        encodeActionList(w, inst.actions, version);
        w.set16(at + 2, w.len - at);
        break;
      case 'clear_actions':
        w.u16(OFPIT_CLEAR_ACTIONS).u16(8).zeros(4);
        break;
      case 'meter':
        w.u16(OFPIT_METER).u16(8).u32(inst.meterId);
        break;
    }
  }
  return w.len - start;
}
