// The tunnels the tunnel benchmark compares, each able to carry host A's frames to host B across the
// Underlay and to leave both machines as it found them: the Linux kernel's vxlan device enslaved to a
// Linux bridge, and tsovs (one `tsovs start` per machine, inside the machine's namespace, each in its own
// private rundir) with bridge br1 holding the host's veth end and a vxlan or gre port.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run, runOk } from './proc.js';
import { Rundir } from './switches.js';
import { type Machine, UNDERLAY_DEV, type Underlay } from './underlay.js';

/** The repository root. */
const ROOT = resolve(import.meta.dirname, '..', '..');
/** The VXLAN network identifier (and tsovs's tunnel key) on every setup. */
export const TUNNEL_ID = 42;
/** IANA's VXLAN port, on both the kernel device and tsovs's port (its default). */
export const VXLAN_PORT = 4789;

/** A tunnel under test: `setup` makes A reach B through it; `teardown` undoes all of it. */
export interface TunnelUnderTest {
  /** Column heading. */
  readonly label: string;
  /** One line on how it is set up. */
  readonly how: string;
  setup(u: Underlay): Promise<void>;
  teardown(u: Underlay): Promise<void>;
  /** What to print when it does not forward (logs, status); called before teardown. */
  diagnose?(u: Underlay): Promise<string>;
}

/** Says which devices a teardown left behind (they have been deleted). */
function reportLeftovers(label: string, devices: string[]): void {
  if (devices.length > 0)
    process.stderr.write(`    ${label} left ${devices.join(', ')} behind after stopping (deleted)\n`);
}

/** The kernel's VXLAN: on each machine `vxlan` device vx0 and the host's veth end in Linux bridge kbr0. */
export class KernelVxlan implements TunnelUnderTest {
  readonly label = 'kernel VXLAN';
  readonly how =
    `ip link add vx0 type vxlan id ${TUNNEL_ID} local <self> remote <peer> dstport ${VXLAN_PORT} ` +
    `dev ${UNDERLAY_DEV}; vx0 and the host's veth end in bridge kbr0`;

  async setup(u: Underlay): Promise<void> {
    for (const m of u.machines) {
      const ip = ['ip', '-n', m.ns];
      await runOk([
        ...[...ip, 'link', 'add', 'vx0', 'type', 'vxlan', 'id', String(TUNNEL_ID)],
        ...['local', m.addr, 'remote', m.peerAddr, 'dstport', String(VXLAN_PORT), 'dev', UNDERLAY_DEV],
      ]);
      await runOk([...ip, 'link', 'add', 'kbr0', 'type', 'bridge']);
      for (const port of ['vx0', m.hostPort]) await runOk([...ip, 'link', 'set', port, 'master', 'kbr0']);
      for (const dev of ['vx0', 'kbr0']) await runOk([...ip, 'link', 'set', dev, 'up']);
    }
  }

  async teardown(u: Underlay): Promise<void> {
    // kbr0 and vx0 are this setup's own: their removal is the teardown, not a leftover.
    const gone = (await u.clear()).filter((d) => !/^(kbr0|vx0) /.test(d));
    reportLeftovers(this.label, gone);
  }
}

/** tsovs daemons on one machine: their rundir and the argv/env to reach them. */
interface TsovsMachine {
  machine: Machine;
  dir: Rundir;
}

/** tsovs on both machines: `tsovs start` inside each, br1 with the host's veth end and a `kind` port. */
export class TsovsTunnel implements TunnelUnderTest {
  readonly label: string;
  readonly how: string;
  private running: TsovsMachine[] = [];

  constructor(readonly kind: 'vxlan' | 'gre') {
    this.label = `tsovs ${kind === 'vxlan' ? 'VXLAN' : 'GRE'}`;
    this.how =
      'tsovs start (bin/tsovs.js, compiled) inside each machine, private TSOVS_RUNDIR; ' +
      `add-br br1 -- add-port br1 <veth end> -- add-port br1 tun -- set Interface tun type=${kind} ` +
      `options:remote_ip=<peer> options:key=${TUNNEL_ID}`;
  }

  /** argv that runs the compiled tsovs CLI (`npm run bench:tunnel` builds it first). */
  private cli(): string[] {
    return [process.execPath, join(ROOT, 'bin', 'tsovs.js')];
  }

  private opts(dir: Rundir, timeoutMs = 60000) {
    return { env: { TSOVS_RUNDIR: dir.path, TSOVS_DBDIR: dir.path }, cwd: ROOT, timeoutMs };
  }

  async setup(u: Underlay): Promise<void> {
    for (const machine of u.machines) {
      const dir = new Rundir(`bench-tunnel-${this.kind}-`);
      this.running.push({ machine, dir });
      await runOk([...u.topo.exec(machine.ns), ...this.cli(), 'start'], this.opts(dir));
      const status = await run([...this.cli(), 'status'], this.opts(dir));
      if (status.status !== 0)
        throw new Error(`tsovs start in ${machine.ns}: ${status.stdout.trim().replace(/\n/g, '; ')}`);
      await runOk(
        [
          ...[...this.cli(), 'vsctl', '--timeout=20', 'add-br', 'br1'],
          ...['--', 'add-port', 'br1', machine.hostPort, '--', 'add-port', 'br1', 'tun'],
          ...['--', 'set', 'Interface', 'tun', `type=${this.kind}`, `options:remote_ip=${machine.peerAddr}`],
          `options:key=${TUNNEL_ID}`,
        ],
        this.opts(dir, 25000),
      );
    }
  }

  async diagnose(): Promise<string> {
    const parts: string[] = [];
    for (const { machine, dir } of this.running) {
      const show = await run(
        [...this.cli(), 'vsctl', '--timeout=5', 'get', 'Interface', 'tun', 'error', 'status', 'statistics'],
        this.opts(dir, 10000),
      );
      let log = '';
      try {
        log = readFileSync(join(dir.path, 'ovs-vswitchd.log'), 'utf8')
          .trimEnd()
          .split('\n')
          .slice(-15)
          .join('\n');
      } catch {
        log = '(no ovs-vswitchd.log)';
      }
      parts.push(
        `--- ${machine.ns}: Interface tun error, status, statistics:\n${(show.stdout || show.stderr).trim()}` +
          `\n--- ${machine.ns}: ovs-vswitchd.log (last lines):\n${log}`,
      );
    }
    return parts.join('\n');
  }

  async teardown(u: Underlay): Promise<void> {
    const running = this.running;
    this.running = [];
    for (const { dir } of running.reverse()) {
      const r = await run([...this.cli(), 'stop'], this.opts(dir));
      if (r.status !== 0) process.stderr.write(`    tsovs stop exited ${r.status}: ${r.stderr.trim()}\n`);
      await dir.release();
    }
    reportLeftovers(this.label, await u.clear());
  }
}
