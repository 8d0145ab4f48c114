// A JSON-RPC 1.0 session over one stream socket, as OVSDB (RFC 7047 §4) and unixctl use it: both sides
// send requests, replies always carry "result" and "error" (one of them null), notifications have
// "id": null. Echo requests are answered here, and an optional inactivity probe closes dead peers.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { describeSystemError } from './errno.js';
import { isJsonObject, type Json, type JsonObject } from './json.js';
import { JsonSplitter } from './stream.js';

/** A minimal logger; pino's loggers fit. */
export interface Logger {
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

/** Answers a request (`id` is the peer's request id): its result, or throw to send an error reply. */
export type RequestHandler = (
  method: string,
  params: Json[],
  session: JsonRpcSession,
  id: Json,
) => Promise<Json> | Json;

/** Receives a notification (a request with "id": null, which gets no reply). */
export type NotificationHandler = (method: string, params: Json[], session: JsonRpcSession) => void;

/** A decoded JSON-RPC message. */
export type JsonRpcMessage =
  | { type: 'request'; method: string; params: Json[]; id: Json }
  | { type: 'notification'; method: string; params: Json[] }
  | { type: 'reply'; result: Json; id: Json }
  | { type: 'error'; error: Json; id: Json };

/** An error reply from the peer (`error` is its "error" member), or a lost connection (code 'disconnected'). */
export class JsonRpcError extends Error {
  /** A stable name: the error string, or the "error" member of an error object, or 'disconnected'. */
  readonly code: string;

  constructor(
    /** The JSON sent (or received) as the reply's "error" member. */
    readonly error: Json,
    code?: string,
  ) {
    const derived = code ?? errorCode(error);
    super(describeError(derived, error));
    this.name = 'JsonRpcError';
    this.code = derived;
  }
}

/** A request that got no reply because the connection went away (code 'disconnected'; message says why). */
export class ConnectionClosedError extends JsonRpcError {
  constructor(
    /** Why: "End of file" when the peer hung up, a system error text, or our own reason. */
    readonly reason: string,
  ) {
    super(reason, 'disconnected');
    this.name = 'ConnectionClosedError';
    this.message = `disconnected: ${reason}`;
  }
}

/** The error ovsdb-server replies for a method it does not know: the string "unknown method". */
export function unknownMethodError(): JsonRpcError {
  return new JsonRpcError('unknown method');
}

function errorCode(error: Json): string {
  if (typeof error === 'string') return error;
  if (isJsonObject(error) && typeof error.error === 'string') return error.error;
  return 'error reply';
}

function describeError(code: string, error: Json): string {
  if (isJsonObject(error) && typeof error.details === 'string') return `${code}: ${error.details}`;
  return typeof error === 'string' || isJsonObject(error) ? code : `${code}: ${JSON.stringify(error)}`;
}

/** The "error" member to send for an error a request handler threw. */
function errorToJson(err: unknown): Json {
  if (err instanceof JsonRpcError) return err.error;
  const withToJson = err as { toJson?: unknown } | null;
  if (typeof withToJson?.toJson === 'function') return (withToJson.toJson as () => Json)();
  const details = err instanceof Error ? err.message : String(err);
  return { error: 'internal error', details };
}

const MEMBERS = new Set(['method', 'params', 'result', 'error', 'id']);

/** Checks that `msg` has exactly the members its type needs, in Open vSwitch's words. */
function checkShape(type: string, msg: JsonObject, want: Record<string, boolean>): string | null {
  for (const [member, required] of Object.entries(want)) {
    const has = msg[member] !== undefined && msg[member] !== null;
    if (has !== required) return `${type} must${required ? '' : ' not'} have "${member}"`;
  }
  return null;
}

/**
 * Decodes one JSON-RPC message, or returns why it is not one (Open vSwitch's texts). Like Open vSwitch, a
 * null member counts as absent; unlike it, a reply whose "result" is null is accepted.
 */
export function decodeMessage(json: Json): JsonRpcMessage | string {
  if (!isJsonObject(json)) return 'message is not a JSON object';
  const { method, params, result, error, id } = json;
  if (method !== undefined && method !== null && typeof method !== 'string')
    return 'method is not a JSON string';
  const unexpected = Object.keys(json).find((k) => !MEMBERS.has(k));
  if (unexpected !== undefined) return `message has unexpected member "${unexpected}"`;
  if (params !== undefined && params !== null && !Array.isArray(params)) return '"params" must be JSON array';
  const hasId = id !== undefined && id !== null;
  if (result !== undefined && result !== null) {
    return (
      checkShape('reply', json, { method: false, params: false, error: false, id: true }) ?? {
        type: 'reply',
        result,
        id: id as Json,
      }
    );
  }
  if (error !== undefined && error !== null) {
    return (
      checkShape('error', json, { method: false, params: false, id: true }) ?? {
        type: 'error',
        error,
        id: id as Json,
      }
    );
  }
  if (typeof method !== 'string' && hasId && 'result' in json && params == null) {
    return { type: 'reply', result: null, id: id as Json };
  }
  const type = hasId ? 'request' : 'notification';
  const shapeError = checkShape(type, json, { method: true, params: true });
  if (shapeError) return shapeError;
  return hasId
    ? { type: 'request', method: method as string, params: params as Json[], id: id as Json }
    : { type: 'notification', method: method as string, params: params as Json[] };
}

/** Options for a `JsonRpcSession`. */
export interface JsonRpcSessionOptions {
  /** Name used in log messages (e.g. "unix#3", "tcp:10.0.0.1:6640"). */
  name?: string;
  /** Where warnings about the peer go; defaults to warnings on stderr. */
  logger?: Logger;
  /** Answers incoming requests; without one, every request but echo gets "unknown method". */
  onRequest?: RequestHandler;
  /** Receives incoming notifications. */
  onNotification?: NotificationHandler;
  /** Answer "echo" requests here with their own params (default true); false passes them to onRequest. */
  answerEcho?: boolean;
  /** Handle one incoming request or notification at a time, in arrival order (default false). */
  sequential?: boolean;
  /** Send an echo after this many ms without input, and disconnect after as long again (0: never). */
  probeIntervalMs?: number;
  /** Largest message accepted, in bytes (default 64 MiB). */
  maxMessageBytes?: number;
}

interface PendingRequest {
  resolve(result: Json): void;
  reject(err: JsonRpcError): void;
}

const DEFAULT_LOGGER: Logger = {
  warn: (msg) => process.stderr.write(`jsonrpc: ${msg}\n`),
  info: () => {},
  debug: () => {},
};

/** How long `close()` waits for the peer to finish before destroying the socket. */
const CLOSE_GRACE_MS = 1000;

/** The events of a `JsonRpcSession`: 'close' once the connection is gone (reason null when it ended cleanly). */
export type JsonRpcSessionEvents = { close: [reason: Error | null] };

/** One JSON-RPC connection: sends requests and notifications, answers the peer's requests. */
export class JsonRpcSession extends EventEmitter<JsonRpcSessionEvents> {
  /** Name used in log messages. */
  readonly name: string;
  /** Answers incoming requests (may be replaced at any time). */
  onRequest: RequestHandler | undefined;
  /** Receives incoming notifications (may be replaced at any time). */
  onNotification: NotificationHandler | undefined;
  private readonly socket: Duplex;
  private readonly logger: Logger;
  private readonly splitter: JsonSplitter;
  private readonly answerEcho: boolean;
  private readonly sequential: boolean;
  private readonly pending = new Map<number, PendingRequest>();
  private nextId = 0;
  private corked = false;
  private closing = false;
  private finished = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly probe: InactivityProbe | null;

  constructor(socket: Duplex, options: JsonRpcSessionOptions = {}) {
    super();
    this.socket = socket;
    this.name = options.name ?? describeSocket(socket);
    this.logger = options.logger ?? DEFAULT_LOGGER;
    this.onRequest = options.onRequest;
    this.onNotification = options.onNotification;
    this.answerEcho = options.answerEcho ?? true;
    this.sequential = options.sequential ?? false;
    this.splitter = new JsonSplitter({ maxMessageBytes: options.maxMessageBytes });
    const interval = options.probeIntervalMs ?? 0;
    this.probe = interval > 0 ? new InactivityProbe(this, interval) : null;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => this.close('End of file'));
    socket.on('error', (err: Error) => this.onSocketError(err));
    socket.on('close', () => this.finish(null));
  }

  /** True once the session is closing or closed; sends are then dropped. */
  get closed(): boolean {
    return this.closing || this.finished;
  }

  /** Bytes written but not yet taken by the kernel. */
  get backlog(): number {
    return this.socket.writableLength;
  }

  /** Sends a request; resolves to its result, rejects with a `JsonRpcError` on an error reply or disconnect. */
  request(method: string, params: Json[]): Promise<Json> {
    if (this.closed) return Promise.reject(new ConnectionClosedError('connection closed'));
    const id = this.nextId++;
    return new Promise<Json>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ id, method, params });
    });
  }

  /** Sends a notification (no reply). */
  notify(method: string, params: Json[]): void {
    this.send({ id: null, method, params });
  }

  /** Closes the connection after writing what is queued; pending requests reject with `ConnectionClosedError`. */
  close(why = 'connection closed'): void {
    if (this.closed) return;
    this.closing = true;
    this.rejectPending(why);
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Drops the connection at once (unsent output is lost), logging `why`. */
  abort(why: string): void {
    if (this.finished) return;
    this.logger.warn(`${this.name}: ${why}, disconnecting`);
    const reason = new Error(why);
    this.closing = true;
    this.rejectPending(why);
    this.socket.destroy();
    this.finish(reason);
  }

  /** Writes one message; writes made in one tick leave in one batch, always in call order. */
  send(message: JsonObject): boolean {
    if (this.closed) return false;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    return this.socket.write(JSON.stringify(message));
  }

  private receive(chunk: Buffer): void {
    if (this.closing) return;
    this.probe?.activity();
    const { values, error } = this.splitter.feed(chunk);
    for (const value of values) {
      if (this.closing) return;
      this.dispatch(value);
    }
    if (error) this.abort(`error parsing stream: ${error.message}`);
  }

  private dispatch(value: Json): void {
    const msg = decodeMessage(value);
    if (typeof msg === 'string') {
      this.abort(`received bad JSON-RPC message: ${msg}`);
      return;
    }
    if (msg.type === 'reply' || msg.type === 'error') {
      this.settle(msg);
    } else if (this.sequential) {
      this.queue = this.queue.then(() => this.handleIncoming(msg));
    } else {
      void this.handleIncoming(msg);
    }
  }

  private settle(msg: Extract<JsonRpcMessage, { type: 'reply' | 'error' }>): void {
    const pending = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (pending === undefined) {
      if (msg.id !== 'echo')
        this.logger.warn(`${this.name}: received reply for unknown id ${JSON.stringify(msg.id)}`);
      return;
    }
    this.pending.delete(msg.id as number);
    if (msg.type === 'reply') pending.resolve(msg.result);
    else pending.reject(new JsonRpcError(msg.error));
  }

  private async handleIncoming(
    msg: Extract<JsonRpcMessage, { type: 'request' | 'notification' }>,
  ): Promise<void> {
    if (this.closing) return;
    if (msg.type === 'notification') {
      try {
        this.onNotification?.(msg.method, msg.params, this);
      } catch (err) {
        this.logger.warn(`${this.name}: notification "${msg.method}" failed: ${String(err)}`);
      }
      return;
    }
    if (msg.method === 'echo' && this.answerEcho) {
      this.send({ id: msg.id, result: msg.params, error: null });
      return;
    }
    this.send(await this.answer(msg.method, msg.params, msg.id));
  }

  private async answer(method: string, params: Json[], id: Json): Promise<JsonObject> {
    try {
      const handler = this.onRequest;
      if (handler === undefined) throw unknownMethodError();
      const result = await handler(method, params, this, id);
      return { id, result: result === undefined ? null : result, error: null };
    } catch (err) {
      if (!(err instanceof JsonRpcError))
        this.logger.debug(`${this.name}: "${method}" failed: ${String(err)}`);
      return { id, error: errorToJson(err) };
    }
  }

  private onSocketError(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code;
    const quiet = code === 'ECONNRESET' || code === 'EPIPE';
    if (quiet) this.logger.debug(`${this.name}: ${err.message}`);
    else this.logger.warn(`${this.name}: ${err.message}`);
    this.closing = true;
    this.rejectPending(describeSystemError(err));
    this.finish(err);
  }

  private rejectPending(why: string): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new ConnectionClosedError(why));
  }

  private finish(reason: Error | null): void {
    if (this.finished) return;
    this.finished = true;
    this.closing = true;
    this.probe?.stop();
    this.rejectPending(reason?.message ?? 'connection closed');
    this.emit('close', reason);
  }
}

/** OVS's inactivity probe: after `interval` ms without input send an echo, after as long again disconnect. */
class InactivityProbe {
  private lastActivity = performance.now();
  private probeSentAt: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly session: JsonRpcSession,
    private readonly interval: number,
  ) {
    this.arm(interval);
  }

  activity(): void {
    this.lastActivity = performance.now();
    this.probeSentAt = null;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(delay: number): void {
    this.timer = setTimeout(() => this.check(), Math.max(delay, 1));
    this.timer.unref();
  }

  private check(): void {
    const now = performance.now();
    if (this.probeSentAt !== null) {
      if (now - this.probeSentAt >= this.interval) {
        this.session.abort(
          `no response to inactivity probe after ${formatSeconds(now - this.probeSentAt)} seconds`,
        );
        return;
      }
      this.arm(this.probeSentAt + this.interval - now);
      return;
    }
    const idle = now - this.lastActivity;
    if (idle < this.interval) {
      this.arm(this.interval - idle);
      return;
    }
    this.probeSentAt = now;
    this.session.send({ id: 'echo', method: 'echo', params: [] });
    this.arm(this.interval);
  }
}

/** Seconds with three significant digits and no trailing zeros, like printf's "%.3g". */
function formatSeconds(ms: number): string {
  const text = (ms / 1000).toPrecision(3);
  return text.includes('.') && !text.includes('e') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

function describeSocket(socket: Duplex): string {
  const s = socket as Duplex & { remoteAddress?: string; remotePort?: number };
  if (s.remoteAddress === undefined) return 'unix';
  return s.remoteAddress.includes(':')
    ? `tcp:[${s.remoteAddress}]:${s.remotePort}`
    : `tcp:${s.remoteAddress}:${s.remotePort}`;
}
