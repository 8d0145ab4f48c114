// What the switch integration tests share: a Lab (test/helpers/netns.ts) with a private run directory,
// a tsovs ovsdb-server, and `tsovs vswitchd` running inside its own network namespace (so its TAPs and
// the veth ends it uses never meet another test's), plus `tsovs vsctl` / `tsovs appctl` against them.
// cleanup() stops vswitchd with SIGTERM (which deletes its TAPs), then removes everything the Lab made.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { nativeAvailable } from '../../src/netdev/native.js';
import {
  canConnect,
  type DbServer,
  ROOT,
  type RunResult,
  runCommand,
  runTsovs,
  startTsovsServer,
  tempDir,
  vsctlOk,
  waitFor,
} from '../helpers/daemons.js';
import { Lab, requireRoot } from '../helpers/netns.js';

/** A switch under test with its lab. */
export class SwitchLab {
  readonly lab = new Lab();
  readonly dir = tempDir('tsovs-switch-');
  /** The namespace vswitchd runs in (bridge ports live here). */
  sw = '';
  db: DbServer | null = null;
  vswitchd: ChildProcess | null = null;

  get ctl(): string {
    return join(this.dir, 'ovs-vswitchd.ctl');
  }

  /** Starts the database and the switch. */
  async start(): Promise<void> {
    this.lab.onCleanup(() => rmSync(this.dir, { recursive: true, force: true }));
    this.db = await startTsovsServer(this.dir);
    this.lab.onCleanup(() => this.db?.stop(true));
    this.sw = this.lab.netns('tsw');
    await this.startSwitch();
  }

  /** Starts (or restarts) vswitchd in the switch namespace; resolves once its control socket answers. */
  async startSwitch(): Promise<void> {
    const args = [
      '--import',
      'tsx',
      join(ROOT, 'src', 'cli', 'main.ts'),
      'vswitchd',
      `unix:${this.db?.sock}`,
      `--pidfile=${join(this.dir, 'ovs-vswitchd.pid')}`,
      `--unixctl=${this.ctl}`,
      `--log-file=${join(this.dir, 'ovs-vswitchd.log')}`,
    ];
    // Its own run directory: BRIDGE.mgmt sockets land there, not in a /var/run/tsovs other tests share.
    const child = this.lab.spawnIn(this.sw, 'env', [`TSOVS_RUNDIR=${this.dir}`, process.execPath, ...args]);
    this.vswitchd = child;
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`vswitchd exited: ${stderr}`);
        return existsSync(this.ctl) && (await canConnect(this.ctl));
      },
      30000,
      'vswitchd control socket',
    );
  }

  /** Stops vswitchd with SIGTERM and waits for it (its TAPs go with it). */
  async stopSwitch(): Promise<number | null> {
    const c = this.vswitchd;
    this.vswitchd = null;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return c?.exitCode ?? null;
    const done = new Promise<number | null>((res) => c.once('exit', (code) => res(code)));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 10000);
    const code = await done;
    clearTimeout(timer);
    return code;
  }

  /** `tsovs vsctl ARGS` (waiting for vswitchd, at most 30 s); throws with its stderr unless it succeeds. */
  vsctl(...args: string[]): Promise<string> {
    return vsctlOk(this.db?.sock ?? '', ...args);
  }

  /** `tsovs vsctl ARGS`, whatever its outcome. */
  vsctlRun(...args: string[]): Promise<RunResult> {
    return runTsovs(['vsctl', `--db=unix:${this.db?.sock}`, '--timeout=30', ...args]);
  }

  /** `tsovs appctl -t CTL ARGS`; throws unless it succeeds. */
  async appctl(...args: string[]): Promise<string> {
    const r = await runTsovs(['appctl', '-t', this.ctl, ...args]);
    if (r.status !== 0) throw new Error(`appctl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  }

  /** A bridge's OpenFlow management socket, as an ovs-ofctl target. */
  mgmt(br: string): string {
    return `unix:${join(this.dir, `${br}.mgmt`)}`;
  }

  /** The real `ovs-ofctl CMD TARGET ARGS` (options like -O go in `opts`); throws unless it succeeds. */
  async ofctl(br: string, cmd: string, ...args: string[]): Promise<string> {
    return this.ofctlWith([], br, cmd, ...args);
  }

  /** Like ofctl(), with options before the command (e.g. ['-O', 'OpenFlow13']). */
  async ofctlWith(opts: string[], br: string, cmd: string, ...args: string[]): Promise<string> {
    const r = await runCommand('ovs-ofctl', [...opts, cmd, this.mgmt(br), ...args], {}, 30000);
    if (r.status !== 0)
      throw new Error(`ovs-ofctl ${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  }

  /** The vswitchd log so far (for failure messages). */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'ovs-vswitchd.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Stops vswitchd, then removes everything the lab made; never throws. */
  async cleanup(): Promise<void> {
    await this.stopSwitch().catch(() => null);
    await this.lab.cleanup();
  }
}

/** The seed's hosts and their links (names with the Lab's per-run suffix). */
export interface SeedHosts {
  a1: string;
  b1: string;
  /** Switch-side and host-side ends of A1's and B1's veths. */
  a11: string;
  a12: string;
  b11: string;
  b12: string;
  /** The b23 pair, both ends in the switch namespace. */
  b231: string;
  b232: string;
}

/** The seed's two "machines" on one host: their names and addresses (node3's A1/B1 by default). */
export interface SeedNames {
  a: string;
  b: string;
  aAddr: string;
  bAddr: string;
}

const NODE3: SeedNames = { a: 'A1', b: 'B1', aAddr: '192.168.10.1/24', bAddr: '192.168.10.2/24' };

/** Builds the seed's first step minus the bridges: A1 (192.168.10.1/24) and B1 (192.168.10.2/24), their
 * veths a1.1/a1.2 and b1.1/b1.2, and the b23.1/b23.2 pair (or node4's A2/B2 with `names`). */
export function seedHosts(sl: SwitchLab, names: SeedNames = NODE3): SeedHosts {
  const a1 = sl.lab.netns(names.a);
  const b1 = sl.lab.netns(names.b);
  const an = names.a.toLowerCase();
  const bn = names.b.toLowerCase();
  const [a11, a12] = sl.lab.veth(`${an}.1`, sl.sw, `${an}.2`, a1);
  const [b11, b12] = sl.lab.veth(`${bn}.1`, sl.sw, `${bn}.2`, b1);
  const [b231, b232] = sl.lab.veth('b23.1', sl.sw, 'b23.2', sl.sw);
  sl.lab.address(a1, a12, names.aAddr);
  sl.lab.address(b1, b12, names.bAddr);
  return { a1, b1, a11, a12, b11, b12, b231, b232 };
}

/**
 * The seed's triangle with its hosts (SEED-EN.md steps 3–8): A on br2, B on br3, br1–br2–br3 joined by
 * b12, b13 and b23, bridges made and ports added; `tree` picks the protocol (STP with Open vSwitch's
 * minimum timers), br1 has the lowest priority.
 */
export async function seedLoop(sl: SwitchLab, tree: 'stp' | 'rstp', names: SeedNames = NODE3) {
  const hosts = seedHosts(sl, names);
  const [b121, b122] = sl.lab.veth('b12.1', sl.sw, 'b12.2', sl.sw);
  const [b131, b132] = sl.lab.veth('b13.1', sl.sw, 'b13.2', sl.sw);
  const knobs = tree === 'stp' ? ['stp_enable=true', ...STP_FAST] : ['rstp_enable=true'];
  const args: string[] = [];
  for (const br of ['br1', 'br2', 'br3']) {
    const priority = tree === 'stp' ? 'other_config:stp-priority=4096' : 'other_config:rstp-priority=4096';
    args.push('--', 'add-br', br, '--', 'set', 'Bridge', br, ...knobs, ...(br === 'br1' ? [priority] : []));
  }
  await sl.vsctl(...args.slice(1));
  await sl.vsctl('add-port', 'br2', hosts.a11, '--', 'add-port', 'br3', hosts.b11);
  await sl.vsctl('add-port', 'br2', hosts.b232, '--', 'add-port', 'br3', hosts.b231);
  await sl.vsctl('add-port', 'br1', b122, '--', 'add-port', 'br1', b132);
  await sl.vsctl('add-port', 'br2', b121, '--', 'add-port', 'br3', b131);
  return { ...hosts, b121, b122, b131, b132, loopPorts: [b121, b122, b131, b132, hosts.b231, hosts.b232] };
}

/** Open vSwitch's minimum STP timers (stp-hello-time is read in ms, the others in seconds). */
export const STP_FAST = [
  'other_config:stp-forward-delay=4',
  'other_config:stp-max-age=6',
  'other_config:stp-hello-time=1000',
];

/** Interfaces in STP state `state` in `stp/show` output. */
export function stpPortsIn(show: string, state: string): string[] {
  return [...show.matchAll(/^\s+(\S+)\s+(root|designated|alternate|disabled)\s+(\S+)/gm)]
    .filter((m) => m[3] === state)
    .map((m) => m[1]);
}

/** Skips unless root and the native addon are there (under CI=true a missing addon fails). */
export function requireSwitchLab(t: TestContext): boolean {
  if (!requireRoot(t)) return false;
  if (nativeAvailable()) return true;
  if (process.env.CI === 'true') throw new Error('the native addon is not built (npm install builds it)');
  t.skip('the native addon is not built (npm install builds it)');
  return false;
}

/**
 * Starts `tcpdump -nn -l -v -i DEV ARGS` in `ns` (a child of `sl`'s lab: killed by its cleanup); resolves
 * once it listens. stop() ends it and returns what it printed.
 */
export async function capture(sl: SwitchLab, ns: string, dev: string, args: string[]) {
  const child = sl.lab.spawnIn(ns, 'tcpdump', ['-nn', '-l', '-v', '-i', dev, ...args]);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  await waitFor(() => err.includes('listening on'), 10000, 'tcpdump to start');
  return {
    text: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((res) => child.once('exit', res));
        child.kill('SIGINT');
        await done;
      }
      return out;
    },
  };
}
