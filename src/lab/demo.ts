// `tsovs demo`: the seed's whole experiment (SEED-EN.md) in one command. Brings up labs/seed-<tunnel>.yaml
// (node3 and node4, A1/B1 and A2/B2, br1–br2–br3 in a loop with STP, the tunnel on br1), waits for the
// spanning tree to converge across the tunnel, runs the lab's checks (the seed's pings, captures on
// node3's eth1), prints what the seed printed and a summary table, and takes everything down again.
import { join } from 'node:path';
import { packageRoot } from '../util/paths.js';
import { type CheckResult, resultsTable, runChecks, waitForReply } from './checks.js';
import { hostOf, type Lab, type PingCheck } from './model.js';
import type { Progress } from './progress.js';
import { describeRemoved, labUp, teardown } from './runner.js';
import { LabPaths } from './state.js';
import { checkBinaries, which } from './system.js';
import { loadLab } from './validate.js';

/** The tunnels the demo can use, each with its lab file. */
export const DEMO_TUNNELS = ['gre', 'vxlan', 'geneve'] as const;
export type DemoTunnel = (typeof DEMO_TUNNELS)[number];

const TITLES: Record<DemoTunnel, string> = {
  gre: 'GRE',
  vxlan: 'VXLAN (UDP port 4789)',
  geneve: 'Geneve (UDP port 6081)',
};

/** Options of runDemo. */
export interface DemoOptions {
  readonly tunnel: DemoTunnel;
  readonly keep: boolean;
  readonly progress: Progress;
  /** Where the seed's output and the summary go. */
  readonly print: (line: string) => void;
  readonly signal?: AbortSignal;
}

/** The lab file of a tunnel kind. */
export function demoLabFile(tunnel: DemoTunnel): string {
  return join(packageRoot(), 'labs', `seed-${tunnel}.yaml`);
}

/** The first ping that crosses hosts (its target lives on another host): the sign STP has converged. */
function crossHostPing(lab: Lab): PingCheck | undefined {
  const owner = new Map<string, string>();
  for (const h of lab.hosts) for (const a of h.addresses) owner.set(a.cidr.split('/')[0], h.name);
  const pings = lab.checks.filter((c): c is PingCheck => c.kind === 'ping' && c.expect === 'reply');
  return (
    pings.find((p) => {
      const to = owner.get(p.to);
      return to !== undefined && to !== hostOf(lab, p.from)?.name;
    }) ?? pings[0]
  );
}

/** Runs the demo; resolves to the exit status (0 when every check passed). */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const { progress, print } = opts;
  const file = demoLabFile(opts.tunnel);
  const lab = loadLab(file);
  checkBinaries(['ip', 'ping']);
  print(`tsovs demo: the seed's experiment over ${TITLES[opts.tunnel]} (${file})`);
  print(
    '  two hosts, node3 and node4, joined by eth1; on each, two machines (A1/B1, A2/B2), three bridges in a loop with STP, a tunnel on br1',
  );
  if (which('tcpdump') === undefined)
    print('  note: tcpdump is not installed, so the captures on eth1 cannot run (apt-get install tcpdump)');
  const paths = new LabPaths(lab.name);
  await labUp(lab, paths, { progress, signal: opts.signal });
  const t0 = Date.now();
  let results: CheckResult[] = [];
  try {
    const probe = crossHostPing(lab);
    if (probe !== undefined) {
      const what = `spanning tree converging: waiting until ${probe.from} reaches ${probe.to} across the tunnel`;
      progress.step(what);
      const tick = (s: number) => progress.update(`${what} (${s.toFixed(0)} s)`);
      const ok = await waitForReply(probe.from, probe.to, 90, tick, opts.signal);
      const took = ((Date.now() - t0) / 1000).toFixed(1);
      if (ok) progress.succeed(`spanning tree converged: ${probe.from} reaches ${probe.to} after ${took} s`);
      else progress.fail(`${probe.from} does not reach ${probe.to} after ${took} s`);
    }
    if (!opts.signal?.aborted) results = await runChecks(lab, { progress, signal: opts.signal });
    if (!opts.signal?.aborted) {
      printSeedOutput(results, print);
      print('');
      print('Summary:');
      for (const line of resultsTable(results).split('\n')) print(`  ${line}`);
    }
  } finally {
    // With --keep the lab stays up (how to look around is printed last), unless interrupted.
    if (!opts.keep || opts.signal?.aborted) {
      progress.step('removing the lab: daemons, namespaces and their links, run directory');
      const state = paths.read();
      const removed = state === undefined ? undefined : await teardown(paths, state);
      progress.succeed(removed === undefined ? 'nothing to remove' : `removed ${describeRemoved(removed)}`);
    }
  }
  if (opts.signal?.aborted) {
    print('Interrupted: everything the demo made has been removed.');
    return 130;
  }
  const failed = results.filter((r) => !r.ok).length;
  print(
    failed === 0
      ? `All ${results.length} checks passed: the seed's network works over ${TITLES[opts.tunnel]}.`
      : `${failed} of ${results.length} checks failed.`,
  );
  if (opts.keep) {
    const name = `seed-${opts.tunnel}`;
    print('');
    print('The lab is still up (--keep). Look around, then take it down:');
    print(`  npx tsovs lab exec ${name} node3 -- npx tsovs vsctl show`);
    print(`  npx tsovs lab exec ${name} node3 -- npx tsovs appctl stp/show br1`);
    print(`  npx tsovs lab exec ${name} B1 -- ping -c 3 192.168.10.10`);
    print(`  npx tsovs lab down ${name}`);
  }
  return failed === 0 && results.length > 0 ? 0 : 1;
}

/** The seed's own output: ping replies from each namespace, then the captured lines. */
function printSeedOutput(results: readonly CheckResult[], print: (line: string) => void): void {
  print('');
  print("The seed's pings:");
  for (const r of results) {
    if (r.check.kind !== 'ping') continue;
    print(`  [${r.check.from}]# ping ${r.check.to}`);
    if (r.output.length === 0) print(`  ${r.detail}`);
    for (const line of r.output) print(`  ${line}`);
  }
  const captures = results.filter((r) => r.check.kind === 'capture');
  if (captures.length === 0) return;
  const where =
    captures[0].check.kind === 'capture' ? `${captures[0].check.link.ns}:${captures[0].check.link.dev}` : '';
  print('');
  print(`On the wire (tcpdump -nn on ${where}):`);
  for (const r of captures) {
    if (r.check.kind !== 'capture') continue;
    const how = r.check.args.length > 0 ? ` (tcpdump ${r.check.args.join(' ')})` : '';
    if (!r.ok) print(`  not seen${how}: /${r.check.match.source}/`);
    for (const line of r.ok ? r.output : []) print(`  ${line}${how}`);
  }
}
