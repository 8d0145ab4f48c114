// Shared plumbing for the vsctl command tests: a real and a tsovs ovsdb-server prepared alike, running
// the real ovs-vsctl and `tsovs vsctl` against them, and output normalisation (UUIDs → placeholders in
// order of appearance, vlog timestamps dropped, UUID-ordered show blocks sorted). Its own tests check the
// normalisers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  type DbServer,
  type RunResult,
  runCommand,
  runTsovs,
  startRealServer,
  startTsovsServer,
} from '../helpers/daemons.js';
import { hasBinary } from '../helpers/ovs.js';

const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Replaces each distinct UUID by <0>, <1>, … in order of first appearance. */
export function normaliseUuids(text: string): string {
  const seen = new Map<string, number>();
  return text.replace(UUID_RE, (u) => {
    if (!seen.has(u)) seen.set(u, seen.size);
    return `<${seen.get(u)}>`;
  });
}

/** Drops the time of vlog lines ("2026-…Z|00002|vsctl|WARN|x" → "00002|vsctl|WARN|x"). */
export function normaliseVlog(text: string): string {
  return text.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\|/gm, '');
}

interface Block {
  head: string;
  children: Block[];
}

const SORTED_HEADS = /^(Bridge|Port|Interface|Controller|Manager) /;

function parseBlocks(lines: string[], start: number, depth: number): [Block[], number] {
  const blocks: Block[] = [];
  let i = start;
  while (i < lines.length) {
    const level = lines[i].length - lines[i].trimStart().length;
    if (level < depth) break;
    const head = lines[i];
    const [children, next] = parseBlocks(lines, i + 1, level + 1);
    blocks.push({ head, children });
    i = next;
  }
  return [blocks, i];
}

function blockText(b: Block): string {
  return [b.head, ...b.children.map(blockText)].join('\n');
}

function sortBlocks(blocks: Block[]): Block[] {
  const sorted = blocks.map((b) => ({ head: b.head, children: sortBlocks(b.children) }));
  const kind = (b: Block) => SORTED_HEADS.exec(b.head.trimStart())?.[1];
  let i = 0;
  while (i < sorted.length) {
    const k = kind(sorted[i]);
    let j = i + 1;
    while (k !== undefined && j < sorted.length && kind(sorted[j]) === k) j++;
    const run = sorted.slice(i, j).sort((a, b) => (blockText(a) < blockText(b) ? -1 : 1));
    sorted.splice(i, j - i, ...run);
    i = j;
  }
  return sorted;
}

/** `show` output with runs of sibling Bridge/Port/Interface/Controller/Manager blocks sorted (show orders them by UUID). */
export function sortShow(text: string): string {
  const lines = text.split('\n');
  const trailing = lines.at(-1) === '' ? lines.pop() : undefined;
  const [blocks] = parseBlocks(lines, 0, 0);
  const out = sortBlocks(blocks).map(blockText).join('\n');
  return trailing === undefined ? out : `${out}\n`;
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

/** Runs the real ovs-vsctl --no-wait against `server`. */
export function realVsctl(server: DbServer, args: string[]): Promise<RunResult> {
  return runCommand('ovs-vsctl', [`--db=unix:${server.sock}`, '--no-wait', ...args]);
}

/** Runs `tsovs vsctl --no-wait` against `server`, with the program name ovs-vsctl uses in its messages. */
export async function tsovsVsctl(server: DbServer, args: string[]): Promise<RunResult> {
  return runTsovs(['vsctl', `--db=unix:${server.sock}`, '--no-wait', ...args]);
}

/** Skip reason for suites that need the real Open vSwitch tools (never skipped under CI=true). */
export const NEEDS_OVS =
  (hasBinary('ovs-vsctl') && hasBinary('ovsdb-server')) || process.env.CI === 'true'
    ? false
    : 'needs the real Open vSwitch tools (apt-get install openvswitch-switch)';

/** A real and a tsovs ovsdb-server, prepared alike by running the same commands on both. */
export class ServerPair {
  private constructor(
    readonly real: DbServer,
    readonly ours: DbServer,
  ) {}

  /** Starts both servers (each on a fresh, empty database). */
  static async start(): Promise<ServerPair> {
    const real = await startRealServer();
    try {
      return new ServerPair(real, await startTsovsServer());
    } catch (err) {
      await real.cleanup();
      throw err;
    }
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

// The self-tests run when this file is the test, not again in every file that imports the harness.
const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;

describe('vsctl test harness', { skip: !isMain && 'run from commands-harness.test.ts' }, () => {
  it('numbers UUIDs in order of appearance', () => {
    const a = '11111111-1111-1111-1111-111111111111';
    const b = '22222222-2222-2222-2222-222222222222';
    assert.equal(normaliseUuids(`${b} ${a} ${b}`), '<0> <1> <0>');
  });

  it('drops vlog time stamps', () => {
    assert.equal(normaliseVlog('2026-11-24T00:12:32Z|00002|vsctl|WARN|x\n'), '00002|vsctl|WARN|x\n');
  });

  it('sorts sibling show blocks of one kind, keeping other lines in place', () => {
    const text = [
      'u',
      '    Bridge b',
      '        Port q',
      '        Port p',
      '            Interface p',
      '    Bridge a',
      '    ovs_version: "1"',
      '',
    ].join('\n');
    const want = [
      'u',
      '    Bridge a',
      '    Bridge b',
      '        Port p',
      '            Interface p',
      '        Port q',
      '    ovs_version: "1"',
      '',
    ].join('\n');
    assert.equal(sortShow(text), want);
  });
});
