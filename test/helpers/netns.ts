// Test helpers for integration tests that build real networks: network namespaces and veth pairs with
// names unique to the test run, commands run inside a namespace, and a Lab that removes everything it
// made (namespaces, links, processes) even when the test failed.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { type RunResult, runCommand, waitFor } from './daemons.js';
import { isRoot } from './ovs.js';

let counter = 0;

/** A short name unique to this process and call, at most 15 characters (the kernel's IFNAMSIZ-1). */
export function uniqueName(prefix: string): string {
  counter++;
  const tail = `${(process.pid % 10000).toString(36)}${counter.toString(36)}`;
  return `${prefix.slice(0, 15 - tail.length)}${tail}`;
}

/** Skips the test unless root (under CI=true, not being root is a failure). */
export function requireRoot(t: TestContext): boolean {
  if (isRoot()) return true;
  if (process.env.CI === 'true') throw new Error('integration tests need root');
  t.skip('needs root (network namespaces)');
  return false;
}

/** Runs `ip ARGS…` in the root namespace, throwing with ip's message on failure. */
export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a command inside namespace `ns` to completion. */
export function nsRun(ns: string, cmd: string, args: string[], timeoutMs = 30000): Promise<RunResult> {
  return runCommand('ip', ['netns', 'exec', ns, cmd, ...args], {}, timeoutMs);
}

/** Runs a command inside `ns`, throwing (with its output) unless it exits 0. */
export async function nsRunOk(ns: string, cmd: string, args: string[], timeoutMs = 30000): Promise<string> {
  const r = await nsRun(ns, cmd, args, timeoutMs);
  if (r.status !== 0)
    throw new Error(`${ns}: ${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** True when one ping from `ns` to `addr` gets an answer within a second. */
export async function pingOnce(ns: string, addr: string): Promise<boolean> {
  const r = await nsRun(ns, 'ping', ['-c', '1', '-W', '1', '-q', addr], 5000);
  return r.status === 0;
}

/** Polls until `ns` can ping `addr`, or throws after `timeoutMs`. */
export function waitForPing(ns: string, addr: string, timeoutMs = 15000): Promise<void> {
  return waitFor(() => pingOnce(ns, addr), timeoutMs, `ping ${addr} from ${ns}`);
}

/** A set of namespaces, links and processes that `cleanup()` removes, in reverse order of creation. */
export class Lab {
  private readonly namespaces: string[] = [];
  private readonly links: string[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly extra: (() => void | Promise<void>)[] = [];

  /** Creates a namespace named uniquely after `prefix` with lo up; returns its name. */
  netns(prefix: string): string {
    const name = uniqueName(prefix);
    ip('netns', 'add', name);
    this.namespaces.push(name);
    ip('-n', name, 'link', 'set', 'lo', 'up');
    return name;
  }

  /**
   * Creates a veth pair: end `a` (moved into namespace `nsA`, or left in the root namespace when null)
   * and end `b` (likewise), both up. Names are made unique from the prefixes; returns [a, b].
   */
  veth(prefixA: string, nsA: string | null, prefixB: string, nsB: string | null): [string, string] {
    const a = uniqueName(prefixA);
    const b = uniqueName(prefixB);
    ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b);
    this.links.push(a);
    for (const [dev, ns] of [
      [a, nsA],
      [b, nsB],
    ] as const) {
      if (ns !== null) ip('link', 'set', dev, 'netns', ns);
      ip(...(ns === null ? [] : ['-n', ns]), 'link', 'set', dev, 'up');
    }
    return [a, b];
  }

  /** Gives `dev` in namespace `ns` the address `cidr` (e.g. 192.168.10.1/24). */
  address(ns: string | null, dev: string, cidr: string): void {
    ip(...(ns === null ? [] : ['-n', ns]), 'addr', 'add', cidr, 'dev', dev);
  }

  /** Starts a long-running command inside `ns` (killed by cleanup). */
  spawnIn(ns: string | null, cmd: string, args: string[]): ChildProcess {
    const argv = ns === null ? [cmd, ...args] : ['ip', 'netns', 'exec', ns, cmd, ...args];
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    return child;
  }

  /** Registers another cleanup step (run before namespaces and links are removed). */
  onCleanup(step: () => void | Promise<void>): void {
    this.extra.push(step);
  }

  /** Removes everything this lab made; never throws. */
  async cleanup(): Promise<void> {
    for (const c of this.children.reverse()) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await new Promise((r) => c.once('exit', r));
      }
    }
    for (const step of this.extra.reverse()) {
      try {
        await step();
      } catch {
        // keep cleaning
      }
    }
    for (const l of this.links) spawnQuiet('ip', ['link', 'del', l]);
    for (const n of this.namespaces.reverse()) spawnQuiet('ip', ['netns', 'del', n]);
  }
}

function spawnQuiet(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
  } catch {
    // already gone
  }
}
