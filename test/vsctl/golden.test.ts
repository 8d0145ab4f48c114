// Golden tests for `tsovs vsctl`: every command line of golden-cases.ts runs through the real ovs-vsctl 3.1
// against server A and through `tsovs vsctl` against server B, both prepared identically; stdout, stderr,
// exit status and the resulting database must match (UUIDs normalised). A difference fails the case;
// VSCTL_GOLDEN_TODO=1 reports differences as node:test TODOs with a short diff instead (work in progress).
// VSCTL_GOLDEN_SELFTEST=1 runs the real ovs-vsctl on both sides, which must then match everywhere: it proves
// the harness and its normalisation sound. VSCTL_GOLDEN_VERBOSE=1 prints what the real tool printed for
// each case.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type DbServer, startServers } from '../helpers/daemons.js';
import { hasBinary, requireBinaries } from '../helpers/ovs.js';
import { casesOf, type GoldenCase, type GoldenScenario, SCENARIOS } from './golden-cases.js';
import {
  type DbInspector,
  fastTsovsArgv,
  inferOrder,
  normaliseOutput,
  numberUuids,
  openInspector,
  placeholderQuery,
  placeholdersIn,
  runWithDeadline,
  shortDiff,
  splitCommandLine,
  substitutePlaceholders,
  type VsctlResult,
  VsctlWorker,
} from './golden-harness.js';

const SELFTEST = process.env.VSCTL_GOLDEN_SELFTEST === '1';
// Every case matches now, so a difference fails; VSCTL_GOLDEN_TODO=1 lists differences as TODOs instead.
const STRICT = SELFTEST || process.env.VSCTL_GOLDEN_TODO !== '1';
/** A run still going after this long is killed (a --timeout case takes about 1 s). */
const RUN_DEADLINE_MS = 8000;

/** Which vsctl runs against a server: the real one, or ours. */
type Tool = 'real' | 'tsovs';

/** Runs `tsovs vsctl` in a resident process (see VsctlWorker) unless VSCTL_GOLDEN_SPAWN=1; one per scenario. */
let worker: VsctlWorker | null = null;

/** Runs `vsctl --no-wait --db=unix:SOCK ARGS…` with `tool`. */
function vsctl(tool: Tool, sock: string, args: string[]): Promise<VsctlResult> {
  const common = ['--no-wait', `--db=unix:${sock}`, ...args];
  if (tool === 'real') return runWithDeadline('ovs-vsctl', common, RUN_DEADLINE_MS);
  if (worker !== null) return worker.run(common, RUN_DEADLINE_MS);
  const [cmd, ...pre] = fastTsovsArgv();
  return runWithDeadline(cmd as string, [...pre, 'vsctl', ...common], RUN_DEADLINE_MS);
}

/** `words` with its UUID placeholders resolved on the server at `sock` (through the real ovs-vsctl). */
async function resolvePlaceholders(sock: string, words: string[]): Promise<string[]> {
  const uuids = new Map<string, string>();
  for (const p of placeholdersIn(words)) {
    const r = await vsctl('real', sock, placeholderQuery(p));
    const uuid = r.stdout.trim();
    if (r.status !== 0 || !/^[0-9a-f-]{36}$/.test(uuid)) throw new Error(`cannot resolve ${p}: ${r.stderr}`);
    uuids.set(p, uuid);
  }
  return substitutePlaceholders(words, uuids);
}

/** Runs a command line with the real ovs-vsctl on `sock`, for setup and resynchronisation; it must not hang. */
async function runReal(sock: string, line: string): Promise<VsctlResult> {
  return vsctl('real', sock, await resolvePlaceholders(sock, splitCommandLine(line)));
}

/** What differs between the two sides of one case, as reason lines; empty when they match. */
interface Comparison {
  differs: string[];
  detail: string[];
}

/** Compares the real tool's run (A) with ours (B) and the databases they left. */
function compareRuns(
  c: GoldenCase,
  words: string[],
  a: { run: VsctlResult; db: string; sock: string },
  b: { run: VsctlResult; db: string; sock: string },
): Comparison {
  const inferred = inferOrder(words);
  const mode = c.order ?? inferred.mode;
  const out = (side: typeof a): string => normaliseOutput(side.run.stdout, mode, inferred.shape, [side.sock]);
  const err = (side: typeof a): string =>
    normaliseOutput(side.run.stderr, 'none', { headings: false, columns: 0 }, [side.sock]);
  const differs: string[] = [];
  const detail: string[] = [];
  const check = (what: string, expected: string, actual: string): void => {
    if (expected === actual) return;
    differs.push(what);
    detail.push(`${what}:\n${shortDiff(expected, actual)}`);
  };
  const ended = (r: VsctlResult): string => (r.signal !== null ? `signal ${r.signal}` : `exit ${r.status}`);
  check('exit status', ended(a.run), ended(b.run));
  check('stdout', out(a), out(b));
  if (c.stderr === 'nonempty') {
    check('stderr (non-empty)', String(a.run.stderr !== ''), String(b.run.stderr !== ''));
  } else {
    check('stderr', err(a), err(b));
  }
  check('database', a.db, b.db);
  return { differs, detail };
}

/** One side of a scenario: its server and a connection for snapshots. */
interface Side {
  server: DbServer;
  db: DbInspector;
  sock: string;
}

/** A scenario's pair of servers: A for the real ovs-vsctl, B for the vsctl under test. */
interface ServerPair {
  a: Side;
  b: Side;
}

async function side(server: DbServer): Promise<Side> {
  return { server, db: await openInspector(server.sock), sock: server.sock };
}

/** Empties both databases and runs the setup lines through the real tool on both; they must succeed. */
async function prepare(pair: ServerPair, scenario: GoldenScenario): Promise<void> {
  await Promise.all([pair.a.db.empty(), pair.b.db.empty()]);
  for (const line of scenario.setup) {
    const [ra, rb] = await Promise.all([runReal(pair.a.sock, line), runReal(pair.b.sock, line)]);
    for (const r of [ra, rb]) assert.equal(r.status, 0, `setup "${line}" failed: ${r.stderr}`);
  }
}

/**
 * Brings B back to A's state after ours left it elsewhere: replays setup and the cases so far through the
 * real tool on a fresh B (lines that failed on A changed nothing and are skipped).
 */
async function resync(
  pair: ServerPair,
  scenario: GoldenScenario,
  done: { cmd: string; ok: boolean }[],
): Promise<void> {
  await pair.b.db.empty();
  for (const line of scenario.setup) await runReal(pair.b.sock, line);
  for (const { cmd, ok } of done) if (ok) await runReal(pair.b.sock, cmd);
}

/** The name of the first command in a command line (for TODO reasons). */
function commandName(words: string[]): string {
  return words.find((w) => !w.startsWith('-')) ?? '(none)';
}

// The normalisation must equate only what legitimately differs between servers (UUID values and the
// orders that follow them), never different contents.
test('vsctl golden: normalisation equates UUID orders, not contents', () => {
  const u = (n: number): string => `${String(n).repeat(8)}-1111-2222-3333-444444444444`;
  const shape = { headings: true, columns: 0 };
  const listA = `_uuid : ${u(1)}\nname : "a"\n\n_uuid : ${u(2)}\nname : "b"\n`;
  const listB = `_uuid : ${u(3)}\nname : "b"\n\n_uuid : ${u(4)}\nname : "a"\n`;
  assert.equal(normaliseOutput(listA, 'records', shape, []), normaliseOutput(listB, 'records', shape, []));
  assert.notEqual(normaliseOutput(listA, 'none', shape, []), normaliseOutput(listB, 'none', shape, []));
  const listC = listB.replace('"a"', '"c"');
  assert.notEqual(normaliseOutput(listA, 'records', shape, []), normaliseOutput(listC, 'records', shape, []));
  assert.equal(numberUuids(`[${u(5)}, ${u(6)}]\n${u(6)} x\n`), '[<0>, <1>]\n<0> x\n');
  const show = (first: string, second: string): string =>
    `${u(7)}\n    Bridge ${first}\n        Port ${first}\n    Bridge ${second}\n        Port ${second}\n`;
  assert.equal(
    normaliseOutput(show('x', 'y'), 'show', shape, []),
    normaliseOutput(show('y', 'x'), 'show', shape, []),
  );
  const bare = { headings: false, columns: 2 };
  assert.equal(
    normaliseOutput('p2\n\n\np1\n1\n', 'bare', bare, []),
    normaliseOutput('p1\n1\n\np2\n\n', 'bare', bare, []),
  );
});

const tool: Tool = SELFTEST ? 'real' : 'tsovs';
const started: DbServer[] = [];
let ours: ServerPair | undefined;
let real: ServerPair | undefined;
const available = hasBinary('ovs-vsctl') && hasBinary('ovsdb-server') && hasBinary('ovsdb-tool');

before(async () => {
  if (!available) return;
  started.push(...(await startServers(['tsovs', 'tsovs', 'tsovs', 'real'])));
  const [a, b, a2, b2] = await Promise.all(started.map(side));
  ours = { a: a as Side, b: b as Side };
  real = { a: a2 as Side, b: b2 as Side };
});

after(async () => {
  for (const pair of [ours, real]) for (const s of [pair?.a, pair?.b]) s?.db.close();
  await Promise.all(started.map((s) => s.cleanup()));
});

for (const scenario of SCENARIOS) {
  test(`vsctl golden: ${scenario.name}`, async (t) => {
    if (!requireBinaries(t, 'ovs-vsctl', 'ovsdb-server', 'ovsdb-tool')) return;
    const pair = (scenario.realServer ? real : ours) as ServerPair;
    if (tool === 'tsovs' && process.env.VSCTL_GOLDEN_SPAWN !== '1') worker = new VsctlWorker();
    t.after(async () => {
      await worker?.close();
      worker = null;
    });
    await prepare(pair, scenario);
    let dbA = await pair.a.db.snapshot();
    assert.equal(await pair.b.db.snapshot(), dbA, 'setup left the two databases different');
    const done: { cmd: string; ok: boolean }[] = [];
    for (const c of casesOf(scenario)) {
      await t.test(c.cmd === '' ? '(no arguments)' : c.cmd, async (st) => {
        const words = splitCommandLine(c.cmd);
        const [wordsA, wordsB] = await Promise.all([
          resolvePlaceholders(pair.a.sock, words),
          resolvePlaceholders(pair.b.sock, words),
        ]);
        const before = dbA;
        const [runA, runB] = await Promise.all([
          vsctl('real', pair.a.sock, wordsA),
          vsctl(tool, pair.b.sock, wordsB),
        ]);
        const [afterA, afterB] = await Promise.all([pair.a.db.snapshot(), pair.b.db.snapshot()]);
        dbA = afterA;
        done.push({ cmd: c.cmd, ok: runA.status === 0 });
        const cmp = compareRuns(
          c,
          words,
          { run: runA, db: afterA, sock: pair.a.sock },
          { run: runB, db: afterB, sock: pair.b.sock },
        );
        if (process.env.VSCTL_GOLDEN_VERBOSE === '1') {
          const end = runA.signal !== null ? `signal ${runA.signal}` : `exit ${runA.status}`;
          st.diagnostic(
            `ovs-vsctl: ${end}\nstdout: ${JSON.stringify(runA.stdout)}\nstderr: ${JSON.stringify(runA.stderr)}`,
          );
        }
        if (cmp.differs.length === 0) return;
        // Put B back where A is, so that one difference does not spill into the following cases: when ours
        // left B untouched, running the real tool there once is enough; else replay the scenario so far.
        if (afterB === before) await runReal(pair.b.sock, c.cmd);
        if ((await pair.b.db.snapshot()) !== afterA) await resync(pair, scenario, done);
        assert.equal(await pair.b.db.snapshot(), afterA, 'could not bring server B back to A');
        const report = `ovs-vsctl ${c.cmd}\n${cmp.detail.join('\n')}`;
        if (STRICT) assert.fail(`tsovs vsctl differs from ovs-vsctl: ${report}`);
        const notRegistered = runB.stderr.includes("unknown command 'vsctl'");
        const reason = notRegistered
          ? 'tsovs vsctl is not registered yet'
          : `${commandName(words)}: ${cmp.differs.join(', ')} differ${cmp.differs.length === 1 ? 's' : ''}`;
        st.todo(`${reason}\n${notRegistered ? '' : report}`);
      });
    }
  });
}
