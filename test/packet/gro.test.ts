// Software GRO: consecutive segments of one TCP stream become one GSO super-frame whose virtio-net header
// lets the kernel (or our own Segmenter) cut it back into exactly the segments that came in; anything
// that may not be joined passes through untouched and in order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tcpFrame, udpFrame } from '../../src/packet/builder.js';
import { Coalescer } from '../../src/packet/gro.js';
import { Segmenter } from '../../src/packet/gso.js';

const HEAD = 138;

interface Seg {
  seq: number;
  id: number;
  len: number;
  flags?: number;
  srcPort?: number;
}

function segment(s: Seg): Uint8Array {
  const f = tcpFrame({
    srcMac: '02:00:00:00:00:01',
    dstMac: '02:00:00:00:00:02',
    src: '192.168.10.1',
    dst: '192.168.10.10',
    srcPort: s.srcPort ?? 40000,
    dstPort: 5201,
    flags: s.flags ?? 0x10,
    seq: s.seq,
    ack: 77,
    payload: new Uint8Array(s.len).map((_, i) => (s.seq + i) & 0xff),
  });
  // The builder's IPv4 id is 0: set ours (and fix the header checksum) so ids can count up.
  f[18] = s.id >> 8;
  f[19] = s.id & 0xff;
  f[24] = 0;
  f[25] = 0;
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += (f[i] << 8) | f[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  f[24] = c >> 8;
  f[25] = c & 0xff;
  return f;
}

/** Lays frames out in one buffer, each after 138 bytes of headroom (zeroed virtio-net header). */
function batch(frames: Uint8Array[]) {
  const buf = new Uint8Array(frames.reduce((n, f) => n + HEAD + f.length, 0));
  const offsets = new Uint32Array(frames.length);
  const lengths = new Uint32Array(frames.length);
  let at = 0;
  frames.forEach((f, i) => {
    offsets[i] = at + HEAD;
    lengths[i] = f.length;
    buf.set(f, at + HEAD);
    at += HEAD + f.length;
  });
  return { buf, offsets, lengths };
}

const always = () => true;

describe('Coalescer', () => {
  it('joins a TSO burst into one super-frame that segments back into the same frames', () => {
    const frames = [0, 1, 2, 3].map((k) => segment({ seq: 1000 + k * 1448, id: 7 + k, len: 1448 }));
    frames.push(segment({ seq: 1000 + 4 * 1448, id: 11, len: 500, flags: 0x18 }));
    const { buf, offsets, lengths } = batch(frames);
    const out = new Uint8Array(1 << 20);
    const g = new Coalescer(64, HEAD);
    assert.equal(g.run(buf, offsets, lengths, frames.length, out, always), 1);
    assert.equal(g.inOut[0], 1);
    assert.equal(g.lengths[0], 14 + 20 + 20 + 4 * 1448 + 500);
    const at = g.offsets[0];
    assert.deepEqual([...out.subarray(at - 10, at - 8)], [1, 1], 'NEEDS_CSUM, GSO TCPV4');
    assert.equal(out[at - 6] | (out[at - 5] << 8), 1448, 'gso_size is the MSS');
    assert.equal(out[at + 14 + 20 + 13] & 0x08, 0x08, 'PSH from the last segment');
    // Our own Segmenter (as the kernel would) cuts it back: the very frames that came in.
    const seg = new Segmenter(64);
    const back = new Uint8Array(1 << 20);
    const n = seg.segment(out, at, g.lengths[0], back, 0, 0);
    assert.equal(n, 5);
    for (let i = 0; i < n; i++) {
      const got = back.subarray(seg.offsets[i], seg.offsets[i] + seg.lengths[i]);
      assert.deepEqual([...got], [...frames[i]], `segment ${i}`);
    }
    assert.equal(g.merged, 5);
    assert.equal(g.superFrames, 1);
  });

  it('passes through, in order, whatever may not be joined', () => {
    const frames = [
      segment({ seq: 0, id: 1, len: 1000 }),
      segment({ seq: 1000, id: 2, len: 1000, srcPort: 1 }), // another stream: ends the aggregate
      segment({ seq: 2000, id: 3, len: 1000 }), // seq gap for the first stream
      udpFrame({
        srcMac: '02:00:00:00:00:01',
        dstMac: '02:00:00:00:00:02',
        src: '192.168.10.1',
        dst: '192.168.10.10',
        srcPort: 1,
        dstPort: 2,
        payload: new Uint8Array(10),
      }),
      segment({ seq: 5000, id: 9, len: 1000, flags: 0x18 }), // PSH: closes at once
      segment({ seq: 6000, id: 10, len: 1000 }),
      segment({ seq: 7000, id: 11, len: 1000, flags: 0x11 }), // FIN: never joined
      segment({ seq: 9000, id: 12, len: 800 }),
      segment({ seq: 9800, id: 13, len: 900 }), // larger than the first: not joined
    ];
    const { buf, offsets, lengths } = batch(frames);
    const g = new Coalescer(64, HEAD);
    const m = g.run(buf, offsets, lengths, frames.length, new Uint8Array(1 << 20), always);
    assert.equal(m, frames.length);
    for (let c = 0; c < m; c++) {
      assert.equal(g.inOut[c], 0);
      assert.equal(g.first[c], c);
      assert.equal(g.offsets[c], offsets[c]);
    }
  });

  it('respects the caller: frames with different tunnel metadata stay apart', () => {
    const frames = [0, 1, 2].map((k) => segment({ seq: k * 100, id: k, len: 100 }));
    const { buf, offsets, lengths } = batch(frames);
    const g = new Coalescer(64, HEAD);
    const m = g.run(buf, offsets, lengths, 3, new Uint8Array(1 << 16), (i, j) => i !== 0 || j !== 1);
    // 0 cannot take 1; 1 and 2 join.
    assert.equal(m, 2);
    assert.deepEqual([g.inOut[0], g.inOut[1]], [0, 1]);
    assert.deepEqual([g.first[0], g.first[1]], [0, 1]);
  });

  it('never throws on random bytes', () => {
    const g = new Coalescer(64, HEAD);
    const out = new Uint8Array(1 << 16);
    for (let round = 0; round < 300; round++) {
      const frames = [0, 1, 2, 3].map((k) => {
        const f = segment({ seq: k * 100, id: k, len: 100 });
        for (let x = 0; x < 4; x++) f[Math.floor(Math.random() * f.length)] = Math.floor(Math.random() * 256);
        return f.subarray(0, Math.floor(Math.random() * f.length));
      });
      const { buf, offsets, lengths } = batch(frames);
      g.run(buf, offsets, lengths, frames.length, out, always);
    }
  });
});
