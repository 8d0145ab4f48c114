// Translation (OVS's ofproto-dpif-xlate.c): a flow key that missed the datapath caches runs through the
// input bridge's OpenFlow tables — rules, their actions and instructions, groups, resubmits, patch ports
// into peer bridges, and the NORMAL action (VLAN admission, MAC learning, unicast or flood) — producing
// datapath actions, the exact megaflow mask of the key bits consulted, the tags of the state the decision
// depended on, and the rules it used (whose counters the cached flow's traffic feeds).
//
// The pipeline flow (FLOW_WORDS: the key's words with the OpenFlow in_port, then metadata and registers)
// is what actions change; the datapath packet changes only when it leaves: an output commits the
// differences between the flow and `base` (the packet as the datapath holds it) as VLAN pushes/pops and
// header set actions (src/ofproto/xlate-commit.ts).
import { ActionsBuilder, USERSPACE_SLOW_PATH_STP } from '../datapath/actions.js';
import type { XlateResult } from '../datapath/upcall.js';
import type { LearnAction, OfpAction, PacketInReason } from '../openflow/action-text.js';
import { actionText } from '../openflow/action-text.js';
import {
  exactMask,
  getSubfield,
  type MatchField,
  prerequisiteMet,
  prerequisitesMet,
  type Subfield,
  setField,
  setMatchField,
  setSubfield,
} from '../openflow/fields.js';
import type { MatchWords } from '../openflow/match-text.js';
import { matchText } from '../openflow/match-text.js';
import {
  FRAG_ANY,
  FRAG_LATER,
  K_DL_DST_HI,
  K_DL_DST_LO,
  K_DL_SRC_HI,
  K_DL_SRC_LO,
  K_DL_TYPE,
  K_IN_PORT,
  K_NW,
  K_NW_DST,
  K_NW_SRC,
  K_RECIRC,
  K_TP,
  K_TUN_DST,
  K_TUN_FLAGS,
  K_TUN_ID_HI,
  K_TUN_ID_LO,
  K_TUN_SRC,
  K_VLAN0,
  K_VLAN1,
  KEY_WORDS,
  NW_FRAG_SHIFT,
  NW_PROTO_SHIFT,
  NW_TTL_SHIFT,
  VLAN_PRESENT,
} from '../packet/flow-key.js';
import type { BridgePort, OfBridge } from './bridge.js';
import { isBroadcastMac, isMulticastMac, isReservedMac, keyDlDst, keyDlSrc } from './eth-addr.js';
import { FlowMatch, type Group, type Rule, type RuleSpec } from './flow-table.js';
import { F_METADATA_HI, F_METADATA_LO, F_REG0, F_REGS, FLOW_WORDS } from './of-flow.js';
import type { TreePortState } from './spanning.js';
import { bridgeTag, dpPortTag, flowsTag, macTag, portTag, stpTag } from './tags.js';
import {
  extractXvlan,
  includesVlan,
  inputTranslate,
  inputVidIsValid,
  isVlanTpid,
  outputTranslate,
  type XVlan,
  xvlanWords,
} from './vlan.js';
import { commitFields } from './xlate-commit.js';
import { hashFlow, hrwChoose } from './xlate-hash.js';

/** Deepest chain of bridges (patch hops) and resubmits one translation may nest, as OVS's MAX_DEPTH. */
export const MAX_DEPTH = 64;
/** Most table lookups one translation may make, as OVS's MAX_RESUBMITS. */
export const MAX_RESUBMITS = MAX_DEPTH * MAX_DEPTH;

/** Reserved OpenFlow ports (16-bit numbering). */
export const OFPP_MAX = 0xff00;
export const OFPP_IN_PORT = 0xfff8;
export const OFPP_TABLE = 0xfff9;
export const OFPP_NORMAL = 0xfffa;
export const OFPP_FLOOD = 0xfffb;
export const OFPP_ALL = 0xfffc;
export const OFPP_CONTROLLER = 0xfffd;
export const OFPP_LOCAL_PORT = 0xfffe;
export const OFPP_NONE = 0xffff;

/** OFPPC_* port config bits that change forwarding. */
export const OFPPC_PORT_DOWN = 1 << 0;
export const OFPPC_NO_RECV = 1 << 2;
export const OFPPC_NO_FLOOD = 1 << 4;
export const OFPPC_NO_FWD = 1 << 5;
export const OFPPC_NO_PACKET_IN = 1 << 6;

const ETH_TYPE_IP = 0x0800;
const ETH_TYPE_IPV6 = 0x86dd;
const ETH_TYPE_ARP = 0x0806;
const ARP_OP_REQUEST = 1;
const ALL = 0xffff_ffff;
const MAX_STACK = 1024;
/** The cookie of a packet_in raised by no rule (a packet_out's own actions): OVS's OVS_BE64_MAX. */
export const NO_RULE_COOKIE = 0xffff_ffff_ffff_ffffn;

/** A bridge and one of its ports. */
export interface PortRef {
  readonly bridge: OfBridge;
  readonly port: BridgePort;
}

/** What a controller action (or a table miss) tells the controller, registered for the datapath. */
export interface ControllerAction {
  readonly bridge: string;
  readonly reason: PacketInReason;
  readonly tableId: number;
  readonly cookie: bigint;
  readonly maxLen: number;
  readonly controllerId: number;
  readonly userdata: Uint8Array | null;
  /** The OpenFlow in_port and the pipeline fields at the time (in_port, metadata, registers, tunnel). */
  readonly inPort: number;
  readonly metadata: MatchWords;
  /** A table miss without a table-miss flow (see PacketInEvent.implicitMiss). */
  readonly implicitMiss: boolean;
}

/** What translation needs from its owner (src/ofproto/ofproto.ts). */
export interface XlateEnv {
  /** The bridge port that owns datapath port `dpPort`. */
  inputOf(dpPort: number): PortRef | undefined;
  /** The port at the other end of patch port `port`, if both name each other. */
  patchPeer(port: BridgePort): PortRef | undefined;
  /** Learns `mac` on `port` of `bridge` in `vlan` (and invalidates what that changes). */
  learn(bridge: string, mac: number, vlan: number, port: string, now: number): void;
  /** Adds (or refreshes) a rule made by a learn action. */
  learnFlow(bridge: OfBridge, tableId: number, spec: RuleSpec, now: number): void;
  /** Registers a packet_in the datapath will raise; returns the ACT_USERSPACE argument for it. */
  controller(action: ControllerAction): number;
  /** Reports a translation error. */
  warn(msg: string): void;
}

/** Options of one translation. */
export interface XlateOptions {
  /** Collects ofproto/trace's explanation. */
  readonly trace?: Trace;
  /** Whether side effects happen (MAC learning, learn actions): false for ofproto/trace without them. */
  readonly sideEffects?: boolean;
}

/** ofproto/trace's record of a translation: lines in OVS's layout, plus plain-language notes. */
export class Trace {
  readonly lines: string[] = [];
  /** One sentence per decision, with ports by name (the --plain layout). */
  readonly plain: string[] = [];
  indent = 0;
  /** The pipeline flow after translation (OVS's "Final flow:"). */
  finalFlow: Uint32Array | null = null;

  line(text: string): void {
    this.lines.push(' '.repeat(this.indent) + text);
  }

  say(text: string): void {
    this.plain.push(text);
  }
}

/** Rules and groups a translation used, whose counters the cached flow feeds. */
interface Used {
  readonly rules: Set<Rule>;
  readonly groups: Set<{ group: Group; bucket: number }>;
}

/** One source MAC learned by a translation; replayed when the cached flow carries traffic. */
interface Learned {
  readonly bridge: string;
  readonly mac: number;
  readonly vlan: number;
  readonly port: string;
}

/** A learn action's effect, replayed while the cached flow carries traffic (OVS's xlate cache). */
interface LearnedFlow {
  readonly bridge: OfBridge;
  readonly tableId: number;
  readonly spec: RuleSpec;
}

/** Where the packet is: the bridge, the port it came in on there (null for a controller's packet-out), its
 *  pipeline flow and the table being run. */
interface Visit {
  readonly bridge: OfBridge;
  readonly inPort: BridgePort | null;
  readonly flow: Uint32Array;
  tableId: number;
  /**
   * The rule whose actions run (for controller actions' cookie; OVS's ctx->rule_cookie): null while a
   * packet_out's own actions run (its packet_ins carry no cookie, UINT64_MAX on the wire).
   */
  rule: Rule | null;
  /** Trace indentation of this bridge's table lines (OVS prints resubmits and goto_table flat). */
  indent: number;
}

/** State of one translation. */
class XlateContext {
  /** Megaflow mask: every flow word the translation read (only the first KEY_WORDS reach the datapath). */
  readonly wc = new Uint32Array(FLOW_WORDS);
  readonly tags = new Set<string>();
  readonly actions = new ActionsBuilder();
  readonly learned: Learned[] = [];
  readonly learnedFlows: LearnedFlow[] = [];
  readonly used: Used = { rules: new Set(), groups: new Set() };
  /** The packet as the datapath holds it after the actions emitted so far. */
  readonly base: Uint32Array;
  /** OpenFlow action set (write_actions), executed when the pipeline ends. */
  actionSet: OfpAction[] = [];
  readonly stack: bigint[] = [];
  depth = 0;
  lookups = 0;
  failed = false;
  /** `exit` stops every action list. */
  exited = false;
  constructor(
    readonly key: Uint32Array,
    readonly env: XlateEnv,
    readonly now: number,
    readonly trace: Trace | null,
    readonly sideEffects: boolean,
  ) {
    this.base = Uint32Array.from(key);
  }

  /** Aborts the translation: the result drops every packet of the flow. */
  fail(msg: string): void {
    if (!this.failed) this.env.warn(msg);
    this.trace?.line(`>>>> ${msg} <<<<`);
    this.failed = true;
  }

  /** Whether action processing stops. */
  get stopped(): boolean {
    return this.failed || this.exited;
  }
}

/** Translates `key` (K_IN_PORT is a datapath port) into datapath actions, mask and tags. */
export function translateKey(
  key: Uint32Array,
  now: number,
  env: XlateEnv,
  opts: XlateOptions = {},
): XlateResult {
  const input = env.inputOf(key[K_IN_PORT]);
  if (input === undefined) return unknownInPort(key);
  const ctx = new XlateContext(key, env, now, opts.trace ?? null, opts.sideEffects ?? true);
  initMask(ctx);
  const visit = startVisit(ctx, input.bridge, input.port, ctx.key);
  runBridge(ctx, visit);
  if (ctx.trace !== null) ctx.trace.finalFlow = visit.flow;
  return finish(ctx);
}

/**
 * Translates an OpenFlow packet_out: `actions` run on the packet whose datapath key is `key`, as if it came in
 * on `inPort` of `bridge` (null: from the controller). The result executes once; it is not cached.
 */
export function translatePacketOut(
  bridge: OfBridge,
  inPort: BridgePort | null,
  inOfport: number,
  actions: readonly OfpAction[],
  key: Uint32Array,
  now: number,
  env: XlateEnv,
): XlateResult {
  const ctx = new XlateContext(key, env, now, null, true);
  initMask(ctx);
  const visit = startVisit(ctx, bridge, inPort, key);
  visit.flow[K_IN_PORT] = inOfport;
  visit.tableId = 0;
  doActions(ctx, visit, actions);
  runActionSet(ctx, visit);
  return finish(ctx);
}

function unknownInPort(key: Uint32Array): XlateResult {
  const mask = new Uint32Array(KEY_WORDS);
  mask[K_IN_PORT] = ALL;
  return { actions: new Uint32Array(0), mask, tags: [dpPortTag(key[K_IN_PORT])], install: true };
}

/** Fields every translation examines (OVS's xlate_wc_init). */
function initMask(ctx: XlateContext): void {
  const { key, wc } = ctx;
  wc[K_IN_PORT] = ALL;
  wc[K_RECIRC] = ALL;
  wc[K_DL_TYPE] = ALL;
  if (key[K_DL_TYPE] === ETH_TYPE_IP || key[K_DL_TYPE] === ETH_TYPE_IPV6) {
    wc[K_NW] |= (FRAG_ANY | FRAG_LATER) << NW_FRAG_SHIFT;
  }
}

/** The pipeline flow of a packet entering `bridge` on `inPort`: in_port is the OpenFlow port. */
function startVisit(
  ctx: XlateContext,
  bridge: OfBridge,
  inPort: BridgePort | null,
  from: Uint32Array,
  rule: Rule | null = null,
): Visit {
  const flow = new Uint32Array(FLOW_WORDS);
  flow.set(from.subarray(0, KEY_WORDS));
  flow[K_IN_PORT] = inPort === null ? OFPP_NONE : inPort.settings.ofport;
  ctx.tags.add(bridgeTag(bridge.name));
  ctx.tags.add(flowsTag(bridge.name));
  return { bridge, inPort, flow, tableId: 0, rule, indent: ctx.trace?.indent ?? 0 };
}

function finish(ctx: XlateContext): XlateResult {
  const actions = ctx.failed ? new Uint32Array(0) : ctx.actions.build();
  const { learned, learnedFlows, env } = ctx;
  const rules = [...ctx.used.rules];
  const groups = [...ctx.used.groups];
  const onUsed =
    learned.length === 0 && learnedFlows.length === 0 && rules.length === 0 && groups.length === 0
      ? undefined
      : (now: number, packets: number, bytes: number, removing: boolean) => {
          for (const r of rules) r.count(packets, bytes, now);
          for (const g of groups) {
            g.group.packets += packets;
            g.group.bytes += bytes;
            const b = g.group.buckets[g.bucket];
            if (b !== undefined) {
              b.packets += packets;
              b.bytes += bytes;
            }
          }
          if (packets <= 0 || removing) return;
          for (const l of learned) env.learn(l.bridge, l.mac, l.vlan, l.port, now);
          for (const f of learnedFlows) env.learnFlow(f.bridge, f.tableId, f.spec, now);
        };
  const mask = ctx.wc.slice(0, KEY_WORDS);
  const trace = ctx.trace;
  if (trace !== null) trace.indent = 0;
  return { actions, mask, tags: [...ctx.tags], install: true, onUsed };
}

// ---------------------------------------------------------------------------------------------------------
// Bridges and tables.

/** Runs a packet that entered `visit.bridge` through its tables, starting at table 0. */
function runBridge(ctx: XlateContext, visit: Visit): void {
  const { bridge } = visit;
  const trace = ctx.trace;
  if (trace !== null) {
    const title = `bridge("${bridge.name}")`;
    trace.line(title);
    trace.line('-'.repeat(title.length));
  }
  if (bridge.tree !== null) {
    ctx.tags.add(stpTag(bridge.name));
    if (ctx.depth === 0 && isStpBpdu(ctx)) {
      trace?.line(' 0. STP BPDU: handled by the spanning tree (slow path)');
      trace?.say(`${bridge.name}: a spanning-tree BPDU, handed to the bridge's spanning tree`);
      ctx.actions.userspace(USERSPACE_SLOW_PATH_STP);
      return;
    }
  }
  if (bridge.failOpen) {
    // Standalone fail mode with no controller: OVS's hidden fail-open flow (priority 0xf0f0f0) does NORMAL.
    trace?.line(' 0. priority 15790320 (fail-open: no controller connected)');
    trace?.say(`${bridge.name}: no controller is connected and fail_mode is standalone: NORMAL switching`);
    const saved = trace?.indent ?? 0;
    if (trace !== null) trace.indent += 4;
    trace?.line('NORMAL');
    xlateNormal(ctx, visit);
    if (trace !== null) trace.indent = saved;
    return;
  }
  const first = lookupTable(ctx, visit, 0);
  // OVS runs the action set under the rule the translation started with (its cookie goes in packet_ins):
  // table 0's for a packet from a port, the patch port's output rule in a peer bridge.
  const saved = visit.rule;
  if (ctx.depth === 0) visit.rule = first;
  runActionSet(ctx, visit);
  visit.rule = saved;
}

/** Looks `visit.flow` up in table `tableId` and runs the rule found (OVS xlate_table_action). */
function lookupTable(ctx: XlateContext, visit: Visit, tableId: number): Rule | null {
  if (++ctx.lookups > MAX_RESUBMITS) {
    ctx.fail(`${visit.bridge.name}: over ${MAX_RESUBMITS} resubmit actions, dropping`);
    return null;
  }
  const table = visit.bridge.pipeline.tables[tableId];
  const rule = table === undefined ? null : table.lookup(visit.flow, ctx.wc);
  const trace = ctx.trace;
  const savedIndent = trace?.indent ?? 0;
  if (trace !== null) trace.indent = visit.indent;
  if (table !== undefined && ctx.sideEffects) {
    table.lookups++;
    if (rule !== null) table.matched++;
  }
  if (rule === null) {
    if (visit.bridge.hasControllers && !ctx.failed) {
      // OVS's miss rule: the packet goes to OpenFlow 1.0-1.2 controllers as a no_match packet_in.
      const saved = visit.tableId;
      visit.tableId = tableId;
      controllerOutput(ctx, visit, 'no_match', 0xffff, 0, null, true);
      visit.tableId = saved;
    }
    if (trace !== null) {
      trace.line(`${String(tableId).padStart(2)}. No match.`);
      trace.indent += 4;
      trace.line('drop');
      trace.indent -= 4;
      trace.say(`${visit.bridge.name}: no rule in table ${tableId} matches: the packet is dropped`);
      trace.indent = savedIndent;
    }
    return null;
  }
  ctx.used.rules.add(rule);
  if (trace !== null) {
    const m = matchText(rule.match, rule.priority);
    const head = m.replace(/^priority=\d+,?/, '');
    const cookie = rule.cookie !== 0n ? `, cookie 0x${rule.cookie.toString(16)}` : '';
    trace.line(
      `${String(tableId).padStart(2)}. ${head === '' ? '' : `${head}, `}priority ${rule.priority}${cookie}`,
    );
    trace.say(
      `${visit.bridge.name}: table ${tableId}: rule "${head === '' ? 'any packet' : head}" (priority ${rule.priority}) matches`,
    );
  }
  const savedTable = visit.tableId;
  const savedRule = visit.rule;
  visit.tableId = tableId;
  visit.rule = rule;
  if (trace !== null) trace.indent = visit.indent + 4;
  if (rule.actions.length === 0) trace?.line('drop');
  doActions(ctx, visit, rule.actions);
  if (trace !== null) trace.indent = savedIndent;
  visit.tableId = savedTable;
  visit.rule = savedRule;
  return rule;
}

/** Runs an action/instruction list. */
function doActions(ctx: XlateContext, visit: Visit, actions: readonly OfpAction[]): void {
  for (const a of actions) {
    if (ctx.stopped) return;
    ctx.trace?.line(actionText(a));
    doAction(ctx, visit, a);
  }
}

function doAction(ctx: XlateContext, visit: Visit, a: OfpAction): void {
  const flow = visit.flow;
  switch (a.type) {
    case 'output':
      outputPort(ctx, visit, a.port, a.maxLen);
      return;
    case 'enqueue':
      outputPort(ctx, visit, a.port, 0);
      return;
    case 'output_reg': {
      readSubfield(ctx, a.src);
      const port = Number(getSubfield(a.src, flow));
      outputPort(ctx, visit, port, a.maxLen);
      return;
    }
    case 'group':
      groupAction(ctx, visit, a.groupId);
      return;
    case 'controller':
      if (!a.pause) controllerOutput(ctx, visit, a.reason, a.maxLen, a.controllerId, a.userdata);
      return;
    case 'set_field':
      setFieldAction(ctx, visit, a.field, a.value, a.mask);
      return;
    case 'set_vlan_vid':
      if ((flow[K_VLAN0] & VLAN_PRESENT) === 0 && !a.pushIfNeeded) return;
      ctx.wc[K_VLAN0] |= VLAN_PRESENT | 0xfff;
      flow[K_VLAN0] = vlanWord(flow[K_VLAN0], ((flow[K_VLAN0] & ~0xfff) | (a.vid & 0xfff)) & 0xffff);
      return;
    case 'set_vlan_pcp':
      if ((flow[K_VLAN0] & VLAN_PRESENT) === 0 && !a.pushIfNeeded) return;
      ctx.wc[K_VLAN0] |= VLAN_PRESENT | 0xe000;
      flow[K_VLAN0] = vlanWord(flow[K_VLAN0], ((flow[K_VLAN0] & ~0xe000) | ((a.pcp & 7) << 13)) & 0xffff);
      return;
    case 'strip_vlan':
      ctx.wc[K_VLAN0] |= VLAN_PRESENT;
      flow[K_VLAN0] = flow[K_VLAN1];
      flow[K_VLAN1] = 0;
      return;
    case 'push_vlan': {
      // The new tag copies the VID and PCP of the current outer tag (0 when untagged), OpenFlow 1.1+.
      const tci = (flow[K_VLAN0] & VLAN_PRESENT) !== 0 ? flow[K_VLAN0] & 0xefff : 0;
      ctx.wc[K_VLAN0] |= VLAN_PRESENT;
      flow[K_VLAN1] = flow[K_VLAN0];
      flow[K_VLAN0] = ((a.ethertype << 16) | VLAN_PRESENT | tci) >>> 0;
      return;
    }
    case 'set_eth_src':
      setWords48(ctx, flow, K_DL_SRC_HI, K_DL_SRC_LO, a.mac);
      return;
    case 'set_eth_dst':
      setWords48(ctx, flow, K_DL_DST_HI, K_DL_DST_LO, a.mac);
      return;
    case 'set_ipv4_src':
    case 'set_ipv4_dst':
      if (!needIpv4(ctx, flow)) return;
      if (a.type === 'set_ipv4_src') setWord(ctx, flow, K_NW_SRC, a.ip >>> 0, ALL);
      else setWord(ctx, flow, K_NW_DST, a.ip >>> 0, ALL);
      return;
    case 'set_ip_dscp':
      if (!needIp(ctx, flow)) return;
      setWord(ctx, flow, K_NW, (a.dscp & 0xfc) << 8, 0xfc00);
      return;
    case 'set_ip_ecn':
      if (!needIp(ctx, flow)) return;
      setWord(ctx, flow, K_NW, (a.ecn & 3) << 8, 0x300);
      return;
    case 'set_ip_ttl':
      if (!needIp(ctx, flow)) return;
      setWord(ctx, flow, K_NW, (a.ttl & 0xff) << NW_TTL_SHIFT, 0xff << NW_TTL_SHIFT);
      return;
    case 'set_l4_src_port':
    case 'set_l4_dst_port':
      if (!needL4(ctx, flow)) return;
      if (a.type === 'set_l4_src_port') setWord(ctx, flow, K_TP, (a.port & 0xffff) << 16, 0xffff_0000);
      else setWord(ctx, flow, K_TP, a.port & 0xffff, 0xffff);
      return;
    case 'dec_ttl':
      decTtl(ctx, visit, a.controllerIds);
      return;
    case 'reg_move': {
      readSubfield(ctx, a.src);
      const bits = getSubfield(a.src, flow);
      writeSubfield(ctx, flow, a.dst, bits);
      return;
    }
    case 'stack_push':
      readSubfield(ctx, a.subfield);
      if (ctx.stack.length < MAX_STACK) ctx.stack.push(getSubfield(a.subfield, flow));
      return;
    case 'stack_pop': {
      const v = ctx.stack.pop();
      if (v !== undefined) writeSubfield(ctx, flow, a.subfield, v);
      else ctx.trace?.line(' -> stack is empty: nothing popped');
      return;
    }
    case 'set_tunnel':
      flow[K_TUN_ID_HI] = Number((a.tunId >> 32n) & 0xffff_ffffn);
      flow[K_TUN_ID_LO] = Number(a.tunId & 0xffff_ffffn);
      return;
    case 'set_queue':
    case 'pop_queue':
    case 'fin_timeout':
    case 'note':
    case 'meter':
    case 'conjunction':
      return;
    case 'exit':
      ctx.exited = true;
      return;
    case 'resubmit':
      resubmit(ctx, visit, a.inPort, a.tableId);
      return;
    case 'goto_table':
      lookupTable(ctx, visit, a.tableId);
      return;
    case 'write_metadata': {
      const cur = (BigInt(flow[F_METADATA_HI]) << 32n) | BigInt(flow[F_METADATA_LO]);
      const v = (cur & ~a.mask) | (a.metadata & a.mask);
      flow[F_METADATA_HI] = Number((v >> 32n) & 0xffff_ffffn);
      flow[F_METADATA_LO] = Number(v & 0xffff_ffffn);
      return;
    }
    case 'clear_actions':
      ctx.actionSet = [];
      return;
    case 'write_actions':
      writeActions(ctx, a.actions);
      return;
    case 'clone':
      clone(ctx, visit, a.actions);
      return;
    case 'learn':
      learnAction(ctx, visit, a);
      return;
    case 'multipath': {
      const hash = hashFlow(flow, a.fields, a.basis, ctx.wc);
      const n = a.maxLink + 1;
      const link = a.algorithm === 'hrw' ? hrwChoose(hash, new Array<number>(n).fill(1)) : hash % n;
      writeSubfield(ctx, flow, a.dst, BigInt(Math.max(link, 0)));
      return;
    }
    case 'bundle':
      bundleAction(ctx, visit, a);
      return;
  }
}

/** A VLAN word with `tci` (present bit set) and the word's TPID, or 0x8100 for a new tag. */
function vlanWord(word: number, tci: number): number {
  const tpid = word >>> 16 || 0x8100;
  return ((tpid << 16) | (tci & 0xffff) | VLAN_PRESENT) >>> 0;
}

function setWords48(ctx: XlateContext, flow: Uint32Array, hi: number, lo: number, mac: bigint): void {
  setWord(ctx, flow, hi, Number((mac >> 32n) & 0xffffn), 0xffff);
  setWord(ctx, flow, lo, Number(mac & 0xffff_ffffn), ALL);
}

/** Writes bits of one flow word; the cached flow depends on the old value (the set is emitted only if it
 *  differs), so the bits are unwildcarded, as OVS does for set_field. */
function setWord(ctx: XlateContext, flow: Uint32Array, word: number, value: number, mask: number): void {
  ctx.wc[word] |= mask;
  flow[word] = ((flow[word] & ~mask) | (value & mask)) >>> 0;
}

function needIpv4(ctx: XlateContext, flow: Uint32Array): boolean {
  ctx.wc[K_DL_TYPE] = ALL;
  return (flow[K_DL_TYPE] & 0xffff) === ETH_TYPE_IP;
}

function needIp(ctx: XlateContext, flow: Uint32Array): boolean {
  ctx.wc[K_DL_TYPE] = ALL;
  const t = flow[K_DL_TYPE] & 0xffff;
  return t === ETH_TYPE_IP || t === ETH_TYPE_IPV6;
}

function needL4(ctx: XlateContext, flow: Uint32Array): boolean {
  if (!needIp(ctx, flow)) return false;
  ctx.wc[K_NW] |= 0xff << NW_PROTO_SHIFT;
  const p = (flow[K_NW] >>> NW_PROTO_SHIFT) & 0xff;
  return p === 6 || p === 17 || p === 132;
}

/** Unwildcards every bit a field's storage uses (conservative for partial subfields). */
function unwildcardField(ctx: XlateContext, f: MatchField): void {
  for (const s of f.slots) {
    ctx.wc[s.word] |= s.width === 32 ? ALL : ((1 << s.width) - 1) << s.shift;
  }
}

function readSubfield(ctx: XlateContext, sf: Subfield): void {
  unwildcardField(ctx, sf.field);
}

/** Unwildcards the fields a prerequisite consults. */
function unwildcardPrereq(ctx: XlateContext): void {
  ctx.wc[K_DL_TYPE] = ALL;
  ctx.wc[K_NW] |= 0xff << NW_PROTO_SHIFT;
}

function writeSubfield(ctx: XlateContext, flow: Uint32Array, sf: Subfield, bits: bigint): void {
  unwildcardPrereq(ctx);
  if (!prerequisitesMet(sf.field, flow)) {
    ctx.trace?.line(` -> ${sf.field.name}: prerequisites not met, not written`);
    return;
  }
  unwildcardField(ctx, sf.field);
  setSubfield(sf, flow, bits);
}

function setFieldAction(ctx: XlateContext, visit: Visit, f: MatchField, value: bigint, mask: bigint): void {
  const flow = visit.flow;
  if (f.prereq !== 'none') {
    unwildcardPrereq(ctx);
    if (f.prereq === 'vlan') ctx.wc[K_VLAN0] |= VLAN_PRESENT;
    if (!prerequisiteMet(f.prereq, flow) && !(f.prereq === 'vlan' && isVlanField(f))) {
      ctx.trace?.line(` -> ${f.name}: prerequisites not met, not set`);
      return;
    }
  }
  unwildcardField(ctx, f);
  setField(f, flow, value, mask);
  if (isVlanField(f)) flow[K_VLAN0] = vlanWord(flow[K_VLAN0], flow[K_VLAN0] & 0xffff);
}

function isVlanField(f: MatchField): boolean {
  return f.name === 'vlan_vid' || f.name === 'vlan_pcp' || f.name === 'dl_vlan' || f.name === 'dl_vlan_pcp';
}

// ---------------------------------------------------------------------------------------------------------
// Output.

/** Where the port's spanning tree lets it stand ('forwarding' when the bridge runs none). */
function treeState(bridge: OfBridge, port: BridgePort): TreePortState {
  return bridge.tree === null ? 'forwarding' : bridge.tree.portState(port.settings.name);
}

/** Whether ordinary frames may leave through `port`. */
function mayOutput(bridge: OfBridge, port: BridgePort): boolean {
  return treeState(bridge, port) === 'forwarding' && (portConfig(bridge, port) & OFPPC_NO_FWD) === 0;
}

function portConfig(bridge: OfBridge, port: BridgePort): number {
  return bridge.portConfig.get(port.settings.ofport) ?? 0;
}

/** An output action to OpenFlow port `port` (reserved ports included). */
function outputPort(ctx: XlateContext, visit: Visit, port: number, maxLen: number): void {
  const { bridge, flow } = visit;
  const trace = ctx.trace;
  switch (port) {
    case OFPP_IN_PORT: {
      const inp = bridge.byOfport.get(flow[K_IN_PORT]);
      if (inp !== undefined) composeOutput(ctx, visit, inp, flowVlans(flow));
      return;
    }
    case OFPP_TABLE:
      lookupTable(ctx, visit, 0);
      return;
    case OFPP_NORMAL:
      xlateNormal(ctx, visit);
      return;
    case OFPP_FLOOD:
    case OFPP_ALL:
      floodPorts(ctx, visit, port === OFPP_ALL);
      return;
    case OFPP_CONTROLLER:
      // A controller output in a priority-0 catch-all rule is a table-miss flow (an explicit miss).
      controllerOutput(ctx, visit, isTableMissRule(visit.rule) ? 'no_match' : 'action', maxLen, 0, null);
      return;
    case OFPP_NONE:
      return;
    default: {
      const inPort = flow[K_IN_PORT];
      if (port === inPort) {
        trace?.line(' -> skipping output to input port');
        trace?.say(`${bridge.name}: output to ${portName(bridge, port)} skipped: it is the input port`);
        return;
      }
      const out = bridge.byOfport.get(port);
      if (out === undefined) {
        trace?.line(` -> output to nonexistent port ${port}`);
        trace?.say(`${bridge.name}: output to port ${port} dropped: the bridge has no such port`);
        return;
      }
      if (!mayOutput(bridge, out)) {
        trace?.line(` -> ${out.settings.name} is not forwarding (spanning tree or no_fwd), not sent`);
        trace?.say(`${bridge.name}: output to ${out.settings.name} dropped: the port is not forwarding`);
        return;
      }
      composeOutput(ctx, visit, out, flowVlans(flow));
    }
  }
}

/** Whether `rule` is a table-miss flow: priority 0, matching everything. */
function isTableMissRule(rule: Rule | null): boolean {
  return rule !== null && rule.priority === 0 && rule.match.mask.every((w) => w === 0);
}

function portName(bridge: OfBridge, ofport: number): string {
  return bridge.byOfport.get(ofport)?.settings.name ?? String(ofport);
}

function flowVlans(flow: Uint32Array): readonly [number, number] {
  return [flow[K_VLAN0], flow[K_VLAN1]];
}

/** FLOOD (every port but the input and no_flood ports, spanning tree permitting) or ALL (every port but
 *  the input port). */
function floodPorts(ctx: XlateContext, visit: Visit, all: boolean): void {
  const { bridge, flow } = visit;
  for (const p of bridge.ports.values()) {
    if (ctx.stopped) return;
    if (p.settings.ofport === flow[K_IN_PORT]) continue;
    if (!all && ((portConfig(bridge, p) & OFPPC_NO_FLOOD) !== 0 || !mayOutput(bridge, p))) continue;
    composeOutput(ctx, visit, p, flowVlans(flow));
  }
}

/** Emits the packet, with VLAN headers `vlans`, on `out`: a datapath output or a patch crossing. */
function composeOutput(
  ctx: XlateContext,
  visit: Visit,
  out: BridgePort,
  vlans: readonly [number, number],
): void {
  if (out.settings.patchPeer !== null) {
    patchOutput(ctx, visit, out, out.settings.patchPeer, vlans);
    return;
  }
  if (out.settings.dpPort === null) return;
  commit(ctx, visit.flow, vlans);
  ctx.trace?.say(`${visit.bridge.name}: sent out of ${out.settings.name}`);
  ctx.actions.output(out.settings.dpPort);
}

/** Makes the datapath packet what the flow says: VLAN headers `vlans`, rewritten fields, tunnel metadata. */
function commit(ctx: XlateContext, flow: Uint32Array, vlans: readonly [number, number]): void {
  commitVlans(ctx, vlans);
  commitFields(flow, ctx.base, ctx.actions);
  commitTunnel(ctx, flow);
}

/** Emits set(tunnel(...)) when actions changed the tunnel metadata since the last one. */
function commitTunnel(ctx: XlateContext, flow: Uint32Array): void {
  const b = ctx.base;
  if (
    flow[K_TUN_ID_HI] === b[K_TUN_ID_HI] &&
    flow[K_TUN_ID_LO] === b[K_TUN_ID_LO] &&
    flow[K_TUN_SRC] === b[K_TUN_SRC] &&
    flow[K_TUN_DST] === b[K_TUN_DST]
  ) {
    return;
  }
  // Fields not set by actions come from the received tunnel: the cached flow depends on them.
  ctx.wc.fill(ALL, K_TUN_ID_HI, K_TUN_DST + 1);
  const id = (BigInt(flow[K_TUN_ID_HI]) << 32n) | BigInt(flow[K_TUN_ID_LO]);
  // OVS's default flags for a set tunnel: a key when tun_id is set, DF, and TTL 64.
  ctx.actions.setTunnel(id, flow[K_TUN_SRC], flow[K_TUN_DST], (id !== 0n ? 1 : 0) | 4 | (64 << 16));
  for (let w = K_TUN_ID_HI; w <= K_TUN_DST; w++) b[w] = flow[w];
  b[K_TUN_FLAGS] = flow[K_TUN_FLAGS];
}

/** Continues translation in the peer bridge, as if the packet had arrived on the peer port. */
function patchOutput(
  ctx: XlateContext,
  visit: Visit,
  out: BridgePort,
  peerName: string,
  vlans: readonly [number, number],
): void {
  ctx.tags.add(portTag(peerName));
  const peer = ctx.env.patchPeer(out);
  if (peer === undefined) return;
  if (ctx.depth >= MAX_DEPTH) {
    ctx.fail(`${peer.bridge.name}: over max translation depth ${MAX_DEPTH} (patch port loop?), dropping`);
    return;
  }
  // The peer sees the packet as modified so far, with its own in_port and fresh registers and metadata.
  const next = startVisit(ctx, peer.bridge, peer.port, visit.flow, visit.rule);
  next.flow[K_VLAN0] = vlans[0];
  next.flow[K_VLAN1] = vlans[1];
  const savedSet = ctx.actionSet;
  ctx.actionSet = [];
  ctx.depth++;
  const trace = ctx.trace;
  if (trace !== null) {
    trace.line('');
    trace.indent += 4;
  }
  runBridge(ctx, next);
  if (trace !== null) trace.indent -= 4;
  ctx.depth--;
  ctx.actionSet = savedSet;
  ctx.exited = false;
}

function countHeaders(vlans: ArrayLike<number>): number {
  if ((vlans[0] & VLAN_PRESENT) === 0) return 0;
  return (vlans[1] & VLAN_PRESENT) === 0 ? 1 : 2;
}

/** Emits pops and pushes that turn the packet's current headers into `target` (OVS's
 *  commit_vlan_action): headers equal from the inside out stay; the rest are popped and pushed. */
function commitVlans(ctx: XlateContext, target: readonly [number, number]): void {
  const base = [ctx.base[K_VLAN0], ctx.base[K_VLAN1]];
  let b = countHeaders(base) - 1;
  let t = countHeaders(target) - 1;
  while (b >= 0 && t >= 0 && base[b] === target[t]) {
    b--;
    t--;
  }
  for (; b >= 0; b--) {
    ctx.actions.popVlan();
    unwildcardPopped(ctx, b);
  }
  for (; t >= 0; t--) ctx.actions.pushVlan(target[t] & 0xffff, target[t] >>> 16 || 0x8100);
  ctx.base[K_VLAN0] = target[0];
  ctx.base[K_VLAN1] = target[1];
}

/** A pop depends on the whole header it removes, when that header came with the packet, and on how
 *  many headers the packet has. */
function unwildcardPopped(ctx: XlateContext, index: number): void {
  const word = K_VLAN0 + index;
  if ((ctx.key[word] & VLAN_PRESENT) !== 0) ctx.wc[word] = ALL;
  if ((ctx.key[K_VLAN0] & VLAN_PRESENT) !== 0) ctx.wc[K_VLAN1] |= VLAN_PRESENT;
}

// ---------------------------------------------------------------------------------------------------------
// Controller, TTL, resubmit, groups, clone, action set, learn, bundle.

/** Sends the packet (as modified so far) to the controllers as a packet_in. */
function controllerOutput(
  ctx: XlateContext,
  visit: Visit,
  reason: PacketInReason,
  maxLen: number,
  controllerId: number,
  userdata: Uint8Array | null,
  implicitMiss = false,
): void {
  const { bridge, flow } = visit;
  const inPort = bridge.byOfport.get(flow[K_IN_PORT]);
  if (inPort !== undefined && (portConfig(bridge, inPort) & OFPPC_NO_PACKET_IN) !== 0) {
    ctx.trace?.line(' -> the input port has no_packet_in: not sent to the controller');
    return;
  }
  commit(ctx, flow, flowVlans(flow));
  const metaValue = new Uint32Array(FLOW_WORDS);
  const metaMask = new Uint32Array(FLOW_WORDS);
  for (const w of [K_IN_PORT, K_TUN_ID_HI, K_TUN_ID_LO, K_TUN_SRC, K_TUN_DST, F_METADATA_HI, F_METADATA_LO]) {
    metaValue[w] = flow[w];
    metaMask[w] = w === K_IN_PORT || flow[w] !== 0 ? ALL : 0;
  }
  for (let r = 0; r < F_REGS; r++) {
    metaValue[F_REG0 + r] = flow[F_REG0 + r];
    metaMask[F_REG0 + r] = flow[F_REG0 + r] !== 0 ? ALL : 0;
  }
  const arg = ctx.env.controller({
    bridge: bridge.name,
    reason,
    tableId: visit.tableId,
    // OVS's miss rule (an implicit miss) is an internal flow with cookie 0; no rule at all: no cookie.
    cookie: implicitMiss ? 0n : (visit.rule?.cookie ?? NO_RULE_COOKIE),
    maxLen,
    controllerId,
    userdata,
    inPort: flow[K_IN_PORT],
    metadata: { value: metaValue, mask: metaMask },
    implicitMiss,
  });
  ctx.trace?.say(`${bridge.name}: sent to the controller (reason ${reason})`);
  ctx.actions.userspace(arg);
}

/** dec_ttl: decrements the IP TTL; at 0 or 1 the packet goes to the controllers instead (invalid_ttl). */
function decTtl(ctx: XlateContext, visit: Visit, controllerIds: readonly number[] | null): void {
  const flow = visit.flow;
  if (!needIp(ctx, flow)) return;
  ctx.wc[K_NW] |= 0xff << NW_TTL_SHIFT;
  const ttl = (flow[K_NW] >>> NW_TTL_SHIFT) & 0xff;
  if (ttl > 1) {
    flow[K_NW] = ((flow[K_NW] & ~(0xff << NW_TTL_SHIFT)) | ((ttl - 1) << NW_TTL_SHIFT)) >>> 0;
    return;
  }
  ctx.trace?.line(' -> TTL expired: sent to the controller (invalid_ttl) and not processed further');
  for (const id of controllerIds ?? [0]) controllerOutput(ctx, visit, 'invalid_ttl', 65535, id, null);
  ctx.exited = true;
}

/** resubmit([port],[table]): looks the flow up again, with in_port temporarily `inPort`. */
function resubmit(ctx: XlateContext, visit: Visit, inPort: number, tableId: number): void {
  if (ctx.depth >= MAX_DEPTH) {
    ctx.fail(`${visit.bridge.name}: over max translation depth ${MAX_DEPTH} (resubmit loop?), dropping`);
    return;
  }
  const flow = visit.flow;
  const savedIn = flow[K_IN_PORT];
  if (inPort !== OFPP_IN_PORT) flow[K_IN_PORT] = inPort;
  ctx.depth++;
  lookupTable(ctx, visit, tableId === 255 ? visit.tableId : tableId);
  ctx.depth--;
  flow[K_IN_PORT] = savedIn;
  ctx.exited = false;
}

/** clone(...) and group buckets: actions on a copy of the flow; afterwards the flow is as before. */
function clone(ctx: XlateContext, visit: Visit, actions: readonly OfpAction[]): void {
  const saved = Uint32Array.from(visit.flow);
  const savedSet = ctx.actionSet;
  ctx.actionSet = [];
  doActions(ctx, visit, actions);
  ctx.actionSet = savedSet;
  visit.flow.set(saved);
  ctx.exited = false;
}

/** group:N. */
function groupAction(ctx: XlateContext, visit: Visit, groupId: number, depth = 0): void {
  const group = visit.bridge.pipeline.groups.get(groupId);
  const trace = ctx.trace;
  if (group === undefined) {
    trace?.line(` -> group ${groupId} does not exist: dropped`);
    return;
  }
  if (depth > 32) return;
  const live = (b: Group['buckets'][number]): boolean => bucketLive(visit.bridge, b);
  switch (group.type) {
    case 'all':
      group.buckets.forEach((b, i) => {
        ctx.used.groups.add({ group, bucket: i });
        clone(ctx, visit, b.actions);
      });
      return;
    case 'indirect':
      if (group.buckets[0] !== undefined) {
        ctx.used.groups.add({ group, bucket: 0 });
        clone(ctx, visit, group.buckets[0].actions);
      }
      return;
    case 'ff': {
      const i = group.buckets.findIndex(live);
      if (i >= 0) {
        ctx.used.groups.add({ group, bucket: i });
        clone(ctx, visit, group.buckets[i].actions);
      } else trace?.line(' -> no live bucket');
      return;
    }
    case 'select': {
      const hash = hashFlow(visit.flow, 'symmetric_l4', 0, ctx.wc);
      const i = hrwChoose(
        hash,
        group.buckets.map((b) => (live(b) ? b.weight : 0)),
      );
      if (i < 0) {
        trace?.line(' -> no live bucket');
        return;
      }
      trace?.line(` -> selected bucket ${group.buckets[i].id}`);
      ctx.used.groups.add({ group, bucket: i });
      clone(ctx, visit, group.buckets[i].actions);
      return;
    }
  }
}

/** A bucket is live unless it watches a port that is down or not forwarding. */
function bucketLive(bridge: OfBridge, b: Group['buckets'][number]): boolean {
  if (b.watchPort === 0xffff_ffff || b.watchPort === OFPP_NONE) return true;
  const p = bridge.byOfport.get(b.watchPort);
  if (p === undefined) return false;
  return !bridge.linkDown.has(p.settings.name) && (portConfig(bridge, p) & OFPPC_PORT_DOWN) === 0;
}

/** write_actions: merges into the action set, one action per kind (a later one replaces). */
function writeActions(ctx: XlateContext, actions: readonly OfpAction[]): void {
  for (const a of actions) {
    const kind = actionSetKind(a);
    const i = ctx.actionSet.findIndex((b) => actionSetKind(b) === kind);
    if (i >= 0) ctx.actionSet[i] = a;
    else ctx.actionSet.push(a);
  }
}

function actionSetKind(a: OfpAction): string {
  if (a.type === 'set_field') return `set_field:${a.field.name}`;
  if (a.type === 'output' || a.type === 'group') return 'output';
  return a.type;
}

/** The action set's order (OpenFlow 1.3 §5.10): pops, push, dec_ttl, sets, queue, then group or output. */
const SET_ORDER: readonly string[] = ['strip_vlan', 'push_vlan', 'dec_ttl'];

function runActionSet(ctx: XlateContext, visit: Visit): void {
  const set = ctx.actionSet;
  if (set.length === 0 || ctx.failed) return;
  ctx.actionSet = [];
  ctx.exited = false;
  const rank = (a: OfpAction): number => {
    const i = SET_ORDER.indexOf(a.type);
    if (i >= 0) return i;
    if (a.type === 'output' || a.type === 'group') return 10;
    if (a.type === 'set_queue') return 9;
    return 5;
  };
  const ordered = [...set].sort((a, b) => rank(a) - rank(b));
  ctx.trace?.line('action set:');
  doActions(ctx, visit, ordered);
}

/** learn(...): builds the rule the specs describe from the current flow and adds it. */
function learnAction(ctx: XlateContext, visit: Visit, a: LearnAction): void {
  const flow = visit.flow;
  const value = new Uint32Array(FLOW_WORDS);
  const mask = new Uint32Array(FLOW_WORDS);
  const actions: OfpAction[] = [];
  for (const s of a.specs) {
    switch (s.kind) {
      case 'match_field':
      case 'match_imm': {
        let bits: bigint;
        if (s.kind === 'match_field') {
          readSubfield(ctx, s.src);
          bits = getSubfield(s.src, flow);
        } else bits = s.value;
        const f = s.dst.field;
        const m = ((1n << BigInt(s.dst.nBits)) - 1n) << BigInt(s.dst.ofs);
        const cur = matchValue(f, value, mask);
        setMatchField(
          f,
          value,
          mask,
          (cur.value & ~m) | ((bits << BigInt(s.dst.ofs)) & m),
          cur.mask | (m & exactMask(f)),
        );
        break;
      }
      case 'load_field':
      case 'load_imm': {
        let bits: bigint;
        if (s.kind === 'load_field') {
          readSubfield(ctx, s.src);
          bits = getSubfield(s.src, flow);
        } else bits = s.value;
        const m = ((1n << BigInt(s.dst.nBits)) - 1n) << BigInt(s.dst.ofs);
        actions.push({
          type: 'set_field',
          field: s.dst.field,
          value: (bits << BigInt(s.dst.ofs)) & m,
          mask: m,
          load: true,
        });
        break;
      }
      case 'output':
        readSubfield(ctx, s.src);
        actions.push({ type: 'output', port: Number(getSubfield(s.src, flow)) & 0xffff, maxLen: 0 });
        break;
    }
  }
  const spec: RuleSpec = {
    priority: a.priority,
    match: new FlowMatch(value, mask),
    actions,
    cookie: a.cookie,
    idleTimeout: a.idleTimeout,
    hardTimeout: a.hardTimeout,
    flags: a.sendFlowRem ? 1 : 0,
  };
  ctx.trace?.line(
    ` -> table=${a.tableId} ${matchText(spec.match, spec.priority)} actions=${actions.map((x) => actionText(x)).join(',') || 'drop'}`,
  );
  ctx.learnedFlows.push({ bridge: visit.bridge, tableId: a.tableId, spec });
  if (ctx.sideEffects) ctx.env.learnFlow(visit.bridge, a.tableId, spec, ctx.now);
}

function matchValue(f: MatchField, value: Uint32Array, mask: Uint32Array): { value: bigint; mask: bigint } {
  const probeV = Uint32Array.from(value);
  const probeM = Uint32Array.from(mask);
  return { value: getSubfieldWhole(f, probeV), mask: getSubfieldWhole(f, probeM) };
}

function getSubfieldWhole(f: MatchField, words: Uint32Array): bigint {
  return getSubfield({ field: f, ofs: 0, nBits: f.bits }, words);
}

/** bundle / bundle_load: picks a live member by hash (hrw) or the first live one (active_backup). */
function bundleAction(ctx: XlateContext, visit: Visit, a: Extract<OfpAction, { type: 'bundle' }>): void {
  const bridge = visit.bridge;
  const isLive = (port: number): boolean => {
    const p = bridge.byOfport.get(port);
    return p !== undefined && !bridge.linkDown.has(p.settings.name) && mayOutput(bridge, p);
  };
  let chosen = -1;
  if (a.algorithm === 'active_backup') {
    chosen = a.members.findIndex(isLive);
  } else {
    const hash = hashFlow(visit.flow, a.fields, a.basis, ctx.wc);
    chosen = hrwChoose(
      hash,
      a.members.map((m) => (isLive(m) ? 1 : 0)),
    );
  }
  const port = chosen >= 0 ? a.members[chosen] : OFPP_NONE;
  if (a.dst !== null) writeSubfield(ctx, visit.flow, a.dst, BigInt(port));
  else if (port !== OFPP_NONE) outputPort(ctx, visit, port, 0);
}

// ---------------------------------------------------------------------------------------------------------
// NORMAL.

/** Whether the frame is addressed to 802.1D bridges (01:80:c2:00:00:00): a BPDU for the spanning tree. */
function isStpBpdu(ctx: XlateContext): boolean {
  ctx.wc[K_DL_DST_HI] |= 0xffff;
  ctx.wc[K_DL_DST_LO] = ALL;
  return ctx.key[K_DL_DST_HI] === 0x0180 && ctx.key[K_DL_DST_LO] === 0xc2000000;
}

/** The NORMAL action: an 802.1Q learning switch over the flow as it stands. */
function xlateNormal(ctx: XlateContext, visit: Visit): void {
  const { wc } = ctx;
  const flow = visit.flow;
  const trace = ctx.trace;
  wc[K_DL_SRC_HI] |= 0xffff;
  wc[K_DL_SRC_LO] = ALL;
  wc[K_DL_DST_HI] |= 0xffff;
  wc[K_DL_DST_LO] = ALL;
  wc[K_VLAN0] |= VLAN_PRESENT | 0xfff;
  const tagged = (flow[K_VLAN0] & VLAN_PRESENT) !== 0;
  if (tagged) wc[K_VLAN1] |= VLAN_PRESENT;
  const inPort = visit.inPort;
  const { bridge } = visit;
  if (inPort === null || inPort.settings.ofport !== flow[K_IN_PORT]) {
    const p = bridge.byOfport.get(flow[K_IN_PORT]);
    if (p === undefined) {
      // A packet-out from the controller: NORMAL floods it (OVS treats OFPP_NONE input as no bundle).
      trace?.line(' -> no input bundle: dropping');
      return;
    }
    normalFrom(ctx, { ...visit, inPort: p }, p);
    return;
  }
  normalFrom(ctx, visit, inPort);
}

function normalFrom(ctx: XlateContext, visit: Visit, inPort: BridgePort): void {
  const flow = visit.flow;
  const trace = ctx.trace;
  const { bridge } = visit;
  // A VLAN ethertype with no header behind it is a truncated tag.
  if (isVlanTpid(flow[K_DL_TYPE]) && (flow[K_VLAN0] & VLAN_PRESENT) === 0) {
    trace?.line(' -> dropping packet with partial VLAN tag');
    return;
  }
  const received = extractXvlan(flowVlans(flow));
  if (!inputVidIsValid(inPort.vlan, received[0].vid)) {
    trace?.line(
      ` -> dropping VLAN ${received[0].vid} packet received on port ${inPort.settings.name} not configured for trunking VLAN ${received[0].vid}`,
    );
    trace?.say(
      `${bridge.name}: NORMAL: ${inPort.settings.name} does not carry VLAN ${received[0].vid}: dropped`,
    );
    return;
  }
  const xvlan = inputTranslate(inPort.vlan, received);
  const dst = keyDlDst(flow);
  if (!bridge.settings.forwardBpdu && isReservedMac(dst)) {
    trace?.line(' -> not forwarding reserved multicast (forward-bpdu is false)');
    return;
  }
  consultGratuitousArp(ctx, flow, dst);
  // Spanning tree: a blocked or listening port neither learns nor forwards; a learning port only learns.
  const st = treeState(bridge, inPort);
  if (st === 'blocked') {
    trace?.line(` -> ${inPort.settings.name} is blocked by the spanning tree: dropped`);
    trace?.say(`${bridge.name}: NORMAL: ${inPort.settings.name} is blocked by the spanning tree: dropped`);
    return;
  }
  learnSource(ctx, visit, inPort, xvlan[0].vid);
  if (st !== 'forwarding') {
    trace?.line(` -> ${inPort.settings.name} is ${st}: learned only`);
    return;
  }
  if (isMulticastMac(dst)) {
    trace?.line(' -> flooding (multicast/broadcast destination)');
    trace?.say(`${bridge.name}: NORMAL: broadcast/multicast destination: flooded in VLAN ${xvlan[0].vid}`);
    flood(ctx, visit, inPort, xvlan);
    return;
  }
  forwardUnicast(ctx, visit, inPort, xvlan, dst);
}

/** OVS checks every frame for a gratuitous ARP (for bond learning locks): those fields count. */
function consultGratuitousArp(ctx: XlateContext, flow: Uint32Array, dst: number): void {
  const { wc } = ctx;
  if (flow[K_DL_TYPE] !== ETH_TYPE_ARP || !isBroadcastMac(dst)) return;
  wc[K_NW] |= 0xff << NW_PROTO_SHIFT;
  if (((flow[K_NW] >>> NW_PROTO_SHIFT) & 0xff) === ARP_OP_REQUEST) {
    wc[K_NW_SRC] = ALL;
    wc[K_NW_DST] = ALL;
  }
}

function learnSource(ctx: XlateContext, visit: Visit, inPort: BridgePort, vlan: number): void {
  const mac = keyDlSrc(visit.flow);
  if (isMulticastMac(mac)) return;
  const l: Learned = { bridge: visit.bridge.name, mac, vlan, port: inPort.settings.name };
  // The flow depends on the entry it learned: when the entry is flushed or moves (a topology change), the
  // flow goes too, so the next frame learns afresh; otherwise a flow cached from before the change would
  // keep replaying (onUsed) the old port while frames on the new path never reach translation.
  ctx.tags.add(macTag(l.bridge, vlan, mac));
  if (ctx.sideEffects) ctx.env.learn(l.bridge, l.mac, l.vlan, l.port, ctx.now);
  ctx.learned.push(l);
}

function forwardUnicast(
  ctx: XlateContext,
  visit: Visit,
  inPort: BridgePort,
  xvlan: XVlan,
  dst: number,
): void {
  const { bridge } = visit;
  const trace = ctx.trace;
  ctx.tags.add(macTag(bridge.name, xvlan[0].vid, dst));
  const entry = bridge.macs.lookup(dst, xvlan[0].vid);
  if (entry === undefined) {
    trace?.line(' -> no learned MAC for destination, flooding');
    trace?.say(`${bridge.name}: NORMAL: destination not learned yet in VLAN ${xvlan[0].vid}: flooded`);
    flood(ctx, visit, inPort, xvlan);
    return;
  }
  const out = bridge.ports.get(entry.port);
  if (out === undefined || out === inPort) {
    trace?.line(' -> learned port is the input port: dropped');
    return;
  }
  trace?.line(` -> forwarding to learned port`);
  trace?.say(`${bridge.name}: NORMAL: destination learned on ${out.settings.name} (VLAN ${xvlan[0].vid})`);
  if (mayOutput(bridge, out)) outputNormal(ctx, visit, out, xvlan);
}

/** Sends to every other port of the bridge that carries the frame's VLAN, in port order. */
function flood(ctx: XlateContext, visit: Visit, inPort: BridgePort, xvlan: XVlan): void {
  for (const port of visit.bridge.ports.values()) {
    if (ctx.stopped) return;
    if (
      port !== inPort &&
      carries(ctx, visit, port, xvlan) &&
      mayOutput(visit.bridge, port) &&
      (portConfig(visit.bridge, port) & OFPPC_NO_FLOOD) === 0
    ) {
      outputNormal(ctx, visit, port, xvlan);
    }
  }
}

function carries(ctx: XlateContext, visit: Visit, port: BridgePort, xvlan: XVlan): boolean {
  // An access port takes only single-tagged traffic: that looks at the inner header too.
  if (
    port.vlan.mode === 'access' &&
    xvlan[0].vid === port.vlan.vlan &&
    (visit.flow[K_VLAN0] & VLAN_PRESENT) !== 0
  ) {
    ctx.wc[K_VLAN1] |= VLAN_PRESENT | 0xfff;
  }
  return includesVlan(port.vlan, xvlan);
}

function outputNormal(ctx: XlateContext, visit: Visit, out: BridgePort, xvlan: XVlan): void {
  composeOutput(ctx, visit, out, xvlanWords(outputTranslate(out.vlan, xvlan)));
}
