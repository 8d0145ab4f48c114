// Tunnel header codecs: byte-exact headers from the RFC layouts (GRE RFC 2784/2890, VXLAN RFC 7348, Geneve
// RFC 8926), round trips, every refusal code, and seeded fuzzing (random and mutated bytes never throw).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/packet/bytes.js';
import { foldSum, onesSum } from '../../src/packet/checksum.js';
import {
  ETH_TYPE_TEB,
  fillGreChecksum,
  fillGreChecksumSplit,
  GRE_CSUM,
  GRE_KEY,
  GRE_SEQ,
  greHeaderLength,
  parseGeneve,
  parseGre,
  parseVxlan,
  scanGeneveOptions,
  TNL_ERR_CHECKSUM,
  TNL_ERR_CRITICAL,
  TNL_ERR_FLAGS,
  TNL_ERR_OPTIONS,
  TNL_ERR_PROTOCOL,
  TNL_ERR_TRUNCATED,
  TNL_ERR_VERSION,
  TNL_OK,
  TunnelHeader,
  tunnelHeaderLength,
  writeGeneve,
  writeGre,
  writeVxlan,
} from '../../src/packet/tunnel-headers.js';

const out = new TunnelHeader();

describe('VXLAN', () => {
  it('writes VNI 42 as 08 00 00 00 00 00 2a 00', () => {
    const b = new Uint8Array(8);
    assert.equal(writeVxlan(b, 0, 42), 8);
    assert.equal(toHex(b), '0800000000002a00');
  });

  it('round-trips the full 24-bit VNI at an offset', () => {
    const b = new Uint8Array(20).fill(0xee);
    assert.equal(writeVxlan(b, 5, 0xabcdef), 8);
    assert.equal(toHex(b.subarray(5, 13)), '08000000abcdef00');
    assert.equal(b[4], 0xee);
    assert.equal(b[13], 0xee);
    assert.equal(parseVxlan(b, 5, 15, out), TNL_OK);
    assert.equal(out.key, 0xabcdef);
    assert.equal(out.keyPresent, true);
    assert.equal(out.headerLength, 8);
    assert.equal(out.protocol, ETH_TYPE_TEB);
  });

  it('masks a VNI wider than 24 bits', () => {
    const b = new Uint8Array(8);
    writeVxlan(b, 0, 0x1000002);
    assert.equal(toHex(b), '0800000000000200');
  });

  it('refuses a header without the I flag, ignores reserved bits', () => {
    assert.equal(parseVxlan(fromHex('0000 0000 0000 2a00'), 0, 8, out), TNL_ERR_FLAGS);
    assert.equal(parseVxlan(fromHex('0cff ffff 0000 2aff'), 0, 8, out), TNL_OK);
    assert.equal(out.key, 42);
  });

  it('refuses truncated input and bad ranges', () => {
    const b = fromHex('0800 0000 0000 2a00');
    assert.equal(parseVxlan(b, 0, 7, out), TNL_ERR_TRUNCATED);
    assert.equal(parseVxlan(b, 1, 8, out), TNL_ERR_TRUNCATED);
    assert.equal(parseVxlan(b, -1, 8, out), TNL_ERR_TRUNCATED);
    assert.equal(writeVxlan(new Uint8Array(7), 0, 1), -1);
    assert.equal(writeVxlan(new Uint8Array(8), 1, 1), -1);
  });
});

describe('GRE', () => {
  it('writes the base header (no options) for Ethernet', () => {
    const b = new Uint8Array(4);
    assert.equal(writeGre(b, 0, 0, ETH_TYPE_TEB, 0, 0), 4);
    assert.equal(toHex(b), '00006558');
  });

  it('writes K with the key after the base header (RFC 2890)', () => {
    const b = new Uint8Array(8);
    assert.equal(writeGre(b, 0, GRE_KEY, ETH_TYPE_TEB, 0x01020304, 0), 8);
    assert.equal(toHex(b), '2000655801020304');
    assert.equal(parseGre(b, 0, 8, out), TNL_OK);
    assert.deepEqual(
      [out.headerLength, out.keyPresent, out.key, out.seqPresent, out.csumPresent],
      [8, true, 0x01020304, false, false],
    );
  });

  it('orders checksum, key, sequence; checksum over header and odd-length payload is right', () => {
    // Expected checksum 0xaa3d computed independently over b000 6558 0000 0000 0000 002a 0000 0007 01..0f.
    const payload = fromHex('0102030405060708090a0b0c0d0e0f');
    const b = new Uint8Array(16 + payload.length);
    assert.equal(writeGre(b, 0, GRE_CSUM | GRE_KEY | GRE_SEQ, ETH_TYPE_TEB, 42, 7), 16);
    b.set(payload, 16);
    assert.equal(fillGreChecksum(b, 0, b.length), 0xaa3d);
    assert.equal(toHex(b.subarray(0, 16)), 'b0006558aa3d00000000002a00000007');
    assert.equal(foldSum(onesSum(b, 0, b.length)), 0xffff);
    assert.equal(parseGre(b, 0, b.length, out), TNL_OK);
    assert.deepEqual(
      [out.headerLength, out.csumPresent, out.key, out.seq, out.protocol],
      [16, true, 42, 7, 0x6558],
    );
  });

  it('fillGreChecksumSplit matches the contiguous checksum', () => {
    const payload = new Uint8Array(1501);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 37 + 11) & 0xff;
    for (const flags of [GRE_CSUM, GRE_CSUM | GRE_KEY, GRE_CSUM | GRE_SEQ, GRE_CSUM | GRE_KEY | GRE_SEQ]) {
      const hl = greHeaderLength(flags);
      const whole = new Uint8Array(3 + hl + payload.length);
      writeGre(whole, 3, flags, ETH_TYPE_TEB, 0xdeadbeef, 0x80000001);
      whole.set(payload, 3 + hl);
      const a = fillGreChecksum(whole, 3, whole.length);
      const hdr = new Uint8Array(hl + 1);
      writeGre(hdr, 1, flags, ETH_TYPE_TEB, 0xdeadbeef, 0x80000001);
      const wrapped = new Uint8Array(payload.length + 4);
      wrapped.set(payload, 2);
      const b = fillGreChecksumSplit(hdr, 1, wrapped, 2, payload.length);
      assert.equal(a, b);
      assert.deepEqual(hdr.subarray(1), whole.subarray(3, 3 + hl));
      assert.equal(parseGre(whole, 3, whole.length - 3, out), TNL_OK);
      assert.equal(out.key, flags & GRE_KEY ? 0xdeadbeef : 0);
      assert.equal(out.seq, flags & GRE_SEQ ? 0x80000001 : 0);
    }
  });

  it('drops a packet whose checksum is wrong', () => {
    const b = new Uint8Array(8 + 40);
    writeGre(b, 0, GRE_CSUM, ETH_TYPE_TEB, 0, 0);
    b.fill(0x5a, 8);
    fillGreChecksum(b, 0, b.length);
    assert.equal(parseGre(b, 0, b.length, out), TNL_OK);
    b[20] ^= 1;
    assert.equal(parseGre(b, 0, b.length, out), TNL_ERR_CHECKSUM);
    b[20] ^= 1;
    assert.equal(parseGre(b, 0, b.length - 1, out), TNL_ERR_CHECKSUM);
  });

  it('refuses version != 0, routing, strict route and recursion bits; ignores bits 6-12', () => {
    assert.equal(parseGre(fromHex('0001 6558'), 0, 4, out), TNL_ERR_VERSION);
    assert.equal(parseGre(fromHex('0007 6558'), 0, 4, out), TNL_ERR_VERSION);
    assert.equal(parseGre(fromHex('4000 6558 0000 0000'), 0, 8, out), TNL_ERR_FLAGS);
    assert.equal(parseGre(fromHex('0800 6558'), 0, 4, out), TNL_ERR_FLAGS);
    assert.equal(parseGre(fromHex('0400 6558'), 0, 4, out), TNL_ERR_FLAGS);
    assert.equal(parseGre(fromHex('03f8 6558'), 0, 4, out), TNL_OK);
    assert.equal(out.headerLength, 4);
  });

  it('reports a non-Ethernet protocol with the header filled', () => {
    assert.equal(parseGre(fromHex('2000 0800 0000 0063'), 0, 8, out), TNL_ERR_PROTOCOL);
    assert.equal(out.protocol, 0x0800);
    assert.equal(out.key, 99);
    assert.equal(out.headerLength, 8);
  });

  it('refuses truncated headers and bad ranges', () => {
    assert.equal(parseGre(fromHex('2000 6558 0000'), 0, 6, out), TNL_ERR_TRUNCATED);
    assert.equal(parseGre(fromHex('3000 6558 0000 0000'), 0, 8, out), TNL_ERR_TRUNCATED);
    assert.equal(parseGre(fromHex('0000 65'), 0, 3, out), TNL_ERR_TRUNCATED);
    assert.equal(parseGre(fromHex('0000 6558'), 0, 5, out), TNL_ERR_TRUNCATED);
    assert.equal(writeGre(new Uint8Array(7), 0, GRE_KEY, ETH_TYPE_TEB, 1, 0), -1);
    assert.equal(fillGreChecksum(fromHex('0000 6558 0000 0000'), 0, 8), -1);
    assert.equal(fillGreChecksum(fromHex('8000 6558 0000 0000'), 0, 9), -1);
    assert.equal(fillGreChecksum(fromHex('a000 6558 0000 0000'), 0, 8), -1);
    assert.equal(fillGreChecksumSplit(fromHex('0000 6558 0000 0000'), 0, new Uint8Array(4), 0, 4), -1);
  });

  it('drops flag bits other than C, K, S when writing', () => {
    const b = new Uint8Array(4);
    assert.equal(writeGre(b, 0, 0x4807, ETH_TYPE_TEB, 0, 0), 4);
    assert.equal(toHex(b), '00006558');
  });
});

describe('Geneve', () => {
  it('writes the base header: 00 00 65 58 then VNI and a reserved byte', () => {
    const b = new Uint8Array(8);
    assert.equal(writeGeneve(b, 0, 0x123456), 8);
    assert.equal(toHex(b), '0000655812345600');
    assert.equal(parseGeneve(b, 0, 8, out), TNL_OK);
    assert.deepEqual(
      [out.headerLength, out.protocol, out.key, out.oam, out.critical, out.optionsLength],
      [8, ETH_TYPE_TEB, 0x123456, false, false, 0],
    );
  });

  it('sets the O bit', () => {
    const b = new Uint8Array(8);
    writeGeneve(b, 0, 1, null, true);
    assert.equal(toHex(b), '0080655800000100');
    parseGeneve(b, 0, 8, out);
    assert.equal(out.oam, true);
  });

  it('writes options with their length in 4-byte units, C set for a critical option', () => {
    const opt = fromHex('0102 03 01 deadbeef');
    const b = new Uint8Array(16);
    assert.equal(writeGeneve(b, 0, 7, opt), 16);
    assert.equal(toHex(b), '020065580000070001020301deadbeef');
    assert.equal(parseGeneve(b, 0, 16, out), TNL_OK);
    assert.deepEqual([out.headerLength, out.optionsOffset, out.optionsLength], [16, 8, 8]);

    const crit = fromHex('0102 83 00  ffff 01 01 00000000');
    const c = new Uint8Array(20);
    assert.equal(writeGeneve(c, 0, 7, crit), 20);
    assert.equal(toHex(c.subarray(0, 4)), '03406558');
    assert.equal(parseGeneve(c, 0, 20, out), TNL_ERR_CRITICAL);
    assert.deepEqual([out.critical, out.key, out.headerLength, out.optionsLength], [true, 7, 20, 12]);
  });

  it('reports C without critical options as critical too (conservative)', () => {
    assert.equal(parseGeneve(fromHex('0040 6558 0000 0100'), 0, 8, out), TNL_ERR_CRITICAL);
    assert.equal(out.key, 1);
  });

  it('refuses version != 0, non-tiling options, truncation; reports other protocols', () => {
    assert.equal(parseGeneve(fromHex('4000 6558 0000 0100'), 0, 8, out), TNL_ERR_VERSION);
    assert.equal(parseGeneve(fromHex('0100 6558 0000 0100 0102 0301'), 0, 12, out), TNL_ERR_OPTIONS);
    assert.equal(parseGeneve(fromHex('0200 6558 0000 0100 0102 0301'), 0, 12, out), TNL_ERR_TRUNCATED);
    assert.equal(parseGeneve(fromHex('0000 6558 0000 01'), 0, 7, out), TNL_ERR_TRUNCATED);
    assert.equal(parseGeneve(fromHex('0000 0800 0000 0100'), 0, 8, out), TNL_ERR_PROTOCOL);
    assert.equal(out.protocol, 0x0800);
  });

  it('refuses to write malformed options or past the end', () => {
    assert.equal(writeGeneve(new Uint8Array(16), 0, 1, fromHex('0102 0302 0000 0000')), -1);
    assert.equal(writeGeneve(new Uint8Array(16), 0, 1, fromHex('0102 03')), -1);
    assert.equal(writeGeneve(new Uint8Array(16), 0, 1, new Uint8Array(256)), -1);
    assert.equal(writeGeneve(new Uint8Array(11), 0, 1, fromHex('0102 0300')), -1);
  });

  it('scans options: tiling, critical bit', () => {
    assert.equal(scanGeneveOptions(new Uint8Array(0), 0, 0), 0);
    assert.equal(scanGeneveOptions(fromHex('0000 0000 0000 8000'), 0, 8), 1);
    assert.equal(scanGeneveOptions(fromHex('0000 001f'), 0, 4), -1);
    const big = new Uint8Array(128);
    big[3] = 31;
    assert.equal(scanGeneveOptions(big, 0, 128), 0);
  });
});

describe('tunnelHeaderLength', () => {
  it('sizes each kind', () => {
    assert.equal(tunnelHeaderLength('vxlan'), 8);
    assert.equal(tunnelHeaderLength('gre'), 4);
    assert.equal(tunnelHeaderLength('gre', GRE_KEY), 8);
    assert.equal(tunnelHeaderLength('gre', GRE_CSUM | GRE_KEY | GRE_SEQ), 16);
    assert.equal(tunnelHeaderLength('geneve'), 8);
    assert.equal(tunnelHeaderLength('geneve', 252), 260);
    assert.equal(tunnelHeaderLength('geneve', 6), -1);
    assert.equal(tunnelHeaderLength('geneve', 256), -1);
  });
});

/** mulberry32: a small seeded PRNG, so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('tunnel header fuzz', () => {
  it('random and mutated bytes never throw, and an accepted header fits the bytes', () => {
    const rand = prng(0x7e11);
    const int = (n: number) => Math.floor(rand() * n);
    const seeds = [
      fromHex('b0006558aa3d00000000002a00000007 0102030405060708090a0b0c0d0e0f'),
      fromHex('2000655801020304 aabbccdd'),
      fromHex('0800000000002a00 0011'),
      fromHex('0300655800000700 010283000000000000000000 ffff'),
    ];
    const parsers = [parseGre, parseVxlan, parseGeneve];
    for (let round = 0; round < 20000; round++) {
      let b: Uint8Array;
      if (rand() < 0.5) {
        b = new Uint8Array(int(40));
        for (let i = 0; i < b.length; i++) b[i] = int(256);
      } else {
        b = seeds[int(seeds.length)].slice(0, int(40));
        for (let n = int(4); n > 0 && b.length > 0; n--) b[int(b.length)] = int(256);
      }
      const off = int(4) - 1;
      const len = b.length - Math.max(off, 0) + int(3) - 1;
      for (const parse of parsers) {
        const r = parse(b, off, len, out);
        assert.ok(r >= TNL_OK && r <= TNL_ERR_CRITICAL);
        if (r === TNL_OK) assert.ok(out.headerLength <= len && off >= 0);
      }
      scanGeneveOptions(b, off, len);
      fillGreChecksum(b, off, off + len);
      writeGeneve(b, off, int(1 << 24), rand() < 0.5 ? null : b.slice(0, int(12)));
      writeGre(b, off, int(0x10000), int(0x10000), int(2 ** 32), int(2 ** 32));
      writeVxlan(b, off, int(1 << 24));
    }
  });
});
