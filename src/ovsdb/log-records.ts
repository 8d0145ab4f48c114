// The transaction records inside a standalone database log (framed by log.ts): table → row UUID → row
// JSON or null (delete), plus "_date", "_comment" and "_is_diff". Shape only: whether a row is an insert or a
// modify, and how a diff applies to a set or map, is the data model's job (docs/ovsdb-file-format.md).
import type { Json, JsonObject } from '../jsonrpc/json.js';
import { isJsonObject } from '../jsonrpc/json.js';
import { isUuid } from './datum.js';
import { DbLogError } from './log.js';

/** A row's change in a record: the row's columns (insert, or changed columns of a modify), or null (delete). */
export type RowTxn = JsonObject | null;

/** The rows a transaction touched in one table, by row UUID. */
export type TableTxn = Map<string, RowTxn>;

/** A parsed transaction record. */
export interface TxnRecord {
  /** "_date" as written: milliseconds since the epoch (values below 2^31 are old-style seconds). */
  date?: number;
  /** "_comment", when present. */
  comment?: string;
  /** "_is_diff": modified rows carry column diffs rather than new values. */
  isDiff: boolean;
  /** Table name → row UUID (lowercase) → row change, in record order. */
  tables: Map<string, TableTxn>;
}

/** What `makeTxnRecord` takes: tables as Maps or plain objects. */
export interface TxnRecordInput {
  /** Milliseconds since the epoch; defaults to now. */
  date?: number;
  /** Written only when nonempty. */
  comment?: string;
  /** Written as "_is_diff": true when set; tsovs itself writes full values. */
  isDiff?: boolean;
  tables: Map<string, RowsInput> | Record<string, RowsInput>;
}

/** The rows of one table in `TxnRecordInput`, as a Map or a plain object. */
export type RowsInput = Map<string, RowTxn> | Record<string, RowTxn>;

/** A table name: an RFC 7047 <id> not starting with "_" (those are reserved, and the record's own). */
const TABLE_NAME_RE = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Member names of a record that are not tables. */
const DATE = '_date';
const COMMENT = '_comment';
const IS_DIFF = '_is_diff';

function invalid(message: string): DbLogError {
  return new DbLogError('invalid record', message);
}

/** Builds the JSON of a transaction record: tables first, then "_comment", "_is_diff", "_date" (as OVS does). */
export function makeTxnRecord(input: TxnRecordInput): JsonObject {
  const record: JsonObject = {};
  for (const [table, rows] of entriesOf(input.tables)) {
    if (!TABLE_NAME_RE.test(table)) throw invalid(`"${table}" is not a valid table name`);
    const tableJson: JsonObject = {};
    for (const [uuid, row] of entriesOf(rows)) {
      if (!isUuid(uuid)) throw invalid(`"${uuid}" is not a valid UUID`);
      if (row !== null && !isJsonObject(row)) throw invalid(`row ${uuid} must be a JSON object or null`);
      tableJson[uuid.toLowerCase()] = row;
    }
    if (Object.keys(tableJson).length > 0) record[table] = tableJson;
  }
  if (input.comment) record[COMMENT] = input.comment;
  if (input.isDiff) record[IS_DIFF] = true;
  const date = input.date ?? Date.now();
  if (!Number.isSafeInteger(date)) throw invalid(`_date must be an integer, not ${date}`);
  record[DATE] = date;
  return record;
}

/** Parses and checks the shape of a transaction record (any record after the schema). */
export function parseTxnRecord(json: Json): TxnRecord {
  if (!isJsonObject(json)) throw invalid('transaction record must be a JSON object');
  const result: TxnRecord = { isDiff: false, tables: new Map() };
  for (const [name, value] of Object.entries(json)) {
    if (name === DATE) result.date = parseDate(value);
    else if (name === COMMENT) {
      if (typeof value === 'string') result.comment = value; // OVS ignores a non-string comment
    } else if (name === IS_DIFF) result.isDiff = parseIsDiff(value);
    else if (TABLE_NAME_RE.test(name)) result.tables.set(name, parseTableTxn(name, value));
    else throw invalid(`No table named ${name}.`);
  }
  return result;
}

/** The record's date in milliseconds, converting the seconds that early OVSDB versions wrote. */
export function recordDateMs(record: Pick<TxnRecord, 'date'>): number | undefined {
  if (record.date === undefined) return undefined;
  return record.date < 2 ** 31 - 1 ? record.date * 1000 : record.date;
}

function parseDate(value: Json): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid('_date must be an integer');
  return value;
}

function parseIsDiff(value: Json): boolean {
  if (typeof value !== 'boolean') throw invalid('_is_diff must be true or false');
  return value;
}

function parseTableTxn(table: string, value: Json): TableTxn {
  if (!isJsonObject(value)) throw invalid(`changes to table ${table} must be a JSON object`);
  const rows: TableTxn = new Map();
  for (const [uuid, row] of Object.entries(value)) {
    if (!isUuid(uuid)) throw invalid(`"${uuid}" is not a valid UUID`);
    if (row !== null && !isJsonObject(row))
      throw invalid(`row ${uuid} in table ${table} must be a row object`);
    rows.set(uuid.toLowerCase(), row);
  }
  return rows;
}

function entriesOf<V>(m: Map<string, V> | Record<string, V>): [string, V][] {
  return m instanceof Map ? [...m.entries()] : Object.entries(m);
}
