// `npm run bench:ovsdb`: Open vSwitch's ovsdb-server 3.1 and `tsovs ovsdb-server` side by side, each on a
// fresh database in its own temp dir: transactions per second for one client and for eight concurrent
// clients (small mutations of Open_vSwitch external_ids), and the server's resident memory after 10,000
// ports. Throughput runs alternate between the servers; medians and tsovs/real ratios are printed.
// BENCH_QUICK=1 makes a short run (fewer, shorter repetitions, 1,000 ports).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { isJsonObject, type Json, type JsonObject } from '../src/jsonrpc/json.js';
import type { JsonRpcSession } from '../src/jsonrpc/session.js';
import {
  OVS_SCHEMA,
  openSession,
  ROOT,
  setExternalIdOp,
  waitUntilListening,
} from '../test/helpers/daemons.js';

const QUICK = process.env.BENCH_QUICK === '1';
/** Throughput repetitions per server, and how long each lasts. */
const REPS = QUICK ? 3 : 5;
const RUN_MS = QUICK ? 500 : 2000;
const WARMUP_TXNS = QUICK ? 200 : 1000;
const CONCURRENT_CLIENTS = 8;
const PORTS = QUICK ? 1000 : 10_000;
const PORTS_PER_TXN = 500;

/** A database server under test: its process (the server itself, not a wrapper) and socket. */
interface Server {
  readonly label: string;
  readonly dir: string;
  readonly sock: string;
  readonly child: ChildProcess;
}

const running = new Set<Server>();

/** Temp dirs that are not a server's (the transpiled tsovs), removed at exit. */
const scratch = new Set<string>();

/**
 * Transpiles src/ to plain JS in a temp dir (as `npm run build` would, without the type check), so tsovs
 * runs as a plain node process: no tsx loader thread inflating its memory, and never a stale dist/.
 */
function buildTsovs(): string[] {
  const out = mkdtempSync(join(tmpdir(), 'bench-tsovs-build-'));
  scratch.add(out);
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'));
  symlinkSync(join(ROOT, 'schema'), join(out, 'schema'));
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );
  const compilerOptions = {
    module: ts.ModuleKind.ES2022,
    target: ts.ScriptTarget.ES2022,
    verbatimModuleSyntax: true,
  };
  for (const file of walk(join(ROOT, 'src'))) {
    const js = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file }).outputText;
    const target = join(out, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, js);
  }
  return [process.execPath, join(out, 'src', 'cli', 'main.js')];
}

/** Starts a server process and waits until its socket accepts connections. */
async function launch(label: string, dir: string, argv: string[]): Promise<Server> {
  const sock = join(dir, 'db.sock');
  const [cmd, ...args] = argv;
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, OVS_RUNDIR: dir },
  });
  const server: Server = { label, dir, sock, child };
  running.add(server);
  await waitUntilListening(child, sock, 20000);
  const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
  if (!cmdline.includes('ovsdb-server') && !cmdline.some((a) => a.endsWith('/ovsdb-server'))) {
    throw new Error(`${label}: pid ${child.pid} is not the server (${cmdline.join(' ')})`);
  }
  return server;
}

function run(argv: string[]): void {
  const [cmd, ...args] = argv;
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
}

/** Starts Open vSwitch's ovsdb-server on a database made by its own ovsdb-tool. */
function startReal(): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ovs-'));
  const db = join(dir, 'conf.db');
  run(['ovsdb-tool', 'create', db, OVS_SCHEMA]);
  return launch('ovsdb-server 3.1', dir, [
    'ovsdb-server',
    db,
    `--remote=punix:${join(dir, 'db.sock')}`,
    `--unixctl=${join(dir, 'ovsdb-server.ctl')}`,
    `--log-file=${join(dir, 'ovsdb-server.log')}`,
    '--no-chdir',
  ]);
}

/** Starts `tsovs ovsdb-server` on a database made by `tsovs ovsdb-tool create`, from the same schema. */
function startTsovs(argv: string[]): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tsovs-'));
  const db = join(dir, 'conf.db');
  run([...argv, 'ovsdb-tool', 'create', db, OVS_SCHEMA]);
  return launch('tsovs', dir, [
    ...argv,
    'ovsdb-server',
    db,
    `--remote=punix:${join(dir, 'db.sock')}`,
    `--unixctl=${join(dir, 'ovsdb-server.ctl')}`,
    `--log-file=${join(dir, 'ovsdb-server.log')}`,
  ]);
}

/** Kills a server (SIGKILL if SIGTERM is not enough) and removes its directory. */
async function stop(server: Server): Promise<void> {
  running.delete(server);
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((res) => child.once('exit', () => res()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(server.dir, { recursive: true, force: true });
}

/** Last-resort cleanup when the process is interrupted or fails. */
function killAllSync(): void {
  for (const s of running) {
    s.child.kill('SIGKILL');
    rmSync(s.dir, { recursive: true, force: true });
  }
  running.clear();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
  scratch.clear();
}

/** Runs a transaction and throws unless every operation succeeded. */
async function transact(session: JsonRpcSession, ops: JsonObject[]): Promise<Json[]> {
  const result = (await session.request('transact', ['Open_vSwitch', ...ops])) as Json[];
  const failed = result.find((r) => isJsonObject(r) && r.error !== undefined && r.error !== null);
  if (failed !== undefined || result.length < ops.length)
    throw new Error(`transaction failed: ${JSON.stringify(result)}`);
  return result;
}

/**
 * The benchmark's transaction: set one key of Open_vSwitch external_ids (as `ovs-vsctl set` does); with
 * `durable`, a "commit" operation asks for it to be on disk before the reply (ovsdb-server then fsyncs).
 */
function setKey(key: string, value: number, durable: boolean): JsonObject[] {
  const commit: JsonObject[] = durable ? [{ op: 'commit', durable: true }] : [];
  return [setExternalIdOp(key, String(value)), ...commit];
}

/** Inserts the Open_vSwitch row every scenario works on. */
async function initialize(server: Server): Promise<void> {
  const s = await openSession(server.sock);
  await transact(s, [{ op: 'insert', table: 'Open_vSwitch', row: {} }]);
  s.close();
}

/** Transactions per second of `clients` sessions each running sequential transactions, for a time or a count. */
async function throughput(
  server: Server,
  clients: number,
  durable: boolean,
  budget: { ms?: number; txns?: number },
): Promise<number> {
  const sessions = await Promise.all(Array.from({ length: clients }, () => openSession(server.sock)));
  let done = 0;
  const start = performance.now();
  const until = start + (budget.ms ?? Number.POSITIVE_INFINITY);
  const limit = budget.txns ?? Number.POSITIVE_INFINITY;
  await Promise.all(
    sessions.map(async (s, i) => {
      for (let seq = 0; performance.now() < until && done < limit; seq++) {
        await transact(s, setKey(`bench-c${i}`, seq, durable));
        done++;
      }
    }),
  );
  const elapsed = performance.now() - start;
  for (const s of sessions) s.close();
  return (done * 1000) / elapsed;
}

/** VmRSS of a process, in MiB. */
function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** Resident memory of a fresh server before and after a bridge with PORTS ports (one interface each). */
async function memory(
  start: () => Promise<Server>,
): Promise<{ idle: number; loaded: number; seconds: number }> {
  const server = await start();
  try {
    const s = await openSession(server.sock);
    const pid = server.child.pid as number;
    await transact(s, [
      { op: 'insert', table: 'Bridge', row: { name: 'br0' }, 'uuid-name': 'br' },
      {
        op: 'insert',
        table: 'Open_vSwitch',
        row: { bridges: ['set', [['named-uuid', 'br']]] },
      },
    ]);
    const idle = rssMiB(pid);
    const t0 = performance.now();
    for (let first = 0; first < PORTS; first += PORTS_PER_TXN) {
      await transact(s, portBatch(first, Math.min(PORTS_PER_TXN, PORTS - first)));
    }
    const seconds = (performance.now() - t0) / 1000;
    const rows = (
      await transact(s, [{ op: 'select', table: 'Port', where: [], columns: ['name'] }])
    )[0] as JsonObject;
    if ((rows.rows as Json[]).length !== PORTS) throw new Error(`${server.label}: port count is wrong`);
    const loaded = rssMiB(pid);
    s.close();
    return { idle, loaded, seconds };
  } finally {
    await stop(server);
  }
}

/** One transaction adding `n` ports (each with one interface) to br0. */
function portBatch(first: number, n: number): JsonObject[] {
  const ops: JsonObject[] = [];
  const ports: Json[] = [];
  for (let i = first; i < first + n; i++) {
    ops.push({ op: 'insert', table: 'Interface', row: { name: `p${i}` }, 'uuid-name': `i${i}` });
    ops.push({
      op: 'insert',
      table: 'Port',
      row: { name: `p${i}`, interfaces: ['named-uuid', `i${i}`] },
      'uuid-name': `p${i}`,
    });
    ports.push(['named-uuid', `p${i}`]);
  }
  ops.push({
    op: 'mutate',
    table: 'Bridge',
    where: [['name', '==', 'br0']],
    mutations: [['ports', 'insert', ['set', ports]]],
  });
  return ops;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function fmt(x: number, digits = 0): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

interface Row {
  label: string;
  real: number;
  tsovs: number;
  digits: number;
  /** The individual runs, when repeated. */
  runs?: { real: number[]; tsovs: number[] };
}

function printTable(rows: Row[]): void {
  const head = ['', 'ovsdb-server 3.1', 'tsovs', 'tsovs/real'];
  const body = rows.map((r) => [
    r.label,
    fmt(r.real, r.digits),
    fmt(r.tsovs, r.digits),
    (r.tsovs / r.real).toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('   '));
  for (const b of body) console.log(line(b));
}

async function main(): Promise<void> {
  if (
    spawnSync('sh', ['-c', 'command -v ovsdb-server && command -v ovsdb-tool'], { stdio: 'ignore' })
      .status !== 0
  ) {
    throw new Error('the real ovsdb-server and ovsdb-tool are needed (apt-get install openvswitch-switch)');
  }
  const tsovs = { argv: buildTsovs() };
  console.log(
    `OVSDB server benchmark${QUICK ? ' (BENCH_QUICK)' : ''}: node ${process.version}, ${cpus().length} CPUs; ` +
      'tsovs: src/ transpiled to JS, run by plain node',
  );
  const real = await startReal();
  const ours = await startTsovs(tsovs.argv);
  const servers = [real, ours];
  const results = new Map<string, { real: number[]; tsovs: number[] }>();
  const scenarios = [
    { label: '1 client, txn/s', clients: 1, durable: false },
    { label: `${CONCURRENT_CLIENTS} clients, txn/s`, clients: CONCURRENT_CLIENTS, durable: false },
    { label: '1 client, durable txn/s', clients: 1, durable: true },
    { label: `${CONCURRENT_CLIENTS} clients, durable txn/s`, clients: CONCURRENT_CLIENTS, durable: true },
  ];
  try {
    for (const s of servers) {
      await initialize(s);
      await throughput(s, CONCURRENT_CLIENTS, false, { txns: WARMUP_TXNS });
    }
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 === 0 ? servers : [...servers].reverse();
      for (const sc of scenarios) {
        for (const s of order) {
          const tps = await throughput(s, sc.clients, sc.durable, { ms: RUN_MS });
          const r = results.get(sc.label) ?? { real: [], tsovs: [] };
          (s === real ? r.real : r.tsovs).push(tps);
          results.set(sc.label, r);
        }
      }
      process.stderr.write(`  throughput run ${rep + 1}/${REPS} done\n`);
    }
  } finally {
    await stop(real);
    await stop(ours);
  }
  process.stderr.write(`  memory: ${fmt(PORTS)} ports on each server\n`);
  const memReal = await memory(startReal);
  const memOurs = await memory(() => startTsovs(tsovs.argv));
  const rows: Row[] = [...results].map(([label, r]) => ({
    label,
    real: median(r.real),
    tsovs: median(r.tsovs),
    digits: 0,
    runs: r,
  }));
  rows.push(
    { label: 'RSS idle, MiB', real: memReal.idle, tsovs: memOurs.idle, digits: 1 },
    { label: `RSS after ${fmt(PORTS)} ports, MiB`, real: memReal.loaded, tsovs: memOurs.loaded, digits: 1 },
    {
      label: `insert ${fmt(PORTS)} ports (${PORTS_PER_TXN}/txn), s`,
      real: memReal.seconds,
      tsovs: memOurs.seconds,
      digits: 2,
    },
  );
  console.log(
    `\nMedians of ${REPS} runs of ${RUN_MS / 1000} s each (servers alternating); memory on fresh servers.\n`,
  );
  printTable(rows);
  console.log('\nIndividual throughput runs (txn/s):');
  for (const r of rows.filter((x) => x.runs !== undefined)) {
    const runs = r.runs as { real: number[]; tsovs: number[] };
    console.log(`  ${r.label.padEnd(26)} real  [${runs.real.map((x) => fmt(x)).join(', ')}]`);
    console.log(`  ${''.padEnd(26)} tsovs [${runs.tsovs.map((x) => fmt(x)).join(', ')}]`);
  }
  console.log(
    '\nNote: ovsdb-server 3.1 does not fsync non-durable commits (the plain rows); it fsyncs only for a\n' +
      '"commit" operation with "durable": true (the durable rows). tsovs fsyncs every commit before replying\n' +
      '(its log group-commits the appends queued together: one write + one fdatasync per batch).\n' +
      'Transaction: one "mutate" setting a key of Open_vSwitch external_ids; RSS is VmRSS of the server process.',
  );
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllSync();
    process.exit(130);
  });
}

main().then(
  () => killAllSync(),
  (err: unknown) => {
    killAllSync();
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
