// Shared plumbing for the tests that run the real ovs-vsctl and `tsovs vsctl` side by side (the command
// tests, db-commands.test.ts, and golden-harness.ts): running either tool against a server, a real and a
// tsovs ovsdb-server prepared alike, and output normalisation (UUIDs → placeholders in order of
// appearance, vlog timestamps dropped, UUID-ordered show blocks sorted). compare.test.ts checks the
// normalisers.
import assert from 'node:assert/strict';
import { type DbServer, type RunResult, runCommand, runTsovs, startServers } from '../helpers/daemons.js';
import { skipUnlessBinaries } from '../helpers/ovs.js';

/** Any UUID in text (global; use with replace/match). */
export const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * A function that replaces each distinct UUID by <0>, <1>, … in order of first appearance, the numbering
 * carried over between its calls (so stdout and stderr of one run can share it).
 */
export function uuidNumberer(): (text: string) => string {
  const seen = new Map<string, number>();
  return (text) =>
    text.replace(UUID_RE, (u) => {
      if (!seen.has(u)) seen.set(u, seen.size);
      return `<${seen.get(u)}>`;
    });
}

/** Replaces each distinct UUID by <0>, <1>, … in order of first appearance. */
export function normaliseUuids(text: string): string {
  return uuidNumberer()(text);
}

/** Drops the time of vlog lines ("2026-…Z|00002|vsctl|WARN|x" → "00002|vsctl|WARN|x"). */
export function normaliseVlog(text: string): string {
  return text.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\|/gm, '');
}

/** `text` with every UUID masked by one token, as a sort key that ignores UUID values. */
function masked(text: string): string {
  return text.replace(UUID_RE, '<uuid>');
}

/** `items` sorted by their text with UUIDs masked, ties broken by the text itself. */
export function sortByMasked(items: string[]): string[] {
  return items
    .map((item) => ({ item, key: masked(item) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.item < b.item ? -1 : 1))
    .map(({ item }) => item);
}

/** Leading spaces of a line. */
function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** Keywords of `show` blocks whose order among their siblings follows UUIDs. */
const SHOW_BLOCKS = /^(Bridge|Port|Interface|Controller|Manager) /;

/**
 * `show` output lines with every run of sibling blocks of one kind (Bridge, Port, Interface, Controller,
 * Manager) sorted, recursively: ovs-vsctl walks reference sets in UUID order, which differs between servers.
 */
function sortShowLines(lines: string[]): string[] {
  const blocks: string[][] = [];
  for (let i = 0; i < lines.length; ) {
    const indent = indentOf(lines[i] as string);
    let j = i + 1;
    while (j < lines.length && indentOf(lines[j] as string) > indent) j++;
    blocks.push([lines[i] as string, ...sortShowLines(lines.slice(i + 1, j))]);
    i = j;
  }
  const head = (k: number): string => (blocks[k]?.[0] ?? '').trimStart();
  const out: string[][] = [];
  for (let i = 0; i < blocks.length; ) {
    const kind = SHOW_BLOCKS.exec(head(i))?.[1];
    let j = i + 1;
    if (kind !== undefined) while (j < blocks.length && head(j).startsWith(`${kind} `)) j++;
    const run = blocks.slice(i, j).map((b) => b.join('\n'));
    for (const b of kind === undefined ? run : sortByMasked(run)) out.push(b.split('\n'));
    i = j;
  }
  return out.flat();
}

/** `show` output with runs of sibling Bridge/Port/Interface/Controller/Manager blocks sorted (show orders them by UUID). */
export function sortShow(text: string): string {
  const trailing = text.endsWith('\n') ? '\n' : '';
  return sortShowLines((trailing ? text.slice(0, -1) : text).split('\n')).join('\n') + trailing;
}

/** How to compare outputs whose order depends on UUID values: sort show's blocks, or sort all lines. */
export interface CompareOptions {
  readonly sortShow?: boolean;
  readonly sortLines?: boolean;
}

/** A RunResult reduced to what must match: stdout, stderr (vlog times dropped), status; UUIDs normalised together. */
export function comparable(r: RunResult, opts: CompareOptions = {}): string {
  let stdout = opts.sortShow ? sortShow(r.stdout) : r.stdout;
  if (opts.sortLines) stdout = stdout.split('\n').sort().join('\n');
  return normaliseUuids(`${stdout}\n--stderr--\n${normaliseVlog(r.stderr)}\n--status-- ${r.status}`);
}

/** Which vsctl to run: Open vSwitch's real ovs-vsctl, or `tsovs vsctl`. */
export type VsctlTool = 'real' | 'tsovs';

/** Runs `vsctl --db=unix:SOCK ARGS…` with `tool` against `server`. */
export function runVsctl(tool: VsctlTool, server: DbServer, args: string[]): Promise<RunResult> {
  const common = [`--db=unix:${server.sock}`, ...args];
  return tool === 'real' ? runCommand('ovs-vsctl', common) : runTsovs(['vsctl', ...common]);
}

/** Runs the real ovs-vsctl --no-wait against `server`. */
export function realVsctl(server: DbServer, args: string[]): Promise<RunResult> {
  return runVsctl('real', server, ['--no-wait', ...args]);
}

/** Runs `tsovs vsctl --no-wait` against `server`, with the program name ovs-vsctl uses in its messages. */
export function tsovsVsctl(server: DbServer, args: string[]): Promise<RunResult> {
  return runVsctl('tsovs', server, ['--no-wait', ...args]);
}

/** Runs each command line in turn with `tool` against `server`; each must succeed. */
export async function prepareServer(
  tool: VsctlTool,
  server: DbServer,
  lines: readonly string[][],
): Promise<void> {
  for (const args of lines) {
    const r = await runVsctl(tool, server, args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  }
}

/** Skip reason for suites that need the real Open vSwitch tools (never skipped under CI=true). */
export const NEEDS_OVS = skipUnlessBinaries('ovs-vsctl', 'ovsdb-server');

/** A real and a tsovs ovsdb-server, prepared alike by running the same commands on both. */
export class ServerPair {
  private constructor(
    readonly real: DbServer,
    readonly ours: DbServer,
  ) {}

  /** Starts both servers (each on a fresh, empty database). */
  static async start(): Promise<ServerPair> {
    const [real, ours] = await startServers(['real', 'tsovs']);
    return new ServerPair(real as DbServer, ours as DbServer);
  }

  /** Runs `args` with the real ovs-vsctl and with tsovs vsctl; both results must compare equal. */
  async same(args: string[], opts: CompareOptions = {}): Promise<RunResult> {
    const [real, ours] = await Promise.all([realVsctl(this.real, args), tsovsVsctl(this.ours, args)]);
    assert.equal(comparable(ours, opts), comparable(real, opts), `vsctl ${args.join(' ')}`);
    return real;
  }

  /** Runs each command line in turn on both servers, comparing every result. */
  async steps(lines: readonly string[][], opts: CompareOptions = {}): Promise<void> {
    for (const args of lines) await this.same(args, opts);
  }

  /** Stops both servers and removes their directories. */
  async cleanup(): Promise<void> {
    await Promise.all([this.real.cleanup(), this.ours.cleanup()]);
  }
}
