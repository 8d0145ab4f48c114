// A private network namespace for one switch daemon a test starts. A real ovs-vswitchd with a netdev
// bridge creates the TAP device `ovs-netdev` (and one per bridge), which exist once per namespace: two
// such switches from test files running at the same time would collide in the root namespace. Each switch
// runs instead under `ip netns exec NAME` in a namespace of its own; its unix sockets are files, so the
// tools keep reaching it from the root namespace. Deleting the namespace (after the daemon is gone)
// removes whatever devices it left. Namespaces still there when the process exits are deleted then.
import { execFileSync } from 'node:child_process';
import { runCommand } from './daemons.js';

const live = new Set<string>();
let counter = 0;
let exitHookInstalled = false;

function deleteNow(name: string): void {
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 5000 });
  } catch {
    // Already gone.
  }
}

/**
 * Creates a network namespace named `PREFIX-PID-N-RANDOM` (unique across processes and calls) with lo up,
 * and returns its name. Delete it with `deletePrivateNetns`.
 */
export async function addPrivateNetns(prefix: string): Promise<string> {
  counter++;
  const name = `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 6)}`;
  const add = await runCommand('ip', ['netns', 'add', name], {}, 10000);
  if (add.status !== 0) throw new Error(`ip netns add ${name} failed: ${add.stderr}`);
  live.add(name);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const ns of live) deleteNow(ns);
    });
  }
  const lo = await runCommand('ip', ['-n', name, 'link', 'set', 'lo', 'up'], {}, 10000);
  if (lo.status !== 0) {
    await deletePrivateNetns(name);
    throw new Error(`ip -n ${name} link set lo up failed: ${lo.stderr}`);
  }
  return name;
}

/** Deletes namespace `name` (null: nothing to do); never throws. Stop the daemons inside it first. */
export async function deletePrivateNetns(name: string | null): Promise<void> {
  if (name === null) return;
  live.delete(name);
  await runCommand('ip', ['netns', 'del', name], {}, 10000).catch(() => undefined);
}

/** deletePrivateNetns, synchronously (for exit handlers); never throws. */
export function deletePrivateNetnsSync(name: string | null): void {
  if (name === null) return;
  live.delete(name);
  deleteNow(name);
}

/** `cmd ARGS` to run inside namespace `ns` (through `ip netns exec`), or as it is when `ns` is null. */
export function inNetns(ns: string | null, cmd: string, args: readonly string[]): [string, string[]] {
  return ns === null ? [cmd, [...args]] : ['ip', ['netns', 'exec', ns, cmd, ...args]];
}

/**
 * A private namespace (as addPrivateNetns) when running as root, else null: for switches that create no
 * devices (ovs-vswitchd --enable-dummy=override with dummy ports), which tests also run without root.
 */
export async function addPrivateNetnsIfRoot(prefix: string): Promise<string | null> {
  return process.getuid?.() === 0 ? addPrivateNetns(prefix) : null;
}
