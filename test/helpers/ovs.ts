// Test helpers for the real Open vSwitch tools (Debian's openvswitch-common / openvswitch-switch).
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/** True when `bin` is on PATH. */
export function hasBinary(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

/**
 * A suite's `skip` option for one that needs `bins`: false when they are all there or under CI=true (where a
 * missing tool must fail, not hide), else a reason naming what is missing.
 */
export function skipUnlessBinaries(...bins: string[]): string | false {
  const missing = bins.filter((b) => !hasBinary(b));
  if (missing.length === 0 || process.env.CI === 'true') return false;
  return `missing ${missing.join(', ')} (apt-get install openvswitch-switch)`;
}

/**
 * Skips the current test when one of `bins` is missing; under CI=true a missing tool is a failure,
 * because CI installs them and a silent skip would hide a broken install step.
 */
export function requireBinaries(t: TestContext, ...bins: string[]): boolean {
  const missing = bins.filter((b) => !hasBinary(b));
  if (missing.length === 0) return true;
  const why = `missing ${missing.join(', ')} (apt-get install openvswitch-switch)`;
  if (process.env.CI === 'true') throw new Error(why);
  t.skip(why);
  return false;
}

/** True when running as root (integration tests that build namespaces need it). */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}
