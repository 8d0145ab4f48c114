// Behaviour of the RSTP engine on simulated networks with a fake clock: convergence, rapid recovery,
// topology change, edge ports, STP fallback, bad BPDUs and the status keys ovs-vswitchd writes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Bpdu, ConfigBpdu } from '../../../src/ofproto/rstp/bpdu.js';
import { Rstp, RstpError } from '../../../src/ofproto/rstp/rstp.js';
import { SimNetwork, snapshot, triangle } from './sim.js';

const CONVERGED = {
  'br1.1': 'designated/forwarding',
  'br1.2': 'designated/forwarding',
  'br2.1': 'root/forwarding',
  'br2.2': 'designated/forwarding',
  'br3.1': 'alternate/discarding',
  'br3.2': 'root/forwarding',
};

test('the triangle converges: lowest id is root, exactly one alternate port discards', () => {
  const { net } = triangle();
  net.advance(30_000, 100);
  assert.deepEqual(snapshot(net), CONVERGED);
  assert.equal(net.get('br1').isRootBridge(), true);
  for (const b of net.bridges.values()) assert.equal(b.designatedRoot(), 0x8000_0000_0000_0001n);
  assert.equal(net.get('br3').rootPathCost(), 2000);
  assert.equal(net.get('br3').rootPort(), 2);
});

test('proposal/agreement converges in well under forward delay', () => {
  const { net } = triangle();
  net.advance(100);
  assert.deepEqual(snapshot(net), CONVERGED);
  assert.ok(net.sent.some((s) => s.bpdu.type === 'rst' && s.bpdu.proposal));
  assert.ok(net.sent.some((s) => s.bpdu.type === 'rst' && s.bpdu.agreement));
});

test('cutting the root port link: the alternate port forwards at once; restoring reconverges', () => {
  const { net, l31 } = triangle();
  net.advance(5_000, 100);
  const cutAt = net.now;
  net.cut(l31);
  net.advance(1_000);
  const br3 = net.get('br3');
  assert.equal(br3.portRole(1), 'root');
  assert.equal(br3.portState(1), 'forwarding');
  assert.equal(net.get('br2').portState(2), 'forwarding');
  assert.ok(net.now - cutAt <= 1_000);
  assert.equal(br3.rootPathCost(), 4000);
  net.restore(l31);
  net.advance(1_000);
  assert.deepEqual(snapshot(net), CONVERGED);
});

test('cutting a link that carries no root port leaves one path and no blocked port', () => {
  const { net, l12 } = triangle();
  net.advance(5_000, 100);
  net.cut(l12);
  net.advance(1_000);
  assert.equal(net.get('br2').portRole(2), 'root');
  assert.equal(net.get('br2').portState(2), 'forwarding');
  assert.equal(net.get('br3').portRole(1), 'designated');
  assert.equal(net.get('br3').portState(1), 'forwarding');
});

test('a peer that goes silent without carrier loss is aged out after 3 hellos', () => {
  const { net, l31 } = triangle();
  net.advance(5_000, 100);
  l31.up = false;
  net.advance(3_500, 100);
  assert.equal(net.get('br3').portRole(1), 'alternate');
  net.advance(3_000, 100);
  assert.equal(net.get('br3').portRole(1), 'root');
  assert.equal(net.get('br3').portState(1), 'forwarding');
});

test('a topology change is signalled with TC and propagated, asking for MAC flushes', () => {
  const { net, l31 } = triangle();
  net.advance(5_000, 100);
  net.flushes.length = 0;
  const from = net.sent.length;
  net.cut(l31);
  net.advance(500);
  const after = net.sent.slice(from);
  const tcFrom = (bridge: string, port: number) =>
    after.some((s) => s.from.bridge === bridge && s.from.port === port && s.bpdu.type === 'rst' && s.bpdu.tc);
  assert.ok(tcFrom('br3', 1), 'br3 announces the change on its new root port');
  assert.ok(tcFrom('br2', 1), 'br2 propagates it towards the root');
  assert.ok(
    net.flushes.some((f) => f.bridge === 'br2' && f.port === 1),
    'br2 flushes its other port',
  );
  assert.ok(
    net.flushes.some((f) => f.bridge === 'br3' && f.port === 2),
    'br3 flushes the dead port',
  );
  assert.ok(net.get('br2').flushSeq > 0);
  net.advance(5_000, 100);
  const late = net.sent.filter((s) => s.at > net.now - 2_000);
  assert.ok(
    late.every((s) => s.bpdu.type === 'rst' && !s.bpdu.tc),
    'TC stops after tcWhile',
  );
});

function lone(extra: Partial<ConstructorParameters<typeof Rstp>[0]> = {}) {
  const sent: Array<{ port: number; bpdu: Bpdu }> = [];
  const rstp = new Rstp({
    bridgeId: 0x8000_0000_0000_0005n,
    now: 0,
    sendBpdu: (port, bpdu) => sent.push({ port, bpdu }),
    ...extra,
  });
  return { rstp, sent };
}

test('an admin edge port forwards immediately; an auto edge port after the edge delay', () => {
  const { rstp } = lone();
  rstp.addPort(1, { adminEdge: true });
  assert.equal(rstp.portState(1), 'forwarding');
  rstp.addPort(2);
  rstp.tick(2_900);
  assert.equal(rstp.portState(2), 'discarding');
  rstp.tick(3_100);
  assert.equal(rstp.portState(2), 'forwarding');
  assert.equal(rstp.portIsEdge(2), true);
});

const LEGACY: ConfigBpdu = {
  type: 'config',
  rootId: 0x9000_0000_0000_0009n,
  rootPathCost: 0,
  bridgeId: 0x9000_0000_0000_0009n,
  portId: 0x8001,
  messageAge: 0,
  maxAge: 20,
  helloTime: 2,
  forwardDelay: 15,
  tc: false,
  tca: false,
};

test('a legacy Config BPDU switches the port to 802.1D mode; mcheck switches it back', () => {
  const { rstp, sent } = lone();
  rstp.addPort(1);
  rstp.receiveBpdu(1, LEGACY, 1_000);
  assert.equal(rstp.portSendsRstp(1), true, 'ignored while the migration delay runs');
  rstp.receiveBpdu(1, LEGACY, 3_500);
  assert.equal(rstp.portSendsRstp(1), false);
  assert.equal(rstp.portRole(1), 'designated');
  sent.length = 0;
  rstp.tick(6_000);
  assert.ok(sent.length > 0 && sent.every((s) => s.bpdu.type === 'config'));
  assert.equal(rstp.portState(1), 'discarding', 'no agreement from a legacy bridge: forward delay applies');
  rstp.mcheck(1);
  rstp.tick(7_000);
  assert.equal(rstp.portSendsRstp(1), true);
});

test('malformed and invalid BPDUs are counted and ignored', () => {
  const { rstp } = lone();
  rstp.addPort(1);
  const before = rstp.portRole(1);
  const junk = new Uint8Array(40).fill(0x42);
  const err = rstp.receiveFrame(1, junk, 0, junk.length, 10);
  assert.equal(err?.type, 'error');
  rstp.receiveBpdu(1, { ...LEGACY, rootId: 1n, messageAge: 20 }, 20);
  assert.deepEqual(rstp.counters(1), { tx: rstp.counters(1).tx, rx: 0, errors: 2, uptime: 0 });
  assert.equal(rstp.portRole(1), before);
  assert.equal(rstp.isRootBridge(), true);
});

test('status keys have the formats ovs-vswitchd writes', () => {
  const { net } = triangle();
  net.advance(3_000, 100);
  assert.deepEqual(net.get('br3').bridgeStatus(), {
    rstp_bridge_id: '8.000.000000000003',
    rstp_root_id: '8.000.000000000001',
    rstp_root_path_cost: '2000',
    rstp_designated_id: '8.000.000000000001',
    rstp_designated_port_id: '8002',
    rstp_bridge_port_id: '8002',
  });
  assert.deepEqual(net.get('br3').portStatus(1), {
    rstp_port_id: '8001',
    rstp_port_role: 'Alternate',
    rstp_port_state: 'Discarding',
    rstp_designated_bridge_id: '8.000.000000000002',
    rstp_designated_port_id: '8002',
    rstp_designated_path_cost: '2000',
  });
  const stats = net.get('br3').portStatistics(1);
  assert.deepEqual(Object.keys(stats).sort(), [
    'rstp_error_count',
    'rstp_rx_count',
    'rstp_tx_count',
    'rstp_uptime',
  ]);
  assert.equal(stats.rstp_uptime, 3);
  assert.ok(stats.rstp_rx_count > 0 && stats.rstp_tx_count > 0);
});

test('port errors are typed', () => {
  const { rstp } = lone();
  rstp.addPort(1);
  assert.throws(
    () => rstp.addPort(1),
    (e: unknown) => e instanceof RstpError && e.code === 'port exists',
  );
  assert.throws(
    () => rstp.portState(9),
    (e: unknown) => e instanceof RstpError && e.code === 'no such port',
  );
  rstp.removePort(1);
  assert.deepEqual(rstp.portNumbers(), []);
});

test('state changes are reported through the callback', () => {
  const changes: string[] = [];
  const net = new SimNetwork();
  net.addBridge('br1', 1, { onStateChange: (p, s) => changes.push(`br1.${p}:${s}`) });
  net.addBridge('br2', 2);
  net.connect({ bridge: 'br1', port: 1 }, { bridge: 'br2', port: 1 });
  // Learning passes within the same instant (agreement), so only the settled states are reported.
  assert.deepEqual(changes, ['br1.1:discarding', 'br1.1:forwarding']);
});
