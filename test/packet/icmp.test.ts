// ICMP (IPv4) and ICMPv6 with neighbour discovery: views and Reprs over real frames, round trips, errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emitIcmp, IcmpPacket, icmpLength, parseIcmp } from '../../src/packet/icmp.js';
import {
  emitIcmpv6,
  Icmpv6Packet,
  icmpv6Length,
  ND_NA_OVERRIDE,
  ND_NA_SOLICITED,
  ND_OPT_SOURCE_LINKADDR,
  ND_OPT_TARGET_LINKADDR,
  parseIcmpv6,
} from '../../src/packet/icmpv6.js';
import { FRAMES } from './frames.js';

describe('IcmpPacket / IcmpRepr', () => {
  it('decodes the echo request: type 8 code 0 id 0x0b0c seq 1, checksum 0xa0a2', () => {
    const f = FRAMES.icmpEcho;
    const icmp = new IcmpPacket(f, 34, f.length - 34);
    assert.ok(icmp.check());
    assert.equal(icmp.type, 8);
    assert.equal(icmp.code, 0);
    assert.equal(icmp.checksum, 0xa0a2);
    assert.equal(icmp.ident, 0x0b0c);
    assert.equal(icmp.seq, 1);
    assert.equal(icmp.rest, 0x0b0c0001);
    assert.equal(icmp.dataOffset, 42);
    assert.ok(icmp.checksumOk());
  });

  it('turning a request into a reply and refilling the checksum stays valid', () => {
    const f = FRAMES.icmpEcho.slice();
    const icmp = new IcmpPacket(f, 34, f.length - 34);
    icmp.setType(0);
    assert.equal(icmp.checksumOk(), false);
    icmp.fillChecksum();
    assert.ok(icmp.checksumOk());
  });

  it('parse/emit round-trips the message with its data', () => {
    const f = FRAMES.icmpEcho;
    const repr = parseIcmp(f, 34, f.length - 34);
    assert.equal(repr.type, 8);
    assert.deepEqual([...repr.data], [0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17]);
    const out = new Uint8Array(icmpLength(repr));
    emitIcmp(repr, out, 0);
    assert.deepEqual(out, f.subarray(34));
  });

  it('throws TRUNCATED for fewer than 8 bytes', () => {
    assert.throws(() => parseIcmp(FRAMES.icmpEcho, 34, 7), { name: 'PacketError', code: 'TRUNCATED' });
    assert.equal(new IcmpPacket(FRAMES.icmpEcho, 34, 7).check(), false);
  });
});

describe('Icmpv6Packet / Icmpv6Repr', () => {
  it('decodes the neighbour solicitation: target ::7, source link-layer option', () => {
    const f = FRAMES.ndSolicit;
    const v = new Icmpv6Packet(f, 54, f.length - 54);
    assert.ok(v.check());
    assert.ok(v.isNd());
    assert.equal(v.type, 135);
    assert.equal(v.target, '2001:db8::7');
    assert.equal(v.targetOffset, 62);
    assert.equal(v.findLinkAddrOption(ND_OPT_SOURCE_LINKADDR), 80);
    assert.equal(v.findLinkAddrOption(ND_OPT_TARGET_LINKADDR), -1);
    assert.ok(v.checksumOk(22, 38));
  });

  it('decodes the advertisement flags S|O and the target link-layer option', () => {
    const f = FRAMES.ndAdvert;
    const v = new Icmpv6Packet(f, 54, f.length - 54);
    assert.equal(v.rest, ND_NA_SOLICITED | ND_NA_OVERRIDE);
    assert.deepEqual(parseIcmpv6(f, 54, f.length - 54).nd, {
      target: '2001:db8::7',
      tll: '50:54:00:00:00:07',
    });
  });

  it('an echo request is not ND; a bad checksum is seen; fillChecksum repairs it', () => {
    const f = FRAMES.icmp6Echo.slice();
    const v = new Icmpv6Packet(f, 54, f.length - 54);
    assert.equal(v.isNd(), false);
    assert.equal(parseIcmpv6(f, 54, f.length - 54).nd, undefined);
    f[f.length - 1] ^= 0xff;
    assert.equal(v.checksumOk(22, 38), false);
    v.fillChecksum(22, 38);
    assert.ok(v.checksumOk(22, 38));
  });

  it('malformed options (length 0) stop the option walk', () => {
    const f = FRAMES.ndSolicit.slice();
    f[79] = 0; // option length 0
    assert.equal(new Icmpv6Packet(f, 54, f.length - 54).findLinkAddrOption(ND_OPT_SOURCE_LINKADDR), -1);
  });

  it('parse/emit round-trips NS, NA and echo under the IPv6 pseudo-header', () => {
    const cases: [Uint8Array, string, string][] = [
      [FRAMES.ndSolicit, '2001:db8::5', 'ff02::1:ff00:7'],
      [FRAMES.ndAdvert, '2001:db8::7', '2001:db8::5'],
      [FRAMES.icmp6Echo, '2001:db8::5', '2001:db8::7'],
    ];
    for (const [f, src, dst] of cases) {
      const repr = parseIcmpv6(f, 54, f.length - 54);
      const out = new Uint8Array(icmpv6Length(repr));
      emitIcmpv6(repr, out, 0, src, dst);
      assert.deepEqual(out, f.subarray(54));
    }
  });

  it('throws typed errors', () => {
    assert.throws(() => parseIcmpv6(FRAMES.icmp6Echo, 54, 4), { name: 'PacketError', code: 'TRUNCATED' });
    const repr = parseIcmpv6(FRAMES.ndSolicit, 54, 32);
    assert.throws(() => emitIcmpv6(repr, new Uint8Array(64), 0, '10.0.0.1', '::1'), { code: 'MALFORMED' });
    assert.throws(() => emitIcmpv6(repr, new Uint8Array(20), 0, '::1', '::1'), { code: 'TRUNCATED' });
  });
});
