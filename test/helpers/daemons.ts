// Test helpers that start database servers in a private directory: tsovs's (as a child process, through
// the real CLI) and Open vSwitch's real ovsdb-server, both on a unix socket, killed in cleanup; and the
// plumbing around them (running a program, polling, connecting, a common transaction operation).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { JsonObject } from '../../src/jsonrpc/json.js';
import { JsonRpcSession } from '../../src/jsonrpc/session.js';
import { unixctlCommand } from '../../src/unixctl/client.js';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');
/** Our schema file. */
export const VSWITCH_SCHEMA = join(ROOT, 'schema', 'vswitch.ovsschema');
/** Open vSwitch's installed schema. */
export const OVS_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/** argv prefix that runs the tsovs CLI from source: [node, --import, tsx, src/cli/main.ts]. */
export function tsovsArgv(): string[] {
  return [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];
}

/** What a finished program printed, and how it ended. */
export interface RunResult {
  stdout: string;
  stderr: string;
  status: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs `cmd ARGS…` to completion without blocking the event loop; `env` is added to this process's. With
 * `timeoutMs`, a run still going after that long is killed (SIGKILL, reported as its signal).
 */
export function runCommand(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs?: number,
): Promise<RunResult> {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), timeoutMs);
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

/** Runs `tsovs ARGS…` to completion. */
export function runTsovs(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const [cmd, ...pre] = tsovsArgv();
  return runCommand(cmd, [...pre, ...args], env);
}

/** `tsovs vsctl ARGS` against the database at `sock` (without --no-wait it waits for vswitchd, at most
 * 30 s); throws with its exit status and stderr unless it succeeds. */
export async function vsctlOk(sock: string, ...args: string[]): Promise<string> {
  const r = await runTsovs(['vsctl', `--db=unix:${sock}`, '--timeout=30', ...args]);
  if (r.status !== 0) throw new Error(`vsctl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** A unixctl command on the control socket `ctl`; throws the error reply. */
export async function unixctlOk(ctl: string, command: string, ...args: string[]): Promise<string> {
  const reply = await unixctlCommand(ctl, command, args);
  if (!reply.ok) throw new Error(reply.error);
  return reply.output;
}

/** A fresh temporary directory (remove it with `rmSync(dir, {recursive: true, force: true})`). */
export function tempDir(prefix = 'tsovs-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Polls `cond` every 20 ms until it is true, or throws after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** True while a process `pid` exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Kills the daemon whose pid file is `dir`/`name`.pid (none, or one already gone: nothing to do): SIGTERM,
 * then SIGKILL after 5 s; waits until it is gone.
 */
export async function killByPidFile(dir: string, name: string): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(join(dir, `${name}.pid`), 'utf8').trim(), 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  try {
    await waitFor(() => !alive(pid), 5000, `${name} to exit`);
  } catch {
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid), 5000, `${name} to die`).catch(() => undefined);
  }
}

/** True when something accepts connections on the unix socket `path`. */
export function canConnect(path: string): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/**
 * Resolves once a just-spawned server accepts connections on `sock`; if it exits first (its stderr is in
 * the error) or `timeoutMs` pass, it is killed and this throws.
 */
export async function waitUntilListening(
  child: ChildProcess,
  sock: string,
  timeoutMs = 15000,
): Promise<void> {
  const cmd = child.spawnfile;
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`${cmd} exited during start-up: ${stderr}`);
        }
        return existsSync(sock) && (await canConnect(sock));
      },
      timeoutMs,
      `${cmd} to listen on ${sock}`,
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

/** A logger that drops everything, for sessions and connections in tests. */
export const QUIET_LOGGER = { warn: () => {}, info: () => {}, debug: () => {} };

/** A JSON-RPC session on the unix socket `sock` that logs nothing. */
export async function openSession(sock: string): Promise<JsonRpcSession> {
  const socket = connect(sock);
  await new Promise<void>((res, rej) => {
    socket.once('connect', res);
    socket.once('error', rej);
  });
  return new JsonRpcSession(socket, { logger: QUIET_LOGGER });
}

/** A running database server. */
export interface DbServer {
  /** Its private directory (database file, socket, logs). */
  readonly dir: string;
  readonly dbFile: string;
  /** The socket path; connect with `unix:${sock}`. */
  readonly sock: string;
  /** The server's process id. */
  readonly pid: number;
  /** Kills the server (SIGKILL when `hard`), waits for it to exit. */
  stop(hard?: boolean): Promise<void>;
  /** Stops it and removes its directory. */
  cleanup(): Promise<void>;
}

async function startProcess(dir: string, sock: string, cmd: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, TSOVS_RUNDIR: dir, OVS_RUNDIR: dir },
  });
  await waitUntilListening(child, sock);
  return child;
}

/** The DbServer of a started server process. */
function serverHandle(dir: string, dbFile: string, sock: string, child: ChildProcess): DbServer {
  const stop = (hard = false): Promise<void> =>
    new Promise((res) => {
      if (child.exitCode !== null || child.signalCode !== null) return res();
      child.once('exit', () => res());
      child.kill(hard ? 'SIGKILL' : 'SIGTERM');
    });
  return {
    dir,
    dbFile,
    sock,
    pid: child.pid as number,
    stop,
    cleanup: async () => {
      await stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts `tsovs ovsdb-server` on a database file in `dir` (created from our schema unless it exists).
 * Restart on the same directory by passing the previous server's `dir`.
 */
export async function startTsovsServer(dir = tempDir(), extraArgs: string[] = []): Promise<DbServer> {
  const dbFile = join(dir, 'conf.db');
  const sock = join(dir, 'db.sock');
  if (!existsSync(dbFile)) {
    const [cmd, ...pre] = tsovsArgv();
    execFileSync(cmd, [...pre, 'ovsdb-tool', 'create', dbFile, VSWITCH_SCHEMA]);
  }
  const [cmd, ...pre] = tsovsArgv();
  const child = await startProcess(dir, sock, cmd, [
    ...pre,
    'ovsdb-server',
    dbFile,
    `--remote=punix:${sock}`,
    `--unixctl=${join(dir, 'ovsdb-server.ctl')}`,
    `--log-file=${join(dir, 'ovsdb-server.log')}`,
    ...extraArgs,
  ]);
  return serverHandle(dir, dbFile, sock, child);
}

/**
 * Starts Open vSwitch's real ovsdb-server on the database file in `dir` (made by the real ovsdb-tool from
 * its own schema unless it exists); `extraArgs` go after its own (more database files, options).
 */
export async function startRealServer(
  dir = tempDir('ovs-test-'),
  extraArgs: string[] = [],
): Promise<DbServer> {
  const dbFile = join(dir, 'conf.db');
  const sock = join(dir, 'db.sock');
  if (!existsSync(dbFile)) execFileSync('ovsdb-tool', ['create', dbFile, OVS_SCHEMA]);
  const child = await startProcess(dir, sock, 'ovsdb-server', [
    dbFile,
    `--remote=punix:${sock}`,
    `--unixctl=${join(dir, 'ovsdb-server.ctl')}`,
    `--log-file=${join(dir, 'ovsdb-server.log')}`,
    `--pidfile=${join(dir, 'ovsdb-server.pid')}`,
    ...extraArgs,
  ]);
  return serverHandle(dir, dbFile, sock, child);
}

/** Which ovsdb-server to start: tsovs's or Open vSwitch's real one. */
export type ServerKind = 'tsovs' | 'real';

/**
 * Starts one server per entry of `kinds` (each on a fresh database), in parallel; if any fails to start,
 * the others are cleaned up and the first failure is thrown.
 */
export async function startServers(kinds: readonly ServerKind[]): Promise<DbServer[]> {
  const settled = await Promise.allSettled(
    kinds.map((k) => (k === 'real' ? startRealServer() : startTsovsServer())),
  );
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed === undefined) return settled.map((s) => (s as PromiseFulfilledResult<DbServer>).value);
  await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.cleanup() : undefined)));
  throw failed.reason;
}

/** The operation that sets one key of Open_vSwitch's external_ids to `value` (as `ovs-vsctl set` does). */
export function setExternalIdOp(key: string, value: string): JsonObject {
  return {
    op: 'mutate',
    table: 'Open_vSwitch',
    where: [],
    mutations: [
      ['external_ids', 'delete', ['set', [key]]],
      ['external_ids', 'insert', ['map', [[key, value]]]],
    ],
  };
}
