// `tsovs ovsdb-client [OPTIONS] COMMAND [SERVER] [ARG…]`: Open vSwitch's ovsdb-client over the client
// library — list-dbs, get-schema(-version/-cksum), list-tables, list-columns, transact, query, dump and
// monitor, with the same argument rules (an optional SERVER, then an optional DATABASE) and the same
// stdout, printed through src/ovsdb/client/format.ts.
import type { Json, JsonObject } from '../jsonrpc/json.js';
import { isJsonObject } from '../jsonrpc/json.js';
import { ConnectionClosedError, JsonRpcError } from '../jsonrpc/session.js';
import { OvsdbConnectError, OvsdbConnection } from '../ovsdb/client/connection.js';
import {
  type Cell,
  DEFAULT_TABLE_STYLE,
  parseCellFormat,
  parseTableFormat,
  schemaToOvsJson,
  TablePrinter,
  type TableStyle,
} from '../ovsdb/client/format.js';
import { compareDatums, type Datum, datumToJson, diffFromJson } from '../ovsdb/datum.js';
import { compareBytes, ovsJsonToString } from '../ovsdb/ovs-json.js';
import type { DatabaseSchema, TableSchema } from '../ovsdb/schema.js';
import { shashOrder } from '../ovsdb/shash-order.js';
import { type ColumnType, columnTypeToJson } from '../ovsdb/types.js';
import { runDir } from '../util/paths.js';
import { type CliIo, PROCESS_IO, TIMEOUT_STATUS, warningsTo, withTimeout } from './io.js';

const PROGRAM = 'tsovs ovsdb-client';

/** An error that ends the command with a message on stderr and status 1 (OVS's ovs_fatal()). */
class Fatal extends Error {}

interface Options {
  style: TableStyle;
  timestamp: boolean;
  timeoutSecs: number;
  exit?: number;
}

type Need = 'none' | 'rpc' | 'database';

interface Context {
  readonly io: CliIo;
  readonly options: Options;
  readonly printer: TablePrinter;
  /** The server, for commands that connect themselves. */
  readonly defaultServer: string;
  conn: OvsdbConnection | null;
  database: string | null;
  /** Set once the command is over (or timed out): a disconnection is then expected. */
  done: boolean;
}

interface Command {
  readonly need: Need;
  readonly min: number;
  readonly max: number;
  readonly run: (ctx: Context, args: string[]) => Promise<number | undefined>;
}

const USAGE = `${PROGRAM}: Open vSwitch database JSON-RPC client (tsovs)
usage: ${PROGRAM} [OPTIONS] COMMAND [ARG...]

Valid commands are:

  list-dbs [SERVER]
    list databases available on SERVER

  get-schema [SERVER] [DATABASE]
    retrieve schema for DATABASE from SERVER

  get-schema-version [SERVER] [DATABASE]
    retrieve schema for DATABASE from SERVER and report only its
    version number on stdout

  get-schema-cksum [SERVER] [DATABASE]
    retrieve schema for DATABASE from SERVER and report only its
    checksum on stdout

  list-tables [SERVER] [DATABASE]
    list tables for DATABASE on SERVER

  list-columns [SERVER] [DATABASE] [TABLE]
    list columns in TABLE (or all tables) in DATABASE on SERVER

  transact [SERVER] TRANSACTION
    run TRANSACTION (params for "transact" request) on SERVER
    and print the results as JSON on stdout

  query [SERVER] TRANSACTION
    run TRANSACTION (params for "transact" request) on SERVER,
    as read-only, and print the results as JSON on stdout

  monitor [SERVER] [DATABASE] TABLE [COLUMN,...]...
    monitor contents of COLUMNs in TABLE in DATABASE on SERVER.
    COLUMNs may include !initial, !insert, !delete, !modify
    to avoid seeing the specified kinds of changes.

  monitor [SERVER] [DATABASE] ALL
    monitor all changes to all columns in all tables

  dump [SERVER] [DATABASE] [TABLE [COLUMN]...]
    dump contents of DATABASE on SERVER to stdout

The default SERVER is unix:$TSOVS_RUNDIR/db.sock (TSOVS_RUNDIR defaults to /var/run/tsovs).
The default DATABASE is Open_vSwitch.

Output formatting options:
  -f, --format=FORMAT         set output formatting to FORMAT
                              ("table", "list", "html", "csv", or "json")
  -d, --data=FORMAT           set table cell output formatting to
                              FORMAT ("string", "bare", or "json")
  --no-headings               omit table heading row
  --pretty                    pretty-print JSON in output
  --bare                      equivalent to "--format=list --data=bare --no-headings"
  --timestamp                 timestamp "monitor" output

Other options:
  -t, --timeout=SECS          give up after SECS seconds
  -h, --help                  display this help message
  -V, --version               display version information
`;

/** Long options: name → [short letter or key, takes an argument ('no' | 'yes' | 'optional')]. */
const LONG_OPTIONS: Record<string, [string, 'no' | 'yes' | 'optional']> = {
  help: ['h', 'no'],
  version: ['V', 'no'],
  timestamp: ['timestamp', 'no'],
  force: ['force', 'no'],
  timeout: ['t', 'yes'],
  'db-change-aware': ['ignore', 'no'],
  'no-db-change-aware': ['ignore', 'no'],
  'leader-only': ['ignore', 'no'],
  'no-leader-only': ['ignore', 'no'],
  format: ['f', 'yes'],
  data: ['d', 'yes'],
  'no-headings': ['no-headings', 'no'],
  pretty: ['pretty', 'no'],
  bare: ['bare', 'no'],
  'max-column-width': ['max-column-width', 'yes'],
  verbose: ['v', 'optional'],
};
const SHORT_WITH_ARG = new Set(['t', 'f', 'd']);
const SHORT_FLAGS = new Set(['h', 'V', 'v']);

function findLong(name: string): string {
  if (LONG_OPTIONS[name] !== undefined) return name;
  const matches = Object.keys(LONG_OPTIONS).filter((o) => o.startsWith(name));
  if (matches.length === 1) return matches[0];
  throw new Fatal(matches.length > 1 ? `option '--${name}' is ambiguous` : `unrecognized option '--${name}'`);
}

/** getopt_long with permutation: options may come anywhere before "--"; returns [key, value] pairs and the operands. */
function splitOptions(args: string[]): { opts: [string, string | undefined][]; operands: string[] } {
  const opts: [string, string | undefined][] = [];
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') operands.push(arg);
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = findLong(arg.slice(2, eq < 0 ? undefined : eq));
      const [key, hasArg] = LONG_OPTIONS[name];
      if (hasArg === 'no' && eq >= 0) throw new Fatal(`option '--${name}' doesn't allow an argument`);
      if (hasArg === 'yes' && eq < 0 && i + 1 >= args.length)
        throw new Fatal(`option '--${name}' requires an argument`);
      const value = eq >= 0 ? arg.slice(eq + 1) : hasArg === 'yes' ? args[++i] : undefined;
      opts.push([key, value]);
    } else {
      i = splitShort(args, i, opts);
    }
  }
  return { opts, operands };
}

function splitShort(args: string[], i: number, opts: [string, string | undefined][]): number {
  const arg = args[i];
  for (let j = 1; j < arg.length; j++) {
    const letter = arg[j];
    if (SHORT_FLAGS.has(letter)) {
      opts.push([letter, letter === 'v' && j + 1 < arg.length ? arg.slice(j + 1) : undefined]);
      if (letter === 'v') return i;
      continue;
    }
    if (!SHORT_WITH_ARG.has(letter)) throw new Fatal(`invalid option -- '${letter}'`);
    if (j + 1 < arg.length) opts.push([letter, arg.slice(j + 1)]);
    else if (i + 1 < args.length) opts.push([letter, args[++i]]);
    else throw new Fatal(`option requires an argument -- '${letter}'`);
    return i;
  }
  return i;
}

function parseOptions(args: string[], io: CliIo): { options: Options; operands: string[] } {
  const { opts, operands } = splitOptions(args);
  let style: TableStyle = { ...DEFAULT_TABLE_STYLE };
  const options: Options = { style, timestamp: false, timeoutSecs: 0 };
  for (const [key, value = ''] of opts) {
    if (key === 'h') {
      io.stdout(USAGE);
      options.exit = 0;
    } else if (key === 'V') {
      io.stdout('ovsdb-client (tsovs) 0.1.0\n');
      options.exit = 0;
    } else if (key === 'f') {
      const format = parseTableFormat(value);
      if (format === undefined) throw new Fatal(`unknown output format "${value}"`);
      style = { ...style, format };
    } else if (key === 'd') {
      const cellFormat = parseCellFormat(value);
      if (cellFormat === undefined) throw new Fatal(`unknown data format "${value}"`);
      style = { ...style, cellFormat };
    } else if (key === 'no-headings') style = { ...style, headings: false };
    else if (key === 'pretty') style = { ...style, pretty: true };
    else if (key === 'bare') style = { ...style, format: 'list', cellFormat: 'bare', headings: false };
    else if (key === 'max-column-width')
      style = { ...style, maxColumnWidth: Number.parseInt(value, 10) || 0 };
    else if (key === 'timestamp') options.timestamp = true;
    else if (key === 't') {
      const secs = /^\d+$/.test(value) ? Number(value) : 0;
      if (secs <= 0) throw new Fatal(`value ${value} on -t or --timeout is invalid`);
      options.timeoutSecs = secs;
    }
  }
  options.style = style;
  return { options, operands };
}

/** Runs `tsovs ovsdb-client ARGS…` and resolves to its exit status. */
export async function run(args: string[], io: CliIo = PROCESS_IO): Promise<number> {
  let parsed: { options: Options; operands: string[] };
  try {
    parsed = parseOptions(args, io);
  } catch (err) {
    return report(io, err);
  }
  if (parsed.options.exit !== undefined) return parsed.options.exit;
  const ctx: Context = {
    io,
    options: parsed.options,
    printer: new TablePrinter(parsed.options.style),
    defaultServer: `unix:${runDir(io.env)}/db.sock`,
    conn: null,
    database: null,
    done: false,
  };
  const work = execute(ctx, parsed.operands).catch((err: unknown) => report(io, err));
  try {
    if (parsed.options.timeoutSecs === 0) return await work;
    const secs = parsed.options.timeoutSecs;
    return await withTimeout(work, secs, () => {
      io.stderr(`${PROGRAM}: timeout after ${secs} seconds\n`);
      return TIMEOUT_STATUS;
    });
  } finally {
    ctx.done = true;
    ctx.conn?.close();
  }
}

function report(io: CliIo, err: unknown): number {
  if (err instanceof Fatal || err instanceof OvsdbConnectError) {
    io.stderr(`${PROGRAM}: ${err.message}\n`);
    return 1;
  }
  throw err;
}

async function execute(ctx: Context, operands: string[]): Promise<number> {
  const [name, ...rest] = operands;
  if (name === undefined) throw new Fatal('missing command name; use --help for help');
  const command = COMMANDS[name];
  if (command === undefined) throw new Fatal(`unknown command '${name}'; use --help for help`);
  let args = rest;
  if (command.need !== 'none') args = await openRpc(ctx, command.min, command.need, rest, null);
  if (args.length < command.min || args.length > command.max) {
    throw new Fatal(`invalid syntax for '${name}' (use --help for help)`);
  }
  return (await command.run(ctx, args)) ?? 0;
}

/** True when `arg` looks like a server address (starts with a letter and has a colon), as ovsdb-client decides. */
function isServerArg(arg: string): boolean {
  return /^[A-Za-z]/.test(arg) && arg.includes(':');
}

/**
 * Connects (to the first argument when it names a server, else to the default) and, when a database is
 * needed, takes it from the next argument if the server has it, else Open_vSwitch, else the only one.
 */
async function openRpc(
  ctx: Context,
  min: number,
  need: Need,
  args: string[],
  preset: string | null,
): Promise<string[]> {
  let rest = args;
  let server = ctx.defaultServer;
  if (rest.length > min && isServerArg(rest[0])) {
    server = rest[0];
    rest = rest.slice(1);
  }
  try {
    ctx.conn = await OvsdbConnection.open(server, { logger: warningsTo(ctx.io, PROGRAM) });
  } catch (err) {
    if (err instanceof OvsdbConnectError) throw new Fatal(`failed to connect to "${server}" (${err.reason})`);
    if (err instanceof Error) throw new Fatal(`failed to connect to "${server}" (${err.message})`);
    throw err;
  }
  ctx.database = preset;
  if (need === 'database' && preset === null) {
    const dbs = (await rpc(ctx, () => connOf(ctx).listDbs())).sort(compareBytes);
    if (rest.length > min && dbs.includes(rest[0])) {
      ctx.database = rest[0];
      rest = rest.slice(1);
    } else if (dbs.includes('Open_vSwitch')) {
      ctx.database = 'Open_vSwitch';
    } else {
      const candidates = dbs.filter((d) => !d.startsWith('_'));
      if (candidates.length !== 1)
        throw new Fatal('could not find a default database, please specify a database name');
      ctx.database = candidates[0];
    }
  }
  return rest;
}

function connOf(ctx: Context): OvsdbConnection {
  if (ctx.conn === null) throw new Fatal('not connected');
  return ctx.conn;
}

function dbOf(ctx: Context): string {
  if (ctx.database === null) throw new Fatal('no database');
  return ctx.database;
}

/** Runs a request, turning an error reply or a lost connection into ovsdb-client's messages. */
async function rpc<T>(ctx: Context, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    if (err instanceof ConnectionClosedError) throw new Fatal(`transaction failed (${err.reason})`);
    if (err instanceof JsonRpcError) {
      throw new Fatal(`transaction returned error: ${ovsJsonToString(err.error, jsonStyle(ctx))}`);
    }
    throw err;
  }
}

function jsonStyle(ctx: Context) {
  return { sort: true, pretty: ctx.options.style.pretty };
}

function printJson(ctx: Context, json: Json): void {
  ctx.io.stdout(`${ovsJsonToString(json, jsonStyle(ctx))}\n`);
}

async function fetchSchema(ctx: Context): Promise<{ schema: DatabaseSchema; json: Json }> {
  const db = dbOf(ctx);
  return rpc(ctx, () => connOf(ctx).getSchema(db));
}

/** The column types of a table as OVS's schema has them: _uuid and _version first, then the declared ones. */
const UUID_TYPE: ColumnType = { key: { type: 'uuid' }, value: null, min: 1, max: 1 };

function columnTypes(table: TableSchema): Map<string, ColumnType> {
  const types = new Map<string, ColumnType>([
    ['_uuid', UUID_TYPE],
    ['_version', UUID_TYPE],
  ]);
  for (const c of table.columns) types.set(c.name, c.type);
  return types;
}

/** Table names in the order ovsdb-client lists them: its schema's hash order. */
function tableOrder(schemaJson: Json): string[] {
  const tables = isJsonObject(schemaJson) && isJsonObject(schemaJson.tables) ? schemaJson.tables : {};
  return shashOrder(shashOrder(Object.keys(tables)));
}

/** Column names of a table in ovsdb-client's order (hash order, _uuid and _version included). */
function columnOrder(schemaJson: Json, table: string): string[] {
  const tables = isJsonObject(schemaJson) && isJsonObject(schemaJson.tables) ? schemaJson.tables : {};
  const t = tables[table];
  const columns = isJsonObject(t) && isJsonObject(t.columns) ? Object.keys(t.columns) : [];
  return shashOrder(['_uuid', '_version', ...shashOrder(columns)]);
}

function print(ctx: Context, headings: string[], rows: Cell[][], caption?: string, timestamp = false): void {
  ctx.io.stdout(ctx.printer.format({ headings, rows, caption, timestamp }));
}

async function listDbs(ctx: Context): Promise<undefined> {
  const dbs = (await rpc(ctx, () => connOf(ctx).listDbs())).sort(compareBytes);
  for (const db of dbs) ctx.io.stdout(`${db}\n`);
  return undefined;
}

async function getSchema(ctx: Context): Promise<undefined> {
  printJson(ctx, schemaToOvsJson((await fetchSchema(ctx)).schema));
  return undefined;
}

async function getSchemaVersion(ctx: Context): Promise<undefined> {
  ctx.io.stdout(`${(await fetchSchema(ctx)).schema.version}\n`);
  return undefined;
}

async function getSchemaCksum(ctx: Context): Promise<undefined> {
  ctx.io.stdout(`${(await fetchSchema(ctx)).schema.cksum ?? ''}\n`);
  return undefined;
}

async function listTables(ctx: Context): Promise<undefined> {
  const { json } = await fetchSchema(ctx);
  print(
    ctx,
    ['Table'],
    tableOrder(json).map((name) => [{ text: name }]),
  );
  return undefined;
}

async function listColumns(ctx: Context, args: string[]): Promise<undefined> {
  const [only] = args;
  const { schema, json } = await fetchSchema(ctx);
  const headings = only === undefined ? ['Table', 'Column', 'Type'] : ['Column', 'Type'];
  const rows: Cell[][] = [];
  for (const name of tableOrder(json)) {
    const table = schema.table(name);
    if (table === undefined || (only !== undefined && only !== name)) continue;
    const types = columnTypes(table);
    for (const column of columnOrder(json, name)) {
      const type = types.get(column);
      if (type === undefined) continue;
      const cells: Cell[] = [{ text: column }, { json: columnTypeJson(type) }];
      rows.push(only === undefined ? [{ text: name }, ...cells] : cells);
    }
  }
  print(ctx, headings, rows);
  return undefined;
}

function columnTypeJson(type: ColumnType): Json {
  return type === UUID_TYPE ? 'uuid' : columnTypeToJson(type, { strongRefType: false });
}

function parseTransaction(text: string): Json[] {
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch (err) {
    throw new Fatal(`"${text}": ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(json) || json.length === 0 || typeof json[0] !== 'string') {
    throw new Fatal('not a valid OVSDB query');
  }
  return json;
}

async function runTransaction(ctx: Context, args: string[], transaction: Json[]): Promise<Json> {
  await openRpc(ctx, 1, 'database', args, transaction[0] as string);
  return rpc(ctx, () => connOf(ctx).request('transact', transaction));
}

async function transact(ctx: Context, args: string[]): Promise<undefined> {
  const transaction = parseTransaction(args[args.length - 1]);
  printJson(ctx, await runTransaction(ctx, args, transaction));
  return undefined;
}

async function query(ctx: Context, args: string[]): Promise<undefined> {
  const transaction = parseTransaction(args[args.length - 1]);
  transaction.push({ op: 'abort' });
  const abortIndex = transaction.length - 2;
  const result = await runTransaction(ctx, args, transaction);
  if (Array.isArray(result) && result.length === abortIndex + 1) {
    const last = result[abortIndex];
    if (isJsonObject(last) && last.error === 'aborted') result.pop();
  }
  printJson(ctx, result);
  return undefined;
}

async function dump(ctx: Context, args: string[]): Promise<undefined> {
  const { schema } = await fetchSchema(ctx);
  const [tableName, ...columnNames] = args;
  let tables: TableSchema[];
  if (tableName === undefined) {
    tables = [...schema.tables.values()].sort((a, b) => compareBytes(a.name, b.name));
  } else {
    const table = schema.table(tableName);
    if (table === undefined) throw new Fatal(`No table "${tableName}" found.`);
    tables = [table];
    const types = columnTypes(table);
    const missing = columnNames.find((c) => !types.has(c));
    if (missing !== undefined) throw new Fatal(`Table "${tableName}" has no column ${missing}.`);
  }
  const columnsOf = (t: TableSchema) =>
    (columnNames.length > 0 ? [...new Set(columnNames)] : [...columnTypes(t).keys()]).filter(
      (c) => c !== '_version',
    );
  const ops: Json[] = tables.map((t) => ({ op: 'select', table: t.name, where: [], columns: columnsOf(t) }));
  const result = await rpc(ctx, () => connOf(ctx).request('transact', [dbOf(ctx), ...ops]));
  if (!Array.isArray(result) || result.length !== tables.length) {
    throw new Fatal(`reply is not array of ${tables.length} elements: ${ovsJsonToString(result)}`);
  }
  tables.forEach((t, i) => {
    const rows = isJsonObject(result[i]) ? result[i].rows : undefined;
    if (!Array.isArray(rows)) {
      throw new Fatal(
        `${t.name} table reply is not an object with a "rows" member array: ${ovsJsonToString(result[i])}`,
      );
    }
    dumpTable(ctx, t, columnsOf(t), rows);
  });
  return undefined;
}

/** Prints one table of a dump: columns sorted by name, rows sorted by value (UUID columns last). */
function dumpTable(ctx: Context, table: TableSchema, names: string[], rows: Json[]): void {
  const types = columnTypes(table);
  const columns = [...names]
    .sort(compareBytes)
    .map((name) => ({ name, type: types.get(name) as ColumnType }));
  const data = rows.map((row, y) => {
    if (!isJsonObject(row)) throw new Fatal(`row ${y} in table ${table.name} response is not a JSON object`);
    return columns.map(({ name, type }) => {
      const json = row[name];
      if (json === undefined)
        throw new Fatal(`row ${y} in table ${table.name} response lacks ${name} column`);
      try {
        return diffFromJson(type, json);
      } catch (err) {
        throw new Fatal(err instanceof Error ? err.message : String(err));
      }
    });
  });
  data.sort((a, b) => compareRows(columns, a, b));
  const cells = data.map((row) =>
    row.map((d, x): Cell => ({ json: datumToJson(columns[x].type, d), type: columns[x].type })),
  );
  print(
    ctx,
    columns.map((c) => c.name),
    cells,
    `${table.name} table`,
  );
}

function compareRows(columns: { type: ColumnType }[], a: Datum[], b: Datum[]): number {
  for (const pass of [false, true]) {
    for (const [x, { type }] of columns.entries()) {
      if ((type.key.type === 'uuid') !== pass) continue;
      const c = compareDatums(a[x], b[x]);
      if (c !== 0) return c;
    }
  }
  return 0;
}

/** One table being monitored: its schema and the columns printed. */
interface MonitoredTable {
  readonly name: string;
  readonly types: Map<string, ColumnType>;
  readonly columns: string[];
}

async function monitor(ctx: Context, args: string[]): Promise<number> {
  const conn = connOf(ctx);
  const db = dbOf(ctx);
  const { schema } = await fetchSchema(ctx);
  const [tableName, ...columnArgs] = args;
  const requests: JsonObject = {};
  const monitored: MonitoredTable[] = [];
  const names = tableName === 'ALL' ? [...schema.tables.keys()].sort(compareBytes) : [tableName];
  for (const name of names) {
    const table = schema.table(name);
    if (table === undefined) throw new Fatal(`${conn.address}: ${db} does not have a table named "${name}"`);
    const mt: MonitoredTable = { name, types: columnTypes(table), columns: [] };
    const specs = columnArgs.length > 0 ? columnArgs : [''];
    requests[name] = specs.map((spec) => monitorRequest(conn.address, db, table, mt, spec));
    monitored.push(mt);
  }
  await conn.request('set_db_change_aware', [true]).catch(() => {});
  const printUpdates = (updates: Json, initial: boolean) =>
    printTableUpdates(ctx, monitored, updates, initial);
  const ended = new Promise<number>((resolve) => {
    conn.on('notification', (method, params) => {
      if (method === 'update' && params.length === 2 && params[0] === null) printUpdates(params[1], false);
      else if (method === 'monitor_canceled') {
        ctx.io.stderr(`${PROGRAM}: ${conn.address}: ${db} database was removed\n`);
        resolve(1);
      }
    });
    conn.on('disconnected', (reason) => {
      if (ctx.done) return;
      ctx.io.stderr(`${PROGRAM}: ${conn.address}: receive failed (${reason})\n`);
      resolve(1);
    });
  });
  printUpdates(await rpc(ctx, () => conn.request('monitor', [db, null, requests])), true);
  return ended;
}

/** Parses one "COLUMN,…" argument (with !initial etc.) into a monitor request, adding its columns to `mt`. */
function monitorRequest(
  server: string,
  db: string,
  table: TableSchema,
  mt: MonitoredTable,
  spec: string,
): JsonObject {
  const select = { initial: true, insert: true, delete: true, modify: true };
  const columns: string[] = [];
  const add = (name: string) => {
    if (mt.columns.includes(name)) throw new Fatal(`${server}: column "${name}" mentioned multiple times`);
    mt.columns.push(name);
    columns.push(name);
  };
  for (const token of spec.split(',').filter((t) => t !== '')) {
    const flag = token.startsWith('!') ? token.slice(1) : null;
    if (flag !== null && flag in select) select[flag as keyof typeof select] = false;
    else if (mt.types.has(token)) add(token);
    else {
      throw new Fatal(`${server}: table "${table.name}" in ${db} does not have a column named "${token}"`);
    }
  }
  if (columns.length === 0) {
    for (const c of table.columns.map((col) => col.name).sort(compareBytes)) add(c);
    add('_version');
  }
  const request: JsonObject = { columns };
  if (Object.values(select).includes(false)) request.select = { ...select };
  return request;
}

/** Prints <table-updates> as ovsdb-client's monitor does: one table per monitored table present. */
function printTableUpdates(ctx: Context, monitored: MonitoredTable[], updates: Json, initial: boolean): void {
  if (!isJsonObject(updates)) {
    ctx.io.stderr(`${PROGRAM}: <table-updates> is not object\n`);
    return;
  }
  for (const mt of monitored) {
    const tableUpdate = updates[mt.name];
    if (tableUpdate === undefined) continue;
    if (!isJsonObject(tableUpdate)) {
      ctx.io.stderr(`${PROGRAM}: <table-update> for table ${mt.name} is not object\n`);
      continue;
    }
    const rows: Cell[][] = [];
    for (const uuid of shashOrder(Object.keys(tableUpdate))) {
      const update = tableUpdate[uuid];
      if (!isJsonObject(update)) {
        ctx.io.stderr(`${PROGRAM}: <row-update> is not object\n`);
        continue;
      }
      const { old, new: neu } = update;
      const add = (row: Json | undefined, action: string, label: string) => {
        const cells = monitorRow(ctx, mt, row, action, label);
        if (cells !== null) rows.push(cells);
      };
      if (initial) add(neu, 'initial', uuid);
      else if (old === undefined) add(neu, 'insert', uuid);
      else if (neu === undefined) add(old, 'delete', uuid);
      else {
        add(old, 'old', uuid);
        add(neu, 'new', '');
      }
    }
    const caption = monitored.length > 1 ? mt.name : undefined;
    print(ctx, ['row', 'action', ...mt.columns], rows, caption, ctx.options.timestamp);
  }
}

function monitorRow(
  ctx: Context,
  mt: MonitoredTable,
  row: Json | undefined,
  action: string,
  label: string,
): Cell[] | null {
  if (row === undefined) {
    ctx.io.stderr(`${PROGRAM}: missing ${action} row\n`);
    return null;
  }
  if (!isJsonObject(row)) {
    ctx.io.stderr(`${PROGRAM}: <row> is not object\n`);
    return null;
  }
  const cells: Cell[] = [{ text: label }, { text: action }];
  for (const column of mt.columns) {
    const value = row[column];
    cells.push(value === undefined ? null : { json: value, type: mt.types.get(column) });
  }
  return cells;
}

const COMMANDS: Record<string, Command> = {
  'list-dbs': { need: 'rpc', min: 0, max: 0, run: listDbs },
  'get-schema': { need: 'database', min: 0, max: 0, run: getSchema },
  'get-schema-version': { need: 'database', min: 0, max: 0, run: getSchemaVersion },
  'get-schema-cksum': { need: 'database', min: 0, max: 0, run: getSchemaCksum },
  'list-tables': { need: 'database', min: 0, max: 0, run: listTables },
  'list-columns': { need: 'database', min: 0, max: 1, run: listColumns },
  transact: { need: 'none', min: 1, max: 2, run: transact },
  query: { need: 'none', min: 1, max: 2, run: query },
  monitor: { need: 'database', min: 1, max: Number.POSITIVE_INFINITY, run: monitor },
  dump: { need: 'database', min: 0, max: Number.POSITIVE_INFINITY, run: dump },
};
