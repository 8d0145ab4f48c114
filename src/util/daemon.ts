// Daemon plumbing shared by ovsdb-server and vswitchd: pid files, --detach (a background copy of the
// process that reports readiness or its start-up error through a pipe), and clean exit on signals.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';

/** The environment variable that tells a detached child which fd to report readiness on. */
const READY_FD_ENV = 'TSOVS_READY_FD';

/** True when `pid` names a live process. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads a pid file; undefined when it is missing or does not hold a pid. */
export function readPidfile(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Writes our pid to `path`, refusing when another live process holds it; removes it at exit. */
export function writePidfile(path: string, program: string): void {
  const other = readPidfile(path);
  if (other !== undefined && other !== process.pid && processAlive(other)) {
    throw new Error(`${path}: already running as pid ${other}, aborting`);
  }
  writeFileSync(path, `${process.pid}\n`);
  process.on('exit', () => {
    if (readPidfile(path) === process.pid) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
  });
  void program;
}

/** True in the background copy started by detach(). */
export function isDetachedChild(): boolean {
  return process.env[READY_FD_ENV] !== undefined;
}

/** Settings a background process starts with: Node/V8 options (unless the command line gives them
 *  already) and environment variables (unless the environment has them already). */
export interface ProcessTuning {
  readonly nodeArgs?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Starts this same command in the background (without `--detach`) and resolves once it reports that it
 * is ready (exit status 0) or failed (its error is printed, status 1).
 */
export function detach(argv: readonly string[], tuning: ProcessTuning = {}): Promise<number> {
  const nodeArgs = (tuning.nodeArgs ?? []).filter(
    (a) => !process.execArgv.some((x) => x.split('=')[0] === a.split('=')[0]),
  );
  const args = [...process.execArgv, ...nodeArgs, process.argv[1], ...argv.filter((a) => a !== '--detach')];
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: { ...(tuning.env ?? {}), ...process.env, [READY_FD_ENV]: '3' },
  });
  return new Promise((resolve) => {
    let text = '';
    const pipe = child.stdio[3] as NodeJS.ReadableStream;
    pipe.setEncoding('utf8');
    pipe.on('data', (chunk: string) => {
      text += chunk;
      if (text.startsWith('ready\n')) {
        child.unref();
        (pipe as unknown as { destroy(): void }).destroy();
        resolve(0);
      }
    });
    child.on('exit', (code) => {
      if (text.startsWith('ready\n')) return;
      process.stderr.write(text.replace(/^error: /, '') || `background process exited with status ${code}\n`);
      resolve(1);
    });
  });
}

/** In a detached child: tells the parent that start-up is done (or failed, with `error`). */
export function reportReady(error?: string): void {
  const fd = process.env[READY_FD_ENV];
  if (fd === undefined) return;
  delete process.env[READY_FD_ENV];
  try {
    writeSync(Number(fd), error === undefined ? 'ready\n' : `error: ${error}\n`);
    closeSync(Number(fd));
  } catch {
    // the parent is gone
  }
}

/** Runs `cleanup` once on SIGTERM/SIGINT/SIGHUP, then exits. */
export function exitOnSignals(cleanup: () => Promise<void>): void {
  let done = false;
  const handler = (signal: NodeJS.Signals) => {
    if (done) return;
    done = true;
    cleanup().finally(() => process.exit(signal === 'SIGTERM' ? 0 : 128 + 2));
  };
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, handler);
}

/** True when a file exists. */
export function fileExists(path: string): boolean {
  return existsSync(path);
}

/** Opens a file for appending (log files), creating it. */
export function openAppend(path: string): number {
  return openSync(path, 'a');
}
