// The OVSDB server (RFC 7047 §4 and Open vSwitch's extensions): serves databases over JSON-RPC —
// list_dbs, get_schema, transact (with blocking "wait" and cancel), monitor, monitor_cond,
// monitor_cond_since, monitor_cond_change, monitor_cancel, lock/steal/unlock, echo,
// set_db_change_aware — plus the read-only _Server database that describes the others.
import { randomUUID } from 'node:crypto';
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
import { OvsdbError, syntaxError } from './error.js';
import { Monitor, type MonitorVersion } from './monitor.js';
import { ServerDatabase } from './server-db.js';
import { executeTransaction, type TxnSession } from './transaction.js';

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
  /** Settles when every transaction committed so far is durable. */
  durable: Promise<void>;
  /** Transactions blocked on a "wait", retried after each commit. */
  readonly blocked: Set<BlockedTxn>;
}

/** A transaction waiting for its "wait" operations to be satisfied. */
interface BlockedTxn {
  readonly served: ServedDatabase;
  readonly client: ClientSession;
  readonly id: Json;
  readonly ops: Json[];
  readonly started: number;
  timer: NodeJS.Timeout | null;
  resolve(result: Json): void;
  reject(err: unknown): void;
}

/** Options of an OvsdbServer. */
export interface OvsdbServerOptions {
  readonly logger?: Logger;
  /** Ms of silence before a client is probed with an echo (0: never). OVS's default is 5000 for tcp. */
  readonly probeIntervalMs?: number;
}

const QUIET: Logger = { warn: () => {}, info: () => {}, debug: () => {} };

/** The server: databases by name, client sessions, listeners and the lock table. */
export class OvsdbServer {
  readonly dbs = new Map<string, ServedDatabase>();
  readonly clients = new Set<ClientSession>();
  readonly locks = new LockTable();
  readonly logger: Logger;
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
    if (this.dbs.has(name)) throw new Error(`${name}: duplicate database name`);
    this.dbs.set(name, this.serve(name, db, storage));
    this.serverDb.add(name, db, storage === null ? 'in-memory' : 'standalone');
  }

  private serve(name: string, db: Database, storage: Storage | null): ServedDatabase {
    const served: ServedDatabase = { name, db, storage, durable: Promise.resolve(), blocked: new Set() };
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

  /** The database named `name`, or an "unknown database" error. */
  database(name: Json): ServedDatabase {
    const d = typeof name === 'string' ? this.dbs.get(name) : undefined;
    if (d === undefined)
      throw new OvsdbError('unknown database', `${JSON.stringify(name)} is not a valid database name`);
    return d;
  }

  /** Runs the commit pipeline: write to storage, then update monitors, then retry blocked transactions. */
  private afterCommit(d: ServedDatabase, txn: CommittedTxn): void {
    const written = d.storage === null ? d.durable : d.durable.then(() => d.storage?.write(txn));
    d.durable = written.then(
      () => {
        for (const c of this.clients) c.sendUpdates(d, txn);
      },
      (err: unknown) => {
        this.logger.warn(`${d.name}: writing to the database file failed: ${String(err)}`);
        throw err;
      },
    );
    d.durable.catch(() => {});
    if (d.blocked.size > 0) queueMicrotask(() => this.retryBlocked(d));
  }

  /** Executes a transaction; a blocked "wait" makes it wait for later commits or its timeout. */
  transact(client: ClientSession, id: Json, params: Json[]): Promise<Json> {
    if (params.length === 0) throw syntaxError(params, 'transact: database name missing');
    const d = this.database(params[0]);
    const ops = params.slice(1);
    if (
      d.name === '_Server' &&
      ops.some((op) => isJsonObject(op) && !['select', 'wait', 'comment', 'assert'].includes(String(op.op)))
    ) {
      throw new OvsdbError('permission error', 'The _Server database is read-only.');
    }
    return new Promise((resolve, reject) => {
      const b: BlockedTxn = { served: d, client, id, ops, started: Date.now(), timer: null, resolve, reject };
      this.attempt(d, b);
    });
  }

  private attempt(d: ServedDatabase, b: BlockedTxn): boolean {
    const outcome = executeTransaction(d.db, b.ops, b.client, { elapsedMs: Date.now() - b.started });
    if (outcome.kind === 'blocked') {
      if (!d.blocked.has(b)) {
        d.blocked.add(b);
        b.client.blocked.add(b);
      }
      if (b.timer !== null) clearTimeout(b.timer);
      if (Number.isFinite(outcome.timeoutMs)) {
        b.timer = setTimeout(() => this.attempt(d, b), Math.max(1, Math.ceil(outcome.timeoutMs)));
      }
      return false;
    }
    this.unblock(d, b);
    if (outcome.changes !== null) d.db.commit(outcome.changes, outcome.comment, outcome.durable);
    d.durable.then(
      () => b.resolve(outcome.results),
      (err: unknown) => b.reject(err),
    );
    return true;
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

  /** Cancels a blocked transaction: it is answered with a "canceled" error. */
  cancel(client: ClientSession, id: Json): void {
    const key = JSON.stringify(id);
    for (const b of client.blocked) {
      if (JSON.stringify(b.id) !== key) continue;
      this.unblock(b.served, b);
      b.reject(new JsonRpcError({ error: 'canceled' }));
    }
  }

  /** Forgets a disconnected client: its locks, monitors and blocked transactions. */
  drop(client: ClientSession): void {
    this.clients.delete(client);
    this.locks.releaseAll(client);
    for (const b of client.blocked) this.unblock(b.served, b);
  }
}

/** One connected client: its JSON-RPC session, monitors and locks. */
export class ClientSession implements TxnSession {
  readonly session: JsonRpcSession;
  readonly monitors = new Map<string, { served: ServedDatabase; monitor: Monitor }>();
  readonly blocked = new Set<BlockedTxn>();
  dbChangeAware = false;

  constructor(
    readonly server: OvsdbServer,
    socket: Socket,
    readonly name: string,
  ) {
    this.session = new Session(socket, {
      name,
      logger: server.logger,
      probeIntervalMs: server.options.probeIntervalMs ?? 0,
      onRequest: (method, params, _s, id) => this.request(method, params, id),
      onNotification: (method, params) => {
        if (method === 'cancel' && params.length === 1) server.cancel(this, params[0]);
      },
    });
    this.session.on('close', () => server.drop(this));
  }

  /** True when this client holds the named lock. */
  ownsLock(name: string): boolean {
    return this.server.locks.owner(name) === this;
  }

  private request(method: string, params: Json[], id: Json): Promise<Json> | Json {
    const s = this.server;
    switch (method) {
      case 'list_dbs':
        return [...s.dbs.keys()].sort();
      case 'get_schema':
        return s.database(params[0]).db.schema.toJson();
      case 'transact':
        return s.transact(this, id, params);
      case 'cancel':
        if (params.length === 1) s.cancel(this, params[0]);
        return {};
      case 'monitor':
        return this.monitor(1, params);
      case 'monitor_cond':
        return this.monitor(2, params);
      case 'monitor_cond_since':
        return this.monitor(3, params);
      case 'monitor_cond_change':
        return this.monitorCondChange(params);
      case 'monitor_cancel':
        return this.monitorCancel(params);
      case 'lock':
      case 'steal':
      case 'unlock':
        return this.lock(method, params);
      case 'set_db_change_aware':
        this.dbChangeAware = params[0] === true;
        return {};
      default:
        throw new JsonRpcError('unknown method');
    }
  }

  private async monitor(version: MonitorVersion, params: Json[]): Promise<Json> {
    const minParams = version === 3 ? 4 : 3;
    if (params.length < minParams - 1) throw syntaxError(params, 'monitor: too few parameters');
    const served = this.server.database(params[0]);
    const id = params[1];
    const key = JSON.stringify(id);
    if (this.monitors.has(key)) throw new OvsdbError('duplicate monitor ID', `monitor ID ${key} is in use`);
    const monitor = new Monitor(served.db, id, version, params[2] ?? {});
    this.monitors.set(key, { served, monitor });
    const initial = monitor.initial();
    const lastId = served.db.lastTxnId;
    await served.durable;
    if (version < 3) return initial;
    const found = params[3] === lastId;
    return [found, lastId, found ? {} : initial];
  }

  private monitorCondChange(params: Json[]): Json {
    const [oldId, newId, requests] = params;
    const entry = this.monitors.get(JSON.stringify(oldId));
    if (entry === undefined) throw new OvsdbError('unknown monitor', 'unknown monitor session');
    entry.monitor.changeConditions(requests ?? {});
    if (JSON.stringify(newId) !== JSON.stringify(oldId)) {
      this.monitors.delete(JSON.stringify(oldId));
      this.monitors.set(JSON.stringify(newId), entry);
    }
    return {};
  }

  private monitorCancel(params: Json[]): Json {
    const key = JSON.stringify(params[0]);
    if (!this.monitors.delete(key)) throw new OvsdbError('unknown monitor', `unknown monitor ${key}`);
    return {};
  }

  /** Sends this client's monitors their part of a committed transaction. */
  sendUpdates(served: ServedDatabase, txn: CommittedTxn): void {
    for (const { served: s, monitor } of this.monitors.values()) {
      if (s !== served) continue;
      const updates = monitor.update(txn);
      if (updates === null) continue;
      if (monitor.version === 1) this.session.notify('update', [monitor.id, updates]);
      else if (monitor.version === 2) this.session.notify('update2', [monitor.id, updates]);
      else this.session.notify('update3', [monitor.id, txn.id, updates]);
    }
  }

  private lock(method: 'lock' | 'steal' | 'unlock', params: Json[]): Json {
    const name = params[0];
    if (params.length !== 1 || typeof name !== 'string')
      throw syntaxError(params, `${method}: expected one lock name`);
    const locks = this.server.locks;
    if (method === 'unlock') {
      locks.unlock(this, name);
      return {};
    }
    if (method === 'steal') {
      locks.steal(this, name);
      return { locked: true };
    }
    return { locked: locks.lock(this, name) };
  }

  /** Tells the client it now holds, or has lost, a lock. */
  lockNotify(kind: 'locked' | 'stolen', name: string): void {
    this.session.notify(kind, [name]);
  }
}

/** Named locks: one owner and a queue of waiters each. */
export class LockTable {
  private readonly locks = new Map<string, ClientSession[]>();

  /** The owner of a lock, if any. */
  owner(name: string): ClientSession | undefined {
    return this.locks.get(name)?.[0];
  }

  /** Asks for a lock; true when granted at once, otherwise the client is queued. */
  lock(client: ClientSession, name: string): boolean {
    const q = this.locks.get(name) ?? [];
    if (q.includes(client)) throw new OvsdbError('duplicate lock', `lock ${name} already requested`);
    q.push(client);
    this.locks.set(name, q);
    return q[0] === client;
  }

  /** Takes a lock from its owner, who is told it was stolen. */
  steal(client: ClientSession, name: string): void {
    const q = (this.locks.get(name) ?? []).filter((c) => c !== client);
    const victim = q[0];
    this.locks.set(name, [client, ...q.slice(1)]);
    if (victim !== undefined) victim.lockNotify('stolen', name);
  }

  /** Gives up a lock (or a place in its queue); the next waiter is told it has it. */
  unlock(client: ClientSession, name: string): void {
    const q = this.locks.get(name);
    if (q === undefined || !q.includes(client)) {
      throw new OvsdbError('not locked', `lock ${name} is not held or requested`);
    }
    const wasOwner = q[0] === client;
    const rest = q.filter((c) => c !== client);
    if (rest.length === 0) this.locks.delete(name);
    else this.locks.set(name, rest);
    if (wasOwner && rest.length > 0) rest[0].lockNotify('locked', name);
  }

  /** Releases everything a disconnected client held or waited for. */
  releaseAll(client: ClientSession): void {
    for (const [name, q] of [...this.locks]) if (q.includes(client)) this.unlock(client, name);
  }
}

/** A fresh server id, as _Server's Database.sid would hold for clustered databases. */
export function newServerId(): string {
  return randomUUID();
}
