// The machine, as labs use it: running programs (ip, tcpdump, ping, tsovs itself) to completion, the
// checks made before anything is created (privileges, the `ip` binary, names already taken), and finding
// and ending processes (by pid file, by namespace, by a path in their command line).
import { spawn } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { processAlive } from '../util/daemon.js';
import { waitForExit } from '../util/process.js';

/** A lab operation refused or failed, with what the user can do about it. */
export class LabError extends Error {
  readonly code: string;
  constructor(
    message: string,
    readonly hint = '',
    code = 'LAB_ERROR',
  ) {
    super(message);
    this.code = code;
  }
}

/** What a finished program printed and how it ended. */
export interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `argv` to completion (killed after `timeoutMs`); never throws for a non-zero exit. */
export function run(argv: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Runs `argv`, throwing a LabError with its message unless it exits 0; resolves to its stdout. */
export async function runOk(argv: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60000) {
  const r = await run(argv, env, timeoutMs);
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout).trim().split('\n').slice(-3).join('; ');
    throw new LabError(`\`${argv.join(' ')}\` failed${why === '' ? ` (status ${r.status})` : `: ${why}`}`);
  }
  return r.stdout;
}

/** `ip ARGS…` (in namespace `ns` when given), throwing on failure. */
export function ip(ns: string | null, ...args: string[]): Promise<string> {
  return runOk(ns === null ? ['ip', ...args] : ['ip', '-n', ns, ...args]);
}

/** The argv that runs tsovs itself the way this process was started (node [flags] script). */
export function tsovsArgv(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]];
}

/** `argv` run inside namespace `ns` (through `ip netns exec`). */
export function inNamespace(ns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

/** The full path of `program` found in $PATH, or undefined. */
export function which(program: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const full = join(dir, program);
    try {
      accessSync(full, constants.X_OK);
      return full;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Capability numbers (linux/capability.h) that labs need. */
const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;

/** This process's effective capabilities, from /proc/self/status (0n when unreadable). */
export function effectiveCaps(status = readProc('/proc/self/status')): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  return m === null ? 0n : BigInt(`0x${m[1]}`);
}

function readProc(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Refuses (LabError) unless this process may create namespaces and links. */
export function checkPrivileges(caps = effectiveCaps(), uid = process.getuid?.() ?? 0): void {
  const missing: string[] = [];
  if ((caps & (1n << BigInt(CAP_NET_ADMIN))) === 0n) missing.push('CAP_NET_ADMIN');
  if ((caps & (1n << BigInt(CAP_SYS_ADMIN))) === 0n) missing.push('CAP_SYS_ADMIN');
  if (missing.length === 0) return;
  throw new LabError(
    `not allowed to create network namespaces and links: this process (uid ${uid}) lacks ${missing.join(' and ')}`,
    'labs build namespaces, veths and switches: run as root, e.g. `sudo npx tsovs demo` or `sudo npx tsovs lab up FILE`',
    'LAB_PRIVILEGE',
  );
}

/** Refuses (LabError) when a program the lab needs is missing from $PATH. */
export function checkBinaries(programs: readonly string[], path = process.env.PATH ?? ''): void {
  const packages: Record<string, string> = { ip: 'iproute2', tcpdump: 'tcpdump', ping: 'iputils-ping' };
  for (const p of programs) {
    if (which(p, path) !== undefined) continue;
    throw new LabError(
      `the \`${p}\` command was not found (searched PATH=${path || '(empty)'})`,
      `install it (Debian/Ubuntu: \`apt-get install ${packages[p] ?? p}\`) or put it on PATH, then try again`,
      'LAB_MISSING_BINARY',
    );
  }
}

/** Where `ip netns` keeps its namespaces. */
export const NETNS_DIR = '/var/run/netns';

/** The named network namespaces that exist now. */
export function existingNamespaces(dir = NETNS_DIR): Set<string> {
  try {
    return new Set(readdirSync(dir));
  } catch {
    return new Set();
  }
}

/** A process's command line (arguments joined by spaces), or '' when it is gone. */
export function cmdline(pid: number): string {
  return readProc(`/proc/${pid}/cmdline`).split('\0').join(' ').trim();
}

/** Processes whose command line contains `needle` (never this process). */
export function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid !== process.pid && cmdline(pid).includes(needle)) out.push(pid);
  }
  return out;
}

/** Processes inside namespace `ns` (`ip netns pids`), never this process. */
export async function namespacePids(ns: string): Promise<number[]> {
  const r = await run(['ip', 'netns', 'pids', ns]).catch(() => undefined);
  if (r === undefined || r.status !== 0) return [];
  return r.stdout
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number)
    .filter((p) => p !== process.pid);
}

/** Ends `pid`: SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
export async function endProcess(pid: number, graceMs = 5000): Promise<void> {
  if (!processAlive(pid)) return;
  try {
    process.kill(pid, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  } catch {
    return;
  }
  if (graceMs > 0 && (await waitForExit(pid, graceMs))) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitForExit(pid, 5000);
}
