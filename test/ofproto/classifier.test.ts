// The OpenFlow classifier (src/ofproto/classifier.ts) against a brute-force linear reference: random rule
// sets with overlapping masks and shared priorities, insertions, replacements and removals; the wildcard
// mask a lookup reports (every flow that agrees with the looked-up flow on the reported bits must get the
// same answer); staged lookup unwildcarding less on misses; strict and loose queries (del-flows and
// mod-flows with and without --strict); and 100,000 exact nw_dst rules beside a few wildcard ones.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Classifier, type ClsRule } from '../../src/ofproto/classifier.js';
import { FlowMatch, FlowTable, Rule as TableRule } from '../../src/ofproto/flow-table.js';
import { F_METADATA_LO, F_REG0, FLOW_WORDS, newOfFlow } from '../../src/ofproto/of-flow.js';
import {
  K_DL_TYPE,
  K_IN_PORT,
  K_NW_DST,
  K_NW_SRC,
  K_TP,
  K_VLAN0,
  KEY_WORDS,
} from '../../src/packet/flow-key.js';

/** mulberry32: a small seeded PRNG, so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Rule extends ClsRule {
  readonly priority: number;
  readonly match: FlowMatch;
  readonly name: string;
  clsNext: ClsRule | null;
  clsSeq: number;
}

type Fields = Record<number, readonly [number, number]>;

/** The classifier's own fields of a rule in no classifier. */
const UNLINKED = { clsNext: null, clsSeq: -1 } as const;

function match(fields: Fields): FlowMatch {
  const value = new Uint32Array(FLOW_WORDS);
  const mask = new Uint32Array(FLOW_WORDS);
  for (const [word, [v, m]] of Object.entries(fields)) {
    value[Number(word)] = v;
    mask[Number(word)] = m;
  }
  return new FlowMatch(value, mask);
}

function flowOf(fields: Record<number, number>): Uint32Array {
  const f = newOfFlow();
  for (const [word, v] of Object.entries(fields)) f[Number(word)] = v;
  return f;
}

const ALL = 0xffff_ffff;
const IP = 0x0800;

/** A random test world: a few fields, each with a small value domain and a few masks, so rules overlap. */
interface FieldSpace {
  readonly word: number;
  readonly values: readonly number[];
  readonly masks: readonly number[];
}

const SPACE: readonly FieldSpace[] = [
  { word: K_IN_PORT, values: [1, 2, 3, 4], masks: [ALL] },
  { word: K_DL_TYPE, values: [IP, 0x0806], masks: [0xffff] },
  { word: K_VLAN0, values: [0, 0x81001005, 0x81001006], masks: [ALL, 0x1000, 0x0fff] },
  {
    word: K_NW_SRC,
    values: [0x0a000001, 0x0a000002, 0x0a000101, 0x0a010001, 0xc0a80001],
    masks: [ALL, 0xffffff00, 0xffff0000, 0xff000000, 0xfffffffe, 0x00ff00ff],
  },
  {
    word: K_NW_DST,
    values: [0x0a000001, 0x0a000002, 0x0a000101, 0x0a010001, 0xc0a80001],
    masks: [ALL, 0xffffff00, 0xffff0000, 0xfffc0000, 0x80000000],
  },
  { word: K_TP, values: [(1234 << 16) | 80, (1234 << 16) | 443, (80 << 16) | 1234], masks: [0xffff, ALL] },
  { word: F_REG0, values: [0, 1, 2], masks: [ALL, 1] },
  { word: F_METADATA_LO, values: [0, 7], masks: [ALL] },
];

function randomRule(r: () => number, priorities: number, name: string): Rule {
  const fields: [number, number][] = [];
  const value = new Uint32Array(FLOW_WORDS);
  const mask = new Uint32Array(FLOW_WORDS);
  for (const f of SPACE) {
    if (r() < 0.35) {
      value[f.word] = f.values[Math.floor(r() * f.values.length)];
      mask[f.word] = f.masks[Math.floor(r() * f.masks.length)];
      fields.push([f.word, mask[f.word]]);
    }
  }
  return { priority: Math.floor(r() * priorities), match: new FlowMatch(value, mask), name, ...UNLINKED };
}

function randomFlow(r: () => number): Uint32Array {
  const f = newOfFlow();
  for (const s of SPACE) f[s.word] = s.values[Math.floor(r() * s.values.length)];
  // Noise in a word no rule matches: the classifier must ignore it.
  f[K_NW_DST + 1] = Math.floor(r() * 0x1_0000_0000);
  return f;
}

/** The brute-force classifier: a list in insertion order (replacement keeps the place). */
class Reference {
  readonly rules: Rule[] = [];

  insert(rule: Rule): Rule | null {
    const at = this.rules.findIndex((x) => x.priority === rule.priority && x.match.equals(rule.match));
    if (at < 0) {
      this.rules.push(rule);
      return null;
    }
    const old = this.rules[at];
    this.rules[at] = rule;
    return old;
  }

  remove(rule: Rule): void {
    this.rules.splice(this.rules.indexOf(rule), 1);
  }

  /** The highest priority of a matching rule (-1: none). */
  best(flow: Uint32Array): number {
    let best = -1;
    for (const rule of this.rules) if (rule.priority > best && rule.match.matches(flow)) best = rule.priority;
    return best;
  }

  /** Rules at least as specific as `m` and agreeing with it (cls_rule_is_loose_match). */
  loose(m: FlowMatch): Rule[] {
    return this.rules.filter((rule) =>
      rule.match.mask.every(
        (rm, i) => (m.mask[i] & ~rm) === 0 && (rule.match.value[i] & m.mask[i]) >>> 0 === m.value[i],
      ),
    );
  }

  /** In priority order, ties in insertion order (what Classifier.rules() promises). */
  sorted(): Rule[] {
    return this.rules
      .map((rule, i) => ({ rule, i }))
      .sort((a, b) => b.rule.priority - a.rule.priority || a.i - b.i)
      .map((x) => x.rule);
  }
}

/** Checks one lookup: the right priority, a matching rule, and a wildcard mask that holds. */
function checkLookup(cls: Classifier<Rule>, ref: Reference, flow: Uint32Array, r: () => number): void {
  const wc = new Uint32Array(FLOW_WORDS);
  const got = cls.lookup(flow, wc);
  const best = ref.best(flow);
  if (best < 0) {
    assert.equal(got, null);
  } else {
    assert.ok(got !== null, 'a rule matches');
    assert.equal(got.priority, best);
    assert.ok(got.match.matches(flow));
  }
  // A datapath-key-long flow: the pipeline-only words read as 0.
  const short = flow.slice(0, KEY_WORDS);
  const padded = newOfFlow();
  padded.set(short);
  const shortGot = cls.lookup(short, new Uint32Array(KEY_WORDS));
  assert.equal(shortGot === null ? -1 : shortGot.priority, ref.best(padded));
  assert.equal(cls.lookup(padded, null), shortGot);
  // Any flow that agrees with `flow` on the wc bits must get the same answer.
  for (let n = 0; n < 8; n++) {
    const other = randomFlow(r);
    const f2 = other.map((v, i) => ((flow[i] & wc[i]) | (v & ~wc[i])) >>> 0);
    assert.equal(ref.best(f2), best, 'the reference agrees on the priority');
    if (got !== null) assert.ok(got.match.matches(f2), 'the chosen rule still matches');
    assert.equal(cls.lookup(f2, null), got, 'the classifier gives the same rule');
  }
}

describe('Classifier against a linear reference', () => {
  for (const [seed, priorities, n] of [
    [1, 1000, 60],
    [2, 4, 60],
    [3, 2, 200],
    [4, 16, 400],
    [5, 1, 30],
  ] as const) {
    for (const tries of [true, false]) {
      test(`seed ${seed}: ${n} random rules, ${priorities} priorities, insert/replace/remove${tries ? '' : ', no prefix tries'}`, () => {
        const r = rng(seed);
        const cls = new Classifier<Rule>(FLOW_WORDS, tries ? undefined : []);
        const ref = new Reference();
        for (let i = 0; i < n; i++) {
          const rule = randomRule(r, priorities, `r${i}`);
          assert.equal(cls.insert(rule), ref.insert(rule), 'the same rule is replaced');
        }
        assert.equal(cls.count, ref.rules.length);
        assert.deepEqual(cls.rules(), ref.sorted());
        for (let i = 0; i < 300; i++) checkLookup(cls, ref, randomFlow(r), r);
        // Remove about half, in random order, checking as we go.
        for (const rule of [...ref.rules]) {
          if (r() < 0.5) continue;
          assert.ok(cls.remove(rule));
          assert.ok(!cls.remove(rule), 'a removed rule is gone');
          ref.remove(rule);
          for (let i = 0; i < 5; i++) checkLookup(cls, ref, randomFlow(r), r);
        }
        assert.equal(cls.count, ref.rules.length);
        assert.deepEqual(cls.rules(), ref.sorted());
        // Re-add some: new rules and replacements.
        for (let i = 0; i < n / 2; i++) {
          const rule = randomRule(r, priorities, `s${i}`);
          assert.equal(cls.insert(rule), ref.insert(rule));
        }
        for (let i = 0; i < 300; i++) checkLookup(cls, ref, randomFlow(r), r);
        assert.deepEqual(cls.rules(), ref.sorted());
        // Loose and strict queries.
        for (let i = 0; i < 100; i++) {
          const q = randomRule(r, priorities, 'q');
          const loose = cls.findLoose(q.match);
          assert.deepEqual(
            new Set(loose),
            new Set(ref.loose(q.match)),
            `loose ${i}: ${loose.map((x) => x.name)} vs ${ref.loose(q.match).map((x) => x.name)}`,
          );
          assert.deepEqual(
            loose,
            ref.sorted().filter((x) => loose.includes(x)),
            'loose results come in priority order',
          );
          const strict = ref.rules.find((x) => x.priority === q.priority && x.match.equals(q.match)) ?? null;
          assert.equal(cls.findStrict(q.match, q.priority), strict);
        }
        for (const rule of ref.rules) assert.equal(cls.findStrict(rule.match, rule.priority), rule);
        // Everything out again: no subtable left behind.
        for (const rule of [...ref.rules]) {
          cls.remove(rule);
          ref.remove(rule);
        }
        assert.equal(cls.count, 0);
        assert.equal(cls.subtableCount, 0);
        assert.equal(cls.lookup(randomFlow(r), null), null);
      });
    }
  }

  test('many masks at many priorities: the pruning by max priority stays exact', () => {
    const r = rng(42);
    const cls = new Classifier<Rule>();
    const ref = new Reference();
    for (let i = 0; i < 2000; i++) {
      const rule = randomRule(r, 50_000, `r${i}`);
      cls.insert(rule);
      ref.insert(rule);
    }
    for (let i = 0; i < 500; i++) checkLookup(cls, ref, randomFlow(r), r);
  });
});

describe('Classifier semantics', () => {
  const rule = (name: string, priority: number, fields: Fields): Rule => ({
    name,
    priority,
    match: match(fields),
    ...UNLINKED,
  });

  test('the highest priority wins, across and within subtables (same match, other priority)', () => {
    const cls = new Classifier<Rule>();
    const low = rule('low', 10, { [K_IN_PORT]: [1, ALL] });
    const high = rule('high', 20, { [K_IN_PORT]: [1, ALL] });
    const other = rule('other', 15, { [K_DL_TYPE]: [IP, 0xffff] });
    cls.insert(low);
    cls.insert(other);
    cls.insert(high);
    assert.equal(cls.subtableCount, 2);
    assert.equal(cls.lookup(flowOf({ [K_IN_PORT]: 1, [K_DL_TYPE]: IP }), null), high);
    cls.remove(high);
    assert.equal(cls.lookup(flowOf({ [K_IN_PORT]: 1, [K_DL_TYPE]: IP }), null), other);
    assert.equal(cls.lookup(flowOf({ [K_IN_PORT]: 1 }), null), low);
    assert.deepEqual(cls.rules(), [other, low]);
  });

  test('same priority and identical match replaces, keeping its place in rules()', () => {
    const cls = new Classifier<Rule>();
    const a = rule('a', 5, { [K_IN_PORT]: [1, ALL] });
    const b = rule('b', 5, { [K_IN_PORT]: [2, ALL] });
    const a2 = rule('a2', 5, { [K_IN_PORT]: [1, ALL] });
    assert.equal(cls.insert(a), null);
    assert.equal(cls.insert(b), null);
    assert.equal(cls.insert(a2), a);
    assert.equal(cls.count, 2);
    assert.deepEqual(cls.rules(), [a2, b]);
    assert.ok(!cls.remove(a), 'the replaced rule is no longer in the classifier');
    assert.equal(cls.lookup(flowOf({ [K_IN_PORT]: 1 }), null), a2);
    assert.equal(cls.insert(a2), null, 'inserting a rule already present changes nothing');
    assert.equal(cls.count, 2);
  });

  test('a value is compared under its mask only (bits outside the mask are ignored)', () => {
    const cls = new Classifier<Rule>();
    const r = rule('net', 1, { [K_NW_DST]: [0x0a0000ff, 0xffffff00] });
    cls.insert(r);
    assert.equal(cls.lookup(flowOf({ [K_NW_DST]: 0x0a000017 }), null), r);
    assert.equal(cls.findStrict(match({ [K_NW_DST]: [0x0a000000, 0xffffff00] }), 1), r);
  });

  test('overlapping rules of equal priority: deterministic, the first subtable to reach it wins', () => {
    const cls = new Classifier<Rule>();
    const byPort = rule('port', 7, { [K_IN_PORT]: [1, ALL] });
    const byType = rule('type', 7, { [K_DL_TYPE]: [IP, 0xffff] });
    cls.insert(byPort);
    cls.insert(byType);
    const flow = flowOf({ [K_IN_PORT]: 1, [K_DL_TYPE]: IP });
    const wc = new Uint32Array(FLOW_WORDS);
    assert.equal(cls.lookup(flow, wc), byPort);
    assert.equal(wc[K_DL_TYPE], 0, "like OVS, a subtable that cannot beat the best found isn't probed");
    assert.equal(cls.lookup(flowOf({ [K_IN_PORT]: 2, [K_DL_TYPE]: IP }), null), byType);
  });

  test("removing a subtable's top rule lowers its rank: it is no longer probed before better ones", () => {
    const cls = new Classifier<Rule>();
    const top = rule('top', 100, { [K_IN_PORT]: [1, ALL] });
    const port2 = rule('port2', 50, { [K_IN_PORT]: [2, ALL] });
    const ip = rule('ip', 80, { [K_DL_TYPE]: [IP, 0xffff] });
    const many = Array.from({ length: 50 }, (_, i) => rule(`p${i}`, 90 + i, { [K_IN_PORT]: [10 + i, ALL] }));
    for (const x of [top, port2, ip, ...many]) cls.insert(x);
    const flow = flowOf({ [K_IN_PORT]: 3, [K_DL_TYPE]: IP });
    let wc = new Uint32Array(FLOW_WORDS);
    assert.equal(cls.lookup(flow, wc), ip);
    assert.equal(wc[K_IN_PORT], ALL, 'the in_port subtable ranks first');
    for (const x of [...many].reverse()) cls.remove(x);
    cls.remove(top);
    wc = new Uint32Array(FLOW_WORDS);
    assert.equal(cls.lookup(flow, wc), ip);
    assert.equal(wc[K_IN_PORT], 0, 'its best is now 50: never probed once ip (80) matched');
    assert.equal(cls.lookup(flowOf({ [K_IN_PORT]: 2 }), null), port2);
  });

  test('the wildcard mask: probed subtables only, and staged lookup stops at the first missing stage', () => {
    const cls = new Classifier<Rule>();
    // in_port (metadata stage) + dl_type (L2) + nw_dst (L3) + tp (L4).
    const web = rule('web', 100, {
      [K_IN_PORT]: [1, ALL],
      [K_DL_TYPE]: [IP, 0xffff],
      [K_NW_DST]: [0x0a000001, ALL],
      [K_TP]: [80, 0xffff],
    });
    const any = rule('any', 0, {});
    cls.insert(web);
    cls.insert(any);

    let wc = new Uint32Array(FLOW_WORDS);
    assert.equal(cls.lookup(flowOf({ [K_IN_PORT]: 2, [K_DL_TYPE]: IP, [K_NW_DST]: 0x0a000001 }), wc), any);
    assert.equal(wc[K_IN_PORT], ALL, 'in_port decided the miss');
    assert.deepEqual([wc[K_DL_TYPE], wc[K_NW_DST], wc[K_TP]], [0, 0, 0], 'later stages stay wildcarded');

    wc = new Uint32Array(FLOW_WORDS);
    assert.equal(cls.lookup(flowOf({ [K_IN_PORT]: 1, [K_DL_TYPE]: IP, [K_NW_DST]: 0x0a000002 }), wc), any);
    assert.deepEqual(
      [wc[K_IN_PORT], wc[K_DL_TYPE], wc[K_NW_DST], wc[K_TP]],
      [0, 0, 0xfffffffe, 0],
      'the nw_dst trie shows no rule on the path past bit 30: that alone explains the miss',
    );
    // A rule is in one classifier at a time: the second one gets copies.
    const noTries = new Classifier<Rule>(FLOW_WORDS, []);
    const any2 = { ...any, ...UNLINKED };
    noTries.insert({ ...web, ...UNLINKED });
    noTries.insert(any2);
    wc = new Uint32Array(FLOW_WORDS);
    assert.equal(
      noTries.lookup(flowOf({ [K_IN_PORT]: 1, [K_DL_TYPE]: IP, [K_NW_DST]: 0x0a000002 }), wc),
      any2,
    );
    assert.deepEqual([wc[K_IN_PORT], wc[K_DL_TYPE], wc[K_NW_DST], wc[K_TP]], [ALL, 0xffff, ALL, 0]);

    wc = new Uint32Array(FLOW_WORDS);
    const hit = flowOf({ [K_IN_PORT]: 1, [K_DL_TYPE]: IP, [K_NW_DST]: 0x0a000001, [K_TP]: (999 << 16) | 80 });
    assert.equal(cls.lookup(hit, wc), web);
    assert.deepEqual([wc[K_IN_PORT], wc[K_DL_TYPE], wc[K_NW_DST], wc[K_TP]], [ALL, 0xffff, ALL, 0xffff]);
  });

  test("prefix tracking: a subtable with no rule on the flow's address path unwildcards only that path", () => {
    const cls = new Classifier<Rule>();
    const host = rule('host', 20, { [K_DL_TYPE]: [IP, 0xffff], [K_NW_DST]: [0x0a010203, ALL] }); // 10.1.2.3
    const net8 = rule('net8', 10, { [K_DL_TYPE]: [IP, 0xffff], [K_NW_DST]: [0x0a000000, 0xff000000] });
    const any = rule('any', 0, {});
    for (const x of [host, net8, any]) cls.insert(x);
    let wc = new Uint32Array(FLOW_WORDS);
    // 10.5.5.5 leaves 10.1.2.3's path at bit 13: 14 bits prove the /32 misses, then the /8 matches.
    assert.equal(cls.lookup(flowOf({ [K_DL_TYPE]: IP, [K_NW_DST]: 0x0a050505 }), wc), net8);
    assert.equal(wc[K_NW_DST], 0xfffc0000);
    wc = new Uint32Array(FLOW_WORDS);
    // 8.8.8.8 leaves every rule's path at bit 6: 7 bits for both misses.
    assert.equal(cls.lookup(flowOf({ [K_DL_TYPE]: IP, [K_NW_DST]: 0x08080808 }), wc), any);
    assert.equal(wc[K_NW_DST], 0xfe000000);
    // Rules come and go: the trie follows.
    cls.remove(net8);
    cls.remove(host);
    cls.insert(host);
    wc = new Uint32Array(FLOW_WORDS);
    assert.equal(cls.lookup(flowOf({ [K_DL_TYPE]: IP, [K_NW_DST]: 0x0a010282 }), wc), any);
    assert.equal(wc[K_NW_DST], 0xffffff80, '10.1.2.130 leaves the path at bit 24');
    wc = new Uint32Array(FLOW_WORDS);
    assert.equal(cls.lookup(flowOf({ [K_DL_TYPE]: IP, [K_NW_DST]: 0x0a010203 }), wc), host);
    assert.equal(wc[K_NW_DST], ALL);
    // A removed prefix that other rules' paths still pass through is forgotten too.
    const net10 = rule('net10', 10, { [K_DL_TYPE]: [IP, 0xffff], [K_NW_DST]: [0x0a000000, 0xff000000] });
    const net11 = rule('net11', 10, { [K_DL_TYPE]: [IP, 0xffff], [K_NW_DST]: [0x0b000000, 0xff000000] });
    cls.insert(net10);
    cls.insert(net11);
    cls.remove(net10);
    wc = new Uint32Array(FLOW_WORDS);
    assert.equal(cls.lookup(flowOf({ [K_DL_TYPE]: IP, [K_NW_DST]: 0x0a050505 }), wc), any);
    assert.deepEqual(
      [wc[K_DL_TYPE], wc[K_NW_DST]],
      [0, 0xfffc0000],
      'both misses explained by the trie alone',
    );
  });

  test('flows and wildcard masks shorter than FLOW_WORDS (a datapath key, KEY_WORDS long)', () => {
    const cls = new Classifier<Rule>();
    const reg = rule('reg', 10, { [F_REG0]: [0, ALL], [K_IN_PORT]: [1, ALL] });
    const port = rule('port', 5, { [K_IN_PORT]: [1, ALL] });
    cls.insert(reg);
    cls.insert(port);
    const key = new Uint32Array(KEY_WORDS);
    key[K_IN_PORT] = 1;
    const wc = new Uint32Array(KEY_WORDS);
    assert.equal(cls.lookup(key, wc), reg, 'registers past the key read as 0');
    assert.equal(wc[K_IN_PORT], ALL);
    const withReg = newOfFlow();
    withReg[K_IN_PORT] = 1;
    withReg[F_REG0] = 3;
    const wide = new Uint32Array(FLOW_WORDS);
    assert.equal(cls.lookup(withReg, wide), port);
    assert.equal(wide[F_REG0], ALL);
    cls.remove(reg);
    assert.equal(cls.lookup(key, null), port);
    cls.insert(reg);
    assert.equal(cls.lookup(key, null), reg);
  });

  test('loose and strict queries, as del-flows and mod-flows use them', () => {
    const cls = new Classifier<Rule>();
    const a = rule('a', 10, { [K_DL_TYPE]: [IP, 0xffff], [K_NW_DST]: [0x0a000001, ALL] });
    const b = rule('b', 20, { [K_DL_TYPE]: [IP, 0xffff], [K_NW_DST]: [0x0a000000, 0xffffff00] });
    const c = rule('c', 30, { [K_DL_TYPE]: [0x0806, 0xffff] });
    const d = rule('d', 5, {
      [K_IN_PORT]: [1, ALL],
      [K_DL_TYPE]: [IP, 0xffff],
      [K_NW_DST]: [0x0a000001, ALL],
    });
    for (const x of [a, b, c, d]) cls.insert(x);
    // del-flows ip: every IPv4 rule, whatever else it matches.
    assert.deepEqual(cls.findLoose(match({ [K_DL_TYPE]: [IP, 0xffff] })), [b, a, d]);
    // del-flows ip,nw_dst=10.0.0.0/24: rules at least that specific inside it.
    assert.deepEqual(
      cls.findLoose(match({ [K_DL_TYPE]: [IP, 0xffff], [K_NW_DST]: [0x0a000000, 0xffffff00] })),
      [b, a, d],
    );
    // ip,nw_dst=10.0.0.1: the /24 is less specific, so not included.
    assert.deepEqual(cls.findLoose(match({ [K_DL_TYPE]: [IP, 0xffff], [K_NW_DST]: [0x0a000001, ALL] })), [
      a,
      d,
    ]);
    // del-flows with no match: everything.
    assert.deepEqual(cls.findLoose(match({})), [c, b, a, d]);
    assert.deepEqual(cls.findLoose(match({ [K_IN_PORT]: [2, ALL] })), []);
    // --strict: the exact match and priority only.
    assert.equal(cls.findStrict(a.match, 10), a);
    assert.equal(cls.findStrict(a.match, 11), null);
    assert.equal(cls.findStrict(match({ [K_DL_TYPE]: [IP, 0xffff] }), 10), null);
  });

  test('clear() empties it', () => {
    const cls = new Classifier<Rule>();
    cls.insert(rule('a', 1, {}));
    cls.clear();
    assert.equal(cls.count, 0);
    assert.equal(cls.lookup(newOfFlow(), null), null);
    assert.deepEqual(cls.rules(), []);
  });
});

describe('FlowTable on the classifier', () => {
  test('add/remove/findStrict/findLoose/size, and matches on registers', () => {
    const t = new FlowTable();
    const r1 = new TableRule({ priority: 10, match: match({ [F_REG0]: [5, ALL] }), actions: [] }, 0);
    const r2 = new TableRule(
      {
        priority: 10,
        match: match({ [F_REG0]: [5, ALL] }),
        actions: [{ type: 'output', port: 0xfffa, maxLen: 0 }],
      },
      0,
    );
    assert.equal(t.add(r1), null);
    assert.equal(t.add(r2), r1);
    assert.equal(t.size, 1);
    const flow = newOfFlow();
    flow[F_REG0] = 5;
    assert.equal(t.lookup(flow, new Uint32Array(KEY_WORDS)), r2);
    assert.equal(t.findStrict(r2.match, 10), r2);
    assert.deepEqual(t.findLoose(FlowMatch.catchAll()), [r2]);
    assert.ok(t.remove(r2));
    assert.equal(t.size, 0);
  });
});

describe('Classifier at scale', () => {
  test('100,000 exact nw_dst rules and a few wildcards', () => {
    const N = 100_000;
    const cls = new Classifier<Rule>();
    const host = (i: number) => (0x0a000000 + i) >>> 0; // 10.0.0.0 .. 10.1.134.159
    const exact: Rule[] = [];
    for (let i = 0; i < N; i++) {
      const r: Rule = {
        name: `h${i}`,
        priority: 100,
        match: match({ [K_DL_TYPE]: [IP, 0xffff], [K_NW_DST]: [host(i), ALL] }),
        ...UNLINKED,
      };
      exact.push(r);
      assert.equal(cls.insert(r), null);
    }
    const blockPort: Rule = {
      name: 'block',
      priority: 200,
      match: match({ [K_IN_PORT]: [66, ALL] }),
      ...UNLINKED,
    };
    const net16: Rule = {
      name: 'net16',
      priority: 50,
      match: match({ [K_DL_TYPE]: [IP, 0xffff], [K_NW_DST]: [0x0a010000, 0xffff0000] }),
      ...UNLINKED,
    };
    const ip: Rule = { name: 'ip', priority: 10, match: match({ [K_DL_TYPE]: [IP, 0xffff] }), ...UNLINKED };
    const any: Rule = { name: 'any', priority: 0, match: match({}), ...UNLINKED };
    for (const r of [blockPort, net16, ip, any]) cls.insert(r);
    assert.equal(cls.count, N + 4);
    assert.equal(cls.subtableCount, 5);

    const expect = (inPort: number, dlType: number, dst: number): Rule => {
      if (inPort === 66) return blockPort;
      if (dlType !== IP) return any;
      const i = dst - 0x0a000000;
      if (i >= 0 && i < N && exact[i] !== undefined) return exact[i];
      if (dst >>> 16 === 0x0a01) return net16;
      return ip;
    };
    const r = rng(7);
    const check = () => {
      for (let n = 0; n < 20_000; n++) {
        const inPort = r() < 0.05 ? 66 : 1 + Math.floor(r() * 8);
        const dlType = r() < 0.9 ? IP : 0x0806;
        const dst = r() < 0.8 ? host(Math.floor(r() * (N + 70_000))) : Math.floor(r() * 0x1_0000_0000) >>> 0;
        const flow = flowOf({ [K_IN_PORT]: inPort, [K_DL_TYPE]: dlType, [K_NW_DST]: dst });
        const wc = new Uint32Array(KEY_WORDS);
        const want = expect(inPort, dlType, dst);
        assert.equal(cls.lookup(flow, wc)?.name, want.name);
        assert.equal(wc[K_IN_PORT], ALL, 'the priority-200 subtable is always probed');
        if (want === blockPort) assert.equal(wc[K_NW_DST], 0, 'nothing else was looked at');
        if (want.priority === 100) assert.equal(wc[K_NW_DST], ALL);
        if (want !== blockPort && dlType === IP && dst >>> 24 !== 10) {
          assert.ok(wc[K_NW_DST] !== ALL, 'outside 10/8 the tries spare some nw_dst bits');
        }
      }
    };
    check();
    // Remove every other exact rule: those hosts fall back to the wildcards.
    for (let i = 0; i < N; i += 2) {
      assert.ok(cls.remove(exact[i]));
      delete exact[i];
    }
    assert.equal(cls.count, N / 2 + 4);
    check();
    const dump = cls.rules();
    assert.deepEqual(
      dump.slice(0, 3).map((x) => x.name),
      ['block', 'h1', 'h3'],
    );
    assert.equal(dump[dump.length - 1], any);
  });
});
