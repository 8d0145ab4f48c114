// `npm run bench:tunnel`: host A and host B, each a namespace behind its own "machine" (the seed's node3
// and node4: a namespace each, joined by eth1 with MTU 1600), reach each other through a tunnel across
// the machines — the Linux kernel's VXLAN device in a Linux bridge, tsovs with a VXLAN port, tsovs with a
// GRE port — taking turns in rounds of one run. Figures: TCP throughput A → B (iperf3) with the hosts'
// veths at their default offloads (GSO super-frames reach the switch; tsovs cuts them before
// encapsulating) and ping round-trip time. Prints medians, the ratios tsovs/kernel VXLAN and the run's
// conditions. Options: --rounds N (BENCH_ROUNDS, default 3), --seconds N of iperf3 (BENCH_TCP_SECONDS,
// default 3), --pings N (BENCH_PINGS, default 200); BENCH_QUICK=1 shortens the runs. Needs root;
// everything it makes is removed, also on failure or Ctrl-C.
import { cpus, loadavg, release } from 'node:os';
import { parseArgs } from 'node:util';
import { runBench } from './lib/entry.js';
import { median, pingOnce, pingRun, tcpRun, warmUp } from './lib/measure.js';
import { errorText, haveCommand, janitor, run, waitUntil } from './lib/proc.js';
import { fmt, printTable, ratioText } from './lib/report.js';
import { ADDR_A, ADDR_B, DEV_A, DEV_B, Topology } from './lib/topology.js';
import { KernelVxlan, TsovsTunnel, type TunnelUnderTest } from './lib/tunnels.js';
import { UNDERLAY_ADDR_1, UNDERLAY_ADDR_2, UNDERLAY_DEV, Underlay } from './lib/underlay.js';

const QUICK = process.env.BENCH_QUICK === '1';

/** The run's knobs: command-line options over environment variables over defaults. */
function settings() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      pings: { type: 'string' },
    },
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
    tcpSeconds: num('--seconds', values.seconds, process.env.BENCH_TCP_SECONDS, QUICK ? 1 : 3),
    pings: num('--pings', values.pings, process.env.BENCH_PINGS, QUICK ? 50 : 200),
  };
}

type Settings = ReturnType<typeof settings>;

/** Flood-ping echoes sent through every tunnel before it is measured (see warmUp): bench/switch.ts's. */
const WARMUP_PINGS = 5000;
/** How long a fresh setup has to carry the first ping. */
const FIRST_PING_MS = 20000;

/** One figure's runs and why any failed. */
interface Cell {
  runs: number[];
  failures: string[];
}

/** One tunnel's results. */
interface Column {
  t: TunnelUnderTest;
  tcp: Cell;
  rtt: Cell;
  /** Set when the first round could not set it up: not tried again. */
  error?: string;
  /** Later rounds lost before any figure (setup, first ping), with the reason. */
  lostRounds: string[];
  /** The first diagnosis taken after a failure (logs, status). */
  diagnosis?: string;
}

/** Runs one measurement into `cell`; a failure is recorded (and diagnosed) instead of thrown. */
async function attempt(u: Underlay, col: Column, cell: Cell, what: string, fn: () => Promise<number>) {
  process.stderr.write(`    ${what}\n`);
  try {
    cell.runs.push(await fn());
  } catch (err) {
    process.stderr.write(`      failed: ${errorText(err)}\n`);
    cell.failures.push(errorText(err));
    await diagnose(u, col);
  }
}

/** Keeps the tunnel's own account of a failure (the first one), and prints it. */
async function diagnose(u: Underlay, col: Column): Promise<void> {
  if (col.t.diagnose === undefined || col.diagnosis !== undefined || janitor.halted) return;
  try {
    col.diagnosis = await col.t.diagnose(u);
    process.stderr.write(`${col.diagnosis.replace(/^/gm, '      ')}\n`);
  } catch (err) {
    col.diagnosis = `(diagnosis failed: ${errorText(err)})`;
  }
}

/** Sets one tunnel up, warms it up, takes one ping run and one TCP run, tears it down. */
async function benchRound(u: Underlay, col: Column, s: Settings, round: number): Promise<void> {
  if (col.error !== undefined) return;
  const topo = u.topo;
  process.stderr.write(`  ${col.t.label}${round === 0 ? `: ${col.t.how}` : ''}\n`);
  try {
    await col.t.setup(u);
    await waitUntil(() => pingOnce(topo), FIRST_PING_MS, 'A to ping B through the tunnel');
    await warmUp(topo, WARMUP_PINGS);
    await attempt(u, col, col.rtt, `ping: ${s.pings} pings, 10 ms apart`, async () => {
      return (await pingRun(topo, s.pings)).median;
    });
    await attempt(u, col, col.tcp, `TCP: ${s.tcpSeconds} s of iperf3`, () => tcpRun(topo, s.tcpSeconds));
  } catch (err) {
    process.stderr.write(`    ${col.t.label} failed: ${errorText(err)}\n`);
    await diagnose(u, col);
    if (round === 0) col.error = errorText(err);
    else col.lostRounds.push(`round ${round + 1}: ${errorText(err)}`);
  } finally {
    try {
      await col.t.teardown(u);
    } catch (err) {
      process.stderr.write(`    ${col.t.label} teardown: ${errorText(err)}\n`);
    }
  }
}

function cellText(col: Column, cell: Cell, digits: number): string {
  if (col.error !== undefined) return 'error';
  if (cell.runs.length === 0) return cell.failures.length > 0 ? 'fails' : '—';
  const v = fmt(median(cell.runs), digits);
  const tries = cell.runs.length + cell.failures.length;
  return cell.failures.length > 0 ? `${v} (${cell.failures.length}/${tries} failed)` : v;
}

/** The median a column shows; a throughput that failed every time counts as 0. */
function value(col: Column, which: 'tcp' | 'rtt'): number | undefined {
  if (col.error !== undefined) return undefined;
  const cell = col[which];
  if (cell.runs.length > 0) return median(cell.runs);
  return which === 'tcp' && cell.failures.length > 0 ? 0 : undefined;
}

function printResults(columns: Column[], s: Settings): void {
  const [kernel, ...ours] = columns;
  const figures = [
    { which: 'tcp', label: `TCP A → B, Gbit/s (iperf3, ${s.tcpSeconds} s)`, digits: 2 },
    { which: 'rtt', label: `ping RTT median, ms (${s.pings} pings)`, digits: 3 },
  ] as const;
  const head = ['', ...columns.map((c) => c.t.label), ...ours.map((c) => `${c.t.label}/kernel`)];
  const body = figures.map((f) => [
    f.label,
    ...columns.map((c) => cellText(c, c[f.which], f.digits)),
    ...ours.map((c) => ratioText(value(c, f.which), value(kernel, f.which))),
  ]);
  console.log(
    `\nMedians of ${s.rounds} round${s.rounds === 1 ? '' : 's'}; in each round every setup is built afresh, the order rotating.\n` +
      "Ratios are tsovs's figure over the kernel VXLAN's (TCP: higher is better; RTT: lower is better).\n",
  );
  printTable(head, body);
  console.log('\nIndividual runs:');
  for (const f of figures)
    for (const c of columns) {
      const runs = c[f.which].runs.map((x) => fmt(x, f.digits)).join(', ');
      console.log(`  ${f.label.padEnd(36)} ${c.t.label.padEnd(13)} [${runs}]`);
    }
  const problems = columns.flatMap((c) => [
    ...(c.error !== undefined ? [`${c.t.label}: not measured: ${c.error}`] : []),
    ...c.lostRounds.map((r) => `${c.t.label}: ${r}`),
    ...figures.flatMap((f) => {
      const failures = c[f.which].failures;
      return failures.length > 0 ? [`${c.t.label}, ${f.label}: ${[...new Set(failures)].join('; ')}`] : [];
    }),
  ]);
  if (problems.length > 0) {
    console.log('\nFailures:');
    for (const p of problems) console.log(`  ${p}`);
    for (const c of columns)
      if (c.diagnosis !== undefined) console.log(`\n${c.t.label}, after its first failure:\n${c.diagnosis}`);
  }
}

/** Refuses to start without root and the tools every tunnel is measured with. */
function preflight(): void {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces, veth, vxlan)');
  const tools = {
    ip: 'iproute2',
    ss: 'iproute2',
    ethtool: 'ethtool',
    iperf3: 'iperf3',
    ping: 'iputils-ping',
  };
  const missing = Object.entries(tools).filter(([cmd]) => !haveCommand(cmd));
  if (missing.length > 0)
    throw new Error(
      `missing ${missing.map(([c]) => c).join(', ')}: apt-get install ${[...new Set(missing.map(([, p]) => p))].join(' ')}`,
    );
}

function loadText(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

/** "tso on, gso on, tx-checksumming on" for one host's veth, from `ethtool -k` output. */
function offloadSummary(ethtool: string): string {
  const state = (feature: string) => new RegExp(`^${feature}: (\\S+)`, 'm').exec(ethtool)?.[1] ?? '?';
  return `tx-checksumming ${state('tx-checksumming')}, TSO ${state('tcp-segmentation-offload')}, GSO ${state('generic-segmentation-offload')}`;
}

async function main(): Promise<void> {
  const s = settings();
  preflight();
  const cpuModel = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const iperf = (await run(['iperf3', '--version'], { timeoutMs: 5000 })).stdout.split('\n')[0].trim();
  console.log(
    `Tunnel benchmark${QUICK ? ' (BENCH_QUICK)' : ''}: node ${process.version}, ${cpus().length} CPUs (${cpuModel}), ` +
      `Linux ${release()}; ${iperf}`,
  );
  const loadStart = loadText();
  const topo = await Topology.build();
  const u = await Underlay.build(topo);
  const mtus = await u.underlayMtus();
  const offloads = await topo.offloadState();
  const [ethA, ethB] = offloads.split(/\n(?=Features for )/);
  console.log(
    `Host ${topo.a} (${ADDR_A}, veth ${DEV_A}) behind machine 1 ${u.m1.ns} (${UNDERLAY_DEV} ${UNDERLAY_ADDR_1}/24); ` +
      `host ${topo.b} (${ADDR_B}, veth ${DEV_B}) behind machine 2 ${u.m2.ns} (${UNDERLAY_DEV} ${UNDERLAY_ADDR_2}/24).\n` +
      `Underlay ${UNDERLAY_DEV} MTU: ${mtus.join(' and ')} (set so that 1500-byte inner frames fit encapsulated); ` +
      'inner veths MTU 1500, default offloads left on ' +
      `(${DEV_A}: ${offloadSummary(ethA ?? '')}; ${DEV_B}: ${offloadSummary(ethB ?? '')}).\n` +
      `Per setup and round: built afresh, first ping, warm-up of ${WARMUP_PINGS} flood pings, ` +
      `${s.pings} pings A → B 10 ms apart (median), ${s.tcpSeconds} s of iperf3 A → B, torn down.\n` +
      'Open vSwitch 3.1 userspace VXLAN: not measured (its userspace tunnelling needs eth1 in a br-phy bridge with ' +
      'the underlay address moved onto it, and `ethtool -K … tx off` on the inner veths for TCP; not a like-for-like ' +
      'setup with offloads on).',
  );
  const columns: Column[] = [new KernelVxlan(), new TsovsTunnel('vxlan'), new TsovsTunnel('gre')].map(
    (t) => ({
      t,
      tcp: { runs: [], failures: [] },
      rtt: { runs: [], failures: [] },
      lostRounds: [],
    }),
  );
  for (let round = 0; round < s.rounds; round++) {
    process.stderr.write(`round ${round + 1} of ${s.rounds} (load average ${loadText()})\n`);
    const k = round % columns.length;
    for (const col of [...columns.slice(k), ...columns.slice(0, k)]) {
      if (janitor.halted) return; // interrupted: the signal handler cleans up and exits
      await benchRound(u, col, s, round);
    }
  }
  u.destroy();
  topo.destroy();
  console.log(
    `\nRun conditions: ${s.rounds} round${s.rounds === 1 ? '' : 's'}, ${cpus().length} cores; load average (1, 5, 15 min) ${loadStart} at the ` +
      `start, ${loadText()} at the end.`,
  );
  printResults(columns, s);
}

runBench('bench:tunnel', main);
