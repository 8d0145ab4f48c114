// ACT_SET_MASKED: every rewritable field on frames from the packet builders, executed through executeActions
// with a recording target; checksums recomputed from scratch (IPv4, TCP, UDP incl. zero UDP checksum, ICMP,
// ICMPv6, SCTP's CRC-32C), NEEDS_CSUM frames completed as a NIC would, VLAN tags, truncated frames, partial
// masks, and formatActions against the text real Open vSwitch 3.1 printed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACT_SET_MASKED, ACTION_ARGS, ActionsBuilder, formatActions } from '../../src/datapath/actions.js';
import { type ExecutionTarget, executeActions, modifiesAfterOutput } from '../../src/datapath/execute.js';
import {
  arpRequest,
  icmpEchoRequest,
  ipFrame,
  ndFrame,
  tcpFrame,
  udpFrame,
} from '../../src/packet/builder.js';
import {
  completeChecksum,
  foldSum,
  internetChecksum,
  ipv4HeaderChecksum,
  l4Checksum,
  pseudoSumFor,
} from '../../src/packet/checksum.js';
import { crc32c, readSctpChecksum, writeSctpChecksum } from '../../src/packet/crc32c.js';
import {
  K_ARP_SHA_HI,
  K_ARP_SHA_LO,
  K_ARP_THA_HI,
  K_ARP_THA_LO,
  K_DL_DST_HI,
  K_DL_DST_LO,
  K_DL_SRC_HI,
  K_DL_SRC_LO,
  K_DL_TYPE,
  K_IPV6_DST,
  K_IPV6_LABEL,
  K_IPV6_SRC,
  K_ND_TARGET,
  K_NW,
  K_NW_DST,
  K_NW_SRC,
  K_TP,
  newFlowKey,
} from '../../src/packet/flow-key.js';

const VNET = 10;
const L2 = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02' };
const V4 = { ...L2, src: '10.0.0.1', dst: '10.0.0.2' };
const V6 = { ...L2, src: '2001:db8::1', dst: '2001:db8::2' };
const PAYLOAD = Uint8Array.from({ length: 37 }, (_, i) => (i * 7 + 3) & 0xff);

/** Records the bytes of every output. */
class Recorder implements ExecutionTarget {
  readonly frames: Uint8Array[] = [];
  output(_port: number, buf: Uint8Array, _r: number, offset: number, length: number): boolean {
    this.frames.push(buf.slice(offset, offset + length));
    return true;
  }
  userspace(): void {}
}

/** A buffer holding a zeroed virtio-net header, `frame`, and 8 sentinel bytes (0xee) after it. */
function place(frame: Uint8Array): Uint8Array {
  const buf = new Uint8Array(VNET + frame.length + 8).fill(0xee);
  buf.fill(0, 0, VNET);
  buf.set(frame, VNET);
  return buf;
}

/** Runs `actions` on the frame in `buf` (length `len`, default all of it) and returns what port 2 got. */
function run(actions: Uint32Array, buf: Uint8Array, len = buf.length - VNET - 8): Uint8Array {
  const rec = new Recorder();
  executeActions(actions, buf, -1, VNET, len, false, rec);
  return rec.frames[0];
}

function be16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}

function be32(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

/** Asserts the IPv4 header at `ip` and the L4 segment [l4, end) carry correct checksums. */
function assertV4Sums(f: Uint8Array, ip: number, l4: number, proto: number, csumOff: number): void {
  assert.equal(be16(f, ip + 10), ipv4HeaderChecksum(f, ip), 'IPv4 header checksum');
  if (proto === 1) assert.equal(internetChecksum(f, l4, f.length), 0, 'ICMP checksum');
  else assert.equal(be16(f, l4 + csumOff), l4Checksum(f, ip, l4, f.length, proto, csumOff), 'L4 checksum');
}

function assertV6Sum(f: Uint8Array, ip: number, l4: number, proto: number, csumOff: number): void {
  assert.equal(be16(f, l4 + csumOff), l4Checksum(f, ip, l4, f.length, proto, csumOff), 'L4 checksum');
}

function program(sets: [number, number, number][], out = true): Uint32Array {
  const b = new ActionsBuilder();
  for (const [w, v, m] of sets) b.setMasked(w, v, m);
  if (out) b.output(2);
  return b.build();
}

const FULL = 0xffffffff;

test('the opcode and its argument words', () => {
  assert.equal(ACT_SET_MASKED, 6);
  assert.equal(ACTION_ARGS[ACT_SET_MASKED], 3);
  assert.deepEqual(
    [...new ActionsBuilder().setMasked(K_TP, 0x12345678, 0xffff).build()],
    [6, K_TP, 0x5678, 0xffff],
  );
});

test('Ethernet source and destination, full and partial masks', () => {
  const buf = place(tcpFrame({ ...V4, srcPort: 1, dstPort: 2 }));
  const f = run(
    program([
      [K_DL_SRC_HI, 0x0011, 0xffff],
      [K_DL_SRC_LO, 0x22334455, FULL],
      [K_DL_DST_HI, 0xaa00, 0xff00],
      [K_DL_DST_LO, 0x000000bb, 0x000000ff],
    ]),
    buf,
  );
  assert.deepEqual([...f.subarray(0, 12)], [0xaa, 0, 0, 0, 0, 0xbb, 0, 0x11, 0x22, 0x33, 0x44, 0x55]);
  assertV4Sums(f, 14, 34, 6, 16);
});

test('IPv4 addresses on TCP: header and TCP checksums follow', () => {
  const f = run(
    program([
      [K_NW_SRC, 0xc0a80101, FULL],
      [K_NW_DST, 0x0a000009, FULL],
    ]),
    place(tcpFrame({ ...V4, srcPort: 1234, dstPort: 80, payload: PAYLOAD })),
  );
  assert.equal(be32(f, 26), 0xc0a80101);
  assert.equal(be32(f, 30), 0x0a000009);
  assertV4Sums(f, 14, 34, 6, 16);
});

test('IPv4 partial address mask changes only the masked bits', () => {
  const f = run(
    program([[K_NW_SRC, 0xc0a80000, 0xffff0000]]),
    place(udpFrame({ ...V4, srcPort: 1, dstPort: 2 })),
  );
  assert.equal(be32(f, 26), 0xc0a80001);
  assertV4Sums(f, 14, 34, 17, 6);
});

test('IPv4 TOS (DSCP, ECN) and TTL, masked, with the header checksum', () => {
  const buf = place(udpFrame({ ...V4, tos: 0x03, ttl: 64, srcPort: 1, dstPort: 2, payload: PAYLOAD }));
  const dscp = run(program([[K_NW, 0x20 << 8, 0xfc << 8]]), buf);
  assert.equal(dscp[15], 0x23);
  assertV4Sums(dscp, 14, 34, 17, 6);
  const ecnTtl = run(program([[K_NW, (0x01 << 8) | (63 << 16), (0x03 << 8) | (0xff << 16)]]), buf);
  assert.equal(ecnTtl[15], 0x21);
  assert.equal(ecnTtl[22], 63);
  assert.equal(ecnTtl[23], 17, 'protocol untouched');
  assertV4Sums(ecnTtl, 14, 34, 17, 6);
});

test('TCP and UDP ports', () => {
  const tcp = run(
    program([[K_TP, (7 << 16) | 99, FULL]]),
    place(tcpFrame({ ...V4, srcPort: 1, dstPort: 2 })),
  );
  assert.equal(be32(tcp, 34), (7 << 16) | 99);
  assertV4Sums(tcp, 14, 34, 6, 16);
  const udp = run(program([[K_TP, 0x0100, 0xff00]]), place(udpFrame({ ...V4, srcPort: 1, dstPort: 0x22 })));
  assert.equal(be16(udp, 34), 1);
  assert.equal(be16(udp, 36), 0x0122);
  assertV4Sums(udp, 14, 34, 17, 6);
});

test('a zero UDP checksum (IPv4) stays zero through address and port changes', () => {
  const frame = udpFrame({ ...V4, srcPort: 1, dstPort: 2, payload: PAYLOAD });
  frame[40] = 0;
  frame[41] = 0;
  const f = run(
    program([
      [K_NW_DST, 0x0a0000fe, FULL],
      [K_TP, (5 << 16) | 6, FULL],
    ]),
    place(frame),
  );
  assert.equal(be16(f, 40), 0);
  assert.equal(be32(f, 34), (5 << 16) | 6);
  assert.equal(be16(f, 24), ipv4HeaderChecksum(f, 14));
});

test('ICMPv4 type and code', () => {
  const f = run(
    program([
      [K_TP, (3 << 16) | 1, 0x00ff00ff],
      [K_NW_SRC, 0x01020304, FULL],
    ]),
    place(icmpEchoRequest({ ...V4, ident: 9, seq: 1, data: PAYLOAD })),
  );
  assert.equal(f[34], 3);
  assert.equal(f[35], 1);
  assertV4Sums(f, 14, 34, 1, 2);
});

test('IPv6 addresses, label, traffic class and hop limit on TCP', () => {
  const buf = place(
    tcpFrame({ ...V6, srcPort: 1, dstPort: 2, flowLabel: 0x12345, tos: 0x01, payload: PAYLOAD }),
  );
  const f = run(
    program([
      [K_IPV6_SRC, 0x20010db8, FULL],
      [K_IPV6_SRC + 3, 0x99, FULL],
      [K_IPV6_DST + 2, 0xabcd0000, 0xffff0000],
      [K_IPV6_DST + 3, 0x98, FULL],
      [K_IPV6_LABEL, 0x54321, 0xfffff],
      [K_NW, (0x20 << 8) | (63 << 16), (0xfc << 8) | (0xff << 16)],
    ]),
    buf,
  );
  assert.equal(be32(f, 14), (6 << 28) | (0x21 << 20) | 0x54321);
  assert.equal(f[21], 63);
  assert.equal(be32(f, 34), 0x99);
  assert.equal(be32(f, 46), 0xabcd0000);
  assert.equal(be32(f, 50), 0x98);
  assertV6Sum(f, 14, 54, 6, 16);
  const ports = run(program([[K_TP, 80, 0xffff]]), buf);
  assert.equal(be16(ports, 56), 80);
  assertV6Sum(ports, 14, 54, 6, 16);
});

test('IPv6 UDP and ICMPv6: pseudo-header and type/code changes', () => {
  const udp = run(
    program([[K_IPV6_DST + 3, 7, FULL]]),
    place(udpFrame({ ...V6, srcPort: 1, dstPort: 2, payload: PAYLOAD })),
  );
  assertV6Sum(udp, 14, 54, 17, 6);
  const l4 = new Uint8Array(8 + PAYLOAD.length);
  l4[0] = 128;
  l4.set(PAYLOAD, 8);
  const echo = ipFrame(V6, 58, l4);
  echo[56] = 0;
  echo[57] = 0;
  const sum = l4Checksum(echo, 14, 54, echo.length, 58, 2);
  echo[56] = sum >>> 8;
  echo[57] = sum & 0xff;
  const f = run(
    program([
      [K_TP, 129 << 16, 0x00ff00ff],
      [K_IPV6_SRC + 1, 0x11112222, FULL],
    ]),
    place(echo),
  );
  assert.equal(f[54], 129);
  assertV6Sum(f, 14, 54, 58, 2);
});

test('IPv6 extension headers are walked; a routing header keeps the checksum on destination changes', () => {
  // Hop-by-hop options (8 bytes, next header UDP) before a UDP datagram.
  const udp = udpFrame({ ...V6, srcPort: 1, dstPort: 2, payload: PAYLOAD });
  const withHbh = new Uint8Array(udp.length + 8);
  withHbh.set(udp.subarray(0, 54));
  withHbh.set(udp.subarray(54), 62);
  withHbh[20] = 0; // next header: hop-by-hop
  withHbh[54] = 17;
  withHbh[55] = 0;
  withHbh[56] = 1; // PadN
  withHbh[57] = 4;
  const plen = be16(udp, 18) + 8;
  withHbh[18] = plen >>> 8;
  withHbh[19] = plen & 0xff;
  const f = run(
    program([
      [K_IPV6_SRC + 3, 0x42, FULL],
      [K_TP, 5 << 16, 0xffff0000],
    ]),
    place(withHbh),
  );
  assert.equal(be16(f, 62), 5);
  // The UDP checksum is over the UDP datagram at 62 under the same pseudo-header.
  const l4 = f.subarray(62);
  const sum = foldSum(pseudoSumFor(f, 14, 17, l4.length) + foldSum(sumOf(l4)));
  assert.equal(sum, 0xffff, 'UDP checksum verifies');
});

function sumOf(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  return s;
}

test('ND target and link-layer address options', () => {
  const ns = ndFrame({
    ...V6,
    type: 135,
    nd: { target: '2001:db8::5', sll: '00:00:00:00:00:01' },
  });
  const f = run(
    program([
      [K_ND_TARGET + 3, 0x77, FULL],
      [K_ARP_SHA_HI, 0, 0xffff],
      [K_ARP_SHA_LO, 7, FULL],
      [K_ARP_THA_LO, 9, FULL],
    ]),
    place(ns),
  );
  assert.equal(be32(f, 74), 0x77);
  assert.deepEqual([...f.subarray(78, 86)], [1, 1, 0, 0, 0, 0, 0, 7], 'SLL rewritten, no TLL added');
  assertV6Sum(f, 14, 54, 58, 2);
  const na = ndFrame({ ...V6, type: 136, nd: { target: '2001:db8::5', tll: '00:00:00:00:00:01' } });
  const g = run(
    program([
      [K_ARP_THA_HI, 0x0a0b, 0xffff],
      [K_ARP_THA_LO, 0x0c0d0e0f, FULL],
    ]),
    place(na),
  );
  assert.deepEqual([...g.subarray(78, 86)], [2, 1, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f]);
  assertV6Sum(g, 14, 54, 58, 2);
});

test('ARP opcode, addresses and hardware addresses', () => {
  const f = run(
    program([
      [K_NW_SRC, 0x0a000005, FULL],
      [K_NW_DST, 0x0a000006, FULL],
      [K_NW, 2, 0xff],
      [K_ARP_SHA_HI, 0, 0xffff],
      [K_ARP_SHA_LO, 9, FULL],
      [K_ARP_THA_HI, 0x1234, 0xffff],
      [K_ARP_THA_LO, 0x0a, 0xff],
    ]),
    place(arpRequest({ srcMac: L2.srcMac, srcIp: '10.0.0.1', targetIp: '10.0.0.2' })),
  );
  assert.equal(be16(f, 20), 2);
  assert.deepEqual([...f.subarray(22, 28)], [0, 0, 0, 0, 0, 9]);
  assert.equal(be32(f, 28), 0x0a000005);
  assert.deepEqual([...f.subarray(32, 38)], [0x12, 0x34, 0, 0, 0, 0x0a]);
  assert.equal(be32(f, 38), 0x0a000006);
});

test('VLAN-tagged frames (802.1Q and QinQ) are rewritten past their tags', () => {
  for (const vlans of [[{ vid: 10 }], [{ vid: 100, tpid: 0x88a8 }, { vid: 20 }]]) {
    const tags = vlans.length * 4;
    const f = run(
      program([
        [K_NW_DST, 0x0a000009, FULL],
        [K_NW, 7 << 16, 0xff << 16],
        [K_TP, 99, 0xffff],
      ]),
      place(tcpFrame({ ...V4, vlans, srcPort: 1, dstPort: 2, payload: PAYLOAD })),
    );
    assert.equal(be32(f, 30 + tags), 0x0a000009);
    assert.equal(f[22 + tags], 7);
    assert.equal(be16(f, 36 + tags), 99);
    assertV4Sums(f, 14 + tags, 34 + tags, 6, 16);
  }
});

test('truncated frames: fields past the length are left alone, nothing past it is written', () => {
  const frame = tcpFrame({ ...V4, srcPort: 1, dstPort: 2, payload: PAYLOAD });
  for (const len of [0, 5, 13, 14, 20, 33, 34, 40, 53]) {
    const buf = place(frame);
    const before = buf.slice();
    const rec = new Recorder();
    const prog = program([
      [K_DL_SRC_LO, 0x01020304, FULL],
      [K_NW, 9 << 16, 0xff << 16],
      [K_NW_SRC, 0x01020304, FULL],
      [K_TP, 0x00050006, FULL],
    ]);
    executeActions(prog, buf, -1, VNET, len, false, rec);
    // Bytes from the end of the given length onwards are never written.
    assert.deepEqual([...buf.subarray(VNET + len)], [...before.subarray(VNET + len)], `len ${len}`);
    if (len < 34) {
      // No complete IPv4 header: only the MAC (when the Ethernet header is there) changes.
      const changed = len >= 14 ? [...buf.subarray(VNET + 12, VNET + len)] : [...buf.subarray(VNET)];
      const expect = len >= 14 ? [...before.subarray(VNET + 12, VNET + len)] : [...before.subarray(VNET)];
      assert.deepEqual(changed, expect, `len ${len}`);
    } else {
      // The IPv4 header is rewritten, the incomplete TCP header is not.
      assert.equal(be32(buf, VNET + 26), 0x01020304);
      assert.equal(buf[VNET + 22], 9);
      assert.equal(be16(buf, VNET + 24), ipv4HeaderChecksum(buf, VNET + 14));
      assert.equal(be32(buf, VNET + 34), (1 << 16) | 2, `ports untouched at len ${len}`);
    }
  }
  // A frame that claims more than it holds is never read or written beyond buf either.
  const tiny = tcpFrame({ ...V4, srcPort: 1, dstPort: 2 }).subarray(0, 40);
  const rec = new Recorder();
  assert.doesNotThrow(() => executeActions(program([[K_TP, 5, FULL]]), tiny, -1, 0, 1000, false, rec));
});

test('IPv4 later fragments: no L4 rewrite, the header still is', () => {
  const frame = udpFrame({ ...V4, srcPort: 1, dstPort: 2, payload: PAYLOAD });
  frame[20] = 0x00;
  frame[21] = 0x10; // fragment offset 16 (x8 bytes)
  const hc = ipv4HeaderChecksum(frame, 14);
  frame[24] = hc >>> 8;
  frame[25] = hc & 0xff;
  const l4Before = frame.slice(34);
  const f = run(
    program([
      [K_NW_SRC, 0x01010101, FULL],
      [K_TP, 0x00050006, FULL],
    ]),
    place(frame),
  );
  assert.equal(be32(f, 26), 0x01010101);
  assert.equal(be16(f, 24), ipv4HeaderChecksum(f, 14));
  assert.deepEqual([...f.subarray(34)], [...l4Before]);
});

/** Makes the frame in `buf` checksum-partial: NEEDS_CSUM at its L4 checksum, the field the pseudo sum. */
function makePartial(buf: Uint8Array, ip: number, l4: number, proto: number, csumOff: number, gso = 0): void {
  const end = buf.length - 8;
  buf[0] = 1;
  buf[1] = gso;
  buf[6] = (l4 - VNET) & 0xff;
  buf[7] = (l4 - VNET) >>> 8;
  buf[8] = csumOff;
  buf[9] = 0;
  const pseudo = foldSum(pseudoSumFor(buf, ip, proto, end - l4));
  buf[l4 + csumOff] = pseudo >>> 8;
  buf[l4 + csumOff + 1] = pseudo & 0xff;
}

/** Completes the checksum as a NIC would (csum_start/csum_offset from the virtio-net header). */
function complete(f: Uint8Array, buf: Uint8Array): Uint8Array {
  const out = f.slice();
  completeChecksum(out, 0, buf[6] | (buf[7] << 8), buf[8] | (buf[9] << 8), out.length);
  return out;
}

test('NEEDS_CSUM (checksum-partial, GSO) frames: completing after the rewrite gives valid packets', () => {
  const cases = [
    { spec: V4, make: tcpFrame, proto: 6, csumOff: 16, l4: 34, gso: 1 },
    { spec: V4, make: udpFrame, proto: 17, csumOff: 6, l4: 34, gso: 0 },
    { spec: V6, make: tcpFrame, proto: 6, csumOff: 16, l4: 54, gso: 4 },
    { spec: V6, make: udpFrame, proto: 17, csumOff: 6, l4: 54, gso: 0 },
  ];
  for (const c of cases) {
    const buf = place(c.make({ ...c.spec, srcPort: 1, dstPort: 2, payload: PAYLOAD }));
    makePartial(buf, VNET + 14, VNET + c.l4, c.proto, c.csumOff, c.gso);
    const sets: [number, number, number][] =
      c.spec === V4
        ? [
            [K_NW_SRC, 0xc0a80001, FULL],
            [K_NW_DST, 0x0a0a0a0a, 0xffffff00],
          ]
        : [
            [K_IPV6_SRC + 3, 0x1234, FULL],
            [K_IPV6_DST, 0xfd000000, 0xff000000],
          ];
    const f = run(program([...sets, [K_TP, (1000 << 16) | 2000, FULL]]), buf);
    assert.equal(be32(f, c.l4), (1000 << 16) | 2000);
    // The field still holds the (uncomplemented) pseudo-header sum of the new header.
    const pseudo = foldSum(pseudoSumFor(f, 14, c.proto, f.length - c.l4));
    assert.equal(be16(f, c.l4 + c.csumOff), pseudo, `${c.proto} pseudo sum`);
    const done = complete(f, buf);
    if (c.spec === V4) assertV4Sums(done, 14, c.l4, c.proto, c.csumOff);
    else assertV6Sum(done, 14, c.l4, c.proto, c.csumOff);
  }
});

test('SCTP ports keep the CRC-32C right (and a wrong one exactly as wrong)', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789'), 0, 9), 0xe3069283);
  const l4 = new Uint8Array(12 + 16);
  l4[0] = 0;
  l4[1] = 1;
  l4[2] = 0;
  l4[3] = 2;
  l4.set(PAYLOAD.subarray(0, 16), 12);
  writeSctpChecksum(l4, 8, crc32c(l4, 0, l4.length));
  const f = run(program([[K_TP, (5 << 16) | 6, FULL]]), place(ipFrame(V4, 132, l4)));
  assert.equal(be32(f, 34), (5 << 16) | 6);
  const got = readSctpChecksum(f, 42) >>> 0;
  writeSctpChecksum(f, 42, 0);
  assert.equal(got, crc32c(f, 34, f.length));
  const bad = ipFrame(V4, 132, l4);
  writeSctpChecksum(bad, 42, 0x11111111);
  const g = run(program([[K_TP, (5 << 16) | 6, FULL]]), place(bad));
  const wrong = readSctpChecksum(g, 42);
  writeSctpChecksum(g, 42, 0);
  writeSctpChecksum(l4, 8, 0);
  assert.equal((wrong ^ crc32c(g, 34, g.length)) >>> 0, (0x11111111 ^ crc32c(l4, 0, l4.length)) >>> 0);
});

test('outputs before a rewrite see the old frame, after it the new one', () => {
  const actions = new ActionsBuilder().output(1).setMasked(K_NW_DST, 0x0a000063, FULL).output(2).build();
  assert.equal(modifiesAfterOutput(actions), true);
  assert.equal(modifiesAfterOutput(program([[K_NW_DST, 1, FULL]])), false);
  const buf = place(udpFrame({ ...V4, srcPort: 1, dstPort: 2 }));
  const rec = new Recorder();
  executeActions(actions, buf, -1, VNET, buf.length - VNET - 8, true, rec);
  assert.equal(be32(rec.frames[0], 30), 0x0a000002);
  assert.equal(be32(rec.frames[1], 30), 0x0a000063);
});

test('unknown key words and zero masks are ignored', () => {
  const frame = udpFrame({ ...V4, srcPort: 1, dstPort: 2 });
  const f = run(
    program([
      [K_DL_TYPE, 0x86dd, 0xffff],
      [K_NW_SRC, 5, 0],
      [40, 1, FULL],
    ]),
    place(frame),
  );
  assert.deepEqual([...f], [...frame]);
});

/** A flow key with only dl_type and nw_proto set, for formatActions. */
function keyFor(dlType: number, proto = 0): Uint32Array {
  const k = newFlowKey();
  k[K_DL_TYPE] = dlType;
  k[K_NW] = proto;
  return k;
}

const TCP4 = keyFor(0x0800, 6);
const UDP4 = keyFor(0x0800, 17);
const SCTP4 = keyFor(0x0800, 132);
const ICMP4 = keyFor(0x0800, 1);
const TCP6 = keyFor(0x86dd, 6);
const ICMP6 = keyFor(0x86dd, 58);
const ARP = keyFor(0x0806, 1);

function fmt(key: Uint32Array, sets: [number, number, number][]): string {
  return formatActions(program(sets), key);
}

// Expected strings: Open vSwitch 3.1 (ovs-vswitchd --enable-dummy=override, bridge datapath_type=netdev, dummy
// ports 1 and 2). "trace" ones: `ovs-ofctl add-flow br0 'priority=10,<match>,actions=<actions>'` then
// `ovs-appctl ofproto/trace br0 in_port=1,<flow>`, the "Datapath actions:" line. "dpctl" ones (partial masks,
// which OpenFlow translation never produces): `ovs-appctl dpctl/add-flow netdev@ovs-netdev <match> <actions>`
// and the actions of `ovs-appctl dpctl/dump-flows`.
test('formatActions matches Open vSwitch 3.1: IPv4, Ethernet, TCP/UDP/SCTP, ICMP', () => {
  // trace: actions=mod_nw_dst:10.0.0.9,mod_tp_dst:99,output:2 on a TCP flow
  assert.equal(
    fmt(TCP4, [
      [K_NW_DST, 0x0a000009, FULL],
      [K_TP, 99, 0xffff],
    ]),
    'set(ipv4(dst=10.0.0.9)),set(tcp(dst=99)),2',
  );
  // trace: mod_dl_src,mod_dl_dst,mod_nw_src,mod_nw_dst,mod_nw_tos:32,dec_ttl,mod_tp_src:7,mod_tp_dst:99
  assert.equal(
    fmt(TCP4, [
      [K_DL_SRC_HI, 0x0011, 0xffff],
      [K_DL_SRC_LO, 0x22334455, FULL],
      [K_DL_DST_HI, 0x6677, 0xffff],
      [K_DL_DST_LO, 0x8899aabb, FULL],
      [K_NW_SRC, 0x01020304, FULL],
      [K_NW_DST, 0x0a000009, FULL],
      [K_NW, (0x20 << 8) | (63 << 16), (0xfc << 8) | (0xff << 16)],
      [K_TP, (7 << 16) | 99, FULL],
    ]),
    'set(eth(src=00:11:22:33:44:55,dst=66:77:88:99:aa:bb)),set(ipv4(src=1.2.3.4,dst=10.0.0.9,tos=0x20/0xfc,ttl=63)),set(tcp(src=7,dst=99)),2',
  );
  // trace: mod_nw_ecn:2 (and mod_nw_tos:32 on a packet with ECN 1 also prints tos=0x20/0xfc: values are masked)
  assert.equal(fmt(TCP4, [[K_NW, 2 << 8, 3 << 8]]), 'set(ipv4(tos=0x2/0x3)),2');
  // trace: mod_nw_ttl:9
  assert.equal(fmt(UDP4, [[K_NW, 9 << 16, 0xff << 16]]), 'set(ipv4(ttl=9)),2');
  // trace: mod_nw_ttl:0
  assert.equal(fmt(UDP4, [[K_NW, 0, 0xff << 16]]), 'set(ipv4(ttl=0)),2');
  // trace: mod_nw_src:1.2.3.4,mod_nw_dst:5.6.7.8,mod_nw_tos:32,mod_nw_ecn:1,mod_nw_ttl:7
  assert.equal(
    fmt(UDP4, [
      [K_NW_SRC, 0x01020304, FULL],
      [K_NW_DST, 0x05060708, FULL],
      [K_NW, (0x21 << 8) | (7 << 16), 0xffff00],
    ]),
    'set(ipv4(src=1.2.3.4,dst=5.6.7.8,tos=0x21,ttl=7)),2',
  );
  // trace: set_field:10.0.1.0/255.255.255.0->ip_src (OVS widens the set to the whole field)
  assert.equal(fmt(UDP4, [[K_NW_SRC, 0x0a000100, FULL]]), 'set(ipv4(src=10.0.1.0)),2');
  // trace: mod_tp_src:5,set_field:0x100/0xff00->udp_dst (whole fields again)
  assert.equal(fmt(UDP4, [[K_TP, (5 << 16) | 256, FULL]]), 'set(udp(src=5,dst=256)),2');
  // trace: mod_tp_src:5 on SCTP
  assert.equal(fmt(SCTP4, [[K_TP, 5 << 16, 0xffff0000]]), 'set(sctp(src=5)),2');
  // trace: set_field:3->icmp_type,set_field:1->icmp_code / set_field:3->icmp_type alone (ICMP sets are never
  // masked in OVS: both fields are always written, so translation sets type and code together)
  assert.equal(fmt(ICMP4, [[K_TP, (3 << 16) | 1, 0xff00ff]]), 'set(icmp(type=3,code=1)),2');
  assert.equal(fmt(ICMP4, [[K_TP, 3 << 16, 0xff00ff]]), 'set(icmp(type=3,code=0)),2');
  // trace: set_field:00:11:22:00:00:00/ff:ff:ff:00:00:00->eth_src on a flow with dl_src 00:00:00:00:00:00
  assert.equal(
    fmt(TCP4, [
      [K_DL_SRC_HI, 0x0011, 0xffff],
      [K_DL_SRC_LO, 0x22000000, FULL],
    ]),
    'set(eth(src=00:11:22:00:00:00)),2',
  );
  // dpctl: set(eth(src=…/ff:ff:ff:00:00:00)),set(ipv4(src=10.0.1.0/255.255.255.0,tos=0/0xfc,ttl=3/0xf)),…
  assert.equal(
    fmt(TCP4, [
      [K_DL_SRC_HI, 0x0011, 0xffff],
      [K_DL_SRC_LO, 0x22000000, 0xff000000],
      [K_NW_SRC, 0x0a000100, 0xffffff00],
      [K_NW, 3 << 16, (0xfc << 8) | (0x0f << 16)],
      [K_TP, 256, 0xff00],
    ]),
    'set(eth(src=00:11:22:00:00:00/ff:ff:ff:00:00:00)),set(ipv4(src=10.0.1.0/255.255.255.0,tos=0/0xfc,ttl=3/0xf)),set(tcp(dst=256/0xff00)),2',
  );
  // dpctl: set(udp(src=1,dst=2/0xff)),set(ipv4(tos=0x1/0x3)),2 and set(icmp(type=3/0xf,code=1)),2
  assert.equal(
    fmt(UDP4, [
      [K_TP, (1 << 16) | 2, 0xffff00ff],
      [K_NW, 1 << 8, 3 << 8],
    ]),
    'set(udp(src=1,dst=2/0xff)),set(ipv4(tos=0x1/0x3)),2',
  );
  assert.equal(fmt(ICMP4, [[K_TP, (3 << 16) | 1, 0x0f00ff]]), 'set(icmp(type=3/0xf,code=1)),2');
});

test('formatActions matches Open vSwitch 3.1: IPv6, ICMPv6, ND', () => {
  // trace: set_field ipv6_src, ipv6_dst, ipv6_label:0x54321, mod_nw_tos:32, dec_ttl
  assert.equal(
    fmt(TCP6, [
      [K_IPV6_SRC, 0x20010db8, FULL],
      [K_IPV6_SRC + 1, 0, FULL],
      [K_IPV6_SRC + 2, 0, FULL],
      [K_IPV6_SRC + 3, 0x99, FULL],
      [K_IPV6_DST, 0x20010db8, FULL],
      [K_IPV6_DST + 1, 0, FULL],
      [K_IPV6_DST + 2, 0, FULL],
      [K_IPV6_DST + 3, 0x98, FULL],
      [K_IPV6_LABEL, 0x54321, 0xfffff],
      [K_NW, (0x20 << 8) | (63 << 16), (0xfc << 8) | (0xff << 16)],
    ]),
    'set(ipv6(src=2001:db8::99,dst=2001:db8::98,label=0x54321,tclass=0x20/0xfc,hlimit=63)),2',
  );
  // trace: set_field:2001:db8::98->ipv6_dst
  assert.equal(
    fmt(TCP6, [
      [K_IPV6_DST, 0x20010db8, FULL],
      [K_IPV6_DST + 1, 0, FULL],
      [K_IPV6_DST + 2, 0, FULL],
      [K_IPV6_DST + 3, 0x98, FULL],
    ]),
    'set(ipv6(dst=2001:db8::98)),2',
  );
  // trace: mod_nw_ecn:3 ; mod_nw_ttl:3,set_field:0x1->ipv6_label ; mod_tp_dst:80
  assert.equal(fmt(TCP6, [[K_NW, 3 << 8, 3 << 8]]), 'set(ipv6(tclass=0x3/0x3)),2');
  assert.equal(
    fmt(TCP6, [
      [K_NW, 3 << 16, 0xff << 16],
      [K_IPV6_LABEL, 1, 0xfffff],
    ]),
    'set(ipv6(label=0x1,hlimit=3)),2',
  );
  assert.equal(fmt(TCP6, [[K_TP, 80, 0xffff]]), 'set(tcp(dst=80)),2');
  // trace: set_field:129->icmpv6_type
  assert.equal(fmt(ICMP6, [[K_TP, 129 << 16, 0xff00ff]]), 'set(icmpv6(type=129,code=0)),2');
  // trace: set_field:2001:db8::77->nd_target ; set_field:…07->nd_sll ; nd_tll + nd_target
  const target: [number, number, number][] = [
    [K_ND_TARGET, 0x20010db8, FULL],
    [K_ND_TARGET + 1, 0, FULL],
    [K_ND_TARGET + 2, 0, FULL],
    [K_ND_TARGET + 3, 0x77, FULL],
  ];
  assert.equal(fmt(ICMP6, target), 'set(nd(target=2001:db8::77)),2');
  assert.equal(
    fmt(ICMP6, [
      [K_ARP_SHA_HI, 0, 0xffff],
      [K_ARP_SHA_LO, 7, FULL],
    ]),
    'set(nd(sll=00:00:00:00:00:07)),2',
  );
  assert.equal(
    fmt(ICMP6, [...target, [K_ARP_THA_HI, 0, 0xffff], [K_ARP_THA_LO, 7, FULL]]),
    'set(nd(target=2001:db8::77,tll=00:00:00:00:00:07)),2',
  );
  // dpctl: set(ipv6(src=2001:db8::/ffff:ffff::,label=0x50/0xf0)),set(icmpv6(type=3/0xf)),set(nd(target=::1/::ff,
  // sll=00:00:00:00:00:01/00:00:00:00:00:ff)),2
  assert.equal(
    fmt(ICMP6, [
      [K_IPV6_SRC, 0x20010db8, FULL],
      [K_IPV6_SRC + 1, 0, 0],
      [K_IPV6_LABEL, 0x50, 0xf0],
      [K_TP, 3 << 16, 0x0f0000],
      [K_ND_TARGET + 3, 1, 0xff],
      [K_ARP_SHA_LO, 1, 0xff],
    ]),
    'set(ipv6(src=2001:db8::/ffff:ffff::,label=0x50/0xf0)),set(icmpv6(type=3/0xf)),set(nd(target=::1/::ff,sll=00:00:00:00:00:01/00:00:00:00:00:ff)),2',
  );
});

test('formatActions matches Open vSwitch 3.1: ARP', () => {
  // trace: set_field:2->arp_op
  assert.equal(fmt(ARP, [[K_NW, 2, 0xff]]), 'set(arp(op=2)),2');
  // trace: set_field arp_spa, arp_tpa
  assert.equal(
    fmt(ARP, [
      [K_NW_SRC, 0x0a000005, FULL],
      [K_NW_DST, 0x0a000006, FULL],
    ]),
    'set(arp(sip=10.0.0.5,tip=10.0.0.6)),2',
  );
  // trace: set_field arp_sha, arp_tha, arp_op
  const shaTha: [number, number, number][] = [
    [K_NW, 2, 0xff],
    [K_ARP_SHA_HI, 0, 0xffff],
    [K_ARP_SHA_LO, 9, FULL],
    [K_ARP_THA_HI, 0, 0xffff],
    [K_ARP_THA_LO, 10, FULL],
  ];
  assert.equal(fmt(ARP, shaTha), 'set(arp(op=2,sha=00:00:00:00:00:09,tha=00:00:00:00:00:0a)),2');
  // trace: set_field:00:00:00:00:00:09->arp_tha
  assert.equal(
    fmt(ARP, [
      [K_ARP_THA_HI, 0, 0xffff],
      [K_ARP_THA_LO, 9, FULL],
    ]),
    'set(arp(tha=00:00:00:00:00:09)),2',
  );
  // trace: all five ARP fields
  assert.equal(
    fmt(ARP, [[K_NW_SRC, 0x0a000005, FULL], [K_NW_DST, 0x0a000006, FULL], ...shaTha]),
    'set(arp(sip=10.0.0.5,tip=10.0.0.6,op=2,sha=00:00:00:00:00:09,tha=00:00:00:00:00:0a)),2',
  );
  // trace: mod_dl_dst:00:00:00:00:00:0b,set_field:2->arp_op
  assert.equal(
    fmt(ARP, [
      [K_DL_DST_HI, 0, 0xffff],
      [K_DL_DST_LO, 0x0b, FULL],
      [K_NW, 2, 0xff],
    ]),
    'set(eth(dst=00:00:00:00:00:0b)),set(arp(op=2)),2',
  );
  // dpctl: set(arp(sip=1.0.0.0/255.0.0.0,op=2/0xf,tha=00:00:00:00:00:01/00:00:00:00:00:ff)),2
  assert.equal(
    fmt(ARP, [
      [K_NW_SRC, 0x01000000, 0xff000000],
      [K_NW, 2, 0x0f],
      [K_ARP_THA_LO, 1, 0xff],
    ]),
    'set(arp(sip=1.0.0.0/255.0.0.0,op=2/0xf,tha=00:00:00:00:00:01/00:00:00:00:00:ff)),2',
  );
});

test('formatActions: sets split at outputs and header changes; without a key IPv4/IPv6 and tcp are guessed', () => {
  const actions = new ActionsBuilder()
    .setMasked(K_NW_SRC, 0x01010101, FULL)
    .output(2)
    .setMasked(K_NW_SRC, 0x02020202, FULL)
    .setMasked(K_TP, 5, 0xffff)
    .output(3)
    .build();
  assert.equal(
    formatActions(actions, UDP4),
    'set(ipv4(src=1.1.1.1)),2,set(ipv4(src=2.2.2.2)),set(udp(dst=5)),3',
  );
  assert.equal(formatActions(actions), 'set(ipv4(src=1.1.1.1)),2,set(ipv4(src=2.2.2.2)),set(tcp(dst=5)),3');
  assert.equal(
    formatActions(
      program([
        [K_IPV6_SRC, 0x20010db8, FULL],
        [K_NW, 1 << 16, 0xff << 16],
      ]),
    ),
    'set(ipv6(src=2001:db8::/ffff:ffff::,hlimit=1)),2',
  );
});
