// The spanning tree inside the switch: three bridges of one ofproto/datapath joined in the seed's
// triangle by in-memory wires. Without STP one broadcast circulates forever; with STP the tree converges
// with exactly one blocked port, BPDUs travel as real 802.1D frames through the datapath's slow path,
// a broadcast from a host reaches the other host once, and stp/show reports the tree. The same triangle
// runs RSTP (802.1w): it converges by proposal/agreement in well under a second of switch time, and when
// a link goes down the alternate port takes over at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetdevDatapath } from '../../src/datapath/dpif-netdev.js';
import { DummyNetdev } from '../../src/netdev/dummy.js';
import { Ofproto, type PortSettings } from '../../src/ofproto/ofproto.js';
import { rstpBridgeSettings, rstpPortSettings } from '../../src/ofproto/rstp/config.js';
import { stpBridgeSettings, stpPortSettings } from '../../src/ofproto/stp/config.js';
import { udpFrame } from '../../src/packet/builder.js';

/** A dummy port whose sent frames arrive at its peer when the test pumps the wires. */
class WiredPort extends DummyNetdev {
  peer: WiredPort | undefined;
}

interface Net {
  dp: NetdevDatapath;
  of: Ofproto;
  clock: { now: number };
  ports: Map<string, WiredPort>;
  /** Delivers frames in flight until none are left or `limit` frames moved; returns frames moved. */
  pump(limit?: number): number;
}

const BRIDGES: Record<string, string[]> = {
  br1: ['p12', 'p13', 'h1'],
  br2: ['p21', 'p23', 'h2'],
  br3: ['p31', 'p32'],
};
const WIRES = [
  ['p12', 'p21'],
  ['p13', 'p31'],
  ['p23', 'p32'],
];

function triangle(tree: boolean | 'rstp'): Net {
  const stp = tree === true;
  const clock = { now: 1_000_000 };
  const dp = new NetdevDatapath(() => clock.now);
  const of = new Ofproto(dp, undefined, () => clock.now);
  dp.setUpcallHandler(of);
  const ports = new Map<string, WiredPort>();
  let n = 0;
  for (const [br, names] of Object.entries(BRIDGES)) {
    n++;
    const mac = BigInt(`0x0200000000${n.toString(16).padStart(2, '0')}`);
    of.setBridge({
      name: br,
      macAgingTime: 300,
      macTableSize: 2048,
      forwardBpdu: false,
      stp: stp ? stpBridgeSettings(br, { 'stp-priority': String(0x8000 + n) }, mac) : null,
      rstp: tree === 'rstp' ? rstpBridgeSettings(br, { 'rstp-priority': String(4096 * n) }, mac) : null,
    });
    names.forEach((name, i) => {
      const nd = new WiredPort(name);
      ports.set(name, nd);
      const settings: PortSettings = {
        name,
        ofport: i + 1,
        dpPort: dp.addPort(nd).number,
        tag: null,
        trunks: [],
        vlanMode: null,
        patchPeer: null,
        stp: stpPortSettings({}),
        rstp: rstpPortSettings({}),
        mac: nd.mac(),
      };
      of.setPort(br, settings);
    });
  }
  for (const [a, b] of WIRES) {
    const pa = ports.get(a) as WiredPort;
    const pb = ports.get(b) as WiredPort;
    pa.peer = pb;
    pb.peer = pa;
  }
  const pump = (limit = 10000): number => {
    let moved = 0;
    for (;;) {
      let any = false;
      for (const p of ports.values()) {
        if (p.peer === undefined) continue;
        const frames = p.takeSent();
        if (frames.length === 0) continue;
        any = true;
        moved += frames.length;
        p.peer.receive(...frames);
        if (moved >= limit) return moved;
      }
      if (!any) return moved;
    }
  };
  return { dp, of, clock, ports, pump };
}

/** Runs the switch for `ms` of test time in 250 ms steps, delivering BPDUs as they are sent. */
function runFor(net: Net, ms: number): void {
  for (let t = 0; t < ms; t += 250) {
    net.clock.now += 250;
    net.of.run(net.clock.now);
    net.dp.tick(net.clock.now);
    net.pump();
  }
}

function broadcast(src: string): Uint8Array {
  return udpFrame({
    srcMac: src,
    dstMac: 'ff:ff:ff:ff:ff:ff',
    src: '192.168.10.1',
    dst: '192.168.10.255',
    srcPort: 1,
    dstPort: 2,
    payload: new Uint8Array(18),
  });
}

test('without STP a broadcast in the triangle circulates forever', () => {
  const net = triangle(false);
  net.ports.get('h1')?.receive(broadcast('02:00:00:00:aa:01'));
  assert.equal(net.pump(5000), 5000, 'still circulating after 5000 frame deliveries');
});

test('with STP the triangle converges with one blocked port and a broadcast arrives once', () => {
  const net = triangle(true);
  runFor(net, 40_000);
  const show = net.of.stpShow(null);
  const blocking = [...show.matchAll(/^\s+(\S+)\s+(\S+)\s+(\S+)/gm)].filter((m) => m[3] === 'blocking');
  assert.equal(blocking.length, 1, show);
  assert.match(show, /---- br1 ----[\s\S]*This bridge is the root/);
  const h2 = net.ports.get('h2') as WiredPort;
  h2.takeSent();
  net.ports.get('h1')?.receive(broadcast('02:00:00:00:aa:01'));
  const moved = net.pump(5000);
  assert.ok(moved < 10, `the broadcast stopped after ${moved} deliveries`);
  const atH2 = h2.takeSent().filter((f) => f[0] === 0xff);
  assert.equal(atH2.length, 1, 'host 2 got the broadcast exactly once');
});

test('cutting a forwarding link of the loop unblocks the blocked port', () => {
  const net = triangle(true);
  runFor(net, 40_000);
  const blocked = () =>
    [...net.of.stpShow(null).matchAll(/^\s+(\S+)\s+(\S+)\s+(\S+)/gm)]
      .filter((m) => m[3] === 'blocking')
      .map((m) => m[1]);
  const before = blocked();
  assert.equal(before.length, 1);
  // Cut br1-br2 (p12/p21): a link between the root and a non-root bridge that carries traffic.
  const p12 = net.ports.get('p12') as WiredPort;
  const p21 = net.ports.get('p21') as WiredPort;
  p12.peer = undefined;
  p21.peer = undefined;
  runFor(net, 2 * 15_000 + 20_000 + 1000);
  assert.deepEqual(blocked(), [], net.of.stpShow(null));
});

// 802.1D shortens MAC aging to forward delay during a topology change; Open vSwitch (and we) go further
// and flush the table on every Configuration BPDU with TC that arrives on the root port (each hello).
test('during an STP topology change learned MACs go with the next TC BPDU, and stay once it is over', () => {
  const net = triangle(true);
  runFor(net, 40_000);
  const learned = () => /02:00:00:00:aa:01/.test(net.of.fdbShow('br2', net.clock.now));
  const tc = () => {
    const tree = net.of.treeOf('br2');
    return tree?.kind === 'stp' && tree.stp.topologyChange;
  };
  // stp/tcn on the root: every bridge hears TC for max-age + forward-delay (20 + 15 s here).
  net.of.stpTcn('br1');
  runFor(net, 2000);
  assert.ok(tc(), 'br2 heard the topology change');
  net.ports.get('h1')?.receive(broadcast('02:00:00:00:aa:01'));
  net.pump();
  assert.ok(learned(), 'learned on br2');
  runFor(net, 2500);
  assert.ok(!learned(), 'flushed by the next hello while TC is set');
  runFor(net, 40_000);
  assert.ok(!tc(), 'TC is over');
  net.ports.get('h1')?.receive(broadcast('02:00:00:00:aa:01'));
  net.pump();
  runFor(net, 16_000);
  assert.ok(learned(), 'kept past 15 s once TC is over (mac-aging-time 300 s)');
});

/** rstp/show's port lines: [interface, role, state]. */
function rstpPorts(net: Net): string[][] {
  return [...net.of.rstpShow(null).matchAll(/^ {2}(\S+) +(Root|Designated|Alternate|Backup) +(\S+)/gm)].map(
    (m) => [m[1], m[2], m[3]],
  );
}

/** Whether a broadcast from host 1 reaches host 2 exactly once and then stops. */
function broadcastArrivesOnce(net: Net): boolean {
  const h2 = net.ports.get('h2') as WiredPort;
  h2.takeSent();
  net.ports.get('h1')?.receive(broadcast('02:00:00:00:aa:01'));
  const moved = net.pump(5000);
  return moved < 10 && h2.takeSent().filter((f) => f[0] === 0xff).length === 1;
}

test('with RSTP the triangle converges within a second: one alternate port discarding', () => {
  const net = triangle('rstp');
  runFor(net, 1000);
  const ports = rstpPorts(net);
  const alternate = ports.filter(([, role]) => role === 'Alternate');
  assert.equal(alternate.length, 1, net.of.rstpShow(null));
  assert.equal(alternate[0][2], 'Discarding');
  // Between the bridges every port but the alternate one forwards already (proposal/agreement).
  const links = ports.filter(([name]) => name !== 'h1' && name !== 'h2');
  assert.equal(
    links.filter(([, , state]) => state === 'Forwarding').length,
    links.length - 1,
    net.of.rstpShow(null),
  );
  assert.match(net.of.rstpShow('br1'), /This bridge is the root/);
  // The host ports hear no BPDU: after the migration time (3 s) they are edge ports and forward.
  runFor(net, 3000);
  const hosts = rstpPorts(net).filter(([name]) => name === 'h1' || name === 'h2');
  assert.deepEqual(
    hosts.map(([, , state]) => state),
    ['Forwarding', 'Forwarding'],
  );
  assert.ok(broadcastArrivesOnce(net), 'a broadcast reaches host 2 once');
});

test('with RSTP a link going down hands over to the alternate port at once', () => {
  const net = triangle('rstp');
  runFor(net, 5000);
  const before = rstpPorts(net).find(([, role]) => role === 'Alternate');
  assert.ok(before !== undefined, net.of.rstpShow(null));
  // Cut br1-br2 (p12/p21) and tell the switch both links went down, as the link monitor does.
  const p12 = net.ports.get('p12') as WiredPort;
  const p21 = net.ports.get('p21') as WiredPort;
  p12.peer = undefined;
  p21.peer = undefined;
  net.of.setLink('p12', false);
  net.of.setLink('p21', false);
  net.pump();
  runFor(net, 250);
  const after = rstpPorts(net);
  assert.equal(after.filter(([, role]) => role === 'Alternate').length, 0, net.of.rstpShow(null));
  assert.ok(
    after.filter(([name]) => name !== 'p12' && name !== 'p21').every(([, , state]) => state === 'Forwarding'),
    net.of.rstpShow(null),
  );
  assert.ok(broadcastArrivesOnce(net), 'traffic flows again around the other way');
  // Restoring the link: the loop is closed again and one port goes back to discarding.
  p12.peer = p21;
  p21.peer = p12;
  net.of.setLink('p12', true);
  net.of.setLink('p21', true);
  runFor(net, 5000);
  assert.equal(rstpPorts(net).filter(([, role]) => role === 'Alternate').length, 1, net.of.rstpShow(null));
  assert.ok(broadcastArrivesOnce(net), 'no storm after the loop closed again');
});

test('with RSTP a silent link failure is noticed within three hello times', () => {
  const net = triangle('rstp');
  runFor(net, 5000);
  const p12 = net.ports.get('p12') as WiredPort;
  const p21 = net.ports.get('p21') as WiredPort;
  p12.peer = undefined;
  p21.peer = undefined;
  runFor(net, 3 * 2000 + 1000);
  assert.equal(rstpPorts(net).filter(([, role]) => role === 'Alternate').length, 0, net.of.rstpShow(null));
  assert.ok(broadcastArrivesOnce(net), 'traffic flows again around the other way');
});
