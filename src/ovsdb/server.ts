// The OVSDB server (RFC 7047 §4 and Open vSwitch's extensions): serves databases over JSON-RPC —
// list_dbs, get_schema, get_server_id, transact (with blocking "wait" and the "cancel" notification),
// monitor, monitor_cond, monitor_cond_since, monitor_cond_change, monitor_cancel, lock/steal/unlock,
// echo, set_db_change_aware — plus the read-only _Server database that describes the others. Replies
// and error texts are ovsdb-server 3.1's (docs/ovsdb-wire.md).

import type { Socket } from 'node:net';
import { type Listener, listen } from '../jsonrpc/address.js';
import { isJsonObject, type Json, type JsonObject } from '../jsonrpc/json.js';
import {
  JsonRpcError,
  type JsonRpcSession,
  type Logger,
  JsonRpcSession as Session,
} from '../jsonrpc/session.js';
import type { CommittedTxn, Database } from './database.js';
import { isUuid } from './datum.js';
import { OvsdbError } from './error.js';
import { Monitor, type MonitorVersion, ovsSyntaxError, sortedJson } from './monitor.js';
import { ServerDatabase } from './server-db.js';
import { executeTransaction, type TxnSession } from './transaction.js';
import { newUuid } from './uuid.js';

/** Makes committed transactions durable; `write` resolves once the transaction is on disk, in order. */
export interface Storage {
  write(txn: CommittedTxn): Promise<void>;
  close(): Promise<void>;
}

/** A database the server serves, with its storage (none for in-memory databases). */
export interface ServedDatabase {
  readonly name: string;
  readonly db: Database;
  readonly storage: Storage | null;
  /** Settles when every transaction committed so far is durable and its monitor updates are sent. */
  durable: Promise<void>;
  /** Commits applied in memory whose monitor updates have not been sent yet. */
  pendingCommits: number;
  /** Transactions blocked on a "wait", retried after each commit. */
  readonly blocked: Set<BlockedTxn>;
}

/** A transaction waiting for its "wait" operations to be satisfied. */
interface BlockedTxn {
  readonly served: ServedDatabase;
  readonly client: ClientSession;
  /** The request id, as a canonical string. */
  readonly key: string;
  readonly ops: Json[];
  /** Index of the first write operation on a reserved (_Server) database, or -1. */
  readonly reservedAt: number;
  readonly started: number;
  timer: NodeJS.Timeout | null;
  resolve(result: Json): void;
  reject(err: unknown): void;
}

/** Options of an OvsdbServer. */
export interface OvsdbServerOptions {
  readonly logger?: Logger;
  /**
   * Ms of silence before a tcp client is probed with an echo, and as long again before it is dropped
   * (0: never). Default 5000, as in ovsdb-server; unix clients are never probed, as there.
   */
  readonly probeIntervalMs?: number;
}

/** The last-txn-id of a standalone database: ovsdb-server keeps no transaction history for those. */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** Operations that write; on a database whose name starts with "_" they fail with "not allowed". */
const WRITE_OPS = new Set(['insert', 'update', 'mutate', 'delete', 'commit']);

/** ovsdb-server's inactivity probe interval for tcp clients. */
const DEFAULT_PROBE_MS = 5000;

const QUIET: Logger = { warn: () => {}, info: () => {}, debug: () => {} };

/** A request or monitor id as a canonical string, for comparing ids as JSON values. */
function idKey(id: Json): string {
  return JSON.stringify(sortedJson(id));
}

/** True for an OVSDB <id>: a letter or underscore, then letters, digits and underscores. */
function isId(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
}

/** The server: databases by name, client sessions, listeners and the lock table. */
export class OvsdbServer {
  readonly dbs = new Map<string, ServedDatabase>();
  readonly clients = new Set<ClientSession>();
  readonly locks = new LockTable();
  readonly logger: Logger;
  /** This server's id, answered to get_server_id. */
  readonly serverId = newUuid();
  private readonly listeners = new Map<string, Listener>();
  private readonly serverDb: ServerDatabase;

  constructor(readonly options: OvsdbServerOptions = {}) {
    this.logger = options.logger ?? QUIET;
    this.serverDb = new ServerDatabase();
    this.dbs.set('_Server', this.serve('_Server', this.serverDb.db, null));
  }

  /** Adds a database to serve (its commits are written to `storage`, when given). */
  addDatabase(db: Database, storage: Storage | null): void {
    const name = db.schema.name;
    if (name.startsWith('_')) throw new Error(`${name}: names beginning with "_" are reserved`);
    if (this.dbs.has(name)) throw new Error(`${name}: duplicate database name`);
    this.dbs.set(name, this.serve(name, db, storage));
    this.serverDb.add(name, db);
  }

  private serve(name: string, db: Database, storage: Storage | null): ServedDatabase {
    const served: ServedDatabase = {
      name,
      db,
      storage,
      durable: Promise.resolve(),
      pendingCommits: 0,
      blocked: new Set(),
    };
    db.onCommit((txn) => this.afterCommit(served, txn));
    return served;
  }

  /** Listens on a passive address (punix:PATH or ptcp:PORT[:IP]). */
  async listen(address: string): Promise<Listener> {
    const l = await listen(address, (socket, name) => this.accept(socket, name));
    this.listeners.set(address, l);
    return l;
  }

  /** Stops listening on an address given to listen(); false when there was no such listener. */
  async unlisten(address: string): Promise<boolean> {
    const l = this.listeners.get(address);
    if (l === undefined) return false;
    this.listeners.delete(address);
    await l.close();
    return true;
  }

  /** The addresses listened on, as given to listen(). */
  remotes(): string[] {
    return [...this.listeners.keys()];
  }

  /** Serves one connected socket. */
  accept(socket: Socket, name: string): ClientSession {
    const client = new ClientSession(this, socket, name);
    this.clients.add(client);
    this.logger.debug(`${name}: connected`);
    return client;
  }

  /** Stops listening, disconnects every client and closes the storage. */
  async close(): Promise<void> {
    await Promise.all([...this.listeners.values()].map((l) => l.close()));
    this.listeners.clear();
    for (const c of this.clients) c.session.close();
    for (const d of this.dbs.values()) {
      await d.durable.catch(() => {});
      await d.storage?.close();
    }
  }

  /**
   * The database a request names in its first parameter, or ovsdb-server's error for a missing or
   * unknown one.
   */
  database(method: string, params: Json[]): ServedDatabase {
    const name = params[0];
    if (typeof name !== 'string') {
      throw ovsSyntaxError(params, `${method} request params must begin with <db-name>`);
    }
    const d = this.dbs.get(name);
    if (d === undefined) {
      throw new OvsdbError(
        'unknown database',
        `${method} request specifies unknown database ${name}`,
        sortedJson(params),
      );
    }
    return d;
  }

  /** Resolves once every commit made so far is durable and its monitor updates have gone out. */
  async quiesce(d: ServedDatabase): Promise<void> {
    while (d.pendingCommits > 0) await d.durable.catch(() => {});
  }

  /** Runs the commit pipeline: write to storage, then update monitors, then retry blocked transactions. */
  private afterCommit(d: ServedDatabase, txn: CommittedTxn): void {
    d.pendingCommits++;
    // The write is queued at once, in commit order, so that commits made while a sync is in flight share
    // the next one (group commit); replies and monitor updates wait for it and for every earlier commit.
    const written = d.storage === null ? Promise.resolve() : d.storage.write(txn);
    d.durable = Promise.all([d.durable, written]).then(
      () => {
        d.pendingCommits--;
        for (const c of this.clients) c.sendUpdates(d, txn);
      },
      (err: unknown) => {
        d.pendingCommits--;
        this.logger.warn(`${d.name}: writing to the database file failed: ${String(err)}`);
        throw err;
      },
    );
    d.durable.catch(() => {});
    if (d.blocked.size > 0) queueMicrotask(() => this.retryBlocked(d));
  }

  /** Executes a transaction; a blocked "wait" makes it wait for later commits or its timeout. */
  transact(client: ClientSession, id: Json, params: Json[]): Promise<Json> {
    const d = this.database('transact', params);
    const key = idKey(id);
    for (const b of client.blocked) {
      if (b.key === key) throw ovsSyntaxError(params, 'transact: duplicate request ID');
    }
    const ops = params.slice(1);
    const reservedAt = d.name.startsWith('_')
      ? ops.findIndex((op) => isJsonObject(op) && WRITE_OPS.has(String(op.op)))
      : -1;
    return new Promise((resolve, reject) => {
      const b: BlockedTxn = {
        served: d,
        client,
        key,
        ops,
        reservedAt,
        started: Date.now(),
        timer: null,
        resolve,
        reject,
      };
      this.attempt(d, b, b.started);
    });
  }

  private attempt(d: ServedDatabase, b: BlockedTxn, now = Date.now()): void {
    const ops = b.reservedAt >= 0 ? b.ops.slice(0, b.reservedAt + 1) : b.ops;
    const outcome = executeTransaction(d.db, ops, b.client, { elapsedMs: now - b.started });
    if (outcome.kind === 'blocked') {
      this.block(d, b, outcome.timeoutMs);
      return;
    }
    this.unblock(d, b);
    let results = outcome.results;
    if (b.reservedAt >= 0) {
      results = notAllowedResults(d.name, b.ops, outcome.results, b.reservedAt);
    } else if (outcome.changes !== null) {
      d.db.commit(outcome.changes, outcome.comment, outcome.durable);
    }
    d.durable.then(
      () => b.resolve(results),
      (err: unknown) => b.reject(err),
    );
  }

  private block(d: ServedDatabase, b: BlockedTxn, timeoutMs: number): void {
    if (!d.blocked.has(b)) {
      d.blocked.add(b);
      b.client.blocked.add(b);
    }
    if (b.timer !== null) clearTimeout(b.timer);
    b.timer = null;
    if (Number.isFinite(timeoutMs)) {
      b.timer = setTimeout(() => this.attempt(d, b), Math.max(1, Math.ceil(timeoutMs)));
    }
  }

  private unblock(d: ServedDatabase, b: BlockedTxn): void {
    if (b.timer !== null) clearTimeout(b.timer);
    b.timer = null;
    d.blocked.delete(b);
    b.client.blocked.delete(b);
  }

  private retryBlocked(d: ServedDatabase): void {
    for (const b of [...d.blocked]) if (d.blocked.has(b)) this.attempt(d, b);
  }

  /**
   * The "cancel" notification: drops the client's blocked transaction with that id. Like ovsdb-server, it
   * is answered with the error "canceled" only when the client declared itself db-change-aware;
   * otherwise it is never answered.
   */
  cancel(client: ClientSession, id: Json): void {
    const key = idKey(id);
    for (const b of [...client.blocked]) {
      if (b.key !== key) continue;
      this.unblock(b.served, b);
      if (client.dbChangeAware) b.reject(new JsonRpcError('canceled'));
    }
  }

  /** Forgets a disconnected client: its monitors, locks and blocked transactions. */
  drop(client: ClientSession): void {
    this.clients.delete(client);
    client.monitors.clear();
    this.locks.releaseAll(client);
    for (const b of [...client.blocked]) this.unblock(b.served, b);
  }
}

/**
 * The results of a transaction on a reserved database: the operations up to the first write ran; unless
 * one of them failed, that write fails with "not allowed". Operations after it get null.
 */
function notAllowedResults(db: string, ops: Json[], results: Json[], writeAt: number): Json[] {
  const ran = results.slice(0, writeAt + 1);
  const failed = ran.some((r) => isJsonObject(r) && typeof r.error === 'string');
  if (!failed) {
    const op = String((ops[writeAt] as JsonObject).op);
    ran[writeAt] = {
      error: 'not allowed',
      details: `${op} operation not allowed on table in reserved database ${db}`,
    };
  }
  while (ran.length < ops.length) ran.push(null);
  return ran;
}

/** One of a client's monitors; `ready` once its initial contents have been computed. */
interface MonitorEntry {
  readonly served: ServedDatabase;
  readonly monitor: Monitor;
  ready: boolean;
}

/** One connected client: its JSON-RPC session, monitors, lock requests and blocked transactions. */
export class ClientSession implements TxnSession {
  readonly session: JsonRpcSession;
  /** Monitors by canonical monitor id. */
  readonly monitors = new Map<string, MonitorEntry>();
  readonly blocked = new Set<BlockedTxn>();
  /** This client's lock requests (lock or steal, not yet unlocked) by lock name. */
  readonly waiters = new Map<string, LockWaiter>();
  dbChangeAware = false;
  /** Settles when the request being handled (and those before it) has been answered. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly server: OvsdbServer,
    socket: Socket,
    readonly name: string,
  ) {
    this.session = new Session(socket, {
      name,
      logger: server.logger,
      probeIntervalMs: name.startsWith('tcp:') ? (server.options.probeIntervalMs ?? DEFAULT_PROBE_MS) : 0,
      answerEcho: false,
      onRequest: (method, params, _s, id) => this.request(method, params, id),
      onNotification: (method, params) => {
        if (method === 'cancel' && params.length === 1) this.inTurn(() => server.cancel(this, params[0]));
      },
    });
    this.session.on('close', () => server.drop(this));
  }

  /** True when this client holds the named lock. */
  ownsLock(name: string): boolean {
    const w = this.waiters.get(name);
    return w !== undefined && this.server.locks.owner(name) === w;
  }

  /**
   * Handles requests one at a time in arrival order, as ovsdb-server does: the next one starts once this
   * one's reply is out — except a transact blocked on a "wait", which answers later without holding the
   * others up.
   */
  private request(method: string, params: Json[], id: Json): Promise<Json> {
    const turn = this.queue.then(() => this.start(method, params, id));
    this.queue = turn.then(({ reply, holds }) =>
      holds ? reply.then(nextMacrotask, nextMacrotask) : nextMacrotask(),
    );
    return turn.then(({ reply }) => reply);
  }

  /** Runs `fn` in turn with the requests (used for notifications, which are processed in order too). */
  private inTurn(fn: () => void): void {
    this.queue = this.queue.then(fn).then(nextMacrotask, nextMacrotask);
  }

  private start(method: string, params: Json[], id: Json): { reply: Promise<Json>; holds: boolean } {
    if (this.session.closed) return { reply: Promise.reject(new JsonRpcError('disconnected')), holds: false };
    try {
      if (method === 'transact') {
        const reply = this.server.transact(this, id, params);
        const key = idKey(id);
        return { reply, holds: ![...this.blocked].some((b) => b.key === key) };
      }
      return { reply: Promise.resolve(this.handle(method, params)), holds: true };
    } catch (err) {
      return { reply: Promise.reject(err), holds: false };
    }
  }

  private handle(method: string, params: Json[]): Promise<Json> | Json {
    const s = this.server;
    switch (method) {
      case 'echo':
        return params;
      case 'monitor':
        return this.monitor(method, 1, params);
      case 'monitor_cond':
        return this.monitor(method, 2, params);
      case 'monitor_cond_since':
        return this.monitor(method, 3, params);
      case 'monitor_cond_change':
        return this.monitorCondChange(params);
      case 'monitor_cancel':
        return this.monitorCancel(params);
      case 'get_schema':
        return s.database(method, params).db.schema.toJson();
      case 'list_dbs':
        return [...s.dbs.keys()].sort();
      case 'get_server_id':
        return s.serverId;
      case 'lock':
      case 'steal':
      case 'unlock':
        return this.lock(method, params);
      case 'set_db_change_aware':
        return this.setDbChangeAware(params);
      default:
        throw new JsonRpcError('unknown method');
    }
  }

  private async monitor(method: string, version: MonitorVersion, params: Json[]): Promise<Json> {
    const served = this.server.database(method, params);
    const want = version === 1 ? 3 : version + 1;
    if (version === 1 ? params.length < want : params.length !== want) {
      throw ovsSyntaxError(params, 'invalid parameters');
    }
    const [, id, requests, lastId] = params;
    if (!isJsonObject(requests)) throw ovsSyntaxError(requests, 'monitor-requests must be object');
    const key = idKey(id);
    if (this.monitors.has(key)) throw ovsSyntaxError(id, 'duplicate monitor ID');
    const monitor = new Monitor(served.db, id, version, requests);
    if (version === 3) checkLastTxnId(lastId);
    const entry: MonitorEntry = { served, monitor, ready: false };
    this.monitors.set(key, entry);
    await this.server.quiesce(served);
    const initial = monitor.initial();
    entry.ready = true;
    return version === 3 ? [false, ZERO_UUID, initial] : initial;
  }

  private async monitorCondChange(params: Json[]): Promise<Json> {
    if (params.length !== 3) throw ovsSyntaxError(params, 'invalid parameters');
    const [oldId, newId, requests] = params;
    const entry = this.monitors.get(idKey(oldId));
    if (entry === undefined) throw ovsSyntaxError(oldId, 'unknown monitor session');
    const renamed = idKey(newId) !== idKey(oldId);
    if (renamed && this.monitors.has(idKey(newId))) throw ovsSyntaxError(newId, 'duplicate monitor ID');
    const change = entry.monitor.parseConditionChange(requests);
    if (renamed) {
      this.monitors.delete(idKey(oldId));
      this.monitors.set(idKey(newId), entry);
      entry.monitor.id = newId;
    }
    await this.server.quiesce(entry.served);
    const update = entry.monitor.applyConditionChange(change);
    if (update !== null) this.notifyUpdate(entry.monitor, update);
    return {};
  }

  private monitorCancel(params: Json[]): Json {
    if (params.length !== 1) throw new JsonRpcError('invalid parameters');
    if (!this.monitors.delete(idKey(params[0]))) throw new JsonRpcError('unknown monitor');
    return {};
  }

  /** Sends this client's monitors their part of a committed transaction. */
  sendUpdates(served: ServedDatabase, txn: CommittedTxn): void {
    for (const entry of this.monitors.values()) {
      if (entry.served !== served || !entry.ready) continue;
      const updates = entry.monitor.update(txn);
      if (updates !== null) this.notifyUpdate(entry.monitor, updates);
    }
  }

  private notifyUpdate(monitor: Monitor, updates: JsonObject): void {
    if (monitor.version === 1) this.session.notify('update', [monitor.id, updates]);
    else if (monitor.version === 2) this.session.notify('update2', [monitor.id, updates]);
    else this.session.notify('update3', [monitor.id, ZERO_UUID, updates]);
  }

  private lock(method: 'lock' | 'steal' | 'unlock', params: Json[]): Json {
    const name = params[0];
    if (params.length !== 1 || typeof name !== 'string' || !isId(name)) {
      throw ovsSyntaxError(params, `${method} request params must be <id>`);
    }
    const locks = this.server.locks;
    if (method === 'unlock') {
      if (!this.waiters.has(name)) {
        throw ovsSyntaxError(params, 'unlock: "unlock" without "lock" or "steal"');
      }
      locks.unlock(this, name);
      return {};
    }
    if (this.waiters.has(name)) throw ovsSyntaxError(params, `must issue "unlock" before new "${method}"`);
    return { locked: locks.lock(this, name, method) };
  }

  private setDbChangeAware(params: Json[]): Json {
    if (params.length !== 1 || typeof params[0] !== 'boolean') {
      throw ovsSyntaxError(params, 'set_db_change_aware: true or false parameter expected');
    }
    this.dbChangeAware = params[0];
    return {};
  }

  /** Tells the client it now holds, or has lost, a lock. */
  lockNotify(kind: 'locked' | 'stolen', name: string): void {
    this.session.notify(kind, [name]);
  }
}

/** Resolves after pending I/O callbacks and microtasks, so that replies already settled have been written. */
function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function checkLastTxnId(lastId: Json): void {
  if (typeof lastId !== 'string') throw ovsSyntaxError(lastId, 'last-txn-id must be string');
  if (!isUuid(lastId)) throw ovsSyntaxError(lastId, 'last-txn-id must be UUID format.');
}

/** A client's request for a lock, queued on the lock until it is unlocked (or, stolen, dropped). */
export interface LockWaiter {
  readonly client: ClientSession;
  readonly mode: 'lock' | 'steal';
}

/**
 * Named locks, as ovsdb-server keeps them: a queue of waiters per lock whose head owns it. "steal" puts
 * the thief at the head; a victim that had stolen the lock itself leaves the queue, one that had waited
 * for it stays queued behind the thief. Whenever a waiter leaves, the head is told "locked" again.
 */
export class LockTable {
  private readonly queues = new Map<string, LockWaiter[]>();

  /** The waiter that owns a lock, if any. */
  owner(name: string): LockWaiter | undefined {
    return this.queues.get(name)?.[0];
  }

  /** Queues (lock) or takes (steal) a lock; true when the client owns it now. */
  lock(client: ClientSession, name: string, mode: 'lock' | 'steal'): boolean {
    const queue = this.queues.get(name) ?? [];
    this.queues.set(name, queue);
    const waiter: LockWaiter = { client, mode };
    const victim = mode === 'steal' ? queue[0] : undefined;
    if (mode === 'steal') queue.unshift(waiter);
    else queue.push(waiter);
    client.waiters.set(name, waiter);
    if (victim !== undefined) {
      if (victim.mode === 'steal') queue.splice(queue.indexOf(victim), 1);
      victim.client.lockNotify('stolen', name);
    }
    return queue[0] === waiter;
  }

  /** Withdraws a client's request for a lock; the owner (if any is left) is told "locked". */
  unlock(client: ClientSession, name: string): void {
    const waiter = client.waiters.get(name);
    if (waiter === undefined) return;
    client.waiters.delete(name);
    const queue = this.queues.get(name);
    const at = queue?.indexOf(waiter) ?? -1;
    if (queue === undefined || at < 0) return;
    queue.splice(at, 1);
    if (queue.length === 0) this.queues.delete(name);
    else queue[0].client.lockNotify('locked', name);
  }

  /** Withdraws everything a disconnected client held or waited for. */
  releaseAll(client: ClientSession): void {
    for (const name of [...client.waiters.keys()]) this.unlock(client, name);
  }
}
