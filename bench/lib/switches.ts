// The three switches the benchmark puts between hosts A and B, each able to set itself up on the switch
// namespace's two veth ends and to leave the namespace as it found it: the Linux bridge, Open vSwitch 3.1
// with its userspace (netdev) datapath in a private rundir, and tsovs (`tsovs start` in a private rundir).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { haveCommand, janitor, killPid, ourPid, run, runOk, stopPid } from './proc.js';
import { SW_PORT_A, SW_PORT_B, type Topology } from './topology.js';

/** The repository root. */
const ROOT = resolve(import.meta.dirname, '..', '..');
/** Open vSwitch's installed schema. */
const OVS_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/** A switch under test: `setup` makes it forward between swa and swb; `teardown` undoes all of it. */
export interface SwitchUnderTest {
  /** Column heading. */
  readonly label: string;
  /** One line on how it was run. */
  readonly how: string;
  setup(topo: Topology): Promise<void>;
  teardown(topo: Topology): Promise<void>;
}

/** A switch run from a private directory, reachable by OpenFlow on its bridge's management socket. */
export interface OpenFlowSwitchUnderTest extends SwitchUnderTest {
  /** `unix:DIR/br0.mgmt`. */
  ofTarget(): string;
  /** The switch daemon's pid (for its memory). */
  switchPid(): number | undefined;
  /** Runs the switch's own vsctl with `args`; resolves to stdout. */
  vsctl(args: string[]): Promise<string>;
}

/** The pid in `dir`'s pid file whose name contains "vswitchd". */
function vswitchdPid(dir: Rundir | undefined): number | undefined {
  if (dir === undefined) return undefined;
  const file = readdirSync(dir.path).find((f) => f.includes('vswitchd') && f.endsWith('.pid'));
  return file === undefined ? undefined : ourPid(join(dir.path, file), dir.path);
}

/** The kernel's bridge, both veth ends enslaved. */
export class LinuxBridge implements SwitchUnderTest {
  readonly label = 'Linux bridge';
  readonly how = 'ip link add lbr0 type bridge; both veth ends enslaved';

  async setup(topo: Topology): Promise<void> {
    const ip = ['ip', '-n', topo.sw];
    await runOk([...ip, 'link', 'add', 'lbr0', 'type', 'bridge']);
    for (const port of [SW_PORT_A, SW_PORT_B]) await runOk([...ip, 'link', 'set', port, 'master', 'lbr0']);
    await runOk([...ip, 'link', 'set', 'lbr0', 'up']);
  }

  async teardown(topo: Topology): Promise<void> {
    await topo.clearSwitchNamespace();
  }
}

/** Says which devices a stopped switch left in the switch namespace (they have been deleted). */
function reportLeftovers(label: string, devices: string[]): void {
  if (devices.length > 0)
    process.stderr.write(`  ${label} left ${devices.join(', ')} behind after stopping (deleted)\n`);
}

/** A private directory whose daemons (found through its *.pid files) are killed and which is removed by `release`. */
export class Rundir {
  readonly path: string;
  private readonly undo: () => void;

  constructor(prefix: string) {
    this.path = mkdtempSync(join(tmpdir(), prefix));
    this.undo = janitor.add(`rundir ${this.path}`, () => {
      for (const pid of this.daemons()) killPid(pid);
      rmSync(this.path, { recursive: true, force: true });
    });
  }

  /** Live processes named by pid files in the directory (and really started with it). */
  daemons(): number[] {
    let files: string[];
    try {
      files = readdirSync(this.path).filter((f) => f.endsWith('.pid'));
    } catch {
      return [];
    }
    return files
      .map((f) => ourPid(join(this.path, f), this.path))
      .filter((p): p is number => p !== undefined);
  }

  /** Stops what is still running (SIGTERM, then SIGKILL) and removes the directory. */
  async release(): Promise<void> {
    for (const pid of this.daemons()) await stopPid(pid);
    this.undo();
  }
}

/** Open vSwitch 3.1: its own ovsdb-server and ovs-vswitchd in a private rundir, bridge with datapath_type=netdev. */
export class OpenVswitch implements OpenFlowSwitchUnderTest {
  readonly label = 'OVS 3.1 netdev';
  readonly how = 'ovsdb-server + ovs-vswitchd --detach in a private rundir, br0 datapath_type=netdev';
  private dir: Rundir | undefined;

  ofTarget(): string {
    return `unix:${join(this.dir?.path ?? '', 'br0.mgmt')}`;
  }

  switchPid(): number | undefined {
    return vswitchdPid(this.dir);
  }

  vsctl(args: string[]): Promise<string> {
    const d = this.dir?.path ?? '';
    return runOk(['ovs-vsctl', `--db=unix:${join(d, 'db.sock')}`, ...args], {
      env: { OVS_RUNDIR: d, OVS_DBDIR: d, OVS_LOGDIR: d },
    });
  }

  async setup(topo: Topology): Promise<void> {
    const missing = ['ovsdb-tool', 'ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl'].filter(
      (c) => !haveCommand(c),
    );
    if (missing.length > 0)
      throw new Error(`${missing.join(', ')} not installed (apt-get install openvswitch-switch)`);
    const dir = new Rundir('bench-switch-ovs-');
    this.dir = dir;
    const d = dir.path;
    const env = { OVS_RUNDIR: d, OVS_DBDIR: d, OVS_LOGDIR: d };
    const inSw = topo.exec(topo.sw);
    await runOk(['ovsdb-tool', 'create', join(d, 'conf.db'), OVS_SCHEMA]);
    await runOk(
      [
        ...inSw,
        'ovsdb-server',
        join(d, 'conf.db'),
        `--remote=punix:${join(d, 'db.sock')}`,
        `--pidfile=${join(d, 'ovsdb-server.pid')}`,
        `--unixctl=${join(d, 'ovsdb-server.ctl')}`,
        `--log-file=${join(d, 'ovsdb-server.log')}`,
        '--no-chdir',
        '--detach',
      ],
      { env },
    );
    const vsctl = ['ovs-vsctl', `--db=unix:${join(d, 'db.sock')}`];
    await runOk([...vsctl, '--no-wait', 'init'], { env });
    await runOk(
      [
        ...inSw,
        'ovs-vswitchd',
        `unix:${join(d, 'db.sock')}`,
        `--pidfile=${join(d, 'ovs-vswitchd.pid')}`,
        `--unixctl=${join(d, 'ovs-vswitchd.ctl')}`,
        `--log-file=${join(d, 'ovs-vswitchd.log')}`,
        '--no-chdir',
        '--detach',
      ],
      { env },
    );
    await runOk(
      [
        ...vsctl,
        '--timeout=20',
        'add-br',
        'br0',
        '--',
        'set',
        'bridge',
        'br0',
        'datapath_type=netdev',
        '--',
        'add-port',
        'br0',
        SW_PORT_A,
        '--',
        'add-port',
        'br0',
        SW_PORT_B,
      ],
      { env, timeoutMs: 25000 },
    );
  }

  async teardown(topo: Topology): Promise<void> {
    await this.dir?.release();
    this.dir = undefined;
    // Killing ovs-vswitchd leaves its TAP devices (br0, ovs-netdev) behind.
    reportLeftovers(this.label, await topo.clearSwitchNamespace());
  }
}

/** tsovs, run from source: `tsovs start` with TSOVS_RUNDIR private, then `tsovs vsctl add-br/add-port`. */
export class Tsovs implements OpenFlowSwitchUnderTest {
  readonly label = 'tsovs';
  readonly how = 'tsovs start (bin/tsovs.js, compiled) in a private TSOVS_RUNDIR, br0 + both veth ends';
  private dir: Rundir | undefined;

  ofTarget(): string {
    return `unix:${join(this.dir?.path ?? '', 'br0.mgmt')}`;
  }

  switchPid(): number | undefined {
    return vswitchdPid(this.dir);
  }

  vsctl(args: string[]): Promise<string> {
    const d = this.dir?.path ?? '';
    return runOk([...this.cli(), 'vsctl', ...args], { env: { TSOVS_RUNDIR: d, TSOVS_DBDIR: d }, cwd: ROOT });
  }

  /** argv that runs the compiled tsovs CLI (`npm run bench` builds it first). */
  private cli(): string[] {
    return [process.execPath, join(ROOT, 'bin', 'tsovs.js')];
  }

  async setup(topo: Topology): Promise<void> {
    const dir = new Rundir('bench-switch-tsovs-');
    this.dir = dir;
    const opts = { env: { TSOVS_RUNDIR: dir.path, TSOVS_DBDIR: dir.path }, cwd: ROOT, timeoutMs: 60000 };
    await runOk([...topo.exec(topo.sw), ...this.cli(), 'start'], opts);
    const status = await run([...this.cli(), 'status'], opts);
    if (!/vswitchd is running/.test(status.stdout)) {
      // `tsovs start` that only knows ovsdb-server: start the switch the way it would.
      process.stderr.write(
        `  tsovs start did not start vswitchd (tsovs status: ${status.stdout.trim().replace(/\n/g, '; ')}); ` +
          'starting `tsovs vswitchd --detach` directly\n',
      );
      const db = `unix:${join(dir.path, 'db.sock')}`;
      await runOk(
        [...topo.exec(topo.sw), ...this.cli(), 'vswitchd', db, '--pidfile', '--log-file', '--detach'],
        opts,
      );
    }
    await runOk(
      [
        ...this.cli(),
        'vsctl',
        '--timeout=20',
        'add-br',
        'br0',
        '--',
        'add-port',
        'br0',
        SW_PORT_A,
        '--',
        'add-port',
        'br0',
        SW_PORT_B,
      ],
      { ...opts, timeoutMs: 25000 },
    );
  }

  async teardown(topo: Topology): Promise<void> {
    const dir = this.dir;
    this.dir = undefined;
    if (dir !== undefined) {
      const r = await run([...this.cli(), 'stop'], { env: { TSOVS_RUNDIR: dir.path }, cwd: ROOT });
      if (r.status !== 0) process.stderr.write(`  tsovs stop exited ${r.status}: ${r.stderr.trim()}\n`);
      await dir.release();
    }
    reportLeftovers(this.label, await topo.clearSwitchNamespace());
  }
}
