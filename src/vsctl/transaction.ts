// The one transaction of an ovs-vsctl invocation, as Open vSwitch's IDL commits it: on top of the client
// library's Transaction it drops deletes of non-root rows (the server collects them), sends nothing when no
// value really changes, increments Open_vSwitch.next_cfg (mutate + select) when something does, adds the
// comment, `abort` for --dry-run, the singleton-table check, and `@name` rows created under a symbol.
import { isJsonObject, type Json, type JsonObject } from '../jsonrpc/json.js';
import { Transaction, type TxnRow } from '../ovsdb/client/txn.js';
import { datumToJson } from '../ovsdb/datum.js';
import { ovsJsonToString } from '../ovsdb/ovs-json.js';

/** How a commit ended (ovsdb_idl_txn_status, without the states vsctl never sees). */
export type VsctlTxnStatus = 'success' | 'unchanged' | 'try again' | 'error' | 'not locked';

/** The outcome of VsctlTransaction.commitVsctl(). */
export interface VsctlCommitResult {
  readonly status: VsctlTxnStatus;
  /** For 'error': the error as ovs-vsctl prints it (the sorted JSON of the failing reply). */
  readonly error?: string;
  /** Temporary UUIDs of inserted rows → real ones. */
  readonly inserted: ReadonlyMap<string, string>;
  /** The new next_cfg, when it was incremented. */
  readonly nextCfg?: number;
}

function namedUuid(uuid: string): string {
  return `row${uuid.replace(/-/g, '_')}`;
}

function uuidOfNamed(name: string): string {
  return name.slice(3).replace(/_/g, '-');
}

function whereUuid(txn: VsctlTransaction, row: TxnRow): Json {
  return [['_uuid', '==', txn.atomJson('uuid', row.uuid)]];
}

/** A Transaction committed the way ovs-vsctl's IDL commits (see the file comment). */
export class VsctlTransaction extends Transaction {
  /** Placeholder UUIDs of `@name` symbols → the temporary UUID of the row created for them. */
  readonly aliases = new Map<string, string>();
  /** The row whose next_cfg to increment when anything changes (ovsdb_idl_txn_increment). */
  incrementRow: TxnRow | null = null;
  /** The "comment" operation's text. */
  commentText: string | null = null;
  dryRun = false;
  /** Told about the first server-side error, which OVS's IDL logs as a warning before ovs-vsctl fails. */
  onHardError: ((text: string) => void) | null = null;

  /** The operations to send, or [] when nothing would really change. */
  override operations(): Json[] {
    const ops = (super.operations() as Json[]).map((op) => this.substituteAliases(op));
    const kept: Json[] = [];
    let anyUpdates = false;
    let firstChange = -1;
    for (const op of ops) {
      if (!isJsonObject(op)) continue;
      if (op.op !== 'wait' && firstChange < 0) firstChange = kept.length;
      if (op.op === 'comment') continue;
      if (op.op === 'delete') {
        if (!this.replica.schema.table(String(op.table))?.isRoot) continue;
        anyUpdates = true;
      } else if (op.op === 'insert' || op.op === 'mutate') anyUpdates = true;
      else if (op.op === 'update' && this.changesSomething(op)) anyUpdates = true;
      kept.push(op);
    }
    if (!anyUpdates) return [];
    kept.splice(firstChange < 0 ? kept.length : firstChange, 0, ...this.singletonWaits(kept));
    if (this.incrementRow !== null) kept.push(...this.incrementOps(this.incrementRow));
    if (this.commentText !== null) kept.push({ op: 'comment', comment: this.commentText });
    if (this.dryRun) kept.push({ op: 'abort' });
    return kept;
  }

  /** Sends the transaction and classifies the reply as ovsdb_idl_txn_process_reply() does. */
  async commitVsctl(): Promise<VsctlCommitResult> {
    const ops = this.operations();
    if (ops.length === 0) return { status: 'unchanged', inserted: new Map() };
    const results = await this.replica.connection.transact(this.replica.database, ops);
    let hard: string | null = null;
    let soft = false;
    let lock = false;
    for (const r of results) {
      if (r === null) soft = true;
      else if (!isJsonObject(r)) hard ??= ovsJsonToString(r, { sort: true });
      else if (r.error === undefined) continue;
      else if (typeof r.error !== 'string') hard ??= ovsJsonToString(r, { sort: true });
      else if (r.error === 'timed out' || r.error === 'unknown database') soft = true;
      else if (r.error === 'not owner') lock = true;
      else if (r.error !== 'aborted') {
        const text = ovsJsonToString(r, { sort: true });
        if (r.error !== 'not allowed' && hard === null) this.onHardError?.(text);
        hard ??= text;
      }
    }
    if (hard !== null) return { status: 'error', error: hard, inserted: new Map() };
    if (lock) return { status: 'not locked', inserted: new Map() };
    if (soft) return { status: 'try again', inserted: new Map() };
    return {
      status: 'success',
      inserted: this.realUuids(ops, results),
      nextCfg: this.newNextCfg(ops, results),
    };
  }

  private substituteAliases(json: Json): Json {
    if (this.aliases.size === 0 || json === null || typeof json !== 'object') return json;
    if (Array.isArray(json)) {
      if (json.length === 2 && json[0] === 'uuid' && typeof json[1] === 'string') {
        const target = this.aliases.get(json[1]);
        if (target !== undefined) return ['named-uuid', namedUuid(target)];
      }
      return json.map((j) => this.substituteAliases(j));
    }
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(json)) out[k] = k === 'where' ? v : this.substituteAliases(v);
    return out;
  }

  /** True when an "update" writes some column with a value other than the replica's. */
  private changesSomething(op: JsonObject): boolean {
    const where = op.where as Json[];
    const uuid = ((where[0] as Json[])[2] as Json[])[1] as string;
    const base = this.replica.row(String(op.table), uuid);
    if (base === undefined) return true;
    for (const [column, value] of Object.entries(op.row as JsonObject)) {
      const old = datumToJson(base.columnType(column), base.get(column));
      if (ovsJsonToString(old, { sort: true }) !== ovsJsonToString(value, { sort: true })) return true;
    }
    return false;
  }

  /** A "wait" that the table is still empty, for single-row tables this transaction inserts into. */
  private singletonWaits(ops: Json[]): Json[] {
    const tables = new Set<string>();
    for (const op of ops) {
      if (!isJsonObject(op) || op.op !== 'insert') continue;
      const table = String(op.table);
      if (this.replica.schema.table(table)?.maxRows === 1 && this.replica.rows(table).size === 0)
        tables.add(table);
    }
    return [...tables].map((table) => ({ op: 'wait', table, where: [], timeout: 0, until: '==', rows: [] }));
  }

  private incrementOps(row: TxnRow): Json[] {
    const table = row.table.name;
    return [
      { op: 'mutate', table, where: whereUuid(this, row), mutations: [['next_cfg', '+=', 1]] },
      { op: 'select', table, where: whereUuid(this, row), columns: ['next_cfg'] },
    ];
  }

  private realUuids(ops: Json[], results: readonly Json[]): Map<string, string> {
    const map = new Map<string, string>();
    ops.forEach((op, i) => {
      if (!isJsonObject(op) || op.op !== 'insert') return;
      const r = results[i];
      const uuid = isJsonObject(r) && Array.isArray(r.uuid) ? r.uuid[1] : undefined;
      if (typeof uuid === 'string') map.set(uuidOfNamed(String(op['uuid-name'])), uuid);
    });
    for (const [symbolUuid, rowUuid] of this.aliases) {
      const real = map.get(rowUuid);
      if (real !== undefined) map.set(symbolUuid, real);
    }
    return map;
  }

  private newNextCfg(ops: Json[], results: readonly Json[]): number | undefined {
    const i = ops.findIndex((op) => isJsonObject(op) && op.op === 'select');
    if (i < 0) return undefined;
    const r = results[i];
    const rows = isJsonObject(r) && Array.isArray(r.rows) ? r.rows : [];
    const row = rows[0];
    return isJsonObject(row) && typeof row.next_cfg === 'number' ? row.next_cfg : undefined;
  }
}
