// Tests of the addon's datagram sockets for tunnels (native/src/dgram.c): UDP over 127.0.0.1 and ::1 with
// the tunnel header and the frame gathered from two regions, received with their addresses (the
// destination from IP_PKTINFO), truncation, EAGAIN, refusals in a batch, readiness and closing, argument
// errors; and, as root, a raw protocol-47 socket that receives its own datagram with the IPv4 header in
// front, where the TOS, TTL and DF the sender asked for can be read.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  ADDON_PATH,
  DGRAM_ADDR_WORDS,
  DGRAM_DESC_WORDS,
  DGRAM_KEEP,
  DGRAM_MAX_BATCH,
  type DgramSocket,
  type NativeAddon,
  type NativeRegion,
  native,
  nativeAvailable,
} from '../../src/netdev/native.js';
import { packageRoot } from '../../src/util/paths.js';
import { waitFor } from '../helpers/daemons.js';
import { requireRoot } from '../helpers/netns.js';
import { isRoot } from '../helpers/ovs.js';

// Under CI the addon must have been built by `npm install`; elsewhere a missing build skips.
const skip = nativeAvailable() || process.env.CI === 'true' ? false : 'native addon not built (npm install)';

const LOOPBACK = 0x7f000001;
/** Receive slots: 16 of 4 KiB in one region. */
const SLOT = 4096;
const SLOTS = 16;
const GRE = 47;

/** One datagram to send: tunnel header bytes (maybe none), frame bytes, destination and IP fields. */
interface Out {
  hdr: Uint8Array;
  frame: Uint8Array;
  dst: number[];
  port: number;
  family: 4 | 6;
  tos?: number;
  ttl?: number;
}

/** One datagram received: its real length, the bytes that fit its slot, source and destination words. */
interface In {
  length: number;
  bytes: Uint8Array;
  family: number;
  src: number[];
  dst: number[];
}

/** The regions a test sends from (headers and frames apart, as tunnels have them) and receives into. */
class Buffers {
  readonly hdr: NativeRegion;
  readonly frame: NativeRegion;
  readonly rx: NativeRegion;
  constructor(private readonly nat: NativeAddon) {
    this.hdr = nat.regionCreate(SLOTS * 256);
    this.frame = nat.regionCreate(SLOTS * SLOT);
    this.rx = nat.regionCreate(SLOTS * SLOT);
  }

  /** Lays the datagrams out (header i at 256*i of one region, frame i at SLOT*i of another) and sends. */
  send(fd: number, out: Out[]): number {
    const descs = new Uint32Array(out.length * DGRAM_DESC_WORDS);
    const addrs = new Uint32Array(out.length * 4);
    out.forEach((o, i) => {
      new Uint8Array(this.hdr.buffer, 256 * i, o.hdr.length).set(o.hdr);
      new Uint8Array(this.frame.buffer, SLOT * i, o.frame.length).set(o.frame);
      descs.set(
        [
          this.hdr.region,
          256 * i,
          o.hdr.length,
          this.frame.region,
          SLOT * i,
          o.frame.length,
          o.port,
          o.tos ?? DGRAM_KEEP,
          o.ttl ?? DGRAM_KEEP,
          o.family,
        ],
        i * DGRAM_DESC_WORDS,
      );
      addrs.set(o.dst, i * 4);
    });
    return this.nat.dgramSend(fd, descs, addrs, out.length);
  }

  /** One dgramRecv of up to `max` datagrams into slots of `slotLen` bytes. */
  recv(fd: number, max = SLOTS, slotLen = SLOT): In[] {
    const offsets = Uint32Array.from({ length: max }, (_, i) => i * SLOT);
    const lengths = new Uint32Array(max);
    const addrs = new Uint32Array(max * DGRAM_ADDR_WORDS);
    const n = this.nat.dgramRecv(fd, this.rx.region, offsets, lengths, addrs, max, slotLen);
    const got: In[] = [];
    for (let i = 0; i < n; i++) {
      const a = addrs.subarray(i * DGRAM_ADDR_WORDS, (i + 1) * DGRAM_ADDR_WORDS);
      const bytes = new Uint8Array(this.rx.buffer, offsets[i], Math.min(lengths[i], slotLen)).slice();
      got.push({
        length: lengths[i],
        bytes,
        family: a[0],
        src: [...a.subarray(1, 5)],
        dst: [...a.subarray(5, 9)],
      });
    }
    return got;
  }

  /** Receives until `want` datagrams are in (loopback delivery is all but immediate). */
  async recvAll(fd: number, want: number, slotLen = SLOT): Promise<In[]> {
    const got: In[] = [];
    await waitFor(
      () => {
        got.push(...this.recv(fd, SLOTS, slotLen));
        return got.length >= want;
      },
      5000,
      `${want} datagrams`,
    );
    return got;
  }

  free(): void {
    for (const r of [this.hdr, this.frame, this.rx]) this.nat.regionFree(r.region);
  }
}

/** Opens sockets for a test and closes them, with the buffers, afterwards. */
async function withSockets(
  body: (nat: NativeAddon, bufs: Buffers, open: (s: DgramSocket) => DgramSocket) => Promise<void> | void,
) {
  const nat = native();
  const bufs = new Buffers(nat);
  const fds: number[] = [];
  try {
    await body(nat, bufs, (s) => {
      fds.push(s.fd);
      return s;
    });
  } finally {
    for (const fd of fds) nat.closeFd(fd);
    bufs.free();
  }
}

/** n bytes counting up from `seed`. */
function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (seed + i) & 0xff);
}

/** A VXLAN-like 8-byte header whose VNI is `vni`. */
function vxlanHeader(vni: number): Uint8Array {
  return Uint8Array.from([0x08, 0, 0, 0, (vni >> 16) & 0xff, (vni >> 8) & 0xff, vni & 0xff, 0]);
}

/** An IPv4 address as one big-endian word. */
function word(addr: string): number {
  return addr.split('.').reduce((w, b) => ((w << 8) | Number(b)) >>> 0, 0);
}

/** A random address in 127/8 (all local on lo), so concurrent tests' traffic does not reach our sockets. */
function randomLoopback(): string {
  const r = (n: number) => 1 + Math.floor(Math.random() * n);
  return `127.${r(250)}.${r(250)}.${r(250)}`;
}

/** Whether ::1 can be bound here (IPv6 may be disabled). */
function hasIpv6Loopback(nat: NativeAddon): boolean {
  try {
    nat.closeFd(nat.udpOpen('::1', 0, 0, false).fd);
    return true;
  } catch {
    return false;
  }
}

const isEinval = (e: Error & { code?: string }) => e instanceof RangeError && e.code === 'EINVAL';

describe('datagram sockets for tunnels', { skip }, () => {
  test('UDP over 127.0.0.1: a batch of header + frame from two regions arrives whole, with its addresses', () =>
    withSockets(async (nat, bufs, open) => {
      const rx = open(nat.udpOpen('127.0.0.1', 0, 1 << 20, true));
      const tx = open(nat.udpOpen('127.0.0.1', 0, 1 << 20, false));
      assert.equal(rx.family, 4);
      assert.ok(rx.port > 0 && rx.port !== tx.port);
      const sizes = [60, 1, 1500, 200, SLOT - 8];
      const out: Out[] = sizes.map((n, i) => ({
        hdr: vxlanHeader(100 + i),
        frame: pattern(n, i * 7),
        dst: [LOOPBACK, 0, 0, 0],
        port: rx.port,
        family: 4,
      }));
      // A datagram without a header: only the second iovec.
      out.push({
        hdr: new Uint8Array(0),
        frame: pattern(64, 99),
        dst: [LOOPBACK, 0, 0, 0],
        port: rx.port,
        family: 4,
      });
      assert.equal(bufs.send(tx.fd, out), out.length);
      const got = await bufs.recvAll(rx.fd, out.length);
      assert.equal(got.length, out.length);
      got.forEach((g, i) => {
        const want = new Uint8Array([...out[i].hdr, ...out[i].frame]);
        assert.equal(g.length, want.length, `datagram ${i} length`);
        assert.deepEqual(g.bytes, want, `datagram ${i} bytes`);
        assert.equal(g.family, 4);
        assert.deepEqual(g.src, [LOOPBACK, 0, 0, 0]);
        assert.deepEqual(g.dst, [LOOPBACK, 0, 0, 0]);
      });
      // Nothing pending: EAGAIN is a count of 0, not an error.
      assert.equal(bufs.recv(rx.fd).length, 0);
    }));

  test('a wildcard socket learns each datagram’s destination from IP_PKTINFO', () =>
    withSockets(async (nat, bufs, open) => {
      const rx = open(nat.udpOpen('', 0, 0, true));
      const from = randomLoopback();
      const tx = open(nat.udpOpen(from, 0, 0, true));
      const to = [randomLoopback(), randomLoopback()];
      const out: Out[] = to.map((a, i) => ({
        hdr: vxlanHeader(i),
        frame: pattern(60, i),
        dst: [word(a), 0, 0, 0],
        port: rx.port,
        family: 4,
      }));
      assert.equal(bufs.send(tx.fd, out), 2);
      const got = await bufs.recvAll(rx.fd, 2);
      assert.deepEqual(
        got.map((g) => [g.src[0], g.dst[0]]),
        to.map((a) => [word(from), word(a)]),
      );
    }));

  test('a datagram longer than its slot is reported with its real length', () =>
    withSockets(async (nat, bufs, open) => {
      const rx = open(nat.udpOpen('127.0.0.1', 0, 0, true));
      const tx = open(nat.udpOpen('127.0.0.1', 0, 0, true));
      const out: Out[] = [3000, 100].map((n, i) => ({
        hdr: vxlanHeader(i),
        frame: pattern(n, i),
        dst: [LOOPBACK, 0, 0, 0],
        port: rx.port,
        family: 4,
      }));
      assert.equal(bufs.send(tx.fd, out), 2);
      const got = await bufs.recvAll(rx.fd, 2, 1000);
      assert.deepEqual(
        got.map((g) => g.length),
        [3008, 108],
      );
      assert.deepEqual(got[0].bytes, new Uint8Array([...out[0].hdr, ...out[0].frame]).subarray(0, 1000));
      assert.deepEqual(got[1].bytes, new Uint8Array([...out[1].hdr, ...out[1].frame]));
    }));

  test('UDP over ::1: IPv6 addresses as 4 words, TCLASS and HOPLIMIT accepted', (t) =>
    withSockets(async (nat, bufs, open) => {
      if (!hasIpv6Loopback(nat)) {
        t.skip('no IPv6 loopback here');
        return;
      }
      const rx = open(nat.udpOpen('::1', 0, 0, true));
      const tx = open(nat.udpOpen('::', 0, 0, false));
      assert.equal(rx.family, 6);
      assert.equal(tx.family, 6);
      const out: Out[] = [0, 1, 2].map((i) => ({
        hdr: vxlanHeader(i),
        frame: pattern(100 + i, i),
        dst: [0, 0, 0, 1],
        port: rx.port,
        family: 6,
        tos: i === 1 ? 0xb8 : DGRAM_KEEP,
        ttl: i === 2 ? 3 : DGRAM_KEEP,
      }));
      assert.equal(bufs.send(tx.fd, out), 3);
      const got = await bufs.recvAll(rx.fd, 3);
      got.forEach((g, i) => {
        assert.equal(g.family, 6);
        assert.deepEqual(g.src, [0, 0, 0, 1]);
        assert.deepEqual(g.dst, [0, 0, 0, 1]);
        assert.deepEqual(g.bytes, new Uint8Array([...out[i].hdr, ...out[i].frame]));
      });
      // An IPv6 socket (IPV6_V6ONLY) does not take IPv4 destinations.
      assert.throws(
        () => bufs.send(tx.fd, [{ ...out[0], dst: [LOOPBACK, 0, 0, 0], family: 4 }]),
        (e: Error & { code?: string; syscall?: string }) => e.syscall === 'sendmmsg' && e.code !== undefined,
      );
    }));

  test('a refused datagram ends the batch: later ones show in the count, the first one throws', () =>
    withSockets(async (nat, bufs, open) => {
      const rx = open(nat.udpOpen('127.0.0.1', 0, 0, true));
      const tx = open(nat.udpOpen('127.0.0.1', 0, 0, true));
      const ok = (i: number): Out => ({
        hdr: vxlanHeader(i),
        frame: pattern(60, i),
        dst: [LOOPBACK, 0, 0, 0],
        port: rx.port,
        family: 4,
      });
      // UDP refuses destination port 0 (EINVAL).
      const refused: Out = { ...ok(1), port: 0 };
      assert.equal(bufs.send(tx.fd, [ok(0), refused, ok(2)]), 1);
      assert.throws(
        () => bufs.send(tx.fd, [refused, ok(2)]),
        (e: Error & { code?: string; syscall?: string }) =>
          !(e instanceof RangeError) &&
          e.code === 'EINVAL' &&
          e.syscall === 'sendmmsg' &&
          e.message.startsWith(`sendmmsg on fd ${tx.fd} to 127.0.0.1:0: `),
      );
      assert.equal(bufs.send(tx.fd, [ok(2)]), 1);
      const got = await bufs.recvAll(rx.fd, 2);
      assert.deepEqual(
        got.map((g) => g.bytes[6]),
        [0, 2],
      );
    }));

  test('pollStart wakes on a datagram; closeFd closes the socket', () =>
    withSockets(async (nat, bufs, open) => {
      const rx = nat.udpOpen('127.0.0.1', 0, 0, true);
      const tx = open(nat.udpOpen('127.0.0.1', 0, 0, true));
      const got: In[] = [];
      nat.pollStart(rx.fd, (status) => {
        assert.equal(status, 0);
        got.push(...bufs.recv(rx.fd));
      });
      const out: Out = {
        hdr: vxlanHeader(5),
        frame: pattern(60, 5),
        dst: [LOOPBACK, 0, 0, 0],
        port: rx.port,
        family: 4,
      };
      assert.equal(bufs.send(tx.fd, [out]), 1);
      await waitFor(() => got.length === 1, 5000, 'the poll callback');
      nat.closeFd(rx.fd); // stops the poll too
      assert.throws(() => bufs.recv(rx.fd), { code: 'EBADF', syscall: 'recvmmsg' });
    }));

  test('a port in use is EADDRINUSE, also between two of our sockets (no SO_REUSEADDR)', () =>
    withSockets(async (nat, _bufs, open) => {
      const held = createSocket({ type: 'udp4', reuseAddr: false });
      await new Promise<void>((resolve) => held.bind(0, '127.0.0.1', resolve));
      try {
        const port = held.address().port;
        assert.throws(
          () => open(nat.udpOpen('127.0.0.1', port, 0, true)),
          (e: Error & { code?: string; syscall?: string }) =>
            e.code === 'EADDRINUSE' &&
            e.syscall === 'bind' &&
            e.message === `bind on udp 127.0.0.1:${port}: Address already in use`,
        );
        assert.throws(() => open(nat.udpOpen('', port, 0, true)), { code: 'EADDRINUSE' });
      } finally {
        held.close();
      }
      // No SO_REUSEADDR: a second switch cannot silently take a tunnel port's traffic.
      const a = open(nat.udpOpen('127.0.0.1', 0, 0, true));
      assert.throws(() => open(nat.udpOpen('127.0.0.1', a.port, 0, true)), { code: 'EADDRINUSE' });
      // A local address that is not the host's cannot be bound.
      assert.throws(() => open(nat.udpOpen('192.0.2.1', 0, 0, true)), {
        code: 'EADDRNOTAVAIL',
        message: 'bind on udp 192.0.2.1:0: Cannot assign requested address',
      });
    }));

  test('bad arguments throw RangeError EINVAL', () =>
    withSockets((nat, bufs, open) => {
      for (const addr of ['1.2.3', 'localhost', 'fe80::1%lo', '10.0.0.1:4789', ' 10.0.0.1', 'x'.repeat(100)])
        assert.throws(() => open(nat.udpOpen(addr, 0, 0, true)), isEinval, addr);
      assert.throws(() => open(nat.udpOpen('127.0.0.1', 65536, 0, true)), isEinval);
      assert.throws(() => open(nat.udpOpen('127.0.0.1', -1, 0, true)), isEinval);
      for (const proto of [0, 255, 256])
        assert.throws(() => open(nat.rawOpen(proto, '127.0.0.1', 0, true)), isEinval, String(proto));
      assert.throws(() => open(nat.rawOpen(GRE, 'nowhere', 0, true)), isEinval);

      const s = open(nat.udpOpen('127.0.0.1', 0, 0, true));
      const offsets = new Uint32Array(DGRAM_MAX_BATCH + 1);
      const lengths = new Uint32Array(DGRAM_MAX_BATCH + 1);
      const addrs = new Uint32Array((DGRAM_MAX_BATCH + 1) * DGRAM_ADDR_WORDS);
      const recv =
        (max: number, slotLen = 100, o = offsets, a = addrs, region = bufs.rx.region) =>
        () =>
          nat.dgramRecv(s.fd, region, o, lengths, a, max, slotLen);
      assert.equal(recv(DGRAM_MAX_BATCH)(), 0);
      assert.throws(recv(DGRAM_MAX_BATCH + 1), isEinval); // beyond the batch limit
      assert.throws(recv(4, 0), isEinval); // empty slots
      assert.throws(recv(4, SLOT * SLOTS + 1), isEinval); // slot beyond the region
      assert.throws(recv(4, 100, new Uint32Array(3)), isEinval); // too few offsets
      assert.throws(recv(4, 100, offsets, new Uint32Array(4 * DGRAM_ADDR_WORDS - 1)), isEinval);
      assert.throws(recv(4, 100, offsets, addrs, 1000), isEinval); // no such region

      const good = [0, 0, 0, bufs.frame.region, 0, 60, 4789, DGRAM_KEEP, DGRAM_KEEP, 4];
      const send =
        (desc: number[], count = 1, addrWords = 4) =>
        () =>
          nat.dgramSend(s.fd, new Uint32Array(desc), new Uint32Array(addrWords), count);
      const with_ = (i: number, v: number) => good.map((w, j) => (j === i ? v : w));
      assert.throws(send(with_(7, 256)), isEinval); // tos
      assert.throws(send(with_(8, 0)), isEinval); // ttl 0
      assert.throws(send(with_(8, 256)), isEinval); // ttl
      assert.throws(send(with_(9, 5)), isEinval); // family
      assert.throws(send(with_(6, 65536)), isEinval); // port
      assert.throws(send(with_(5, 0)), isEinval); // neither header nor frame
      assert.throws(send(with_(3, 999)), isEinval); // no such region
      assert.throws(send(with_(4, SLOT * SLOTS - 10)), isEinval); // frame beyond its region
      assert.throws(send([bufs.hdr.region, 16 * 256, 8, ...good.slice(3)]), isEinval); // header beyond
      assert.throws(send(good, 2, 8), isEinval); // descriptors for 1 only
      assert.throws(send(good, 1, 3), isEinval); // too few address words
      const many = Array.from({ length: DGRAM_MAX_BATCH + 1 }, () => good).flat();
      assert.throws(send(many, DGRAM_MAX_BATCH + 1, (DGRAM_MAX_BATCH + 1) * 4), isEinval);
      assert.equal(send(good, 0)(), 0);
    }));

  test('rawOpen without CAP_NET_RAW throws EPERM', () => {
    if (!isRoot()) {
      assert.throws(() => native().rawOpen(GRE, '127.0.0.1', 0, true), { code: 'EPERM' });
      return;
    }
    const script = `
      const nat = require(${JSON.stringify(join(packageRoot(), ADDON_PATH))});
      try { nat.rawOpen(47, '127.0.0.1', 0, true); console.log('opened'); } catch (e) { console.log(e.code, e.message); }
    `;
    const r = spawnSync(process.execPath, ['-e', script], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      timeout: 10000,
    });
    assert.equal(
      r.stdout.trim(),
      `EPERM socket on raw 127.0.0.1 proto 47: Operation not permitted`,
      r.stderr,
    );
  });

  test('raw protocol 47: its own datagram comes back behind an IPv4 header with the TOS, TTL and DF asked for', (t) =>
    withSockets(async (nat, bufs, open) => {
      if (!requireRoot(t)) return;
      const here = randomLoopback();
      const raw = open(nat.rawOpen(GRE, here, 1 << 20, true));
      assert.deepEqual({ family: raw.family, port: raw.port }, { family: 4, port: 0 });
      const greHeader = Uint8Array.from([0x20, 0x00, 0x65, 0x58, 0, 0, 0, 42]); // key 42, TEB
      const out: Out[] = [
        {
          hdr: greHeader,
          frame: pattern(60, 1),
          dst: [word(here), 0, 0, 0],
          port: 4789,
          family: 4,
          tos: 0xb9,
          ttl: 7,
        },
        { hdr: greHeader, frame: pattern(1400, 2), dst: [word(here), 0, 0, 0], port: 0, family: 4 },
      ];
      assert.equal(bufs.send(raw.fd, out), 2);
      const got = await bufs.recvAll(raw.fd, 2);
      got.forEach((g, i) => {
        const ip = g.bytes;
        assert.equal(ip[0], 0x45, 'IPv4, 20-byte header');
        assert.equal(ip[9], GRE, 'protocol');
        assert.equal(g.length, 20 + out[i].hdr.length + out[i].frame.length);
        assert.equal((ip[2] << 8) | ip[3], g.length, 'total length');
        assert.equal(ip[6] & 0x40, 0x40, 'DF');
        assert.deepEqual(g.bytes.subarray(20), new Uint8Array([...out[i].hdr, ...out[i].frame]));
        assert.equal(g.family, 4);
        assert.deepEqual(g.src, [word(here), 0, 0, 0]);
        assert.deepEqual(g.dst, [word(here), 0, 0, 0], 'IP_PKTINFO on a raw socket');
      });
      assert.equal(got[0].bytes[1], 0xb9, 'TOS, ECN bits included');
      assert.equal(got[0].bytes[8], 7, 'TTL');
      assert.equal(got[1].bytes[1], 0, 'default TOS');
      assert.notEqual(got[1].bytes[8], 7, 'default TTL');
      assert.equal(bufs.recv(raw.fd).length, 0);

      // Without df, DF is clear.
      const there = randomLoopback();
      const noDf = open(nat.rawOpen(GRE, there, 0, false));
      assert.equal(bufs.send(noDf.fd, [{ ...out[1], dst: [word(there), 0, 0, 0] }]), 1);
      const [g] = await bufs.recvAll(noDf.fd, 1);
      assert.equal(g.bytes[6] & 0x40, 0, 'no DF');
    }));

  test('raw protocol 47 over ::1: the payload comes without the IPv6 header', (t) =>
    withSockets(async (nat, bufs, open) => {
      if (!requireRoot(t)) return;
      if (!hasIpv6Loopback(nat)) {
        t.skip('no IPv6 loopback here');
        return;
      }
      const raw = open(nat.rawOpen(GRE, '::1', 0, true));
      assert.equal(raw.family, 6);
      // dstPort is ignored (an IPv6 raw socket would take a non-zero sin6_port as the protocol).
      const out: Out = {
        hdr: vxlanHeader(9),
        frame: pattern(80, 9),
        dst: [0, 0, 0, 1],
        port: 4789,
        family: 6,
        ttl: 9,
      };
      assert.equal(bufs.send(raw.fd, [out]), 1);
      const got = await bufs.recvAll(raw.fd, 1);
      assert.equal(got[0].length, 88);
      assert.deepEqual(got[0].bytes, new Uint8Array([...out.hdr, ...out.frame]));
      assert.deepEqual([got[0].family, ...got[0].src, ...got[0].dst], [6, 0, 0, 0, 1, 0, 0, 0, 1]);
    }));
});
