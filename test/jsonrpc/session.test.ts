// JsonRpcSession over real unix sockets: requests both ways, error replies, notifications, echo,
// disconnects, malformed input (closes only that connection), ordering and the inactivity probe.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Listener, listen } from '../../src/jsonrpc/address.js';
import type { Json } from '../../src/jsonrpc/json.js';
import {
  ConnectionClosedError,
  decodeMessage,
  JsonRpcError,
  JsonRpcSession,
  type JsonRpcSessionOptions,
  type Logger,
} from '../../src/jsonrpc/session.js';
import { JsonSplitter } from '../../src/jsonrpc/stream.js';
import { tempDir, waitFor } from '../helpers/daemons.js';

/** A logger that keeps what it is told. */
function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    warn: (m) => lines.push(`warn ${m}`),
    info: (m) => lines.push(`info ${m}`),
    debug: () => {},
  };
}

/** A raw peer: writes bytes, collects the JSON values it receives. */
class RawPeer {
  readonly received: Json[] = [];
  closed = false;
  private readonly splitter = new JsonSplitter();
  constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => this.received.push(...this.splitter.feed(chunk).values));
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }
  write(text: string): void {
    this.socket.write(text);
  }
}

describe('JsonRpcSession', () => {
  let dir: string;
  let listener: Listener;
  let path: string;
  /** Server-side sessions, in accept order; options for the next one. */
  const serverSessions: JsonRpcSession[] = [];
  let nextOptions: JsonRpcSessionOptions = {};

  before(async () => {
    dir = tempDir('tsovs-jsonrpc-');
    path = join(dir, 'test.sock');
    listener = await listen(`punix:${path}`, (socket, name) => {
      serverSessions.push(new JsonRpcSession(socket, { name, ...nextOptions }));
    });
  });

  after(async () => {
    for (const s of serverSessions) s.close();
    await listener.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Connects a client session and waits for the server side; returns both. */
  async function pair(
    serverOptions: JsonRpcSessionOptions = {},
    clientOptions: JsonRpcSessionOptions = {},
  ): Promise<[JsonRpcSession, JsonRpcSession]> {
    nextOptions = serverOptions;
    const count = serverSessions.length;
    const socket = createConnection(path);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new JsonRpcSession(socket, { name: 'client', ...clientOptions });
    await waitFor(() => serverSessions.length > count, 5000, 'accept');
    return [client, serverSessions[count]];
  }

  /** Connects a raw peer to a server session made with `serverOptions`. */
  async function rawPair(serverOptions: JsonRpcSessionOptions = {}): Promise<[RawPeer, JsonRpcSession]> {
    nextOptions = serverOptions;
    const count = serverSessions.length;
    const socket = createConnection(path);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    await waitFor(() => serverSessions.length > count, 5000, 'accept');
    return [new RawPeer(socket), serverSessions[count]];
  }

  it('carries requests both ways', async () => {
    const [client, server] = await pair(
      { onRequest: (method, params) => ({ method, params }) },
      { onRequest: (method, params) => [method, params.length] },
    );
    assert.deepEqual(await client.request('add', [1, 2]), { method: 'add', params: [1, 2] });
    assert.deepEqual(await server.request('ping', ['x', 'y']), ['ping', 2]);
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => client.request('n', [i])));
    assert.deepEqual(
      many.map((r) => (r as { params: number[] }).params[0]),
      Array.from({ length: 50 }, (_, i) => i),
    );
    client.close();
  });

  it('passes the request id to the handler', async () => {
    const [raw] = await rawPair({ onRequest: (_m, _p, _s, id) => ({ id }) });
    raw.write('{"method":"x","params":[],"id":["weird",{"id":1}]}');
    await waitFor(() => raw.received.length === 1, 5000, 'reply');
    assert.deepEqual(raw.received[0], {
      id: ['weird', { id: 1 }],
      result: { id: ['weird', { id: 1 }] },
      error: null,
    });
    raw.socket.destroy();
  });

  it('turns thrown errors into error replies and rejects the caller with JsonRpcError', async () => {
    const ovsdbStyle = { toJson: () => ({ error: 'constraint violation', details: 'too many rows' }) };
    const [client] = await pair({
      logger: captureLogger(),
      onRequest: (method) => {
        if (method === 'typed') throw new JsonRpcError({ error: 'not found', details: 'no such table' });
        if (method === 'ovsdb') throw ovsdbStyle;
        throw new Error('boom');
      },
    });
    await assert.rejects(client.request('typed', []), (err: unknown) => {
      assert.ok(err instanceof JsonRpcError);
      assert.equal(err.code, 'not found');
      assert.deepEqual(err.error, { error: 'not found', details: 'no such table' });
      assert.equal(err.message, 'not found: no such table');
      return true;
    });
    await assert.rejects(client.request('ovsdb', []), { code: 'constraint violation' });
    await assert.rejects(client.request('other', []), (err: JsonRpcError) => {
      assert.deepEqual(err.error, { error: 'internal error', details: 'boom' });
      return true;
    });
    client.close();
  });

  it('answers an unknown method the way ovsdb-server does, with both members present', async () => {
    const [raw] = await rawPair();
    raw.write('{"method":"frobnicate","params":[],"id":7}');
    await waitFor(() => raw.received.length === 1, 5000, 'reply');
    assert.deepEqual(raw.received[0], { id: 7, error: 'unknown method' });
    raw.socket.destroy();
  });

  it('sends and receives notifications with "id": null', async () => {
    const got: Json[] = [];
    const [raw, server] = await rawPair({ onNotification: (method, params) => got.push([method, params]) });
    raw.write('{"method":"update","params":[1,{"a":2}],"id":null}{"method":"cancel","params":[3]}');
    await waitFor(() => got.length === 2, 5000, 'notifications');
    assert.deepEqual(got, [
      ['update', [1, { a: 2 }]],
      ['cancel', [3]],
    ]);
    server.notify('locked', ['lock1']);
    await waitFor(() => raw.received.length === 1, 5000, 'notification');
    assert.deepEqual(raw.received[0], { method: 'locked', params: ['lock1'], id: null });
    raw.socket.destroy();
  });

  it('answers echo by itself with the same params, unless told not to', async () => {
    const [raw] = await rawPair();
    raw.write('{"method":"echo","params":["abc",{"x":[1]}],"id":"e1"}');
    await waitFor(() => raw.received.length === 1, 5000, 'echo reply');
    assert.deepEqual(raw.received[0], { id: 'e1', result: ['abc', { x: [1] }], error: null });
    raw.socket.destroy();
    const [raw2] = await rawPair({ answerEcho: false, onRequest: (method) => `handled ${method}` });
    raw2.write('{"method":"echo","params":[],"id":1}');
    await waitFor(() => raw2.received.length === 1, 5000, 'handled echo');
    assert.deepEqual(raw2.received[0], { id: 1, result: 'handled echo', error: null });
    raw2.socket.destroy();
  });

  it('accepts OVS-style error replies without "result"', async () => {
    const [raw, server] = await rawPair();
    const pending = server.request('anything', []);
    await waitFor(() => raw.received.length === 1, 5000, 'request');
    const { id } = raw.received[0] as { id: number };
    raw.write(`{"id":${id},"error":"unknown method"}`);
    await assert.rejects(pending, { code: 'unknown method' });
    raw.socket.destroy();
  });

  it('rejects pending requests when the peer disconnects, and later ones at once', async () => {
    const [client, server] = await pair({ onRequest: () => new Promise<Json>(() => {}) });
    const closed = new Promise<Error | null>((resolve) => client.once('close', resolve));
    const pending = client.request('never', []);
    await waitFor(() => serverSessions.includes(server), 5000, 'server session');
    server.close();
    await assert.rejects(pending, (err: unknown) => {
      assert.ok(err instanceof ConnectionClosedError);
      assert.equal(err.code, 'disconnected');
      assert.equal(err.reason, 'End of file');
      return true;
    });
    assert.equal(await closed, null);
    await assert.rejects(client.request('late', []), ConnectionClosedError);
  });

  it('closes only the connection that sent garbage; another client carries on', async () => {
    const logger = captureLogger();
    const handler = (method: string) => `ok ${method}`;
    const [bad] = await rawPair({ logger, onRequest: handler });
    const [good] = await pair({ logger, onRequest: handler });
    bad.write('{"method":"a","params":[],"id":1}{not json}');
    await waitFor(() => bad.closed, 5000, 'garbage connection closed');
    assert.equal(await good.request('still', []), 'ok still');
    assert.ok(logger.lines.some((l) => /error parsing stream: invalid JSON/.test(l)));
    good.close();
  });

  it('closes on a well-formed JSON value that is not a valid JSON-RPC message', async () => {
    const logger = captureLogger();
    const [raw] = await rawPair({ logger });
    raw.write('{"method":"echo","params":[],"id":1,"extra":true}');
    await waitFor(() => raw.closed, 5000, 'connection closed');
    assert.deepEqual(logger.lines, [
      'warn unix#' +
        `${serverSessions.length - 1}: received bad JSON-RPC message: message has unexpected member "extra", disconnecting`,
    ]);
    const [scalar] = await rawPair({ logger });
    scalar.write('"abc"');
    await waitFor(() => scalar.closed, 5000, 'scalar connection closed');
  });

  it('closes a connection whose message exceeds the size limit', async () => {
    const logger = captureLogger();
    const [raw] = await rawPair({ logger, maxMessageBytes: 1000 });
    raw.write(`{"method":"echo","params":["${'x'.repeat(2000)}"],"id":1}`);
    await waitFor(() => raw.closed, 5000, 'connection closed');
    assert.ok(logger.lines.some((l) => /exceeds the maximum of 1000 bytes/.test(l)));
  });

  it('carries a large message in many chunks', async () => {
    const [client] = await pair({ onRequest: (_m, params) => params[0] });
    const big = 'é中'.repeat(300_000);
    assert.equal(await client.request('big', [big]), big);
    client.close();
  });

  it('writes replies in the order the application sends them; sequential sessions answer in arrival order', async () => {
    const delays = [30, 0, 10, 0];
    const [raw] = await rawPair({
      sequential: true,
      onRequest: async (_m, params) => {
        await new Promise((r) => setTimeout(r, delays[params[0] as number]));
        return params[0];
      },
    });
    raw.write(delays.map((_, i) => JSON.stringify({ method: 'x', params: [i], id: i })).join(''));
    await waitFor(() => raw.received.length === delays.length, 5000, 'replies');
    assert.deepEqual(
      raw.received.map((r) => (r as { id: number }).id),
      [0, 1, 2, 3],
    );
    raw.socket.destroy();
  });

  it('probes an idle peer with echo and disconnects when it stays silent', async () => {
    const logger = captureLogger();
    const [raw, server] = await rawPair({ logger, probeIntervalMs: 60 });
    const closed = new Promise<Error | null>((resolve) => server.once('close', resolve));
    await waitFor(() => raw.received.length === 1, 5000, 'probe');
    assert.deepEqual(raw.received[0], { method: 'echo', params: [], id: 'echo' });
    const reason = await closed;
    assert.match(reason?.message ?? '', /^no response to inactivity probe after 0\.\d+ seconds$/);
    await waitFor(() => raw.closed, 5000, 'raw side closed');
    assert.ok(logger.lines.some((l) => /no response to inactivity probe/.test(l)));
  });

  it('keeps a peer that answers the probe', async () => {
    const logger = captureLogger();
    const [client, server] = await pair({ logger, probeIntervalMs: 150 });
    const start = Date.now();
    await waitFor(() => Date.now() - start > 700, 5000, 'several probe intervals');
    assert.equal(server.closed, false);
    assert.deepEqual(logger.lines, []);
    client.close();
  });
});

describe('decodeMessage', () => {
  it('classifies messages', () => {
    assert.deepEqual(decodeMessage({ method: 'm', params: [], id: 1 }), {
      type: 'request',
      method: 'm',
      params: [],
      id: 1,
    });
    assert.deepEqual(decodeMessage({ method: 'm', params: [1], id: null }), {
      type: 'notification',
      method: 'm',
      params: [1],
    });
    assert.deepEqual(decodeMessage({ id: 1, result: 5, error: null }), { type: 'reply', result: 5, id: 1 });
    assert.deepEqual(decodeMessage({ id: 1, result: null, error: null }), {
      type: 'reply',
      result: null,
      id: 1,
    });
    assert.deepEqual(decodeMessage({ id: 1, result: null, error: 'e' }), {
      type: 'error',
      error: 'e',
      id: 1,
    });
  });

  it("gives Open vSwitch's texts for bad messages", () => {
    assert.equal(decodeMessage([1]), 'message is not a JSON object');
    assert.equal(decodeMessage({ method: 1, params: [], id: 1 }), 'method is not a JSON string');
    assert.equal(
      decodeMessage({ method: 'm', params: [], id: 1, x: 0 }),
      'message has unexpected member "x"',
    );
    assert.equal(decodeMessage({ method: 'm', params: {}, id: 1 }), '"params" must be JSON array');
    assert.equal(decodeMessage({ method: 'm', id: 1 }), 'request must have "params"');
    assert.equal(decodeMessage({ params: [], id: 1 }), 'request must have "method"');
    assert.equal(decodeMessage({ method: 'm' }), 'notification must have "params"');
    assert.equal(decodeMessage({ result: 1 }), 'reply must have "id"');
    assert.equal(decodeMessage({ method: 'm', result: 1, id: 1 }), 'reply must not have "method"');
    assert.equal(decodeMessage({ error: 1, id: null }), 'error must have "id"');
  });
});
