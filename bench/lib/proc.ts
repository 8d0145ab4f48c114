// Process plumbing for the switch benchmark: running a program with a deadline, starting long-running
// ones, stopping daemons found through their pid files, and the janitor that undoes everything the
// benchmark made (processes, namespaces, temp dirs) in reverse order — at the end, on failure or on Ctrl-C.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** How a finished program ended and what it printed. */
export interface Outcome {
  stdout: string;
  stderr: string;
  status: number | null;
  signal: NodeJS.Signals | null;
}

/** Options for a program run: extra environment, working directory, and a deadline after which it is killed. */
export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /**
   * Run in a process group of its own, so that signals (and the kill on timeout or cleanup) reach the
   * processes it forks too — trafgen forks its senders, which ignore a signal sent to the parent alone.
   */
  group?: boolean;
}

/** A started program: its process, what it printed so far, a signal for it (its group, if it has one). */
export interface Launched {
  child: ChildProcess;
  output: () => string;
  signal: (sig: NodeJS.Signals) => void;
  exited: Promise<Outcome>;
}

/** Undo steps, run last-registered first; every step runs even when another one throws. */
class Janitor {
  private readonly steps: { label: string; undo: () => void }[] = [];
  private readonly children = new Map<ChildProcess, (sig: NodeJS.Signals) => void>();

  /** Registers an undo step; the returned function runs it now and forgets it. */
  add(label: string, undo: () => void): () => void {
    const step = { label, undo };
    this.steps.push(step);
    return () => {
      const i = this.steps.indexOf(step);
      if (i >= 0) this.steps.splice(i, 1);
      undo();
    };
  }

  /** Tracks a child process so that cleanup kills it (through `signal`) if it is still running. */
  track(child: ChildProcess, signal: (sig: NodeJS.Signals) => void): void {
    this.children.set(child, signal);
    child.once('exit', () => this.children.delete(child));
  }

  /** Set by `halt()`: no new program may start. */
  halted = false;

  /** Kills every tracked child and refuses to start new ones (the first half of an interrupt). */
  halt(): void {
    this.halted = true;
    for (const signal of this.children.values()) signal('SIGKILL');
    this.children.clear();
  }

  /** Kills every tracked child and runs every undo step; never throws. */
  cleanup(): void {
    this.halt();
    while (this.steps.length > 0) {
      const step = this.steps.pop() as { label: string; undo: () => void };
      try {
        step.undo();
      } catch (err) {
        process.stderr.write(`bench: cleanup (${step.label}): ${errorText(err)}\n`);
      }
    }
  }
}

/** The benchmark's one janitor. */
export const janitor = new Janitor();

/** The message of a thrown value. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Starts a long-running program (stdout and stderr collected); tracked for cleanup. */
export function launch(argv: string[], opts: RunOptions = {}): Launched {
  if (janitor.halted) throw new Error('interrupted');
  const [cmd, ...args] = argv;
  const child = spawn(cmd, args, {
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.group === true,
  });
  const signal = (sig: NodeJS.Signals): void => {
    if (opts.group === true && child.pid !== undefined) {
      try {
        process.kill(-child.pid, sig);
      } catch {
        // the group is gone
      }
    } else child.kill(sig);
  };
  janitor.track(child, signal);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const timer =
    opts.timeoutMs === undefined ? undefined : setTimeout(() => signal('SIGKILL'), opts.timeoutMs);
  const exited = new Promise<Outcome>((res) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      res({ stdout, stderr: `${stderr}${err.message}`, status: null, signal: null });
    });
    // 'close' waits for the output pipes, which a grandchild may still hold: give it a moment, no more.
    child.once('exit', (status, sig) => {
      clearTimeout(timer);
      const late = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        res({ stdout, stderr, status, signal: sig });
      }, 2000);
      child.once('close', () => {
        clearTimeout(late);
        res({ stdout, stderr, status, signal: sig });
      });
    });
  });
  return { child, output: () => `${stdout}${stderr}`, signal, exited };
}

/** Runs a program to completion (killed with SIGKILL after `timeoutMs`, default 30 s). */
export function run(argv: string[], opts: RunOptions = {}): Promise<Outcome> {
  return launch(argv, { timeoutMs: 30000, ...opts }).exited;
}

/** Runs a program and returns its stdout; throws with its output unless it exits 0. */
export async function runOk(argv: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.status !== 0) {
    const how = r.signal !== null ? `was killed (${r.signal})` : `exited ${r.status}`;
    throw new Error(`${argv.join(' ')} ${how}: ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

/** Runs a program synchronously, ignoring failure (for cleanup). */
export function runQuiet(argv: string[]): void {
  try {
    execFileSync(argv[0], argv.slice(1), { stdio: 'ignore', timeout: 10000 });
  } catch {
    // already gone, or nothing to undo
  }
}

/** True while `pid` exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The pid in `pidfile`, if that process is alive and is really ours: its command line or environment
 * mentions `marker` (the private directory it runs in), so a recycled pid is never killed.
 */
export function ourPid(pidfile: string, marker: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidfile, 'utf8').trim(), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  for (const file of ['cmdline', 'environ']) {
    try {
      if (readFileSync(`/proc/${pid}/${file}`, 'utf8').includes(marker)) return pid;
    } catch {
      // vanished meanwhile
    }
  }
  return undefined;
}

/** Sends SIGTERM, waits up to `graceMs` for the process to go, then SIGKILL; true if it went on SIGTERM. */
export async function stopPid(pid: number, graceMs = 5000): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return true;
  }
  const deadline = Date.now() + graceMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      killPid(pid);
      return false;
    }
    await sleep(20);
  }
  return true;
}

/** SIGKILL, ignoring a process that is already gone. */
export function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** Polls `cond` every 50 ms until it holds; throws after `timeoutMs` naming `what`. */
export async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(50);
  }
}

/** True when `name` is a program on the PATH. */
export function haveCommand(name: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { stdio: 'ignore' }).status === 0;
}
