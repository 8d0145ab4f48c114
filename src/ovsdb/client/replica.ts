// A monitored in-memory copy of chosen tables and columns of one database, like Open vSwitch's IDL:
// fetches the schema, monitors with monitor_cond_since (falling back to monitor_cond, then monitor when
// the server answers "unknown method"), applies update/update2/update3 notifications, counts a sequence
// number and emits 'change' after each batch. It re-synchronises by itself after a reconnection.
import { EventEmitter } from 'node:events';
import { isJsonObject, type Json, type JsonObject } from '../../jsonrpc/json.js';
import { JsonRpcError } from '../../jsonrpc/session.js';
import { applyDatumDiff, type Datum, datumFromJson, defaultDatum, diffFromJson } from '../datum.js';
import type { DatabaseSchema, TableSchema } from '../schema.js';
import type { Atom, ColumnType } from '../types.js';
import { type OvsdbConnection, OvsdbProtocolError } from './connection.js';

/** Which tables and columns to replicate: table name → column names, or 'all' for every column. */
export type TableSelection = Readonly<Record<string, readonly string[] | 'all'>>;

/** 1: "monitor" (update), 2: "monitor_cond" (update2), 3: "monitor_cond_since" (update3). */
export type MonitorVersion = 1 | 2 | 3;

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const METHODS: Record<MonitorVersion, string> = { 1: 'monitor', 2: 'monitor_cond', 3: 'monitor_cond_since' };

/** A selection naming a table or column the schema lacks (code 'unknown table' or 'unknown column'). */
export class ReplicaSelectionError extends Error {
  constructor(
    readonly code: 'unknown table' | 'unknown column',
    message: string,
  ) {
    super(message);
    this.name = 'ReplicaSelectionError';
  }
}

/** Typed reads over a row's values; subclasses say where a column's value comes from. */
export abstract class RowReader {
  /** The value of `column`. */
  abstract get(column: string): Datum;

  /** The single atom of a scalar or optional column, or undefined when it is empty. */
  scalar(column: string): Atom | undefined {
    const d = this.get(column);
    return d.size === 0 ? undefined : d.keys[0];
  }

  /** A string column's value ('' when empty). */
  string(column: string): string {
    return String(this.scalar(column) ?? '');
  }

  /** An integer or real column's value, or undefined when empty. */
  number(column: string): number | undefined {
    const a = this.scalar(column);
    return a === undefined ? undefined : Number(a);
  }

  /** A boolean column's value (false when empty). */
  boolean(column: string): boolean {
    return this.scalar(column) === true;
  }

  /** A set column's elements, in order. */
  elements(column: string): readonly Atom[] {
    return this.get(column).keys;
  }

  /** A map column as a Map. */
  map(column: string): Map<Atom, Atom> {
    const d = this.get(column);
    return new Map(d.keys.map((k, i) => [k, (d.values ?? [])[i]]));
  }
}

/** One replicated row: immutable; a change makes a new ReplicaRow. Columns not replicated read as defaults. */
export class ReplicaRow extends RowReader {
  constructor(
    readonly table: TableSchema,
    readonly uuid: string,
    /** The replicated columns' values. */
    readonly data: ReadonlyMap<string, Datum>,
  ) {
    super();
  }

  /** The value of `column` (its default when the column is not replicated); throws for unknown columns. */
  get(column: string): Datum {
    const value = this.data.get(column);
    if (value !== undefined) return value;
    return defaultDatum(this.columnType(column));
  }

  /** The column's type; throws for a column the table does not have. */
  columnType(column: string): ColumnType {
    const c = this.table.column(column);
    if (c === undefined)
      throw new ReplicaSelectionError('unknown column', `${this.table.name} has no ${column}`);
    return c.type;
  }
}

/** One row's change in a batch: `old` null for an insert, `new` null for a delete. */
export interface ReplicaRowChange {
  readonly table: string;
  readonly uuid: string;
  readonly old: ReplicaRow | null;
  readonly new: ReplicaRow | null;
}

/** One batch of changes; `resync` is true when it came from a (re)initialisation of the monitor. */
export interface ReplicaChange {
  readonly seqno: number;
  readonly resync: boolean;
  readonly changes: readonly ReplicaRowChange[];
}

/** Options of a Replica. */
export interface ReplicaOptions {
  /** Monitor methods to try, in order (default [3, 2, 1]). */
  readonly versions?: readonly MonitorVersion[];
}

let nextMonitorNumber = 0;

/** The events of a Replica: 'change' after every applied batch; 'invalid' for an update it could not apply
 * (it then re-synchronises, as Open vSwitch's IDL does). */
export type ReplicaEvents = { change: [ReplicaChange]; invalid: [Error] };

/** A monitored replica of one database (see the file comment). */
export class Replica extends EventEmitter<ReplicaEvents> {
  /** The schema the server reported (refreshed at each reconnection). */
  schema!: DatabaseSchema;
  /** Counts applied batches; changes whenever the replica's contents may have. */
  seqno = 0;
  /** The monitor method in use. */
  version: MonitorVersion = 3;
  private readonly tables = new Map<string, Map<string, ReplicaRow>>();
  private readonly monitorId: Json;
  private lastTxnId = ZERO_UUID;
  private active = false;
  private closed = false;
  private readonly removeHook: () => void;
  private readonly onNotification = (method: string, params: Json[]) => this.notification(method, params);
  private readonly onDisconnect = () => {
    this.active = false;
  };

  private constructor(
    readonly connection: OvsdbConnection,
    readonly database: string,
    private readonly selection: TableSelection | 'all',
    private readonly options: ReplicaOptions,
  ) {
    super();
    this.monitorId = ['monid', database, nextMonitorNumber++];
    this.removeHook = connection.onConnect(() => this.sync());
    connection.on('notification', this.onNotification);
    connection.on('disconnected', this.onDisconnect);
  }

  /** Starts replicating; resolves after the first full synchronisation (rejects if it fails). */
  static async open(
    connection: OvsdbConnection,
    database: string,
    selection: TableSelection | 'all' = 'all',
    options: ReplicaOptions = {},
  ): Promise<Replica> {
    const replica = new Replica(connection, database, selection, options);
    try {
      await replica.sync();
    } catch (err) {
      replica.close();
      throw err;
    }
    return replica;
  }

  /** True while the monitor is established on a live connection. */
  get synced(): boolean {
    return this.active;
  }

  /** The replicated rows of `table` by UUID (empty for tables not replicated). */
  rows(table: string): ReadonlyMap<string, ReplicaRow> {
    return this.tables.get(table) ?? new Map();
  }

  /** One row, or undefined. */
  row(table: string, uuid: string): ReplicaRow | undefined {
    return this.tables.get(table)?.get(uuid);
  }

  /** Resolves once `predicate` holds (checked now and after each change); rejects after `timeoutMs`. */
  waitFor(predicate: (replica: Replica) => boolean, timeoutMs = 10000): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('change', check);
        reject(new Error(`${this.database}: replica condition not met after ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (!predicate(this)) return;
        clearTimeout(timer);
        this.off('change', check);
        resolve();
      };
      this.on('change', check);
    });
  }

  /** Resolves once seqno exceeds `seqno` (at once if it already does). */
  waitForChange(seqno: number, timeoutMs = 10000): Promise<void> {
    return this.waitFor((r) => r.seqno > seqno, timeoutMs);
  }

  /** Stops replicating (cancels the monitor when connected); the rows stay readable. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.removeHook();
    this.connection.off('notification', this.onNotification);
    this.connection.off('disconnected', this.onDisconnect);
    if (this.active) this.connection.request('monitor_cancel', [this.monitorId]).catch(() => {});
    this.active = false;
  }

  /** Fetches the schema and (re)establishes the monitor; runs at start and after each reconnection. */
  private async sync(): Promise<void> {
    this.active = false;
    const { schema } = await this.connection.getSchema(this.database);
    this.schema = schema;
    const requests = this.monitorRequests(schema);
    const versions = this.options.versions ?? [3, 2, 1];
    for (const [i, version] of versions.entries()) {
      try {
        await this.monitor(version, requests);
        return;
      } catch (err) {
        const unknown = err instanceof JsonRpcError && err.code === 'unknown method';
        if (!unknown || i === versions.length - 1) throw err;
      }
    }
  }

  private monitorRequests(schema: DatabaseSchema): JsonObject {
    const selection: TableSelection =
      this.selection === 'all'
        ? Object.fromEntries([...schema.tables.keys()].map((t) => [t, 'all']))
        : this.selection;
    const requests: JsonObject = {};
    for (const [name, columns] of Object.entries(selection)) {
      const table = schema.table(name);
      if (table === undefined)
        throw new ReplicaSelectionError('unknown table', `${this.database} has no table ${name}`);
      if (columns !== 'all') {
        const missing = columns.find((c) => table.column(c) === undefined);
        if (missing !== undefined)
          throw new ReplicaSelectionError('unknown column', `${name} has no column ${missing}`);
      }
      const names = columns === 'all' ? table.columns.map((c) => c.name) : [...columns];
      requests[name] = [{ columns: names }];
    }
    return requests;
  }

  private async monitor(version: MonitorVersion, requests: JsonObject): Promise<void> {
    const params: Json[] = [this.database, this.monitorId, requests];
    if (version === 3) params.push(this.lastTxnId);
    // Updates that arrive before the reply are already reflected in it, so they are ignored (active=false).
    const result = await this.connection.request(METHODS[version], params);
    this.version = version;
    if (version === 3) {
      if (!Array.isArray(result) || result.length !== 3 || typeof result[1] !== 'string') {
        throw new OvsdbProtocolError('monitor_cond_since reply is not [found, last-txn-id, updates]');
      }
      this.lastTxnId = result[1];
      if (result[0] === true) this.applyBatch(result[2], 2, false);
      else this.replaceAll(result[2], 2);
    } else {
      this.replaceAll(result, version);
    }
    this.active = true;
  }

  private notification(method: string, params: Json[]): void {
    if (!this.active || params.length < 2 || JSON.stringify(params[0]) !== JSON.stringify(this.monitorId))
      return;
    try {
      if (method === 'update' && this.version === 1) this.applyBatch(params[1], 1, false);
      else if (method === 'update2' && this.version === 2) this.applyBatch(params[1], 2, false);
      else if (method === 'update3' && this.version === 3 && typeof params[1] === 'string') {
        this.lastTxnId = params[1];
        this.applyBatch(params[2], 2, false);
      }
    } catch (err) {
      void this.resync(err);
    }
  }

  /** After an update that could not be applied: reports it, cancels the monitor and starts over. */
  private async resync(err: unknown): Promise<void> {
    this.active = false;
    this.emit('invalid', err instanceof Error ? err : new Error(String(err)));
    await this.connection.request('monitor_cancel', [this.monitorId]).catch(() => {});
    await this.sync().catch((e: unknown) => {
      if (!this.closed) this.emit('invalid', e instanceof Error ? e : new Error(String(e)));
    });
  }

  /** Replaces the whole contents with a monitor reply, reporting the differences as one batch. */
  private replaceAll(updates: Json, format: 1 | 2): void {
    const old = new Map([...this.tables].map(([name, rows]) => [name, new Map(rows)]));
    this.tables.clear();
    for (const name of this.selectedTables()) this.tables.set(name, new Map());
    const changes: ReplicaRowChange[] = [];
    for (const change of this.parseBatch(updates, format)) {
      if (change.new !== null) this.tables.get(change.table)?.set(change.uuid, change.new);
    }
    for (const [name, rows] of this.tables) {
      const before = old.get(name) ?? new Map<string, ReplicaRow>();
      for (const [uuid, row] of rows) {
        const prev = before.get(uuid) ?? null;
        if (prev === null || !sameRow(prev, row)) changes.push({ table: name, uuid, old: prev, new: row });
      }
      for (const [uuid, prev] of before)
        if (!rows.has(uuid)) changes.push({ table: name, uuid, old: prev, new: null });
    }
    this.emitChange(changes, true);
  }

  private selectedTables(): string[] {
    return this.selection === 'all' ? [...this.schema.tables.keys()] : Object.keys(this.selection);
  }

  /** Applies one batch of row updates (from a notification, or a found=true monitor_cond_since reply). */
  private applyBatch(updates: Json, format: 1 | 2, resync: boolean): void {
    const changes = this.parseBatch(updates, format);
    for (const c of changes) {
      const rows = this.tables.get(c.table);
      if (rows === undefined) continue;
      if (c.new === null) rows.delete(c.uuid);
      else rows.set(c.uuid, c.new);
    }
    this.emitChange(changes, resync);
  }

  private emitChange(changes: ReplicaRowChange[], resync: boolean): void {
    this.seqno++;
    this.emit('change', { seqno: this.seqno, resync, changes });
  }

  /** Turns <table-updates> (format 1) or <table-updates2> (format 2) into row changes, without applying them. */
  private parseBatch(updates: Json, format: 1 | 2): ReplicaRowChange[] {
    if (!isJsonObject(updates)) throw new OvsdbProtocolError('<table-updates> is not an object');
    const changes: ReplicaRowChange[] = [];
    for (const [name, rowUpdates] of Object.entries(updates)) {
      const table = this.schema.table(name);
      if (table === undefined || !isJsonObject(rowUpdates)) continue;
      for (const [uuid, update] of Object.entries(rowUpdates)) {
        if (!isJsonObject(update)) throw new OvsdbProtocolError(`<row-update> for ${uuid} is not an object`);
        const old = this.tables.get(name)?.get(uuid) ?? null;
        const neu =
          format === 1
            ? this.rowFromUpdate(table, uuid, update)
            : this.rowFromUpdate2(table, uuid, old, update);
        changes.push({ table: name, uuid, old, new: neu });
      }
    }
    return changes;
  }

  /** The new row of an RFC 7047 <row-update>: "new" holds every monitored column; no "new" is a delete. */
  private rowFromUpdate(table: TableSchema, uuid: string, update: JsonObject): ReplicaRow | null {
    if (update.new === undefined) return null;
    return this.fullRow(table, uuid, update.new);
  }

  /** The new row of a <row-update2>: initial/insert rows omit defaults, modify carries diffs. */
  private rowFromUpdate2(
    table: TableSchema,
    uuid: string,
    old: ReplicaRow | null,
    update: JsonObject,
  ): ReplicaRow | null {
    if ('delete' in update) return null;
    const full = update.initial ?? update.insert;
    if (full !== undefined) return this.fullRow(table, uuid, full);
    if (update.modify === undefined)
      throw new OvsdbProtocolError(`<row-update2> for ${uuid} has no known member`);
    if (old === null) throw new OvsdbProtocolError(`modify of unknown row ${table.name} ${uuid}`);
    if (!isJsonObject(update.modify)) throw new OvsdbProtocolError('modify is not an object');
    const data = new Map(old.data);
    for (const [column, diff] of Object.entries(update.modify)) {
      const c = table.column(column);
      if (c === undefined) continue;
      data.set(column, applyUpdate2Value(c.type, old.get(column), diff));
    }
    return new ReplicaRow(table, uuid, data);
  }

  /** A row from a <row> object; replicated columns it leaves out hold their defaults. */
  private fullRow(table: TableSchema, uuid: string, row: Json): ReplicaRow {
    if (!isJsonObject(row)) throw new OvsdbProtocolError(`<row> for ${uuid} is not an object`);
    const data = new Map<string, Datum>();
    for (const name of this.replicatedColumns(table)) {
      const c = table.column(name);
      if (c === undefined) continue;
      const json = row[name];
      data.set(name, json === undefined ? defaultDatum(c.type) : datumFromJson(c.type, json));
    }
    return new ReplicaRow(table, uuid, data);
  }

  private replicatedColumns(table: TableSchema): readonly string[] {
    const columns = this.selection === 'all' ? 'all' : this.selection[table.name];
    return columns === 'all' || columns === undefined ? table.columns.map((c) => c.name) : columns;
  }
}

/**
 * Applies one column of an update2 "modify": columns holding at most one value carry the new value,
 * sets and maps carry a diff (as Open vSwitch's ovsdb_datum_apply_diff()).
 */
export function applyUpdate2Value(type: ColumnType, old: Datum, json: Json): Datum {
  if (type.max <= 1) return datumFromJson({ ...type, min: 0 }, json);
  return applyDatumDiff(type, old, diffFromJson(type, json));
}

function sameRow(a: ReplicaRow, b: ReplicaRow): boolean {
  if (a.data.size !== b.data.size) return false;
  for (const [column, value] of a.data) {
    const other = b.data.get(column);
    if (other === undefined || !other.equals(value)) return false;
  }
  return true;
}
