// `tsovs vswitchd` as a process, without root: a child with --enable-dummy in a private run directory,
// configured by `tsovs vsctl` (no --no-wait), driven by `tsovs appctl netdev-dummy/receive`; `exit` and
// SIGTERM remove its pid file and control socket; --detach; option errors; and `tsovs start|status|stop`.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ethernetFrame } from '../../src/packet/builder.js';
import {
  canConnect,
  type DbServer,
  runTsovs,
  startTsovsServer,
  tempDir,
  tsovsArgv,
  waitFor,
} from '../helpers/daemons.js';

const HEX = (src: string) =>
  Buffer.from(
    ethernetFrame({ srcMac: src, dstMac: 'ff:ff:ff:ff:ff:ff' }, 0x0800, new Uint8Array(46)),
  ).toString('hex');

describe('tsovs vswitchd (child process)', () => {
  let dir: string;
  let db: DbServer;
  const children: ChildProcess[] = [];
  let ctl: string;
  let pidfile: string;
  const env = () => ({ TSOVS_RUNDIR: dir });

  /** Starts the daemon in the foreground; resolves once its control socket answers. */
  async function startChild(): Promise<ChildProcess> {
    assert.ok(!existsSync(ctl), 'no vswitchd left from an earlier test');
    const [cmd, ...pre] = tsovsArgv();
    const c = spawn(
      cmd,
      [
        ...pre,
        'vswitchd',
        `unix:${db.sock}`,
        '--enable-dummy',
        `--pidfile=${pidfile}`,
        `--unixctl=${ctl}`,
        `--log-file=${join(dir, 'ovs-vswitchd.log')}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env() } },
    );
    children.push(c);
    let stderr = '';
    c.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    await waitFor(
      async () => {
        if (c.exitCode !== null) throw new Error(`vswitchd exited: ${stderr}`);
        return existsSync(ctl) && (await canConnect(ctl));
      },
      20000,
      'vswitchd control socket',
    );
    return c;
  }

  function exited(c: ChildProcess): Promise<number | null> {
    if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.exitCode);
    return new Promise((res) => c.once('exit', (code) => res(code)));
  }

  const vsctl = (...args: string[]) =>
    runTsovs(['vsctl', `--db=unix:${db.sock}`, '--timeout=30', ...args], env());
  const appctl = (...args: string[]) => runTsovs(['appctl', '-t', ctl, ...args], env());

  before(async () => {
    dir = tempDir('tsovs-vswitchd-cli-');
    ctl = join(dir, 'vswitchd.ctl');
    pidfile = join(dir, 'ovs-vswitchd.pid');
    db = await startTsovsServer(dir);
  });

  /** Kills any daemon an earlier (failed) test left running, with its files. */
  async function killChildren(): Promise<void> {
    for (const c of children.splice(0)) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      c.kill('SIGKILL');
      await exited(c);
      rmSync(ctl, { force: true });
      rmSync(pidfile, { force: true });
    }
  }

  beforeEach(killChildren);

  after(async () => {
    await killChildren();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies vsctl changes, switches injected frames, and leaves on `exit`', async () => {
    const c = await startChild();
    assert.equal(readFileSync(pidfile, 'utf8').trim(), String(c.pid));
    let r = await vsctl('add-br', 'br0', '--', 'set', 'bridge', 'br0', 'datapath_type=dummy');
    assert.equal(r.status, 0, r.stderr);
    r = await vsctl(
      ...['add-port', 'br0', 'p1', '--', 'set', 'interface', 'p1', 'type=dummy'],
      ...['--', 'add-port', 'br0', 'p2', '--', 'set', 'interface', 'p2', 'type=dummy'],
    );
    assert.equal(r.status, 0, r.stderr);
    r = await appctl('netdev-dummy/receive', 'p1', HEX('00:00:00:00:00:01'));
    assert.equal(r.status, 0, r.stderr);
    r = await appctl('fdb/show', 'br0');
    assert.match(r.stdout, /^ port {2}VLAN {2}MAC {16}Age\n {4}1 {5}0 {2}00:00:00:00:00:01 {4}\d\n$/);
    r = await appctl('dpctl/show');
    assert.match(r.stdout, /^netdev@ovs-netdev:\n {2}lookups: hit:0 missed:1 lost:0\n {2}flows: 1\n/);
    assert.match(r.stdout, /\n {2}port \d+: p1 \(dummy\)\n/);
    r = await appctl('netdev-dummy/receive', 'nosuch', HEX('00:00:00:00:00:01'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^no such dummy netdev\n/);
    r = await appctl('exit');
    assert.equal(r.status, 0);
    assert.equal(await exited(c), 0);
    assert.ok(!existsSync(pidfile), 'pid file removed');
    assert.ok(!existsSync(ctl), 'control socket removed');
  });

  it('restores the bridge after a restart and cleans up on SIGTERM', async () => {
    const c = await startChild();
    const r = await appctl('dpif/show');
    assert.match(r.stdout, / {4}p1 1\/\d+: \(dummy\)\n {4}p2 2\/\d+: \(dummy\)\n/);
    c.kill('SIGTERM');
    assert.equal(await exited(c), 0);
    assert.ok(!existsSync(pidfile) && !existsSync(ctl));
  });

  it('detaches once ready, and is found through its pid file', async () => {
    const r = await runTsovs(
      ['vswitchd', `unix:${db.sock}`, '--enable-dummy', '--pidfile', '--detach'],
      env(),
    );
    assert.equal(r.status, 0, r.stderr);
    const pid = Number(readFileSync(join(dir, 'ovs-vswitchd.pid'), 'utf8'));
    try {
      const v = await runTsovs(['appctl', 'version'], env());
      assert.equal(v.stdout, 'ovs-vswitchd (tsovs) 0.1.0\n');
      assert.ok(existsSync(join(dir, `ovs-vswitchd.${pid}.ctl`)));
    } finally {
      process.kill(pid, 'SIGTERM');
      await waitFor(() => !existsSync(join(dir, 'ovs-vswitchd.pid')), 10000, 'detached vswitchd to exit');
    }
  });

  it('reports bad options as getopt does', async () => {
    const r = await runTsovs(['vswitchd', '--bogus'], env());
    assert.equal(r.status, 1);
    assert.equal(r.stderr, "ovs-vswitchd: unrecognized option '--bogus' (use --help for help)\n");
    const d = await runTsovs(['vswitchd', '--enable-dummy=nope'], env());
    assert.equal(d.stderr, 'ovs-vswitchd: nope: unknown dummy level (use --help for help)\n');
  });
});

describe('tsovs start | status | stop', () => {
  let dir: string;

  before(() => {
    dir = tempDir('tsovs-ctl-');
  });

  after(async () => {
    await runTsovs(['stop'], { TSOVS_RUNDIR: dir });
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts both daemons, reports them, and stops them in reverse order', async () => {
    const env = { TSOVS_RUNDIR: dir };
    const start = await runTsovs(['start'], env);
    assert.equal(start.status, 0, start.stderr);
    assert.match(
      start.stdout,
      /^Starting ovsdb-server \(pid \d+\) on unix:.*\nStarting ovs-vswitchd \(pid \d+\)\n$/m,
    );
    const status = await runTsovs(['status'], env);
    assert.equal(status.status, 0);
    assert.match(
      status.stdout,
      /^ovsdb-server is running with pid \d+\novs-vswitchd is running with pid \d+\n$/,
    );
    const version = await runTsovs(['vsctl', 'get', 'Open_vSwitch', '.', 'ovs_version', 'db_version'], env);
    assert.equal(version.stdout, '"0.1.0"\n"8.3.1"\n');
    const cfg = await runTsovs(
      ['vsctl', '--timeout=30', 'set', 'Open_vSwitch', '.', 'external_ids:x=y'],
      env,
    );
    assert.equal(cfg.status, 0, 'vswitchd answers cur_cfg');
    const stop = await runTsovs(['stop'], env);
    assert.match(stop.stdout, /^Stopped ovs-vswitchd \(pid \d+\)\nStopped ovsdb-server \(pid \d+\)\n$/);
    const after = await runTsovs(['status'], env);
    assert.equal(after.status, 1);
    assert.equal(after.stdout, 'ovsdb-server is not running\novs-vswitchd is not running\n');
  });
});
