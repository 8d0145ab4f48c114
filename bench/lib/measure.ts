// One run of each figure the switch benchmark takes between hosts A and B: TCP throughput (iperf3), 64-byte
// UDP packets per second (trafgen in A, counted on B's veth) and ping round-trip time. Every run has a
// deadline: a switch that stalls makes a run fail with a reason, never hang.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, run, sleep, waitUntil } from './proc.js';
import { ADDR_A, ADDR_B, DEV_A, DEV_B, MAC_A, MAC_B, type Topology } from './topology.js';

const IPERF_PORT = 5201;

/** TCP throughput A → B in Gbit/s (iperf3, `seconds` long, as B received it); throws when it fails. */
export async function tcpRun(topo: Topology, seconds: number): Promise<number> {
  const server = launch(
    [...topo.exec(topo.b), 'iperf3', '-s', '-1', '-B', ADDR_B, '-p', String(IPERF_PORT)],
    {
      timeoutMs: (seconds + 20) * 1000,
    },
  );
  try {
    await waitUntil(() => listening(topo), 5000, 'the iperf3 server in B');
    const argv = [
      ...topo.exec(topo.a),
      'iperf3',
      '-c',
      ADDR_B,
      '-p',
      String(IPERF_PORT),
      '-t',
      String(seconds),
      '-J',
      '--connect-timeout',
      '3000',
      '--snd-timeout',
      '5000',
    ];
    const r = await run(argv, { timeoutMs: (seconds + 8) * 1000 });
    if (r.signal !== null) throw new Error(`iperf3 stalled (killed after ${seconds + 8} s)`);
    return iperfGbits(r.stdout, r.stderr);
  } finally {
    server.signal('SIGKILL');
    await server.exited;
  }
}

async function listening(topo: Topology): Promise<boolean> {
  const r = await run([...topo.exec(topo.b), 'ss', '-Hltn', `sport = :${IPERF_PORT}`], { timeoutMs: 3000 });
  return r.stdout.trim() !== '';
}

/** The received rate in iperf3's JSON report, in Gbit/s; throws with iperf3's error. */
function iperfGbits(stdout: string, stderr: string): number {
  let report: { error?: string; end?: { sum_received?: { bits_per_second?: number } } };
  try {
    report = JSON.parse(stdout) as typeof report;
  } catch {
    throw new Error(`iperf3 printed no report: ${(stderr || stdout).trim().slice(0, 200)}`);
  }
  if (report.error !== undefined) throw new Error(`iperf3: ${report.error}`);
  const bps = report.end?.sum_received?.bits_per_second;
  if (bps === undefined) throw new Error('iperf3 report has no end.sum_received');
  return bps / 1e9;
}

/** A 60-byte frame (64 on the wire with the FCS): Ethernet, IPv4, UDP to port 9 (discard), zero payload. */
function udpFrame(): number[] {
  const mac = (m: string) => m.split(':').map((h) => Number.parseInt(h, 16));
  const ip = (a: string) => a.split('.').map(Number);
  const ipv4 = [0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, 17, 0, 0, ...ip(ADDR_A), ...ip(ADDR_B)];
  let sum = 0;
  for (let i = 0; i < ipv4.length; i += 2) sum += (ipv4[i] << 8) | ipv4[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  ipv4[10] = (~sum >> 8) & 0xff;
  ipv4[11] = ~sum & 0xff;
  const udp = [0, 9, 0, 9, 0, 26, 0, 0];
  return [...mac(MAC_B), ...mac(MAC_A), 0x08, 0x00, ...ipv4, ...udp, ...new Array<number>(18).fill(0)];
}

/** Writes trafgen's packet configuration (one frame, as bytes) into `dir`; returns its path. */
export function writeTrafgenConfig(dir: string): string {
  const path = join(dir, 'udp64.trafgen');
  const bytes = udpFrame().map((b) => `0x${b.toString(16).padStart(2, '0')}`);
  writeFileSync(
    path,
    `# 64-byte UDP frame A -> B, written by bench/switch.ts\n{\n  ${bytes.join(', ')}\n}\n`,
  );
  return path;
}

/** Packets per second delivered to B (and offered by A) while trafgen floods 64-byte UDP frames. */
export interface PpsResult {
  delivered: number;
  offered: number;
}

/**
 * Runs trafgen in A (one process, pinned by trafgen to CPU 0, packet socket bypassing the qdisc) for
 * `warmupMs` + `seconds`; the rate is the growth of B's veth rx_packets (and A's tx_packets) over the
 * measured window.
 */
export async function ppsRun(
  topo: Topology,
  config: string,
  seconds: number,
  warmupMs: number,
): Promise<PpsResult> {
  const gen = launch(
    [...topo.exec(topo.a), 'trafgen', '-o', DEV_A, '-i', config, '-P', '1', '--no-sock-mem', '-Q', '-C'],
    { timeoutMs: warmupMs + seconds * 1000 + 15000, group: true },
  );
  try {
    await sleep(warmupMs);
    if (gen.child.exitCode !== null || gen.child.signalCode !== null)
      throw new Error(`trafgen exited: ${gen.output().trim().slice(-300)}`);
    const t0 = performance.now();
    const b0 = topo.counters(topo.b, DEV_B).rxPackets;
    const a0 = topo.counters(topo.a, DEV_A).txPackets;
    await sleep(seconds * 1000);
    const b1 = topo.counters(topo.b, DEV_B).rxPackets;
    const a1 = topo.counters(topo.a, DEV_A).txPackets;
    const elapsed = (performance.now() - t0) / 1000;
    if (gen.child.exitCode !== null || gen.child.signalCode !== null)
      throw new Error(`trafgen exited early: ${gen.output().trim().slice(-300)}`);
    return { delivered: (b1 - b0) / elapsed, offered: (a1 - a0) / elapsed };
  } finally {
    gen.signal('SIGINT');
    const forced = setTimeout(() => gen.signal('SIGKILL'), 3000);
    await gen.exited;
    clearTimeout(forced);
  }
}

/** Round-trip times of one ping run, in ms. */
export interface RttResult {
  median: number;
  avg: number;
  lost: number;
}

/** `count` pings A → B every 10 ms; the median and mean of the replies' times. Throws if most are lost. */
export async function pingRun(topo: Topology, count: number): Promise<RttResult> {
  const r = await run(
    [...topo.exec(topo.a), 'ping', '-n', '-c', String(count), '-i', '0.01', '-W', '1', ADDR_B],
    {
      timeoutMs: count * 10 + 15000,
    },
  );
  const times = [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  if (times.length < count / 2)
    throw new Error(
      `ping: ${times.length} of ${count} replies (${(r.stderr || r.stdout).trim().slice(-200)})`,
    );
  return {
    median: median(times),
    avg: times.reduce((s, x) => s + x, 0) / times.length,
    lost: count - times.length,
  };
}

/** True when one ping A → B gets an answer within a second. */
export async function pingOnce(topo: Topology): Promise<boolean> {
  const r = await run([...topo.exec(topo.a), 'ping', '-n', '-c', '1', '-W', '1', ADDR_B], {
    timeoutMs: 5000,
  });
  return r.status === 0;
}

/**
 * Warm-up traffic before any figure is taken, the same for every switch: a flood ping of `count` echoes.
 * A daemon that has just started (tsovs: V8 compiles its per-packet code once it is hot) would otherwise
 * be measured cold, which says nothing about a switch that has been running for a while.
 */
export async function warmUp(topo: Topology, count: number): Promise<void> {
  await run([...topo.exec(topo.a), 'ping', '-n', '-f', '-q', '-c', String(count), '-W', '1', ADDR_B], {
    timeoutMs: 30000,
  });
}

/** The median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
