// `tsovs ovsdb-tool COMMAND…`: create, compact, show-log, query, transact and the db-/schema- queries of
// Open vSwitch's ovsdb-tool, on standalone database files that both tools read. Output formats (show-log,
// query results) are Open vSwitch's own, line for line.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isJsonObject, type Json, type JsonObject } from '../jsonrpc/json.js';
import { formatTimestamp } from '../ovsdb/client/format.js';
import { checkDatum, datumFromJson, datumToString } from '../ovsdb/datum.js';
import { DbLog } from '../ovsdb/log.js';
import { ovsJsonToString } from '../ovsdb/ovs-json.js';
import { type DatabaseSchema, parseSchema, type TableSchema } from '../ovsdb/schema.js';
import { shashOrder } from '../ovsdb/shash-order.js';
import { FileStorage, loadRecords, snapshotRecord, txnRecord } from '../ovsdb/storage.js';
import { executeTransaction } from '../ovsdb/transaction.js';
import { TSOVS_VERSION } from '../unixctl/server.js';
import { dbDir, schemaPath } from '../util/paths.js';

const USAGE = `tsovs ovsdb-tool: OVSDB database management utility
usage: tsovs ovsdb-tool [OPTIONS] COMMAND [ARG...]
  create [DB [SCHEMA]]    create DB with the given SCHEMA
  compact [DB [DST]]      compact DB in-place (or to DST)
  db-name [DB]            report name of schema used by DB
  db-version [DB]         report version of schema used by DB
  db-cksum [DB]           report checksum of schema used by DB
  db-is-standalone DB     test whether DB is standalone
  schema-name [SCHEMA]    report SCHEMA's name
  schema-version [SCHEMA] report SCHEMA's schema version
  schema-cksum [SCHEMA]   report SCHEMA's checksum
  query [DB] TRNS         execute read-only transaction on DB
  transact [DB] TRNS      execute read/write transaction on DB
  [-m]... show-log [DB]   print DB's log entries
The default DB is $TSOVS_DBDIR/conf.db (TSOVS_DBDIR defaults to $TSOVS_RUNDIR, then /var/run/tsovs).
The default SCHEMA is tsovs's schema/vswitch.ovsschema.
`;

class ToolError extends Error {}

function defaultDb(): string {
  return join(dbDir(), 'conf.db');
}

function defaultSchema(): string {
  return schemaPath('vswitch.ovsschema');
}

/** Runs one ovsdb-tool command. */
export async function run(args: string[]): Promise<number> {
  let more = 0;
  const rest: string[] = [];
  for (const a of args) {
    if (a === '-m' || a === '--more') more++;
    else if (/^-m+$/.test(a)) more += a.length - 1;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      return 0;
    } else if (a === '-V' || a === '--version') {
      process.stdout.write(`ovsdb-tool (tsovs) ${TSOVS_VERSION}\n`);
      return 0;
    } else if (a.startsWith('-v') || a.startsWith('--verbose') || a.startsWith('--log-file')) {
      // accepted for compatibility
    } else rest.push(a);
  }
  const [cmd, ...params] = rest;
  try {
    const out = await command(cmd, params, more);
    process.stdout.write(out);
    return 0;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`ovsdb-tool: ${msg}\n`);
    return 1;
  }
}

function arity(cmd: string, params: string[], min: number, max: number): void {
  if (params.length < min || params.length > max) {
    throw new ToolError(`'${cmd}' command requires at least ${min} and at most ${max} arguments`);
  }
}

async function command(cmd: string | undefined, p: string[], more: number): Promise<string> {
  switch (cmd) {
    case undefined:
      throw new ToolError('missing command name; use --help for help');
    case 'create':
      arity(cmd, p, 0, 2);
      return create(p[0] ?? defaultDb(), p[1] ?? defaultSchema());
    case 'compact':
      arity(cmd, p, 0, 2);
      return compact(p[0] ?? defaultDb(), p[1]);
    case 'db-name':
    case 'db-version':
    case 'db-cksum': {
      arity(cmd, p, 0, 1);
      const schema = (await readRecords(p[0] ?? defaultDb()))[0];
      return `${schemaField(schema, cmd.slice(3))}\n`;
    }
    case 'db-is-standalone':
      arity(cmd, p, 1, 1);
      await readRecords(p[0]);
      return '';
    case 'schema-name':
    case 'schema-version':
    case 'schema-cksum': {
      arity(cmd, p, 0, 1);
      const { json } = readSchema(p[0] ?? defaultSchema());
      return `${schemaField(json, cmd.slice(7))}\n`;
    }
    case 'query':
    case 'transact':
      arity(cmd, p, 1, 2);
      return p.length === 1
        ? transact(defaultDb(), p[0], cmd === 'query')
        : transact(p[0], p[1], cmd === 'query');
    case 'show-log':
      arity(cmd, p, 0, 1);
      return showLog(p[0] ?? defaultDb(), more);
    default:
      throw new ToolError(`unknown command '${cmd}'; use --help for help`);
  }
}

function schemaField(schema: JsonObject, field: string): string {
  const v = schema[field];
  return typeof v === 'string' ? v : '';
}

/** Reads and checks a schema file; every failure names the file and what was wrong with it. */
function readSchema(path: string): { json: JsonObject; schema: DatabaseSchema } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'No such file or directory' : e.message;
    throw new ToolError(`failed to read schema: "${path}" could not be read (${why})`);
  }
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch (err) {
    throw new ToolError(
      `failed to read schema: "${path}" could not be read as JSON (${(err as Error).message})`,
    );
  }
  try {
    const schema = parseSchema(json);
    return { json: json as JsonObject, schema };
  } catch (err) {
    throw new ToolError(`failed to read schema: "${path}" is not a valid schema (${(err as Error).message})`);
  }
}

async function readRecords(path: string): Promise<JsonObject[]> {
  const { log, records } = await DbLog.open(path, { readOnly: true });
  await log.close();
  return records;
}

/** Refuses, with a clear message, to create `path` where it exists or its directory does not. */
function checkCreatable(path: string): void {
  if (existsSync(path)) throw new ToolError(`${path}: cannot create database: file already exists`);
  const dir = dirname(resolve(path));
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new ToolError(`${path}: cannot create database: directory ${dir} does not exist`);
}

async function create(path: string, schemaFile: string): Promise<string> {
  const { schema } = readSchema(schemaFile);
  checkCreatable(path);
  const log = await DbLog.create(path, schema.toJson());
  await log.close();
  return '';
}

async function compact(path: string, dst?: string): Promise<string> {
  const loaded = loadRecords(await readRecords(path));
  const records = [
    loaded.schemaJson,
    snapshotRecord(loaded.db, `compacted by tsovs ovsdb-tool ${TSOVS_VERSION}`),
  ];
  if (dst === undefined) {
    await DbLog.rewrite(path, records);
  } else {
    checkCreatable(dst);
    const log = await DbLog.create(dst, records[0]);
    await log.append(records.slice(1));
    await log.close();
  }
  return '';
}

async function transact(path: string, text: string, readOnly: boolean): Promise<string> {
  let params: Json;
  try {
    params = JSON.parse(text) as Json;
  } catch (err) {
    throw new ToolError(`syntax error in transaction: ${(err as Error).message}`);
  }
  if (!Array.isArray(params) || params.length === 0) throw new ToolError('transaction must be a JSON array');
  if (readOnly) {
    const loaded = loadRecords(await readRecords(path));
    const outcome = executeTransaction(loaded.db, params.slice(1), { ownsLock: () => false });
    if (outcome.kind !== 'done') throw new ToolError('transaction blocked on a "wait"');
    return `${ovsJsonToString(outcome.results, { sort: true })}\n`;
  }
  const storage = await FileStorage.open(path);
  try {
    const outcome = executeTransaction(storage.db, params.slice(1), { ownsLock: () => false });
    if (outcome.kind !== 'done') throw new ToolError('transaction blocked on a "wait"');
    if (outcome.changes !== null) {
      const txn = storage.db.commit(outcome.changes, outcome.comment, true);
      const rec = txnRecord(storage.db.schema, txn);
      if (rec !== null) await storage.log.append([rec]);
    }
    return `${ovsJsonToString(outcome.results, { sort: true })}\n`;
  } finally {
    await storage.close();
  }
}

// ---- show-log, in ovsdb-tool's own format ----------------------------------------------------------
// ovsdb-tool prints a record's tables, rows and columns in the iteration order of the hash table its JSON
// parser keeps object members in (OVS's shash: an hmap whose buckets are indexed by a murmur-style hash
// of the name, each bucket a list with the newest member first, doubling as members are added).
// Simulating that table (shash-order.ts) reproduces its order exactly, so both tools print the same lines.

/** The members of `obj` in OVS's iteration order. */
function ovsEntries(obj: JsonObject): [string, Json][] {
  return shashOrder(Object.keys(obj)).map((k) => [k, obj[k]]);
}

/** A column value as `-mm` prints it: OVS's datum syntax when it parses as the column's type, else JSON. */
function columnText(table: TableSchema | undefined, column: string, value: Json): string {
  const c = table?.column(column);
  if (c !== undefined) {
    try {
      const d = datumFromJson(c.type, value);
      checkDatum(c.type, d);
      return datumToString(c.type, d);
    } catch {
      // not a valid value of the column (e.g. a diff larger than the column allows): shown as JSON
    }
  }
  return ovsJsonToString(value, { sort: true });
}

/** The lines `-m` (`-mm`) print for a transaction record (null: it names no table); `names` tracks row names. */
function changeLines(
  record: JsonObject,
  schema: DatabaseSchema,
  names: Map<string, string>,
  more: number,
): string[] | null {
  let lines: string[] | null = null;
  const isDiff = record._is_diff === true;
  for (const [table, rows] of ovsEntries(record)) {
    if (table.startsWith('_') || !isJsonObject(rows)) continue;
    lines ??= [];
    const ts = schema.table(table);
    for (const [uuid, row] of ovsEntries(rows)) {
      const oldName = names.get(uuid);
      const newName =
        isJsonObject(row) && row.name !== undefined ? ovsJsonToString(row.name, { sort: true }) : undefined;
      const short = uuid.slice(0, 8);
      if (oldName === undefined) {
        lines.push(`  table ${table} insert row ${newName !== undefined ? `${newName} (${short})` : short}:`);
      } else {
        lines.push(`  table ${table} row ${oldName} (${short})${isDiff ? ' diff' : ''}:`);
      }
      if (isJsonObject(row)) {
        if (more > 1)
          for (const [col, v] of ovsEntries(row)) lines.push(`    ${col}=${columnText(ts, col, v)}`);
        if (newName !== undefined && newName !== oldName) names.set(uuid, newName);
        else if (oldName === undefined) names.set(uuid, short);
      } else if (row === null) {
        lines.push('    delete row');
        names.delete(uuid);
      }
    }
  }
  return lines;
}

/** ovsdb-tool's show-log: one line per record, and with -m the rows each changed (-mm: and the values). */
async function showLog(path: string, more: number): Promise<string> {
  const records = await readRecords(path);
  const schema = parseSchema(records[0]);
  const names = new Map<string, string>();
  let out = '';
  records.forEach((rec, i) => {
    out += `record ${i}:`;
    if (i === 0) {
      out += ` "${schemaField(rec, 'name')}" schema, version="${schemaField(rec, 'version')}", cksum="${schemaField(rec, 'cksum')}"\n`;
    } else {
      const date = rec._date;
      if (typeof date === 'number' && Number.isInteger(date)) {
        out += ` ${formatTimestamp(new Date(date < 2 ** 31 - 1 ? date * 1000 : date))}`;
      }
      if (typeof rec._comment === 'string') out += ` "${rec._comment}"`;
      if (more > 0) {
        const lines = changeLines(rec, schema, names, more);
        if (lines !== null) out += `\n${lines.map((l) => `${l}\n`).join('')}`;
      }
    }
    out += '\n';
  });
  return out;
}
