// Internet checksum helpers: RFC 1071's worked example, the checksums stored in the real frames of frames.ts
// (tcpdump called them correct), and completeChecksum against a full recompute for CHECKSUM_PARTIAL frames.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tcpFrame, udpFrame } from '../../src/packet/builder.js';
import { fromHex } from '../../src/packet/bytes.js';
import {
  completeChecksum,
  foldSum,
  internetChecksum,
  ipv4HeaderChecksum,
  l4Checksum,
  onesSum,
  pseudoSumFor,
  pseudoSumV4,
} from '../../src/packet/checksum.js';
import { FRAMES } from './frames.js';

describe('internet checksum', () => {
  it('matches the RFC 1071 section 3 example (sum ddf2, checksum 220d)', () => {
    const bytes = fromHex('0001 f203 f4f5 f6f7');
    assert.equal(foldSum(onesSum(bytes, 0, bytes.length)), 0xddf2);
    assert.equal(internetChecksum(bytes, 0, bytes.length), 0x220d);
  });

  it('pads an odd trailing byte with a zero low half', () => {
    const odd = fromHex('0102 03');
    assert.equal(onesSum(odd, 0, 3), 0x0102 + 0x0300);
  });

  it('folds carries end-around, repeatedly', () => {
    assert.equal(foldSum(0x1fffe), 0xffff);
    assert.equal(foldSum(0x2fffd), 0xffff);
    assert.equal(foldSum(0x12345678), 0x68ac);
  });

  it('a message with its checksum in place sums to 0xffff', () => {
    const icmp = FRAMES.icmpEcho.subarray(34);
    assert.equal(foldSum(onesSum(icmp, 0, icmp.length)), 0xffff);
    assert.equal(internetChecksum(icmp, 0, icmp.length), 0);
  });
});

describe('IPv4 header checksum', () => {
  it('reproduces the stored checksum of every IPv4 frame (0x149a for icmpEcho)', () => {
    assert.equal(ipv4HeaderChecksum(FRAMES.icmpEcho, 14), 0x149a);
    for (const f of [FRAMES.tcpSyn, FRAMES.udp4, FRAMES.ipOptsTcp, FRAMES.frag4First, FRAMES.sctp]) {
      assert.equal(ipv4HeaderChecksum(f, 14), (f[24] << 8) | f[25]);
    }
  });

  it('covers options (IHL 6)', () => {
    const f = FRAMES.ipOptsTcp;
    assert.equal(f[14] & 0x0f, 6);
    const copy = f.slice();
    copy[34] ^= 0x01; // flip a bit inside the option
    assert.notEqual(ipv4HeaderChecksum(copy, 14), ipv4HeaderChecksum(f, 14));
  });
});

describe('pseudo-header checksums', () => {
  it('TCP over IPv4: the stored 0xec98 of the SYN', () => {
    const f = FRAMES.tcpSyn;
    assert.equal(l4Checksum(f, 14, 34, f.length, 6, 16), 0xec98);
  });

  it('UDP over IPv4 and IPv6, TCP over IPv6, ICMPv6 NS/NA/echo: each stored checksum', () => {
    const cases: [Uint8Array, number, number, number][] = [
      [FRAMES.udp4, 34, 17, 6],
      [FRAMES.udp6, 54, 17, 6],
      [FRAMES.tcp6, 54, 6, 16],
      [FRAMES.ndSolicit, 54, 58, 2],
      [FRAMES.ndAdvert, 54, 58, 2],
      [FRAMES.icmp6Echo, 54, 58, 2],
    ];
    for (const [f, l4, proto, field] of cases) {
      const stored = (f[l4 + field] << 8) | f[l4 + field + 1];
      assert.equal(l4Checksum(f, 14, l4, f.length, proto, field), stored);
    }
  });

  it('pseudoSumV4 equals the byte-wise IPv4 pseudo-header sum', () => {
    const f = FRAMES.udp4;
    assert.equal(pseudoSumV4(0x0a000005, 0x0a000007, 17, 14), pseudoSumFor(f, 14, 17, 14));
  });
});

/** A frame turned CHECKSUM_PARTIAL: the L4 checksum field holds the folded pseudo-header sum. */
function makePartial(
  frame: Uint8Array,
  ipOff: number,
  l4Off: number,
  proto: number,
  field: number,
): Uint8Array {
  const f = frame.slice();
  const sum = foldSum(pseudoSumFor(f, ipOff, proto, f.length - l4Off));
  f[l4Off + field] = sum >>> 8;
  f[l4Off + field + 1] = sum & 0xff;
  return f;
}

describe('completeChecksum (virtio-net NEEDS_CSUM)', () => {
  it('restores the full checksum of TCP/IPv4 and UDP/IPv6 frames from the pseudo-header seed', () => {
    const cases: [Uint8Array, number, number, number, number][] = [
      [FRAMES.tcpSyn, 14, 34, 6, 16],
      [FRAMES.ipOptsTcp, 14, 38, 6, 16],
      [FRAMES.udp6, 14, 54, 17, 6],
      [FRAMES.tcp6, 14, 54, 6, 16],
    ];
    for (const [frame, ip, l4, proto, field] of cases) {
      const partial = makePartial(frame, ip, l4, proto, field);
      assert.notDeepEqual(partial, frame);
      const csum = completeChecksum(partial, 0, l4, field, partial.length);
      assert.deepEqual(partial, frame);
      assert.equal(csum, (frame[l4 + field] << 8) | frame[l4 + field + 1]);
    }
  });

  it('works on a frame inside a larger buffer (csum_start relative to the frame, end absolute)', () => {
    const frame = tcpFrame({
      srcMac: '02:00:00:00:00:01',
      dstMac: '02:00:00:00:00:02',
      src: '192.168.1.1',
      dst: '192.168.1.2',
      srcPort: 1,
      dstPort: 2,
      ack: 9,
      payload: new Uint8Array(1001).map((_, i) => i * 7),
    });
    const buf = new Uint8Array(frame.length + 300).fill(0xee);
    buf.set(makePartial(frame, 14, 34, 6, 16), 100);
    completeChecksum(buf, 100, 34, 16, 100 + frame.length);
    assert.deepEqual(buf.subarray(100, 100 + frame.length), frame);
    assert.equal(buf[99], 0xee);
    assert.equal(buf[100 + frame.length], 0xee);
  });

  it('agrees with a full recompute for odd lengths over many payload sizes', () => {
    for (let n = 0; n < 64; n++) {
      const payload = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
      const frame = udpFrame({
        srcMac: '02:00:00:00:00:01',
        dstMac: '02:00:00:00:00:02',
        src: 'fd00::1',
        dst: 'fd00::2',
        srcPort: 4000 + n,
        dstPort: 53,
        payload,
      });
      const partial = makePartial(frame, 14, 54, 17, 6);
      completeChecksum(partial, 0, 54, 6, partial.length);
      assert.deepEqual(partial, frame, `payload ${n}`);
    }
  });

  it('stores 0xffff instead of 0 and refuses ranges outside the buffer', () => {
    const buf = new Uint8Array(4); // sum of 00 00 ff ff = 0xffff -> complement 0 -> stored 0xffff
    buf[2] = 0xff;
    buf[3] = 0xff;
    assert.equal(completeChecksum(buf, 0, 0, 0, 4), 0xffff);
    assert.deepEqual([...buf], [0xff, 0xff, 0xff, 0xff]);
    const small = new Uint8Array(10);
    assert.equal(completeChecksum(small, 0, 8, 2, 10), -1);
    assert.equal(completeChecksum(small, 0, 0, 0, 11), -1);
    assert.equal(completeChecksum(small, 0, -1, 0, 10), -1);
    assert.deepEqual([...small], new Array(10).fill(0));
  });
});
