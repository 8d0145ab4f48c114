// Ethernet and VLAN tags: the view and EthernetRepr over real frames (frames.ts), round trips, and errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacketError } from '../../src/packet/errors.js';
import {
  ETH_TYPE_IPV4,
  ETH_TYPE_QINQ,
  ETH_TYPE_VLAN,
  EthernetFrame,
  emitEthernet,
  ethernetHeaderLength,
  parseEthernet,
  VlanTag,
} from '../../src/packet/ethernet.js';
import { FRAMES } from './frames.js';

describe('EthernetFrame view', () => {
  it('decodes the ICMP echo frame: dst :07, src :05, type 0x0800', () => {
    const f = FRAMES.icmpEcho;
    const eth = EthernetFrame.checked(f, 0, f.length)!;
    assert.equal(eth.dst, '50:54:00:00:00:07');
    assert.equal(eth.src, '50:54:00:00:00:05');
    assert.equal(eth.dstHi, 0x5054);
    assert.equal(eth.dstLo, 0x00000007);
    assert.equal(eth.srcLo, 0x00000005);
    assert.equal(eth.etherType, ETH_TYPE_IPV4);
    assert.equal(eth.isMulticast, false);
    assert.equal(eth.payloadOffset, 14);
  });

  it('sees the broadcast ARP and the 33:33 ND destination as multicast', () => {
    assert.equal(new EthernetFrame(FRAMES.arpRequest, 0, 42).isMulticast, true);
    assert.equal(new EthernetFrame(FRAMES.ndSolicit, 0, 86).dst, '33:33:ff:00:00:07');
  });

  it('check() refuses ranges without 14 bytes or outside the buffer', () => {
    const f = FRAMES.icmpEcho;
    assert.equal(EthernetFrame.checked(f, 0, 13), undefined);
    assert.equal(EthernetFrame.checked(f, f.length - 10, 14), undefined);
    assert.equal(EthernetFrame.checked(f, -1, 20), undefined);
    assert.ok(EthernetFrame.checked(f, 0, 14));
  });

  it('setters rewrite the bytes in place', () => {
    const f = FRAMES.icmpEcho.slice();
    const eth = new EthernetFrame(f, 0, f.length);
    eth.setDst(0x0200, 0x00000001);
    eth.setSrc(0x0200, 0x00000002);
    eth.setEtherType(0x86dd);
    assert.equal(eth.dst, '02:00:00:00:00:01');
    assert.equal(eth.src, '02:00:00:00:00:02');
    assert.deepEqual([...f.subarray(12, 14)], [0x86, 0xdd]);
  });
});

describe('VlanTag view', () => {
  it('decodes 802.1Q vid 10 pcp 3 and the inner type', () => {
    const tag = new VlanTag(FRAMES.vlanUdp, 12, FRAMES.vlanUdp.length - 12);
    assert.ok(tag.check());
    assert.equal(tag.tpid, ETH_TYPE_VLAN);
    assert.equal(tag.vid, 10);
    assert.equal(tag.pcp, 3);
    assert.equal(tag.dei, false);
    assert.equal(tag.tci, 0x600a);
    assert.equal(tag.innerType, ETH_TYPE_IPV4);
  });

  it('decodes the 802.1ad outer tag of QinQ', () => {
    const outer = new VlanTag(FRAMES.qinqIcmp, 12, 50);
    assert.equal(outer.tpid, ETH_TYPE_QINQ);
    assert.equal(outer.vid, 100);
    assert.equal(outer.pcp, 5);
    assert.equal(outer.innerType, ETH_TYPE_VLAN);
  });
});

describe('EthernetRepr', () => {
  it('parses untagged, tagged and double-tagged frames', () => {
    assert.deepEqual(parseEthernet(FRAMES.udp4, 0, FRAMES.udp4.length), {
      dst: '50:54:00:00:00:07',
      src: '50:54:00:00:00:05',
      vlans: [],
      etherType: 0x0800,
    });
    assert.deepEqual(parseEthernet(FRAMES.qinqIcmp, 0, FRAMES.qinqIcmp.length).vlans, [
      { tpid: 0x88a8, pcp: 5, dei: false, vid: 100 },
      { tpid: 0x8100, pcp: 0, dei: false, vid: 10 },
    ]);
  });

  it('gives the 802.3 length as the type of an LLC frame', () => {
    assert.equal(parseEthernet(FRAMES.llc, 0, FRAMES.llc.length).etherType, 38);
  });

  it('emit reproduces the header bytes of every frame it parses', () => {
    for (const [name, f] of Object.entries(FRAMES)) {
      const repr = parseEthernet(f, 0, f.length);
      const out = new Uint8Array(ethernetHeaderLength(repr));
      assert.equal(emitEthernet(repr, out, 0), out.length);
      assert.deepEqual(out, f.subarray(0, out.length), name);
    }
  });

  it('emit keeps the DEI bit', () => {
    const repr = {
      dst: '01:02:03:04:05:06',
      src: '0a:0b:0c:0d:0e:0f',
      vlans: [{ tpid: 0x8100, pcp: 7, dei: true, vid: 4095 }],
      etherType: 0x0806,
    };
    const out = new Uint8Array(18);
    emitEthernet(repr, out, 0);
    assert.deepEqual([...out.subarray(12)], [0x81, 0x00, 0xff, 0xff, 0x08, 0x06]);
    assert.deepEqual(parseEthernet(out, 0, 18), repr);
  });

  it('throws typed errors: short header, cut tag, bad MAC, no room', () => {
    const code = (fn: () => unknown) =>
      assert.throws(fn, (e: unknown) => e instanceof PacketError && typeof e.code === 'string');
    assert.throws(() => parseEthernet(FRAMES.udp4, 0, 13), { name: 'PacketError', code: 'TRUNCATED' });
    assert.throws(() => parseEthernet(FRAMES.vlanUdp, 0, 17), { code: 'TRUNCATED' });
    code(() => parseEthernet(FRAMES.udp4, 100, 14));
    const repr = { dst: 'nope', src: '0a:0b:0c:0d:0e:0f', vlans: [], etherType: 0x0800 };
    assert.throws(() => emitEthernet(repr, new Uint8Array(14), 0), { code: 'MALFORMED' });
    assert.throws(() => emitEthernet({ ...repr, dst: '01:02:03:04:05:06' }, new Uint8Array(13), 0), {
      code: 'TRUNCATED',
    });
  });
});
