// The connection manager wired into vswitchd (in-process, dummy datapath, no root): every bridge gets
// RUNDIR/BRIDGE.mgmt as it is created and loses it when deleted; the real ovs-ofctl programs the real
// Ofproto through it; a Controller row makes vswitchd connect to a controller and write is_connected, role
// and status back as ovs-vswitchd does.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OfConnection } from '../../src/openflow/conn.js';
import type { OfMessage } from '../../src/openflow/messages.js';
import { Vlog } from '../../src/vswitchd/vlog.js';
import { Vswitchd } from '../../src/vswitchd/vswitchd.js';
import {
  type DbServer,
  runCommand,
  startTsovsServer,
  tempDir,
  vsctlOk,
  waitFor,
} from '../helpers/daemons.js';

const HAVE_OFCTL = spawnSync('sh', ['-c', 'command -v ovs-ofctl'], { stdio: 'ignore' }).status === 0;

describe('vswitchd serves OpenFlow on BRIDGE.mgmt and connects to controllers', () => {
  let dir: string;
  let db: DbServer;
  let vs: Vswitchd;
  let server: Server;
  let port = 0;
  const controllerConns: OfConnection[] = [];
  const sockets = new Set<Socket>();

  const vsctl = (...args: string[]) => vsctlOk(db.sock, ...args);
  const ofctl = (...args: string[]) =>
    runCommand('ovs-ofctl', ['--timeout=10', ...args], { OVS_RUNDIR: dir }, 20000);

  before(async () => {
    dir = tempDir('connmgr-vswitchd-');
    db = await startTsovsServer(dir);
    vs = await Vswitchd.start(`unix:${db.sock}`, {
      dummy: 'dummy',
      rundir: dir,
      unixctl: join(dir, 'vswitchd.ctl'),
      vlog: new Vlog(undefined, { console: 'off' }),
      minStatsIntervalMs: 100,
      tickMs: 100,
    });
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
      controllerConns.push(new OfConnection(socket, { name: 'controller' }));
    });
    await new Promise<void>((res) => server.listen({ host: '127.0.0.1', port: 0 }, res));
    const a = server.address();
    port = a !== null && typeof a === 'object' ? a.port : 0;
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((res) => server?.close(() => res()));
    await vs?.stop();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('add-br creates BRIDGE.mgmt (ovs-ofctl reaches the real ofproto through it), del-br removes it', async () => {
    await vsctl('add-br', 'br0', '--', 'set', 'bridge', 'br0', 'datapath_type=dummy');
    await vsctl('add-port', 'br0', 'p1', '--', 'set', 'interface', 'p1', 'type=dummy', 'ofport_request=1');
    assert.ok(existsSync(join(dir, 'br0.mgmt')));
    if (HAVE_OFCTL) {
      const show = await ofctl('show', `unix:${join(dir, 'br0.mgmt')}`);
      assert.equal(show.status, 0, show.stderr);
      assert.match(
        show.stdout,
        /^OFPT_FEATURES_REPLY \(xid=0x2\): dpid:[0-9a-f]{16}\nn_tables:254, n_buffers:0\n/,
      );
      assert.match(show.stdout, / 1\(p1\): addr:/);
      assert.match(show.stdout, / LOCAL\(br0\): addr:/);
      const add = await ofctl(
        'add-flow',
        `unix:${join(dir, 'br0.mgmt')}`,
        'priority=10,in_port=1,actions=drop',
      );
      assert.equal(add.status, 0, add.stderr);
      const dump = await ofctl('--no-stats', 'dump-flows', `unix:${join(dir, 'br0.mgmt')}`);
      assert.equal(dump.status, 0, dump.stderr);
      assert.match(dump.stdout, / priority=10,in_port=1 actions=drop\n/);
    }
    await vsctl('add-br', 'br9', '--', 'set', 'bridge', 'br9', 'datapath_type=dummy');
    assert.ok(existsSync(join(dir, 'br9.mgmt')));
    await vsctl('del-br', 'br9');
    assert.equal(existsSync(join(dir, 'br9.mgmt')), false);
  });

  it('set-controller: vswitchd connects, writes is_connected/role/status, tells ofproto', async () => {
    await vsctl('set-controller', 'br0', `tcp:127.0.0.1:${port}`);
    await waitFor(() => controllerConns.length === 1, 10000, 'controller connection');
    const conn = controllerConns[0];
    await conn.ready;
    const features = await conn.request({ type: 'features_request' });
    assert.equal(features[0].type, 'features_reply');
    // The columns as the database has them (the replica follows every committed status transaction).
    const read = async () => {
      const row = [...vs.replica.rows('Controller').values()][0];
      if (row === undefined) return '';
      const status = [...row.map('status')].map(([k, v]) => `${k}=${v}`).join(' ');
      return `${row.boolean('is_connected')},${row.string('role')},${status}`;
    };
    await waitFor(async () => (await read()).startsWith('true,other,'), 10000, 'is_connected');
    assert.match(await read(), /^true,other,.*state=ACTIVE/);
    await conn.request({ type: 'role_request', role: 2, generationId: 1n });
    await waitFor(async () => (await read()).startsWith('true,master,'), 10000, 'role master');
    // A packet-out through ofproto to CONTROLLER reaches the (primary) controller as a packet-in.
    const pins: OfMessage[] = [];
    conn.on('message', (m) => {
      if (m.type === 'packet_in') pins.push(m);
    });
    const frame = Buffer.from(
      '0000000000020000000000010800450000200001000040117cca0a0000010a000002003500350008000000000000',
      'hex',
    );
    conn.send({
      type: 'packet_out',
      bufferId: 0xffffffff,
      inPort: 1,
      actions: [{ type: 'output', port: 0xfffd, maxLen: 0xffff }],
      data: frame,
    });
    await conn.request({ type: 'barrier_request' });
    await waitFor(() => pins.length === 1, 10000, 'packet_in');
    const pin = pins[0];
    assert.ok(pin.type === 'packet_in');
    assert.deepEqual(Buffer.from(pin.data), frame);
    assert.equal(pin.totalLen, frame.length);
    // The controller goes away for good (no new connections), then drops this one.
    server.close();
    conn.close();
    await waitFor(async () => (await read()).startsWith('false,,'), 10000, 'disconnected');
    assert.match(await read(), /last_error=End of file/);
    const listed = await vsctl(
      '--columns=is_connected,role',
      '--format=csv',
      '--data=bare',
      'list',
      'Controller',
    );
    assert.equal(listed, 'is_connected,role\nfalse,\n');
    await vsctl('del-controller', 'br0');
    assert.equal(vs.openflow?.manager.hasControllers('br0'), false);
  });
});
