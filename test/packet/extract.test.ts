// The flow-key extractor on the real frames (their keys also printed by real OVS 3.1, see odp-format.test.ts)
// and on truncated/malformed frames, following lib/flow.c miniflow_extract; and the key hash.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '../../src/packet/bytes.js';
import { extractFlowKey, hashKey } from '../../src/packet/extract.js';
import {
  DL_TYPE_NONE,
  FRAG_ANY,
  FRAG_LATER,
  K_ARP_SHA_HI,
  K_ARP_SHA_LO,
  K_ARP_THA_HI,
  K_ARP_THA_LO,
  K_DL_DST_HI,
  K_DL_DST_LO,
  K_DL_SRC_HI,
  K_DL_SRC_LO,
  K_DL_TYPE,
  K_IN_PORT,
  K_IPV6_DST,
  K_IPV6_LABEL,
  K_IPV6_SRC,
  K_ND_TARGET,
  K_NW,
  K_NW_DST,
  K_NW_SRC,
  K_TCP_FLAGS,
  K_TP,
  K_TUN_ID_HI,
  K_VLAN0,
  K_VLAN1,
  KEY_OK,
  KEY_RUNT,
  KEY_TRUNCATED,
  KEY_WORDS,
  newFlowKey,
} from '../../src/packet/flow-key.js';
import { FRAMES } from './frames.js';

type Words = Record<number, number>;

/** The NW word: proto | tos << 8 | ttl << 16 | frag << 24. */
function nw(proto: number, tos: number, ttl: number, frag = 0): number {
  return (proto | (tos << 8) | (ttl << 16) | (frag << 24)) >>> 0;
}

const MAC_A: Words = {
  [K_DL_SRC_HI]: 0x5054,
  [K_DL_SRC_LO]: 0x00000005,
  [K_DL_DST_HI]: 0x5054,
  [K_DL_DST_LO]: 0x00000007,
};
const V4_AB: Words = { [K_NW_SRC]: 0x0a000005, [K_NW_DST]: 0x0a000007 };
const V6_AB: Words = {
  [K_IPV6_SRC]: 0x20010db8,
  [K_IPV6_SRC + 3]: 5,
  [K_IPV6_DST]: 0x20010db8,
  [K_IPV6_DST + 3]: 7,
};

function extract(frame: Uint8Array, offset = 0, length = frame.length): { status: number; key: Uint32Array } {
  const key = newFlowKey();
  key.fill(0xdeadbeef);
  const status = extractFlowKey(frame, offset, length, 2, key);
  return { status, key };
}

/** Asserts the words below K_TUN_ID_HI are exactly `expected` (in_port 2 implied, the rest 0), tunnel words untouched. */
function assertKey(key: Uint32Array, expected: Words): void {
  const want = new Uint32Array(KEY_WORDS).fill(0xdeadbeef);
  want.fill(0, 0, K_TUN_ID_HI);
  want[K_IN_PORT] = 2;
  for (const [i, v] of Object.entries(expected)) want[Number(i)] = v;
  assert.deepEqual([...key], [...want]);
}

describe('extractFlowKey on the real frames', () => {
  it('IPv4 ICMP echo: MACs, dl_type, addresses, proto 1 ttl 64, type 8 code 0', () => {
    const { status, key } = extract(FRAMES.icmpEcho);
    assert.equal(status, KEY_OK);
    assertKey(key, { ...MAC_A, ...V4_AB, [K_DL_TYPE]: 0x0800, [K_NW]: nw(1, 0, 64), [K_TP]: 8 << 16 });
  });

  it('ARP request and reply: spa/tpa in NW_SRC/NW_DST, opcode in NW_PROTO, sha/tha', () => {
    let r = extract(FRAMES.arpRequest);
    assert.equal(r.status, KEY_OK);
    assertKey(r.key, {
      [K_DL_DST_HI]: 0xffff,
      [K_DL_DST_LO]: 0xffffffff,
      [K_DL_SRC_HI]: 0x5054,
      [K_DL_SRC_LO]: 5,
      [K_DL_TYPE]: 0x0806,
      ...V4_AB,
      [K_NW]: 1,
      [K_ARP_SHA_HI]: 0x5054,
      [K_ARP_SHA_LO]: 5,
    });
    r = extract(FRAMES.arpReply);
    assertKey(r.key, {
      [K_DL_DST_HI]: 0x5054,
      [K_DL_DST_LO]: 5,
      [K_DL_SRC_HI]: 0x5054,
      [K_DL_SRC_LO]: 7,
      [K_DL_TYPE]: 0x0806,
      [K_NW_SRC]: 0x0a000007,
      [K_NW_DST]: 0x0a000005,
      [K_NW]: 2,
      [K_ARP_SHA_HI]: 0x5054,
      [K_ARP_SHA_LO]: 7,
      [K_ARP_THA_HI]: 0x5054,
      [K_ARP_THA_LO]: 5,
    });
  });

  it('TCP SYN with options: ports and 12-bit flags', () => {
    const { status, key } = extract(FRAMES.tcpSyn);
    assert.equal(status, KEY_OK);
    assertKey(key, {
      ...MAC_A,
      ...V4_AB,
      [K_DL_TYPE]: 0x0800,
      [K_NW]: nw(6, 0, 64),
      [K_TP]: (40000 << 16) | 80,
      [K_TCP_FLAGS]: 0x002,
    });
  });

  it('UDP with tos 0x28 ttl 17', () => {
    const { key } = extract(FRAMES.udp4);
    assertKey(key, {
      ...MAC_A,
      ...V4_AB,
      [K_DL_TYPE]: 0x0800,
      [K_NW]: nw(17, 0x28, 17),
      [K_TP]: (5000 << 16) | 53,
    });
  });

  it('802.1Q: VLAN0 = tpid << 16 | tci | present, dl_type the inner type', () => {
    const { key } = extract(FRAMES.vlanUdp);
    assertKey(key, {
      ...MAC_A,
      ...V4_AB,
      [K_VLAN0]: 0x8100700a, // tpid 0x8100, pcp 3 (0x6000), present 0x1000, vid 10
      [K_DL_TYPE]: 0x0800,
      [K_NW]: nw(17, 0, 64),
      [K_TP]: (5001 << 16) | 5002,
    });
  });

  it('802.1ad QinQ: outer tag in VLAN0, inner in VLAN1', () => {
    const { key } = extract(FRAMES.qinqIcmp);
    assertKey(key, {
      ...MAC_A,
      ...V4_AB,
      [K_VLAN0]: 0x88a8b064, // tpid 0x88a8, pcp 5 (0xa000) | present | vid 100 (0x064)
      [K_VLAN1]: 0x8100100a,
      [K_DL_TYPE]: 0x0800,
      [K_NW]: nw(1, 0, 64),
      [K_TP]: 8 << 16,
    });
  });

  it('IPv6 UDP: addresses, flow label, traffic class, hop limit', () => {
    const { key } = extract(FRAMES.udp6);
    assertKey(key, {
      ...MAC_A,
      ...V6_AB,
      [K_DL_TYPE]: 0x86dd,
      [K_IPV6_LABEL]: 0x12345,
      [K_NW]: nw(17, 0x28, 33),
      [K_TP]: (6000 << 16) | 6001,
    });
  });

  it('IPv6 TCP SYN|ACK|ECE', () => {
    const { key } = extract(FRAMES.tcp6);
    assertKey(key, {
      ...MAC_A,
      ...V6_AB,
      [K_DL_TYPE]: 0x86dd,
      [K_NW]: nw(6, 0, 64),
      [K_TP]: (443 << 16) | 50000,
      [K_TCP_FLAGS]: 0x052,
    });
  });

  it('neighbour solicitation: type 135, target, source link-layer address in ARP_SHA', () => {
    const { status, key } = extract(FRAMES.ndSolicit);
    assert.equal(status, KEY_OK);
    assertKey(key, {
      [K_DL_SRC_HI]: 0x5054,
      [K_DL_SRC_LO]: 5,
      [K_DL_DST_HI]: 0x3333,
      [K_DL_DST_LO]: 0xff000007,
      [K_DL_TYPE]: 0x86dd,
      [K_IPV6_SRC]: 0x20010db8,
      [K_IPV6_SRC + 3]: 5,
      [K_IPV6_DST]: 0xff020000,
      [K_IPV6_DST + 2]: 1,
      [K_IPV6_DST + 3]: 0xff000007,
      [K_NW]: nw(58, 0, 255),
      [K_TP]: 135 << 16,
      [K_ND_TARGET]: 0x20010db8,
      [K_ND_TARGET + 3]: 7,
      [K_ARP_SHA_HI]: 0x5054,
      [K_ARP_SHA_LO]: 5,
    });
  });

  it('neighbour advertisement: target link-layer address in ARP_THA', () => {
    const { key } = extract(FRAMES.ndAdvert);
    assert.equal(key[K_TP], 136 << 16);
    assert.deepEqual([...key.subarray(K_ND_TARGET, K_ND_TARGET + 4)], [0x20010db8, 0, 0, 7]);
    assert.deepEqual(
      [key[K_ARP_SHA_HI], key[K_ARP_SHA_LO], key[K_ARP_THA_HI], key[K_ARP_THA_LO]],
      [0, 0, 0x5054, 7],
    );
  });

  it('ICMPv6 echo: type/code only', () => {
    const { key } = extract(FRAMES.icmp6Echo);
    assertKey(key, { ...MAC_A, ...V6_AB, [K_DL_TYPE]: 0x86dd, [K_NW]: nw(58, 0, 64), [K_TP]: 128 << 16 });
  });

  it('IPv4 fragments: the first has FRAG_ANY and ports, a later one FRAG_ANY|LATER and no L4', () => {
    const first = extract(FRAMES.frag4First).key;
    assertKey(first, {
      ...MAC_A,
      ...V4_AB,
      [K_DL_TYPE]: 0x0800,
      [K_NW]: nw(17, 0, 64, FRAG_ANY),
      [K_TP]: (7000 << 16) | 7001,
    });
    const later = extract(FRAMES.frag4Later);
    assert.equal(later.status, KEY_OK);
    assertKey(later.key, {
      ...MAC_A,
      ...V4_AB,
      [K_DL_TYPE]: 0x0800,
      [K_NW]: nw(17, 0, 64, FRAG_ANY | FRAG_LATER),
    });
  });

  it('IPv6 fragments: the first walks on to UDP; a later one has nw_proto 44 and no L4', () => {
    assertKey(extract(FRAMES.frag6First).key, {
      ...MAC_A,
      ...V6_AB,
      [K_DL_TYPE]: 0x86dd,
      [K_NW]: nw(17, 0, 64, FRAG_ANY),
      [K_TP]: (7000 << 16) | 7001,
    });
    assertKey(extract(FRAMES.frag6Later).key, {
      ...MAC_A,
      ...V6_AB,
      [K_DL_TYPE]: 0x86dd,
      [K_NW]: nw(44, 0, 64, FRAG_ANY | FRAG_LATER),
    });
  });

  it('802.3/LLC: dl_type 0x05ff and nothing else', () => {
    const { status, key } = extract(FRAMES.llc);
    assert.equal(status, KEY_OK);
    assertKey(key, { ...MAC_A, [K_DL_TYPE]: DL_TYPE_NONE });
  });

  it('LLC/SNAP with OUI 0: the SNAP type, and the IPv4 inside is parsed', () => {
    const { key } = extract(FRAMES.snapIpv4);
    assertKey(key, {
      ...MAC_A,
      ...V4_AB,
      [K_DL_TYPE]: 0x0800,
      [K_NW]: nw(17, 0, 64),
      [K_TP]: (8000 << 16) | 8001,
    });
  });

  it('IPv6 hop-by-hop and destination options are skipped', () => {
    const { key } = extract(FRAMES.ext6Udp);
    assertKey(key, {
      ...MAC_A,
      ...V6_AB,
      [K_DL_TYPE]: 0x86dd,
      [K_NW]: nw(17, 0, 64),
      [K_TP]: (9000 << 16) | 9001,
    });
  });

  it('IPv4 options (IHL 6) move the L4 header', () => {
    const { key } = extract(FRAMES.ipOptsTcp);
    assertKey(key, {
      ...MAC_A,
      ...V4_AB,
      [K_DL_TYPE]: 0x0800,
      [K_NW]: nw(6, 0, 64),
      [K_TP]: (1234 << 16) | 22,
      [K_TCP_FLAGS]: 0x018,
    });
  });

  it('SCTP ports', () => {
    assert.equal(extract(FRAMES.sctp).key[K_TP], ((3868 << 16) | 3868) >>> 0);
  });

  it('an IPv4 total length beyond the frame: TRUNCATED, only L2 and dl_type', () => {
    const { status, key } = extract(FRAMES.ipv4TotLenLie);
    assert.equal(status, KEY_TRUNCATED);
    assertKey(key, { ...MAC_A, [K_DL_TYPE]: 0x0800 });
  });
});

/** The udp4 frame with bytes changed: [index, value] pairs. */
function patched(frame: Uint8Array, ...edits: [number, number][]): Uint8Array {
  const f = frame.slice();
  for (const [i, v] of edits) f[i] = v;
  return f;
}

describe('extractFlowKey on runts, truncations and lies', () => {
  it('shorter than 14 bytes: KEY_RUNT with only in_port; tunnel words untouched', () => {
    for (const len of [0, 1, 13]) {
      const { status, key } = extract(FRAMES.udp4, 0, len);
      assert.equal(status, KEY_RUNT);
      assertKey(key, {});
    }
  });

  it('offsets and lengths outside the buffer are clamped, never thrown', () => {
    assert.equal(extract(FRAMES.udp4, FRAMES.udp4.length - 5, 100).status, KEY_RUNT);
    assert.equal(extract(FRAMES.udp4, -3, 50).status, KEY_RUNT);
    assert.equal(extract(FRAMES.udp4, Number.NaN, 50).status, KEY_RUNT);
    const long = extract(FRAMES.udp4, 0, 1000);
    assert.equal(long.status, KEY_OK);
    assert.deepEqual(long.key, extract(FRAMES.udp4).key);
  });

  it('a frame inside a larger buffer gives the same key as alone', () => {
    const buf = new Uint8Array(FRAMES.tcp6.length + 20).fill(0x5a);
    buf.set(FRAMES.tcp6, 7);
    const inner = extract(buf, 7, FRAMES.tcp6.length);
    assert.equal(inner.status, KEY_OK);
    assert.deepEqual(inner.key, extract(FRAMES.tcp6).key);
  });

  it('Ethernet padding after the IPv4 total length is ignored', () => {
    const padded = new Uint8Array(64);
    padded.set(FRAMES.udp4);
    const r = extract(padded);
    assert.equal(r.status, KEY_OK);
    assert.deepEqual(r.key, extract(FRAMES.udp4).key);
  });

  it('IPv4 shorter than 20 bytes, or IHL < 5: TRUNCATED with no IPv4 fields', () => {
    assertKey(extract(FRAMES.udp4, 0, 30).key, { ...MAC_A, [K_DL_TYPE]: 0x0800 });
    const r = extract(patched(FRAMES.udp4, [14, 0x44]));
    assert.equal(r.status, KEY_TRUNCATED);
    assert.equal(r.key[K_NW_SRC], 0);
  });

  it('L4 headers cut short by the IPv4 total length: TRUNCATED, NW fields set, no ports', () => {
    // tcpSyn with total length 30: only 10 bytes of TCP
    const tcp = extract(patched(FRAMES.tcpSyn, [17, 30]));
    assert.equal(tcp.status, KEY_TRUNCATED);
    assert.equal(tcp.key[K_NW] & 0xff, 6);
    assert.equal(tcp.key[K_TP], 0);
    // TCP data offset 4 (< 5)
    const off = extract(patched(FRAMES.tcpSyn, [46, 0x40]));
    assert.equal(off.status, KEY_TRUNCATED);
    assert.equal(off.key[K_TCP_FLAGS], 0);
    // UDP with 4 bytes of header (total length 24)
    const udp = extract(patched(FRAMES.udp4, [17, 24]));
    assert.equal(udp.status, KEY_TRUNCATED);
    assert.equal(udp.key[K_TP], 0);
    // ICMP with 6 bytes
    const icmp = extract(patched(FRAMES.icmpEcho, [17, 26]));
    assert.equal(icmp.status, KEY_TRUNCATED);
    assert.equal(icmp.key[K_TP], 0);
  });

  it('IPv6 payload length beyond the frame: TRUNCATED, no IPv6 fields', () => {
    const r = extract(FRAMES.udp6, 0, FRAMES.udp6.length - 1);
    assert.equal(r.status, KEY_TRUNCATED);
    assertKey(r.key, { ...MAC_A, [K_DL_TYPE]: 0x86dd });
  });

  it('an extension header running past the payload: TRUNCATED, addresses set, label and NW word not', () => {
    const f = patched(FRAMES.ext6Udp, [55, 3]); // hop-by-hop length 3 -> 32 bytes, payload is 26
    const { status, key } = extract(f);
    assert.equal(status, KEY_TRUNCATED);
    assertKey(key, { ...MAC_A, ...V6_AB, [K_DL_TYPE]: 0x86dd });
  });

  it('routing and AH headers are walked ((len+1)*8 and (len+2)*4 bytes)', () => {
    const f = fromHex(`
      505400000007 505400000005 86dd
      60000000 0020 2b 40                               # payload 32, next 43 (routing), hlim 64
      20010db8000000000000000000000005 20010db8000000000000000000000007
      33 00 00 00 00000000                              # routing: next 51 (AH), len 0 (8 bytes)
      11 02 0000 00000001 00000001 00000000             # AH: next 17, len 2 -> (2+2)*4 = 16 bytes
      0001 0002 0008 0000                               # UDP 1 -> 2
    `);
    const { status, key } = extract(f);
    assert.equal(status, KEY_OK);
    assert.equal(key[K_NW], nw(17, 0, 64));
    assert.equal(key[K_TP], (1 << 16) | 2);
  });

  it('an IPv6 atomic fragment (offset 0, M 0) sets no frag bits', () => {
    const f = patched(FRAMES.frag6First, [57, 0]); // fragment header offset/flags 0x0000
    const { key } = extract(f);
    assert.equal(key[K_NW], nw(17, 0, 64));
    assert.equal(key[K_TP], (7000 << 16) | 7001);
  });

  it('neighbour discovery edge cases: no target, zero-length option, repeated option, code != 0', () => {
    // payload length 8: the ICMPv6 header without a target
    const noTarget = extract(patched(FRAMES.ndSolicit, [18, 0], [19, 8]), 0, 62);
    assert.equal(noTarget.status, KEY_TRUNCATED);
    assert.equal(noTarget.key[K_TP], 135 << 16);
    assert.equal(noTarget.key[K_ND_TARGET], 0);
    // option length 0: target kept, no address
    const zeroLen = extract(patched(FRAMES.ndSolicit, [79, 0]));
    assert.equal(zeroLen.status, KEY_TRUNCATED);
    assert.equal(zeroLen.key[K_ND_TARGET + 3], 7);
    assert.equal(zeroLen.key[K_ARP_SHA_LO], 0);
    // two source link-layer options: OVS drops target and addresses
    const twice = new Uint8Array(FRAMES.ndSolicit.length + 8);
    twice.set(FRAMES.ndSolicit);
    twice.set(FRAMES.ndSolicit.subarray(78, 86), 86);
    twice[19] = 40; // payload length 40
    const dup = extract(twice);
    assert.equal(dup.status, KEY_TRUNCATED);
    assert.equal(dup.key[K_TP], 135 << 16);
    assert.deepEqual([...dup.key.subarray(K_ND_TARGET, K_ARP_THA_LO + 1)], [0, 0, 0, 0, 0, 0, 0, 0]);
    // code 1: not ND, no target
    const code1 = extract(patched(FRAMES.ndSolicit, [55, 1]));
    assert.equal(code1.key[K_TP], (135 << 16) | 1);
    assert.equal(code1.key[K_ND_TARGET], 0);
    assert.equal(code1.key[K_ARP_SHA_HI], 0);
  });

  it('ARP: truncated is TRUNCATED; other hardware fills nothing; opcode > 255 leaves NW_PROTO 0', () => {
    const short = extract(FRAMES.arpRequest, 0, 41);
    assert.equal(short.status, KEY_TRUNCATED);
    assertKey(short.key, {
      [K_DL_DST_HI]: 0xffff,
      [K_DL_DST_LO]: 0xffffffff,
      [K_DL_SRC_HI]: 0x5054,
      [K_DL_SRC_LO]: 5,
      [K_DL_TYPE]: 0x0806,
    });
    const ieee802 = extract(patched(FRAMES.arpRequest, [15, 6]));
    assert.equal(ieee802.status, KEY_OK);
    assert.equal(ieee802.key[K_NW_SRC], 0);
    const bigOp = extract(patched(FRAMES.arpRequest, [20, 1]));
    assert.equal(bigOp.key[K_NW], 0);
    assert.equal(bigOp.key[K_NW_SRC], 0x0a000005);
    assert.equal(bigOp.key[K_ARP_SHA_LO], 5);
  });

  it('a VLAN tag without room for its type: TRUNCATED, dl_type the TPID', () => {
    const f = FRAMES.vlanUdp.subarray(0, 16);
    const { status, key } = extract(f);
    assert.equal(status, KEY_TRUNCATED);
    assertKey(key, { ...MAC_A, [K_DL_TYPE]: 0x8100 });
  });

  it('three tags: two are parsed, the third TPID becomes dl_type', () => {
    const f = new Uint8Array(FRAMES.qinqIcmp.length + 4);
    f.set(FRAMES.qinqIcmp.subarray(0, 20));
    f.set([0x81, 0x00, 0x00, 0x05], 20);
    f.set(FRAMES.qinqIcmp.subarray(20), 24);
    const { status, key } = extract(f);
    assert.equal(status, KEY_OK);
    assert.equal(key[K_VLAN0], 0x88a8b064);
    assert.equal(key[K_VLAN1], 0x8100100a);
    assert.equal(key[K_DL_TYPE], 0x8100);
    assert.equal(key[K_NW_SRC], 0);
  });

  it('LLC/SNAP variants that are not OUI 0 with an EtherType give 0x05ff', () => {
    const snap = FRAMES.snapIpv4;
    assert.equal(extract(patched(snap, [19, 0x0c])).key[K_DL_TYPE], DL_TYPE_NONE); // OUI 00:00:0c
    assert.equal(extract(patched(snap, [20, 0x05])).key[K_DL_TYPE], DL_TYPE_NONE); // SNAP type 0x0500
    assert.equal(extract(snap, 0, 21).key[K_DL_TYPE], DL_TYPE_NONE); // LLC cut short
  });

  it('IGMP and ICMP-in-IPv6 set type/code like miniflow_extract; MPLS only dl_type', () => {
    const igmp = extract(patched(FRAMES.icmpEcho, [23, 2], [34, 0x16]));
    assert.equal(igmp.key[K_TP], 0x16 << 16);
    const icmpIn6 = extract(patched(FRAMES.icmp6Echo, [20, 1]));
    assert.equal(icmpIn6.key[K_NW] & 0xff, 1);
    assert.equal(icmpIn6.key[K_TP], 128 << 16);
    const mpls = extract(patched(FRAMES.udp4, [12, 0x88], [13, 0x47]));
    assertKey(mpls.key, { ...MAC_A, [K_DL_TYPE]: 0x8847 });
  });
});

describe('hashKey', () => {
  it('is deterministic, seed-dependent, and equals hashing the pre-masked key', () => {
    const { key } = extract(FRAMES.tcpSyn);
    const mask = new Uint32Array(KEY_WORDS);
    mask[K_IN_PORT] = 0xffffffff;
    mask[K_NW_DST] = 0xffffff00;
    mask[K_TP] = 0x0000ffff;
    const masked = key.map((w, i) => w & mask[i]);
    assert.equal(hashKey(key, null, 0), hashKey(key.slice(), null, 0));
    assert.notEqual(hashKey(key, null, 0), hashKey(key, null, 1));
    assert.equal(hashKey(key, mask, 7), hashKey(masked, null, 7));
    assert.notEqual(hashKey(key, mask, 7), hashKey(key, null, 7));
    const h = hashKey(key, null, 0);
    assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff);
  });

  it('spreads keys differing in one small field evenly over 256 buckets', () => {
    const key = newFlowKey();
    for (const word of [K_IN_PORT, K_NW_SRC, K_TP]) {
      const buckets = new Uint32Array(256);
      const n = 65536;
      for (let i = 0; i < n; i++) {
        key[word] = i;
        buckets[hashKey(key, null, 0) & 0xff]++;
      }
      key[word] = 0;
      const mean = n / 256;
      let chi = 0;
      for (const b of buckets) chi += (b - mean) ** 2 / mean;
      assert.ok(chi < 350, `chi-square ${chi.toFixed(1)} for word ${word}`); // 255 d.o.f.: p ~ 1e-4 at 350
    }
  });

  it('flipping one input bit changes about half the output bits', () => {
    const key = newFlowKey();
    extractFlowKey(FRAMES.udp6, 0, FRAMES.udp6.length, 3, key);
    const base = hashKey(key, null, 0);
    let total = 0;
    let count = 0;
    for (let w = 0; w < KEY_WORDS; w++) {
      for (let b = 0; b < 32; b += 3) {
        key[w] ^= 1 << b;
        let x = (hashKey(key, null, 0) ^ base) >>> 0;
        key[w] ^= 1 << b;
        let bits = 0;
        for (; x; x &= x - 1) bits++;
        total += bits;
        count++;
      }
    }
    const avg = total / count;
    assert.ok(avg > 14 && avg < 18, `average ${avg}`);
  });
});
