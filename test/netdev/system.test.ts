// The system netdev on real interfaces: a small forwarder written against the Netdev interface joins two
// veth pairs whose far ends live in namespaces A and B. Ping, TCP with the veths' offloads left on (GSO
// super-frames and partial checksums pass through whole), and VLAN tags the kernel stripped put back.
import assert from 'node:assert/strict';
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

test('system netdevs joined by a JS forwarder', async (t) => {
  if (!requireRoot(t)) return;
  const lab = new Lab();
  const ports: SystemNetdev[] = [];
  lab.onCleanup(() => {
    for (const p of ports) p.close();
  });
  try {
    const nsA = lab.netns('tsa');
    const nsB = lab.netns('tsb');
    const [a0, ra] = lab.veth('tsa', nsA, 'tsra', null);
    const [b0, rb] = lab.veth('tsb', nsB, 'tsrb', null);
    lab.address(nsA, a0, '10.77.1.1/24');
    lab.address(nsB, b0, '10.77.1.2/24');
    const pa = new SystemNetdev(ra);
    ports.push(pa);
    const pb = new SystemNetdev(rb);
    ports.push(pb);
    const seen: Seen = { frames: 0, probes: [], burst: new Map() };
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
  } finally {
    await lab.cleanup();
  }
});
