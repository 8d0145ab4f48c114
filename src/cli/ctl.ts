// `tsovs start | stop | status`: runs tsovs's daemons in the background, like Open vSwitch's ovs-ctl.
// `start` creates $TSOVS_DBDIR/conf.db from tsovs's schema when it is missing, starts `tsovs ovsdb-server`
// on punix:$TSOVS_RUNDIR/db.sock, initialises the Open_vSwitch row and its version columns as ovs-ctl
// does, then starts `tsovs vswitchd`; each with a pid file and a log file in $TSOVS_RUNDIR. `stop` stops
// them in reverse order; `status` reports both and exits non-zero unless both run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TSOVS_VERSION } from '../unixctl/server.js';
import { processAlive, readPidfile } from '../util/daemon.js';
import { dbDir, runDir, schemaPath } from '../util/paths.js';
import { waitForExit } from '../util/process.js';

/** The daemons `start` runs, in order (named by their pid files). */
const DAEMONS = ['ovsdb-server', 'ovs-vswitchd'] as const;

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
  const status = await startDbServer();
  if (status !== 0) return status;
  initDatabase();
  return startSwitch();
}

async function startDbServer(): Promise<number> {
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

/** As ovs-ctl: makes sure the Open_vSwitch row exists and records the versions (failures only warn). */
function initDatabase(): void {
  const set = [`db_version=${quote(schemaVersion())}`, `ovs_version=${quote(TSOVS_VERSION)}`];
  const os = osRelease();
  if (os.ID !== undefined) set.push(`system_type=${quote(os.ID)}`);
  if (os.VERSION_ID !== undefined) set.push(`system_version=${quote(os.VERSION_ID)}`);
  const status = tsovs(['vsctl', '--no-wait', '--', 'init', '--', 'set', 'Open_vSwitch', '.', ...set]);
  if (status !== 0) process.stderr.write('warning: could not initialise the Open_vSwitch row\n');
}

async function startSwitch(): Promise<number> {
  const running = pidOf('ovs-vswitchd');
  if (running !== undefined) {
    process.stdout.write(`ovs-vswitchd is already running (pid ${running})\n`);
    return 0;
  }
  const sock = join(runDir(), 'db.sock');
  const status = tsovs(['vswitchd', `unix:${sock}`, '--pidfile', '--log-file', '--detach']);
  if (status !== 0) return status;
  process.stdout.write(`Starting ovs-vswitchd (pid ${pidOf('ovs-vswitchd')})\n`);
  return 0;
}

function schemaVersion(): string {
  try {
    const json = JSON.parse(readFileSync(schemaPath('vswitch.ovsschema'), 'utf8')) as { version?: string };
    return json.version ?? '';
  } catch {
    return '';
  }
}

/** /etc/os-release as key → value (quotes removed); empty when unreadable. */
function osRelease(): Record<string, string> {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const out: Record<string, string> = {};
    for (const m of text.matchAll(/^([A-Z_]+)=("?)(.*)\2$/gm)) out[m[1]] = m[3];
    return out;
  } catch {
    return {};
  }
}

/** A value in ovs-vsctl's syntax: a JSON-style quoted string. */
function quote(value: string): string {
  return JSON.stringify(value);
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
