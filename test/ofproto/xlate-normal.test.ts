// NORMAL translation through Ofproto with hand-built flow keys and a fake datapath: forwarding, VLANs,
// patch ports, reserved and multicast addresses. Expected action strings follow what a real
// ovs-vswitchd 3.1 (userspace datapath) installed for the same frames.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatActions } from '../../src/datapath/actions.js';
import {
  type BridgeSettings,
  OFPP_LOCAL,
  type Ofproto,
  type PortSettings,
} from '../../src/ofproto/ofproto.js';
import { bridgeSettings, makeKey, makeOfproto, portSettings, type TestKey } from './helpers.js';

const A = '00:00:00:00:00:0a';
const B = '00:00:00:00:00:0b';
const C = '00:00:00:00:00:0c';
const BCAST = 'ff:ff:ff:ff:ff:ff';

/** Builds a bridge from port specs; port i (from 1) gets ofport i and datapath port i unless given. */
function bridge(
  ofp: Ofproto,
  name: string,
  ports: Partial<PortSettings>[],
  over: Partial<BridgeSettings> = {},
) {
  ofp.setBridge(bridgeSettings(name, over));
  ports.forEach((p, i) => {
    ofp.setPort(name, portSettings(p.name ?? `p${i + 1}`, p.ofport ?? i + 1, p.dpPort ?? i + 1, p));
  });
}

function run(ofp: Ofproto, k: TestKey, now = 0): string {
  return formatActions(ofp.translate(makeKey(k), now).actions);
}

describe('NORMAL: learning switch', () => {
  test('unknown destinations flood to every port but the input one', () => {
    const { ofp } = makeOfproto();
    bridge(ofp, 'br0', [{ name: 'br0', ofport: OFPP_LOCAL, dpPort: 10 }, {}, {}, {}]);
    assert.equal(run(ofp, { inPort: 2, src: A, dst: BCAST }), '10,3,4');
    assert.equal(run(ofp, { inPort: 10, src: B, dst: C }), '2,3,4');
  });

  test('a learned destination gets exactly one output', () => {
    const { ofp } = makeOfproto();
    bridge(ofp, 'br0', [{}, {}, {}]);
    run(ofp, { inPort: 1, src: A, dst: BCAST });
    assert.equal(run(ofp, { inPort: 2, src: B, dst: A }), '1');
    assert.equal(run(ofp, { inPort: 3, src: C, dst: B }), '2');
  });

  test('never reflects: a destination learned on the input port is dropped', () => {
    const { ofp } = makeOfproto();
    bridge(ofp, 'br0', [{}, {}]);
    run(ofp, { inPort: 1, src: A, dst: BCAST });
    assert.equal(run(ofp, { inPort: 1, src: B, dst: A }), 'drop');
  });

  test('a frame from a MAC to itself learns it first, so it is not sent back', () => {
    const { ofp } = makeOfproto();
    bridge(ofp, 'br0', [{}, {}]);
    assert.equal(run(ofp, { inPort: 1, src: A, dst: A }), 'drop');
  });

  test('multicast sources are forwarded but never learned (as OVS does)', () => {
    const { ofp } = makeOfproto();
    bridge(ofp, 'br0', [{}, {}, {}]);
    const r = ofp.translate(makeKey({ inPort: 1, src: '01:00:00:00:00:09', dst: BCAST }), 0);
    assert.equal(formatActions(r.actions), '2,3');
    r.onUsed?.(1, 1, 60, false);
    assert.equal(ofp.fdbShow('br0', 0), ' port  VLAN  MAC                Age\n');
  });

  test('reserved destinations (BPDUs, LLDP, CDP) are dropped unless forward-bpdu is set', () => {
    const { ofp, dp } = makeOfproto();
    bridge(ofp, 'br0', [{}, {}, {}]);
    assert.equal(run(ofp, { inPort: 1, src: A, dst: '01:80:c2:00:00:00' }), 'drop');
    assert.equal(run(ofp, { inPort: 1, src: A, dst: '01:80:c2:00:00:0e' }), 'drop');
    assert.equal(run(ofp, { inPort: 1, src: A, dst: '01:00:0c:cc:cc:cc' }), 'drop');
    assert.equal(run(ofp, { inPort: 1, src: A, dst: '01:80:c2:00:00:10' }), '2,3', 'not reserved');
    assert.equal(ofp.fdbShow('br0', 0).split('\n').length, 3, 'only the last frame was learned from');
    dp.take();
    ofp.setBridge(bridgeSettings('br0', { forwardBpdu: true }));
    assert.deepEqual(dp.take(), ['bridge:br0']);
    assert.equal(run(ofp, { inPort: 1, src: A, dst: '01:80:c2:00:00:00' }), '2,3');
  });

  test('a port that is not attached yet (no datapath port, no peer) gets nothing', () => {
    const { ofp } = makeOfproto();
    bridge(ofp, 'br0', [{}, { dpPort: null }, {}]);
    assert.equal(run(ofp, { inPort: 1, src: A, dst: BCAST }), '3');
  });
});

describe('NORMAL: VLANs', () => {
  test('access ports are isolated per VLAN, in flooding and in learning', () => {
    const { ofp } = makeOfproto();
    bridge(ofp, 'br0', [{ tag: 10 }, { tag: 10 }, { tag: 20 }, { tag: 20 }]);
    assert.equal(run(ofp, { inPort: 1, src: A, dst: BCAST }), '2');
    assert.equal(run(ofp, { inPort: 3, src: B, dst: BCAST }), '4');
    assert.equal(run(ofp, { inPort: 3, src: B, dst: A }), '4', 'A is known in VLAN 10 only');
    assert.equal(run(ofp, { inPort: 2, src: C, dst: A }), '1');
  });

  test('a trunk carries every VLAN tagged: push before tagged outputs, pop before untagged ones', () => {
    const { ofp } = makeOfproto();
    bridge(ofp, 'br0', [{ tag: 10 }, {}, { tag: 10 }, { trunks: [10, 20] }, { tag: 20 }]);
    assert.equal(
      run(ofp, { inPort: 1, src: A, dst: BCAST }),
      'push_vlan(vid=10,pcp=0),2,pop_vlan,3,push_vlan(vid=10,pcp=0),4',
    );
    assert.equal(run(ofp, { inPort: 2, src: B, dst: BCAST, vlan: { vid: 20 } }), '4,pop_vlan,5');
    assert.equal(run(ofp, { inPort: 2, src: B, dst: A, vlan: { vid: 10, pcp: 3 } }), 'pop_vlan,1');
    assert.equal(run(ofp, { inPort: 3, src: C, dst: B }), 'push_vlan(vid=10,pcp=0),2');
  });

  test('untagged traffic on trunks is VLAN 0 and stays untagged', () => {
    const { ofp } = makeOfproto();
    bridge(ofp, 'br0', [{}, {}, { tag: 10 }, { trunks: [10] }]);
    assert.equal(run(ofp, { inPort: 1, src: A, dst: BCAST }), '2');
    assert.match(ofp.fdbShow('br0', 0), / {4}1 {5}0 {2}00:00:00:00:00:0a/);
  });

  test('native-untagged and native-tagged ports', () => {
    const { ofp } = makeOfproto();
    bridge(ofp, 'br0', [
      { vlanMode: 'native-untagged', tag: 30 },
      { vlanMode: 'native-tagged', tag: 30 },
      {},
      { tag: 30 },
    ]);
    assert.equal(run(ofp, { inPort: 1, src: A, dst: BCAST }), 'push_vlan(vid=30,pcp=0),2,3,pop_vlan,4');
    assert.equal(
      run(ofp, { inPort: 3, src: B, dst: BCAST, vlan: { vid: 30 } }),
      'pop_vlan,1,push_vlan(vid=30,pcp=0),2,pop_vlan,4',
    );
    assert.equal(run(ofp, { inPort: 2, src: C, dst: BCAST }), '1,push_vlan(vid=30,pcp=0),3,pop_vlan,4');
    assert.equal(run(ofp, { inPort: 1, src: A, dst: B, vlan: { vid: 7 } }), '2,3', 'VLAN 7 trunked by both');
  });

  test('disallowed VLANs are dropped', () => {
    const { ofp } = makeOfproto();
    bridge(ofp, 'br0', [
      { tag: 10 },
      { trunks: [10] },
      {},
      { vlanMode: 'native-untagged', tag: 30, trunks: [10] },
    ]);
    assert.equal(run(ofp, { inPort: 1, src: A, dst: BCAST, vlan: { vid: 10 } }), 'drop', 'tagged on access');
    assert.equal(run(ofp, { inPort: 2, src: A, dst: BCAST, vlan: { vid: 20 } }), 'drop', 'not in trunks');
    assert.equal(run(ofp, { inPort: 2, src: A, dst: BCAST }), 'drop', 'VLAN 0 not in trunks');
    assert.equal(run(ofp, { inPort: 4, src: A, dst: BCAST, vlan: { vid: 20 } }), 'drop');
    assert.equal(ofp.fdbShow('br0', 0), ' port  VLAN  MAC                Age\n', 'nothing learned');
  });

  test('priority-tagged frames: an access port keeps the PCP; an empty priority tag is stripped', () => {
    const { ofp } = makeOfproto();
    bridge(ofp, 'br0', [{ tag: 10 }, {}, { tag: 10 }]);
    assert.equal(
      run(ofp, { inPort: 1, src: A, dst: BCAST, vlan: { vid: 0, pcp: 5 } }),
      'pop_vlan,push_vlan(vid=10,pcp=5),2,pop_vlan,3',
    );
    bridge(ofp, 'br1', [
      { name: 't1', dpPort: 11 },
      { name: 't2', dpPort: 12 },
    ]);
    assert.equal(run(ofp, { inPort: 11, src: A, dst: BCAST, vlan: { vid: 0 } }), 'pop_vlan,12');
    assert.equal(run(ofp, { inPort: 11, src: A, dst: BCAST, vlan: { vid: 0, pcp: 1 } }), '12');
  });

  test('802.1ad outer tags keep their TPID when pushed back', () => {
    const { ofp } = makeOfproto();
    bridge(ofp, 'br0', [{}, { tag: 10 }, {}]);
    assert.equal(
      run(ofp, { inPort: 1, src: A, dst: BCAST, vlan: { vid: 10, tpid: 0x88a8 } }),
      'pop_vlan,2,push_vlan(tpid=0x88a8,vid=10,pcp=0),3',
    );
  });

  test('double-tagged frames do not go to access ports', () => {
    const { ofp } = makeOfproto();
    bridge(ofp, 'br0', [{}, { tag: 10 }, {}]);
    assert.equal(run(ofp, { inPort: 1, src: A, dst: BCAST, vlan: { vid: 10 }, inner: { vid: 5 } }), '3');
  });
});

describe('NORMAL: patch ports', () => {
  function twoBridges(ofp: Ofproto, patchA: Partial<PortSettings> = {}) {
    bridge(ofp, 'br0', [{}, { name: 'pa', dpPort: null, patchPeer: 'pb', ...patchA }, { tag: 20 }]);
    bridge(ofp, 'br1', [
      { name: 'q1', dpPort: 11 },
      { name: 'pb', dpPort: null, patchPeer: 'pa' },
      { name: 'br1', ofport: OFPP_LOCAL, dpPort: 12 },
    ]);
  }

  test('crossing a patch continues in the peer bridge, learning in both', () => {
    const { ofp } = makeOfproto();
    twoBridges(ofp);
    const r = ofp.translate(makeKey({ inPort: 1, src: A, dst: BCAST }), 0);
    assert.equal(formatActions(r.actions), '11,12');
    assert.ok(r.tags.includes('bridge:br0') && r.tags.includes('bridge:br1') && r.tags.includes('port:pb'));
    assert.equal(run(ofp, { inPort: 11, src: B, dst: A }), '1');
    assert.match(
      ofp.fdbShow('br0', 0),
      / {4}1 {5}0 {2}00:00:00:00:00:0a {4}0\n {4}2 {5}0 {2}00:00:00:00:00:0b/,
    );
    assert.match(
      ofp.fdbShow('br1', 0),
      / {4}2 {5}0 {2}00:00:00:00:00:0a {4}0\n {4}1 {5}0 {2}00:00:00:00:00:0b/,
    );
  });

  test('the peer bridge sees the VLAN headers the patch port gave the frame', () => {
    const { ofp } = makeOfproto();
    twoBridges(ofp, { tag: 20 });
    // From br0's VLAN 20 access port: tagged to br0's trunk p1, then through the patch (access 20) br1
    // receives it untagged on a trunk (VLAN 0) and floods it untagged.
    assert.equal(run(ofp, { inPort: 3, src: C, dst: BCAST }), 'push_vlan(vid=20,pcp=0),1,pop_vlan,11,12');
    assert.equal(run(ofp, { inPort: 11, src: B, dst: C, vlan: { vid: 20 } }), '12', 'tagged: br0 drops it');
  });

  test('a patch port whose peer is missing or does not point back drops', () => {
    const { ofp, dp } = makeOfproto();
    twoBridges(ofp);
    ofp.setPort('br1', portSettings('pb', 2, null, { patchPeer: 'elsewhere' }));
    assert.equal(run(ofp, { inPort: 1, src: A, dst: BCAST }), 'drop');
    ofp.removePort('br1', 'pb');
    const r = ofp.translate(makeKey({ inPort: 1, src: A, dst: BCAST }), 0);
    assert.equal(formatActions(r.actions), 'drop');
    assert.ok(r.tags.includes('port:pb'));
    dp.take();
    ofp.setPort('br1', portSettings('pb', 2, null, { patchPeer: 'pa' }));
    assert.ok(dp.take().includes('port:pb'), 'adding the peer invalidates flows that missed it');
    assert.equal(run(ofp, { inPort: 1, src: A, dst: BCAST }), '11,12');
  });

  test('a loop of patch ports hits the depth limit: drop and a warning', () => {
    const { ofp, warnings } = makeOfproto();
    bridge(ofp, 'br0', [
      {},
      { name: 'a0', dpPort: null, patchPeer: 'a1' },
      { name: 'b0', dpPort: null, patchPeer: 'b1' },
    ]);
    bridge(ofp, 'br1', [
      { name: 'a1', dpPort: null, patchPeer: 'a0' },
      { name: 'b1', dpPort: null, patchPeer: 'b0' },
      { name: 'q', dpPort: 11 },
    ]);
    const r = ofp.translate(makeKey({ inPort: 1, src: A, dst: BCAST }), 0);
    assert.equal(formatActions(r.actions), 'drop');
    assert.equal(r.install, true);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /over max translation depth 64/);
  });
});

describe('input ports', () => {
  test('an in_port no bridge owns is dropped on in_port alone, until a port claims it', () => {
    const { ofp, dp } = makeOfproto();
    bridge(ofp, 'br0', [{}, {}]);
    const r = ofp.translate(makeKey({ inPort: 7, src: A, dst: BCAST }), 0);
    assert.equal(formatActions(r.actions), 'drop');
    assert.deepEqual(
      [...r.mask].filter((w) => w !== 0),
      [0xffff_ffff],
    );
    assert.equal(r.mask[0], 0xffff_ffff);
    assert.deepEqual(r.tags, ['dpport:7']);
    dp.take();
    ofp.setPort('br0', portSettings('p7', 7, 7));
    assert.ok(dp.take().includes('dpport:7'));
    assert.equal(run(ofp, { inPort: 7, src: A, dst: BCAST }), '1,2');
  });
});
