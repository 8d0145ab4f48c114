// Software GSO and checksum completion: real super-frames from the builders (TCP and UDP, IPv4 and IPv6, VLAN
// tags, IP and TCP options) are segmented, and every segment must equal, byte for byte, the frame the builder
// makes for that segment, and pass the project's own parsers and checksum checks. Refusals, capacity, the
// in-place paths, alignment and seeded fuzzing are covered too.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type TcpSpec, tcpFrame, type UdpSpec, udpFrame } from '../../src/packet/builder.js';
import { foldSum, ipv4HeaderChecksum, pseudoSumFor } from '../../src/packet/checksum.js';
import {
  needsCompletion,
  SEG_ERR_CAPACITY,
  SEG_ERR_MALFORMED,
  SEG_ERR_UNSUPPORTED,
  SEG_IN_PLACE,
  Segmenter,
  segmentReasonName,
  VNET_F_NEEDS_CSUM,
  VNET_GSO_ECN,
  VNET_GSO_TCPV4,
  VNET_GSO_TCPV6,
  VNET_GSO_UDP,
  VNET_GSO_UDP_L4,
  VNET_HDR_LEN,
} from '../../src/packet/gso.js';
import { Ipv4Packet } from '../../src/packet/ipv4.js';
import { Ipv6Packet } from '../../src/packet/ipv6.js';
import { TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TcpPacket } from '../../src/packet/tcp.js';
import { UdpPacket } from '../../src/packet/udp.js';

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

const rand = prng(0x6502);
const int = (n: number) => Math.floor(rand() * n);

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = int(256);
  return b;
}

const L2 = { srcMac: '50:54:00:00:00:05', dstMac: '50:54:00:00:00:07' };
const V4 = { ...L2, src: '10.0.0.5', dst: '10.0.0.7', ipId: 0xfffe, dontFragment: true, ttl: 63 };
const V6 = { ...L2, src: '2001:db8::5', dst: '2001:db8::7', tos: 0x20, flowLabel: 0x12345 };
const TWO_TAGS = [
  { vid: 100, tpid: 0x88a8, pcp: 5 },
  { vid: 200, pcp: 1 },
];
const TIMESTAMPS = Uint8Array.of(1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2);

interface Vnet {
  flags?: number;
  gsoType?: number;
  hdrLen?: number;
  gsoSize?: number;
  csumStart?: number;
  csumOffset?: number;
}

interface Framed {
  buf: Uint8Array;
  offset: number;
  length: number;
}

/** `frame` with its virtio-net header in front, `lead` bytes before that, inside a view at `byteShift`. */
function framed(frame: Uint8Array, vnet: Vnet, lead = 6, tail = 0, byteShift = 0): Framed {
  const backing = new Uint8Array(byteShift + lead + VNET_HDR_LEN + frame.length + tail);
  const buf = backing.subarray(byteShift);
  const v = lead;
  const put = (o: number, x: number) => {
    buf[v + o] = x & 0xff;
    buf[v + o + 1] = x >>> 8;
  };
  buf[v] = vnet.flags ?? 0;
  buf[v + 1] = vnet.gsoType ?? 0;
  put(2, vnet.hdrLen ?? 0);
  put(4, vnet.gsoSize ?? 0);
  put(6, vnet.csumStart ?? 0);
  put(8, vnet.csumOffset ?? 0);
  buf.set(frame, lead + VNET_HDR_LEN);
  return { buf, offset: lead + VNET_HDR_LEN, length: frame.length };
}

/** Replaces the L4 checksum by the folded pseudo-header sum, as a CHECKSUM_PARTIAL frame carries it. */
function makePartial(frame: Uint8Array, l3: number, l4: number, proto: number, field: number): void {
  const l4Len = frame.length - l4;
  const ps = foldSum(pseudoSumFor(frame, l3, proto, l4Len));
  frame[l4 + field] = ps >>> 8;
  frame[l4 + field + 1] = ps & 0xff;
}

function l3Of(vlans: number): number {
  return 14 + 4 * vlans;
}

/** Checks segments with the parsers: IP lengths and checksum, L4 checksum; returns [l4Off, l4Len] per frame. */
function checkWithParsers(out: Uint8Array, off: number, len: number, l3: number, v6: boolean, proto: number) {
  const ip = off + l3;
  let l4: number;
  if (v6) {
    const p = Ipv6Packet.checked(out, ip, len - l3);
    assert.ok(p);
    assert.equal(p.payloadLength, len - l3 - 40);
    l4 = p.payloadOffset;
  } else {
    const p = Ipv4Packet.checked(out, ip, len - l3);
    assert.ok(p);
    assert.equal(p.totalLength, len - l3);
    assert.ok(p.checksumOk());
    l4 = p.payloadOffset;
  }
  const l4Len = off + len - l4;
  const ps = pseudoSumFor(out, ip, proto, l4Len);
  if (proto === 6) {
    const t = new TcpPacket(out, l4, l4Len);
    assert.ok(t.check());
    assert.ok(t.checksumOk(ps), 'tcp checksum');
  } else {
    const u = new UdpPacket(out, l4, l4Len);
    assert.ok(u.check());
    assert.equal(u.udpLength, l4Len);
    assert.notEqual(u.checksum, 0);
    assert.ok(u.checksumOk(ps), 'udp checksum');
  }
  return [l4, l4Len];
}

interface TcpCase {
  spec: TcpSpec;
  vlans: number;
  mss: number;
  gsoType: number;
  lead?: number;
  byteShift?: number;
  outOffset?: number;
  headroom?: number;
  hdrLenField?: number;
  ipOptions?: boolean;
}

/** Inserts 4 bytes of IPv4 options (NOP NOP NOP EOL) after the IPv4 header; fixes IHL, length, checksum. */
function withIpOptions(frame: Uint8Array, l3: number): Uint8Array {
  const f = new Uint8Array(frame.length + 4);
  f.set(frame.subarray(0, l3 + 20), 0);
  f.set([1, 1, 1, 0], l3 + 20);
  f.set(frame.subarray(l3 + 20), l3 + 24);
  f[l3] = 0x46;
  const tot = ((f[l3 + 2] << 8) | f[l3 + 3]) + 4;
  f[l3 + 2] = tot >>> 8;
  f[l3 + 3] = tot & 0xff;
  f[l3 + 10] = 0;
  f[l3 + 11] = 0;
  const c = ipv4HeaderChecksum(f, l3);
  f[l3 + 10] = c >>> 8;
  f[l3 + 11] = c & 0xff;
  return f;
}

/** Segments a TCP super-frame and checks every segment against the builder and the parsers. */
function runTcp(c: TcpCase, seg = new Segmenter()): number {
  const spec = c.spec;
  const payload = spec.payload ?? new Uint8Array(0);
  const v6 = spec.src.includes(':');
  const l3 = l3Of(c.vlans);
  const ipHl = v6 ? 40 : c.ipOptions ? 24 : 20;
  const l4 = l3 + ipHl;
  let frame = tcpFrame(spec);
  if (c.ipOptions) frame = withIpOptions(frame, l3);
  makePartial(frame, l3, l4, 6, 16);
  const hdrLen = l4 + 20 + (spec.options?.length ?? 0);
  const input = framed(
    frame,
    {
      flags: VNET_F_NEEDS_CSUM,
      gsoType: c.gsoType,
      hdrLen: c.hdrLenField ?? hdrLen,
      gsoSize: c.mss,
      csumStart: l4,
      csumOffset: 16,
    },
    c.lead,
    0,
    c.byteShift,
  );
  const before = input.buf.slice();
  const out = new Uint8Array(200000).fill(0xa5);
  const n = seg.segment(input.buf, input.offset, input.length, out, c.outOffset ?? 0, c.headroom ?? 0);
  const expectN = Math.ceil(payload.length / c.mss);
  assert.equal(n, expectN, segmentReasonName(n));
  assert.equal(seg.count, n);
  assert.deepEqual(input.buf, before, 'input untouched');
  const seq0 = spec.seq ?? 0;
  let prevEnd = c.outOffset ?? 0;
  const joined: number[] = [];
  let nextSeq = seq0;
  for (let i = 0; i < n; i++) {
    const off = seg.offsets[i];
    const len = seg.lengths[i];
    assert.ok(off >= prevEnd + (c.headroom ?? 0), 'frames keep their headroom and do not overlap');
    prevEnd = off + len;
    const chunk = payload.subarray(i * c.mss, Math.min(payload.length, (i + 1) * c.mss));
    assert.ok(chunk.length <= c.mss);
    if (i < n - 1) assert.equal(chunk.length, c.mss);
    let flags = spec.flags ?? 0;
    if (i < n - 1) flags &= ~(TCP_FIN | TCP_PSH);
    if (i > 0) flags &= ~TCP_CWR;
    let expected = tcpFrame({
      ...spec,
      seq: (seq0 + i * c.mss) >>> 0,
      flags,
      payload: chunk,
      ipId: ((spec.ipId ?? 0) + i) & 0xffff,
    });
    if (c.ipOptions) expected = withIpOptions(expected, l3);
    assert.deepEqual(out.subarray(off, off + len), expected, `segment ${i} of ${n}`);
    const [tl4, tl4Len] = checkWithParsers(out, off, len, l3, v6, 6);
    const t = new TcpPacket(out, tl4, tl4Len);
    assert.equal(t.seq, nextSeq >>> 0);
    nextSeq += tl4Len - t.headerLength;
    for (let k = t.payloadOffset; k < off + len; k++) joined.push(out[k]);
    if ((c.headroom ?? 0) >= VNET_HDR_LEN) {
      assert.deepEqual(out.subarray(off - VNET_HDR_LEN, off), new Uint8Array(VNET_HDR_LEN));
    }
  }
  assert.deepEqual(Uint8Array.from(joined), payload, 'payloads concatenate to the original');
  return n;
}

describe('needsCompletion', () => {
  it('is true for NEEDS_CSUM or a GSO type, false for plain frames and missing headers', () => {
    const f = new Uint8Array(64);
    assert.equal(needsCompletion(f, 10), false);
    f[0] = VNET_F_NEEDS_CSUM;
    assert.equal(needsCompletion(f, 10), true);
    f[0] = 2; // DATA_VALID: nothing to do
    assert.equal(needsCompletion(f, 10), false);
    f[1] = VNET_GSO_TCPV4;
    assert.equal(needsCompletion(f, 10), true);
    f[1] = VNET_GSO_ECN;
    assert.equal(needsCompletion(f, 10), false);
    assert.equal(needsCompletion(f, 9), false);
    assert.equal(needsCompletion(f, 65), false);
  });
});

describe('TCP segmentation', () => {
  it('TCPV4: 20000 bytes at MSS 1448, flags only where they belong, seq wrapping, IP id wrapping', () => {
    const n = runTcp({
      spec: {
        ...V4,
        srcPort: 40000,
        dstPort: 5201,
        seq: 0xfffff000,
        ack: 77,
        flags: TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR | TCP_ECE,
        payload: randomBytes(20000),
      },
      vlans: 0,
      mss: 1448,
      gsoType: VNET_GSO_TCPV4 | VNET_GSO_ECN,
    });
    assert.equal(n, 14);
  });

  it('TCPV4 at the largest frame (64 KiB) and a tiny MSS (745 segments)', () => {
    const spec = {
      ...V4,
      srcPort: 1,
      dstPort: 2,
      seq: 5,
      flags: TCP_ACK | TCP_PSH,
      payload: randomBytes(65495),
    };
    assert.equal(runTcp({ spec, vlans: 0, mss: 1448, gsoType: VNET_GSO_TCPV4 }), 46);
    const small = { ...spec, payload: randomBytes(65495 - 12), options: TIMESTAMPS };
    assert.equal(runTcp({ spec: small, vlans: 0, mss: 88, gsoType: VNET_GSO_TCPV4 }), 745);
  });

  it('TCPV6 with two VLAN tags and timestamp options, MSS not a multiple of 4', () => {
    runTcp({
      spec: {
        ...V6,
        vlans: TWO_TAGS,
        srcPort: 443,
        dstPort: 50000,
        seq: 1000,
        ack: 2000,
        flags: TCP_ACK | TCP_PSH,
        options: TIMESTAMPS,
        payload: randomBytes(30001),
      },
      vlans: 2,
      mss: 1415,
      gsoType: VNET_GSO_TCPV6,
    });
  });

  it('TCPV4 with one VLAN tag and IPv4 options; vnet hdr_len 0 or wrong is ignored', () => {
    for (const hdrLenField of [0, 7, 1000]) {
      runTcp({
        spec: {
          ...V4,
          vlans: [{ vid: 7 }],
          srcPort: 9,
          dstPort: 10,
          flags: TCP_ACK,
          payload: randomBytes(5000),
        },
        vlans: 1,
        mss: 1000,
        gsoType: VNET_GSO_TCPV4,
        ipOptions: true,
        hdrLenField,
      });
    }
  });

  it('any alignment of input and staging (word copy and byte copy paths)', () => {
    const seg = new Segmenter();
    const spec = { ...V4, srcPort: 3, dstPort: 4, flags: TCP_ACK, payload: randomBytes(7777) };
    for (let byteShift = 0; byteShift < 4; byteShift++) {
      for (let lead = 0; lead < 4; lead++) {
        for (let outOffset = 0; outOffset < 4; outOffset++) {
          for (const mss of [1448, 1447, 1450, 33]) {
            runTcp({ spec, vlans: 0, mss, gsoType: VNET_GSO_TCPV4, lead, byteShift, outOffset }, seg);
          }
        }
      }
    }
  });

  it('headroom: each segment has room (and a zeroed virtio-net header) before it', () => {
    runTcp({
      spec: { ...V6, srcPort: 5, dstPort: 6, flags: TCP_ACK | TCP_FIN, payload: randomBytes(9000) },
      vlans: 0,
      mss: 1428,
      gsoType: VNET_GSO_TCPV6,
      outOffset: 3,
      headroom: 64,
    });
  });
});

describe('UDP segmentation (USO)', () => {
  function runUdp(spec: UdpSpec, vlans: number, gsoSize: number): void {
    const payload = spec.payload ?? new Uint8Array(0);
    const v6 = spec.src.includes(':');
    const l3 = l3Of(vlans);
    const l4 = l3 + (v6 ? 40 : 20);
    const frame = udpFrame(spec);
    makePartial(frame, l3, l4, 17, 6);
    const input = framed(frame, {
      flags: VNET_F_NEEDS_CSUM,
      gsoType: VNET_GSO_UDP_L4,
      hdrLen: l4 + 8,
      gsoSize,
      csumStart: l4,
      csumOffset: 6,
    });
    const seg = new Segmenter();
    const out = new Uint8Array(100000);
    const n = seg.segment(input.buf, input.offset, input.length, out, 0, 16);
    assert.equal(n, Math.ceil(payload.length / gsoSize));
    const joined: number[] = [];
    for (let i = 0; i < n; i++) {
      const off = seg.offsets[i];
      const len = seg.lengths[i];
      const chunk = payload.subarray(i * gsoSize, Math.min(payload.length, (i + 1) * gsoSize));
      const expected = udpFrame({ ...spec, payload: chunk, ipId: ((spec.ipId ?? 0) + i) & 0xffff });
      assert.deepEqual(out.subarray(off, off + len), expected, `datagram ${i}`);
      const [ul4] = checkWithParsers(out, off, len, l3, v6, 17);
      for (let k = ul4 + 8; k < off + len; k++) joined.push(out[k]);
    }
    assert.deepEqual(Uint8Array.from(joined), payload);
  }

  it('UDP_L4 over IPv4: 9000 bytes in 1400-byte datagrams', () => {
    runUdp({ ...V4, srcPort: 4000, dstPort: 4001, payload: randomBytes(9000) }, 0, 1400);
  });

  it('UDP_L4 over IPv6 with two VLAN tags, odd gso_size', () => {
    runUdp({ ...V6, vlans: TWO_TAGS, srcPort: 1, dstPort: 2, payload: randomBytes(12345) }, 2, 1231);
  });

  it('a datagram whose checksum sums to zero is sent as 0xffff', () => {
    // Search a payload tail byte pair that makes the computed checksum 0 for a one-datagram frame.
    const seg = new Segmenter();
    const base = { ...V4, srcPort: 1, dstPort: 2 };
    const payload = new Uint8Array(4);
    const f = udpFrame({ ...base, payload });
    const csum = (f[40] << 8) | f[41];
    // Adding `csum` into the sum (as payload data) turns the checksum into 0 (or its ones'-complement twin).
    payload[0] = csum >>> 8;
    payload[1] = csum & 0xff;
    const g = udpFrame({ ...base, payload });
    const input = framed(g, { gsoType: VNET_GSO_UDP_L4, gsoSize: 1000 });
    assert.equal(seg.segment(input.buf, input.offset, input.length, new Uint8Array(0)), SEG_IN_PLACE);
    const done = input.buf.subarray(input.offset);
    assert.equal((done[40] << 8) | done[41], 0xffff);
    assert.ok(new UdpPacket(done, 34, 12).checksumOk(pseudoSumFor(done, 14, 17, 12)));
  });
});

describe('in-place completion', () => {
  it('NEEDS_CSUM TCP and UDP over IPv4/IPv6: checksum completed, header cleared', () => {
    const seg = new Segmenter();
    const cases: [Uint8Array, number, number, number][] = [
      [tcpFrame({ ...V4, srcPort: 1, dstPort: 2, flags: TCP_ACK, payload: randomBytes(1001) }), 14, 34, 16],
      [tcpFrame({ ...V6, vlans: TWO_TAGS, srcPort: 1, dstPort: 2, payload: randomBytes(77) }), 22, 62, 16],
      [
        udpFrame({ ...V4, vlans: [{ vid: 3 }], srcPort: 1, dstPort: 2, payload: randomBytes(333) }),
        18,
        38,
        6,
      ],
      [udpFrame({ ...V6, srcPort: 1, dstPort: 2, payload: randomBytes(1) }), 14, 54, 6],
    ];
    for (const [good, l3, l4, field] of cases) {
      const partial = good.slice();
      makePartial(partial, l3, l4, field === 16 ? 6 : 17, field);
      // Ethernet padding after the IP packet must not enter the sum.
      const input = framed(partial, { flags: VNET_F_NEEDS_CSUM, csumStart: l4, csumOffset: field }, 6, 0);
      const padded = new Uint8Array(input.buf.length + 9);
      padded.set(input.buf);
      padded.fill(0x77, input.buf.length);
      assert.equal(seg.segment(padded, input.offset, input.length + 9, new Uint8Array(0)), SEG_IN_PLACE);
      assert.deepEqual(padded.subarray(input.offset, input.offset + good.length), good);
      assert.deepEqual(padded.subarray(input.offset - VNET_HDR_LEN, input.offset), new Uint8Array(10));
      assert.equal(needsCompletion(padded, input.offset), false);
    }
    assert.equal(seg.completed, 4);
  });

  it('a plain frame is left alone', () => {
    const seg = new Segmenter();
    const f = tcpFrame({ ...V4, srcPort: 1, dstPort: 2 });
    const input = framed(f, { flags: 2 });
    const before = input.buf.slice();
    assert.equal(seg.segment(input.buf, input.offset, input.length, new Uint8Array(0)), SEG_IN_PLACE);
    assert.deepEqual(input.buf, before);
    assert.equal(seg.completed, 0);
  });

  it('a GSO frame of one segment is finished in place (full checksum, IPv4 header checksum)', () => {
    const seg = new Segmenter();
    const good = tcpFrame({
      ...V4,
      srcPort: 1,
      dstPort: 2,
      flags: TCP_ACK | TCP_FIN,
      payload: randomBytes(1448),
    });
    const partial = good.slice();
    makePartial(partial, 14, 34, 6, 16);
    partial[24] ^= 0xff; // a stale IPv4 header checksum is recomputed
    const input = framed(partial, {
      flags: 1,
      gsoType: VNET_GSO_TCPV4,
      gsoSize: 1448,
      csumStart: 34,
      csumOffset: 16,
    });
    assert.equal(seg.segment(input.buf, input.offset, input.length, new Uint8Array(0)), SEG_IN_PLACE);
    assert.deepEqual(input.buf.subarray(input.offset), good);
    assert.deepEqual(input.buf.subarray(input.offset - 10, input.offset), new Uint8Array(10));
    // No payload at all (a bare ACK marked GSO) is one segment too.
    const ack = tcpFrame({ ...V6, srcPort: 1, dstPort: 2, flags: TCP_ACK });
    const bare = framed(ack, { gsoType: VNET_GSO_TCPV6, gsoSize: 1000 });
    assert.equal(seg.segment(bare.buf, bare.offset, bare.length, new Uint8Array(0)), SEG_IN_PLACE);
    assert.deepEqual(bare.buf.subarray(bare.offset), ack);
  });
});

describe('refusals', () => {
  const tcp4 = () => tcpFrame({ ...V4, srcPort: 1, dstPort: 2, flags: TCP_ACK, payload: randomBytes(4000) });
  const tcp6 = () => tcpFrame({ ...V6, srcPort: 1, dstPort: 2, flags: TCP_ACK, payload: randomBytes(4000) });
  const gso4 = { flags: 1, gsoType: VNET_GSO_TCPV4, gsoSize: 1000, csumStart: 34, csumOffset: 16 };

  function expect(
    frame: Uint8Array,
    vnet: Vnet,
    code: number,
    out = new Uint8Array(10000),
    seg = new Segmenter(),
  ) {
    const input = framed(frame, vnet);
    const before = input.buf.slice();
    const r = seg.segment(input.buf, input.offset, input.length, out);
    assert.equal(r, code, `${segmentReasonName(r)} instead of ${segmentReasonName(code)}`);
    assert.equal(seg.count, 0);
    assert.equal(seg.refused[-code], 1);
    assert.deepEqual(input.buf, before, 'a refused frame is not modified');
  }

  it('capacity: staging too small, or more segments than the arrays hold', () => {
    expect(tcp4(), gso4, SEG_ERR_CAPACITY, new Uint8Array(4000));
    expect(tcp4(), gso4, SEG_ERR_CAPACITY, new Uint8Array(10000), new Segmenter(3));
    const seg = new Segmenter();
    const input = framed(tcp4(), gso4);
    assert.equal(
      seg.segment(input.buf, input.offset, input.length, new Uint8Array(10000), 0, 1500),
      SEG_ERR_CAPACITY,
    );
    assert.equal(
      seg.segment(input.buf, input.offset, input.length, new Uint8Array(10000), -1),
      SEG_ERR_CAPACITY,
    );
    // Exactly enough (the frames' end, alignment gaps included) works; one byte less does not.
    assert.equal(seg.segment(input.buf, input.offset, input.length, new Uint8Array(10000)), 4);
    const end = seg.offsets[3] + seg.lengths[3];
    assert.ok(end >= 4 * 54 + 4000 && end <= 4 * 54 + 4000 + 9);
    assert.equal(seg.segment(input.buf, input.offset, input.length, new Uint8Array(end)), 4);
    assert.equal(
      seg.segment(input.buf, input.offset, input.length, new Uint8Array(end - 1)),
      SEG_ERR_CAPACITY,
    );
  });

  it('malformed: gso_size 0, lengths beyond the frame, bad data offset, type vs. family, no room for vnet', () => {
    expect(tcp4(), { ...gso4, gsoSize: 0 }, SEG_ERR_MALFORMED);
    const long = tcp4();
    long[16] = 0xff; // IPv4 total length beyond the frame
    expect(long, gso4, SEG_ERR_MALFORMED);
    const doff = tcp4();
    doff[46] = 0x40; // TCP data offset 4
    expect(doff, gso4, SEG_ERR_MALFORMED);
    const big = tcp4();
    big[46] = 0xf0; // TCP data offset 15 is fine (60 bytes) as long as it fits
    const seg = new Segmenter();
    const inp = framed(big, gso4);
    assert.ok(seg.segment(inp.buf, inp.offset, inp.length, new Uint8Array(10000)) > 0);
    expect(tcp6(), gso4, SEG_ERR_MALFORMED);
    expect(tcp4(), { ...gso4, gsoType: VNET_GSO_TCPV6 }, SEG_ERR_MALFORMED);
    expect(tcp4(), { ...gso4, gsoType: VNET_GSO_UDP_L4 }, SEG_ERR_MALFORMED);
    expect(tcp4().subarray(0, 40), gso4, SEG_ERR_MALFORMED);
    expect(tcp4(), { flags: 1, csumStart: 34, csumOffset: 4019 }, SEG_ERR_MALFORMED);
    expect(tcp4(), { flags: 1, csumStart: 2, csumOffset: 16 }, SEG_ERR_MALFORMED);
    const arp = new Uint8Array(60);
    arp[12] = 0x08;
    arp[13] = 0x06;
    expect(arp, gso4, SEG_ERR_MALFORMED);
    const s = new Segmenter();
    const f = tcp4();
    assert.equal(s.segment(f, 5, f.length - 5, new Uint8Array(10000)), SEG_ERR_MALFORMED);
    assert.equal(s.segment(f, 10, f.length, new Uint8Array(10000)), SEG_ERR_MALFORMED);
    assert.equal(s.segment(f, 10.5, 50, new Uint8Array(10000)), SEG_ERR_MALFORMED);
    assert.equal(s.refused[-SEG_ERR_MALFORMED], 3);
  });

  it('unsupported: UFO, unknown gso types, IPv4 fragments, IPv6 extension headers, jumbo', () => {
    expect(tcp4(), { ...gso4, gsoType: VNET_GSO_UDP }, SEG_ERR_UNSUPPORTED);
    expect(tcp4(), { ...gso4, gsoType: 2 }, SEG_ERR_UNSUPPORTED);
    const frag = tcp4();
    frag[20] |= 0x20; // MF
    expect(frag, gso4, SEG_ERR_UNSUPPORTED);
    const ext = tcp6();
    ext[20] = 0; // next header: hop-by-hop
    expect(ext, { ...gso4, gsoType: VNET_GSO_TCPV6 }, SEG_ERR_UNSUPPORTED);
    const jumbo = tcp6();
    jumbo[18] = 0;
    jumbo[19] = 0;
    expect(jumbo, { ...gso4, gsoType: VNET_GSO_TCPV6 }, SEG_ERR_UNSUPPORTED);
  });

  it('names the result codes', () => {
    assert.equal(segmentReasonName(SEG_IN_PLACE), 'in-place');
    assert.equal(segmentReasonName(3), 'segmented');
    assert.equal(segmentReasonName(SEG_ERR_MALFORMED), 'malformed');
    assert.equal(segmentReasonName(SEG_ERR_UNSUPPORTED), 'unsupported');
    assert.equal(segmentReasonName(SEG_ERR_CAPACITY), 'capacity');
    assert.equal(segmentReasonName(-9), 'unknown');
  });
});

describe('segmenter fuzz', () => {
  it('random vnet headers over mutated frames never throw; written frames lie in the staging buffer', () => {
    const seg = new Segmenter(64);
    const seeds = [
      tcpFrame({ ...V4, srcPort: 1, dstPort: 2, flags: TCP_ACK, payload: randomBytes(3000) }),
      tcpFrame({ ...V6, vlans: TWO_TAGS, srcPort: 1, dstPort: 2, payload: randomBytes(2000) }),
      udpFrame({ ...V4, vlans: [{ vid: 5 }], srcPort: 1, dstPort: 2, payload: randomBytes(2500) }),
      udpFrame({ ...V6, srcPort: 1, dstPort: 2, payload: randomBytes(100) }),
    ];
    const out = new Uint8Array(8000);
    const types = [0, 1, 3, 4, 5, 0x81, 0x84, 2, 6, 0xff];
    const seen = [0, 0, 0, 0, 0]; // in place, malformed, unsupported, capacity, segmented
    for (let round = 0; round < 4000; round++) {
      let f: Uint8Array = seeds[int(seeds.length)].slice();
      const kind = int(4);
      if (kind === 0) for (let n = 1 + int(6); n > 0; n--) f[int(Math.min(f.length, 80))] = int(256);
      else if (kind === 1) f = f.subarray(0, int(f.length + 1));
      else if (kind === 2) f = randomBytes(int(200));
      const vnet: Vnet = {
        flags: int(4),
        gsoType: types[int(types.length)],
        hdrLen: int(200),
        gsoSize: rand() < 0.2 ? int(65536) : int(1500),
        csumStart: int(120),
        csumOffset: int(40),
      };
      const input = framed(f, vnet, int(4), int(3), int(4));
      const staging = rand() < 0.3 ? out.subarray(0, int(4000)) : out;
      const r = seg.segment(input.buf, input.offset, input.length, staging, int(8), int(20));
      assert.ok(r >= SEG_ERR_CAPACITY);
      seen[r > 0 ? 4 : -r]++;
      if (r > 0) {
        for (let i = 0; i < r; i++) assert.ok(seg.offsets[i] + seg.lengths[i] <= staging.length);
      }
    }
    for (const n of seen) assert.ok(n > 20, `every outcome is reached: ${seen}`);
  });
});
