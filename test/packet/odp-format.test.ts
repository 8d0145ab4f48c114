// ODP text against real OVS 3.1: our key and the mask of each captured -m line must print both captured lines
// (ovs-dump-flows.ts); more cases are modelled on lines of OVS's own tests/*.at, quoted beside each.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ethernetFrame, ipFrame, tcpFrame } from '../../src/packet/builder.js';
import { extractFlowKey } from '../../src/packet/extract.js';
import {
  K_ARP_SHA_HI,
  K_ARP_SHA_LO,
  K_DL_DST_HI,
  K_DL_DST_LO,
  K_DL_SRC_HI,
  K_DL_SRC_LO,
  K_DL_TYPE,
  K_IN_PORT,
  K_IPV6_LABEL,
  K_NW,
  K_NW_DST,
  K_RECIRC,
  K_TCP_FLAGS,
  K_TP,
  K_TUN_DST,
  K_TUN_FLAGS,
  K_TUN_ID_HI,
  K_TUN_ID_LO,
  K_TUN_SRC,
  K_VLAN0,
  KEY_WORDS,
  newFlowKey,
} from '../../src/packet/flow-key.js';
import { formatOdpFlow } from '../../src/packet/odp-format.js';
import { FRAMES } from './frames.js';
import { maskFromVerboseOdp } from './odp-mask.js';
import { CAPTURED } from './ovs-dump-flows.js';

const ALL = 0xffffffff;

function keyOf(frame: Uint8Array, inPort: number): Uint32Array {
  const key = newFlowKey();
  extractFlowKey(frame, 0, frame.length, inPort, key);
  return key;
}

/** The mask the userspace datapath always has: in_port, recirc_id, MACs (NORMAL), dl_type. */
function baseMask(): Uint32Array {
  const m = new Uint32Array(KEY_WORDS);
  m[K_IN_PORT] = ALL;
  m[K_RECIRC] = ALL;
  m[K_DL_SRC_HI] = 0xffff;
  m[K_DL_SRC_LO] = ALL;
  m[K_DL_DST_HI] = 0xffff;
  m[K_DL_DST_LO] = ALL;
  m[K_DL_TYPE] = 0xffff;
  return m;
}

describe('formatOdpFlow reproduces real OVS 3.1 dpctl/dump-flows lines', () => {
  for (const c of CAPTURED) {
    it(`${c.pass} ${c.frame}`, () => {
      const frame = (FRAMES as Record<string, Uint8Array>)[c.frame];
      const key = keyOf(frame, 2);
      const mask = maskFromVerboseOdp(c.verbose);
      assert.equal(formatOdpFlow(key, mask), c.plain);
      assert.equal(formatOdpFlow(key, mask, true), c.verbose);
    });
  }

  it('covers every frame in both passes', () => {
    assert.equal(CAPTURED.length, 2 * Object.keys(FRAMES).length);
  });
});

describe('formatOdpFlow, cases from Open vSwitch tests', () => {
  it('VLAN with a wildcarded PCP prints the packet value beside /0x0 (dpif-netdev.at)', () => {
    // recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth(src=00:06:07:08:09:0a,dst=00:01:02:03:04:05),
    // eth_type(0x8100),vlan(vid=1000,pcp=5/0x0),encap(eth_type(0x0800),ipv4(frag=no)), packets:0, ...
    const l2 = { srcMac: '00:06:07:08:09:0a', dstMac: '00:01:02:03:04:05', vlans: [{ vid: 1000, pcp: 5 }] };
    const frame = ipFrame({ ...l2, src: '127.0.0.1', dst: '127.0.0.1' }, 0, new Uint8Array(0));
    const mask = baseMask();
    mask[K_VLAN0] = 0xffff1fff; // vid + present bit, not the PCP
    mask[K_NW] = 0xff << 24;
    assert.equal(
      formatOdpFlow(keyOf(frame, 1), mask),
      'recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth(src=00:06:07:08:09:0a,dst=00:01:02:03:04:05),' +
        'eth_type(0x8100),vlan(vid=1000,pcp=5/0x0),encap(eth_type(0x0800),ipv4(frag=no))',
    );
  });

  it('a tunnel comes first, with -df-csum+key flags; a wildcarded eth() is left out (tunnel-push-pop.at)', () => {
    // tunnel(tun_id=0x7b,src=1.1.2.92,dst=1.1.2.88,geneve(...),flags(-df-csum+key)),recirc_id(0),
    // in_port(6081),packet_type(ns=0,id=0),eth_type(0x0800),ipv4(frag=no)   (we carry no geneve options)
    const key = keyOf(FRAMES.udp4, 6081);
    key[K_TUN_ID_LO] = 0x7b;
    key[K_TUN_SRC] = 0x0101025c;
    key[K_TUN_DST] = 0x01010258;
    key[K_TUN_FLAGS] = 1 | (64 << 16); // key present, ttl 64
    const mask = baseMask();
    for (const w of [K_DL_SRC_HI, K_DL_SRC_LO, K_DL_DST_HI, K_DL_DST_LO]) mask[w] = 0;
    mask[K_TUN_ID_HI] = ALL;
    mask[K_TUN_ID_LO] = ALL;
    mask[K_TUN_SRC] = ALL;
    mask[K_TUN_DST] = ALL;
    mask[K_TUN_FLAGS] = 7; // key, csum, df bits matched; tos and ttl wildcarded
    mask[K_NW] = 0xff << 24;
    assert.equal(
      formatOdpFlow(key, mask),
      'tunnel(tun_id=0x7b,src=1.1.2.92,dst=1.1.2.88,flags(-df-csum+key)),recirc_id(0),in_port(6081),' +
        'packet_type(ns=0,id=0),eth_type(0x0800),ipv4(frag=no)',
    );
  });

  it('tunnel ttl/tos when matched, a 64-bit id, and a zero id with the key flag (ofproto-dpif.at, nsh.at)', () => {
    // tunnel(tun_id=0x5,src=2.2.2.2,dst=1.1.1.1,tos=0x1,ttl=64,flags(df|key)) — ours has no OAM bit, so a
    // fully matched flags field prints as +df-csum+key; and tunnel(tun_id=0x0,...,flags(-df-csum+key))
    const key = keyOf(FRAMES.udp4, 3);
    key[K_TUN_ID_HI] = 0x1;
    key[K_TUN_ID_LO] = 0x5;
    key[K_TUN_SRC] = 0x02020202;
    key[K_TUN_DST] = 0x01010101;
    key[K_TUN_FLAGS] = 1 | 4 | (1 << 8) | (64 << 16);
    const mask = baseMask();
    mask[K_TUN_ID_HI] = ALL;
    mask[K_TUN_ID_LO] = ALL;
    mask[K_TUN_SRC] = ALL;
    mask[K_TUN_DST] = ALL;
    mask[K_TUN_FLAGS] = 0xffff07;
    assert.match(
      formatOdpFlow(key, mask),
      /^tunnel\(tun_id=0x100000005,src=2\.2\.2\.2,dst=1\.1\.1\.1,tos=0x1,ttl=64,flags\(\+df-csum\+key\)\),recirc_id\(0\),in_port\(3\),/,
    );
    key[K_TUN_ID_HI] = 0;
    key[K_TUN_ID_LO] = 0;
    key[K_TUN_FLAGS] = 1;
    mask[K_TUN_FLAGS] = 7;
    assert.match(
      formatOdpFlow(key, mask),
      /^tunnel\(tun_id=0x0,src=2\.2\.2\.2,dst=1\.1\.1\.1,flags\(-df-csum\+key\)\),/,
    );
  });

  it('partial in_port and MAC masks print as value/mask (odp.at)', () => {
    // in_port(1/0xff),eth(src=00:01:02:03:04:05/ff:ff:ff:ff:ff:f0,dst=10:11:12:13:14:15/ff:ff:ff:ff:ff:f0)
    const frame = ethernetFrame(
      { srcMac: '00:01:02:03:04:05', dstMac: '10:11:12:13:14:15' },
      0x1234,
      new Uint8Array(4),
    );
    const mask = new Uint32Array(KEY_WORDS);
    mask[K_IN_PORT] = 0xff;
    mask[K_DL_SRC_HI] = 0xffff;
    mask[K_DL_SRC_LO] = 0xfffffff0;
    mask[K_DL_DST_HI] = 0xffff;
    mask[K_DL_DST_LO] = 0xfffffff0;
    assert.equal(
      formatOdpFlow(keyOf(frame, 1), mask),
      'in_port(1/0xff),packet_type(ns=0,id=0),eth(src=00:01:02:03:04:05/ff:ff:ff:ff:ff:f0,dst=10:11:12:13:14:15/ff:ff:ff:ff:ff:f0)',
    );
  });

  it('eth_type only (dpctl.at) and a non-zero recirc_id in %#x form (nsh.at: recirc_id(0x1))', () => {
    // recirc_id(0),in_port(1),eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02),eth_type(0x1234)
    // (that line is the kernel-style dummy datapath's; the netdev one adds packet_type)
    const frame = ethernetFrame(
      { srcMac: '00:00:00:00:00:01', dstMac: '00:00:00:00:00:02' },
      0x1234,
      new Uint8Array(46),
    );
    const key = keyOf(frame, 1);
    const mask = baseMask();
    assert.equal(
      formatOdpFlow(key, mask),
      'recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02),eth_type(0x1234)',
    );
    key[K_RECIRC] = 1;
    assert.match(formatOdpFlow(key, mask), /^recirc_id\(0x1\),in_port\(1\),/);
    mask[K_RECIRC] = 0xff;
    assert.match(formatOdpFlow(key, mask), /^recirc_id\(0x1\/0xff\),/);
  });

  it('tcp_flags: exact lists by name, masks as +/-, unnamed bits (dpif-netdev.at tcp_flags(ack))', () => {
    const frame = tcpFrame({
      srcMac: '50:54:00:00:00:01',
      dstMac: '50:54:00:00:02:00',
      src: '10.0.0.1',
      dst: '10.0.0.2',
      srcPort: 8,
      dstPort: 9,
      ack: 1,
    });
    const key = keyOf(frame, 1);
    const mask = baseMask();
    mask[K_NW] = 0xff0000ff;
    mask[K_TP] = ALL;
    mask[K_TCP_FLAGS] = 0xfff;
    const tail = (m: Uint32Array, k = key) => formatOdpFlow(k, m).split('ipv4(')[1];
    assert.equal(tail(mask), 'proto=6,frag=no),tcp(src=8,dst=9),tcp_flags(ack)');
    mask[K_TCP_FLAGS] = 0x012;
    assert.equal(tail(mask), 'proto=6,frag=no),tcp(src=8,dst=9),tcp_flags(-syn+ack)');
    key[K_TCP_FLAGS] = 0x201;
    mask[K_TCP_FLAGS] = 0xfff;
    assert.equal(tail(mask), 'proto=6,frag=no),tcp(src=8,dst=9),tcp_flags(fin|[200])');
    key[K_TCP_FLAGS] = 0;
    assert.equal(tail(mask), 'proto=6,frag=no),tcp(src=8,dst=9),tcp_flags(0)');
    mask[K_TCP_FLAGS] = 0;
    mask[K_TP] = 0x0000ffc0;
    assert.equal(tail(mask), 'proto=6,frag=no),tcp(dst=9/0xffc0)');
  });

  it('802.3 under a VLAN prints an empty encap(); a cut VLAN tag prints cfi=0 (from odp-util.c)', () => {
    // Derived from odp_flow_key_from_flow__/format_vlan_tci: no EtherType inside the encap, and a TCI
    // without the present bit shows "cfi=0".
    const llc = ethernetFrame(
      { srcMac: '50:54:00:00:00:05', dstMac: '50:54:00:00:00:07', vlans: [{ vid: 10 }] },
      38,
      FRAMES.llc.subarray(14),
    );
    const mask = baseMask();
    mask[K_VLAN0] = 0xffff1fff;
    assert.equal(
      formatOdpFlow(keyOf(llc, 2), mask).split('eth(')[1],
      'src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x8100),vlan(vid=10),encap()',
    );
    const cut = FRAMES.vlanUdp.subarray(0, 16);
    assert.equal(
      formatOdpFlow(keyOf(cut, 2), mask).split('eth(')[1],
      'src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x8100),vlan(vid=0,cfi=0),encap()',
    );
  });

  it('ARP: an exact 8-bit opcode mask prints as exact; partial addresses as value/mask', () => {
    const key = keyOf(FRAMES.arpRequest, 2);
    const mask = baseMask();
    mask[K_NW] = 0xff;
    mask[K_NW_DST] = 0xffffff00;
    mask[K_ARP_SHA_HI] = 0xffff;
    mask[K_ARP_SHA_LO] = ALL;
    assert.equal(
      formatOdpFlow(key, mask).split('eth_type(0x0806),')[1],
      'arp(tip=10.0.0.7/255.255.255.0,op=1,sha=50:54:00:00:00:05)',
    );
  });

  it('IPv6 label partially masked', () => {
    const key = keyOf(FRAMES.udp6, 2);
    const mask = baseMask();
    mask[K_IPV6_LABEL] = 0xff;
    assert.equal(formatOdpFlow(key, mask).split('eth_type(0x86dd),')[1], 'ipv6(label=0x12345/0xff)');
  });

  it('an all-zero mask prints only packet_type; verbose prints every field with /0', () => {
    const key = keyOf(FRAMES.icmpEcho, 5);
    const zero = new Uint32Array(KEY_WORDS);
    assert.equal(formatOdpFlow(key, zero), 'packet_type(ns=0,id=0)');
    assert.equal(
      formatOdpFlow(key, zero, true),
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0/0),dp_hash(0/0),' +
        'in_port(5/0),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05/00:00:00:00:00:00,dst=50:54:00:00:00:07/00:00:00:00:00:00),' +
        'eth_type(0x0800/0x0000),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/0.0.0.0,proto=1/0,tos=0/0,ttl=64/0),icmp(type=8/0,code=0/0)',
    );
  });
});
