// OfConnection between two ends in this process (a unix socket pair): version negotiation and its
// failure, echo, bad messages answered with errors while the connection goes on, a message of the wrong
// version, lost framing, request/reply matching with multipart replies and error replies.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  connectOpenFlow,
  DEFAULT_VERSIONS,
  OfConnection,
  OfConnectionError,
  type OfConnectionOptions,
  OfpRemoteError,
} from '../../src/openflow/conn.js';
import {
  decodeMessage,
  encodeMessage,
  errorMessage,
  helloFor,
  OFPSF_REPLY_MORE,
  type OfMessage,
  type PhyPort,
} from '../../src/openflow/messages.js';
import { hex, OfpFramer, unhex, versionBitmap } from '../../src/openflow/wire.js';
import { tempDir, waitFor } from '../helpers/daemons.js';

const PORT: PhyPort = {
  portNo: 1,
  hwAddr: '00:00:00:00:00:01',
  name: 'p1',
  config: 0,
  state: 0,
  curr: 0,
  advertised: 0,
  supported: 0,
  peer: 0,
  currSpeed: 0,
  maxSpeed: 0,
};

/** A listening unix socket whose accepted sockets become OfConnections ("switch" side). */
class Listener {
  readonly dir = tempDir('ofwire-conn-');
  readonly path = join(this.dir, 'sock');
  conns: OfConnection[] = [];
  server: Server | null = null;
  onConn: (c: OfConnection) => void = () => undefined;
  constructor(private readonly opts: OfConnectionOptions) {}

  async start(): Promise<void> {
    this.server = createServer((s) => {
      const c = new OfConnection(s, { name: 'switch', ...this.opts });
      this.conns.push(c);
      this.onConn(c);
    });
    await new Promise<void>((r) => this.server?.listen(this.path, r));
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.close();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function rawSocket(
  path: string,
): Promise<{ socket: Socket; got: Uint8Array[]; closed: Promise<void> }> {
  const socket = connect({ path });
  const framer = new OfpFramer();
  const got: Uint8Array[] = [];
  socket.on('data', (chunk) => got.push(...framer.feed(chunk).messages));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return { socket, got, closed };
}

describe('OfConnection', () => {
  const sw = new Listener({});
  before(() => sw.start());
  after(() => sw.stop());

  it('negotiates the highest common version (1.5 when both offer 1.0, 1.3, 1.4 and 1.5)', async () => {
    const c = await connectOpenFlow(`unix:${sw.path}`);
    assert.equal(c.version, 6);
    assert.equal(c.peerVersions, DEFAULT_VERSIONS);
    c.close();
    const c10 = await connectOpenFlow(`unix:${sw.path}`, { versions: versionBitmap([1, 2, 3]) });
    assert.equal(c10.version, 1);
    c10.close();
  });

  it('no common version: OFPHFC_INCOMPATIBLE with the text, then both sides close', async () => {
    const only13 = new Listener({ versions: versionBitmap([4]) });
    await only13.start();
    try {
      await assert.rejects(
        connectOpenFlow(`unix:${only13.path}`, { versions: versionBitmap([1]) }),
        (err: Error) => {
          return (
            err instanceof OfConnectionError &&
            err.code === 'incompatible' &&
            /we support 0x01, peer supports 0x04/.test(err.message)
          );
        },
      );
      const { socket, got, closed } = await rawSocket(only13.path);
      socket.write(encodeMessage(helloFor(versionBitmap([1]))));
      await closed;
      assert.equal(got.length, 2);
      assert.equal(hex(got[0]), '04000010000000000001000800000010');
      const err = decodeMessage(got[1]);
      assert.equal(err.type === 'error' && err.name, 'OFPHFC_INCOMPATIBLE');
      assert.equal(
        new TextDecoder().decode(got[1].subarray(12)),
        'We support version 0x04, you support version 0x01, no common versions.',
      );
    } finally {
      await only13.stop();
    }
  });

  it('a peer that does not start with hello is dropped', async () => {
    const before = sw.conns.length;
    const { socket, closed } = await rawSocket(sw.path);
    await waitFor(() => sw.conns.length > before, 2000, 'accepted');
    const c = sw.conns[before];
    const reasons: (Error | null)[] = [];
    c.on('close', (r) => reasons.push(r));
    socket.write(encodeMessage({ type: 'features_request', version: 4, xid: 9 }));
    await closed;
    await waitFor(() => c.isClosed, 2000, 'switch side closed');
    assert.equal((reasons[0] as OfConnectionError).code, 'expected hello');
  });

  it('answers echo requests; answers an undecodable message with its error and keeps going', async () => {
    const { socket, got } = await rawSocket(sw.path);
    const invalid: string[] = [];
    sw.onConn = () => undefined;
    socket.write(encodeMessage(helloFor(versionBitmap([4]), 1)));
    await waitFor(() => got.length >= 1, 2000, 'hello');
    const conn = sw.conns[sw.conns.length - 1];
    conn.on('invalid', (e) => invalid.push(e.code));
    socket.write(encodeMessage({ type: 'echo_request', data: unhex('cafe'), version: 4, xid: 0x10 }));
    socket.write(unhex('0463000800000011'));
    socket.write(encodeMessage({ type: 'echo_request', data: new Uint8Array(0), version: 4, xid: 0x12 }));
    await waitFor(() => got.length >= 4, 2000, 'three answers');
    const answers = got.slice(1).map((b) => decodeMessage(b));
    assert.deepEqual(
      answers.map((m) => [m.type, m.xid]),
      [
        ['echo_reply', 0x10],
        ['error', 0x11],
        ['echo_reply', 0x12],
      ],
    );
    assert.equal(answers[1].type === 'error' && answers[1].name, 'OFPBRC_BAD_TYPE');
    assert.equal(hex(got[2].subarray(12)), '0463000800000011');
    assert.deepEqual(invalid, ['OFPBRC_BAD_TYPE']);
    // A message in another version than negotiated: OFPBRC_BAD_VERSION, and it is not delivered.
    const delivered: OfMessage[] = [];
    conn.on('message', (m) => delivered.push(m));
    socket.write(encodeMessage({ type: 'barrier_request', version: 1, xid: 0x13 }));
    await waitFor(() => got.length >= 5, 2000, 'bad version answer');
    const bv = decodeMessage(got[4]);
    assert.deepEqual(
      [bv.type, bv.version, bv.xid, bv.type === 'error' && bv.name],
      ['error', 1, 0x13, 'OFPBRC_BAD_VERSION'],
    );
    assert.equal(delivered.length, 0);
    socket.destroy();
  });

  it('a header length below 8 loses the framing: the connection closes with a framing error', async () => {
    const { socket, got, closed } = await rawSocket(sw.path);
    socket.write(encodeMessage(helloFor(versionBitmap([4]), 1)));
    await waitFor(() => got.length >= 1, 2000, 'hello');
    const conn = sw.conns[sw.conns.length - 1];
    const reasons: (Error | null)[] = [];
    conn.on('close', (r) => reasons.push(r));
    socket.write(unhex('0402000400000001'));
    await closed;
    assert.ok(reasons[0] instanceof OfConnectionError);
    assert.equal((reasons[0] as OfConnectionError).code, 'framing');
  });

  it('request() gathers every part of a multipart reply and rejects on an error reply', async () => {
    sw.onConn = (c) => {
      c.on('message', (m) => {
        if (m.type === 'port_desc_request') {
          c.send({ type: 'port_desc_reply', flags: OFPSF_REPLY_MORE, ports: [PORT], xid: m.xid });
          c.send({
            type: 'port_desc_reply',
            flags: 0,
            ports: [{ ...PORT, portNo: 2, name: 'p2' }],
            xid: m.xid,
          });
        } else if (m.type === 'desc_request') {
          c.sendRaw(encodeMessage(errorMessage('OFPBRC_EPERM', m.version, m.xid, encodeMessage(m))));
        } else if (m.type === 'barrier_request') {
          c.send({ type: 'barrier_reply', xid: m.xid });
        }
      });
    };
    const c = await connectOpenFlow(`unix:${sw.path}`);
    try {
      const parts = await c.request({ type: 'port_desc_request', flags: 0 });
      assert.deepEqual(
        parts.flatMap((m) => (m.type === 'port_desc_reply' ? m.ports.map((p) => p.name) : [])),
        ['p1', 'p2'],
      );
      await assert.rejects(c.request({ type: 'desc_request', flags: 0 }), (err: Error) => {
        return err instanceof OfpRemoteError && err.code === 'OFPBRC_EPERM';
      });
      const [b] = await c.request({ type: 'barrier_request' });
      assert.equal(b.type, 'barrier_reply');
    } finally {
      c.close();
      sw.onConn = () => undefined;
    }
  });

  it('pending requests fail when the connection closes', async () => {
    const c = await connectOpenFlow(`unix:${sw.path}`);
    const pending = c.request({ type: 'desc_request', flags: 0 });
    const peer = sw.conns[sw.conns.length - 1];
    peer.close();
    await assert.rejects(pending, (err: Error) => err instanceof OfConnectionError);
    assert.ok(c.isClosed);
  });
});
