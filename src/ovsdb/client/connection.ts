// A client connection to an OVSDB server over `unix:PATH` or `tcp:IP:PORT`: JSON-RPC requests, server
// notifications as events, and optional reconnection with Open vSwitch's backoff (1 s doubling to 8 s).
// Hooks registered with onConnect() run on every (re)connection, so monitors are re-established.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { connect, type ParseOptions, parseActiveAddress } from '../../jsonrpc/address.js';
import { describeSystemError } from '../../jsonrpc/errno.js';
import type { Json } from '../../jsonrpc/json.js';
import { ConnectionClosedError, JsonRpcError, JsonRpcSession, type Logger } from '../../jsonrpc/session.js';
import { type DatabaseSchema, parseSchema } from '../schema.js';

export { ConnectionClosedError, JsonRpcError };

/** A connection attempt that failed (code 'connection failed'; `reason` is the system error text). */
export class OvsdbConnectError extends Error {
  /** A stable name for the failure. */
  readonly code = 'connection failed';

  constructor(
    /** The address that could not be reached. */
    readonly address: string,
    /** Why, e.g. "No such file or directory". */
    readonly reason: string,
  ) {
    super(`${address}: database connection failed (${reason})`);
    this.name = 'OvsdbConnectError';
  }
}

/** A reply that is not shaped as the method promises (code 'protocol error'). */
export class OvsdbProtocolError extends Error {
  /** A stable name for the failure. */
  readonly code = 'protocol error';

  constructor(message: string) {
    super(message);
    this.name = 'OvsdbProtocolError';
  }
}

/** Open vSwitch's reconnect backoff: 1 s, doubling up to 8 s; reset after a connection that lasted. */
export class ReconnectBackoff {
  private backoffMs = 0;
  private connectedAt: number | null = null;

  constructor(
    readonly minMs = 1000,
    readonly maxMs = 8000,
  ) {}

  /** Records a successful connection at time `now` (ms). */
  connected(now: number): void {
    this.connectedAt = now;
  }

  /** Records a failed attempt or a lost connection at `now`; returns how long to wait before retrying. */
  failed(now: number): number {
    const lasted = this.connectedAt !== null && now - this.connectedAt >= this.backoffMs;
    this.connectedAt = null;
    if (lasted || this.backoffMs < this.minMs) this.backoffMs = this.minMs;
    else this.backoffMs = Math.min(this.maxMs, this.backoffMs * 2);
    return this.backoffMs;
  }
}

/** Options of an OvsdbConnection. */
export interface OvsdbConnectionOptions {
  /** Reconnect after the connection is lost (default false: the connection then stays closed). */
  readonly reconnect?: boolean;
  /** Keep retrying when the very first attempt fails, instead of rejecting (default false). */
  readonly retryInitial?: boolean;
  /** Backoff bounds in ms (defaults 1000 and 8000, as Open vSwitch). */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Echo the server after this many ms of silence, drop it after as long again (0, the default: never). */
  readonly probeIntervalMs?: number;
  /** Where connection messages go; default: warnings on stderr. */
  readonly logger?: Logger;
  /** How relative unix: paths and default ports are resolved. */
  readonly parse?: ParseOptions;
}

/** Runs after each (re)connection, before the connection counts as up. */
export type ConnectHook = (connection: OvsdbConnection) => Promise<void>;

/** Events: 'connected' after the hooks ran, 'disconnected' with the reason, server 'notification's. */
export type OvsdbConnectionEvents = {
  connected: [];
  disconnected: [reason: string];
  notification: [method: string, params: Json[]];
};

const STDERR_LOGGER: Logger = {
  warn: (msg) => process.stderr.write(`ovsdb client: ${msg}\n`),
  info: () => {},
  debug: () => {},
};

/** A connection to one OVSDB server (see the file comment). */
export class OvsdbConnection extends EventEmitter<OvsdbConnectionEvents> {
  private session: JsonRpcSession | null = null;
  private up = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly hooks: ConnectHook[] = [];
  private readonly backoff: ReconnectBackoff;
  private readonly logger: Logger;

  private constructor(
    /** The address connected to, as given. */
    readonly address: string,
    private readonly options: OvsdbConnectionOptions,
  ) {
    super();
    this.backoff = new ReconnectBackoff(options.minBackoffMs, options.maxBackoffMs);
    this.logger = options.logger ?? STDERR_LOGGER;
  }

  /** Connects to `address`; rejects with OvsdbConnectError (or AddressError) unless retryInitial is set. */
  static async open(address: string, options: OvsdbConnectionOptions = {}): Promise<OvsdbConnection> {
    parseActiveAddress(address, options.parse);
    const conn = new OvsdbConnection(address, options);
    if (options.retryInitial) {
      conn.attempt();
      await conn.waitConnected();
      return conn;
    }
    const socket = await connect(address, options.parse).catch((err: unknown) => {
      throw new OvsdbConnectError(address, describeSystemError(err));
    });
    await conn.start(socket);
    return conn;
  }

  /** True while connected and the connect hooks have run. */
  get connected(): boolean {
    return this.up;
  }

  /** Adds a hook run on every later (re)connection (run it yourself for the current one); returns a remover. */
  onConnect(hook: ConnectHook): () => void {
    this.hooks.push(hook);
    return () => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  /** Resolves once connected (at once if connected now); rejects if closed first or after `timeoutMs`. */
  waitConnected(timeoutMs = 0): Promise<void> {
    if (this.up) return Promise.resolve();
    if (this.closed) return Promise.reject(new ConnectionClosedError('connection closed'));
    return new Promise((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => done(new Error('timed out')), timeoutMs) : null;
      const onUp = () => done(null);
      const onDown = () => {
        if (this.closed) done(new ConnectionClosedError('connection closed'));
      };
      const done = (err: Error | null) => {
        if (timer) clearTimeout(timer);
        this.off('connected', onUp);
        this.off('disconnected', onDown);
        if (err) reject(err);
        else resolve();
      };
      this.on('connected', onUp);
      this.on('disconnected', onDown);
    });
  }

  /** Sends a request; rejects with JsonRpcError on an error reply, ConnectionClosedError when not connected. */
  request(method: string, params: Json[]): Promise<Json> {
    if (this.session === null) return Promise.reject(new ConnectionClosedError('not connected'));
    return this.session.request(method, params);
  }

  /** The database names the server has (list_dbs). */
  async listDbs(): Promise<string[]> {
    const result = await this.request('list_dbs', []);
    if (!Array.isArray(result) || !result.every((n) => typeof n === 'string')) {
      throw new OvsdbProtocolError('list_dbs response is not an array of strings');
    }
    return result as string[];
  }

  /** The schema of `database` (get_schema), parsed; `json` is the schema as the server sent it. */
  async getSchema(database: string): Promise<{ schema: DatabaseSchema; json: Json }> {
    const json = await this.request('get_schema', [database]);
    return { schema: parseSchema(json), json };
  }

  /** Runs one transaction; resolves to the result array (which may hold error objects). */
  async transact(database: string, operations: Json[]): Promise<Json[]> {
    const result = await this.request('transact', [database, ...operations]);
    if (!Array.isArray(result)) throw new OvsdbProtocolError('transact response is not an array');
    return result;
  }

  /** Closes the connection for good (no reconnection). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.session?.close();
  }

  private attempt(): void {
    this.timer = null;
    if (this.closed) return;
    connect(this.address, this.options.parse).then(
      (socket) => this.start(socket).catch(() => {}),
      (err: unknown) => {
        this.logger.info(`${this.address}: connection attempt failed (${describeSystemError(err)})`);
        this.scheduleReconnect();
      },
    );
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const delay = this.backoff.failed(performance.now());
    this.logger.info(`${this.address}: waiting ${delay / 1000} seconds before reconnect`);
    this.timer = setTimeout(() => this.attempt(), delay);
    this.timer.unref();
  }

  /** Takes a connected socket: runs the hooks, then counts as up. */
  private async start(socket: Socket): Promise<void> {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const session = new JsonRpcSession(socket, {
      name: this.address,
      logger: this.logger,
      probeIntervalMs: this.options.probeIntervalMs ?? 0,
      onNotification: (method, params) => this.emit('notification', method, params),
    });
    this.session = session;
    session.on('close', (reason) => this.lost(session, reason));
    this.backoff.connected(performance.now());
    for (const hook of [...this.hooks]) {
      try {
        await hook(this);
      } catch (err) {
        if (session.closed) return;
        this.logger.warn(`${this.address}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (session.closed) return;
    this.up = true;
    this.emit('connected');
  }

  private lost(session: JsonRpcSession, reason: Error | null): void {
    if (this.session !== session) return;
    this.session = null;
    this.up = false;
    const why = reason === null ? 'End of file' : describeSystemError(reason);
    this.emit('disconnected', why);
    if (this.closed) return;
    if (!this.options.reconnect) return;
    this.logger.info(`${this.address}: connection dropped (${why})`);
    this.scheduleReconnect();
  }
}
