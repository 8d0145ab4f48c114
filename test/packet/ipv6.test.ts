// IPv6 fixed header: the view and Ipv6Repr over real frames (traffic class, flow label), round trips, errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emitIpv6, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, Ipv6Packet, parseIpv6 } from '../../src/packet/ipv6.js';
import { FRAMES } from './frames.js';

describe('Ipv6Packet view', () => {
  it('decodes the UDP frame: tclass 0x28, label 0x12345, hlim 33', () => {
    const f = FRAMES.udp6;
    const ip = Ipv6Packet.checked(f, 14, f.length - 14)!;
    assert.equal(ip.version, 6);
    assert.equal(ip.trafficClass, 0x28);
    assert.equal(ip.flowLabel, 0x12345);
    assert.equal(ip.payloadLength, 13);
    assert.equal(ip.nextHeader, 17);
    assert.equal(ip.hopLimit, 33);
    assert.equal(ip.src, '2001:db8::5');
    assert.equal(ip.dst, '2001:db8::7');
    assert.equal(ip.srcOffset, 22);
    assert.equal(ip.dstOffset, 38);
    assert.equal(ip.payloadOffset, 54);
  });

  it('shows the first extension header as next header', () => {
    assert.equal(new Ipv6Packet(FRAMES.frag6First, 14, 64).nextHeader, IPPROTO_FRAGMENT);
    assert.equal(new Ipv6Packet(FRAMES.ext6Udp, 14, 66).nextHeader, IPPROTO_HOPOPTS);
  });

  it('check() refuses a payload length beyond the bytes and a non-6 version', () => {
    const f = FRAMES.udp6;
    assert.equal(Ipv6Packet.checked(f, 14, f.length - 15), undefined);
    const g = f.slice();
    g[14] = 0x46;
    assert.equal(new Ipv6Packet(g, 14, g.length - 14).check(), false);
  });

  it('setHopLimit rewrites the hop limit', () => {
    const f = FRAMES.udp6.slice();
    new Ipv6Packet(f, 14, f.length - 14).setHopLimit(1);
    assert.equal(f[21], 1);
  });
});

describe('Ipv6Repr', () => {
  it('parses and emits every IPv6 frame header byte for byte', () => {
    for (const f of [
      FRAMES.udp6,
      FRAMES.tcp6,
      FRAMES.ndSolicit,
      FRAMES.ndAdvert,
      FRAMES.icmp6Echo,
      FRAMES.frag6First,
      FRAMES.frag6Later,
      FRAMES.ext6Udp,
    ]) {
      const repr = parseIpv6(f, 14, f.length - 14);
      const out = new Uint8Array(40);
      assert.equal(emitIpv6(repr, out, 0), 40);
      assert.deepEqual(out, f.subarray(14, 54));
    }
    assert.deepEqual(parseIpv6(FRAMES.udp6, 14, 53), {
      src: '2001:db8::5',
      dst: '2001:db8::7',
      nextHeader: 17,
      hopLimit: 33,
      trafficClass: 0x28,
      flowLabel: 0x12345,
      payloadLength: 13,
    });
  });

  it('throws typed errors', () => {
    assert.throws(() => parseIpv6(FRAMES.udp6, 14, 39), { name: 'PacketError', code: 'TRUNCATED' });
    assert.throws(() => parseIpv6(FRAMES.udp6, 14, 52), { code: 'TRUNCATED' });
    assert.throws(() => parseIpv6(FRAMES.tcpSyn, 14, 44), { code: 'MALFORMED' });
    const repr = parseIpv6(FRAMES.udp6, 14, 53);
    assert.throws(() => emitIpv6({ ...repr, src: '10.0.0.1' }, new Uint8Array(40), 0), { code: 'MALFORMED' });
  });
});
