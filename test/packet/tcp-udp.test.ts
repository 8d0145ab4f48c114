// TCP and UDP: views and Reprs over real frames (options, flags, IPv4 and IPv6 checksums), round trips, errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pseudoSumFor } from '../../src/packet/checksum.js';
import {
  emitTcp,
  parseTcp,
  TCP_ACK,
  TCP_ECE,
  TCP_PSH,
  TCP_SYN,
  TcpPacket,
  tcpLength,
} from '../../src/packet/tcp.js';
import { emitUdp, parseUdp, UdpPacket } from '../../src/packet/udp.js';
import { FRAMES } from './frames.js';

describe('TcpPacket / TcpRepr', () => {
  it('decodes the SYN: 40000 -> 80, data offset 6 (MSS 1460), window 64240', () => {
    const f = FRAMES.tcpSyn;
    const tcp = new TcpPacket(f, 34, f.length - 34);
    assert.ok(tcp.check());
    assert.equal(tcp.srcPort, 40000);
    assert.equal(tcp.dstPort, 80);
    assert.equal(tcp.seq, 1);
    assert.equal(tcp.ack, 0);
    assert.equal(tcp.headerLength, 24);
    assert.equal(tcp.flags, TCP_SYN);
    assert.equal(tcp.window, 64240);
    assert.equal(tcp.checksum, 0xec98);
    assert.equal(tcp.urgent, 0);
    assert.equal(tcp.payloadOffset, 58);
    assert.ok(tcp.checksumOk(pseudoSumFor(f, 14, 6, f.length - 34)));
  });

  it('decodes SYN|ACK|ECE over IPv6 and checks its checksum', () => {
    const f = FRAMES.tcp6;
    const tcp = new TcpPacket(f, 54, 20);
    assert.equal(tcp.flags, TCP_SYN | TCP_ACK | TCP_ECE);
    assert.ok(tcp.checksumOk(pseudoSumFor(f, 14, 6, 20)));
    const g = f.slice();
    new TcpPacket(g, 54, 20).setPorts(1, 2);
    assert.equal(new TcpPacket(g, 54, 20).checksumOk(pseudoSumFor(g, 14, 6, 20)), false);
  });

  it('parse/emit round-trips v4 (options, payload) and v6 segments', () => {
    const cases: [Uint8Array, number, string, string][] = [
      [FRAMES.tcpSyn, 34, '10.0.0.5', '10.0.0.7'],
      [FRAMES.ipOptsTcp, 38, '10.0.0.5', '10.0.0.7'],
      [FRAMES.tcp6, 54, '2001:db8::5', '2001:db8::7'],
    ];
    for (const [f, off, src, dst] of cases) {
      const repr = parseTcp(f, off, f.length - off);
      const out = new Uint8Array(tcpLength(repr));
      emitTcp(repr, out, 0, src, dst);
      assert.deepEqual(out, f.subarray(off));
    }
    const psh = parseTcp(FRAMES.ipOptsTcp, 38, 22);
    assert.equal(psh.flags, TCP_PSH | TCP_ACK);
    assert.equal(new TextDecoder().decode(psh.payload), 'hi');
  });

  it('check() and parse refuse a data offset below 5 or beyond the bytes', () => {
    const f = FRAMES.tcpSyn.slice();
    assert.equal(new TcpPacket(f, 34, 23).check(), false);
    assert.throws(() => parseTcp(f, 34, 23), { name: 'PacketError', code: 'TRUNCATED' });
    f[46] = 0x40;
    assert.equal(new TcpPacket(f, 34, 24).check(), false);
    assert.throws(() => parseTcp(f, 34, 24), { code: 'MALFORMED' });
    const repr = parseTcp(FRAMES.tcpSyn, 34, 24);
    assert.throws(
      () => emitTcp({ ...repr, options: new Uint8Array(2) }, new Uint8Array(64), 0, '1.1.1.1', '2.2.2.2'),
      { code: 'MALFORMED' },
    );
    assert.throws(() => emitTcp(repr, new Uint8Array(64), 0, '1.1.1.1', '::2'), { code: 'MALFORMED' });
  });
});

describe('UdpPacket / UdpRepr', () => {
  it('decodes UDP/IPv4 5000 -> 53 carrying "tsovs!"', () => {
    const f = FRAMES.udp4;
    const udp = new UdpPacket(f, 34, f.length - 34);
    assert.ok(udp.check());
    assert.equal(udp.srcPort, 5000);
    assert.equal(udp.dstPort, 53);
    assert.equal(udp.udpLength, 14);
    assert.equal(udp.payloadOffset, 42);
    assert.ok(udp.checksumOk(pseudoSumFor(f, 14, 17, 14)));
    assert.equal(new TextDecoder().decode(parseUdp(f, 34, 14).payload), 'tsovs!');
  });

  it('accepts a zero (absent) IPv4 checksum and sees a wrong one', () => {
    const f = FRAMES.udp4.slice();
    f[40] = 0;
    f[41] = 0;
    assert.ok(new UdpPacket(f, 34, 14).checksumOk(pseudoSumFor(f, 14, 17, 14)));
    f[41] = 1;
    assert.equal(new UdpPacket(f, 34, 14).checksumOk(pseudoSumFor(f, 14, 17, 14)), false);
  });

  it('parse/emit round-trips v4 and v6 datagrams', () => {
    const cases: [Uint8Array, number, string, string][] = [
      [FRAMES.udp4, 34, '10.0.0.5', '10.0.0.7'],
      [FRAMES.vlanUdp, 38, '10.0.0.5', '10.0.0.7'],
      [FRAMES.udp6, 54, '2001:db8::5', '2001:db8::7'],
      [FRAMES.ext6Udp, 70, '2001:db8::5', '2001:db8::7'],
    ];
    for (const [f, off, src, dst] of cases) {
      const repr = parseUdp(f, off, f.length - off);
      const out = new Uint8Array(8 + repr.payload.length);
      emitUdp(repr, out, 0, src, dst);
      assert.deepEqual(out, f.subarray(off));
    }
  });

  it('check() and parse refuse a length field below 8 or beyond the bytes', () => {
    const f = FRAMES.udp4.slice();
    assert.equal(new UdpPacket(f, 34, 13).check(), false);
    assert.throws(() => parseUdp(f, 34, 13), { name: 'PacketError', code: 'TRUNCATED' });
    f[39] = 7;
    assert.equal(new UdpPacket(f, 34, 14).check(), false);
    assert.throws(() => parseUdp(f, 34, 14), { code: 'MALFORMED' });
    assert.throws(
      () =>
        emitUdp(
          { srcPort: 1, dstPort: 2, payload: new Uint8Array(70000) },
          new Uint8Array(70010),
          0,
          '1.1.1.1',
          '2.2.2.2',
        ),
      {
        code: 'MALFORMED',
      },
    );
  });
});
