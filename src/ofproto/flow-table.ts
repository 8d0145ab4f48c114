// A bridge's OpenFlow pipeline: numbered tables of prioritized rules, each a masked match over the
// flow-key layout (with K_IN_PORT holding the OpenFlow port, not the datapath port) and a list of
// actions. Today's actions are NORMAL, output and setting tunnel metadata; an empty list drops. A lookup reports the key bits
// it examined so the megaflow mask stays exact; a real classifier can replace the linear scan later.
import { KEY_WORDS } from '../packet/flow-key.js';

/** Tunnel metadata fields an action can set (set_tunnel / set_field:...->tun_*). */
export type TunnelField = 'tun_id' | 'tun_src' | 'tun_dst';

/** An OpenFlow action the translator understands. */
export type OfAction =
  | { readonly type: 'normal' }
  | { readonly type: 'output'; readonly port: number }
  | { readonly type: 'set_field'; readonly field: TunnelField; readonly value: bigint };

/** A masked match: a flow matches when (flow & mask) == value, word by word. */
export class FlowMatch {
  /** The value words (already masked). */
  readonly value: Uint32Array;
  /** The mask words (1 bits are compared). */
  readonly mask: Uint32Array;

  constructor(value: Uint32Array, mask: Uint32Array) {
    this.mask = Uint32Array.from(mask);
    this.value = Uint32Array.from(value, (v, i) => (v & this.mask[i]) >>> 0);
  }

  /** The match that every flow satisfies. */
  static catchAll(): FlowMatch {
    return new FlowMatch(new Uint32Array(KEY_WORDS), new Uint32Array(KEY_WORDS));
  }

  /** Whether `flow` matches. */
  matches(flow: Uint32Array): boolean {
    for (let i = 0; i < KEY_WORDS; i++) {
      if (this.mask[i] !== 0 && (flow[i] & this.mask[i]) >>> 0 !== this.value[i]) return false;
    }
    return true;
  }

  /** ORs this match's mask into `wc`. */
  unwildcard(wc: Uint32Array): void {
    for (let i = 0; i < KEY_WORDS; i++) wc[i] |= this.mask[i];
  }
}

/** One flow entry. */
export interface FlowRule {
  readonly priority: number;
  readonly match: FlowMatch;
  readonly actions: readonly OfAction[];
}

/** One OpenFlow table: rules in decreasing priority (ties keep insertion order). */
export class FlowTable {
  private list: FlowRule[] = [];

  /** Adds a rule, replacing one with the same priority and an identical match. */
  add(rule: FlowRule): void {
    this.list = this.list.filter((r) => !(r.priority === rule.priority && sameMatch(r.match, rule.match)));
    const at = this.list.findIndex((r) => r.priority < rule.priority);
    this.list.splice(at === -1 ? this.list.length : at, 0, rule);
  }

  /** Removes every rule. */
  clear(): void {
    this.list = [];
  }

  /** The rules, highest priority first. */
  rules(): readonly FlowRule[] {
    return this.list;
  }

  /** The highest-priority rule matching `flow`, unwildcarding in `wc` every field a rule looked at. */
  lookup(flow: Uint32Array, wc: Uint32Array): FlowRule | null {
    for (const rule of this.list) {
      rule.match.unwildcard(wc);
      if (rule.match.matches(flow)) return rule;
    }
    return null;
  }
}

function sameMatch(a: FlowMatch, b: FlowMatch): boolean {
  return a.mask.every((m, i) => m === b.mask[i] && a.value[i] === b.value[i]);
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
