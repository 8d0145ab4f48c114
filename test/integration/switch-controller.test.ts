// An OpenFlow controller in the test, over TCP (needs root): the switch connects to it from its namespace
// through a veth, sends packet_in for table misses, and obeys the packet_out and flow_mod it answers with;
// Controller.is_connected follows. With the controller unreachable, fail_mode=standalone keeps traffic
// flowing (NORMAL) and fail_mode=secure does not.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { OfConnection } from '../../src/openflow/conn.js';
import { actionsToWire, matchToWire } from '../../src/openflow/convert.js';
import { parseFlow } from '../../src/openflow/flow-text.js';
import type { OfMessage } from '../../src/openflow/messages.js';
import { OFP10_VERSION, versionBitmap } from '../../src/openflow/wire.js';
import { waitFor } from '../helpers/daemons.js';
import { nsRunOk, pingOnce } from '../helpers/netns.js';
import { requireSwitchLab, SwitchLab } from './switch-lab.js';

interface Host {
  readonly ns: string;
  readonly port: string;
  readonly dev: string;
}

async function host(sl: SwitchLab, prefix: string, cidr: string): Promise<Host> {
  const ns = sl.lab.netns(prefix);
  await nsRunOk(ns, 'sysctl', [
    '-qw',
    'net.ipv6.conf.all.disable_ipv6=1',
    'net.ipv6.conf.default.disable_ipv6=1',
  ]);
  const [port, dev] = sl.lab.veth(`${prefix}s`, sl.sw, `${prefix}h`, ns);
  sl.lab.address(ns, dev, cidr);
  return { ns, port, dev };
}

/** A controller speaking OpenFlow 1.0 on a TCP port, answering each packet_in as a hub would: a flow
 *  `priority=1 actions=NORMAL` and the packet itself out through NORMAL. */
class TestController {
  readonly packetIns: (OfMessage & { type: 'packet_in' })[] = [];
  private readonly conns = new Set<OfConnection>();
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  connected = 0;

  async listen(addr: string): Promise<number> {
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      const conn = new OfConnection(socket, { versions: versionBitmap([OFP10_VERSION]), name: 'switch' });
      this.conns.add(conn);
      conn.on('ready', () => {
        this.connected++;
      });
      conn.on('message', (msg) => {
        if (msg.type === 'packet_in') this.onPacketIn(conn, msg);
      });
      conn.on('close', () => this.conns.delete(conn));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, addr, resolve));
    const a = server.address();
    if (a === null || typeof a === 'string') throw new Error('no port');
    return a.port;
  }

  private onPacketIn(conn: OfConnection, msg: OfMessage & { type: 'packet_in' }): void {
    this.packetIns.push(msg);
    const flow = parseFlow('priority=1,actions=NORMAL');
    conn.send({
      type: 'flow_mod',
      cookie: 0x77n,
      cookieMask: 0n,
      tableId: 0,
      command: 0,
      idleTimeout: 0,
      hardTimeout: 0,
      priority: 1,
      bufferId: 0xffff_ffff,
      outPort: 0xffff,
      outGroup: 0xffff_ffff,
      flags: 0,
      importance: 0,
      match: matchToWire(flow.match),
      instructions: [{ type: 'apply_actions', actions: actionsToWire(flow.actions, OFP10_VERSION) }],
    } as OfMessage);
    conn.send({
      type: 'packet_out',
      bufferId: 0xffff_ffff,
      inPort: msg.inPort,
      actions: actionsToWire(flow.actions, OFP10_VERSION),
      data: msg.data,
    } as OfMessage);
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.close();
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A veth between the root namespace (where the test controller listens) and the switch's namespace. */
function controlLink(sl: SwitchLab): { here: string; there: string } {
  const n = 1 + Math.floor(Math.random() * 250);
  const here = `10.254.${n}.1`;
  const there = `10.254.${n}.2`;
  const [a, b] = sl.lab.veth('ctl', null, 'ctls', sl.sw);
  sl.lab.address(null, a, `${here}/30`);
  sl.lab.address(sl.sw, b, `${there}/30`);
  return { here, there };
}

async function withLab(t: TestContext, body: (sl: SwitchLab) => Promise<void>): Promise<void> {
  if (!requireSwitchLab(t)) return;
  const sl = new SwitchLab();
  try {
    await sl.start();
    await body(sl);
  } catch (err) {
    t.diagnostic(`vswitchd log:\n${sl.log()}`);
    throw err;
  } finally {
    await sl.cleanup();
  }
}

async function twoHosts(sl: SwitchLab): Promise<{ h1: Host; h2: Host }> {
  const h1 = await host(sl, 'ct1', '10.0.0.1/24');
  const h2 = await host(sl, 'ct2', '10.0.0.2/24');
  await sl.vsctl(
    ...[
      'add-br',
      'br0',
      '--',
      'add-port',
      'br0',
      h1.port,
      '--',
      'set',
      'Interface',
      h1.port,
      'ofport_request=1',
    ],
    ...['--', 'add-port', 'br0', h2.port, '--', 'set', 'Interface', h2.port, 'ofport_request=2'],
  );
  return { h1, h2 };
}

describe('an OpenFlow controller over TCP', { concurrency: false }, () => {
  it('receives packet_in for table misses and programs the switch with flow_mod and packet_out', (t) =>
    withLab(t, async (sl) => {
      const { h1 } = await twoHosts(sl);
      const { here } = controlLink(sl);
      const ctl = new TestController();
      try {
        const port = await ctl.listen(here);
        await sl.vsctl(
          'set-fail-mode',
          'br0',
          'secure',
          '--',
          'set-controller',
          'br0',
          `tcp:${here}:${port}`,
        );
        await waitFor(
          async () =>
            (await sl.vsctl('--bare', '--columns=is_connected', 'list', 'Controller')).trim() === 'true',
          30000,
          'Controller is_connected=true',
        );
        assert.ok(ctl.connected >= 1);
        // No flows: the first packets miss and reach the controller, whose answer lets the ping through.
        await waitFor(() => pingOnce(h1.ns, '10.0.0.2'), 20000, 'ping through the controller-made flow');
        // The first miss may come from the bridge's own port (65534) rather than h1: the controller's answer
        // to it already lets h1's ping through.
        assert.ok(ctl.packetIns.length > 0, 'a packet_in arrived');
        assert.ok(
          ctl.packetIns.every((p) => p.reason === 0),
          'every packet_in is a table miss (OFPR_NO_MATCH)',
        );
        const flows = await sl.ofctl('br0', 'dump-flows');
        assert.match(flows, /cookie=0x77, .*priority=1 actions=NORMAL/);
      } finally {
        await ctl.close();
      }
    }));

  it('with the controller unreachable, standalone falls back to NORMAL; secure does not', (t) =>
    withLab(t, async (sl) => {
      const { h1 } = await twoHosts(sl);
      const { here } = controlLink(sl);
      // Nothing listens there: the switch keeps trying (backoff), never connected.
      const unused = 1 + Math.floor(Math.random() * 1000) + 40000;
      await sl.vsctl(
        'set-controller',
        'br0',
        `tcp:${here}:${unused}`,
        '--',
        'set-fail-mode',
        'br0',
        'standalone',
      );
      await sl.ofctl('br0', 'del-flows');
      await waitFor(() => pingOnce(h1.ns, '10.0.0.2'), 30000, 'fail-open forwarding');
      await sl.vsctl('set-fail-mode', 'br0', 'secure');
      await waitFor(async () => !(await pingOnce(h1.ns, '10.0.0.2')), 10000, 'secure: no forwarding');
      assert.equal(await pingOnce(h1.ns, '10.0.0.2'), false);
    }));
});
