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
  runTsovs,
  startTsovsServer,
  tempDir,
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
    const child = this.lab.spawnIn(this.sw, process.execPath, args);
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
  async vsctl(...args: string[]): Promise<string> {
    const r = await this.vsctlRun(...args);
    if (r.status !== 0) throw new Error(`vsctl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
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

/** Skips unless root and the native addon are there (under CI=true a missing addon fails). */
export function requireSwitchLab(t: TestContext): boolean {
  if (!requireRoot(t)) return false;
  if (nativeAvailable()) return true;
  if (process.env.CI === 'true') throw new Error('the native addon is not built (npm install builds it)');
  t.skip('the native addon is not built (npm install builds it)');
  return false;
}
