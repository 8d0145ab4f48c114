// What the lab tests share: the skip rule (root and the native addon), and a look for anything a lab
// left behind — its namespaces, links of its names in the root namespace, processes started from its
// run directory or inside its namespaces, its files.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { cmdline, existingNamespaces, processesMentioning } from '../../src/lab/system.js';
import { requireSwitchLab } from './switch-lab.js';

/** The seed labs' namespaces and device names. */
export const SEED_NAMESPACES = ['node3', 'node4', 'A1', 'B1', 'A2', 'B2'];
export const SEED_DEVICES = ['eth1', 'a1.1', 'a1.2', 'b1.1', 'b1.2', 'a2.1', 'a2.2', 'b2.1', 'b2.2'].concat([
  'b12.1',
  'b12.2',
  'b13.1',
  'b13.2',
  'b23.1',
  'b23.2',
]);

/** Skips unless root and the native addon are there (under CI=true, failing instead). */
export function requireLab(t: TestContext): boolean {
  return requireSwitchLab(t);
}

/** The links of the root namespace now (a baseline: a machine may have its own eth1). */
export function rootLinks(): string[] {
  const out = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  return [...out.matchAll(/^\d+: ([^:@]+)[@:]/gm)].map((m) => m[1]);
}

/** Processes running `ip netns exec NS …` for one of `namespaces` (captures, pings, daemons' parents). */
function namespaceProcesses(namespaces: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const line = cmdline(Number(e));
    const m = /^ip netns exec (\S+) /.exec(line);
    if (m !== null && namespaces.includes(m[1])) out.push(`${e}: ${line}`);
  }
  return out;
}

/**
 * Everything of a lab still there: namespaces of `namespaces` that exist, root-namespace links named in
 * `devices` (and not in `baseline`), processes mentioning the lab base directory `base` or running in its
 * namespaces, and lab run directories in `base`. Empty when clean.
 */
export function labLeftovers(
  base: string,
  namespaces: readonly string[],
  devices: readonly string[],
  baseline: readonly string[] = [],
): string[] {
  const left: string[] = [];
  const ns = existingNamespaces();
  for (const n of namespaces) if (ns.has(n)) left.push(`namespace ${n}`);
  for (const l of rootLinks()) if (devices.includes(l) && !baseline.includes(l)) left.push(`link ${l}`);
  for (const p of processesMentioning(base)) left.push(`process ${p}: ${cmdline(p)}`);
  left.push(...namespaceProcesses(namespaces).map((p) => `process ${p}`));
  if (existsSync(base))
    for (const f of readdirSync(base))
      if (!f.endsWith('.yaml') && !f.endsWith('.pcap')) left.push(`file ${base}/${f}`);
  return left;
}
