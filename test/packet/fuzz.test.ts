// Seeded fuzzing of random frames and mutated real frames: the extractor never throws and keeps its contract,
// views never throw, Repr parsers throw only PacketError, and the ODP printer copes with any key and mask.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArpPacket, parseArp } from '../../src/packet/arp.js';
import { PacketError } from '../../src/packet/errors.js';
import { EthernetFrame, parseEthernet, VlanTag } from '../../src/packet/ethernet.js';
import { extractFlowKey, hashKey } from '../../src/packet/extract.js';
import { K_IN_PORT, K_TUN_ID_HI, KEY_RUNT, KEY_TRUNCATED, KEY_WORDS } from '../../src/packet/flow-key.js';
import { IcmpPacket, parseIcmp } from '../../src/packet/icmp.js';
import { Icmpv6Packet, parseIcmpv6 } from '../../src/packet/icmpv6.js';
import { Ipv4Packet, parseIpv4 } from '../../src/packet/ipv4.js';
import { Ipv6Packet, parseIpv6 } from '../../src/packet/ipv6.js';
import { formatOdpFlow } from '../../src/packet/odp-format.js';
import { parseTcp, TcpPacket } from '../../src/packet/tcp.js';
import { parseUdp, UdpPacket } from '../../src/packet/udp.js';
import { FRAMES } from './frames.js';

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

const rand = prng(0x7505);
const int = (n: number) => Math.floor(rand() * n);
const TYPES = [0x0800, 0x86dd, 0x0806, 0x8035, 0x8100, 0x88a8, 0x8847, 0x0026, 0x05dc];
const PROTOS = [1, 2, 6, 17, 58, 132, 0, 43, 44, 51, 60, 59];

/** A random frame, often with a plausible EtherType, IP version/IHL and next-header so deep code runs. */
function randomFrame(): Uint8Array {
  const f = new Uint8Array(int(160));
  for (let i = 0; i < f.length; i++) f[i] = int(256);
  if (rand() < 0.8 && f.length >= 14) {
    const t = TYPES[int(TYPES.length)];
    f[12] = t >> 8;
    f[13] = t & 0xff;
    if (f.length > 14) f[14] = t === 0x86dd ? 0x60 : 0x45 + int(3);
    if (f.length > 23) f[t === 0x86dd ? 20 : 23] = PROTOS[int(PROTOS.length)];
    if (f.length > 19 && rand() < 0.5) {
      const len = f.length - 14 - (t === 0x86dd ? 40 : 0) + int(5) - 2;
      f[t === 0x86dd ? 18 : 16] = (len >> 8) & 0xff;
      f[t === 0x86dd ? 19 : 17] = len & 0xff;
    }
  }
  return f;
}

/** A real frame with flipped bytes, a truncation, or a lying length field. */
function mutate(src: Uint8Array): Uint8Array {
  let f = src.slice();
  const kind = int(4);
  if (kind === 0) {
    for (let n = 1 + int(4); n > 0; n--) f[int(f.length)] = int(256);
  } else if (kind === 1) {
    f = f.slice(0, int(f.length + 1));
  } else if (kind === 2) {
    // length fields: IPv4 total length / IPv6 payload length (16-17 / 18-19), IHL, TCP offset, ext lengths
    const at = [16, 17, 18, 19, 14, 46, 55, 58, 79, 38, 39, 54 + 12][int(13)];
    if (at < f.length) f[at] = int(256);
  } else {
    const grown = new Uint8Array(f.length + int(40));
    grown.set(f);
    for (let i = f.length; i < grown.length; i++) grown[i] = int(256);
    f = grown;
  }
  return f;
}

const SENTINEL = 0xa5a5a5a5;
const key = new Uint32Array(KEY_WORDS);

/** Extracts and checks the extractor's contract; returns the status. */
function checkExtract(f: Uint8Array, offset: number, length: number): number {
  key.fill(SENTINEL);
  const status = extractFlowKey(f, offset, length, 9, key);
  assert.equal(status & ~(KEY_RUNT | KEY_TRUNCATED), 0, `unknown flags ${status}`);
  assert.notEqual(status, KEY_RUNT | KEY_TRUNCATED);
  assert.equal(key[K_IN_PORT], 9);
  for (let i = K_TUN_ID_HI; i < KEY_WORDS; i++) assert.equal(key[i], SENTINEL);
  if (status === KEY_RUNT) for (let i = 1; i < K_TUN_ID_HI; i++) assert.equal(key[i], 0);
  return status;
}

/** Runs `parse`; anything thrown must be a PacketError with a known code. */
function parseOrTypedError(parse: () => unknown): void {
  try {
    parse();
  } catch (e) {
    assert.ok(e instanceof PacketError, `threw ${String(e)}`);
    assert.ok(['TRUNCATED', 'MALFORMED', 'UNSUPPORTED'].includes(e.code));
  }
}

/** Reads every accessor of every view at `off` (they must not throw, checked or not). */
function touchViews(f: Uint8Array, off: number, len: number): void {
  const views: object[] = [
    new EthernetFrame(f, off, len),
    new VlanTag(f, off, len),
    new ArpPacket(f, off, len),
    new Ipv4Packet(f, off, len),
    new Ipv6Packet(f, off, len),
    new IcmpPacket(f, off, len),
    new Icmpv6Packet(f, off, len),
    new TcpPacket(f, off, len),
    new UdpPacket(f, off, len),
  ];
  for (const v of views) {
    const proto = Object.getPrototypeOf(v) as object;
    for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      if (d.get) d.get.call(v);
      else if (name === 'check' || name === 'isNd' || name === 'isEthernetIpv4')
        (d.value as () => boolean).call(v);
    }
  }
  new Icmpv6Packet(f, off, len).findLinkAddrOption(1);
}

function parseAll(f: Uint8Array, off: number, len: number): void {
  parseOrTypedError(() => parseEthernet(f, off, len));
  parseOrTypedError(() => parseArp(f, off, len));
  parseOrTypedError(() => parseIpv4(f, off, len));
  parseOrTypedError(() => parseIpv6(f, off, len));
  parseOrTypedError(() => parseIcmp(f, off, len));
  parseOrTypedError(() => parseIcmpv6(f, off, len));
  parseOrTypedError(() => parseTcp(f, off, len));
  parseOrTypedError(() => parseUdp(f, off, len));
}

describe('fuzz', () => {
  it('20,000 random frames: the extractor never throws and keeps its contract', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 20000; i++) {
      const f = randomFrame();
      seen.add(checkExtract(f, 0, f.length));
      if (i % 7 === 0) checkExtract(f, int(f.length + 3), int(f.length + 20));
    }
    assert.deepEqual([...seen].sort(), [0, KEY_RUNT, KEY_TRUNCATED]);
  });

  it('20,000 mutations of the real frames: extractor, views, Repr parsers and the ODP printer hold', () => {
    const frames = Object.values(FRAMES);
    const mask = new Uint32Array(KEY_WORDS);
    let truncated = 0;
    for (let i = 0; i < 20000; i++) {
      const f = mutate(frames[i % frames.length]);
      if (checkExtract(f, 0, f.length) === KEY_TRUNCATED) truncated++;
      for (let w = 0; w < KEY_WORDS; w++)
        mask[w] = rand() < 0.5 ? 0 : rand() < 0.5 ? 0xffffffff : int(0x100000000);
      assert.equal(typeof formatOdpFlow(key, mask, i % 2 === 0), 'string');
      assert.equal(
        hashKey(key, mask, i),
        hashKey(
          key.map((x, j) => x & mask[j]),
          null,
          i,
        ),
      );
      const off = [0, 12, 14, 18, 22, 34, 38, 42, 54, 62, int(f.length + 2)][int(11)];
      const len = rand() < 0.7 ? f.length - off : int(f.length + 8) - off;
      touchViews(f, off, len);
      parseAll(f, off, len);
    }
    assert.ok(truncated > 500, `only ${truncated} truncated frames: mutations too weak`);
  });

  it('random keys and masks never break the ODP printer', () => {
    const k = new Uint32Array(KEY_WORDS);
    const m = new Uint32Array(KEY_WORDS);
    for (let i = 0; i < 5000; i++) {
      for (let w = 0; w < KEY_WORDS; w++) {
        k[w] = rand() < 0.3 ? 0 : int(0x100000000);
        m[w] = rand() < 0.3 ? 0 : rand() < 0.5 ? 0xffffffff : int(0x100000000);
      }
      if (i % 3 === 0) k[6] = [0x0800, 0x86dd, 0x0806, 0x8100, 0x05ff][i % 5];
      const text = formatOdpFlow(k, m, i % 2 === 1);
      assert.match(text, /packet_type\(ns=0,id=0\)/);
      assert.equal(text.split('(').length, text.split(')').length);
    }
  });
});
