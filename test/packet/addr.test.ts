// MAC and IP address text: OVS's lower-case colon MACs, dotted quads, and IPv6 compressed the way glibc's
// inet_ntop prints it (vectors checked with Python's socket.inet_ntop, which calls glibc).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatIpv4,
  formatIpv6Bytes,
  formatIpv6Words,
  ipBytes,
  parseIpv4,
  parseIpv6,
} from '../../src/packet/ip-addr.js';
import { formatMac, macBytes, parseMac, readMacText, writeMac } from '../../src/packet/mac.js';

describe('MAC text', () => {
  it('formats hi16/lo32 as OVS prints it', () => {
    assert.equal(formatMac(0x5054, 0x00000005), '50:54:00:00:00:05');
    assert.equal(formatMac(0xffff, 0xffffffff), 'ff:ff:ff:ff:ff:ff');
    assert.equal(formatMac(0x0a0b, 0xc0d0e0f0), '0a:0b:c0:d0:e0:f0');
  });

  it('parses colon or dash forms, any case, and rejects everything else', () => {
    assert.deepEqual(parseMac('50:54:00:00:00:05'), [0x5054, 5]);
    assert.deepEqual(parseMac('AA-BB-CC-DD-EE-FF'), [0xaabb, 0xccddeeff]);
    assert.deepEqual(parseMac('a:b:c:d:e:f'), [0x0a0b, 0x0c0d0e0f]);
    for (const bad of [
      '',
      '50:54:00:00:00',
      '50:54:00:00:00:05:06',
      'zz:54:00:00:00:05',
      '500:54:00:00:00:05',
    ]) {
      assert.equal(parseMac(bad), undefined, bad);
    }
  });

  it('reads and writes the 6 bytes', () => {
    const b = new Uint8Array(8);
    writeMac(b, 1, 0x0102, 0x03040506);
    assert.deepEqual([...b], [0, 1, 2, 3, 4, 5, 6, 0]);
    assert.equal(readMacText(b, 1), '01:02:03:04:05:06');
    assert.deepEqual(macBytes('01:02:03:04:05:06'), b.subarray(1, 7));
  });
});

describe('IPv4 text', () => {
  it('round-trips dotted quads', () => {
    assert.equal(formatIpv4(0x0a000005), '10.0.0.5');
    assert.equal(formatIpv4(0xffffffff), '255.255.255.255');
    assert.equal(parseIpv4('192.168.1.254'), 0xc0a801fe);
    assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  });

  it('rejects malformed quads', () => {
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.x', '', '1..2.3']) {
      assert.equal(parseIpv4(bad), undefined, bad);
    }
  });
});

describe('IPv6 text', () => {
  const vectors: [string, string][] = [
    ['00000000000000000000000000000002', '::2'],
    ['00000000000000000000000001020304', '::1.2.3.4'],
    ['00000000000000000000ffff01020304', '::ffff:1.2.3.4'],
    ['00000000000000000000000000000100', '::100'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['fe800000000000000000000000000001', 'fe80::1'],
    ['00000000000000000000000000000000', '::'],
    ['20010db8000100020003000400050006', '2001:db8:1:2:3:4:5:6'],
    ['ff0200000000000000000001ff000007', 'ff02::1:ff00:7'],
    ['ffffffffffffffff0000000000000000', 'ffff:ffff:ffff:ffff::'],
  ];

  it('formats like glibc inet_ntop', () => {
    for (const [hex, text] of vectors) {
      const bytes = Uint8Array.from(hex.match(/../g)!.map((h) => Number.parseInt(h, 16)));
      assert.equal(formatIpv6Bytes(bytes, 0), text);
      const words = new Uint32Array(4);
      for (let i = 0; i < 4; i++) words[i] = Number.parseInt(hex.slice(8 * i, 8 * i + 8), 16);
      assert.equal(formatIpv6Words(words, 0), text);
      assert.deepEqual(parseIpv6(text), bytes, text);
    }
  });

  it('parses uncompressed and mixed forms, rejects bad ones', () => {
    assert.deepEqual(parseIpv6('2001:0db8:0:0:0:0:0:5'), parseIpv6('2001:db8::5'));
    assert.deepEqual(parseIpv6('::ffff:10.0.0.1')?.subarray(12), Uint8Array.of(10, 0, 0, 1));
    for (const bad of [
      '1::2::3',
      '12345::',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      'g::1',
      '::1.2.3',
      '1:2:3:4:5:6:7::8',
    ]) {
      assert.equal(parseIpv6(bad), undefined, bad);
    }
  });

  it('ipBytes picks the family by the text', () => {
    assert.equal(ipBytes('10.0.0.1')?.length, 4);
    assert.equal(ipBytes('fe80::1')?.length, 16);
    assert.equal(ipBytes('nope'), undefined);
  });
});
