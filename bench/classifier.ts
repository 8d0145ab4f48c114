// `npm run bench:classifier`: OpenFlow table lookups per second (src/ofproto/classifier.ts through
// FlowTable, as translation calls it: a datapath-key-long flow and a megaflow mask to fill) with 1, 10,
// 1,000 and 100,000 rules of the form `priority=100,ip,nw_dst=10.x.y.z`, alone and beside four wildcard
// rules (five subtables), next to the linear scan FlowTable used before; then the time to insert and to
// remove 100,000 rules. The flows (4,096 of them) each hit a random rule of the table: with 100,000 rules
// they touch 4,096 random slots of a 5 MB hash table, so the cost is mostly cache and TLB misses; the
// "64 hot flows" column repeats 64 of them, which separates the algorithm's cost from the memory's.
// BENCH_QUICK=1 makes a short run.
import { FlowMatch, FlowTable, Rule, type RuleSpec } from '../src/ofproto/flow-table.js';
import { FLOW_WORDS } from '../src/ofproto/of-flow.js';
import { K_DL_TYPE, K_IN_PORT, K_NW_DST, KEY_WORDS } from '../src/packet/flow-key.js';

const QUICK = process.env.BENCH_QUICK === '1';
const REPS = QUICK ? 3 : 7;
const RUN_MS = QUICK ? 100 : 300;
const SIZES = [1, 10, 1000, 100_000];
const FLOWS = 4096;
const IP = 0x0800;
const ALL = 0xffff_ffff;

function match(fields: Record<number, [number, number]>): FlowMatch {
  const value = new Uint32Array(FLOW_WORDS);
  const mask = new Uint32Array(FLOW_WORDS);
  for (const [word, [v, m]] of Object.entries(fields)) {
    value[Number(word)] = v;
    mask[Number(word)] = m;
  }
  return new FlowMatch(value, mask);
}

const host = (i: number) => (0x0a000000 + i) >>> 0;

const NORMAL = { type: 'output', port: 0xfffa, maxLen: 0 } as const;

function rule(spec: RuleSpec): Rule {
  return new Rule(spec, 0);
}

function exactRules(n: number): Rule[] {
  return Array.from({ length: n }, (_, i) =>
    rule({
      priority: 100,
      match: match({ [K_DL_TYPE]: [IP, 0xffff], [K_NW_DST]: [host(i), ALL] }),
      actions: [{ type: 'output', port: 1 + (i % 4), maxLen: 0 }],
    }),
  );
}

/** Four wildcard rules around the exact ones: a port block above, a /16, all IP and the default below. */
function wildcardRules(): Rule[] {
  return [
    rule({ priority: 200, match: match({ [K_IN_PORT]: [66, ALL] }), actions: [] }),
    rule({
      priority: 50,
      match: match({ [K_DL_TYPE]: [IP, 0xffff], [K_NW_DST]: [0x0b000000, 0xffff0000] }),
      actions: [],
    }),
    rule({ priority: 10, match: match({ [K_DL_TYPE]: [IP, 0xffff] }), actions: [NORMAL] }),
    rule({ priority: 0, match: FlowMatch.catchAll(), actions: [NORMAL] }),
  ];
}

/** Flows (datapath-key long, as xlate passes them) each hitting a random one of the first `n` hosts. */
function flows(n: number, distinct = FLOWS): Uint32Array[] {
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 0x1_0000_0000;
  };
  const made = Array.from({ length: distinct }, () => {
    const f = new Uint32Array(KEY_WORDS);
    f[K_IN_PORT] = 1 + Math.floor(rand() * 4);
    f[K_DL_TYPE] = IP;
    f[K_NW_DST] = host(Math.floor(rand() * n));
    return f;
  });
  return Array.from({ length: FLOWS }, (_, i) => made[i % distinct]);
}

/** The linear scan FlowTable did before the classifier (priority order, unwildcard every rule tried). */
class LinearTable {
  constructor(private readonly list: readonly Rule[]) {}
  lookup(flow: Uint32Array, wc: Uint32Array): Rule | null {
    for (const rule of this.list) {
      rule.match.unwildcard(wc);
      if (rule.match.matches(flow)) return rule;
    }
    return null;
  }
}

interface Table {
  lookup(flow: Uint32Array, wc: Uint32Array): Rule | null;
}

/** One table and flow set to measure. */
interface Case {
  readonly table: Table;
  readonly flows: Uint32Array[];
  /** Lookups per run (calibrated to about RUN_MS). */
  iters: number;
  readonly rates: number[];
}

const wc = new Uint32Array(KEY_WORDS);
let sink = 0;

/** Seconds taken by `iters` lookups in `table`, clearing the megaflow mask before each as xlate does. */
function timeLookups(table: Table, fs: Uint32Array[], iters: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iters; i++) {
    wc.fill(0);
    if (table.lookup(fs[i & (FLOWS - 1)], wc) !== null) sink++;
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function newCase(table: Table, fs: Uint32Array[]): Case {
  let iters = 64;
  while (timeLookups(table, fs, iters) < RUN_MS / 1000 / 8 && iters < 1 << 26) iters *= 2;
  const per = iters / timeLookups(table, fs, iters);
  return { table, flows: fs, iters: Math.max(16, Math.round((per * RUN_MS) / 1000)), rates: [] };
}

/** Runs every case once per round, REPS rounds (so load changes hit all alike); the median rate of each. */
function measure(cases: readonly Case[]): number[] {
  for (let r = 0; r < REPS; r++) {
    for (const c of cases) c.rates.push(c.iters / timeLookups(c.table, c.flows, c.iters));
  }
  if (sink === 0) throw new Error('no lookup hit');
  return cases.map((c) => [...c.rates].sort((a, b) => a - b)[c.rates.length >> 1]);
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(1)} k/s`;
}

function main(): void {
  console.log(`OpenFlow classifier lookups (FlowTable.lookup, wc tracking), node ${process.version}`);
  console.log('rules      | exact only  | + 4 wildcards | + 4 wc, 64 hot flows | linear scan (before)');
  const rows: Case[][] = [];
  for (const n of SIZES) {
    const rules = exactRules(n);
    const fs = flows(n);
    const exact = new FlowTable();
    for (const r of rules) exact.add(r);
    const mixed = new FlowTable();
    for (const r of [...rules, ...wildcardRules()]) mixed.add(r);
    const row = [newCase(exact, fs), newCase(mixed, fs), newCase(mixed, flows(n, 64))];
    if (!(QUICK && n > 1000)) row.push(newCase(new LinearTable(mixed.rules()), fs));
    rows.push(row);
  }
  const rates = measure(rows.flat());
  const results = rows.map((row) => {
    const r = rates.splice(0, row.length);
    while (r.length < 4) r.push(Number.NaN);
    return r;
  });
  results.forEach((row, i) => {
    console.log(
      `${SIZES[i].toLocaleString('en-US').padEnd(10)} | ${fmt(row[0]).padEnd(11)} | ${fmt(row[1]).padEnd(13)} | ` +
        `${fmt(row[2]).padEnd(20)} | ${Number.isNaN(row[3]) ? '(skipped)' : fmt(row[3])}`,
    );
  });
  const base = results[0];
  const last = results[results.length - 1];
  const pct = (i: number, digits = 0) => `${((100 * last[i]) / base[i]).toFixed(digits)}%`;
  console.log(
    `ratio 100,000 / 1 rule: exact only ${pct(0)}, + 4 wildcards ${pct(1)}, 64 hot flows ${pct(2)}` +
      (Number.isNaN(last[3]) ? '' : `, linear ${pct(3, 3)}`),
  );

  const rules = exactRules(100_000);
  const times: number[] = [];
  const removes: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t = new FlowTable();
    const t0 = process.hrtime.bigint();
    for (const rule of rules) t.add(rule);
    const t1 = process.hrtime.bigint();
    for (const rule of rules) t.remove(rule);
    const t2 = process.hrtime.bigint();
    times.push(Number(t1 - t0) / 1e6);
    removes.push(Number(t2 - t1) / 1e6);
  }
  times.sort((a, b) => a - b);
  removes.sort((a, b) => a - b);
  const med = (a: number[]) => a[a.length >> 1].toFixed(0);
  console.log(
    `insert 100,000 rules: ${med(times)} ms (median of ${REPS}); remove them all: ${med(removes)} ms`,
  );
}

main();
