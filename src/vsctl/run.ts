// Runs one ovs-vsctl command line (utilities/ovs-vsctl.c's main and do_vsctl): parses it, checks the
// commands' prerequisites, connects and replicates the database, runs every command inside one
// transaction (again from the start whenever the database changed under it), prints the outputs, then
// waits until ovs-vswitchd has applied the change (cur_cfg ≥ next_cfg) unless --no-wait.
import { readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { OvsdbConnectError, OvsdbConnection } from '../ovsdb/client/connection.js';
import { TablePrinter } from '../ovsdb/client/format.js';
import { Replica } from '../ovsdb/client/replica.js';
import type { TxnRow } from '../ovsdb/client/txn.js';
import { type DatabaseSchema, readSchemaFile } from '../ovsdb/schema.js';
import { runDir, schemaPath } from '../util/paths.js';
import {
  type CommandContext,
  type GlobalOptions,
  PROGRAM_NAME,
  type PrerequisiteContext,
  ROW_ORDER_KEY,
} from './command.js';
import { reloadErrors } from './commands-common.js';
import { type ParsedCommand, type ParsedCommandLine, parseCommandLine } from './options.js';
import { idlRowOrder } from './row-order.js';
import { SymbolTable, VsctlError, VsctlExit } from './syntax.js';
import { VsctlTransaction } from './transaction.js';
import { commandsText, helpText, optionsText, versionText } from './usage.js';

/** Where output goes, what environment is read, and how the process dies on --timeout. */
export interface VsctlIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly env: NodeJS.ProcessEnv;
  /** Ends the process as SIGALRM would (default: kill this process with SIGALRM). */
  alarm(): void;
}

/** The real process's streams. */
export const PROCESS_IO: VsctlIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  alarm: () => process.kill(process.pid, 'SIGALRM'),
};

/** Console log lines in OVS's format ("TIME|SEQ|MODULE|LEVEL|MESSAGE"), numbered as ovs-vsctl numbers them. */
export class VsctlLog {
  private seq = 0;

  constructor(private readonly io: VsctlIo) {}

  /** Counts a message that went to syslog only (ovs-vsctl's "Called as …" for read-write commands). */
  skip(): void {
    this.seq++;
  }

  /** Prints a warning from `module`. */
  warn(module: string, message: string): void {
    this.line(module, 'WARN', message);
  }

  /** Prints a debug message from `module` when -v/--verbose asked for them. */
  debug(module: string, message: string): void {
    if (this.verbose) this.line(module, 'DBG', message);
  }

  /** True once -v/--verbose turned debug messages on. */
  verbose = false;

  private line(module: string, level: string, message: string): void {
    this.seq++;
    const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    this.io.stderr(`${time}|${String(this.seq).padStart(5, '0')}|${module}|${level}|${message}\n`);
  }
}

/** True when the arguments turn on debug logging to the console (-v, --verbose, -vdbg, --verbose=dbg). */
function verboseRequested(args: readonly string[]): boolean {
  return args.some((a) => a === '-v' || a === '--verbose' || a === '-vdbg' || a === '--verbose=dbg');
}

let commandsLoaded: Promise<void> | null = null;

/** Loads the database commands and every src/vsctl/commands-*.ts module (each registers its commands). */
export function loadCommands(): Promise<void> {
  commandsLoaded ??= (async () => {
    await import('./db-commands.js');
    const dir = import.meta.dirname;
    const files = readdirSync(dir).filter((f) => /^commands-.*\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'));
    for (const file of files.sort()) await import(pathToFileURL(`${dir}/${file}`).href);
  })();
  return commandsLoaded;
}

/** A fatal error: `ovs-vsctl: MESSAGE` on stderr, status 1. */
class Fatal extends Error {}

/** Runs `ovs-vsctl ARGS…`; resolves to the exit status. */
export async function runVsctl(args: readonly string[], io: VsctlIo = PROCESS_IO): Promise<number> {
  await loadCommands();
  const log = new VsctlLog(io);
  let timer: NodeJS.Timeout | null = null;
  let connection: OvsdbConnection | null = null;
  try {
    const line = parseCommandLine(args);
    if (line.info !== null) return printInfo(line, io);
    log.verbose = verboseRequested(args);
    if (log.verbose) log.debug('vsctl', `Called as ovs-vsctl ${args.join(' ')}`);
    else if (!line.noSyslog && line.commands.some((c) => c.spec.mode === 'rw')) log.skip();
    timer = setupTimeout(line.timeoutSecs, io, log);
    const global = globalOptions(line, io.env);
    runPrerequisites(line.commands, log);
    connection = await connect(global.db, line.retry);
    const replica = await Replica.open(connection, 'Open_vSwitch');
    await execute(line, global, replica, io, log);
    return 0;
  } catch (err) {
    if (err instanceof VsctlExit) return err.status;
    if (err instanceof VsctlError || err instanceof Fatal) {
      io.stderr(`${PROGRAM_NAME}: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    if (timer !== null) clearTimeout(timer);
    connection?.close();
  }
}

function printInfo(line: ParsedCommandLine, io: VsctlIo): number {
  const texts = { help: helpText, version: versionText, commands: commandsText, options: optionsText };
  io.stdout(texts[line.info as keyof typeof texts](io.env));
  return 0;
}

/** Arms --timeout (or $OVS_CTL_TIMEOUT): when it expires, logs as OVS does and dies by SIGALRM. */
function setupTimeout(secs: number, io: VsctlIo, log: VsctlLog): NodeJS.Timeout | null {
  let timeout = secs;
  if (timeout === 0 && /^\d+$/.test(io.env.OVS_CTL_TIMEOUT ?? '')) timeout = Number(io.env.OVS_CTL_TIMEOUT);
  if (timeout === 0) return null;
  const timer = setTimeout(() => {
    log.warn('fatal_signal', 'terminating with signal 14 (Alarm clock)');
    io.alarm();
  }, timeout * 1000);
  timer.unref();
  return timer;
}

function globalOptions(line: ParsedCommandLine, env: NodeJS.ProcessEnv): GlobalOptions {
  return {
    db: line.db ?? `unix:${runDir(env)}/db.sock`,
    waitForReload: line.waitForReload,
    timeoutSecs: line.timeoutSecs,
    dryRun: line.dryRun,
    oneline: line.oneline,
  };
}

let compiledSchema: DatabaseSchema | null = null;

/** Open vSwitch's schema as shipped in schema/ (what ovs-vsctl has compiled in). */
export function vswitchSchema(): DatabaseSchema {
  compiledSchema ??= readSchemaFile(schemaPath('vswitch.ovsschema'));
  return compiledSchema;
}

/** Runs each command's prerequisites (name checks) before connecting. */
function runPrerequisites(commands: readonly ParsedCommand[], log: VsctlLog): void {
  for (const c of commands) {
    const ctx: PrerequisiteContext = {
      argv: c.argv,
      options: c.options,
      schema: vswitchSchema(),
      warn: (message, module = 'db_ctl_base') => log.warn(module, message),
    };
    c.spec.prerequisites?.(ctx);
  }
}

const QUIET = { warn: () => {}, info: () => {}, debug: () => {} };

async function connect(db: string, retry: boolean): Promise<OvsdbConnection> {
  try {
    return await OvsdbConnection.open(db, { reconnect: true, retryInitial: retry, logger: QUIET });
  } catch (err) {
    if (err instanceof OvsdbConnectError) throw new Fatal(err.message);
    if (err instanceof Error) throw new Fatal(`${db}: ${err.message}`);
    throw err;
  }
}

/** One attempt's command contexts, outputs and transaction. */
interface Attempt {
  readonly txn: VsctlTransaction;
  readonly contexts: CommandContext[];
  readonly tryAgain: boolean;
}

/** Runs the commands until they commit (or fail), prints their output, then waits for cur_cfg. */
async function execute(
  line: ParsedCommandLine,
  global: GlobalOptions,
  replica: Replica,
  io: VsctlIo,
  log: VsctlLog,
): Promise<void> {
  const comment = `ovs-vsctl: ${commentArgs(io.env)}`;
  for (;;) {
    const seqno = replica.seqno;
    const attempt = await runCommands(line, global, replica, log, comment);
    if (!attempt.tryAgain) {
      const result = await attempt.txn.commitVsctl();
      if (result.status === 'error') throw new Fatal(`transaction error: ${result.error}`);
      if (result.status === 'not locked') throw new Fatal('database not locked');
      if (result.status !== 'try again') {
        for (const ctx of attempt.contexts) postprocess(ctx, line, result.inserted);
        printOutputs(attempt.contexts, line, io);
        if (global.waitForReload && result.status === 'success' && result.nextCfg !== undefined) {
          await waitForReload(replica, result.nextCfg);
          io.stderr(reloadErrors(attempt.txn, result.inserted, replica, io.env));
        }
        return;
      }
    }
    await waitForChange(replica, seqno);
  }
}

/** The command line as ovs-vsctl quotes it in its transaction comment (process_escape_args). */
let invocation: readonly string[] = [];

/** Records the arguments for the transaction comment (called by the CLI wrapper). */
export function setInvocation(args: readonly string[]): void {
  invocation = args;
}

function commentArgs(_env: NodeJS.ProcessEnv): string {
  const quote = (a: string) =>
    /[^\w@%+=:,./-]/.test(a) || a === '' ? `"${a.replace(/(["\\])/g, '\\$1')}"` : a;
  return ['ovs-vsctl', ...invocation].map(quote).join(' ');
}

function waitForChange(replica: Replica, seqno: number): Promise<void> {
  return replica.waitForChange(seqno, 2 ** 31 - 1).catch(() => {});
}

async function runCommands(
  line: ParsedCommandLine,
  global: GlobalOptions,
  replica: Replica,
  log: VsctlLog,
  comment: string,
): Promise<Attempt> {
  const txn = new VsctlTransaction(replica);
  txn.dryRun = global.dryRun;
  txn.commentText = comment;
  txn.onHardError = (text) => log.warn('ovsdb_idl', `transaction error: ${text}`);
  const cache = new Map<string, unknown>();
  const order = (table: string, rows: TxnRow[]) => orderRows(replica, table, rows);
  cache.set(ROW_ORDER_KEY, order);
  const ovsRows = order('Open_vSwitch', txn.rows('Open_vSwitch'));
  const ovs = ovsRows[0] ?? txn.insert('Open_vSwitch');
  if (global.waitForReload) txn.incrementRow = ovs;
  const symbols = new SymbolTable();
  const contexts: CommandContext[] = [];
  for (const [i, c] of line.commands.entries()) {
    const ctx = makeContext(c, {
      txn,
      replica,
      symbols,
      global,
      ovs,
      cache,
      log,
      last: i === line.commands.length - 1,
    });
    contexts.push(ctx);
    await c.spec.run(ctx);
    if (ctx.tryAgain) return { txn, contexts, tryAgain: true };
  }
  checkSymbols(symbols, txn, log);
  return { txn, contexts, tryAgain: false };
}

/** Rows in ovs-vsctl's order: replica rows as its IDL would hold them, then rows inserted here. */
function orderRows(replica: Replica, table: string, rows: TxnRow[]): TxnRow[] {
  const byUuid = new Map(rows.map((r) => [r.uuid, r]));
  const ordered: TxnRow[] = [];
  for (const uuid of idlRowOrder(replica.rows(table).keys())) {
    const row = byUuid.get(uuid);
    if (row !== undefined) ordered.push(row);
  }
  for (const row of rows) if (row.inserted) ordered.push(row);
  return ordered;
}

interface Shared {
  readonly txn: VsctlTransaction;
  readonly replica: Replica;
  readonly symbols: SymbolTable;
  readonly global: GlobalOptions;
  readonly ovs: TxnRow;
  readonly cache: Map<string, unknown>;
  readonly log: VsctlLog;
  readonly last: boolean;
}

function makeContext(c: ParsedCommand, s: Shared): CommandContext {
  let inserted: ReadonlyMap<string, string> = new Map();
  const ctx: CommandContext & { setInserted(m: ReadonlyMap<string, string>): void } = {
    argv: c.argv,
    options: c.options,
    schema: s.replica.schema,
    txn: s.txn,
    replica: s.replica,
    symbols: s.symbols,
    global: s.global,
    ovs: s.ovs,
    lastCommand: s.last,
    output: '',
    table: null,
    tryAgain: false,
    cache: s.cache,
    warn: (message, module = 'db_ctl_base') => s.log.warn(module, message),
    invalidateCache: () => {
      for (const key of [...s.cache.keys()]) if (key !== ROW_ORDER_KEY) s.cache.delete(key);
    },
    insertedUuid: (temp) => inserted.get(temp),
    setInserted: (m) => {
      inserted = m;
    },
  };
  return ctx;
}

/** After the commands ran: every `@name` used must have been created; warns about unreferenced ones. */
function checkSymbols(symbols: SymbolTable, txn: VsctlTransaction, log: VsctlLog): void {
  for (const [name, symbol] of symbols.symbols) {
    if (!symbol.created) {
      throw new Fatal(
        `row id "${name}" is referenced but never created (e.g. with "-- --id=${name} create ...")`,
      );
    }
  }
  for (const [name, symbol] of symbols.symbols) {
    if (symbol.strongRef) continue;
    const how = symbol.weakRef
      ? 'only a weak reference to it was inserted'
      : 'no reference to it was inserted';
    log.warn(
      'vsctl',
      `row id "${name}" was created but ${how}, so it will not actually appear in the database`,
    );
  }
  void txn;
}

function postprocess(
  ctx: CommandContext,
  line: ParsedCommandLine,
  inserted: ReadonlyMap<string, string>,
): void {
  (ctx as CommandContext & { setInserted(m: ReadonlyMap<string, string>): void }).setInserted(inserted);
  const spec = line.commands[0].spec;
  void spec;
  const command = line.commands.find((c) => c.argv === ctx.argv);
  command?.spec.postprocess?.(ctx);
}

/** Prints each command's output: its table, or its text (escaped into one line with --oneline). */
function printOutputs(contexts: readonly CommandContext[], line: ParsedCommandLine, io: VsctlIo): void {
  const printer = new TablePrinter(line.style);
  let out = '';
  for (const ctx of contexts) {
    if (ctx.table !== null) out += printer.format(ctx.table);
    else if (line.oneline)
      out += `${ctx.output.replace(/\n$/, '').replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n`;
    else out += ctx.output;
  }
  if (out !== '') io.stdout(out);
}

/** Waits until some Open_vSwitch row's cur_cfg reaches `nextCfg` (ovs-vswitchd applied the change). */
async function waitForReload(replica: Replica, nextCfg: number): Promise<void> {
  const reached = (r: Replica) =>
    [...r.rows('Open_vSwitch').values()].some((row) => (row.number('cur_cfg') ?? 0) >= nextCfg);
  for (;;) {
    try {
      await replica.waitFor(reached, 2 ** 31 - 1);
      return;
    } catch {
      // waitFor's own deadline; keep waiting (--timeout is what ends this).
    }
  }
}
