// Flows in ovs-ofctl's text syntax (ovs-ofctl(8) "Flow Syntax", OVS lib/ofp-flow.c parse_ofp_str): the
// line add-flow takes — "[table=N,][priority=N,][cookie=C,][idle_timeout=N,]... MATCHES actions=ACTIONS" —
// and the filter forms of dump-flows/del-flows/mod-flows, parsed into a typed flow whose match is a
// (value, mask) pair over the pipeline flow's words; and the way ovs-ofctl prints flows back, both as
// dump-flows shows a flow and as it shows a flow-mod message.
import { FLOW_WORDS } from '../ofproto/of-flow.js';
import { actionsText, checkActions, type OfpAction, parseActions } from './action-text.js';
import {
  exactMask,
  fieldByName,
  formatFieldValue,
  getField,
  isUnsupportedFieldName,
  parseFieldValue,
  parseSubfield,
  setMatchField,
  subfieldMask,
} from './fields.js';
import {
  catchAllMatch,
  checkMatchPrerequisites,
  DEFAULT_PRIORITY,
  matchText,
  normalizeMatch,
  PROTOCOL_SHORTHANDS,
} from './match-text.js';
import { formatPort, OFPP_ANY, type PortNames, parsePort } from './port-text.js';
import {
  FlowTextError,
  hexText,
  parseIntString,
  splitKeyValues,
  strToU16,
  strToU64,
  strToUint,
} from './text-util.js';

/** What a flow text is for, which decides the keywords it may hold (OVS's OFPFC_* and -1 for filters). */
export type FlowCommand = 'add' | 'modify' | 'modify_strict' | 'delete' | 'delete_strict' | 'filter';

/** Flow-mod flags, with OpenFlow 1.3's bit values (OFPFF_*). */
export const FF_SEND_FLOW_REM = 1 << 0;
export const FF_CHECK_OVERLAP = 1 << 1;
export const FF_RESET_COUNTS = 1 << 2;
export const FF_NO_PACKET_COUNTS = 1 << 3;
export const FF_NO_BYTE_COUNTS = 1 << 4;

/** "Any group" for out_group (OFPG_ANY); OFPG_ALL is 0xfffffffc. */
export const OFPG_ANY = 0xffffffff;
export const OFPG_ALL = 0xfffffffc;
/** Table 255: "not given" (for add: table 0; for filters: every table). */
export const TABLE_ANY = 255;

/** A parsed flow. */
export interface ParsedFlow {
  /** The command the text was parsed for. */
  readonly command: FlowCommand;
  /** Table; TABLE_ANY (255) when not given. */
  readonly tableId: number;
  /** Priority (default 32768). */
  readonly priority: number;
  /** Cookie to match (filters: with cookieMask); 0 when none was given. */
  readonly cookie: bigint;
  /** Bits of `cookie` a filter matches; 0 matches every cookie. */
  readonly cookieMask: bigint;
  /** Cookie the flow gets (add, modify); null when a modify leaves cookies alone. */
  readonly newCookie: bigint | null;
  /** Seconds idle before the flow expires, 0 for never. */
  readonly idleTimeout: number;
  /** Seconds before the flow expires, 0 for never. */
  readonly hardTimeout: number;
  /** Eviction importance (OpenFlow 1.4+). */
  readonly importance: number;
  /** FF_* flags. */
  readonly flags: number;
  /** Filters: only flows that output to this port (OFPP_ANY = any). */
  readonly outPort: number;
  /** Filters: only flows that output to this group (OFPG_ANY = any). */
  readonly outGroup: number;
  /** The match: value and mask words over the pipeline flow (FLOW_WORDS long). */
  readonly match: { readonly value: Uint32Array; readonly mask: Uint32Array };
  /** The actions and instructions; empty means drop. */
  readonly actions: readonly OfpAction[];
  /**
   * Fields the text named but the match cannot use because their prerequisites are missing (e.g. tp_dst
   * without tcp or udp). OVS drops these silently when it sends the flow (logging "normalization changed
   * ofp_match"); so does this parser, and lists them here.
   */
  readonly dropped: readonly string[];
}

/** Options for parseFlow. */
export interface ParseFlowOptions {
  /** What the flow is for (default 'add'). */
  readonly command?: FlowCommand;
  /** Accept a leading "add", "modify", "delete", "modify_strict" or "delete_strict" word (add-flows files). */
  readonly commandPrefix?: boolean;
  /** Port names (ovs-ofctl --names). */
  readonly ports?: PortNames;
}

const COMMAND_WORDS: readonly [string, FlowCommand][] = [
  ['add', 'add'],
  ['delete', 'delete'],
  ['delete_strict', 'delete_strict'],
  ['modify', 'modify'],
  ['modify_strict', 'modify_strict'],
];

interface Allowed {
  outPort: boolean;
  actions: boolean;
  importance: boolean;
  timeout: boolean;
  priority: boolean;
  flags: boolean;
}

function allowedFor(c: FlowCommand): Allowed {
  const none = {
    outPort: false,
    actions: false,
    importance: false,
    timeout: false,
    priority: false,
    flags: false,
  };
  switch (c) {
    case 'filter':
    case 'delete':
      return { ...none, outPort: true };
    case 'delete_strict':
      return { ...none, outPort: true, priority: true };
    case 'add':
      return { ...none, actions: true, timeout: true, priority: true, flags: true, importance: true };
    case 'modify':
    case 'modify_strict':
      return { ...none, actions: true, timeout: true, priority: true, flags: true };
  }
}

// A match on a subfield: "reg0[0..3]=5" (OVS parse_subfield in ofp-flow.c).
function parseSubfieldMatch(name: string, value: string, m: { value: Uint32Array; mask: Uint32Array }): void {
  const sf = parseSubfield(name);
  const f = sf.field;
  const v = parseIntString(value, f.bytes);
  if (v.err || v.end !== value.length)
    throw new FlowTextError(`${name}: cannot parse integer value: ${value}`);
  if (v.value >> BigInt(sf.nBits) !== 0n) {
    throw new FlowTextError(
      `${name}: value ${formatFieldValue(f, v.value)} does not fit into ${sf.nBits} bits`,
    );
  }
  const bits = subfieldMask(sf);
  const nv = (getField(f, m.value) & ~bits) | (v.value << BigInt(sf.ofs));
  const nm = getField(f, m.mask) | bits;
  if (!f.maskable && (nm & exactMask(f)) !== exactMask(f)) {
    throw new FlowTextError(
      'actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)',
      'OFPBAC_MATCH_INCONSISTENT',
    );
  }
  setMatchField(f, m.value, m.mask, nv, nm);
}

/**
 * Parses a flow as ovs-ofctl does (OVS parse_ofp_str): keywords (table, priority, cookie, timeouts, flags,
 * out_port...), match fields (with masks, aliases and protocol shorthands) and, for add and modify,
 * "actions=..." (which must be present). The match is then normalized as OVS does before sending it —
 * fields lacking their prerequisites are dropped and listed in `dropped` — and the actions are checked
 * against it. Throws FlowTextError with ovs-ofctl's message for anything it would refuse.
 */
export function parseFlow(text: string, options: ParseFlowOptions = {}): ParsedFlow {
  let command: FlowCommand = options.command ?? 'add';
  let s = text;
  if (options.commandPrefix) {
    s = s.replace(/^[, \t\r\n]*/, '');
    const len = /^[^, \t\r\n]*/.exec(s)?.[0].length ?? 0;
    const word = s.slice(0, len);
    const hit = COMMAND_WORDS.find(([w]) => w.startsWith(word));
    if (hit) {
      command = hit[1];
      s = s.slice(len);
    } else {
      command = 'add';
    }
  }
  const allowed = allowedFor(command);
  let actionText = '';
  if (allowed.actions) {
    const at = s.indexOf('action');
    const eq = at < 0 ? -1 : s.indexOf('=', at + 1);
    if (eq < 0) throw new FlowTextError('must specify an action');
    actionText = s.slice(eq + 1);
    s = s.slice(0, at);
  }

  const match = catchAllMatch();
  let tableId = TABLE_ANY;
  let priority = DEFAULT_PRIORITY;
  let cookie = 0n;
  let cookieMask = 0n;
  let newCookie: bigint | null = command === 'modify' || command === 'modify_strict' ? null : 0n;
  let idleTimeout = 0;
  let hardTimeout = 0;
  let importance = 0;
  let flags = 0;
  let outPort = OFPP_ANY;
  let outGroup = OFPG_ANY;
  const flagWords: Record<string, number> = {
    send_flow_rem: FF_SEND_FLOW_REM,
    check_overlap: FF_CHECK_OVERLAP,
    reset_counts: FF_RESET_COUNTS,
    no_packet_counts: FF_NO_PACKET_COUNTS,
    no_byte_counts: FF_NO_BYTE_COUNTS,
  };

  for (const { key, value } of splitKeyValues(s)) {
    const proto = PROTOCOL_SHORTHANDS.get(key);
    if (proto) {
      setMatchField(field('eth_type'), match.value, match.mask, BigInt(proto.dlType), 0xffffn);
      if (proto.nwProto)
        setMatchField(field('nw_proto'), match.value, match.mask, BigInt(proto.nwProto), 0xffn);
      continue;
    }
    if (key === 'eth' || key === 'no_readonly_table' || key === 'allow_hidden_fields') continue;
    if (allowed.flags && Object.hasOwn(flagWords, key)) {
      flags |= flagWords[key];
      continue;
    }
    const f = fieldByName(key);
    if (f) {
      const r = parseFieldValue(f, value === '' ? '0/0' : value, options.ports);
      setMatchField(f, match.value, match.mask, r.value, r.mask);
      continue;
    }
    if (key.includes('[')) {
      parseSubfieldMatch(key, value, match);
      continue;
    }
    if (isUnsupportedFieldName(key))
      throw new FlowTextError(`${key}: field not supported by tsovs`, 'UNSUPPORTED');
    if (value === '') throw new FlowTextError(`field ${key} missing value`);
    if (key === 'table') {
      const t = strToUint(value);
      if (t === undefined || t > 255) throw new FlowTextError(`unknown table "${value}"`);
      tableId = t;
    } else if (allowed.outPort && key === 'out_port') {
      const p = parsePort(value, options.ports);
      if (p === undefined) throw new FlowTextError(`${value} is not a valid OpenFlow port`);
      outPort = p;
    } else if (allowed.outPort && key === 'out_group') {
      const lower = value.toLowerCase();
      const g = lower === 'any' ? OFPG_ANY : lower === 'all' ? OFPG_ALL : strToUint(value);
      if (g === undefined) throw new FlowTextError(`${value} is not a valid OpenFlow group`);
      outGroup = g;
    } else if (allowed.priority && key === 'priority') {
      priority = strToU16(value, key);
    } else if (allowed.timeout && key === 'idle_timeout') {
      idleTimeout = strToU16(value, key);
    } else if (allowed.timeout && key === 'hard_timeout') {
      hardTimeout = strToU16(value, key);
    } else if (allowed.importance && key === 'importance') {
      importance = strToU16(value, key);
    } else if (key === 'cookie') {
      const slash = value.indexOf('/');
      if (slash >= 0) {
        if (command === 'add') throw new FlowTextError('flow additions cannot use a cookie mask');
        cookie = strToU64(value.slice(0, slash));
        cookieMask = strToU64(value.slice(slash + 1));
      } else {
        if (command !== 'add' && command !== 'modify' && command !== 'modify_strict') {
          throw new FlowTextError(
            `cannot set cookie (to match on a cookie, specify a mask, e.g. cookie=${value}/-1)`,
          );
        }
        newCookie = strToU64(value);
      }
    } else if (['duration', 'n_packets', 'n_bytes', 'idle_age', 'hard_age'].includes(key)) {
      // Ignored, so that dump-flows output can be fed back.
    } else {
      throw new FlowTextError(`unknown keyword ${key}`);
    }
  }
  if ((command === 'modify' || command === 'modify_strict') && newCookie === null && !cookieMask)
    newCookie = 0n;

  let actions: OfpAction[] = [];
  if (allowed.actions) {
    actions = parseActions(actionText, { ports: options.ports });
    checkActions(actions, match.value, tableId);
  }
  const dropped = normalizeMatch(match);
  checkMatchPrerequisites(match);
  return {
    command,
    tableId,
    priority,
    cookie,
    cookieMask,
    newCookie,
    idleTimeout,
    hardTimeout,
    importance,
    flags,
    outPort,
    outGroup,
    match,
    actions,
    dropped,
  };
}

function field(name: string) {
  const f = fieldByName(name);
  if (!f) throw new Error(`no field ${name}`);
  return f;
}

/** The flags as ovs-ofctl prints them, each followed by a space (OVS ofputil_flow_mod_flags_format). */
function flagsText(flags: number): string {
  let s = '';
  if (flags & FF_SEND_FLOW_REM) s += 'send_flow_rem ';
  if (flags & FF_CHECK_OVERLAP) s += 'check_overlap ';
  if (flags & FF_RESET_COUNTS) s += 'reset_counts ';
  if (flags & FF_NO_PACKET_COUNTS) s += 'no_packet_counts ';
  if (flags & FF_NO_BYTE_COUNTS) s += 'no_byte_counts ';
  return s;
}

/** What flowText needs of a flow (a ParsedFlow, or a flow table's entry). */
export interface FlowTextInput {
  readonly tableId: number;
  readonly priority: number;
  readonly match: { readonly value: Uint32Array; readonly mask: Uint32Array };
  readonly actions: readonly OfpAction[];
  readonly cookie?: bigint;
  readonly newCookie?: bigint | null;
  readonly idleTimeout?: number;
  readonly hardTimeout?: number;
  readonly importance?: number;
  readonly flags?: number;
}

/** Options for printing. */
export interface FlowPrintOptions {
  /** Port names to print instead of numbers (ovs-ofctl --names). */
  readonly portNames?: ReadonlyMap<number, string>;
}

/**
 * A flow as `ovs-ofctl dump-flows --no-stats` prints it (OVS ofputil_flow_stats_format without the
 * statistics and without the line's leading space): "cookie=0x5, table=3, idle_timeout=10, send_flow_rem
 * importance=2, priority=100,ip,nw_dst=10.0.0.0/8 actions=output:1". The cookie is the flow's cookie
 * (newCookie for a parsed add/modify); cookie, table, timeouts and importance appear only when nonzero.
 */
export function flowText(flow: FlowTextInput, options: FlowPrintOptions = {}): string {
  let s = '';
  const cookie = flow.newCookie ?? flow.cookie ?? 0n;
  if (cookie) s += `cookie=${hexText(cookie)}, `;
  const table = flow.tableId === TABLE_ANY ? 0 : flow.tableId;
  if (table) s += `table=${table}, `;
  if (flow.idleTimeout) s += `idle_timeout=${flow.idleTimeout}, `;
  if (flow.hardTimeout) s += `hard_timeout=${flow.hardTimeout}, `;
  if (flow.flags) s += flagsText(flow.flags);
  if (flow.importance) s += `importance=${flow.importance}, `;
  const m = matchText(flow.match, flow.priority, options.portNames);
  if (m) s += `${m} `;
  return `${s}actions=${actionsText(flow.actions, options.portNames)}`;
}

const COMMAND_NAMES: Record<FlowCommand, string> = {
  add: 'ADD',
  modify: 'MOD',
  modify_strict: 'MOD_STRICT',
  delete: 'DEL',
  delete_strict: 'DEL_STRICT',
  filter: 'DEL',
};

/**
 * A parsed flow as ovs-ofctl prints the flow-mod message carrying it (OVS ofputil_flow_mod_format, the text
 * after "OFPT_FLOW_MOD (xid=0x1):" without its leading space): "ADD table:3 priority=100,ip cookie:0x5
 * idle:10 hard:20 send_flow_rem actions=NORMAL". `importance` is printed only when `withImportance` (the
 * message is OpenFlow 1.4 or later, the first to carry it).
 */
export function flowModText(
  flow: ParsedFlow,
  options: FlowPrintOptions & { withImportance?: boolean } = {},
): string {
  let s = COMMAND_NAMES[flow.command];
  const table = flow.tableId === TABLE_ANY && flow.command === 'add' ? 0 : flow.tableId;
  if (table) s += ` table:${table}`;
  s += ` ${matchText(flow.match, flow.priority, options.portNames)}`;
  if (!s.endsWith(' ')) s += ' ';
  if (flow.newCookie !== null && flow.newCookie !== 0n && flow.newCookie !== 0xffffffffffffffffn) {
    s += `cookie:${hexText(flow.newCookie)} `;
  }
  if (flow.cookieMask) s += `cookie:${hexText(flow.cookie)}/${hexText(flow.cookieMask)} `;
  if (flow.idleTimeout) s += `idle:${flow.idleTimeout} `;
  if (flow.hardTimeout) s += `hard:${flow.hardTimeout} `;
  if (options.withImportance && flow.importance) s += `importance:${flow.importance} `;
  if (flow.outPort !== OFPP_ANY) s += `out_port:${formatPort(flow.outPort, options.portNames)} `;
  s += flagsText(flow.flags);
  return `${s}actions=${actionsText(flow.actions, options.portNames)}`;
}

/** A new zeroed pipeline flow for building matches by hand. */
export function emptyFlowWords(): Uint32Array {
  return new Uint32Array(FLOW_WORDS);
}
