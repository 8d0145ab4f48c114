// The real ovs-vsctl against `tsovs ovsdb-server` and against Open vSwitch's ovsdb-server: the same command
// sequence on fresh databases, compared per command (stdout, stderr, exit status) with UUIDs normalised;
// then --timeout without --no-wait (no vswitchd runs, so both time out alike) and a background wait-until
// that a later change satisfies.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { type DbServer, startRealServer, startTsovsServer, waitFor } from '../helpers/daemons.js';
import { hasBinary, requireBinaries } from '../helpers/ovs.js';

/** What one command did. */
interface Run {
  readonly cmd: string;
  stdout: string;
  stderr: string;
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running ovs-vsctl. */
interface Child {
  readonly done: Promise<Run>;
  readonly exited: () => boolean;
  kill(): void;
}

const children = new Set<Child>();

function vsctl(s: DbServer, args: string[]): Child {
  const child = spawn('ovs-vsctl', [`--db=unix:${s.sock}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      exited = true;
      resolve({ cmd: args.join(' '), stdout, stderr, status, signal });
    });
  });
  const handle: Child = {
    done,
    exited: () => exited,
    kill: () => {
      if (!exited) child.kill('SIGKILL');
    },
  };
  children.add(handle);
  void done.finally(() => children.delete(handle));
  return handle;
}

const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const UUID_LINE = /^_uuid\s+: ([0-9a-f-]{36})$/gm;

/** `list`/`find` print records in hash order: sort them by their text with UUIDs masked. */
function sortRecords(text: string): string {
  if (!/^_uuid\s+:/m.test(text)) return text;
  const records = text.replace(/\n$/, '').split('\n\n');
  const key = (r: string) => r.replace(UUID_RE, '*');
  records.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return `${records.join('\n\n')}\n`;
}

interface ShowNode {
  readonly line: string;
  readonly children: ShowNode[];
}

function renderShow(node: ShowNode): string {
  return [node.line, ...node.children.map(renderShow)].join('\n');
}

/** Sorts a node's sub-blocks (Bridge, Port, Interface… with their contents) by their text, UUIDs masked. */
function sortShowNode(node: ShowNode): ShowNode {
  const children = node.children.map(sortShowNode);
  const attrs = children.filter((c) => c.children.length === 0 && /^\s*[a-z_]+: /.test(c.line));
  const blocks = children.filter((c) => !attrs.includes(c));
  const key = (c: ShowNode) => renderShow(c).replace(UUID_RE, '*');
  blocks.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return { line: node.line, children: [...attrs, ...blocks] };
}

/** `show` prints rows in the order of the referencing set, that is by UUID: sort sibling blocks. */
function sortShow(text: string): string {
  const root: ShowNode = { line: '', children: [] };
  const stack: { node: ShowNode; indent: number }[] = [{ node: root, indent: -1 }];
  for (const line of text.replace(/\n$/, '').split('\n')) {
    const indent = line.length - line.trimStart().length;
    while (stack[stack.length - 1].indent >= indent) stack.pop();
    const node: ShowNode = { line, children: [] };
    stack[stack.length - 1].node.children.push(node);
    stack.push({ node, indent });
  }
  return `${sortShowNode(root).children.map(renderShow).join('\n')}\n`;
}

/**
 * Replaces UUIDs by `<N>`: first those of records (`_uuid : …` lines), then the others, each numbered in
 * order of appearance; lists of UUIDs (printed in UUID order) are then sorted by number. Timestamps of log
 * lines become <time>.
 */
function normalise(runs: Run[]): Run[] {
  const sorted = runs.map((r) => ({
    ...r,
    stdout: r.cmd.endsWith('show') && r.stdout !== '' ? sortShow(r.stdout) : sortRecords(r.stdout),
  }));
  const names = new Map<string, string>();
  const name = (u: string) => {
    let n = names.get(u);
    if (n === undefined) {
      n = `<${names.size}>`;
      names.set(u, n);
    }
    return n;
  };
  for (const r of sorted) for (const m of r.stdout.matchAll(UUID_LINE)) name(m[1]);
  const rename = (text: string) =>
    text
      .replace(UUID_RE, name)
      .replace(/\[(<\d+>(?:, <\d+>)*)\]/g, (_all, list: string) => {
        const items = list.split(', ').sort((a, b) => Number(a.slice(1, -1)) - Number(b.slice(1, -1)));
        return `[${items.join(', ')}]`;
      })
      .replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\|/gm, '<time>|');
  return sorted.map((r) => ({ ...r, stdout: rename(r.stdout), stderr: rename(r.stderr) }));
}

/** The sequence of the comparison: [args…] per command, all with --no-wait. */
const SEQUENCE: string[][] = [
  ['init'],
  ['add-br', 'br0'],
  ['add-port', 'br0', 'p1'],
  ['set', 'Bridge', 'br0', 'stp_enable=true'],
  ['set', 'Interface', 'p1', 'type=gre', 'options:remote_ip=10.0.0.2'],
  ['add-br', 'br1'],
  ['add-port', 'br1', 'p2', 'tag=10'],
  ['set', 'Port', 'p2', 'trunks=1,2,3'],
  ['set', 'Bridge', 'br0', 'other_config:stp-priority=0x7000', 'external_ids:a=b'],
  ['remove', 'Bridge', 'br0', 'external_ids', 'a'],
  ['list', 'Bridge'],
  ['list', 'Port'],
  ['find', 'Interface', 'type=gre'],
  ['get', 'Bridge', 'br0', 'stp_enable'],
  ['show'],
  ['list-br'],
  ['list-ports', 'br0'],
  ['del-port', 'p1'],
  ['del-br', 'br1'],
  ['--if-exists', 'del-br', 'nosuch'],
  ['add-br', 'br0'],
  ['del-port', 'nosuch'],
  ['set', 'Bridge', 'br0', 'nosuchcol=1'],
  ['show'],
];

async function runSequence(s: DbServer): Promise<Run[]> {
  const runs: Run[] = [];
  for (const args of SEQUENCE) runs.push(await vsctl(s, ['--no-wait', ...args]).done);
  return runs;
}

describe('ovs-vsctl against tsovs ovsdb-server and the real one', { timeout: 120000 }, () => {
  let ours: DbServer;
  let theirs: DbServer | undefined;

  before(async () => {
    ours = await startTsovsServer();
    if (hasBinary('ovsdb-server') && hasBinary('ovsdb-tool')) theirs = await startRealServer();
  });

  after(async () => {
    for (const c of [...children]) c.kill();
    await ours?.cleanup();
    await theirs?.cleanup();
  });

  it('the same commands give the same output, errors and exit status', async (t) => {
    if (!requireBinaries(t, 'ovs-vsctl', 'ovsdb-server', 'ovsdb-tool') || theirs === undefined) return;
    const [mine, real] = await Promise.all([runSequence(ours), runSequence(theirs)]);
    const a = normalise(mine);
    const b = normalise(real);
    for (let i = 0; i < a.length; i++) assert.deepStrictEqual(a[i], b[i], `ovs-vsctl ${a[i].cmd}`);
    // The comparison means something only if the commands did what they say.
    assert.match(a[14].stdout, /Bridge br0\n {8}Port br0\n/);
    assert.match(a[12].stdout, /options\s+: \{remote_ip="10\.0\.0\.2"\}/);
    assert.deepStrictEqual(
      a.slice(20).map((r) => r.status),
      [1, 1, 1, 0],
    );
  });

  it('without --no-wait, --timeout expires on both (no vswitchd advances cur_cfg)', async (t) => {
    if (!requireBinaries(t, 'ovs-vsctl', 'ovsdb-server', 'ovsdb-tool') || theirs === undefined) return;
    const [mine, real] = await Promise.all(
      [ours, theirs].map(async (s) => {
        const started = Date.now();
        const run = await vsctl(s, ['--timeout=1', 'add-br', 'brt']).done;
        const after = await vsctl(s, ['--no-wait', 'br-exists', 'brt']).done;
        return { run, tookSeconds: Math.round((Date.now() - started) / 1000), brtExists: after.status === 0 };
      }),
    );
    assert.deepStrictEqual(normalise([mine.run]), normalise([real.run]));
    assert.deepStrictEqual(
      { tookSeconds: mine.tookSeconds, brtExists: mine.brtExists },
      { tookSeconds: real.tookSeconds, brtExists: real.brtExists },
    );
    assert.equal(mine.run.signal, 'SIGALRM');
    assert.match(mine.run.stderr, /terminating with signal 14 \(Alarm clock\)/);
  });

  it('wait-until in the background returns once another client makes the condition true', async (t) => {
    if (!requireBinaries(t, 'ovs-vsctl', 'ovsdb-server', 'ovsdb-tool') || theirs === undefined) return;
    const outcomes = await Promise.all(
      [ours, theirs].map(async (s) => {
        const setStp = (v: string) => vsctl(s, ['--no-wait', 'set', 'Bridge', 'br0', `stp_enable=${v}`]).done;
        assert.equal((await setStp('false')).status, 0);
        const waiter = vsctl(s, [
          '--no-wait',
          '--timeout=20',
          'wait-until',
          'Bridge',
          'br0',
          'stp_enable=true',
        ]);
        const started = Date.now();
        // It must still be waiting a while after it connected and read the (unsatisfying) row.
        await waitFor(() => Date.now() - started >= 500 || waiter.exited(), 5000, 'the waiter to settle');
        const waitedUnsatisfied = !waiter.exited();
        const other = await vsctl(s, ['--no-wait', 'set', 'Bridge', 'br0', 'other_config:x=1']).done;
        await waitFor(() => Date.now() - started >= 800 || waiter.exited(), 5000, 'the waiter to settle');
        const ignoredOtherChange = !waiter.exited();
        assert.equal((await setStp('true')).status, 0);
        const run = await waiter.done;
        return { waitedUnsatisfied, ignoredOtherChange, otherStatus: other.status, run };
      }),
    );
    assert.deepStrictEqual(outcomes[0], outcomes[1]);
    assert.deepStrictEqual(
      { ...outcomes[0], run: { status: outcomes[0].run.status, stdout: outcomes[0].run.stdout } },
      { waitedUnsatisfied: true, ignoredOtherChange: true, otherStatus: 0, run: { status: 0, stdout: '' } },
    );
  });
});
