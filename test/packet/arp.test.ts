// ARP: the view and ArpRepr over the real request/reply frames of frames.ts, round trips and typed errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARP_OP_REPLY, ARP_OP_REQUEST, ArpPacket, emitArp, parseArp } from '../../src/packet/arp.js';
import { FRAMES } from './frames.js';

describe('ArpPacket view', () => {
  it('decodes the request: op 1, 50:54:00:00:00:05/10.0.0.5 asks for 10.0.0.7', () => {
    const arp = new ArpPacket(FRAMES.arpRequest, 14, 28);
    assert.ok(arp.check());
    assert.ok(arp.isEthernetIpv4());
    assert.equal(arp.op, ARP_OP_REQUEST);
    assert.equal(arp.shaHi, 0x5054);
    assert.equal(arp.shaLo, 0x00000005);
    assert.equal(arp.spa, 0x0a000005);
    assert.equal(arp.thaLo, 0);
    assert.equal(arp.tpa, 0x0a000007);
  });

  it('check() uses the announced address lengths', () => {
    assert.equal(new ArpPacket(FRAMES.arpRequest, 14, 27).check(), false);
    const odd = FRAMES.arpRequest.slice(14);
    odd[4] = 8; // hardware length 8: needs 8 + 2 * (8 + 4) = 32 bytes
    assert.equal(new ArpPacket(odd, 0, 28).check(), false);
    assert.equal(new ArpPacket(odd, 0, 28).isEthernetIpv4(), false);
  });

  it('setOp rewrites the opcode', () => {
    const f = FRAMES.arpRequest.slice();
    new ArpPacket(f, 14, 28).setOp(ARP_OP_REPLY);
    assert.equal(new ArpPacket(f, 14, 28).op, 2);
  });
});

describe('ArpRepr', () => {
  it('parses the reply and emits it byte for byte', () => {
    const repr = parseArp(FRAMES.arpReply, 14, 28);
    assert.deepEqual(repr, {
      op: 2,
      senderMac: '50:54:00:00:00:07',
      senderIp: '10.0.0.7',
      targetMac: '50:54:00:00:00:05',
      targetIp: '10.0.0.5',
    });
    const out = new Uint8Array(28);
    assert.equal(emitArp(repr, out, 0), 28);
    assert.deepEqual(out, FRAMES.arpReply.subarray(14));
  });

  it('round-trips the request', () => {
    const out = new Uint8Array(28);
    emitArp(parseArp(FRAMES.arpRequest, 14, 28), out, 0);
    assert.deepEqual(out, FRAMES.arpRequest.subarray(14));
  });

  it('throws TRUNCATED, UNSUPPORTED and MALFORMED as PacketError', () => {
    assert.throws(() => parseArp(FRAMES.arpRequest, 14, 7), { name: 'PacketError', code: 'TRUNCATED' });
    assert.throws(() => parseArp(FRAMES.arpRequest, 14, 20), { code: 'TRUNCATED' });
    const tokenRing = FRAMES.arpRequest.slice(14);
    tokenRing[1] = 6;
    assert.throws(() => parseArp(tokenRing, 0, 28), { code: 'UNSUPPORTED' });
    const repr = parseArp(FRAMES.arpRequest, 14, 28);
    assert.throws(() => emitArp({ ...repr, senderIp: '10.0.0' }, new Uint8Array(28), 0), {
      code: 'MALFORMED',
    });
  });
});
