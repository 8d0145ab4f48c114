// The STP wire codec against real frames: a Linux bridge's BPDU and a switch's (Wireshark sample), captured
// and decoded by tcpdump, plus round trips, every malformed kind, and a fuzz run that must never throw.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Bpdu,
  type ConfigBpdu,
  encodeBpdu,
  encodeStpFrame,
  isStpParseError,
  parseStpFrame,
  StpParseError,
} from '../../../src/ofproto/stp/bpdu.js';

function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

function parseOk(frame: Uint8Array): Bpdu {
  const result = parseStpFrame(frame, 0, frame.length);
  if (isStpParseError(result)) assert.fail(`unexpected parse error: ${result.reason} ${result.message}`);
  return result;
}

// Sent by a Linux 6.x kernel bridge (stp_state 1, address 52:54:00:12:34:ab) out of a veth; captured with
// `tcpdump -xx -vv -e`, which printed: "STP 802.1d, Config, Flags [none], bridge-id 8000.52:54:00:12:34:ab.8001,
// length 35 / message-age 0.00s, max-age 20.00s, hello-time 2.00s, forwarding-delay 15.00s /
// root-id 8000.52:54:00:12:34:ab, root-pathcost 0".
const LINUX_BRIDGE_CONFIG = hex(
  [
    '0180c2000000', // destination: the Bridge Group Address
    '3ef927c15f52', // source: the veth's MAC
    '0026', // 802.3 length: 38 = 3 (LLC) + 35 (BPDU)
    '424203', // LLC: DSAP 0x42, SSAP 0x42, control 0x03 (UI)
    '0000', // protocol identifier 0
    '00', // protocol version 0
    '00', // BPDU type 0x00: Configuration
    '00', // flags: none
    '8000 5254001234ab', // root id: priority 0x8000, MAC 52:54:00:12:34:ab
    '00000000', // root path cost 0
    '8000 5254001234ab', // bridge id
    '8001', // port id: priority 0x80, port 1
    '0000', // message age 0/256 s
    '1400', // max age 0x1400/256 = 20 s
    '0200', // hello time 2 s
    '0f00', // forward delay 15 s
  ].join(''),
);

// Wireshark's sample capture of a switch's BPDU, padded to 60 bytes on the wire; tcpdump -vv prints
// "Config, Flags [none], bridge-id 8064.00:1c:0e:87:85:00.8004 / message-age 1.00s, max-age 20.00s, hello-time
// 2.00s, forwarding-delay 15.00s / root-id 8064.00:1c:0e:87:78:00, root-pathcost 4".
const SWITCH_CONFIG_PADDED = hex(
  '0180c2000000 001c0e877800 0026 424203 0000 00 00 00 8064001c0e877800 00000004 8064001c0e878500 8004' +
    ' 0100 1400 0200 0f00' +
    ' 0000000000000000',
);

describe('STP BPDU codec', () => {
  it('decodes a Linux bridge Configuration BPDU field by field', () => {
    assert.equal(LINUX_BRIDGE_CONFIG.length, 52);
    assert.deepEqual(parseOk(LINUX_BRIDGE_CONFIG), {
      type: 'config',
      topologyChange: false,
      topologyChangeAck: false,
      rootId: 0x8000_525400_1234abn,
      rootPathCost: 0,
      bridgeId: 0x8000_525400_1234abn,
      portId: 0x8001,
      messageAge: 0,
      maxAge: 20 * 256,
      helloTime: 2 * 256,
      forwardDelay: 15 * 256,
    });
  });

  it('re-encodes the Linux bridge BPDU to the same bytes', () => {
    const bpdu = parseOk(LINUX_BRIDGE_CONFIG);
    assert.deepEqual(encodeStpFrame('3e:f9:27:c1:5f:52', bpdu), LINUX_BRIDGE_CONFIG);
  });

  it('decodes a padded switch BPDU using the 802.3 length, not the frame length', () => {
    assert.equal(SWITCH_CONFIG_PADDED.length, 60);
    const bpdu = parseOk(SWITCH_CONFIG_PADDED) as ConfigBpdu;
    assert.equal(bpdu.rootId, 0x8064_001c0e877800n);
    assert.equal(bpdu.rootPathCost, 4);
    assert.equal(bpdu.bridgeId, 0x8064_001c0e878500n);
    assert.equal(bpdu.portId, 0x8004);
    assert.equal(bpdu.messageAge, 256);
  });

  it('decodes a frame at an offset inside a larger buffer (a receive ring)', () => {
    const ring = new Uint8Array(200);
    ring.set(LINUX_BRIDGE_CONFIG, 77);
    assert.deepEqual(parseStpFrame(ring, 77, 52), parseOk(LINUX_BRIDGE_CONFIG));
  });

  it('encodes and decodes a TCN BPDU (4 bytes, type 0x80), padded or not', () => {
    const frame = encodeStpFrame('52:54:00:00:00:01', { type: 'tcn' });
    assert.deepEqual(frame, hex('0180c2000000 525400000001 0007 424203 0000 00 80'));
    const padded = new Uint8Array(60);
    padded.set(frame);
    assert.deepEqual(parseOk(padded), { type: 'tcn' });
  });

  it('round-trips flags, big ids and extreme values', () => {
    const bpdu: ConfigBpdu = {
      type: 'config',
      topologyChange: true,
      topologyChangeAck: true,
      rootId: 0xffff_ffffffffffffn,
      rootPathCost: 0xffffffff,
      bridgeId: 0x0000_000000000001n,
      portId: 0xffff,
      messageAge: 0xffff,
      maxAge: 1,
      helloTime: 0,
      forwardDelay: 0x1234,
    };
    const frame = encodeStpFrame('aa:bb:cc:dd:ee:ff', bpdu);
    assert.equal(frame[17 + 4], 0x81);
    assert.deepEqual(parseOk(frame), bpdu);
    assert.equal(encodeBpdu(bpdu).length, 35);
  });

  it('names the reason for each malformed frame', () => {
    const cases: Array<[string, Uint8Array, string]> = [
      ['runt', LINUX_BRIDGE_CONFIG.slice(0, 16), 'runt'],
      ['wrong destination', patch(LINUX_BRIDGE_CONFIG, 5, 0x01), 'not-stp-address'],
      ['EtherType, not length', patch(LINUX_BRIDGE_CONFIG, 12, 0x08), 'not-llc'],
      ['length beyond the frame', patch(LINUX_BRIDGE_CONFIG, 13, 0x40), 'truncated'],
      ['wrong DSAP', patch(LINUX_BRIDGE_CONFIG, 14, 0xaa), 'bad-llc'],
      ['wrong control', patch(LINUX_BRIDGE_CONFIG, 16, 0x13), 'bad-llc'],
      ['protocol id 1', patch(LINUX_BRIDGE_CONFIG, 18, 0x01), 'bad-protocol-id'],
      ['RST BPDU type 2', patch(LINUX_BRIDGE_CONFIG, 20, 0x02), 'bad-type'],
      ['short config', patch(LINUX_BRIDGE_CONFIG, 13, 0x20), 'bad-config-size'],
      ['long TCN', patch(patch(LINUX_BRIDGE_CONFIG, 20, 0x80), 13, 0x08), 'bad-tcn-size'],
      ['BPDU shorter than its header', patch(LINUX_BRIDGE_CONFIG, 13, 0x05), 'runt'],
    ];
    for (const [what, frame, reason] of cases) {
      const result = parseStpFrame(frame, 0, frame.length);
      assert.ok(result instanceof StpParseError, what);
      assert.equal(result.reason, reason, what);
    }
  });

  it('accepts a later protocol version as version 0 (802.1D 9.3.4)', () => {
    assert.equal(parseOk(patch(LINUX_BRIDGE_CONFIG, 19, 0x03)).type, 'config');
  });

  it('rejects bounds outside the buffer instead of reading past it', () => {
    const result = parseStpFrame(LINUX_BRIDGE_CONFIG, 10, 52);
    assert.ok(isStpParseError(result));
    assert.equal(result.reason, 'runt');
  });

  it('never throws on random or mutated frames (fuzz)', () => {
    const random = seededRandom(0x5eed);
    const seeds = [
      LINUX_BRIDGE_CONFIG,
      SWITCH_CONFIG_PADDED,
      encodeStpFrame('02:00:00:00:00:01', { type: 'tcn' }),
    ];
    for (let i = 0; i < 20000; i++) {
      const frame = i % 2 ? mutate(seeds[i % seeds.length], random) : randomBytes(random, random() * 80);
      const offset = Math.floor(random() * 3);
      const length = Math.floor(random() * (frame.length + 4)) - 2;
      const result = parseStpFrame(frame, offset, length);
      assert.ok(isStpParseError(result) || result.type === 'config' || result.type === 'tcn');
    }
  });
});

function patch(frame: Uint8Array, at: number, value: number): Uint8Array {
  const copy = frame.slice();
  copy[at] = value;
  return copy;
}

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 0x1_0000_0000;
  };
}

function randomBytes(random: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length: Math.floor(length) }, () => Math.floor(random() * 256));
}

function mutate(seed: Uint8Array, random: () => number): Uint8Array {
  const frame = seed.slice(0, Math.max(0, seed.length - Math.floor(random() * 8)));
  for (let n = Math.floor(random() * 4); n > 0 && frame.length > 0; n--) {
    frame[Math.floor(random() * frame.length)] = Math.floor(random() * 256);
  }
  return frame;
}
