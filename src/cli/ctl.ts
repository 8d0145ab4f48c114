// `tsovs start | stop | status`: runs tsovs's daemons in the background, like Open vSwitch's ovs-ctl.
// For now the database server: `start` creates $TSOVS_DBDIR/conf.db from tsovs's schema when it is
// missing and starts `tsovs ovsdb-server` on punix:$TSOVS_RUNDIR/db.sock with a pid file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive, readPidfile } from '../util/daemon.js';
import { dbDir, runDir } from '../util/paths.js';
import { waitForExit } from '../util/process.js';

/** The daemons `start` runs, in order. */
const DAEMONS = ['ovsdb-server'] as const;

function tsovs(args: string[]): number {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], ...args], {
    stdio: 'inherit',
  });
  return r.status ?? 1;
}

function pidOf(daemon: string): number | undefined {
  const pid = readPidfile(join(runDir(), `${daemon}.pid`));
  return pid !== undefined && processAlive(pid) ? pid : undefined;
}

async function start(): Promise<number> {
  mkdirSync(runDir(), { recursive: true });
  mkdirSync(dbDir(), { recursive: true });
  const db = join(dbDir(), 'conf.db');
  if (!existsSync(db)) {
    process.stdout.write(`Creating empty database ${db}\n`);
    if (tsovs(['ovsdb-tool', 'create', db]) !== 0) return 1;
  }
  const running = pidOf('ovsdb-server');
  if (running !== undefined) {
    process.stdout.write(`ovsdb-server is already running (pid ${running})\n`);
    return 0;
  }
  const sock = join(runDir(), 'db.sock');
  const status = tsovs(['ovsdb-server', db, `--remote=punix:${sock}`, '--pidfile', '--log-file', '--detach']);
  if (status !== 0) return status;
  process.stdout.write(`Starting ovsdb-server (pid ${pidOf('ovsdb-server')}) on unix:${sock}\n`);
  return 0;
}

async function stop(): Promise<number> {
  for (const d of [...DAEMONS].reverse()) {
    const pid = pidOf(d);
    if (pid === undefined) {
      process.stdout.write(`${d} is not running\n`);
      continue;
    }
    process.kill(pid, 'SIGTERM');
    if (!(await waitForExit(pid, 10000))) {
      process.stderr.write(`${d} (pid ${pid}) did not exit after SIGTERM; killing it\n`);
      process.kill(pid, 'SIGKILL');
    }
    process.stdout.write(`Stopped ${d} (pid ${pid})\n`);
  }
  return 0;
}

function status(): number {
  let all = true;
  for (const d of DAEMONS) {
    const pid = pidOf(d);
    if (pid === undefined) all = false;
    process.stdout.write(pid === undefined ? `${d} is not running\n` : `${d} is running with pid ${pid}\n`);
  }
  return all ? 0 : 1;
}

/** Runs `tsovs start`, `tsovs stop` or `tsovs status` (the verb is the first argument). */
export async function run(args: string[]): Promise<number> {
  const [verb] = args;
  if (verb === 'start') return start();
  if (verb === 'stop') return stop();
  return status();
}
