// `npm run bench:flows`: big OpenFlow tables, tsovs side by side with Open vSwitch 3.1 (userspace datapath)
// in one run. Host A and host B are namespaces behind the switch (bench/lib/topology.ts). For each switch:
// 100,000 flows `priority=100,ip,nw_dst=10.x.y.z,actions=output:B` (one of them B's address) are loaded
// with `ovs-ofctl add-flows` — the same client for both, so the figure is the switch's — and timed; then
// the switch daemon's resident memory (8 s after loading, for both), the time of `ovs-ofctl dump-flows`
// over all of them, and the rate
// of 64-byte UDP frames A → B delivered with just the one flow for B in the table and with all 100,000.
// tsovs is also loaded with its own `tsovs ofctl add-flows`. Prints medians over the rounds and ratios.
// Options: --rounds N (BENCH_ROUNDS, default 3), --flows N (BENCH_FLOWS, default 100000), --seconds N of
// traffic (BENCH_PPS_SECONDS, default 3). Needs root, trafgen (netsniff-ng) and openvswitch-switch.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runBench } from './lib/entry.js';
import { median, ppsRun, writeTrafgenConfig } from './lib/measure.js';
import { errorText, haveCommand, run, runOk } from './lib/proc.js';
import { fmt, printTable, ratioText } from './lib/report.js';
import { type OpenFlowSwitchUnderTest, OpenVswitch, Rundir, Tsovs } from './lib/switches.js';
import { ADDR_B, SW_PORT_B, Topology } from './lib/topology.js';

const ROOT = resolve(import.meta.dirname, '..');
const PPS_WARMUP_MS = 1000;
/**
 * Pause between loading the flows and reading the switch's memory: long enough for tsovs's collection
 * after a burst of flow changes (src/util/heap.ts: 6 s of quiet, then two full collections), the same
 * for both switches.
 */
const SETTLE_MS = 8000;

function settings() {
  const { values } = parseArgs({
    options: { rounds: { type: 'string' }, flows: { type: 'string' }, seconds: { type: 'string' } },
  });
  const num = (name: string, arg: string | undefined, env: string | undefined, dflt: number): number => {
    const text = arg ?? env;
    if (text === undefined || text === '') return dflt;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, not "${text}"`);
    return n;
  };
  return {
    rounds: num('--rounds', values.rounds, process.env.BENCH_ROUNDS, 3),
    flows: num('--flows', values.flows, process.env.BENCH_FLOWS, 100_000),
    seconds: num('--seconds', values.seconds, process.env.BENCH_PPS_SECONDS, 3),
  };
}

type Settings = ReturnType<typeof settings>;

/** The figures, in print order. */
const FIGURES = [
  { key: 'load', label: 'add-flows (ovs-ofctl), s', digits: 2, lowerIsBetter: true },
  // Each switch loaded with its own tool: the ratio is against OVS's time with ovs-ofctl.
  {
    key: 'loadOurs',
    label: 'add-flows (own ofctl each), s',
    digits: 2,
    lowerIsBetter: true,
    ovsKey: 'load',
  },
  { key: 'rss', label: 'switch RSS after loading, MB', digits: 1, lowerIsBetter: true },
  { key: 'dump', label: 'dump-flows (ovs-ofctl), s', digits: 2, lowerIsBetter: true },
  { key: 'pps1', label: '64 B UDP A→B, 1 flow, kpkt/s', digits: 0, lowerIsBetter: false },
  { key: 'ppsN', label: '64 B UDP A→B, all flows, kpkt/s', digits: 0, lowerIsBetter: false },
  { key: 'keep', label: 'rate kept with all flows, %', digits: 0, lowerIsBetter: false },
] as const;

type Key = (typeof FIGURES)[number]['key'];
type Results = Map<Key, number[]>;

function addrText(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

/** The flow file: `n` flows, the last one for B's address (so traffic to B hits the big table). */
function writeFlows(dir: string, n: number, outPort: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n - 1; i++)
    lines.push(`priority=100,ip,nw_dst=${addrText(i)},actions=output:${outPort}`);
  lines.push(`priority=100,ip,nw_dst=${ADDR_B},actions=output:${outPort}`);
  const path = join(dir, 'flows.txt');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function rssMb(pid: number | undefined): number {
  if (pid === undefined) throw new Error('switch pid not found');
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

async function timed(argv: string[], timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  const r = await run(argv, { timeoutMs });
  const dt = (performance.now() - t0) / 1000;
  if (r.status !== 0)
    throw new Error(`${argv.slice(0, 3).join(' ')} failed (${r.status}): ${r.stderr.trim().slice(-300)}`);
  return dt;
}

async function countFlows(target: string): Promise<number> {
  const out = await runOk(['ovs-ofctl', 'dump-aggregate', target], { timeoutMs: 120000 });
  const m = /flow_count=(\d+)/.exec(out);
  return m === null ? -1 : Number(m[1]);
}

/** One round for one switch. */
async function measure(
  sw: OpenFlowSwitchUnderTest,
  topo: Topology,
  s: Settings,
  trafgen: string,
  dir: string,
  out: Results,
): Promise<void> {
  await sw.setup(topo);
  try {
    const target = sw.ofTarget();
    const portB = Number((await sw.vsctl(['get', 'Interface', SW_PORT_B, 'ofport'])).trim());
    // One flow for B (plus the default NORMAL flow for the rest).
    await runOk([
      'ovs-ofctl',
      'add-flow',
      target,
      `priority=100,ip,nw_dst=${ADDR_B},actions=output:${portB}`,
    ]);
    const pps1 = await ppsRun(topo, trafgen, s.seconds, PPS_WARMUP_MS);
    push(out, 'pps1', pps1.delivered / 1000);
    const file = writeFlows(dir, s.flows, portB);
    await runOk(['ovs-ofctl', 'del-flows', target, 'ip']);
    push(out, 'load', await timed(['ovs-ofctl', 'add-flows', target, file], 600000));
    // Memory once the switch has settled (the same pause for both), before anything else runs.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    push(out, 'rss', rssMb(sw.switchPid()));
    const n = await countFlows(target);
    if (n < s.flows) throw new Error(`${sw.label}: ${n} flows after add-flows, expected ${s.flows}+`);
    push(out, 'dump', await timed(['sh', '-c', `ovs-ofctl dump-flows ${target} > /dev/null`], 600000));
    const ppsN = await ppsRun(topo, trafgen, s.seconds, PPS_WARMUP_MS);
    push(out, 'ppsN', ppsN.delivered / 1000);
    push(out, 'keep', (100 * ppsN.delivered) / Math.max(1, pps1.delivered));
    if (sw instanceof Tsovs) {
      await runOk(['ovs-ofctl', 'del-flows', target, 'ip']);
      const cli = [process.execPath, join(ROOT, 'bin', 'tsovs.js'), 'ofctl'];
      push(out, 'loadOurs', await timed([...cli, 'add-flows', target, file], 600000));
    }
  } finally {
    await sw.teardown(topo);
  }
}

function push(r: Results, k: Key, v: number): void {
  const list = r.get(k) ?? [];
  list.push(v);
  r.set(k, list);
}

async function main(): Promise<void> {
  const s = settings();
  if (process.getuid?.() !== 0) throw new Error('needs root (namespaces, veths)');
  for (const c of ['ovs-ofctl', 'ovs-vswitchd', 'trafgen']) {
    if (!haveCommand(c)) throw new Error(`${c} not found (apt-get install openvswitch-switch netsniff-ng)`);
  }
  const scratch = new Rundir('bench-flows-');
  const topo = await Topology.build();
  const trafgen = writeTrafgenConfig(scratch.path);
  const switches: OpenFlowSwitchUnderTest[] = [new OpenVswitch(), new Tsovs()];
  const results = new Map<string, Results>(switches.map((w) => [w.label, new Map()]));
  const failures: string[] = [];
  console.log(
    `bench:flows — ${s.flows.toLocaleString('en-US')} flows, ${s.rounds} round(s), ${cpus().length} CPUs, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  for (let round = 0; round < s.rounds; round++) {
    const order = round % 2 === 0 ? switches : [...switches].reverse();
    for (const sw of order) {
      process.stderr.write(`  round ${round + 1}: ${sw.label}\n`);
      try {
        await measure(sw, topo, s, trafgen, scratch.path, results.get(sw.label) as Results);
      } catch (err) {
        failures.push(`${sw.label}, round ${round + 1}: ${errorText(err)}`);
      }
    }
  }
  const ovs = results.get(switches[0].label) as Results;
  const ours = results.get(switches[1].label) as Results;
  const med = (r: Results, k: Key): number | undefined => {
    const xs = r.get(k);
    return xs === undefined || xs.length === 0 ? undefined : median(xs);
  };
  const body = FIGURES.map((f) => {
    const a = med(ovs, 'ovsKey' in f ? f.ovsKey : f.key);
    const b = med(ours, f.key);
    const ratio = f.lowerIsBetter ? ratioText(a, b) : ratioText(b, a);
    return [
      f.label,
      a === undefined ? '—' : fmt(a, f.digits),
      b === undefined ? '—' : fmt(b, f.digits),
      ratio,
    ];
  });
  printTable(['', 'OVS 3.1 netdev', 'tsovs', 'tsovs advantage'], body);
  console.log('(medians; "tsovs advantage" is OVS/tsovs for times and memory, tsovs/OVS for rates)');
  console.log(
    "Targets: load in ≤ 1/3 of OVS's time (advantage ≥ 3×), memory ≤ OVS's (≥ 1×), rate with all flows ≥ 80% of 1 flow.",
  );
  for (const f of failures) console.log(`failed: ${f}`);
  await scratch.release();
  await topo.destroy();
}

runBench('bench:flows', main);
