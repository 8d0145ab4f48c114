// Tests of the native addon's boundary: errors carry errno codes and name the call and the interface, bad
// descriptors are refused without crashing, freed memory reads as empty, uv_poll callbacks start, stop
// and report exceptions through Node's uncaught-exception path, and a frame too long for its packet ring
// slot waits whole on the socket for packetRecv.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ADDON_PATH, native, nativeAvailable } from '../../src/netdev/native.js';
import { SystemNetdev } from '../../src/netdev/system.js';
import { packageRoot } from '../../src/util/paths.js';
import { tempDir, waitFor } from '../helpers/daemons.js';
import { ip, Lab, nsRunOk, requireRoot, uniqueName } from '../helpers/netns.js';
import { isRoot } from '../helpers/ovs.js';

// Under CI the addon must have been built by `npm install`; elsewhere a missing build skips.
const skip = nativeAvailable() || process.env.CI === 'true' ? false : 'native addon not built (npm install)';

/** A FIFO opened non-blocking for reading and writing, so tests can make it readable at will. */
function withFifo(body: (fd: number) => Promise<void>): Promise<void> {
  const dir = tempDir('tsovs-native-');
  const path = join(dir, 'fifo');
  execFileSync('mkfifo', [path]);
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  return body(fd).finally(() => rmSync(dir, { recursive: true, force: true }));
}

describe('native addon', { skip }, () => {
  test('loads and lists every function', () => {
    const nat = native();
    for (const f of [
      'regionCreate',
      'packetOpen',
      'packetSend',
      'tapOpen',
      'pollStart',
      'closeFd',
      'ifInfo',
      'mallocTrim',
      'ifLinkSettings',
    ])
      assert.equal(typeof (nat as unknown as Record<string, unknown>)[f], 'function', f);
  });

  test('ifInfo of lo, and ENODEV for a missing device', () => {
    const lo = native().ifInfo('lo');
    assert.equal(lo.ifindex, 1);
    assert.equal(lo.mac, '00:00:00:00:00:00');
    assert.ok(lo.mtu > 0);
    const missing = uniqueName('nodev');
    assert.throws(
      () => native().ifInfo(missing),
      (e: NodeJS.ErrnoException) => e.code === 'ENODEV' && e.message.includes(missing),
    );
  });

  test('packetOpen on a missing interface throws ENODEV naming it', (t) => {
    if (!requireRoot(t)) return; // without CAP_NET_RAW the socket itself is refused first
    const missing = uniqueName('veth');
    assert.throws(
      () => native().packetOpen(missing, 69632, 16, 128),
      (e: NodeJS.ErrnoException) =>
        e.code === 'ENODEV' && e.message.includes(missing) && e.message.includes('No such device'),
    );
  });

  test('SystemNetdev on a missing interface says what Open vSwitch says', () => {
    const missing = uniqueName('veth');
    assert.throws(
      () => new SystemNetdev(missing),
      (e: Error & { code?: string }) =>
        e.name === 'NetdevError' &&
        e.code === 'ENODEV' &&
        e.message === `could not open network device ${missing} (No such device)`,
    );
  });

  test('bad arguments throw RangeError EINVAL', () => {
    const nat = native();
    const r = nat.regionCreate(1000);
    try {
      assert.equal(r.buffer.byteLength % 4096, 0);
      const bad =
        (descs: number[], count = 1) =>
        () =>
          nat.packetSend(0, new Uint32Array(descs), count);
      const isEinval = (e: Error & { code?: string }) => e instanceof RangeError && e.code === 'EINVAL';
      assert.throws(bad([r.region + 500, 0, 60]), isEinval); // no such region
      assert.throws(bad([0xffffffff, 0, 60]), isEinval); // JS_REGION is not a native region
      assert.throws(bad([r.region, 4090, 60]), isEinval); // runs past the end
      assert.throws(bad([r.region, 0, 0]), isEinval); // empty frame
      assert.throws(bad([r.region, 0, 60], 2), isEinval); // count beyond the descriptors
      assert.throws(() => nat.packetSend(0, new Uint8Array(3) as unknown as Uint32Array, 1), isEinval);
      assert.throws(() => nat.ifInfo('a-name-far-too-long-for-linux'), isEinval);
      assert.throws(() => nat.ifSetMac('lo', 'not-a-mac'), isEinval);
      assert.throws(() => nat.regionCreate(-1), isEinval);
      assert.throws(() => nat.pollStop(12345), isEinval);
      const recv =
        (offset: number, max: number, slotLen: number, region = r.region) =>
        () =>
          nat.packetRecv(0, region, new Uint32Array([offset, 0]), new Uint32Array(2), max, slotLen);
      assert.throws(recv(0, 1, 100, r.region + 500), isEinval); // no such region
      assert.throws(recv(4000, 1, 100), isEinval); // the slot runs past the end
      assert.throws(recv(0, 1, 9), isEinval); // no room for the vnet header
      assert.throws(recv(0, 3, 100), isEinval); // more frames than offsets
      assert.throws(recv(0, 65, 100), isEinval); // more than PACKET_RECV_MAX
    } finally {
      nat.regionFree(r.region);
    }
  });

  test('a freed region reads as an empty buffer, and its id is refused', () => {
    const nat = native();
    const r = nat.regionCreate(4096);
    const view = new Uint8Array(r.buffer);
    view[10] = 7;
    nat.regionFree(r.region);
    assert.equal(r.buffer.byteLength, 0);
    assert.equal(view.length, 0);
    assert.equal(view[10], undefined);
    assert.throws(() => nat.regionFree(r.region), { code: 'EINVAL' });
  });

  test('mallocTrim gives the free pages in the middle of the C heap back', () => {
    // A process that frees most of 2,000 buffers of 32 KiB (malloc'd in glibc's heap, under its mmap
    // threshold) but keeps every eighth one and the last: the free chunks stay resident until trimmed.
    const script = `
      const nat = require(${JSON.stringify(join(packageRoot(), ADDON_PATH))});
      const anon = () => parseInt(require('fs').readFileSync('/proc/self/status', 'utf8').split('RssAnon:')[1], 10);
      let bufs = [];
      for (let i = 0; i < 2000; i++) new Uint8Array((bufs[i] = new ArrayBuffer(32768))).fill(1);
      bufs = bufs.filter((_, i) => i % 8 === 0 || i === 1999);
      // V8 frees dead ArrayBuffers' memory in the background: wait (with a deadline) until it has.
      const deadline = Date.now() + 10000;
      const settle = () => {
        gc();
        if (process.memoryUsage().arrayBuffers > 16 << 20 && Date.now() < deadline) return setTimeout(settle, 10);
        const before = anon();
        const trimmed = nat.mallocTrim();
        console.log(JSON.stringify({ before, after: anon(), trimmed, kept: bufs.length }));
      };
      settle();
    `;
    const out = execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    const r = JSON.parse(out) as { before: number; after: number; trimmed: boolean; kept: number };
    assert.equal(r.trimmed, true);
    assert.ok(r.before - r.after > 20_000, `RssAnon ${r.before} kB → ${r.after} kB`);
  });

  test('pollStart calls back while readable; pollStop ends it', () =>
    withFifo(async (fd) => {
      const nat = native();
      let calls = 0;
      const handle = nat.pollStart(fd, (status) => {
        assert.equal(status, 0);
        calls++;
        drain(fd); // so the level-triggered poll goes quiet
      });
      try {
        writeSync(fd, 'x');
        await waitFor(() => calls >= 1, 5000, 'the poll callback');
        const before = calls;
        writeSync(fd, 'y');
        await waitFor(() => calls > before, 5000, 'a second callback');
      } finally {
        nat.pollStop(handle);
      }
      assert.throws(() => nat.pollStop(handle), { code: 'EINVAL' });
      const after = calls;
      writeSync(fd, 'z');
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(calls, after, 'no callback after pollStop');
      // closeFd stops any poll still on the descriptor and closes it.
      nat.pollStart(fd, () => {});
      nat.closeFd(fd);
      assert.throws(() => closeSync(fd), { code: 'EBADF' });
    }));

  test('an exception thrown by the poll callback reaches uncaughtException', () => {
    const addon = join(packageRoot(), ADDON_PATH);
    const dir = tempDir('tsovs-native-');
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const script = `
      const fs = require('node:fs');
      const nat = require(${JSON.stringify(addon)});
      const fd = fs.openSync(${JSON.stringify(fifo)}, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
      let handle;
      process.on('uncaughtException', (e) => {
        nat.pollStop(handle);
        Promise.resolve().then(() => console.log('caught ' + e.message));
      });
      handle = nat.pollStart(fd, () => { throw new Error('boom'); });
      fs.writeSync(fd, 'x');
    `;
    try {
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'caught boom');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without an uncaughtException handler the process exits with the error, not a crash', () => {
    const addon = join(packageRoot(), ADDON_PATH);
    const script = `
      const nat = require(${JSON.stringify(addon)});
      nat.pollStart(0, () => { throw new Error('boom from the callback'); });
    `;
    // fd 0 is a pipe the child's parent writes to: readable at once.
    const r = spawnSync(process.execPath, ['-e', script], { input: 'x', encoding: 'utf8', timeout: 10000 });
    assert.equal(r.signal, null);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /boom from the callback/);
  });

  test('packetOpen without CAP_NET_RAW throws EPERM', () => {
    if (!isRoot()) {
      assert.throws(() => native().packetOpen('lo', 69632, 16, 128), { code: 'EPERM' });
      return;
    }
    // As root, try it in a child process whose capability bounding set lacks CAP_NET_RAW.
    const script = `
      const nat = require(${JSON.stringify(join(packageRoot(), ADDON_PATH))});
      try { nat.packetOpen('lo', 69632, 16, 128); console.log('opened'); } catch (e) { console.log(e.code); }
    `;
    const r = spawnSync(process.execPath, ['-e', script], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      timeout: 10000,
    });
    assert.equal(r.stdout.trim(), 'EPERM', r.stderr);
  });

  test('packetSend skips the frames the kernel rejects and sends the rest', async (t) => {
    if (!requireRoot(t)) return;
    const lab = new Lab();
    const nat = native();
    const region = nat.regionCreate(5 * 4096);
    let fd = -1;
    try {
      const ns = lab.netns('tsn');
      const [inner, outer] = lab.veth('tsni', ns, 'tsno', null);
      const receiver = lab.spawnIn(ns, 'python3', ['-c', RECEIVER, inner]);
      let out = '';
      receiver.stdout?.setEncoding('utf8').on('data', (d: string) => {
        out += d;
      });
      await waitFor(() => out.includes('ready'), 10000, 'the receiver');
      fd = nat.packetOpen(outer, 69632, 16, 128).fd;
      const buf = new Uint8Array(region.buffer);
      const frames: [number, number][] = [];
      let at = 0;
      // Frames 1, 3 and 5 are good; 2 asks for a checksum beyond its end (EINVAL); 4 exceeds the MTU.
      for (const [marker, size, badCsum] of [
        [1, 60, false],
        [2, 60, true],
        [3, 60, false],
        [4, 3000, false],
        [5, 60, false],
      ] as const) {
        buf.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5, marker], at + 10);
        if (badCsum) buf.set([1, 0, 0, 0, 0, 0, 200, 0, 6, 0], at);
        frames.push([at, 10 + size]);
        at += 4096;
      }
      const descs = new Uint32Array(frames.flatMap(([off, len]) => [region.region, off, len]));
      assert.equal(nat.packetSend(fd, descs, frames.length), 3);
      await waitFor(() => out.trim().split('\n').length >= 4, 5000, 'three frames');
      assert.deepEqual(out.trim().split('\n').slice(1), ['1', '3', '5']);
    } finally {
      if (fd >= 0) nat.closeFd(fd);
      nat.regionFree(region.region);
      await lab.cleanup();
    }
  });

  test('a frame longer than its ring slot waits whole on the socket, in order, for packetRecv', async (t) => {
    if (!requireRoot(t)) return;
    const lab = new Lab();
    const nat = native();
    const region = nat.regionCreate(2 * 4096);
    let fd = -1;
    try {
      const ns = lab.netns('tsc');
      const [inner, outer] = lab.veth('tsci', ns, 'tsco', null);
      ip('-n', ns, 'link', 'set', inner, 'mtu', '9000');
      ip('link', 'set', outer, 'mtu', '9000');
      // 2 KiB slots, as the system netdev has them.
      const sock = nat.packetOpen(outer, 2048, 32, 118, 65536);
      fd = sock.fd;
      const ring32 = new Uint32Array(sock.ring);
      const ring16 = new Uint16Array(sock.ring);
      const ring8 = new Uint8Array(sock.ring);
      /** The ring frames from TEST_SRC, in ring order: marker, tp_status, tp_len, tp_snaplen. */
      const inRing = () => {
        const found: number[][] = [];
        for (let base = 0; base < ring8.length; base += 2048) {
          const status = ring32[base >>> 2];
          const mac = base + ring16[(base + 12) >>> 1];
          if ((status & 1) !== 0 && TEST_SRC.every((b, i) => ring8[mac + 6 + i] === b))
            found.push([ring8[mac + 14], status, ring32[(base + 4) >>> 2], ring32[(base + 8) >>> 2]]);
        }
        return found;
      };
      const frames = [testFrame(1, 3000), testFrame(2, 60), testFrame(3, 5000)];
      await nsRunOk(ns, 'python3', ['-c', HEX_SENDER, inner, ...frames.map((f) => f.toString('hex'))]);
      await waitFor(() => inRing().length >= 3, 5000, 'the frames in the ring');
      const TP_STATUS_COPY = 2;
      const ring = inRing();
      assert.deepEqual(
        ring.map(([marker, status, len]) => [marker, status & TP_STATUS_COPY, len]),
        [
          [1, TP_STATUS_COPY, 3000],
          [2, 0, 60],
          [3, TP_STATUS_COPY, 5000],
        ],
      );
      assert.ok(ring[0][3] < 2048 && ring[2][3] < 2048, 'the ring holds the start of the long frames');
      // The long frames, whole and in order, each after its vnet header; the second is cut at 100 bytes.
      const lengths = new Uint32Array(2);
      const buf = new Uint8Array(region.buffer);
      assert.equal(nat.packetRecv(fd, region.region, new Uint32Array([0, 4096]), lengths, 1, 4096), 1);
      assert.equal(lengths[0], 10 + 3000);
      assert.deepEqual(Buffer.from(buf.subarray(10, 3010)), frames[0]);
      assert.equal(nat.packetRecv(fd, region.region, new Uint32Array([4096]), lengths, 1, 100), 1);
      assert.equal(lengths[0], 10 + 5000, 'MSG_TRUNC: the whole length');
      assert.deepEqual(Buffer.from(buf.subarray(4096 + 10, 4096 + 100)), frames[2].subarray(0, 90));
      assert.equal(nat.packetRecv(fd, region.region, new Uint32Array([0]), lengths, 1, 4096), 0, 'none left');
    } finally {
      if (fd >= 0) nat.closeFd(fd);
      nat.regionFree(region.region);
      await lab.cleanup();
    }
  });
});

/** Sends the frames given in hex (argv[2], ...) from interface argv[1]. */
const HEX_SENDER = `
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for h in sys.argv[2:]:
    s.send(bytes.fromhex(h))
`;

/** Source MAC of testFrame's frames (02:00:00:00:00:c7). */
const TEST_SRC = [2, 0, 0, 0, 0, 0xc7];

/** A broadcast frame from TEST_SRC, EtherType 0x88b5, `marker` after it, then bytes that depend on both. */
function testFrame(marker: number, size: number): Buffer {
  const f = Buffer.alloc(size);
  f.fill(0xff, 0, 6);
  f.set(TEST_SRC, 6);
  f.writeUInt16BE(0x88b5, 12);
  f[14] = marker;
  for (let i = 15; i < size; i++) f[i] = (i * 31 + marker) & 0xff;
  return f;
}

/** Prints "ready", then the marker byte of each frame of EtherType 0x88b5 that arrives on argv[1]. */
const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
s.bind((sys.argv[1], 0))
print('ready', flush=True)
while True:
    print(s.recv(4096)[14], flush=True)
`;

/** Reads a non-blocking descriptor until it is empty. */
function drain(fd: number): void {
  const buf = Buffer.alloc(64);
  try {
    while (readSync(fd, buf) > 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
  }
}
