// IPv4: the view and Ipv4Repr over real frames (options, fragments, a total-length lie), round trips, errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emitIpv4, Ipv4Packet, ipv4HeaderLength, parseIpv4 } from '../../src/packet/ipv4.js';
import { FRAMES } from './frames.js';

describe('Ipv4Packet view', () => {
  it('decodes the UDP frame: tos 0x28, ttl 17, DF, 10.0.0.5 -> 10.0.0.7', () => {
    const f = FRAMES.udp4;
    const ip = Ipv4Packet.checked(f, 14, f.length - 14)!;
    assert.equal(ip.version, 4);
    assert.equal(ip.headerLength, 20);
    assert.equal(ip.tos, 0x28);
    assert.equal(ip.dscp, 10);
    assert.equal(ip.ecn, 0);
    assert.equal(ip.totalLength, 34);
    assert.equal(ip.ident, 0x1234);
    assert.equal(ip.dontFragment, true);
    assert.equal(ip.moreFragments, false);
    assert.equal(ip.fragOffset, 0);
    assert.equal(ip.ttl, 17);
    assert.equal(ip.protocol, 17);
    assert.equal(ip.src, 0x0a000005);
    assert.equal(ip.dst, 0x0a000007);
    assert.equal(ip.payloadOffset, 34);
    assert.equal(ip.payloadLength, 14);
    assert.ok(ip.checksumOk());
  });

  it('decodes fragments and options', () => {
    const first = new Ipv4Packet(FRAMES.frag4First, 14, 36);
    assert.equal(first.moreFragments, true);
    assert.equal(first.fragOffset, 0);
    const later = new Ipv4Packet(FRAMES.frag4Later, 14, 28);
    assert.equal(later.moreFragments, false);
    assert.equal(later.fragOffset, 1);
    const opts = new Ipv4Packet(FRAMES.ipOptsTcp, 14, FRAMES.ipOptsTcp.length - 14);
    assert.equal(opts.headerLength, 24);
    assert.equal(opts.payloadOffset, 38);
  });

  it('check() refuses a total length beyond the bytes, a short IHL and a non-4 version', () => {
    const lie = FRAMES.ipv4TotLenLie;
    assert.equal(Ipv4Packet.checked(lie, 14, lie.length - 14), undefined);
    const f = FRAMES.udp4.slice();
    f[14] = 0x44; // IHL 4
    assert.equal(new Ipv4Packet(f, 14, 34).check(), false);
    f[14] = 0x65; // version 6
    assert.equal(new Ipv4Packet(f, 14, 34).check(), false);
  });

  it('setters with fillChecksum keep the header valid', () => {
    const f = FRAMES.udp4.slice();
    const ip = new Ipv4Packet(f, 14, f.length - 14);
    ip.setTtl(ip.ttl - 1);
    assert.equal(ip.checksumOk(), false);
    ip.fillChecksum();
    assert.ok(ip.checksumOk());
    ip.setSrc(0xc0a80001);
    ip.setDst(0xc0a80002);
    ip.setTos(0);
    ip.fillChecksum();
    assert.ok(ip.checksumOk());
    assert.equal(ip.src, 0xc0a80001);
  });
});

describe('Ipv4Repr', () => {
  it('parses the options frame and emits the same header bytes', () => {
    const f = FRAMES.ipOptsTcp;
    const repr = parseIpv4(f, 14, f.length - 14);
    assert.deepEqual(
      { ...repr, options: [...repr.options] },
      {
        src: '10.0.0.5',
        dst: '10.0.0.7',
        protocol: 6,
        ttl: 64,
        tos: 0,
        ident: 0x1234,
        dontFragment: true,
        moreFragments: false,
        fragOffset: 0,
        options: [0x94, 0x04, 0x00, 0x00],
        payloadLength: 22,
      },
    );
    const out = new Uint8Array(ipv4HeaderLength(repr));
    assert.equal(emitIpv4(repr, out, 0), 24);
    assert.deepEqual(out, f.subarray(14, 38));
  });

  it('round-trips every IPv4 frame header', () => {
    for (const f of [
      FRAMES.icmpEcho,
      FRAMES.tcpSyn,
      FRAMES.udp4,
      FRAMES.frag4First,
      FRAMES.frag4Later,
      FRAMES.sctp,
    ]) {
      const repr = parseIpv4(f, 14, f.length - 14);
      const out = new Uint8Array(ipv4HeaderLength(repr));
      emitIpv4(repr, out, 0);
      assert.deepEqual(out, f.subarray(14, 14 + out.length));
    }
  });

  it('throws typed errors', () => {
    assert.throws(() => parseIpv4(FRAMES.ipv4TotLenLie, 14, 28), { name: 'PacketError', code: 'TRUNCATED' });
    assert.throws(() => parseIpv4(FRAMES.udp4, 14, 19), { code: 'TRUNCATED' });
    const f = FRAMES.udp4.slice();
    f[14] = 0x55;
    assert.throws(() => parseIpv4(f, 14, 34), { code: 'MALFORMED' });
    f[14] = 0x43;
    assert.throws(() => parseIpv4(f, 14, 34), { code: 'MALFORMED' });
    const repr = parseIpv4(FRAMES.udp4, 14, 34);
    assert.throws(() => emitIpv4({ ...repr, options: new Uint8Array(3) }, new Uint8Array(60), 0), {
      code: 'MALFORMED',
    });
    assert.throws(() => emitIpv4({ ...repr, dst: '::1' }, new Uint8Array(60), 0), { code: 'MALFORMED' });
  });
});
