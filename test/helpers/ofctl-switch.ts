// A real Open vSwitch 3.1 switch for comparing `tsovs ofctl` with `ovs-ofctl`: ovsdb-server and
// ovs-vswitchd (with the dummy netdev class enabled) in a private run directory, one bridge with
// datapath_type=netdev whose name is unique per run and two dummy ports with fixed OpenFlow numbers. The
// switch (either kind) runs in a network namespace of its own (test/helpers/private-netns.ts): Open
// vSwitch's userspace datapath creates the TAP device `ovs-netdev` and the bridge's LOCAL TAP there, so two
// switches from test files running at once do not collide; the sockets are files, reachable from here.
// Cleanup kills both daemons by pid file, waits until they are gone, deletes the namespace and removes
// the directory, whether or not start() got through.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  killByPidFile,
  OVS_SCHEMA,
  type RunResult,
  runCommand,
  tempDir,
  tsovsArgv,
  waitFor,
} from './daemons.js';
import { addPrivateNetns, deletePrivateNetns, inNetns } from './private-netns.js';

/** Runs `cmd ARGS` with `stdin` as its input (none: empty), killed after `timeoutMs`. */
export function runWithInput(
  cmd: string,
  args: readonly string[],
  stdin = '',
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 20000,
): Promise<RunResult> {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.stdin.on('error', () => undefined);
  child.stdin.end(stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((res, rej) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      rej(err);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      res({ stdout, stderr, status, signal });
    });
  });
}

/** The programs an OfctlSwitch needs. */
export const OFCTL_SWITCH_BINARIES = ['ovsdb-tool', 'ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl', 'ovs-ofctl'];

/** Which switch answers: Open vSwitch's ovs-vswitchd, or `tsovs vswitchd` (both over the real ovsdb-server). */
export type OfctlSwitchKind = 'ovs' | 'tsovs';

/** ovsdb-server + a switch with one netdev bridge and two dummy ports (OpenFlow ports 1 and 2). */
export class OfctlSwitch {
  constructor(readonly kind: OfctlSwitchKind = 'ovs') {}

  readonly dir = tempDir('ofctl-ovs-');
  /** Bridge name: unique, short enough for a TAP device. */
  readonly bridge = `tof${process.pid.toString(36).slice(-4)}${Math.floor(Math.random() * 1296)
    .toString(36)
    .padStart(2, '0')}`;
  readonly ports = [`${this.bridge}a`, `${this.bridge}b`];
  private started = false;
  /** The switch's own network namespace, once made. */
  private netns: string | null = null;

  get env(): NodeJS.ProcessEnv {
    return { OVS_RUNDIR: this.dir, OVS_DBDIR: this.dir, OVS_LOGDIR: this.dir, TSOVS_RUNDIR: this.dir };
  }

  get db(): string {
    return join(this.dir, 'db.sock');
  }

  /** The bridge's OpenFlow management socket. */
  get mgmt(): string {
    return join(this.dir, `${this.bridge}.mgmt`);
  }

  private async ok(cmd: string, args: string[]): Promise<string> {
    const r = await runCommand(cmd, args, this.env, 30000);
    if (r.status !== 0)
      throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
    return r.stdout;
  }

  async start(): Promise<void> {
    this.started = true;
    const d = this.dir;
    await this.ok('ovsdb-tool', ['create', join(d, 'conf.db'), OVS_SCHEMA]);
    await this.ok('ovsdb-server', [
      join(d, 'conf.db'),
      `--remote=punix:${this.db}`,
      `--pidfile=${join(d, 'ovsdb-server.pid')}`,
      `--unixctl=${join(d, 'ovsdb-server.ctl')}`,
      `--log-file=${join(d, 'ovsdb-server.log')}`,
      '--no-chdir',
      '--detach',
    ]);
    await this.vsctl('--no-wait', 'init');
    this.netns = await addPrivateNetns('tsovs-ofsw');
    const [program, ...pre] = this.kind === 'ovs' ? ['ovs-vswitchd'] : [...tsovsArgv(), 'vswitchd'];
    await this.ok(
      ...inNetns(this.netns, program, [
        ...pre,
        `unix:${this.db}`,
        '--enable-dummy',
        `--pidfile=${join(d, 'ovs-vswitchd.pid')}`,
        `--unixctl=${join(d, 'ovs-vswitchd.ctl')}`,
        `--log-file=${join(d, 'ovs-vswitchd.log')}`,
        '--no-chdir',
        '--detach',
      ]),
    );
    const [a, b] = this.ports;
    await this.vsctl(
      ...['add-br', this.bridge, '--', 'set', 'bridge', this.bridge, 'datapath_type=netdev'],
      ...['other-config:datapath-id=00000000000000a1', 'other-config:hwaddr=aa:55:aa:55:00:a1'],
      ...['--', 'add-port', this.bridge, a, '--', 'set', 'interface', a, 'type=dummy', 'ofport_request=1'],
      ...['--', 'add-port', this.bridge, b, '--', 'set', 'interface', b, 'type=dummy', 'ofport_request=2'],
    );
    await waitFor(() => existsSync(this.mgmt), 20000, `${this.bridge}.mgmt`);
  }

  /** ovs-vsctl against this database (waits for ovs-vswitchd). */
  vsctl(...args: string[]): Promise<string> {
    return this.ok('ovs-vsctl', [`--db=unix:${this.db}`, '--timeout=30', ...args]);
  }

  /** ovs-ofctl ARGS, with the word SWITCH replaced by `unix:<mgmt>`. */
  ofctl(args: readonly string[], stdin = ''): Promise<RunResult> {
    return runWithInput(
      'ovs-ofctl',
      args.map((a) => (a === 'SWITCH' ? `unix:${this.mgmt}` : a)),
      stdin,
    );
  }

  /** ovs-vswitchd's log (for failure messages). */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'ovs-vswitchd.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Kills the daemon whose pid file is `name`.pid in the run directory. */
  private kill(name: string): Promise<void> {
    return killByPidFile(this.dir, name);
  }

  /** Stops both daemons, deletes the switch's namespace (and so its devices) and the run directory; never throws. */
  async cleanup(): Promise<void> {
    if (this.started) {
      await this.kill('ovs-vswitchd').catch(() => undefined);
      await this.kill('ovsdb-server').catch(() => undefined);
      await deletePrivateNetns(this.netns);
      this.netns = null;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
