// The unixctl server against the real ovs-appctl and against `tsovs appctl` (run in-process), plus the
// list-commands layout compared byte for byte with a real ovsdb-server's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { run } from '../../src/cli/appctl.js';
import { resolveTarget, UnixctlClient, UnixctlTargetError } from '../../src/unixctl/client.js';
import { UnixctlError, UnixctlServer } from '../../src/unixctl/server.js';
import { type RunResult, runCommand, tempDir } from '../helpers/daemons.js';
import { requireBinaries } from '../helpers/ovs.js';

/** How a program (or `tsovs appctl` run in-process) ended and what it printed. */
type Outcome = RunResult;

/** Runs `tsovs appctl ARGS` in this process, capturing its output. */
async function appctl(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const status = await run(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env,
  });
  return { status, signal: null, stdout, stderr };
}

/** ovs-appctl's own log lines ("…|unixctl|WARN|…") are not part of what we compare. */
function withoutLogLines(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\d{4}-\d\d-\d\dT.*\|\d+\|\w+\|[A-Z]+\|/.test(l))
    .join('\n');
}

const EXPECTED_LIST = [
  'The available commands are:',
  '  echo/args               [ARG...]',
  '  fail                    ',
  '  fdb/show                BRIDGE',
  '  list-commands           ',
  '  this/command/has/a/long/name ARG',
  '  throws                  ',
  '  version                 ',
  '',
].join('\n');

describe('unixctl', () => {
  let dir: string;
  let server: UnixctlServer;
  let release: (() => void) | null = null;

  before(async () => {
    dir = tempDir('tsovs-unixctl-');
    server = await UnixctlServer.start({ program: 'test-daemon', rundir: dir });
    server.register(
      'fdb/show',
      'BRIDGE',
      1,
      1,
      (args) => ` port  VLAN  MAC                Age\n    1     0  aa:bb:cc:dd:ee:ff    3 ${args[0]}`,
    );
    server.register('echo/args', '[ARG...]', 0, 10, (args) => args.map((a) => `<${a}>`).join(' '));
    server.register('fail', '', 0, 0, () => {
      throw new UnixctlError('no such bridge');
    });
    server.register('throws', '', 0, 0, () => {
      throw new Error('unexpected failure');
    });
    server.register('this/command/has/a/long/name', 'ARG', 0, 1, () => '');
    server.register('hidden', null, 0, 0, () => 'you found me');
    server.register(
      'hang',
      null,
      0,
      0,
      () => new Promise<string>((resolve) => (release = () => resolve('late'))),
    );
    writeFileSync(join(dir, 'test-daemon.pid'), `${process.pid}\n`);
  });

  after(async () => {
    release?.();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts its socket at <rundir>/<program>.<pid>.ctl', () => {
    assert.equal(server.path, join(dir, `test-daemon.${process.pid}.ctl`));
    assert.equal(resolveTarget('test-daemon', dir), server.path);
  });

  describe('with the real ovs-appctl', () => {
    const ovsAppctl = (t: TestContext, ...args: string[]) =>
      requireBinaries(t, 'ovs-appctl') ? runCommand('ovs-appctl', ['-t', server.path, ...args]) : null;

    it('lists commands in the layout OVS uses', async (t) => {
      const r = await ovsAppctl(t, 'list-commands');
      if (!r) return;
      assert.deepEqual([r.status, r.stdout, r.stderr], [0, EXPECTED_LIST, '']);
    });

    it('reports the version', async (t) => {
      const r = await ovsAppctl(t, 'version');
      if (!r) return;
      assert.deepEqual([r.status, r.stdout], [0, 'test-daemon (tsovs) 0.1.0\n']);
    });

    it('runs a command with arguments, including hidden ones', async (t) => {
      const r = await ovsAppctl(t, 'echo/args', 'a b', '', 'é"\\');
      if (!r) return;
      assert.deepEqual([r.status, r.stdout], [0, '<a b> <> <é"\\>\n']);
      const hidden = await ovsAppctl(t, 'hidden');
      assert.deepEqual([hidden?.status, hidden?.stdout], [0, 'you found me\n']);
    });

    it('prints an error reply to stderr and exits 2', async (t) => {
      const r = await ovsAppctl(t, 'fail');
      if (!r) return;
      assert.deepEqual(
        [r.status, r.stdout, r.stderr],
        [2, '', `no such bridge\novs-appctl: ${server.path}: server returned an error\n`],
      );
      const thrown = await ovsAppctl(t, 'throws');
      assert.equal(
        thrown?.stderr,
        `unexpected failure\novs-appctl: ${server.path}: server returned an error\n`,
      );
    });

    it('gives the argument-count and unknown-command errors OVS gives', async (t) => {
      const cases: [string[], string][] = [
        [['fdb/show'], '"fdb/show" command requires at least 1 arguments'],
        [['fdb/show', 'a', 'b'], '"fdb/show" command takes at most 1 arguments'],
        [['version', 'x'], '"version" command takes at most 0 arguments'],
        [['nope'], '"nope" is not a valid command (use "list-commands" to see a list of valid commands)'],
      ];
      for (const [args, text] of cases) {
        const r = await ovsAppctl(t, ...args);
        if (!r) return;
        assert.deepEqual(
          [r.status, r.stderr],
          [2, `${text}\novs-appctl: ${server.path}: server returned an error\n`],
        );
      }
    });

    it('dies of SIGALRM when --timeout passes', async (t) => {
      if (!requireBinaries(t, 'ovs-appctl')) return;
      const r = await runCommand('ovs-appctl', ['--timeout=1', '-t', server.path, 'hang']);
      release?.();
      assert.equal(r.signal, 'SIGALRM');
    });
  });

  describe('with tsovs appctl', () => {
    it('lists commands, reports the version and runs commands', async () => {
      assert.deepEqual(await appctl(['-t', server.path, 'list-commands']), {
        status: 0,
        signal: null,
        stdout: EXPECTED_LIST,
        stderr: '',
      });
      assert.equal(
        (await appctl([`--target=${server.path}`, 'version'])).stdout,
        'test-daemon (tsovs) 0.1.0\n',
      );
      const fdb = await appctl(['-t', server.path, 'fdb/show', 'br0']);
      assert.equal(
        fdb.stdout,
        ' port  VLAN  MAC                Age\n    1     0  aa:bb:cc:dd:ee:ff    3 br0\n',
      );
      const echoed = await appctl(['-t', server.path, '--', 'echo/args', '-x', '--y']);
      assert.equal(echoed.stdout, '<-x> <--y>\n');
    });

    it('finds the socket through $TSOVS_RUNDIR/<name>.pid', async () => {
      const r = await appctl(['-t', 'test-daemon', 'echo/args', 'via', 'pidfile'], { TSOVS_RUNDIR: dir });
      assert.deepEqual([r.status, r.stdout], [0, '<via> <pidfile>\n']);
      const missing = await appctl(['echo/args'], { TSOVS_RUNDIR: dir });
      assert.deepEqual(
        [missing.status, missing.stderr],
        [
          1,
          `tsovs appctl: cannot read pidfile "${join(dir, 'ovs-vswitchd.pid')}" (No such file or directory)\n`,
        ],
      );
    });

    it('reports a pid file naming a dead process', async () => {
      const dead = spawnSync(process.execPath, ['-e', '0']).pid;
      writeFileSync(join(dir, 'dead.pid'), `${dead}\n`);
      const r = await appctl(['-t', 'dead', 'version'], { TSOVS_RUNDIR: dir });
      assert.deepEqual(
        [r.status, r.stderr],
        [1, `tsovs appctl: cannot read pidfile "${join(dir, 'dead.pid')}" (No such process)\n`],
      );
      assert.throws(() => resolveTarget('dead', dir), UnixctlTargetError);
    });

    it('prints error replies like ovs-appctl and exits 2', async () => {
      assert.deepEqual(await appctl(['-t', server.path, 'fail']), {
        status: 2,
        signal: null,
        stdout: '',
        stderr: `no such bridge\ntsovs appctl: ${server.path}: server returned an error\n`,
      });
      const r = await appctl(['-t', server.path, 'fdb/show']);
      assert.equal(
        r.stderr,
        `"fdb/show" command requires at least 1 arguments\ntsovs appctl: ${server.path}: server returned an error\n`,
      );
    });

    it('exits 1 when it cannot connect', async () => {
      const path = join(dir, 'nothing.ctl');
      const r = await appctl(['-t', path, 'version']);
      assert.deepEqual(
        [r.status, r.stderr],
        [1, `tsovs appctl: cannot connect to "${path}" (No such file or directory)\n`],
      );
    });

    it('refuses bad command lines as ovs-appctl does', async () => {
      const cases: [string[], string][] = [
        [[], 'at least one non-option argument is required (use --help for help)'],
        [['-t', 'a', '-t', 'b', 'x'], '-t or --target may be specified only once'],
        [['--timeout=0', 'x'], 'value 0 on -T or --timeout is invalid'],
        [['--timeout=abc', 'x'], 'value abc on -T or --timeout is invalid'],
        [['--frob', 'x'], "unrecognized option '--frob'"],
        [['-q', 'x'], "invalid option -- 'q'"],
        [['-t'], "option requires an argument -- 't'"],
        [['--target'], "option '--target' requires an argument"],
      ];
      for (const [args, text] of cases) {
        const r = await appctl(args);
        assert.deepEqual([r.status, r.stdout, r.stderr], [1, '', `tsovs appctl: ${text}\n`], args.join(' '));
      }
      const help = await appctl(['--help']);
      assert.equal(help.status, 0);
      assert.match(help.stdout, /-t, --target=TARGET/);
      assert.match((await appctl(['-V'])).stdout, /^tsovs appctl \(tsovs\) /);
    });

    it('gives up after --timeout with the status of a SIGALRM death', async () => {
      const r = await appctl(['--timeout', '1', '-t', server.path, 'hang']);
      release?.();
      assert.deepEqual([r.status, r.stdout, r.stderr], [142, '', 'tsovs appctl: timeout after 1 seconds\n']);
    });
  });

  describe('protocol edge cases', () => {
    it('refuses non-string arguments', async () => {
      const client = await UnixctlClient.connect(server.path);
      try {
        const session = (
          client as unknown as { session: { request(m: string, p: unknown[]): Promise<unknown> } }
        ).session;
        await assert.rejects(session.request('echo/args', [1]), {
          error: '"echo/args" command has non-string argument\n',
        });
        assert.deepEqual(await client.transact('echo/args', ['ok']), { ok: true, output: '<ok>\n' });
      } finally {
        client.close();
      }
    });

    it('does not answer echo (ovs-appctl connections are plain JSON-RPC, not sessions)', async () => {
      const client = await UnixctlClient.connect(server.path);
      try {
        const reply = await client.transact('echo', []);
        assert.deepEqual(reply, {
          ok: false,
          error: '"echo" is not a valid command (use "list-commands" to see a list of valid commands)\n',
        });
      } finally {
        client.close();
      }
    });

    it('drops a connection that sends a notification', async () => {
      const socket = createConnection(server.path);
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      socket.on('error', () => {});
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write('{"method":"version","params":[],"id":null}');
      await closed;
    });
  });

  it("lays out list-commands exactly as a real ovsdb-server's", async (t) => {
    if (!requireBinaries(t, 'ovs-appctl', 'ovsdb-server', 'ovsdb-tool')) return;
    const ovsDir = tempDir('tsovs-unixctl-ovs-');
    const ours = await UnixctlServer.start({ program: 'copy', rundir: ovsDir });
    let pid: number | null = null;
    try {
      const db = join(ovsDir, 'conf.db');
      const schema = '/usr/share/openvswitch/vswitch.ovsschema';
      assert.equal(spawnSync('ovsdb-tool', ['create', db, schema]).status, 0);
      const ctl = join(ovsDir, 'ovsdb-server.ctl');
      const pidfile = join(ovsDir, 'ovsdb-server.pid');
      const started = spawnSync('ovsdb-server', [
        db,
        `--unixctl=${ctl}`,
        `--pidfile=${pidfile}`,
        '--detach',
        '--no-chdir',
      ]);
      assert.equal(started.status, 0, started.stderr.toString());
      pid = Number(readFileSync(pidfile, 'utf8'));
      const real = await runCommand('ovs-appctl', ['-t', ctl, 'list-commands']);
      assert.equal(real.status, 0);
      // Register the same names and usages on our server (parsing "  %-23s %s" back).
      for (const line of real.stdout.split('\n').slice(1, -1)) {
        const name = line.slice(2).split(' ')[0];
        const usage = line.slice(2 + Math.max(name.length, 23) + 1);
        if (name !== 'list-commands' && name !== 'version') ours.register(name, usage, 0, 0, () => '');
      }
      const copy = await runCommand('ovs-appctl', ['-t', ours.path, 'list-commands']);
      assert.equal(copy.stdout, real.stdout);
      // And the same error texts for the same mistakes.
      for (const args of [['version', 'x'], ['no-such-command']]) {
        const a = await runCommand('ovs-appctl', ['-t', ctl, ...args]);
        const b = await runCommand('ovs-appctl', ['-t', ours.path, ...args]);
        assert.equal(withoutLogLines(b.stderr).replace(ours.path, ctl), withoutLogLines(a.stderr));
        assert.equal(b.status, a.status);
      }
    } finally {
      await ours.close();
      if (pid !== null) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
      rmSync(ovsDir, { recursive: true, force: true });
    }
  });
});
