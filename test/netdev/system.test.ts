// The system netdev on real interfaces: a small forwarder written against the Netdev interface joins two
// veth pairs whose far ends live in namespaces A and B. Ping, TCP with the veths' offloads left on (GSO
// super-frames and partial checksums pass through whole), and VLAN tags the kernel stripped put back.
// Frames bigger than a ring slot (GSO super-frames, jumbo frames on veths of MTU 9000) come whole, byte
// for byte and in order among small ones, while the ring itself stays small.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { type Netdev, type RxBatch, VNET_HDR_LEN } from '../../src/netdev/netdev.js';
import { SystemNetdev } from '../../src/netdev/system.js';
import { waitFor } from '../helpers/daemons.js';
import { ip, Lab, nsRun, nsRunOk, requireRoot, waitForPing } from '../helpers/netns.js';
import { hasBinary } from '../helpers/ovs.js';

/** What the forwarder saw: frames, and copies of the frames from SENDER_MAC (vnet header first). */
interface Seen {
  frames: number;
  probes: Uint8Array[];
  /** How often each sequence number of the burst frames (from BURST_MAC) was seen. */
  burst: Map<number, number>;
  /** The longest frame forwarded. */
  longest: number;
}

/** Source MAC of the burst frames (02:b0:b0:b0:b0:b0); their first four payload bytes are a sequence number. */
const BURST_MAC = [0x02, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0];

/** Source MAC of the frames the probe script sends (02:aa:bb:cc:dd:ee). */
const SENDER_MAC = [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee];

function fromSender(b: Uint8Array, off: number, mac = SENDER_MAC): boolean {
  for (let i = 0; i < 6; i++) if (b[off + 6 + i] !== mac[i]) return false;
  return true;
}

/**
 * Every frame one port receives is queued on the other and the batch flushed before returning; then, as
 * the datapath does, both ports are polled again from inside the handler (which must not hand out the
 * frames of the batch still in progress).
 */
function forward(from: Netdev, to: Netdev, seen: Seen): void {
  from.start((batch: RxBatch) => {
    const b = batch.buf;
    for (let i = 0; i < batch.count; i++) {
      const off = batch.offsets[i];
      if (fromSender(b, off)) seen.probes.push(b.slice(off - VNET_HDR_LEN, off + batch.lengths[i]));
      if (fromSender(b, off, BURST_MAC)) {
        const seq = ((b[off + 14] << 24) | (b[off + 15] << 16) | (b[off + 16] << 8) | b[off + 17]) >>> 0;
        seen.burst.set(seq, (seen.burst.get(seq) ?? 0) + 1);
      }
      to.enqueue(b, batch.region, off, batch.lengths[i]);
    }
    seen.frames += batch.count;
    for (let i = 0; i < batch.count; i++)
      if (batch.lengths[i] > seen.longest) seen.longest = batch.lengths[i];
    to.flush();
    from.poll?.();
    to.poll?.();
  });
}

/** Sends argv[2] frames from BURST_MAC with sequence numbers, as fast as a packet socket can. */
const BURST_SCRIPT = `
import socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
hdr = bytes.fromhex('ffffffffffff02b0b0b0b0b088b5')
for i in range(int(sys.argv[2])):
    try:
        s.send(hdr + struct.pack('!I', i) + bytes(42))
    except BlockingIOError:
        pass
`;

/**
 * Sends, from the veth in a namespace, frames with VLAN tags in their bytes (which the receiving veth
 * strips into metadata): 802.1Q VLAN 10; 802.1ad 20 over 802.1Q 10; and 802.1Q VLAN 10 carrying IPv4/TCP
 * with a partial checksum (virtio-net header NEEDS_CSUM, csum_start 38, csum_offset 16). Prints each frame
 * in hex.
 */
const PROBE_SCRIPT = `
import socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.setsockopt(263, 15, 1)  # SOL_PACKET, PACKET_VNET_HDR
s.bind((sys.argv[1], 0))
eth = bytes.fromhex('ffffffffffff02aabbccddee')
pad = lambda f: f + bytes(max(0, 60 - len(f)))
plain = pad(eth + bytes.fromhex('8100000a88b5') + b'tsovs vlan 10')
qinq = pad(eth + bytes.fromhex('88a800148100000a88b5') + b'tsovs qinq')
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + 20 + 8, 1, 0, 64, 6, 0, bytes([10, 77, 9, 1]), bytes([10, 77, 9, 2]))
tcp = struct.pack('!HHIIBBHHH', 1000, 2000, 1, 0, 0x50, 0x18, 1000, 0, 0) + b'payload!'
tcpf = eth + bytes.fromhex('8100000a0800') + ip + tcp
for vnet, f in ((bytes(10), plain), (bytes(10), qinq), (struct.pack('<BBHHHH', 1, 0, 0, 0, 38, 16), tcpf)):
    s.send(vnet + f)
    print(f.hex())
`;

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** The average of ping's "rtt min/avg/max/mdev = a/b/c/d ms" line, in ms. */
function pingAverage(out: string): number {
  const m = /= [\d.]+\/([\d.]+)\//.exec(out);
  return m === null ? Number.NaN : Number(m[1]);
}

/** Two namespaces, each joined by a veth to this one, for a test's body; the ports it opens close with the lab. */
interface ForwarderLab {
  lab: Lab;
  ports: SystemNetdev[];
  nsA: string;
  nsB: string;
  /** The veth ends in the namespaces (a0, b0) and here (ra, rb). */
  a0: string;
  ra: string;
  b0: string;
  rb: string;
}

async function withForwarderLab(tag: string, body: (f: ForwarderLab) => Promise<void>): Promise<void> {
  const lab = new Lab();
  const ports: SystemNetdev[] = [];
  lab.onCleanup(() => {
    for (const p of ports) p.close();
  });
  try {
    const nsA = lab.netns(`${tag}a`);
    const nsB = lab.netns(`${tag}b`);
    const [a0, ra] = lab.veth(`${tag}a`, nsA, `${tag}ra`, null);
    const [b0, rb] = lab.veth(`${tag}b`, nsB, `${tag}rb`, null);
    await body({ lab, ports, nsA, nsB, a0, ra, b0, rb });
  } finally {
    await lab.cleanup();
  }
}

test('system netdevs joined by a JS forwarder', async (t) => {
  if (!requireRoot(t)) return;
  await withForwarderLab('ts', async ({ lab, ports, nsA, nsB, a0, ra, b0, rb }) => {
    lab.address(nsA, a0, '10.77.1.1/24');
    lab.address(nsB, b0, '10.77.1.2/24');
    const pa = new SystemNetdev(ra);
    ports.push(pa);
    const pb = new SystemNetdev(rb);
    ports.push(pb);
    const seen: Seen = { frames: 0, probes: [], burst: new Map(), longest: 0 };
    forward(pa, pb, seen);
    forward(pb, pa, seen);

    await t.test('ping A → B', async (t) => {
      await waitForPing(nsA, '10.77.1.2');
      const out = await nsRunOk(nsA, 'ping', ['-c', '50', '-i', '0.01', '-q', '10.77.1.2']);
      assert.match(out, / 0% packet loss/);
      t.diagnostic(`ping RTT through the JS forwarder: ${pingAverage(out)} ms average`);
    });

    await t.test('port attributes and counters', () => {
      assert.equal(pa.name, ra);
      assert.equal(pa.type, 'system');
      assert.ok(pa.ifindex() > 0);
      assert.match(pa.mac(), /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      assert.equal(pa.mtu(), 1500);
      assert.ok(pa.adminUp());
      assert.ok(pa.carrier());
      const s = pa.stats();
      assert.ok(s.rx_packets >= 50 && s.tx_packets >= 50, JSON.stringify(s));
      assert.equal(pa.ownStats().tx_dropped, 0);
    });

    await t.test('TCP with the veths’ default offloads on', async (t) => {
      if (!hasBinary('iperf3')) {
        if (process.env.CI === 'true') throw new Error('iperf3 is missing');
        t.skip('iperf3 missing');
        return;
      }
      const k = await nsRunOk(nsA, 'ethtool', ['-k', a0]);
      assert.match(k, /tcp-segmentation-offload: on/);
      assert.match(k, /tx-checksumming: on/);
      const server = lab.spawnIn(nsB, 'iperf3', ['-s', '-1', '--forceflush', '-B', '10.77.1.2']);
      let out = '';
      server.stdout?.setEncoding('utf8').on('data', (d: string) => {
        out += d;
      });
      await waitFor(() => out.includes('Server listening'), 10000, 'the iperf3 server');
      const r = await nsRun(nsA, 'iperf3', ['-c', '10.77.1.2', '-t', '2', '-J'], 30000);
      assert.equal(r.status, 0, r.stderr + r.stdout);
      const report = JSON.parse(r.stdout) as {
        end: { sum_received: { bytes: number; bits_per_second: number } };
      };
      const { bytes, bits_per_second } = report.end.sum_received;
      assert.ok(bytes > 0);
      // GSO super-frames, far bigger than a ring slot, went through whole.
      assert.ok(seen.longest > 16384, `longest frame forwarded: ${seen.longest} bytes`);
      assert.equal(pa.ownStats().rx_dropped, 0);
      t.diagnostic(
        `TCP through the JS forwarder: ${(bits_per_second / 1e9).toFixed(2)} Gbit/s, ${bytes} bytes`,
      );
    });

    await t.test('VLAN-tagged frames arrive with their tag in the frame', async () => {
      // (This kernel may lack 8021q devices, so the tagged frames are written raw from namespace A.)
      const sent = (await nsRunOk(nsA, 'python3', ['-c', PROBE_SCRIPT, a0])).trim().split('\n');
      await waitFor(() => seen.probes.length >= sent.length, 5000, 'the tagged frames');
      const got = seen.probes.map((p) => hex(p.subarray(VNET_HDR_LEN)));
      assert.deepEqual(got, sent);
      // The TCP frame's partial checksum still points at the TCP header: 14 + 4 (tag) + 20 bytes in.
      const vnet = seen.probes[2];
      assert.equal(vnet[0] & 1, 1, 'NEEDS_CSUM');
      assert.equal(vnet[6] | (vnet[7] << 8), 38, 'csum_start');
      assert.equal(vnet[8] | (vnet[9] << 8), 16, 'csum_offset');
    });

    await t.test(
      'a burst past the ring size, re-polled from the handler, delivers no frame twice',
      async () => {
        await nsRunOk(nsA, 'python3', ['-c', BURST_SCRIPT, a0, '20000']);
        await waitFor(() => seen.burst.size > 0, 5000, 'the burst frames');
        const twice = [...seen.burst.values()].filter((n) => n > 1).length;
        assert.equal(twice, 0, `${twice} frames of ${seen.burst.size} were handed out more than once`);
        await waitForPing(nsA, '10.77.1.2', 5000);
      },
    );

    await t.test('an interface going down and up again keeps the port working', async () => {
      const errors = pa.ownStats().rx_errors;
      ip('link', 'set', ra, 'down');
      // The socket reports ENETDOWN: the port clears it and watches its ring again.
      await waitFor(() => pa.ownStats().rx_errors > errors, 5000, 'the ENETDOWN report');
      ip('link', 'set', ra, 'up');
      await waitForPing(nsA, '10.77.1.2');
    });
  });
});

/** Source MAC of the frames JUMBO_SCRIPT sends (02:b1:b1:b1:b1:b1); a sequence number follows the EtherType. */
const JUMBO_MAC = [0x02, 0xb1, 0xb1, 0xb1, 0xb1, 0xb1];

/**
 * Sends, from argv[1], the frames argv[2] lists (comma-separated lengths; a trailing 'v' adds an 802.1Q
 * tag, VLAN 10, to that length): EtherType 0x88b5, a sequence number, then bytes that differ from frame
 * to frame. Prints each frame's length and SHA-256.
 */
const JUMBO_SCRIPT = `
import hashlib, socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for i, spec in enumerate(sys.argv[2].split(',')):
    size = int(spec.rstrip('v'))
    tag = bytes.fromhex('8100000a') if spec.endswith('v') else b''
    body = struct.pack('!I', i) + bytes((i * 7 + k * 13) & 0xff for k in range(size - 18))
    f = bytes.fromhex('ffffffffffff02b1b1b1b1b1') + tag + bytes.fromhex('88b5') + body
    s.send(f)
    print(len(f), hashlib.sha256(f).hexdigest(), flush=True)
`;

/**
 * Prints "ready", then the sequence number, length and SHA-256 of each frame from JUMBO_MAC that arrives
 * on argv[1] (without its VLAN tag: the receiving veth strips it).
 */
const JUMBO_RECEIVER = `
import hashlib, socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[1], 0))
print('ready', flush=True)
while True:
    f = s.recv(65536)
    if f[6:12] == bytes.fromhex('02b1b1b1b1b1'):
        print(int.from_bytes(f[14:18], 'big'), len(f), hashlib.sha256(f).hexdigest(), flush=True)
`;

/** A frame from JUMBO_MAC as the forwarder saw it. */
interface JumboSeen {
  /** Its sequence number (after the VLAN tag, if any). */
  seq: number;
  /** "length sha256", as the scripts print it. */
  digest: string;
  /** Which onRx call brought it (counting from 1). */
  batch: number;
}

/** Forwards every frame between two ports, as forward() does, recording the frames from JUMBO_MAC. */
function forwardJumbo(from: Netdev, to: Netdev, seen: JumboSeen[], calls: { n: number }): void {
  from.start((batch: RxBatch) => {
    calls.n++;
    const b = batch.buf;
    for (let i = 0; i < batch.count; i++) {
      const off = batch.offsets[i];
      const len = batch.lengths[i];
      if (fromSender(b, off, JUMBO_MAC)) {
        const at = off + (b[off + 12] === 0x81 && b[off + 13] === 0x00 ? 18 : 14);
        const seq = ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
        const hash = createHash('sha256')
          .update(b.subarray(off, off + len))
          .digest('hex');
        seen.push({ seq, digest: `${len} ${hash}`, batch: calls.n });
      }
      to.enqueue(b, batch.region, off, len);
    }
    to.flush();
  });
}

test('system netdevs: frames bigger than a ring slot', async (t) => {
  if (!requireRoot(t)) return;
  await withForwarderLab('tj', async ({ lab, ports, nsA, nsB, a0, ra, b0, rb }) => {
    for (const [ns, dev] of [
      [nsA, a0],
      [null, ra],
      [nsB, b0],
      [null, rb],
    ] as const)
      ip(...(ns === null ? [] : ['-n', ns]), 'link', 'set', dev, 'mtu', '9000');
    const pa = new SystemNetdev(ra);
    ports.push(pa);
    const pb = new SystemNetdev(rb);
    ports.push(pb);
    const seen: JumboSeen[] = [];
    const calls = { n: 0 };
    forwardJumbo(pa, pb, seen, calls);
    forwardJumbo(pb, pa, [], { n: 0 });

    await t.test('the rx ring is small', (t) => {
      const bytes = pa.ringBytes();
      assert.ok(bytes > 0 && bytes <= 4 << 20, `ring of ${bytes} bytes`);
      t.diagnostic(`rx ring: ${bytes / 1024} KiB per port`);
      // ringFrames sets its size, in whole 64 KiB blocks of 2 KiB frames.
      const custom = new SystemNetdev(ra, { ringFrames: 96 });
      try {
        assert.equal(custom.ringBytes(), 96 * 2048);
      } finally {
        custom.close();
      }
      assert.throws(() => new SystemNetdev(ra, { ringFrames: 100 }), /not a multiple of 32 greater than 64/);
    });

    await t.test('jumbo frames arrive whole and byte for byte, VLAN tag included', async () => {
      const receiver = lab.spawnIn(nsB, 'python3', ['-c', JUMBO_RECEIVER, b0]);
      let out = '';
      receiver.stdout?.setEncoding('utf8').on('data', (d: string) => {
        out += d;
      });
      await waitFor(() => out.includes('ready'), 10000, 'the receiver');
      const sent = (await nsRunOk(nsA, 'python3', ['-c', JUMBO_SCRIPT, a0, '9014,9014v,60,3000']))
        .trim()
        .split('\n');
      await waitFor(() => seen.length >= sent.length, 5000, 'the frames at the forwarder');
      // The forwarder saw each frame as sent: the tag the veth stripped from frame 1 was put back.
      assert.deepEqual(
        seen.map((s) => s.digest),
        sent,
      );
      // And B got them all, the untagged ones exactly as A sent them (B's veth strips frame 1's tag again).
      const atB = () => out.trim().split('\n').slice(1);
      await waitFor(() => atB().length >= sent.length, 5000, 'the frames at B');
      const byB = new Map(atB().map((l) => [Number(l.split(' ')[0]), l.slice(l.indexOf(' ') + 1)]));
      assert.deepEqual([...byB.keys()], [0, 1, 2, 3]);
      for (const seq of [0, 2, 3]) assert.equal(byB.get(seq), sent[seq], `frame ${seq} at B`);
      assert.match(byB.get(1) ?? '', /^9014 /);
      assert.equal(pa.ownStats().rx_dropped, 0);
    });

    await t.test('a burst of jumbo and small frames, read in one go, keeps its order', async () => {
      seen.length = 0;
      const before = calls.n;
      const sizes = '60,9014,60,60,9014,9014,9014v,60,9014,60';
      // execFileSync holds this thread's event loop while the frames are sent: they all wait in the ring
      // (the big ones on the socket's queue too) and the port reads them in one poll.
      const sent = execFileSync('ip', ['netns', 'exec', nsA, 'python3', '-c', JUMBO_SCRIPT, a0, sizes], {
        encoding: 'utf8',
      })
        .trim()
        .split('\n');
      await waitFor(() => seen.length >= sent.length, 5000, 'the burst at the forwarder');
      assert.deepEqual(
        seen.map((s) => s.seq),
        sent.map((_, i) => i),
      );
      assert.deepEqual(
        seen.map((s) => s.digest),
        sent,
      );
      // The small frames before a big one went up in a batch of their own, then the big ones in theirs.
      assert.ok(seen[1].batch > seen[0].batch && seen[2].batch > seen[1].batch, JSON.stringify(seen));
      assert.ok(calls.n - before >= 5, `${calls.n - before} batches`);
      assert.equal(pa.ownStats().rx_dropped, 0);
    });
  });
});
