// The 802.1D engine in simulated networks with a fake clock: the seed's triangle converges with one port
// blocked, reconverges after a link failure and repair, propagates topology changes, and obeys its knobs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeStpFrame } from '../../../src/ofproto/stp/bpdu.js';
import { Stp, StpError, type StpState } from '../../../src/ofproto/stp/stp.js';
import { type Link, SimNetwork, stpId } from './sim.js';

const FD = 15000;
const MAX_AGE = 20000;

/** The seed's loop: A, B, C (A lowest id) joined A.1–B.1, B.2–C.1, C.2–A.2. */
function triangle(): { net: SimNetwork; ab: Link; bc: Link; ca: Link } {
  const net = new SimNetwork();
  net.addBridge('A', stpId(0x8000, 0xa));
  net.addBridge('B', stpId(0x8000, 0xb));
  net.addBridge('C', stpId(0x8000, 0xc));
  const ab = net.connect('A.1', 'B.1');
  const bc = net.connect('B.2', 'C.1');
  const ca = net.connect('C.2', 'A.2');
  return { net, ab, bc, ca };
}

function view(net: SimNetwork): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, stp] of net.bridges) {
    for (const port of stp.portNumbers())
      out[`${name}.${port}`] = `${stp.portRole(port)}/${stp.portState(port)}`;
  }
  return out;
}

function states(net: SimNetwork, ports: string[]): StpState[] {
  return ports.map((p) => {
    const [b, n] = p.split('.');
    return net.bridge(b).portState(Number(n));
  });
}

const CONVERGED = {
  'A.1': 'designated/forwarding',
  'A.2': 'designated/forwarding',
  'B.1': 'root/forwarding',
  'B.2': 'designated/forwarding',
  'C.1': 'alternate/blocking',
  'C.2': 'root/forwarding',
};

function converged(net: SimNetwork): boolean {
  return JSON.stringify(view(net)) === JSON.stringify(CONVERGED);
}

describe('802.1D STP: the seed triangle', () => {
  it('elects the lowest bridge id as root and blocks exactly one port', () => {
    const { net } = triangle();
    net.run(2 * FD + 1000);
    assert.deepEqual(view(net), CONVERGED);
    const [a, b, c] = ['A', 'B', 'C'].map((n) => net.bridge(n));
    assert.ok(a.isRootBridge());
    assert.ok(!b.isRootBridge() && !c.isRootBridge());
    for (const stp of [a, b, c]) assert.equal(stp.designatedRoot, stpId(0x8000, 0xa));
    assert.deepEqual([a.rootPathCost, b.rootPathCost, c.rootPathCost], [0, 2, 2]);
    assert.deepEqual([a.rootPort, b.rootPort, c.rootPort], [null, 1, 2]);
    const blocked = Object.values(view(net)).filter((v) => v.endsWith('blocking'));
    assert.equal(blocked.length, 1);
  });

  it('goes blocking → listening → learning → forwarding on forward-delay boundaries', () => {
    const { net } = triangle();
    const forwarding = ['A.1', 'A.2', 'B.1', 'B.2', 'C.2'];
    const seen: string[] = [];
    const a = net.bridge('A');
    const stp = new Stp({
      bridgeId: stpId(0x8000, 1),
      now: 0,
      sendBpdu: () => {},
      onPortStateChange: (_p, s) => seen.push(s),
    });
    stp.addPort(1);
    assert.deepEqual(seen, ['blocking', 'listening']);
    net.run(1500);
    assert.deepEqual(new Set(states(net, forwarding)), new Set(['listening']));
    // C.1 listened until B's better BPDU came (B's first relay waited out the 1 s hold time).
    assert.equal(net.bridge('C').portState(1), 'blocking');
    net.run(FD - 1600);
    assert.deepEqual(new Set(states(net, forwarding)), new Set(['listening']));
    net.run(200);
    assert.deepEqual(new Set(states(net, forwarding)), new Set(['learning']));
    assert.equal(a.portInfo(1).secondsInState, 0);
    net.run(FD - 200);
    assert.deepEqual(new Set(states(net, forwarding)), new Set(['learning']));
    assert.equal(a.portInfo(1).secondsInState, 14);
    net.run(200);
    assert.deepEqual(new Set(states(net, forwarding)), new Set(['forwarding']));
    stp.tick(FD);
    stp.tick(2 * FD);
    assert.deepEqual(seen, ['blocking', 'listening', 'learning', 'forwarding']);
  });

  it('reconverges within 2 × forward-delay + max-age after the forwarding link A–B fails silently', () => {
    const { net, ab } = triangle();
    net.run(60000);
    assert.ok(converged(net));
    ab.up = false;
    const took = net.runUntil(
      () => net.bridge('C').portState(1) === 'forwarding' && net.bridge('B').portRole(2) === 'root',
      2 * FD + MAX_AGE + 1000,
    );
    assert.ok(took <= 2 * FD + MAX_AGE, `took ${took} ms`);
    assert.ok(took > 2 * FD, `took ${took} ms`);
    const b = net.bridge('B');
    assert.equal(b.designatedRoot, stpId(0x8000, 0xa));
    assert.equal(b.rootPathCost, 4);
    assert.equal(net.bridge('C').portRole(1), 'designated');
    assert.equal(b.portState(2), 'forwarding');
  });

  it('reconverges within 2 × forward-delay when a root port loses carrier (no max-age wait)', () => {
    const { net, ca } = triangle();
    net.run(60000);
    ca.up = false;
    net.bridge('C').setPortEnabled(2, false);
    net.bridge('A').setPortEnabled(2, false);
    const c = net.bridge('C');
    assert.equal(c.portState(2), 'disabled');
    // As in OVS, a port taken down becomes "designated" for its own segment, and stp_role says so.
    assert.equal(c.portRole(2), 'designated');
    assert.equal(c.rootPort, 1);
    assert.equal(c.portState(1), 'listening');
    const took = net.runUntil(() => c.portState(1) === 'forwarding', 2 * FD + MAX_AGE);
    assert.ok(took <= 2 * FD, `took ${took} ms`);
    assert.equal(c.rootPathCost, 4);
  });

  it('returns to the original tree when the link is restored', () => {
    const { net, ab } = triangle();
    net.run(60000);
    ab.up = false;
    net.run(2 * FD + MAX_AGE + 1000);
    assert.equal(net.bridge('C').portState(1), 'forwarding');
    ab.up = true;
    net.run(2500);
    assert.equal(net.bridge('C').portState(1), 'blocking');
    assert.equal(net.bridge('B').portRole(1), 'root');
    net.runUntil(() => converged(net), 2 * FD + 1000);
    assert.deepEqual(view(net), CONVERGED);
  });

  it('keeps exactly one port out of forwarding at every instant after convergence (no loop)', () => {
    const { net } = triangle();
    net.run(40000);
    for (let i = 0; i < 100; i++) {
      net.run(1000);
      const notForwarding = Object.values(view(net)).filter((v) => !v.endsWith('forwarding'));
      assert.deepEqual(notForwarding, ['alternate/blocking']);
    }
  });
});

describe('802.1D STP: topology change', () => {
  /** R — M — L in a line, converged, with the topology-change period over. */
  function line(): SimNetwork {
    const net = new SimNetwork();
    net.addBridge('R', stpId(0x1000, 1));
    net.addBridge('M', stpId(0x8000, 2));
    net.addBridge('L', stpId(0x8000, 3));
    net.connect('R.1', 'M.1');
    net.connect('M.2', 'L.1');
    net.run(2 * FD + MAX_AGE + FD + 5000);
    for (const stp of net.bridges.values()) {
      assert.equal(stp.topologyChange, false);
      stp.checkAndResetFdbFlush();
    }
    return net;
  }

  it('a new forwarding port on a leaf sends TCNs up to the root, which sets TC for everyone', () => {
    const net = line();
    const start = net.sent.length;
    const l = net.bridge('L');
    l.addPort(3, { name: 'edge' });
    net.run(2 * FD);
    assert.equal(l.portState(3), 'forwarding');
    const sentNow = net.sent.slice(start);
    const tcnFrom = sentNow
      .filter((s) => s.bpdu.type === 'tcn')
      .map((s) => `${s.from.bridge}.${s.from.port}`);
    assert.deepEqual([...new Set(tcnFrom)], ['L.1', 'M.1']);
    const acks = sentNow.filter((s) => s.bpdu.type === 'config' && s.bpdu.topologyChangeAck);
    assert.deepEqual([...new Set(acks.map((s) => s.from.bridge))].sort(), ['M', 'R']);
    net.run(2500);
    for (const stp of net.bridges.values()) assert.equal(stp.topologyChange, true);
    assert.equal(net.bridge('M').checkAndResetFdbFlush(), true);
    assert.equal(net.bridge('M').checkAndResetFdbFlush(), false);
    // The TCNs stop once acknowledged.
    const before = net.sent.filter((s) => s.bpdu.type === 'tcn').length;
    net.run(10000);
    assert.equal(net.sent.filter((s) => s.bpdu.type === 'tcn').length, before);
  });

  it('the root clears TC after max-age + forward-delay, and the others follow', () => {
    const net = line();
    const r = net.bridge('R');
    r.forceTopologyChange();
    assert.equal(r.topologyChange, true);
    net.run(MAX_AGE + FD - 500);
    assert.equal(r.topologyChange, true);
    assert.equal(net.bridge('L').topologyChange, true);
    net.run(1000);
    assert.equal(r.topologyChange, false);
    net.run(2500);
    for (const stp of net.bridges.values()) assert.equal(stp.topologyChange, false);
  });

  it('bumps seq on every port-state or root change', () => {
    const net = line();
    const m = net.bridge('M');
    const seq = m.seq;
    net.run(10000);
    assert.equal(m.seq, seq);
    m.setPortEnabled(2, false);
    assert.ok(m.seq > seq);
  });
});

describe('802.1D STP: knobs', () => {
  it('a lower stp-priority makes a bridge root and moves the blocked port', () => {
    const { net } = triangle();
    net.run(40000);
    net.bridge('C').setBridgePriority(0x1000);
    net.run(2 * FD + 5000);
    const [a, b, c] = ['A', 'B', 'C'].map((n) => net.bridge(n));
    assert.ok(c.isRootBridge());
    assert.equal(a.designatedRoot, stpId(0x1000, 0xc));
    assert.deepEqual(view(net), {
      'A.1': 'designated/forwarding',
      'A.2': 'root/forwarding',
      'B.1': 'alternate/blocking',
      'B.2': 'root/forwarding',
      'C.1': 'designated/forwarding',
      'C.2': 'designated/forwarding',
    });
    assert.equal(b.rootPathCost, 2);
  });

  it('a high stp-path-cost moves the root port', () => {
    const { net } = triangle();
    net.run(40000);
    net.bridge('C').setPathCost(2, 100);
    net.run(2 * FD + 5000);
    const c = net.bridge('C');
    assert.equal(c.rootPort, 1);
    assert.equal(c.rootPathCost, 4);
    assert.equal(c.portRole(2), 'alternate');
    assert.equal(c.portState(2), 'blocking');
    assert.equal(net.bridge('B').portRole(2), 'designated');
    assert.equal(net.bridge('B').portState(2), 'forwarding');
  });

  it('stp-port-priority and the port number break ties between parallel links', () => {
    const net = new SimNetwork();
    net.addBridge('A', stpId(0x8000, 1));
    net.addBridge('B', stpId(0x8000, 2));
    net.connect('A.1', 'B.1');
    net.connect('A.2', 'B.2');
    net.run(2 * FD + 1000);
    const b = net.bridge('B');
    assert.equal(b.rootPort, 1);
    assert.equal(b.portRole(2), 'alternate');
    net.bridge('A').setPortPriority(2, 0x10);
    net.run(2 * FD + 5000);
    assert.equal(b.rootPort, 2);
    assert.equal(b.portState(2), 'forwarding');
    assert.equal(b.portState(1), 'blocking');
    assert.equal(net.bridge('A').portId(2), 0x1002);
  });

  it('non-default timers of the root are learned and used by every bridge', () => {
    const net = new SimNetwork();
    net.addBridge('A', stpId(0x8000, 1), { helloTime: 1000, maxAge: 10000, forwardDelay: 6000 });
    net.addBridge('B', stpId(0x8000, 2));
    net.connect('A.1', 'B.1');
    net.run(100);
    const b = net.bridge('B');
    assert.deepEqual([b.helloTime, b.maxAge, b.forwardDelay], [1000, 10000, 6000]);
    assert.deepEqual([b.bridgeHelloTime, b.bridgeMaxAge, b.bridgeForwardDelay], [2000, 20000, 15000]);
    net.run(5800);
    assert.equal(b.portState(1), 'listening');
    net.run(200);
    assert.equal(b.portState(1), 'learning');
    net.run(6000);
    assert.equal(b.portState(1), 'forwarding');
    const from = net.sent.length;
    net.run(10000);
    const hellos = net.sent.slice(from).filter((s) => s.from.bridge === 'A' && s.bpdu.type === 'config');
    assert.equal(hellos.length, 10);
    const bpdu = hellos[0].bpdu;
    assert.ok(bpdu.type === 'config' && bpdu.helloTime === 256 && bpdu.maxAge === 2560);
  });

  it('clamps timers as Open vSwitch does', () => {
    const stp = new Stp({ bridgeId: stpId(0x8000, 1), now: 0, sendBpdu: () => {} });
    stp.setHelloTime(500);
    assert.equal(stp.bridgeHelloTime, 1000);
    stp.setMaxAge(50000);
    assert.equal(stp.bridgeMaxAge, 40000);
    assert.equal(stp.bridgeForwardDelay, 21000);
    stp.setHelloTime(10000);
    assert.equal(stp.bridgeMaxAge, 40000);
    stp.setMaxAge(1000);
    assert.equal(stp.bridgeMaxAge, 22000);
    assert.equal(stp.helloTime, 10000);
  });

  it('a zero priority in the bridge id means the default 32768; stp-system-id replaces the MAC', () => {
    const stp = new Stp({ bridgeId: 0x5254001234abn, now: 0, sendBpdu: () => {} });
    assert.equal(stp.bridgeId, 0x8000_5254001234abn);
    stp.setSystemId(0x020000000001n);
    assert.equal(stp.bridgeId, 0x8000_020000000001n);
    stp.setBridgePriority(0);
    assert.equal(stp.bridgeId, 0x0000_020000000001n);
  });

  it('path cost defaults from link speed as OVS 3.1 (unknown = 10 Gb/s)', () => {
    const stp = new Stp({ bridgeId: stpId(0x8000, 1), now: 0, sendBpdu: () => {} });
    stp.addPort(1);
    stp.addPort(2, { speedMbps: 100 });
    stp.addPort(3, { speedMbps: 10 });
    stp.addPort(4, { pathCost: 7, priority: 64 });
    const costs = [1, 2, 3, 4].map((p) => stp.portInfo(p).pathCost);
    assert.deepEqual(costs, [2, 19, 100, 7]);
    assert.equal(stp.portId(4), 0x4004);
  });

  it('rejects bad arguments with typed errors', () => {
    const stp = new Stp({ bridgeId: stpId(0x8000, 1), now: 0, sendBpdu: () => {} });
    stp.addPort(1);
    const code = (fn: () => void): string => {
      try {
        fn();
      } catch (err) {
        assert.ok(err instanceof StpError);
        return err.code;
      }
      return 'no error';
    };
    assert.equal(
      code(() => stp.addPort(1)),
      'STP_PORT_EXISTS',
    );
    assert.equal(
      code(() => stp.addPort(256)),
      'STP_INVALID_ARGUMENT',
    );
    assert.equal(
      code(() => stp.addPort(0)),
      'STP_INVALID_ARGUMENT',
    );
    assert.equal(
      code(() => stp.portState(9)),
      'STP_NO_SUCH_PORT',
    );
    assert.equal(
      code(() => stp.setPathCost(1, 65536)),
      'STP_INVALID_ARGUMENT',
    );
    assert.equal(
      code(() => stp.setPortPriority(1, 256)),
      'STP_INVALID_ARGUMENT',
    );
    assert.equal(
      code(() => stp.setBridgePriority(65536)),
      'STP_INVALID_ARGUMENT',
    );
  });

  it('a removed port stops taking part, and its peer takes over', () => {
    const { net, ab } = triangle();
    net.run(40000);
    ab.up = false;
    net.bridge('B').removePort(1);
    net.bridge('A').setPortEnabled(1, false);
    assert.deepEqual(net.bridge('B').portNumbers(), [2]);
    // C only learns of it when B's relayed information ages out on C.1.
    net.run(2 * FD + MAX_AGE + 1000);
    assert.equal(net.bridge('C').portState(1), 'forwarding');
  });
});

describe('802.1D STP: malformed and stray BPDUs', () => {
  it('counts malformed frames in errorCount and otherwise ignores them', () => {
    const { net } = triangle();
    net.run(40000);
    const c = net.bridge('C');
    const before = c.portInfo(1);
    net.inject({ bridge: 'C', port: 1 }, Uint8Array.of(1, 0x80, 0xc2, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 7));
    net.inject({ bridge: 'C', port: 1 }, new Uint8Array(60));
    const garbage = Uint8Array.from({ length: 52 }, (_, i) => (i * 37) & 0xff);
    garbage.set([1, 0x80, 0xc2, 0, 0, 0], 0);
    net.inject({ bridge: 'C', port: 1 }, garbage);
    const after = c.portInfo(1);
    assert.equal(after.errorCount, before.errorCount + 3);
    assert.equal(after.rxCount, before.rxCount);
    assert.equal(after.state, 'blocking');
    net.run(10000);
    assert.ok(converged(net));
  });

  it('ignores a BPDU whose message age has reached its max age, and BPDUs on a disabled port', () => {
    const stp = new Stp({ bridgeId: stpId(0x8000, 5), now: 0, sendBpdu: () => {} });
    stp.addPort(1);
    const stale = {
      type: 'config' as const,
      topologyChange: false,
      topologyChangeAck: false,
      rootId: stpId(0x1000, 1),
      rootPathCost: 0,
      bridgeId: stpId(0x1000, 1),
      portId: 0x8001,
      messageAge: 20 * 256,
      maxAge: 20 * 256,
      helloTime: 512,
      forwardDelay: 15 * 256,
    };
    stp.receiveBpdu(1, stale, 10);
    assert.ok(stp.isRootBridge());
    assert.equal(stp.portInfo(1).rxCount, 1);
    stp.setPortEnabled(1, false);
    stp.receiveBpdu(1, { ...stale, messageAge: 0 }, 20);
    stp.countError(1);
    assert.ok(stp.isRootBridge());
    assert.equal(stp.portInfo(1).rxCount, 1);
    assert.equal(stp.portInfo(1).errorCount, 0);
    stp.setPortEnabled(1, true);
    stp.receiveBpdu(1, { ...stale, messageAge: 0 }, 30);
    assert.equal(stp.designatedRoot, stpId(0x1000, 1));
    assert.equal(stp.portRole(1), 'root');
  });

  it('receiveFrame parses wire frames, counting the malformed ones', () => {
    const stp = new Stp({ bridgeId: stpId(0x8000, 5), now: 0, sendBpdu: () => {} });
    stp.addPort(1);
    const ring = new Uint8Array(128);
    ring.set(encodeStpFrame('02:00:00:00:00:09', { type: 'tcn' }), 40);
    stp.receiveFrame(1, ring, 40, 60, 10);
    stp.receiveFrame(1, ring, 0, 60, 20);
    assert.deepEqual([stp.portInfo(1).rxCount, stp.portInfo(1).errorCount], [1, 1]);
  });

  it('sends at most one Configuration BPDU per second per port (hold time)', () => {
    const sent: number[] = [];
    const stp = new Stp({ bridgeId: stpId(0x8000, 1), now: 0, sendBpdu: (port) => sent.push(port) });
    stp.addPort(1);
    stp.tick(10);
    assert.equal(sent.length, 1);
    // Each TCN asks for an acknowledging Configuration BPDU; within the hold time they are held back.
    for (let t = 20; t <= 60; t += 10) stp.receiveBpdu(1, { type: 'tcn' }, t);
    assert.equal(sent.length, 1);
    stp.tick(1060);
    assert.equal(sent.length, 2);
  });
});
