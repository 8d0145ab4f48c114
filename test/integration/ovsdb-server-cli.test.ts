// `tsovs ovsdb-server` as a command: --detach with --pidfile (ready when the parent returns, the pid file
// names the server, SIGTERM cleans up), start-up errors (missing or locked database, bad --remote), and
// its control socket (exit, ovsdb-server/list-dbs, ovsdb-server/compact) driven by `tsovs appctl` and the
// real ovs-appctl, compared with the real ovsdb-server where Open vSwitch is installed.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { JsonRpcSession } from '../../src/jsonrpc/session.js';
import {
  type DbServer,
  OVS_SCHEMA,
  type RunResult,
  runCommand,
  runTsovs,
  startRealServer,
  startTsovsServer,
  tempDir,
  VSWITCH_SCHEMA,
  waitFor,
} from '../helpers/daemons.js';
import { hasBinary, requireBinaries } from '../helpers/ovs.js';

/** What a finished program printed, and its exit status (how it ended by signal is not compared here). */
type Outcome = Omit<RunResult, 'signal'>;

/** Runs a program to completion without blocking the event loop (runCommand without the signal). */
async function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  const { stdout, stderr, status } = await runCommand(cmd, args, env);
  return { stdout, stderr, status };
}

/** Open vSwitch's log lines ("2026-…|00001|module|LEVEL|…") are not part of what we compare. */
function withoutLogLines(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\d{4}-\d\d-\d\dT[\d:.]+Z\|\d+\|/.test(l))
    .join('\n');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Daemons and directories to remove whatever happens. */
const pids = new Set<number>();
const dirs = new Set<string>();
const servers = new Set<DbServer>();

function newDir(): string {
  const d = tempDir('tsovs-cli-');
  dirs.add(d);
  return d;
}

/** Answers list_dbs over the socket, or throws. */
async function listDbs(sock: string): Promise<string[]> {
  const socket = connect(sock);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const session = new JsonRpcSession(socket);
  try {
    return ((await session.request('list_dbs', [])) as string[]).sort();
  } finally {
    session.close();
    socket.destroy();
  }
}

type Flavour = 'tsovs' | 'ovs';

/** Creates a database with the flavour's own tool and schema. */
async function createDb(flavour: Flavour, db: string): Promise<void> {
  const out =
    flavour === 'tsovs'
      ? await runTsovs(['ovsdb-tool', 'create', db, VSWITCH_SCHEMA])
      : await run('ovsdb-tool', ['create', db, OVS_SCHEMA]);
  assert.equal(out.status, 0, out.stderr);
}

/** Starts an ovsdb-server of the flavour in the background (--detach) and reports what it left. */
async function detachServer(flavour: Flavour, dir: string, extra: string[] = []): Promise<Outcome> {
  const db = join(dir, 'conf.db');
  const args = [
    db,
    `--remote=punix:${join(dir, 'db.sock')}`,
    `--unixctl=${join(dir, 'ctl')}`,
    `--pidfile=${join(dir, 'server.pid')}`,
    `--log-file=${join(dir, 'server.log')}`,
    '--detach',
    ...extra,
  ];
  const env = { TSOVS_RUNDIR: dir, OVS_RUNDIR: dir };
  const out =
    flavour === 'tsovs'
      ? await runTsovs(['ovsdb-server', ...args], env)
      : await run('ovsdb-server', args, env);
  const pidFile = join(dir, 'server.pid');
  if (existsSync(pidFile)) pids.add(Number(readFileSync(pidFile, 'utf8').trim()));
  return out;
}

/** A tcp port that is taken for as long as the returned close() is not called. */
async function busyPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  if (addr === null || typeof addr !== 'object') throw new Error('no port');
  return { port: addr.port, close: () => new Promise((resolve) => srv.close(() => resolve())) };
}

describe('tsovs ovsdb-server command line', { timeout: 120000 }, () => {
  after(async () => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    for (const s of servers) await s.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('--detach --pidfile: serving when the parent returns; the pid file names the server; SIGTERM cleans up', async (t) => {
    const flavours: Flavour[] = hasBinary('ovsdb-server') ? ['tsovs', 'ovs'] : ['tsovs'];
    if (flavours.length === 1) requireBinaries(t, 'ovsdb-server');
    const results = await Promise.all(
      flavours.map(async (flavour) => {
        const dir = newDir();
        await createDb(flavour, join(dir, 'conf.db'));
        const started = await detachServer(flavour, dir);
        const dbs = await listDbs(join(dir, 'db.sock'));
        const pid = Number(readFileSync(join(dir, 'server.pid'), 'utf8').trim());
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const namesServer =
          cmdline.some((a) => a.endsWith('ovsdb-server')) && cmdline.includes(join(dir, 'conf.db'));
        const ctlIsSocket = statSync(join(dir, 'ctl')).isSocket();
        process.kill(pid, 'SIGTERM');
        await waitFor(() => !alive(pid), 10000, `${flavour} ovsdb-server to exit`);
        return {
          status: started.status,
          stdout: started.stdout,
          dbs,
          namesServer,
          ctlIsSocket,
          leftBehind: ['server.pid', 'db.sock', 'ctl'].filter((f) => existsSync(join(dir, f))),
        };
      }),
    );
    assert.deepStrictEqual(results[0], {
      status: 0,
      stdout: '',
      dbs: ['Open_vSwitch', '_Server'],
      namesServer: true,
      ctlIsSocket: true,
      leftBehind: [],
    });
    if (results.length === 2) assert.deepStrictEqual(results[0], results[1]);
  });

  it('a missing database file: a clear message that says how to create it, exit status 1', async (t) => {
    const dir = newDir();
    const db = join(dir, 'conf.db');
    const args = [db, `--remote=punix:${join(dir, 'db.sock')}`, `--unixctl=${join(dir, 'ctl')}`];
    const fg = await runTsovs(['ovsdb-server', ...args], { TSOVS_RUNDIR: dir });
    assert.equal(fg.status, 1);
    assert.equal(
      fg.stderr,
      `ovsdb-server: ${db}: database file not found (create it with "tsovs ovsdb-tool create ${db}")\n`,
    );
    const bg = await detachServer('tsovs', dir);
    assert.deepStrictEqual({ status: bg.status, stderr: bg.stderr }, { status: 1, stderr: fg.stderr });
    assert.deepStrictEqual(
      ['server.pid', 'db.sock', 'ctl'].filter((f) => existsSync(join(dir, f))),
      [],
    );
    if (requireBinaries(t, 'ovsdb-server')) {
      const real = await run('ovsdb-server', args);
      assert.equal(real.status, fg.status);
    }
  });

  it('a database another server holds: refused with the holder’s pid, exit status 1', async (t) => {
    const first = await startTsovsServer(newDir());
    servers.add(first);
    const dir = newDir();
    const args = [first.dbFile, `--remote=punix:${join(dir, 'db.sock')}`, `--unixctl=${join(dir, 'ctl')}`];
    const out = await runTsovs(['ovsdb-server', ...args], { TSOVS_RUNDIR: dir });
    assert.equal(out.status, 1);
    assert.match(
      out.stderr,
      new RegExp(
        `^ovsdb-server: ${first.dbFile}: database is locked by pid \\d+ \\(is another ovsdb-server serving it\\?\\)\\n$`,
      ),
    );
    assert.deepStrictEqual(await listDbs(first.sock), ['Open_vSwitch', '_Server']);
    if (requireBinaries(t, 'ovsdb-server', 'ovsdb-tool')) {
      const real = await startRealServer(newDir());
      servers.add(real);
      const other = newDir();
      const again = await run('ovsdb-server', [
        real.dbFile,
        `--remote=punix:${join(other, 'db.sock')}`,
        `--unixctl=${join(other, 'ctl')}`,
      ]);
      assert.equal(again.status, out.status);
    }
  });

  it('a bad --remote: unknown kind, busy port, missing directory; nothing is left listening', async () => {
    const dir = newDir();
    await createDb('tsovs', join(dir, 'conf.db'));
    const busy = await busyPort();
    try {
      const cases: [string, string][] = [
        ['pfoo:bar', '"pfoo:bar": unknown stream type "pfoo" (expected punix:PATH or ptcp:PORT[:IP])'],
        [
          `ptcp:${busy.port}:127.0.0.1`,
          `ptcp:${busy.port}:127.0.0.1: cannot listen (Address already in use)`,
        ],
        [
          'punix:/nonexistent/dir/db.sock',
          'punix:/nonexistent/dir/db.sock: cannot listen: directory /nonexistent/dir does not exist',
        ],
      ];
      for (const [remote, message] of cases) {
        const out = await runTsovs(
          [
            'ovsdb-server',
            join(dir, 'conf.db'),
            `--remote=punix:${join(dir, 'first.sock')}`,
            `--remote=${remote}`,
            `--unixctl=${join(dir, 'ctl')}`,
            `--pidfile=${join(dir, 'server.pid')}`,
          ],
          { TSOVS_RUNDIR: dir },
        );
        assert.deepStrictEqual(
          { status: out.status, stderr: out.stderr },
          { status: 1, stderr: `ovsdb-server: ${message}\n` },
        );
        assert.deepStrictEqual(
          ['first.sock', 'ctl', 'server.pid'].filter((f) => existsSync(join(dir, f))),
          [],
        );
      }
    } finally {
      await busy.close();
    }
  });

  it('control socket: list-dbs, compact and exit, by ovs-appctl and tsovs appctl, as the real server answers', async (t) => {
    if (!requireBinaries(t, 'ovsdb-server', 'ovsdb-tool', 'ovs-appctl')) return;
    const mine = await startTsovsServer(newDir());
    const real = await startRealServer(newDir());
    servers.add(mine);
    servers.add(real);
    const ctl = (s: DbServer) => join(s.dir, 'ovsdb-server.ctl');
    const requests = [
      ['ovsdb-server/list-dbs'],
      ['ovsdb-server/compact'],
      ['ovsdb-server/compact', 'Open_vSwitch'],
      ['ovsdb-server/compact', '_Server'],
      ['ovsdb-server/compact', 'Nope'],
      ['ovsdb-server/compact', 'a', 'b'],
      ['ovsdb-server/list-dbs', 'x'],
    ];
    for (const s of [mine, real]) {
      const vsctl = await run('ovs-vsctl', [
        `--db=unix:${s.sock}`,
        '--no-wait',
        '--',
        'init',
        '--',
        'add-br',
        'br0',
      ]);
      assert.equal(vsctl.status, 0, vsctl.stderr);
    }
    for (const req of requests) {
      const [a, b] = await Promise.all([mine, real].map((s) => run('ovs-appctl', ['-t', ctl(s), ...req])));
      const clean = (o: Outcome, s: DbServer) => ({
        ...o,
        stderr: withoutLogLines(o.stderr).replaceAll(ctl(s), 'CTL'),
      });
      assert.deepStrictEqual(clean(a, mine), clean(b, real), req.join(' '));
      const ours = await runTsovs(['appctl', '-t', ctl(mine), ...req]);
      assert.deepStrictEqual(
        {
          stdout: ours.stdout,
          stderr: ours.stderr.replace('tsovs appctl:', 'ovs-appctl:'),
          status: ours.status,
        },
        { ...a, stderr: withoutLogLines(a.stderr) },
        `tsovs appctl ${req.join(' ')}`,
      );
    }
    // After compaction the real ovsdb-tool reads our file as two records: the schema and every row.
    const log = await run('ovsdb-tool', ['show-log', mine.dbFile]);
    assert.equal(log.status, 0, log.stderr);
    assert.match(log.stdout, /^record 1:.*"compacting database online"/m);
    assert.doesNotMatch(log.stdout, /^record 2:/m);
    // exit: an empty reply, then the process goes and takes its sockets with it.
    const bye = await Promise.all([
      runTsovs(['appctl', '-t', ctl(mine), 'exit']),
      run('ovs-appctl', ['-t', ctl(real), 'exit']),
    ]);
    const ourBye = { stdout: bye[0].stdout, stderr: bye[0].stderr, status: bye[0].status };
    assert.deepStrictEqual(ourBye, { stdout: '', stderr: '', status: 0 });
    assert.deepStrictEqual({ ...bye[1], stderr: withoutLogLines(bye[1].stderr) }, ourBye);
    for (const s of [mine, real]) {
      await waitFor(() => !existsSync(s.sock) && !existsSync(ctl(s)), 10000, 'the sockets to go');
      await assert.rejects(listDbs(s.sock));
    }
  });
});
