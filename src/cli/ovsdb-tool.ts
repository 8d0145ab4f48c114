// `tsovs ovsdb-tool COMMAND…`: create, compact, show-log, query, transact and the db-/schema- queries of
// Open vSwitch's ovsdb-tool, on standalone database files that both tools read.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json, JsonObject } from '../jsonrpc/json.js';
import { DbLog } from '../ovsdb/log.js';
import { parseTxnRecord, recordDateMs } from '../ovsdb/log-records.js';
import { parseSchema, readSchemaFile } from '../ovsdb/schema.js';
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
      return create(p[0] ?? defaultDb(), p[1] ?? schemaPath('vswitch.ovsschema'));
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
      const json = JSON.parse(readFileSync(p[0] ?? schemaPath('vswitch.ovsschema'), 'utf8')) as JsonObject;
      parseSchema(json);
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

async function readRecords(path: string): Promise<JsonObject[]> {
  const { log, records } = await DbLog.open(path, { readOnly: true });
  await log.close();
  return records;
}

async function create(path: string, schemaFile: string): Promise<string> {
  const schema = readSchemaFile(schemaFile);
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
    return `${JSON.stringify(outcome.results)}\n`;
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
    return `${JSON.stringify(outcome.results)}\n`;
  } finally {
    await storage.close();
  }
}

function formatDate(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

async function showLog(path: string, more: number): Promise<string> {
  const records = await readRecords(path);
  const lines: string[] = [];
  const names = new Map<string, string>();
  records.forEach((rec, i) => {
    if (i === 0) {
      const s = rec as JsonObject;
      lines.push(`record 0: "${s.name}" schema, version="${s.version ?? ''}", cksum="${s.cksum ?? ''}"`);
      lines.push('');
      return;
    }
    const txn = parseTxnRecord(rec);
    let head = `record ${i}:`;
    const date = recordDateMs(txn);
    if (date !== undefined) head += ` ${formatDate(date)}`;
    if (txn.comment !== undefined) head += ` "${txn.comment}"`;
    lines.push(head);
    if (more === 0) return;
    for (const [table, rows] of txn.tables) {
      for (const [uuid, row] of rows) {
        const short = uuid.slice(0, 8);
        const known = names.get(uuid);
        const name = row !== null && typeof row.name === 'string' ? row.name : undefined;
        if (row === null) {
          lines.push(`  table ${table} delete row ${known ?? short} (${short}):`);
          names.delete(uuid);
        } else if (known === undefined) {
          lines.push(
            `  table ${table} insert row ${name !== undefined ? JSON.stringify(name) : short} (${short}):`,
          );
          names.set(uuid, name !== undefined ? JSON.stringify(name) : short);
        } else {
          lines.push(`  table ${table} row ${known} (${short})${txn.isDiff ? ' diff' : ''}:`);
        }
        if (more > 1 && row !== null)
          for (const [col, v] of Object.entries(row)) lines.push(`    ${col}=${JSON.stringify(v)}`);
      }
    }
    lines.push('');
  });
  return `${lines.join('\n')}\n`;
}
