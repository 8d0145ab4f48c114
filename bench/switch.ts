// `npm run bench`: the Linux bridge, Open vSwitch 3.1 (userspace datapath, datapath_type=netdev) and tsovs
// forwarding between two network namespaces over the same veths, taking turns in rounds of one run: TCP
// throughput (iperf3) with the veths' offloads on and off, 64-byte UDP packets per second delivered
// (trafgen), ping round-trip time. Prints medians, the ratios tsovs/OVS and tsovs/bridge, and issue 4's
// targets met or not. BENCH_QUICK=1 makes every phase short. Needs root; everything it makes is removed.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, pingOnce, pingRun, ppsRun, tcpRun, warmUp, writeTrafgenConfig } from './lib/measure.js';
import { errorText, haveCommand, janitor, run, waitUntil } from './lib/proc.js';
import { LinuxBridge, OpenVswitch, type SwitchUnderTest, Tsovs } from './lib/switches.js';
import { Topology } from './lib/topology.js';

const QUICK = process.env.BENCH_QUICK === '1';
/**
 * Rounds: in each, every switch in turn (the order rotating) is set up afresh, gives one run of every
 * figure and is torn down, so that the noise of a shared machine spreads over all three alike.
 */
const ROUNDS = QUICK ? 3 : 5;
const TCP_SECONDS = QUICK ? 1 : 3;
const PPS_SECONDS = QUICK ? 1 : 2;
const PPS_WARMUP_MS = QUICK ? 300 : 500;
const PINGS = QUICK ? 50 : 200;
/** Flood-ping echoes sent through every switch before it is measured (see warmUp). */
const WARMUP_PINGS = 5000;

/** The figures, in table order. */
const FIGURES = [
  { key: 'tcpOn', label: 'TCP, offloads on, Gbit/s', digits: 2, higherIsBetter: true },
  { key: 'tcpOff', label: 'TCP, offloads off (tx off), Gbit/s', digits: 2, higherIsBetter: true },
  { key: 'pps', label: '64 B UDP delivered to B, kpkt/s', digits: 0, higherIsBetter: true },
  { key: 'offered', label: '64 B UDP offered by A, kpkt/s', digits: 0, higherIsBetter: true, noRatio: true },
  { key: 'rttMedian', label: 'ping RTT median, ms', digits: 3, higherIsBetter: false },
  { key: 'rttAvg', label: 'ping RTT mean, ms', digits: 3, higherIsBetter: false },
] as const;

type FigureKey = (typeof FIGURES)[number]['key'];

/** The runs one switch gave for one figure, and why any failed. */
interface Cell {
  runs: number[];
  failures: string[];
  tries: number;
  /** Set when the first try failed: later rounds do not try again (OVS's TCP with offloads on). */
  gaveUp: boolean;
}

/** One switch's results: its cells, or the reason it could not be measured at all. */
interface Column {
  sw: SwitchUnderTest;
  cells: Map<FigureKey, Cell>;
  error?: string;
  /** Later rounds that failed before or between the figures (setup, ethtool), with the reason. */
  lostRounds: string[];
}

function cellOf(col: Column, key: FigureKey): Cell {
  let c = col.cells.get(key);
  if (c === undefined) {
    c = { runs: [], failures: [], tries: 0, gaveUp: false };
    col.cells.set(key, c);
  }
  return c;
}

/**
 * One run that yields the figures `keys` (e.g. a ping run gives the median and the mean): the values are
 * added to their cells, a failure is recorded in each; a figure whose first try failed is not tried again.
 */
async function attempt<T>(
  col: Column,
  keys: FigureKey[],
  what: string,
  fn: () => Promise<T>,
  values: (r: T) => number[],
): Promise<void> {
  const cells = keys.map((k) => cellOf(col, k));
  if (cells[0].gaveUp) return;
  process.stderr.write(`    ${what}\n`);
  for (const c of cells) c.tries++;
  try {
    const got = values(await fn());
    for (let i = 0; i < cells.length; i++) cells[i].runs.push(got[i]);
  } catch (err) {
    process.stderr.write(`      failed: ${errorText(err)}\n`);
    for (const c of cells) {
      c.failures.push(errorText(err));
      if (c.runs.length === 0) c.gaveUp = true;
    }
  }
}

/** One run of every figure on a switch that is forwarding. */
async function measureOnce(topo: Topology, trafgenConfig: string, col: Column): Promise<void> {
  await attempt(
    col,
    ['rttMedian', 'rttAvg'],
    `ping: ${PINGS} pings, 10 ms apart`,
    () => pingRun(topo, PINGS),
    (r) => [r.median, r.avg],
  );
  await attempt(
    col,
    ['pps', 'offered'],
    `64-byte UDP: ${PPS_SECONDS} s of trafgen`,
    () => ppsRun(topo, trafgenConfig, PPS_SECONDS, PPS_WARMUP_MS),
    (r) => [r.delivered / 1000, r.offered / 1000],
  );
  const tcp = () => tcpRun(topo, TCP_SECONDS);
  await attempt(col, ['tcpOn'], `TCP, offloads on: ${TCP_SECONDS} s of iperf3`, tcp, (r) => [r]);
  await topo.setTxOffload(false);
  try {
    await attempt(col, ['tcpOff'], `TCP, offloads off: ${TCP_SECONDS} s of iperf3`, tcp, (r) => [r]);
  } finally {
    await topo.setTxOffload(true);
  }
}

/**
 * Sets one switch up, takes one run of every figure, tears it down. A switch that cannot be set up in the
 * first round is not measured (its column shows the error); a failure later is recorded and the round skipped.
 */
async function benchRound(topo: Topology, col: Column, trafgenConfig: string, round: number): Promise<void> {
  if (col.error !== undefined) return;
  process.stderr.write(`  ${col.sw.label}${round === 0 ? `: ${col.sw.how}` : ''}\n`);
  try {
    await col.sw.setup(topo);
    await waitUntil(() => pingOnce(topo), 15000, 'A to ping B through the switch');
    await warmUp(topo, WARMUP_PINGS);
    await measureOnce(topo, trafgenConfig, col);
  } catch (err) {
    process.stderr.write(`    ${col.sw.label} failed: ${errorText(err)}\n`);
    if (round === 0) col.error = errorText(err);
    else col.lostRounds.push(`round ${round + 1}: ${errorText(err)}`);
  } finally {
    try {
      await col.sw.teardown(topo);
    } catch (err) {
      process.stderr.write(`    ${col.sw.label} teardown: ${errorText(err)}\n`);
    }
  }
}

/** The figure a column shows: median of the good runs; 0 when every run of a throughput failed. */
function value(col: Column | undefined, key: FigureKey): number | undefined {
  const c = col?.cells.get(key);
  if (c === undefined) return undefined;
  if (c.runs.length > 0) return median(c.runs);
  const fig = FIGURES.find((f) => f.key === key);
  return fig?.higherIsBetter ? 0 : undefined;
}

function fmt(x: number, digits: number): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function cellText(col: Column, key: FigureKey, digits: number): string {
  if (col.error !== undefined) return 'error';
  const c = col.cells.get(key);
  if (c === undefined) return '—';
  if (c.runs.length === 0) return 'fails';
  const v = fmt(median(c.runs), digits);
  return c.failures.length > 0 ? `${v} (${c.failures.length}/${c.tries} failed)` : v;
}

/** ours/ref, where anything over nothing is infinitely more and nothing over nothing is nothing. */
function ratio(ours: number, ref: number): number {
  if (ref === 0) return ours > 0 ? Number.POSITIVE_INFINITY : 0;
  return ours / ref;
}

function ratioText(ours: number | undefined, ref: number | undefined, digits = 2): string {
  if (ours === undefined || ref === undefined) return '—';
  if (ref === 0) return ours > 0 ? '∞' : '—';
  return `${(ours / ref).toFixed(digits)}×`;
}

function printTable(head: string[], body: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('   '));
  for (const b of body) console.log(line(b));
}

function printResults(columns: Column[]): void {
  const [bridge, ovs, ours] = columns;
  const head = ['', ...columns.map((c) => c.sw.label), 'tsovs/OVS', 'tsovs/bridge'];
  const body = FIGURES.map((f) => [
    f.label,
    ...columns.map((c) => cellText(c, f.key, f.digits)),
    'noRatio' in f ? '' : ratioText(value(ours, f.key), value(ovs, f.key)),
    'noRatio' in f ? '' : ratioText(value(ours, f.key), value(bridge, f.key)),
  ]);
  console.log(
    `\nMedians of ${ROUNDS} rounds; in each round every switch is set up afresh, the order rotating.\nRatios are tsovs's figure over the other's (for RTT, lower is better).\n`,
  );
  printTable(head, body);
  printTargets(bridge, ovs, ours);
  console.log('\nIndividual runs:');
  for (const f of FIGURES) {
    for (const c of columns) {
      const cell = c.cells.get(f.key);
      if (cell === undefined) continue;
      const runs = cell.runs.map((x) => fmt(x, f.digits)).join(', ');
      console.log(`  ${f.label.padEnd(36)} ${c.sw.label.padEnd(15)} [${runs}]`);
    }
  }
  const problems = columns.flatMap((c) => [
    ...(c.error !== undefined ? [`${c.sw.label}: not measured: ${c.error}`] : []),
    ...c.lostRounds.map((r) => `${c.sw.label}: ${r}`),
    ...FIGURES.flatMap((f) => {
      const failures = c.cells.get(f.key)?.failures ?? [];
      return failures.length > 0 && f.key !== 'offered' && f.key !== 'rttAvg'
        ? [`${c.sw.label}, ${f.label}: ${[...new Set(failures)].join('; ')}`]
        : [];
    }),
  ]);
  if (problems.length > 0) {
    console.log('\nFailures:');
    for (const p of problems) console.log(`  ${p}`);
  }
}

/** Issue 4's targets, each a ratio of a tsovs figure to a reference, met or not. */
function printTargets(bridge: Column, ovs: Column, ours: Column): void {
  const ovsTcp = Math.max(value(ovs, 'tcpOn') ?? 0, value(ovs, 'tcpOff') ?? 0);
  const targets = [
    {
      label: "TCP offloads on ≥ 10× OVS's TCP (its best: offloads off)",
      ours: value(ours, 'tcpOn'),
      ref: ovs.error === undefined ? ovsTcp : undefined,
      ok: (r: number) => r >= 10,
    },
    {
      label: 'TCP offloads on ≥ 0.9× Linux bridge (offloads on)',
      ours: value(ours, 'tcpOn'),
      ref: value(bridge, 'tcpOn'),
      ok: (r: number) => r >= 0.9,
    },
    {
      label: '64 B pkt/s delivered ≥ 2× OVS',
      ours: value(ours, 'pps'),
      ref: value(ovs, 'pps'),
      ok: (r: number) => r >= 2,
    },
    {
      label: '64 B pkt/s delivered ≥ 0.5× Linux bridge (moonshot)',
      ours: value(ours, 'pps'),
      ref: value(bridge, 'pps'),
      ok: (r: number) => r >= 0.5,
    },
    {
      label: 'ping RTT (median) ≤ 0.5× OVS',
      ours: value(ours, 'rttMedian'),
      ref: value(ovs, 'rttMedian'),
      ok: (r: number) => r <= 0.5,
    },
  ];
  console.log("\nIssue 4's targets:\n");
  printTable(
    ['target', 'tsovs/reference', 'verdict'],
    targets.map((t) => {
      const verdict =
        t.ours === undefined || t.ref === undefined
          ? 'not measured'
          : t.ok(ratio(t.ours, t.ref))
            ? 'met'
            : 'not met';
      return [t.label, ratioText(t.ours, t.ref, 3), verdict];
    }),
  );
}

/** Refuses to start without root and the tools every switch is measured with. */
function preflight(): void {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces, veth, ethtool)');
  const tools = {
    ip: 'iproute2',
    ss: 'iproute2',
    ethtool: 'ethtool',
    iperf3: 'iperf3',
    trafgen: 'netsniff-ng',
    ping: 'iputils-ping',
  };
  const missing = Object.entries(tools).filter(([cmd]) => !haveCommand(cmd));
  if (missing.length > 0)
    throw new Error(
      `missing ${missing.map(([c]) => c).join(', ')}: apt-get install ${[...new Set(missing.map(([, p]) => p))].join(' ')}`,
    );
}

async function versions(): Promise<string> {
  // trafgen -v exits 1 after printing its version: take the first line whatever the status.
  const first = async (argv: string[]) => {
    const r = await run(argv, { timeoutMs: 5000 });
    return r.stdout.split('\n')[0].trim() || `${argv[0]}: ${r.stderr.trim() || 'no version'}`;
  };
  return [
    await first(['ovs-vswitchd', '--version']),
    await first(['iperf3', '--version']),
    await first(['trafgen', '-v']),
  ].join('; ');
}

async function main(): Promise<void> {
  preflight();
  console.log(
    `Switch benchmark${QUICK ? ' (BENCH_QUICK)' : ''}: node ${process.version}, ${cpus().length} CPUs, Linux ${release()}; ${await versions()}`,
  );
  const scratch = mkdtempSync(join(tmpdir(), 'bench-switch-'));
  janitor.add('scratch dir', () => rmSync(scratch, { recursive: true, force: true }));
  const trafgenConfig = writeTrafgenConfig(scratch);
  const topo = await Topology.build();
  console.log(
    `Hosts ${topo.a} (10.77.0.1) and ${topo.b} (10.77.0.2), each a veth into ${topo.sw} (swa, swb), where each switch runs in turn.\n` +
      `TCP: iperf3 A → B, ${TCP_SECONDS} s a run; "offloads off" is ethtool -K … tx off on both hosts' veths (restored after).\n` +
      '64 B UDP: trafgen in A (1 process on CPU 0, qdisc bypass, one 60-byte frame + FCS) for ' +
      `${PPS_SECONDS} s after ${PPS_WARMUP_MS} ms warm-up; delivered = growth of B's veth rx_packets ` +
      "(/proc/<pid in B>/net/dev), offered = A's tx_packets.\n" +
      `Ping: ${PINGS} pings A → B, 10 ms apart; median and mean of the replies.`,
  );
  const initialOffloads = await topo.offloadState();
  const columns: Column[] = [new LinuxBridge(), new OpenVswitch(), new Tsovs()].map((sw) => ({
    sw,
    cells: new Map(),
    lostRounds: [],
  }));
  for (let round = 0; round < ROUNDS; round++) {
    process.stderr.write(`round ${round + 1} of ${ROUNDS}\n`);
    const order = [...columns.slice(round % 3), ...columns.slice(0, round % 3)];
    for (const col of order) {
      await benchRound(topo, col, trafgenConfig, round);
      if ((await topo.offloadState()) !== initialOffloads)
        process.stderr.write(
          `    warning: the veths' offload settings differ from the start after ${col.sw.label}\n`,
        );
    }
  }
  topo.destroy();
  printResults(columns);
}

// On Ctrl-C: kill what runs and start nothing new at once, then undo the rest. The undo waits 200 ms
// because under `npm run bench` tsx's CLI relays the signal and SIGKILLs this process unless its preload
// acknowledges within 30 ms, which it cannot do while a synchronous cleanup holds the event loop.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\nbench: ${signal}: cleaning up\n`);
    janitor.halt();
    setTimeout(() => {
      janitor.cleanup();
      process.exit(130);
    }, 200);
  });
}

main().then(
  () => janitor.cleanup(),
  (err: unknown) => {
    janitor.cleanup();
    console.error(`bench: ${errorText(err)}`);
    process.exitCode = 1;
  },
);
