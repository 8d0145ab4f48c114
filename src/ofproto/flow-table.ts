// A bridge's OpenFlow pipeline (OVS's ofproto rules, tables and groups): numbered tables of prioritized
// rules, each a masked match over the pipeline flow's layout (src/ofproto/of-flow.ts: the flow-key words,
// with K_IN_PORT holding the OpenFlow port, then metadata and registers) and actions in the text layer's
// form (src/openflow/action-text.ts OfpAction, instructions included). Each table is a tuple-space
// classifier (src/ofproto/classifier.ts); a lookup reports the key bits it examined so the megaflow mask
// stays exact. Rules carry what OpenFlow reports about them: cookie, timeouts, flags, counters.
import type { OfpAction } from '../openflow/action-text.js';
import { Classifier, type ClsMatch, type ClsRule, type MatchShape, matchShape } from './classifier.js';
import { FLOW_WORDS, FlowWordsPool } from './of-flow.js';

/** Where FlowMatch.value's arrays come from (dumping 100,000 rules builds one each). */
const valueViews = new FlowWordsPool();
const EMPTY_WORDS = new Uint32Array(0);

/** Tables a bridge has (0..254; 255 means "all" in requests), as Open vSwitch. */
export const N_TABLES = 255;

/**
 * A masked match over FLOW_WORDS words: a flow matches when (flow & mask) == value, word by word. Only the
 * words the mask covers are kept (word(k), in the order of the interned `shape`); `value` and `mask` give
 * the whole FLOW_WORDS view, `value` built on each call (for printing and other slow paths).
 */
export class FlowMatch implements ClsMatch {
  readonly shape: MatchShape;
  // The masked value at the shape's words, in its order, as int32: the first three in fields (an int32 is
  // a small integer to V8, stored in place), and the fourth too when there are no more; with five or more
  // words, the fourth field holds an array of the fourth and later ones. Most matches have four words or
  // fewer, and a field less is 8 bytes less for each of 100,000 rules.
  private readonly w0: number;
  private readonly w1: number;
  private readonly w2: number;
  private readonly w3: number | number[];

  /**
   * `value` and `mask` may be shorter than FLOW_WORDS (e.g. KEY_WORDS): the rest is wildcarded. Given
   * another match, a copy of it (a Rule is its own match, and takes its words from the one it is made of).
   */
  constructor(value: Uint32Array | FlowMatch, mask: Uint32Array = EMPTY_WORDS) {
    if (value instanceof FlowMatch) {
      this.shape = value.shape;
      this.w0 = value.w0;
      this.w1 = value.w1;
      this.w2 = value.w2;
      this.w3 = value.w3;
      return;
    }
    if (value.length > FLOW_WORDS) throw new RangeError(`a match has at most ${FLOW_WORDS} words`);
    const shape = matchShape(mask);
    this.shape = shape;
    const { idx, maskW } = shape;
    const at = (k: number) => (k < idx.length && idx[k] < value.length ? value[idx[k]] & maskW[k] : 0);
    this.w0 = at(0);
    this.w1 = at(1);
    this.w2 = at(2);
    if (idx.length <= 4) {
      this.w3 = at(3);
    } else {
      const rest = new Array<number>(idx.length - 3);
      for (let k = 3; k < idx.length; k++) rest[k - 3] = at(k);
      this.w3 = rest;
    }
  }

  /** The masked value at the shape's k-th word, as int32. */
  word(k: number): number {
    switch (k) {
      case 0:
        return this.w0;
      case 1:
        return this.w1;
      case 2:
        return this.w2;
      default: {
        const w3 = this.w3;
        return typeof w3 === 'number' ? w3 : w3[k - 3];
      }
    }
  }

  /** The match that every flow satisfies. */
  static catchAll(): FlowMatch {
    return new FlowMatch(new Uint32Array(0), new Uint32Array(0));
  }

  /** The mask words (1 bits are compared), FLOW_WORDS long; shared between matches: never modify. */
  get mask(): Uint32Array {
    return this.shape.mask;
  }

  /** The value words (masked), FLOW_WORDS long: a new array on each call. */
  get value(): Uint32Array {
    const v = valueViews.alloc();
    const idx = this.shape.idx;
    for (let k = 0; k < idx.length; k++) v[idx[k]] = this.word(k);
    return v;
  }

  /** The value at flow word `w` (0 where the mask has nothing). */
  valueAt(w: number): number {
    const k = this.shape.pos[w];
    return k < 0 ? 0 : this.word(k) >>> 0;
  }

  /** Whether `flow` matches (words past the end of `flow` count as 0). */
  matches(flow: Uint32Array): boolean {
    const { idx, maskW } = this.shape;
    for (let k = 0; k < idx.length; k++) {
      const w = idx[k];
      if (((w < flow.length ? flow[w] : 0) & maskW[k]) !== this.word(k)) return false;
    }
    return true;
  }

  /** Whether every flow this match accepts is also accepted by `other` (other is no more specific). */
  within(other: FlowMatch): boolean {
    const { idx, maskW } = other.shape;
    const mine = this.shape.mask;
    for (let k = 0; k < idx.length; k++) {
      const m = maskW[k];
      const w = idx[k];
      if ((mine[w] & m) !== m || (this.valueAt(w) & m) !== other.word(k)) return false;
    }
    return true;
  }

  /** Whether some flow matches both (OVS's check_overlap test). */
  overlaps(other: FlowMatch): boolean {
    const { idx, maskW } = this.shape;
    const theirs = other.shape.mask;
    for (let k = 0; k < idx.length; k++) {
      const w = idx[k];
      if (((this.word(k) ^ other.valueAt(w)) & maskW[k] & theirs[w]) !== 0) return false;
    }
    return true;
  }

  /** ORs this match's mask into `wc` (as far as `wc` reaches). */
  unwildcard(wc: Uint32Array): void {
    const { idx, maskW } = this.shape;
    for (let k = 0; k < idx.length; k++) if (idx[k] < wc.length) wc[idx[k]] |= maskW[k];
  }

  /** Whether `other` has the same mask and value. */
  equals(other: FlowMatch): boolean {
    if (this.shape !== other.shape) return false;
    for (let k = 0; k < this.shape.idx.length; k++) if (this.word(k) !== other.word(k)) return false;
    return true;
  }
}

/** OpenFlow flow-mod flags kept on a rule (OFPFF_*; values as flow-text.ts FF_*). */
export const RULE_SEND_FLOW_REM = 1 << 0;
export const RULE_CHECK_OVERLAP = 1 << 1;
export const RULE_RESET_COUNTS = 1 << 2;
export const RULE_NO_PKT_COUNTS = 1 << 3;
export const RULE_NO_BYT_COUNTS = 1 << 4;

/** What a new rule is made of. */
export interface RuleSpec {
  readonly priority: number;
  readonly match: FlowMatch;
  readonly actions: readonly OfpAction[];
  readonly cookie?: bigint;
  /** Seconds (0: none). */
  readonly idleTimeout?: number;
  readonly hardTimeout?: number;
  readonly importance?: number;
  /** RULE_* bits. */
  readonly flags?: number;
}

/** Whether two action lists (or any two values of their parts) are equal, field by field. */
export function sameActions(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameActions(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Uint8Array) {
    if (!(b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const k of keys) if (!sameActions(x[k], y[k])) return false;
  return true;
}

/** Action lists lately given to rules, newest first: rules with equal actions share one list (lists are
 *  never modified in place), so that 100,000 rules with `actions=output:1` hold one list, not 100,000. */
const recentActions: (readonly OfpAction[])[] = [];
const RECENT_ACTIONS = 8;

/** `actions`, or an equal list already held by some rule. */
export function shareActions(actions: readonly OfpAction[]): readonly OfpAction[] {
  if (actions.length === 0) return EMPTY_ACTIONS;
  for (let i = 0; i < recentActions.length; i++) {
    const known = recentActions[i];
    if (sameActions(known, actions)) {
      if (i > 0) {
        recentActions.splice(i, 1);
        recentActions.unshift(known);
      }
      return known;
    }
  }
  if (recentActions.length === RECENT_ACTIONS) recentActions.pop();
  recentActions.unshift(actions);
  return actions;
}

const EMPTY_ACTIONS: readonly OfpAction[] = [];

/** A rule's numbers while it is in no table. */
interface LooseNumbers {
  tableId: number;
  cookie: bigint;
  idleTimeout: number;
  hardTimeout: number;
  importance: number;
  flags: number;
  created: number;
  modified: number;
  used: number;
  packets: number;
  bytes: number;
}

/** Float64 columns per row: created, modified, used, packets, bytes. */
const F64 = 5;
/** Uint32 columns per row: cookie high, cookie low, idle << 16 | hard, importance << 16 | flags << 8 | table. */
const U32 = 4;

/**
 * The numbers of the rules in tables, a row each in typed columns. As fields of each Rule they would cost
 * far more: V8 boxes every double-valued field (timestamps in ms, 64-bit-ish counters) as a separate heap
 * number, and a cookie as a BigInt. A row is taken when a rule enters a table and given back when it leaves.
 */
class RuleRows {
  f64 = new Float64Array(64 * F64);
  u32 = new Uint32Array(64 * U32);
  private next = 0;
  private readonly free: number[] = [];

  take(): number {
    const r = this.free.pop();
    if (r !== undefined) return r;
    if (this.next * F64 === this.f64.length) {
      const rows = this.next + (this.next >> 1);
      const f64 = new Float64Array(rows * F64);
      f64.set(this.f64);
      this.f64 = f64;
      const u32 = new Uint32Array(rows * U32);
      u32.set(this.u32);
      this.u32 = u32;
    }
    return this.next++;
  }

  give(row: number): void {
    this.free.push(row);
  }
}

const ROWS = new RuleRows();

/**
 * One flow entry. Counters and timestamps change as it is used and modified. A rule is its own match (it
 * extends FlowMatch rather than holding one): one object per rule instead of two, 32 bytes less each.
 */
export class Rule extends FlowMatch implements ClsRule {
  readonly priority: number;
  actions: readonly OfpAction[];
  clsNext: ClsRule | null = null;
  clsSeq = -1;
  /** The rule's row in ROWS while it is in a table, else its numbers (one field for both: a field more
   *  is 8 bytes more per rule, and a side table of the loose ones cost far more time). */
  private at: number | LooseNumbers;

  constructor(spec: RuleSpec, now: number) {
    super(spec.match);
    this.priority = spec.priority;
    this.actions = shareActions(spec.actions);
    this.at = {
      tableId: 0,
      cookie: spec.cookie ?? 0n,
      idleTimeout: spec.idleTimeout ?? 0,
      hardTimeout: spec.hardTimeout ?? 0,
      importance: spec.importance ?? 0,
      flags: spec.flags ?? 0,
      created: now,
      modified: now,
      used: now,
      packets: 0,
      bytes: 0,
    };
  }

  /** The rule's match: the rule itself. */
  get match(): FlowMatch {
    return this;
  }

  /** The row, or -1 while in no table. */
  private get row(): number {
    return typeof this.at === 'number' ? this.at : -1;
  }

  /** Moves the numbers into a row (the rule enters a table). */
  attach(): void {
    const l = this.at;
    if (typeof l === 'number') return;
    const row = ROWS.take();
    this.at = row;
    // Written straight into the columns, in the setters' layout (this runs for every rule loaded).
    const f = row * F64;
    const f64 = ROWS.f64;
    f64[f] = l.created;
    f64[f + 1] = l.modified;
    f64[f + 2] = l.used;
    f64[f + 3] = l.packets;
    f64[f + 4] = l.bytes;
    const u = row * U32;
    const u32 = ROWS.u32;
    const cookie = l.cookie;
    if (cookie === 0n) {
      u32[u] = 0;
      u32[u + 1] = 0;
    } else {
      u32[u] = Number(BigInt.asUintN(64, cookie) >> 32n);
      u32[u + 1] = Number(BigInt.asUintN(32, cookie));
    }
    u32[u + 2] = ((l.idleTimeout & 0xffff) << 16) | (l.hardTimeout & 0xffff);
    u32[u + 3] = ((l.importance & 0xffff) << 16) | ((l.flags & 0xff) << 8) | (l.tableId & 0xff);
  }

  /** Moves the numbers out of the row (the rule left its table) and frees it. */
  detach(): void {
    if (this.row < 0) return;
    const l: LooseNumbers = {
      tableId: this.tableId,
      cookie: this.cookie,
      idleTimeout: this.idleTimeout,
      hardTimeout: this.hardTimeout,
      importance: this.importance,
      flags: this.flags,
      created: this.created,
      modified: this.modified,
      used: this.used,
      packets: this.packets,
      bytes: this.bytes,
    };
    ROWS.give(this.row);
    this.at = l;
  }

  private get l(): LooseNumbers {
    return this.at as LooseNumbers;
  }

  private getF(col: number): number {
    return ROWS.f64[this.row * F64 + col];
  }

  private setF(col: number, v: number): void {
    ROWS.f64[this.row * F64 + col] = v;
  }

  private getU(col: number): number {
    return ROWS.u32[this.row * U32 + col];
  }

  private setU(col: number, v: number): void {
    ROWS.u32[this.row * U32 + col] = v;
  }

  get cookie(): bigint {
    if (this.row < 0) return this.l.cookie;
    const hi = this.getU(0);
    const lo = this.getU(1);
    return hi === 0 && lo === 0 ? 0n : (BigInt(hi) << 32n) | BigInt(lo);
  }
  set cookie(v: bigint) {
    if (this.row < 0) {
      this.l.cookie = v;
      return;
    }
    this.setU(0, Number(BigInt.asUintN(64, v) >> 32n));
    this.setU(1, Number(BigInt.asUintN(32, v)));
  }

  /** Seconds (0: none). */
  get idleTimeout(): number {
    return this.row < 0 ? this.l.idleTimeout : this.getU(2) >>> 16;
  }
  set idleTimeout(v: number) {
    if (this.row < 0) this.l.idleTimeout = v;
    else this.setU(2, ((v & 0xffff) << 16) | (this.getU(2) & 0xffff));
  }

  get hardTimeout(): number {
    return this.row < 0 ? this.l.hardTimeout : this.getU(2) & 0xffff;
  }
  set hardTimeout(v: number) {
    if (this.row < 0) this.l.hardTimeout = v;
    else this.setU(2, (this.getU(2) & 0xffff_0000) | (v & 0xffff));
  }

  get importance(): number {
    return this.row < 0 ? this.l.importance : this.getU(3) >>> 16;
  }
  set importance(v: number) {
    if (this.row < 0) this.l.importance = v;
    else this.setU(3, ((v & 0xffff) << 16) | (this.getU(3) & 0xffff));
  }

  /** RULE_* bits. */
  get flags(): number {
    return this.row < 0 ? this.l.flags : (this.getU(3) >>> 8) & 0xff;
  }
  set flags(v: number) {
    if (this.row < 0) this.l.flags = v;
    else this.setU(3, (this.getU(3) & 0xffff_00ff) | ((v & 0xff) << 8));
  }

  /** Table the rule is in (set when added). */
  get tableId(): number {
    return this.row < 0 ? this.l.tableId : this.getU(3) & 0xff;
  }
  set tableId(v: number) {
    if (this.row < 0) this.l.tableId = v;
    else this.setU(3, (this.getU(3) & 0xffff_ff00) | (v & 0xff));
  }

  /** Milliseconds: when added. */
  get created(): number {
    return this.row < 0 ? this.l.created : this.getF(0);
  }
  set created(v: number) {
    if (this.row < 0) this.l.created = v;
    else this.setF(0, v);
  }

  /** Milliseconds: when last modified (hard_timeout counts from here). */
  get modified(): number {
    return this.row < 0 ? this.l.modified : this.getF(1);
  }
  set modified(v: number) {
    if (this.row < 0) this.l.modified = v;
    else this.setF(1, v);
  }

  /** Milliseconds: when last used (idle_timeout counts from here). */
  get used(): number {
    return this.row < 0 ? this.l.used : this.getF(2);
  }
  set used(v: number) {
    if (this.row < 0) this.l.used = v;
    else this.setF(2, v);
  }

  get packets(): number {
    return this.row < 0 ? this.l.packets : this.getF(3);
  }
  set packets(v: number) {
    if (this.row < 0) this.l.packets = v;
    else this.setF(3, v);
  }

  get bytes(): number {
    return this.row < 0 ? this.l.bytes : this.getF(4);
  }
  set bytes(v: number) {
    if (this.row < 0) this.l.bytes = v;
    else this.setF(4, v);
  }

  /** Why the rule has expired by `now` ('idle' | 'hard'), or null. */
  expiry(now: number): 'idle' | 'hard' | null {
    const hard = this.hardTimeout;
    const idle = this.idleTimeout;
    if (hard > 0 && now - this.modified >= hard * 1000) return 'hard';
    if (idle > 0 && now - this.used >= idle * 1000) return 'idle';
    return null;
  }

  /** Adds traffic to the counters. */
  count(packets: number, bytes: number, now: number): void {
    if (packets <= 0) return;
    this.packets += packets;
    this.bytes += bytes;
    if (now > this.used) this.used = now;
  }
}

/** One OpenFlow table, a classifier: rules() lists rules by decreasing priority, ties in insertion order. */
export class FlowTable {
  private readonly cls = new Classifier<Rule>();
  /** Table name (OFPTC table features / dump-tables); OVS names tables only when configured. */
  name: string | null = null;
  /** Lookups made in this table and how many found a rule (dump-tables statistics). */
  lookups = 0;
  matched = 0;

  /** Rules in the table with an idle or hard timeout. */
  private timed = 0;

  /** Adds a rule, replacing (and returning) one with the same priority and an identical match. */
  add(rule: Rule): Rule | null {
    if (rule.clsSeq >= 0) return this.cls.insert(rule); // already here (or in another table: throws)
    const old = this.cls.insert(rule);
    rule.attach();
    if (rule.idleTimeout !== 0 || rule.hardTimeout !== 0) this.timed++;
    if (old !== null) this.left(old);
    return old;
  }

  /** Removes `rule` (by identity); false when it is not in the table. */
  remove(rule: Rule): boolean {
    if (!this.cls.remove(rule)) return false;
    this.left(rule);
    return true;
  }

  /** Removes every rule. */
  clear(): void {
    const all = this.cls.rules();
    this.cls.clear();
    for (const r of all) r.detach();
    this.timed = 0;
  }

  private left(rule: Rule): void {
    if (rule.idleTimeout !== 0 || rule.hardTimeout !== 0) this.timed--;
    rule.detach();
  }

  /** Whether some rule here has a timeout (as added). */
  get hasTimeouts(): boolean {
    return this.timed > 0;
  }

  /** Number of rules. */
  get size(): number {
    return this.cls.count;
  }

  /** The rules, highest priority first (ties in insertion order). */
  rules(): readonly Rule[] {
    return this.cls.rules();
  }

  /** The highest-priority rule matching `flow`, unwildcarding in `wc` every field the answer depended on. */
  lookup(flow: Uint32Array, wc: Uint32Array): Rule | null {
    return this.cls.lookup(flow, wc);
  }

  /** The rule with exactly `match` and `priority` (del-flows/mod-flows --strict), or null. */
  findStrict(match: FlowMatch, priority: number): Rule | null {
    return this.cls.findStrict(match, priority);
  }

  /** The rules at least as specific as `match` that agree with it (del-flows/mod-flows without --strict). */
  findLoose(match: FlowMatch): Rule[] {
    return this.cls.findLoose(match);
  }
}

/** Group types (OFPGT_*). */
export type GroupType = 'all' | 'select' | 'indirect' | 'ff';

/** One bucket of a group. */
export interface GroupBucket {
  /** Bucket id (OpenFlow 1.5; OVS numbers them from 0 in earlier versions). */
  readonly id: number;
  readonly weight: number;
  /** OpenFlow port whose liveness a fast-failover bucket follows (OFPP_ANY 0xffffffff: none). */
  readonly watchPort: number;
  readonly watchGroup: number;
  readonly actions: readonly OfpAction[];
  packets: number;
  bytes: number;
}

/** A group table entry. */
export interface Group {
  readonly id: number;
  type: GroupType;
  buckets: GroupBucket[];
  created: number;
  packets: number;
  bytes: number;
}

/** A bridge's tables and groups; translation starts in table 0. */
export class Pipeline {
  /** Tables by number, created on first use. */
  readonly tables: FlowTable[] = [new FlowTable()];
  /** Groups by id. */
  readonly groups = new Map<number, Group>();

  /** A pipeline holding OVS's default flow for a new bridge: table 0, `priority=0 actions=NORMAL`. */
  static withDefaultFlow(now = Date.now()): Pipeline {
    const p = new Pipeline();
    p.add(
      0,
      new Rule(
        { priority: 0, match: FlowMatch.catchAll(), actions: [{ type: 'output', port: 0xfffa, maxLen: 0 }] },
        now,
      ),
    );
    return p;
  }

  /** The table numbered `id`, created on first use. */
  table(id: number): FlowTable {
    while (this.tables.length <= id) this.tables.push(new FlowTable());
    return this.tables[id];
  }

  /** Adds `rule` to table `tableId`, returning the rule it replaced. */
  add(tableId: number, rule: Rule): Rule | null {
    rule.tableId = tableId;
    return this.table(tableId).add(rule);
  }

  /** Removes `rule` from its table. */
  remove(rule: Rule): boolean {
    return this.tables[rule.tableId]?.remove(rule) ?? false;
  }

  /** Every rule, table by table, each table highest priority first. */
  *allRules(): IterableIterator<Rule> {
    for (const t of this.tables) yield* t.rules();
  }

  /** Whether any rule has a timeout (so expiry must be checked). */
  hasTimeouts(): boolean {
    for (const t of this.tables) if (t.hasTimeouts) return true;
    return false;
  }

  /** Number of rules in every table. */
  get size(): number {
    let n = 0;
    for (const t of this.tables) n += t.size;
    return n;
  }
}
