// Real Open vSwitch (Debian's openvswitch-switch, 3.1) as a peer in integration tests: its own
// ovsdb-server and ovs-vswitchd in a private run directory, the switch detached inside a network
// namespace (so it sees that namespace's veths; bridges there must use datapath_type=netdev, the kernel
// has no openvswitch module), both killed by pid file and the directory removed in cleanup.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { killByPidFile, OVS_SCHEMA, type RunResult, runCommand, tempDir, waitFor } from './daemons.js';

/** The programs a RealOvs needs. */
export const REAL_OVS_BINARIES = ['ovsdb-tool', 'ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl', 'ovs-appctl'];

/** A real ovsdb-server + ovs-vswitchd pair with a private run directory. */
export class RealOvs {
  readonly dir = tempDir('real-ovs-');
  private started = false;

  get env(): NodeJS.ProcessEnv {
    return { OVS_RUNDIR: this.dir, OVS_DBDIR: this.dir, OVS_LOGDIR: this.dir };
  }

  get sock(): string {
    return join(this.dir, 'db.sock');
  }

  /** ovs-vswitchd's control socket (for `ovs-appctl -t`). */
  get ctl(): string {
    return join(this.dir, 'ovs-vswitchd.ctl');
  }

  private async ok(cmd: string, args: string[], timeoutMs = 30000): Promise<string> {
    const r = await runCommand(cmd, args, this.env, timeoutMs);
    if (r.status !== 0) {
      throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}${r.stdout}`);
    }
    return r.stdout;
  }

  /**
   * Starts ovsdb-server (in the root namespace: it only needs its unix socket) and ovs-vswitchd inside
   * namespace `ns`, both detached with pid files; resolves once the switch answers on its control socket.
   * Call `cleanup()` afterwards whether or not this succeeded.
   */
  async start(ns: string): Promise<void> {
    this.started = true;
    const d = this.dir;
    await this.ok('ovsdb-tool', ['create', join(d, 'conf.db'), OVS_SCHEMA]);
    await this.ok('ovsdb-server', [
      join(d, 'conf.db'),
      `--remote=punix:${this.sock}`,
      `--pidfile=${join(d, 'ovsdb-server.pid')}`,
      `--unixctl=${join(d, 'ovsdb-server.ctl')}`,
      `--log-file=${join(d, 'ovsdb-server.log')}`,
      '--no-chdir',
      '--detach',
    ]);
    await this.ok('ovs-vsctl', [`--db=unix:${this.sock}`, '--no-wait', 'init']);
    await this.ok('ip', [
      'netns',
      'exec',
      ns,
      'ovs-vswitchd',
      `unix:${this.sock}`,
      `--pidfile=${join(d, 'ovs-vswitchd.pid')}`,
      `--unixctl=${this.ctl}`,
      `--log-file=${join(d, 'ovs-vswitchd.log')}`,
      '--no-chdir',
      '--detach',
    ]);
    await waitFor(
      async () => existsSync(this.ctl) && (await this.appctlRun('version')).status === 0,
      30000,
      'ovs-vswitchd control socket',
    );
  }

  /** `ovs-vsctl --timeout=30 ARGS` against this database (waits for ovs-vswitchd); throws unless it succeeds. */
  vsctl(...args: string[]): Promise<string> {
    return this.ok('ovs-vsctl', [`--db=unix:${this.sock}`, '--timeout=30', ...args], 40000);
  }

  /** `ovs-appctl -t CTL ARGS`, whatever its outcome. */
  appctlRun(...args: string[]): Promise<RunResult> {
    return runCommand('ovs-appctl', ['-t', this.ctl, ...args], this.env, 10000);
  }

  /** `ovs-appctl -t CTL ARGS`; throws unless it succeeds. */
  appctl(...args: string[]): Promise<string> {
    return this.ok('ovs-appctl', ['-t', this.ctl, ...args], 10000);
  }

  /** ovs-vswitchd's log so far (for failure messages). */
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

  /** Stops ovs-vswitchd, then ovsdb-server, and removes the run directory; never throws. */
  async cleanup(): Promise<void> {
    if (this.started) {
      await this.kill('ovs-vswitchd').catch(() => undefined);
      await this.kill('ovsdb-server').catch(() => undefined);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
