// A bridge's OpenFlow pipeline (OVS's ofproto rules, tables and groups): numbered tables of prioritized
// rules, each a masked match over the pipeline flow's layout (src/ofproto/of-flow.ts: the flow-key words,
// with K_IN_PORT holding the OpenFlow port, then metadata and registers) and actions in the text layer's
// form (src/openflow/action-text.ts OfpAction, instructions included). Each table is a tuple-space
// classifier (src/ofproto/classifier.ts); a lookup reports the key bits it examined so the megaflow mask
// stays exact. Rules carry what OpenFlow reports about them: cookie, timeouts, flags, counters.
import type { OfpAction } from '../openflow/action-text.js';
import { Classifier } from './classifier.js';
import { FLOW_WORDS, FlowWordsPool } from './of-flow.js';

/** Where rules' match values live. */
const valuePool = new FlowWordsPool();

/** Masks are few and shared by many rules (100,000 nw_dst rules have one mask): one copy of each, found
 *  by a hash of the words. */
const masks = new Map<number, Uint32Array[]>();

function internMask(mask: Uint32Array): Uint32Array {
  let h = 0x811c9dc5;
  for (let i = 0; i < FLOW_WORDS; i++) h = Math.imul(h ^ mask[i], 0x01000193);
  let list = masks.get(h);
  if (list === undefined) {
    list = [];
    masks.set(h, list);
  }
  for (const m of list) {
    let same = true;
    for (let i = 0; i < FLOW_WORDS && same; i++) same = m[i] === mask[i];
    if (same) return m;
  }
  const copy = Uint32Array.from(mask);
  list.push(copy);
  return copy;
}

/** Tables a bridge has (0..254; 255 means "all" in requests), as Open vSwitch. */
export const N_TABLES = 255;

/** A masked match over FLOW_WORDS words: a flow matches when (flow & mask) == value, word by word. */
export class FlowMatch {
  /** The value words (already masked), FLOW_WORDS long. */
  readonly value: Uint32Array;
  /** The mask words (1 bits are compared), FLOW_WORDS long; shared between matches: never modify. */
  readonly mask: Uint32Array;

  /** `value` and `mask` may be shorter than FLOW_WORDS (e.g. KEY_WORDS): the rest is wildcarded. */
  constructor(value: Uint32Array, mask: Uint32Array) {
    if (value.length > FLOW_WORDS || mask.length > FLOW_WORDS) {
      throw new RangeError(`a match has at most ${FLOW_WORDS} words`);
    }
    const full = valuePool.alloc();
    full.set(mask);
    this.mask = internMask(full);
    full.fill(0);
    for (let i = 0; i < value.length; i++) full[i] = (value[i] & this.mask[i]) >>> 0;
    this.value = full;
  }

  /** The match that every flow satisfies. */
  static catchAll(): FlowMatch {
    return new FlowMatch(new Uint32Array(FLOW_WORDS), new Uint32Array(FLOW_WORDS));
  }

  /** Whether `flow` matches (words past the end of `flow` count as 0). */
  matches(flow: Uint32Array): boolean {
    for (let i = 0; i < FLOW_WORDS; i++) {
      if (this.mask[i] !== 0 && ((i < flow.length ? flow[i] : 0) & this.mask[i]) >>> 0 !== this.value[i]) {
        return false;
      }
    }
    return true;
  }

  /** Whether every flow this match accepts is also accepted by `other` (other is no more specific). */
  within(other: FlowMatch): boolean {
    for (let i = 0; i < FLOW_WORDS; i++) {
      const m = other.mask[i];
      if ((this.mask[i] & m) >>> 0 !== m || (this.value[i] & m) >>> 0 !== other.value[i]) return false;
    }
    return true;
  }

  /** Whether some flow matches both (OVS's check_overlap test). */
  overlaps(other: FlowMatch): boolean {
    for (let i = 0; i < FLOW_WORDS; i++) {
      const m = this.mask[i] & other.mask[i];
      if (((this.value[i] ^ other.value[i]) & m) !== 0) return false;
    }
    return true;
  }

  /** ORs this match's mask into `wc` (as far as `wc` reaches). */
  unwildcard(wc: Uint32Array): void {
    const n = Math.min(wc.length, FLOW_WORDS);
    for (let i = 0; i < n; i++) wc[i] |= this.mask[i];
  }

  /** Whether `other` has the same mask and value. */
  equals(other: FlowMatch): boolean {
    for (let i = 0; i < FLOW_WORDS; i++) {
      if (this.mask[i] !== other.mask[i] || this.value[i] !== other.value[i]) return false;
    }
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

/** One flow entry. Counters and timestamps change as it is used and modified. */
export class Rule {
  readonly priority: number;
  readonly match: FlowMatch;
  actions: readonly OfpAction[];
  cookie: bigint;
  idleTimeout: number;
  hardTimeout: number;
  importance: number;
  flags: number;
  /** Table the rule is in (set when added). */
  tableId = 0;
  /** Milliseconds: when added, when last modified (hard_timeout counts from here), when last used. */
  created: number;
  modified: number;
  used: number;
  packets = 0;
  bytes = 0;

  constructor(spec: RuleSpec, now: number) {
    this.priority = spec.priority;
    this.match = spec.match;
    this.actions = spec.actions;
    this.cookie = spec.cookie ?? 0n;
    this.idleTimeout = spec.idleTimeout ?? 0;
    this.hardTimeout = spec.hardTimeout ?? 0;
    this.importance = spec.importance ?? 0;
    this.flags = spec.flags ?? 0;
    this.created = now;
    this.modified = now;
    this.used = now;
  }

  /** Why the rule has expired by `now` ('idle' | 'hard'), or null. */
  expiry(now: number): 'idle' | 'hard' | null {
    if (this.hardTimeout > 0 && now - this.modified >= this.hardTimeout * 1000) return 'hard';
    if (this.idleTimeout > 0 && now - this.used >= this.idleTimeout * 1000) return 'idle';
    return null;
  }

  /** Adds traffic to the counters. */
  count(packets: number, bytes: number, now: number): void {
    if (packets <= 0) return;
    this.packets += packets;
    this.bytes += bytes;
    this.used = Math.max(this.used, now);
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

  /** Adds a rule, replacing (and returning) one with the same priority and an identical match. */
  add(rule: Rule): Rule | null {
    return this.cls.insert(rule);
  }

  /** Removes `rule` (by identity); false when it is not in the table. */
  remove(rule: Rule): boolean {
    return this.cls.remove(rule);
  }

  /** Removes every rule. */
  clear(): void {
    this.cls.clear();
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
    for (const r of this.allRules()) if (r.idleTimeout !== 0 || r.hardTimeout !== 0) return true;
    return false;
  }

  /** Number of rules in every table. */
  get size(): number {
    let n = 0;
    for (const t of this.tables) n += t.size;
    return n;
  }
}
