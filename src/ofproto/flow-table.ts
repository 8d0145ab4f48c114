// A bridge's OpenFlow pipeline: numbered tables of prioritized rules, each a masked match over the
// pipeline flow's layout (src/ofproto/of-flow.ts: the flow-key words, with K_IN_PORT holding the OpenFlow
// port, not the datapath port, then metadata and registers) and a list of actions. Today's actions are
// NORMAL, output and setting tunnel metadata; an empty list drops. Each table is a tuple-space classifier
// (src/ofproto/classifier.ts); a lookup reports the key bits it examined so the megaflow mask stays exact.
import { Classifier } from './classifier.js';
import { FLOW_WORDS } from './of-flow.js';

/** Tunnel metadata fields an action can set (set_tunnel / set_field:...->tun_*). */
export type TunnelField = 'tun_id' | 'tun_src' | 'tun_dst';

/** An OpenFlow action the translator understands. */
export type OfAction =
  | { readonly type: 'normal' }
  | { readonly type: 'output'; readonly port: number }
  | { readonly type: 'set_field'; readonly field: TunnelField; readonly value: bigint };

/** A masked match over FLOW_WORDS words: a flow matches when (flow & mask) == value, word by word. */
export class FlowMatch {
  /** The value words (already masked), FLOW_WORDS long. */
  readonly value: Uint32Array;
  /** The mask words (1 bits are compared), FLOW_WORDS long. */
  readonly mask: Uint32Array;

  /** `value` and `mask` may be shorter than FLOW_WORDS (e.g. KEY_WORDS): the rest is wildcarded. */
  constructor(value: Uint32Array, mask: Uint32Array) {
    if (value.length > FLOW_WORDS || mask.length > FLOW_WORDS) {
      throw new RangeError(`a match has at most ${FLOW_WORDS} words`);
    }
    this.mask = new Uint32Array(FLOW_WORDS);
    this.mask.set(mask);
    this.value = new Uint32Array(FLOW_WORDS);
    for (let i = 0; i < value.length; i++) this.value[i] = (value[i] & this.mask[i]) >>> 0;
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

/** One flow entry. */
export interface FlowRule {
  readonly priority: number;
  readonly match: FlowMatch;
  readonly actions: readonly OfAction[];
}

/** One OpenFlow table, a classifier: rules() lists rules by decreasing priority, ties in insertion order. */
export class FlowTable {
  private readonly cls = new Classifier<FlowRule>();

  /** Adds a rule, replacing (and returning) one with the same priority and an identical match. */
  add(rule: FlowRule): FlowRule | null {
    return this.cls.insert(rule);
  }

  /** Removes `rule` (by identity); false when it is not in the table. */
  remove(rule: FlowRule): boolean {
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
  rules(): readonly FlowRule[] {
    return this.cls.rules();
  }

  /** The highest-priority rule matching `flow`, unwildcarding in `wc` every field the answer depended on. */
  lookup(flow: Uint32Array, wc: Uint32Array): FlowRule | null {
    return this.cls.lookup(flow, wc);
  }

  /** The rule with exactly `match` and `priority` (del-flows/mod-flows --strict), or null. */
  findStrict(match: FlowMatch, priority: number): FlowRule | null {
    return this.cls.findStrict(match, priority);
  }

  /** The rules at least as specific as `match` that agree with it (del-flows/mod-flows without --strict). */
  findLoose(match: FlowMatch): FlowRule[] {
    return this.cls.findLoose(match);
  }
}

/** A bridge's tables; translation starts in table 0. */
export class Pipeline {
  /** Tables by number. */
  readonly tables: FlowTable[] = [new FlowTable()];

  /** A pipeline holding OVS's default flow for a new bridge: table 0, `priority=0 actions=NORMAL`. */
  static withDefaultFlow(): Pipeline {
    const p = new Pipeline();
    p.tables[0].add({ priority: 0, match: FlowMatch.catchAll(), actions: [{ type: 'normal' }] });
    return p;
  }

  /** The table numbered `id`, created on first use. */
  table(id: number): FlowTable {
    while (this.tables.length <= id) this.tables.push(new FlowTable());
    return this.tables[id];
  }
}
