// Frame builders: each must produce exactly the hand-laid-out real frames of frames.ts (checked by tcpdump),
// so the builders are as trustworthy as the hex.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  arpReply,
  arpRequest,
  ethernetFrame,
  icmpEchoReply,
  icmpEchoRequest,
  ndFrame,
  tcpFrame,
  udpFrame,
} from '../../src/packet/builder.js';
import { TCP_ACK, TCP_ECE, TCP_SYN } from '../../src/packet/tcp.js';
import { FRAMES } from './frames.js';

const A = { srcMac: '50:54:00:00:00:05', dstMac: '50:54:00:00:00:07' };
const V4 = { ...A, src: '10.0.0.5', dst: '10.0.0.7', ipId: 0x1234, dontFragment: true };
const V6 = { ...A, src: '2001:db8::5', dst: '2001:db8::7' };

describe('frame builders reproduce the real frames', () => {
  it('ICMP echo request and its reply', () => {
    const spec = {
      ...V4,
      ident: 0x0b0c,
      seq: 1,
      data: Uint8Array.of(0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17),
    };
    assert.deepEqual(icmpEchoRequest(spec), FRAMES.icmpEcho);
    const reply = icmpEchoReply(spec);
    assert.equal(reply[34], 0); // type 0
    assert.equal((reply[36] << 8) | reply[37], 0xa0a2 + 0x0800); // checksum moves by the type change
    assert.deepEqual(reply.subarray(38), FRAMES.icmpEcho.subarray(38));
  });

  it('ARP request (broadcast) and reply', () => {
    assert.deepEqual(
      arpRequest({ srcMac: A.srcMac, srcIp: '10.0.0.5', targetIp: '10.0.0.7' }),
      FRAMES.arpRequest,
    );
    assert.deepEqual(
      arpReply({ srcMac: A.dstMac, srcIp: '10.0.0.7', dstMac: A.srcMac, dstIp: '10.0.0.5' }),
      FRAMES.arpReply,
    );
  });

  it('TCP over IPv4 (with an MSS option) and over IPv6', () => {
    const syn = tcpFrame({
      ...V4,
      srcPort: 40000,
      dstPort: 80,
      seq: 1,
      window: 64240,
      flags: TCP_SYN,
      options: Uint8Array.of(2, 4, 5, 0xb4),
    });
    assert.deepEqual(syn, FRAMES.tcpSyn);
    const v6 = tcpFrame({
      ...V6,
      srcPort: 443,
      dstPort: 50000,
      seq: 1000,
      ack: 2000,
      window: 64240,
      flags: TCP_SYN | TCP_ACK | TCP_ECE,
    });
    assert.deepEqual(v6, FRAMES.tcp6);
  });

  it('UDP over IPv4 (tos, ttl), with a VLAN tag, and over IPv6 (traffic class, flow label)', () => {
    const payload = new TextEncoder().encode('tsovs!');
    assert.deepEqual(
      udpFrame({ ...V4, tos: 0x28, ttl: 17, srcPort: 5000, dstPort: 53, payload }),
      FRAMES.udp4,
    );
    assert.deepEqual(
      udpFrame({ ...V4, vlans: [{ vid: 10, pcp: 3 }], srcPort: 5001, dstPort: 5002 }),
      FRAMES.vlanUdp,
    );
    const v6 = udpFrame({
      ...V6,
      tos: 0x28,
      flowLabel: 0x12345,
      ttl: 33,
      srcPort: 6000,
      dstPort: 6001,
      payload: new TextEncoder().encode('v6udp'),
    });
    assert.deepEqual(v6, FRAMES.udp6);
  });

  it('IPv6 neighbour solicitation and advertisement', () => {
    const ns = ndFrame({
      srcMac: A.srcMac,
      dstMac: '33:33:ff:00:00:07',
      src: '2001:db8::5',
      dst: 'ff02::1:ff00:7',
      type: 135,
      nd: { target: '2001:db8::7', sll: A.srcMac },
    });
    assert.deepEqual(ns, FRAMES.ndSolicit);
    const na = ndFrame({
      srcMac: A.dstMac,
      dstMac: A.srcMac,
      src: '2001:db8::7',
      dst: '2001:db8::5',
      type: 136,
      flags: 0x60000000,
      nd: { target: '2001:db8::7', tll: A.dstMac },
    });
    assert.deepEqual(na, FRAMES.ndAdvert);
  });

  it('QinQ tags with an explicit TPID, outermost first', () => {
    const f = ethernetFrame(
      { ...A, vlans: [{ tpid: 0x88a8, vid: 100, pcp: 5 }, { vid: 10 }] },
      0x0800,
      new Uint8Array(0),
    );
    assert.deepEqual(f, FRAMES.qinqIcmp.subarray(0, 22));
  });

  it('rejects bad addresses with PacketError', () => {
    assert.throws(() => udpFrame({ ...V4, dst: '::1', srcPort: 1, dstPort: 2 }), { name: 'PacketError' });
    assert.throws(() => arpRequest({ srcMac: 'x', srcIp: '10.0.0.1', targetIp: '10.0.0.2' }), {
      name: 'PacketError',
    });
  });
});
