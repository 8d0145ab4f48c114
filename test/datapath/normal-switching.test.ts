// The datapath and ofproto together on dummy ports: NORMAL switching served from the caches — flooding,
// learning, unicast after learning, invalidation of exactly the flows behind a moved MAC, VLAN tags on
// the frames that leave a trunk, and `dpctl/dump-flows` lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetdevDatapath } from '../../src/datapath/dpif-netdev.js';
import { DummyNetdev } from '../../src/netdev/dummy.js';
import { Ofproto, type PortSettings } from '../../src/ofproto/ofproto.js';
import { udpFrame } from '../../src/packet/builder.js';

const A = '50:54:00:00:00:0a';
const B = '50:54:00:00:00:0b';
const BCAST = 'ff:ff:ff:ff:ff:ff';

function udp(src: string, dst: string, vid?: number): Uint8Array {
  return udpFrame({
    srcMac: src,
    dstMac: dst,
    vlans: vid === undefined ? [] : [{ vid }],
    src: '10.0.0.1',
    dst: '10.0.0.2',
    srcPort: 1000,
    dstPort: 2000,
    payload: new Uint8Array(18),
  });
}

function bridge(ports: Partial<PortSettings>[]): {
  dp: NetdevDatapath;
  of: Ofproto;
  nd: DummyNetdev[];
  clock: { now: number };
} {
  const clock = { now: 100000 };
  const dp = new NetdevDatapath(() => clock.now);
  const of = new Ofproto(dp);
  dp.setUpcallHandler(of);
  of.setBridge({ name: 'br0', macAgingTime: 300, macTableSize: 2048, forwardBpdu: false });
  const nd = ports.map((p, i) => {
    const d = new DummyNetdev(`p${i + 1}`);
    const n = dp.addPort(d).number;
    of.setPort('br0', {
      name: `p${i + 1}`,
      ofport: i + 1,
      dpPort: n,
      tag: null,
      trunks: [],
      vlanMode: null,
      patchPeer: null,
      ...p,
    });
    return d;
  });
  return { dp, of, nd, clock };
}

test('unknown destinations flood, learned ones are unicast, from the caches', () => {
  const { dp, of, nd, clock } = bridge([{}, {}, {}]);
  nd[0].receive(udp(A, BCAST));
  assert.deepEqual(
    nd.map((d) => d.takeSent().length),
    [0, 1, 1],
  );
  nd[1].receive(udp(B, A));
  assert.deepEqual(
    nd.map((d) => d.takeSent().length),
    [1, 0, 0],
  );
  nd[0].receive(udp(A, B), udp(A, B), udp(A, B));
  assert.deepEqual(
    nd.map((d) => d.takeSent().length),
    [0, 3, 0],
  );
  assert.equal(dp.stats().hit, 2);
  assert.match(of.fdbShow('br0', clock.now), /\n {4}1 {5}0 {2}50:54:00:00:00:0a/);
  const lines = dp.dumpFlows(clock.now);
  assert.ok(
    lines.some(
      (l) => l.includes('in_port(1)') && l.includes('dst=50:54:00:00:00:0b') && l.endsWith('actions:2'),
    ),
  );
});

test('a MAC that moves invalidates the flows that sent to its old port', () => {
  const { dp, nd } = bridge([{}, {}, {}]);
  nd[0].receive(udp(A, BCAST));
  nd[1].receive(udp(B, A));
  nd[1].receive(udp(B, A));
  assert.equal(nd[0].takeSent().length, 2);
  nd[2].receive(udp(A, BCAST)); // A now behind port 3
  for (const d of nd) d.takeSent();
  nd[1].receive(udp(B, A));
  assert.equal(nd[0].takeSent().length, 0);
  assert.equal(nd[2].takeSent().length, 1);
  assert.ok(dp.stats().flows >= 1);
});

test('access ports on one VLAN reach a trunk tagged, and not another VLAN', () => {
  const { nd } = bridge([{ tag: 10 }, { tag: 20 }, { trunks: [10, 20] }]);
  nd[0].receive(udp(A, BCAST));
  assert.equal(nd[1].takeSent().length, 0, 'VLAN 20 access port is isolated');
  const [tagged] = nd[2].takeSent();
  assert.deepEqual(tagged, udp(A, BCAST, 10));
  nd[2].receive(udp(B, A, 10));
  assert.deepEqual(nd[0].takeSent(), [udp(B, A)]);
});
