// The interface every `tsovs vsctl` command implements, after Open vSwitch's db-ctl-base.h
// (ctl_command_syntax, ctl_context): a CommandSpec per command, registered by name; a CommandContext
// handed to run() inside the one transaction of an invocation; and the helpers commands share — record
// lookup with ovs-vsctl's rules (getRow), value parsing (parseDatum) and `COL[:KEY]=VALUE` parsing.
// The runner (run.ts) parses the command line, opens the replica, runs the commands and commits.
import type { Table } from '../ovsdb/client/format.js';
import type { Replica } from '../ovsdb/client/replica.js';
import type { Transaction, TxnRow } from '../ovsdb/client/txn.js';
import { isUuid } from '../ovsdb/datum.js';
import type { DatabaseSchema, TableSchema } from '../ovsdb/schema.js';
import { findTable as findTableIn, type SymbolTable, VsctlError } from './syntax.js';

export {
  type ColumnKeyValue,
  findColumn,
  findTable,
  parseAtom,
  parseColumnKeyValue,
  parseColumnNames,
  parseDatum,
  parseToken,
  SymbolTable,
  VsctlError,
  type VsctlSymbol,
} from './syntax.js';

/** The program name ovs-vsctl prints before its messages (`ovs-vsctl: MESSAGE`). */
export const PROGRAM_NAME = 'ovs-vsctl';

/** Options given before the first command (what all commands of an invocation share). */
export interface GlobalOptions {
  /** --db: the server's address. */
  readonly db: string;
  /** False with --no-wait. */
  readonly waitForReload: boolean;
  /** --timeout in seconds (0: none). */
  readonly timeoutSecs: number;
  readonly dryRun: boolean;
  readonly oneline: boolean;
}

/** What a command may see and do before connecting: its arguments and the schema compiled in. */
export interface PrerequisiteContext {
  /** argv[0] is the command name, then its arguments. */
  readonly argv: readonly string[];
  /** The command's own options ("--if-exists" → null, "--id" → "@x"). */
  readonly options: ReadonlyMap<string, string | null>;
  /** Open vSwitch's schema (tables and columns to check names against). */
  readonly schema: DatabaseSchema;
  /** Prints a warning as OVS's console log does (module defaults to "db_ctl_base"). */
  warn(message: string, module?: string): void;
}

/** What a command sees while it runs inside the transaction (OVS's ctl_context + vsctl_context). */
export interface CommandContext extends PrerequisiteContext {
  /** The transaction: reads through it are verified at commit, writes are sent by it. */
  readonly txn: Transaction;
  /** The replica the transaction reads (the server's schema is `replica.schema`). */
  readonly replica: Replica;
  /** The `@name` row ids shared by all commands. */
  readonly symbols: SymbolTable;
  readonly global: GlobalOptions;
  /** The Open_vSwitch row (inserted by this transaction when the table was empty). */
  readonly ovs: TxnRow;
  /** True for the last command of the invocation. */
  readonly lastCommand: boolean;
  /** Text output, printed after a successful commit (or escaped into one line with --oneline). */
  output: string;
  /** Table output (list, find): printed with --format/--columns/… instead of `output` when set. */
  table: Table | null;
  /** Set by a command whose condition does not hold yet: the whole invocation is retried on a change. */
  tryAgain: boolean;
  /** Values commands keep for the rest of this attempt (e.g. a bridge/port cache), shared by all commands. */
  readonly cache: Map<string, unknown>;
  /** Drops `cache` (called after the database commands change something). */
  invalidateCache(): void;
  /** After commit (postprocess only): the real UUID of a row this transaction inserted, by its temporary one. */
  insertedUuid(tempUuid: string): string | undefined;
}

/** One command's syntax and behaviour (OVS's ctl_command_syntax). */
export interface CommandSpec {
  /** e.g. "add-br". */
  readonly name: string;
  /** Fewest and most arguments after the name (Infinity for no limit). */
  readonly minArgs: number;
  readonly maxArgs: number;
  /** The arguments as the help text names them, e.g. "TABLE RECORD [COLUMN[:KEY]]...". */
  readonly usage: string;
  /** Accepted options: "--if-exists" takes no argument, "--id=" requires one, "--ovs?" may take one. */
  readonly options: readonly string[];
  /** 'rw' when the command may modify the database. */
  readonly mode: 'ro' | 'rw';
  /** Checks names (tables, columns) before connecting; throws VsctlError. */
  prerequisites?(ctx: PrerequisiteContext): void;
  /** Does the work inside the transaction; throws VsctlError to fail the whole invocation. */
  run(ctx: CommandContext): void | Promise<void>;
  /** Runs after a successful commit, e.g. to replace a temporary UUID in `output` by the real one. */
  postprocess?(ctx: CommandContext): void;
}

const registry = new Map<string, CommandSpec>();

/** Registers commands; a name registered twice is a programming error. */
export function registerCommands(specs: readonly CommandSpec[]): void {
  for (const spec of specs) {
    if (registry.has(spec.name)) throw new Error(`vsctl command ${spec.name} registered twice`);
    registry.set(spec.name, spec);
  }
}

/** The registered command `name`, or undefined. */
export function findCommand(name: string): CommandSpec | undefined {
  return registry.get(name);
}

/** All registered commands, by name. */
export function allCommands(): ReadonlyMap<string, CommandSpec> {
  return registry;
}

/** How rows of a table may be named besides by UUID (OVS's ctl_row_id). */
export interface RowId {
  /** The table whose `nameColumn` is compared with the record id. */
  readonly table: string;
  readonly nameColumn: string;
  /** When set: the matching row's column naming the final row (e.g. Bridge.netflow for NetFlow). */
  readonly uuidColumn?: string;
}

/** ovs-vsctl's ways of naming rows, by table (the `tables` array of ovs-vsctl.c). */
export const VSWITCH_ROW_IDS: Readonly<Record<string, readonly RowId[]>> = {
  Bridge: [{ table: 'Bridge', nameColumn: 'name' }],
  Controller: [{ table: 'Bridge', nameColumn: 'name', uuidColumn: 'controller' }],
  Interface: [{ table: 'Interface', nameColumn: 'name' }],
  Mirror: [{ table: 'Mirror', nameColumn: 'name' }],
  Manager: [{ table: 'Manager', nameColumn: 'target' }],
  NetFlow: [{ table: 'Bridge', nameColumn: 'name', uuidColumn: 'netflow' }],
  Port: [{ table: 'Port', nameColumn: 'name' }],
  QoS: [{ table: 'Port', nameColumn: 'name', uuidColumn: 'qos' }],
  sFlow: [{ table: 'Bridge', nameColumn: 'name', uuidColumn: 'sflow' }],
  Flow_Table: [{ table: 'Flow_Table', nameColumn: 'name' }],
  IPFIX: [{ table: 'Bridge', nameColumn: 'name', uuidColumn: 'ipfix' }],
  AutoAttach: [{ table: 'Bridge', nameColumn: 'name', uuidColumn: 'auto_attach' }],
  Flow_Sample_Collector_Set: [{ table: 'Flow_Sample_Collector_Set', nameColumn: 'id' }],
};

/** The rows of `table` as the transaction sees them, in the order ovs-vsctl walks them. */
export function tableRows(ctx: CommandContext, table: string): TxnRow[] {
  const order = ctx.cache.get(ROW_ORDER_KEY) as ((table: string, rows: TxnRow[]) => TxnRow[]) | undefined;
  const rows = ctx.txn.rows(table);
  return order === undefined ? rows : order(table, rows);
}

/** The key under which the runner stores the row-order function in `cache` (kept across invalidation). */
export const ROW_ORDER_KEY = '\0row-order';

/** A record id's name compared with a row's name column (record_id_equals). */
function nameEquals(name: string | number, id: string): boolean {
  if (typeof name === 'number') return name === Number.parseInt(id, 10);
  if (name === id) return true;
  return id.length >= 4 && isUuid(name) && name.startsWith(id);
}

/** The row one RowId names, or null; throws when several rows match (get_row_by_id). */
function rowById(ctx: CommandContext, table: TableSchema, id: RowId, recordId: string): TxnRow | null {
  const nameType = ctx.replica.schema.table(id.table)?.column(id.nameColumn)?.type.key.type;
  if (nameType === undefined) return null;
  if (nameType === 'integer' && !/^[0-9]+$/.test(recordId)) return null;
  let referrer: TxnRow | null = null;
  for (const row of tableRows(ctx, id.table)) {
    const datum = row.get(id.nameColumn);
    if (datum.size !== 1) continue;
    if (!nameEquals(datum.keys[0] as string | number, recordId)) continue;
    if (referrer !== null) throw new VsctlError(`multiple rows in ${id.table} match "${recordId}"`);
    referrer = row;
  }
  if (referrer === null || id.uuidColumn === undefined) return referrer;
  const ref = referrer.get(id.uuidColumn);
  return ref.size === 1 ? (ctx.txn.row(table.name, ref.keys[0] as string) ?? null) : null;
}

/** True when `s` could be the beginning of a UUID (uuid_is_partial_string), at least 4 characters long. */
function isPartialUuid(s: string): boolean {
  const template = 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx';
  if (s.length < 4 || s.length > template.length) return false;
  return [...s].every((c, i) => (template[i] === 'x' ? /[0-9a-fA-F]/.test(c) : c === '-'));
}

/**
 * Finds the row of `table` that `recordId` names, as ovs-vsctl does (ctl_get_row): a UUID; "." for the
 * only row of a table; the table's names (VSWITCH_ROW_IDS); a UUID prefix of 4 or more characters.
 * Throws VsctlError when nothing matches and `mustExist`, or when the id is ambiguous.
 */
export function getRow(
  ctx: CommandContext,
  table: TableSchema,
  recordId: string,
  mustExist: boolean,
): TxnRow | null {
  let row: TxnRow | null = null;
  if (isUuid(recordId)) row = ctx.txn.row(table.name, recordId.toLowerCase()) ?? null;
  if (row === null && recordId === '.') {
    const rows = tableRows(ctx, table.name);
    if (rows.length === 1) row = rows[0];
  }
  if (row === null) {
    for (const id of VSWITCH_ROW_IDS[table.name] ?? []) {
      row = rowById(ctx, table, id, recordId);
      if (row !== null) break;
    }
  }
  if (row === null && isPartialUuid(recordId)) {
    for (const r of tableRows(ctx, table.name)) {
      if (!r.uuid.startsWith(recordId)) continue;
      if (row !== null) {
        throw new VsctlError(
          `${table.name} contains 2 or more rows whose UUIDs begin with ${recordId}: at least ${row.uuid} and ${r.uuid}`,
        );
      }
      row = r;
    }
  }
  if (row === null && mustExist) throw new VsctlError(`no row "${recordId}" in table ${table.name}`);
  return row;
}

/** The table named (possibly abbreviated) by the command's argument `argv[index]`, in the server's schema. */
export function tableArg(ctx: CommandContext, index: number): TableSchema {
  return findTableIn(ctx.replica.schema, ctx.argv[index]);
}

/** True when the command was given option `name` (e.g. "--if-exists"). */
export function hasOption(ctx: PrerequisiteContext, name: string): boolean {
  return ctx.options.has(name);
}

/** The argument of option `name` (e.g. "--id" → "@x"), or null. */
export function optionValue(ctx: PrerequisiteContext, name: string): string | null {
  return ctx.options.get(name) ?? null;
}

/** Fails with "cannot modify read-only column …" unless `column` may be written in `row` (check_mutable). */
export function checkMutable(row: TxnRow, column: string): void {
  const c = row.table.column(column);
  if (c !== undefined && !c.mutable && !row.inserted) {
    throw new VsctlError(`cannot modify read-only column ${column} in table ${row.table.name}`);
  }
}
