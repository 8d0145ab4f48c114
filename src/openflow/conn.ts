// One OpenFlow connection over a byte stream (a unix or TCP socket), for either end: it sends hello,
// negotiates the version as Open vSwitch's vconn does, answers echo requests, answers a message it cannot
// decode with the OpenFlow error (and goes on), and matches replies to requests by xid.
//
// Negotiation: both ends send hello at once; the version is the highest one both offer. With none in
// common the connection sends OFPET_HELLO_FAILED/OFPHFC_INCOMPATIBLE with Open vSwitch's text ("We support
// version 0x04, you support version 0x01, no common versions.") and closes. After negotiation, a message of
// another version (other than hello, error, echo) is answered with OFPBRC_BAD_VERSION and dropped. A
// length below 8 in a header loses the framing: the connection closes, as Open vSwitch's does.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { connect as connectAddress, type ParseOptions } from '../jsonrpc/address.js';
import {
  decodeMessage,
  encodeMessage,
  encodeMessageIn,
  errorReply,
  helloFailed,
  helloFor,
  helloVersions,
  OFPSF_REPLY_MORE,
  type OfBody,
  type OfMessage,
} from './messages.js';
import {
  OFP10_VERSION,
  OFP13_VERSION,
  OFP14_VERSION,
  OFP15_VERSION,
  OfpFramer,
  readHeader,
  versionBitmap,
  Writer,
} from './wire.js';
import { OfpError, type OfpErrorName } from './wire-errors.js';

/** The default OpenFlow port. */
export const OFP_PORT = 6653;

/** Bytes sendMany() gathers into one write. */
const SEND_CHUNK = 256 * 1024;

/** The versions this codec speaks in full: OpenFlow 1.0, 1.3, 1.4 and 1.5. */
export const DEFAULT_VERSIONS = versionBitmap([OFP10_VERSION, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION]);

/** What a connection needs from its transport (a net.Socket fits). */
export interface OfTransport {
  write(data: Uint8Array): unknown;
  end(): unknown;
  destroy(): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export interface OfConnectionOptions {
  /** Versions offered (bit N = version N); default 1.0, 1.3, 1.4 and 1.5. */
  versions?: number;
  /** Answer echo requests with echo replies (default true). */
  answerEcho?: boolean;
  /** Answer a message that fails to decode with its OpenFlow error (default true). */
  answerErrors?: boolean;
  /** Name for messages ("unix#3", "tcp:10.0.0.2:51234"). */
  name?: string;
  /** Deliver messages of any version after negotiation, not only the negotiated one (default false). */
  anyVersion?: boolean;
}

/** Sees what crosses a connection after negotiation: each received message, each chunk of sent ones. */
export type OfTap = (direction: 'in' | 'out', bytes: Uint8Array) => void;

/** An error reply received for a request. */
export class OfpRemoteError extends Error {
  constructor(readonly reply: OfMessage & { type: 'error' }) {
    super(`peer answered ${reply.name ?? `error type ${reply.errType} code ${reply.errCode}`}`);
    this.name = 'OfpRemoteError';
  }

  /** The error name (OFPBRC_BAD_TYPE ...), or null when unknown. */
  get code(): OfpErrorName | null {
    return this.reply.name;
  }
}

/** Why a connection ended badly. */
export class OfConnectionError extends Error {
  constructor(
    readonly code: 'incompatible' | 'expected hello' | 'framing' | 'closed' | 'transport',
    message: string,
  ) {
    super(message);
    this.name = 'OfConnectionError';
  }
}

export type OfConnectionEvents = {
  /** Negotiation finished: the version in use. */
  ready: [version: number];
  /** A message of the negotiated version (or a hello/error/echo of any version) that decoded. */
  message: [msg: OfMessage, raw: Uint8Array];
  /** A message that failed to decode; it has been answered with the error when answerErrors is on. */
  invalid: [err: OfpError, raw: Uint8Array];
  /** The connection closed; `reason` is null for an orderly close. */
  close: [reason: Error | null];
};

const MULTIPART_REPLIES = new Set<string>([
  'desc_reply',
  'flow_stats_reply',
  'nx_flow_stats_reply',
  'aggregate_stats_reply',
  'nx_aggregate_stats_reply',
  'table_stats_reply',
  'port_stats_reply',
  'queue_stats_reply',
  'port_desc_reply',
  'group_stats_reply',
  'group_desc_reply',
  'group_features_reply',
  'table_features_reply',
  'nx_flow_monitor_reply',
  'meter_stats_reply',
  'meter_config_reply',
  'meter_features_reply',
  'queue_desc_reply',
]);

/** True for a statistics/multipart reply with OFPSF_REPLY_MORE set. */
function replyMore(msg: OfMessage): boolean {
  return MULTIPART_REPLIES.has(msg.type) && 'flags' in msg && ((msg.flags ?? 0) & OFPSF_REPLY_MORE) !== 0;
}

interface Pending {
  replies: OfMessage[];
  resolve: (replies: OfMessage[]) => void;
  reject: (err: Error) => void;
}

/** A body to send: version and xid are filled in when absent. */
export type Outgoing = OfBody & { version?: number; xid?: number };

/**
 * Messages encoded ahead of sending, back to back in one growing buffer (add-flows encodes every flow mod
 * while it checks the file, before it may send any). Transaction ids are written as the chunks go out.
 */
export class EncodedMessages {
  private buf = new Uint8Array(1 << 20);
  private len = 0;
  private readonly scratch = new Writer(1024);
  /** Messages held. */
  count = 0;

  constructor(readonly version: number) {}

  /** Encodes `body` (its version and xid are set in place: pass an object of your own). */
  add(body: Outgoing): void {
    const m = body as Outgoing & { version: number; xid: number };
    m.version = this.version;
    m.xid = 0;
    const bytes = encodeMessageIn(this.scratch, m as OfMessage);
    if (this.len + bytes.length > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + bytes.length));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    this.count++;
  }

  /** The messages in chunks of about SEND_CHUNK bytes, whole messages each, with ids from `nextXid`. */
  *chunks(nextXid: () => number): Generator<Uint8Array> {
    const b = this.buf;
    let start = 0;
    let at = 0;
    while (at < this.len) {
      const xid = nextXid();
      b[at + 4] = xid >>> 24;
      b[at + 5] = (xid >>> 16) & 0xff;
      b[at + 6] = (xid >>> 8) & 0xff;
      b[at + 7] = xid & 0xff;
      at += (b[at + 2] << 8) | b[at + 3];
      if (at - start >= SEND_CHUNK) {
        yield b.subarray(start, at);
        start = at;
      }
    }
    if (at > start) yield b.subarray(start, at);
  }
}

/** An OpenFlow connection (switch or controller side: the protocol is symmetric until negotiation ends). */
export class OfConnection extends EventEmitter<OfConnectionEvents> {
  readonly name: string;
  /** Versions offered. */
  readonly versions: number;
  /** Negotiated version; 0 until ready. */
  version = 0;
  /** What the peer offered (bitmap); 0 until its hello. */
  peerVersions = 0;
  /** Resolves with the version once negotiated; rejects if the connection fails first. */
  readonly ready: Promise<number>;

  private readonly framer = new OfpFramer();
  private readonly pending = new Map<number, Pending>();
  private readonly answerEcho: boolean;
  private readonly answerErrors: boolean;
  private readonly anyVersion: boolean;
  private xid = 1;
  /** Where sendMany() encodes each message. */
  private readonly scratch = new Writer(1024);
  /** A copy of the traffic (snoop connections, rconn's monitors); set after negotiation, so no hellos. */
  tap: OfTap | null = null;
  private closed = false;
  private resolveReady!: (v: number) => void;
  private rejectReady!: (e: Error) => void;

  constructor(
    private readonly transport: OfTransport,
    opts: OfConnectionOptions = {},
  ) {
    super();
    this.name = opts.name ?? 'openflow';
    this.versions = opts.versions ?? DEFAULT_VERSIONS;
    this.answerEcho = opts.answerEcho ?? true;
    this.answerErrors = opts.answerErrors ?? true;
    this.anyVersion = opts.anyVersion ?? false;
    this.ready = new Promise((res, rej) => {
      this.resolveReady = res;
      this.rejectReady = rej;
    });
    // Nobody may be waiting on `ready`; a failure must not become an unhandled rejection.
    this.ready.catch(() => undefined);
    transport.on('data', (chunk) => this.onData(chunk));
    transport.on('error', (err) =>
      this.shutdown(new OfConnectionError('transport', `${this.name}: ${err.message}`)),
    );
    transport.on('close', () => this.shutdown(null));
    this.write(encodeMessage(helloFor(this.versions)));
  }

  /** True once closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** A fresh transaction id. */
  nextXid(): number {
    const x = this.xid;
    this.xid = this.xid >= 0xffffffff ? 1 : this.xid + 1;
    return x;
  }

  /** Sends a message (version defaults to the negotiated one, xid to a fresh one); returns its xid. */
  send(body: Outgoing): number {
    const xid = body.xid ?? this.nextXid();
    const version = body.version ?? this.version;
    if (version === 0) throw new OfConnectionError('closed', `${this.name}: version not negotiated yet`);
    const msg = { ...body, version, xid } as OfMessage;
    this.write(encodeMessage(msg));
    return xid;
  }

  /**
   * Sends many messages (add-flows' thousands of flow mods) in a few large writes instead of one system call
   * each; returns their xids in order. The bodies become the messages: their version and xid are set in
   * place, so pass objects of your own.
   */
  sendMany(bodies: readonly Outgoing[], nextXid: () => number = () => this.nextXid()): number[] {
    const xids: number[] = [];
    // Each message is encoded in one reused writer and copied into the chunk being filled: no buffer of
    // its own per message.
    let chunk = new Uint8Array(SEND_CHUNK + 4096);
    let at = 0;
    const flush = () => {
      if (at === 0) return;
      this.write(chunk.subarray(0, at));
      chunk = new Uint8Array(SEND_CHUNK + 4096);
      at = 0;
    };
    for (const body of bodies) {
      const xid = body.xid ?? nextXid();
      const version = body.version ?? this.version;
      if (version === 0) throw new OfConnectionError('closed', `${this.name}: version not negotiated yet`);
      // In place: copying a flow mod's fields into a new object cost more than encoding it.
      const m = body as Outgoing & { version: number; xid: number };
      m.version = version;
      m.xid = xid;
      const bytes = encodeMessageIn(this.scratch, m as OfMessage);
      if (at + bytes.length > chunk.length) {
        flush();
        if (bytes.length > chunk.length) chunk = new Uint8Array(bytes.length);
      }
      chunk.set(bytes, at);
      at += bytes.length;
      xids.push(xid);
      if (at >= SEND_CHUNK) flush();
    }
    flush();
    return xids;
  }

  /** Sends already-encoded bytes. */
  sendRaw(bytes: Uint8Array): void {
    this.write(bytes);
  }

  /**
   * Sends a request and resolves with its replies: one message, or every part of a multipart reply. An
   * error reply rejects with OfpRemoteError. Requests without a reply (flow_mod) never resolve: follow them
   * with a barrier_request instead.
   */
  async request(body: Outgoing): Promise<OfMessage[]> {
    await this.ready;
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new OfConnectionError('closed', `${this.name}: connection closed`));
        return;
      }
      const xid = body.xid ?? this.nextXid();
      this.pending.set(xid, { replies: [], resolve, reject });
      try {
        this.send({ ...body, xid });
      } catch (err) {
        this.pending.delete(xid);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Closes the connection after what was written is flushed. */
  close(): void {
    if (this.closed) return;
    this.transport.end();
    this.shutdown(null);
  }

  private write(bytes: Uint8Array): void {
    if (this.closed) return;
    this.tap?.('out', bytes);
    this.transport.write(bytes);
  }

  private shutdown(reason: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    const err = reason ?? new OfConnectionError('closed', `${this.name}: connection closed`);
    if (this.version === 0) this.rejectReady(err);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.emit('close', reason);
  }

  private fail(code: OfConnectionError['code'], message: string): void {
    const err = new OfConnectionError(code, `${this.name}: ${message}`);
    this.transport.end();
    this.shutdown(err);
  }

  private onData(chunk: Uint8Array): void {
    if (this.closed) return;
    const { messages, error } = this.framer.feed(chunk);
    for (const raw of messages) {
      if (this.closed) return;
      this.onMessage(raw);
    }
    if (error && !this.closed) this.fail('framing', error.message);
  }

  private onMessage(raw: Uint8Array): void {
    if (this.version === 0) {
      this.onHello(raw);
      return;
    }
    this.tap?.('in', raw);
    const h = readHeader(raw);
    const anyVersion = this.anyVersion || h.type <= 3; // hello, error, echo request, echo reply
    if (h.version !== this.version && !anyVersion) {
      if (this.answerErrors) this.write(errorReply(raw, 'OFPBRC_BAD_VERSION'));
      return;
    }
    let msg: OfMessage;
    try {
      msg = decodeMessage(raw);
    } catch (err) {
      const e = err instanceof OfpError ? err : new OfpError('OFPBRC_BAD_LEN', String(err));
      if (this.answerErrors) this.write(errorReply(raw, e));
      this.emit('invalid', e, raw);
      return;
    }
    if (msg.type === 'echo_request' && this.answerEcho) {
      this.write(encodeMessage({ type: 'echo_reply', data: msg.data, version: msg.version, xid: msg.xid }));
    }
    const p = this.pending.get(msg.xid);
    if (p && msg.type !== 'echo_request') {
      if (msg.type === 'error') {
        this.pending.delete(msg.xid);
        p.reject(new OfpRemoteError(msg));
      } else {
        p.replies.push(msg);
        if (!replyMore(msg)) {
          this.pending.delete(msg.xid);
          p.resolve(p.replies);
        }
      }
    }
    this.emit('message', msg, raw);
  }

  private onHello(raw: Uint8Array): void {
    let msg: OfMessage | null = null;
    try {
      msg = decodeMessage(raw);
    } catch {
      msg = null;
    }
    if (msg?.type !== 'hello') {
      this.fail('expected hello', 'received message while expecting hello');
      return;
    }
    const { bitmap } = helloVersions(msg);
    this.peerVersions = bitmap;
    const common = (bitmap & this.versions) >>> 0;
    if (common === 0) {
      this.write(helloFailed(this.versions, bitmap));
      this.fail(
        'incompatible',
        `version negotiation failed (we support ${describe(this.versions)}, peer supports ${describe(bitmap)})`,
      );
      return;
    }
    this.version = 31 - Math.clz32(common);
    this.resolveReady(this.version);
    this.emit('ready', this.version);
  }
}

function describe(bitmap: number): string {
  const out: string[] = [];
  for (let v = 0; v < 32; v++) if (bitmap & (1 << v)) out.push(`0x${v.toString(16).padStart(2, '0')}`);
  return out.length === 0 ? 'no versions' : out.join(', ');
}

/** Connects to `unix:PATH` or `tcp:HOST[:PORT]` (default port 6653) and waits for negotiation. */
export async function connectOpenFlow(
  address: string,
  opts: OfConnectionOptions & ParseOptions = {},
): Promise<OfConnection> {
  const socket: Socket = await connectAddress(address, { defaultPort: OFP_PORT, ...opts });
  const conn = new OfConnection(socket, { name: address, ...opts });
  try {
    await conn.ready;
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return conn;
}
