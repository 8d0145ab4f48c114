// Test helpers that start database servers in a private directory: tsovs's (as a child process, through
// the real CLI) and Open vSwitch's real ovsdb-server, both on a unix socket, killed in cleanup.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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

/** Runs `tsovs ARGS…` to completion; returns stdout, stderr and the exit status. */
export function runTsovs(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string; status: number | null }> {
  const [cmd, ...pre] = tsovsArgv();
  const child = spawn(cmd, [...pre, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise((res) => child.on('close', (status) => res({ stdout, stderr, status })));
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

function canConnect(path: string): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/** A running database server. */
export interface DbServer {
  /** Its private directory (database file, socket, logs). */
  readonly dir: string;
  readonly dbFile: string;
  /** The socket path; connect with `unix:${sock}`. */
  readonly sock: string;
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
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`${cmd} exited during start-up: ${stderr}`);
        return existsSync(sock) && (await canConnect(sock));
      },
      15000,
      `${cmd} to listen on ${sock}`,
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return child;
}

function stopper(child: ChildProcess): (hard?: boolean) => Promise<void> {
  return (hard = false) =>
    new Promise((res) => {
      if (child.exitCode !== null || child.signalCode !== null) return res();
      child.once('exit', () => res());
      child.kill(hard ? 'SIGKILL' : 'SIGTERM');
    });
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
  const stop = stopper(child);
  return {
    dir,
    dbFile,
    sock,
    stop,
    cleanup: async () => {
      await stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts Open vSwitch's real ovsdb-server on a new database made by the real ovsdb-tool from its own schema. */
export async function startRealServer(dir = tempDir('ovs-test-')): Promise<DbServer> {
  const dbFile = join(dir, 'conf.db');
  const sock = join(dir, 'db.sock');
  if (!existsSync(dbFile)) execFileSync('ovsdb-tool', ['create', dbFile, OVS_SCHEMA]);
  const child = await startProcess(dir, sock, 'ovsdb-server', [
    dbFile,
    `--remote=punix:${sock}`,
    `--unixctl=${join(dir, 'ovsdb-server.ctl')}`,
    `--log-file=${join(dir, 'ovsdb-server.log')}`,
    `--pidfile=${join(dir, 'ovsdb-server.pid')}`,
  ]);
  const stop = stopper(child);
  return {
    dir,
    dbFile,
    sock,
    stop,
    cleanup: async () => {
      await stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
