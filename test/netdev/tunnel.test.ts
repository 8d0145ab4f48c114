// Tunnel ports without root: their options read as Open vSwitch reads them (errors worded as OVS's),
// ofproto/list-tunnels lines, and TunnelNetdev over a fake socket layer — ports sharing one socket and
// told apart by remote and key, tunnel metadata handed to the datapath, headers written for sending, GSO
// super-frames cut before encapsulation, frames too big for the underlay dropped, counted and logged, and
// remote_ip=flow / key=flow ports sending where the pipeline's set(tunnel(...)) says.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActionsBuilder, formatActions } from '../../src/datapath/actions.js';
import { NetdevDatapath } from '../../src/datapath/dpif-netdev.js';
import { executeActions } from '../../src/datapath/execute.js';
import type { DgramSocket, NativeRegion } from '../../src/netdev/native.js';
import { JS_REGION, NetdevError, type RxBatch, VNET_HDR_LEN } from '../../src/netdev/netdev.js';
import { setTunnelLog, type TunnelIo, TunnelNetdev } from '../../src/netdev/tunnel.js';
import { formatTunnelPort, parseTunnelConfig } from '../../src/netdev/tunnel-config.js';
import { tcpFrame, udpFrame } from '../../src/packet/builder.js';
import { parseIpv4 } from '../../src/packet/ip-addr.js';

const ip = (text: string) => parseIpv4(text) ?? 0;

/** A datagram the fake socket sent: destination, port, TOS/TTL and the bytes (tunnel header + frame). */
interface Sent {
  dst: number;
  port: number;
  tos: number;
  ttl: number;
  bytes: Uint8Array;
}

/** The native calls of a tunnel socket, in memory. */
class FakeIo implements TunnelIo {
  readonly regions = new Map<number, Uint8Array>();
  readonly sent: Sent[] = [];
  readonly inbox: { src: number; dst: number; bytes: Uint8Array }[] = [];
  readonly opened: string[] = [];
  private nextRegion = 1;
  private nextFd = 100;
  onReadable: ((status: number) => void) | null = null;

  udpOpen(localAddr: string, port: number): DgramSocket {
    this.opened.push(`udp ${localAddr}:${port}`);
    return { fd: this.nextFd++, family: 4, port };
  }

  rawOpen(proto: number, localAddr: string): DgramSocket {
    this.opened.push(`raw ${proto} ${localAddr}`);
    return { fd: this.nextFd++, family: 4, port: 0 };
  }

  regionCreate(size: number): NativeRegion {
    const buffer = new ArrayBuffer(size);
    const region = this.nextRegion++;
    this.regions.set(region, new Uint8Array(buffer));
    return { region, buffer };
  }

  regionFree(region: number): void {
    this.regions.delete(region);
  }

  dgramRecv(
    _fd: number,
    region: number,
    offsets: Uint32Array,
    lengths: Uint32Array,
    addrs: Uint32Array,
    max: number,
  ): number {
    const mem = this.regions.get(region) as Uint8Array;
    let n = 0;
    while (n < max && this.inbox.length > 0) {
      const d = this.inbox.shift() as { src: number; dst: number; bytes: Uint8Array };
      mem.set(d.bytes, offsets[n]);
      lengths[n] = d.bytes.length;
      addrs.fill(0, n * 9, n * 9 + 9);
      addrs[n * 9] = 4;
      addrs[n * 9 + 1] = d.src;
      addrs[n * 9 + 5] = d.dst;
      n++;
    }
    return n;
  }

  dgramSend(_fd: number, descs: Uint32Array, addrs: Uint32Array, count: number): number {
    for (let i = 0; i < count; i++) {
      const d = descs.subarray(i * 10, i * 10 + 10);
      const hdr = (this.regions.get(d[0]) as Uint8Array).subarray(d[1], d[1] + d[2]);
      const frame = (this.regions.get(d[3]) as Uint8Array).subarray(d[4], d[4] + d[5]);
      const bytes = new Uint8Array(hdr.length + frame.length);
      bytes.set(hdr, 0);
      bytes.set(frame, hdr.length);
      this.sent.push({ dst: addrs[i * 4], port: d[6], tos: d[7], ttl: d[8], bytes });
    }
    return count;
  }

  pollStart(_fd: number, onReadable: (status: number) => void): number {
    this.onReadable = onReadable;
    return 1;
  }

  pollStop(): void {
    this.onReadable = null;
  }

  closeFd(): void {}

  /** A frame in a fake native region, with a zeroed virtio-net header before it. */
  frameIn(frame: Uint8Array): { buf: Uint8Array; region: number; offset: number } {
    const { region } = this.regionCreate(frame.length + 256);
    const buf = this.regions.get(region) as Uint8Array;
    buf.set(frame, 128);
    return { buf, region, offset: 128 };
  }
}

const ROUTE_1500 = () => ({ iface: 'eth1', mtu: 1500 });

function port(
  io: FakeIo,
  name: string,
  kind: 'gre' | 'vxlan' | 'geneve',
  options: Record<string, string>,
): TunnelNetdev {
  return new TunnelNetdev(name, kind, new Map(Object.entries(options)), { io, route: ROUTE_1500 });
}

function ping(size = 64): Uint8Array {
  return udpFrame({
    srcMac: '02:00:00:00:00:01',
    dstMac: '02:00:00:00:00:02',
    src: '192.168.10.1',
    dst: '192.168.10.10',
    srcPort: 1000,
    dstPort: 2000,
    payload: new Uint8Array(size),
  });
}

function vxlanHeader(vni: number): Uint8Array {
  return Uint8Array.of(0x08, 0, 0, 0, (vni >>> 16) & 0xff, (vni >>> 8) & 0xff, vni & 0xff, 0);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

describe('tunnel options', () => {
  it('reads remote_ip, keys, ports, tos, ttl, df_default and csum as OVS does', () => {
    const c = parseTunnelConfig('vxlan', 'vx0', new Map([['remote_ip', '10.10.10.2']]));
    assert.equal(c.remote, ip('10.10.10.2'));
    assert.equal(c.dstPort, 4789);
    assert.equal(c.ttl, 64);
    assert.equal(c.df, true);
    assert.deepEqual(c.inKey, { flow: false, present: false, value: 0n });
    assert.equal(parseTunnelConfig('geneve', 'g', new Map([['remote_ip', '1.2.3.4']])).dstPort, 6081);
    const g = parseTunnelConfig(
      'gre',
      'gre0',
      new Map([
        ['remote_ip', 'flow'],
        ['in_key', '0x10'],
        ['out_key', 'flow'],
        ['tos', 'inherit'],
        ['ttl', '5'],
        ['df_default', 'false'],
        ['csum', 'true'],
        ['dst_port', '99'],
      ]),
    );
    assert.equal(g.remote, 'flow');
    assert.deepEqual(g.inKey, { flow: false, present: true, value: 16n });
    assert.deepEqual(g.outKey, { flow: true });
    assert.equal(g.tos, 'inherit');
    assert.equal(g.ttl, 5);
    assert.equal(g.df, false);
    assert.equal(g.csum, true);
    assert.equal(g.dstPort, 0, 'GRE has no UDP port');
  });

  it('refuses what OVS refuses, with its words, and warns about the rest', () => {
    assert.throws(
      () => parseTunnelConfig('gre', 'gre0', new Map()),
      (e: Error) =>
        e instanceof NetdevError && e.message === "gre0: gre type requires valid 'remote_ip' argument",
    );
    assert.throws(
      () => parseTunnelConfig('vxlan', 'vx', new Map([['remote_ip', '224.0.0.1']])),
      /vx: multicast remote_ip=224\.0\.0\.1 not allowed/,
    );
    assert.throws(
      () =>
        parseTunnelConfig(
          'gre',
          'g',
          new Map([
            ['remote_ip', '1.2.3.4'],
            ['local_ip', 'flow'],
          ]),
        ),
      /g: gre type requires 'remote_ip=flow' with 'local_ip=flow'/,
    );
    const c = parseTunnelConfig(
      'vxlan',
      'vx',
      new Map([
        ['remote_ip', '1.2.3.4'],
        ['tos', '3'],
        ['bogus', 'x'],
        ['local_ip', 'nonsense'],
      ]),
    );
    assert.deepEqual(c.warnings, [
      'vx: invalid TOS 3',
      "vx: unknown vxlan argument 'bogus'",
      "vx: bad vxlan 'local_ip'",
    ]);
  });

  it('formats ofproto/list-tunnels lines as Open vSwitch 3.1', () => {
    const line = (kind: 'gre' | 'vxlan', o: Record<string, string>) =>
      formatTunnelPort(3, 'p', parseTunnelConfig(kind, 'p', new Map(Object.entries(o))));
    assert.equal(
      line('gre', { remote_ip: '10.10.10.2' }),
      'port 3: p (gre: ::->10.10.10.2, key=0, legacy_l2, dp port=3, ttl=64)\n',
    );
    assert.equal(
      line('vxlan', { remote_ip: '10.10.10.2', local_ip: '10.10.10.1', key: '5', tos: '0x10' }),
      'port 3: p (vxlan: 10.10.10.1->10.10.10.2, key=0x5, legacy_l2, dp port=3, ttl=64, tos=0x10)\n',
    );
    assert.equal(
      line('gre', { remote_ip: 'flow', in_key: '1', out_key: 'flow', df_default: 'false', csum: 'true' }),
      'port 3: p (gre: ::->flow, key=0x1, legacy_l2, dp port=3, out_key=flow, ttl=64, df=false, csum=true)\n',
    );
    assert.equal(
      line('gre', { remote_ip: 'flow', local_ip: 'flow', key: 'flow', ttl: 'inherit' }),
      'port 3: p (gre: flow->flow, key=flow, legacy_l2, dp port=3, ttl=inherit)\n',
    );
  });
});

describe('TunnelNetdev', () => {
  it('shares one socket between ports and tells datagrams apart by remote and key', () => {
    const io = new FakeIo();
    const a = port(io, 'vxa', 'vxlan', { remote_ip: '10.10.10.2', key: '1' });
    const b = port(io, 'vxb', 'vxlan', { remote_ip: '10.10.10.2', key: '2' });
    const c = port(io, 'vxc', 'vxlan', { remote_ip: '10.10.10.3', key: '2' });
    assert.deepEqual(io.opened, ['udp :4789'], 'one socket for the three ports');
    const got: Record<string, { frames: string[]; ids: number[]; srcs: number[] }> = {};
    for (const p of [a, b, c]) {
      got[p.name] = { frames: [], ids: [], srcs: [] };
      p.start((batch: RxBatch) => {
        for (let i = 0; i < batch.count; i++) {
          const f = batch.buf.subarray(batch.offsets[i], batch.offsets[i] + batch.lengths[i]);
          got[p.name].frames.push(Buffer.from(f).toString('hex'));
          got[p.name].ids.push(batch.tunnel?.idLo[i] ?? -1);
          got[p.name].srcs.push(batch.tunnel?.src[i] ?? -1);
          // The virtio-net header before each frame is zeroed: no offloads pending.
          assert.deepEqual(
            [...batch.buf.subarray(batch.offsets[i] - VNET_HDR_LEN, batch.offsets[i])],
            new Array(10).fill(0),
          );
        }
      });
    }
    const frame = ping();
    const local = ip('10.10.10.1');
    io.inbox.push(
      { src: ip('10.10.10.2'), dst: local, bytes: concat(vxlanHeader(2), frame) },
      { src: ip('10.10.10.2'), dst: local, bytes: concat(vxlanHeader(1), frame) },
      { src: ip('10.10.10.3'), dst: local, bytes: concat(vxlanHeader(2), frame) },
      { src: ip('10.10.10.2'), dst: local, bytes: concat(vxlanHeader(9), frame) },
      { src: ip('10.10.10.2'), dst: local, bytes: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1) },
    );
    io.onReadable?.(0);
    const hex = Buffer.from(frame).toString('hex');
    assert.deepEqual(got.vxa, { frames: [hex], ids: [1], srcs: [ip('10.10.10.2')] });
    assert.deepEqual(got.vxb, { frames: [hex], ids: [2], srcs: [ip('10.10.10.2')] });
    assert.deepEqual(got.vxc, { frames: [hex], ids: [2], srcs: [ip('10.10.10.3')] });
    assert.equal(a.stats().rx_errors + b.stats().rx_errors, 1, 'the malformed header is counted once');
    for (const p of [a, b, c]) p.close();
  });

  it('GRE: the raw socket hands the IPv4 header over too; keys and TTL reach the metadata', () => {
    const io = new FakeIo();
    const g = port(io, 'gre0', 'gre', { remote_ip: '10.10.10.2', key: '7' });
    assert.deepEqual(io.opened, ['raw 47 ']);
    const flags: number[] = [];
    g.start((batch) => {
      for (let i = 0; i < batch.count; i++) flags.push(batch.tunnel?.flags[i] ?? -1);
    });
    const gre = Uint8Array.of(0x20, 0, 0x65, 0x58, 0, 0, 0, 7);
    const ipHdr = new Uint8Array(20);
    ipHdr[0] = 0x45;
    ipHdr[1] = 0x10; // TOS
    ipHdr[8] = 63; // TTL
    ipHdr[9] = 47;
    io.inbox.push({
      src: ip('10.10.10.2'),
      dst: ip('10.10.10.1'),
      bytes: concat(concat(ipHdr, gre), ping()),
    });
    io.onReadable?.(0);
    assert.deepEqual(flags, [1 | (0x10 << 8) | (63 << 16)], 'key bit, TOS 0x10, TTL 63');
    g.close();
  });

  it('sends a frame behind its tunnel header to the remote, with the configured TOS and TTL', () => {
    const io = new FakeIo();
    const g = port(io, 'gre0', 'gre', { remote_ip: '10.10.10.2', key: '0x1234', tos: '0x20', ttl: '9' });
    const frame = ping();
    const f = io.frameIn(frame);
    g.enqueue(f.buf, f.region, f.offset, frame.length);
    g.enqueue(frame, JS_REGION, 0, frame.length);
    g.flush();
    assert.equal(io.sent.length, 2);
    for (const s of io.sent) {
      assert.equal(s.dst, ip('10.10.10.2'));
      assert.equal(s.tos, 0x20);
      assert.equal(s.ttl, 9);
      assert.deepEqual([...s.bytes.subarray(0, 8)], [0x20, 0, 0x65, 0x58, 0, 0, 0x12, 0x34]);
      assert.deepEqual(s.bytes.subarray(8), frame);
    }
    assert.equal(g.stats().tx_packets, 2);
    assert.equal(g.stats().tx_bytes, 2 * frame.length);
    g.close();
  });

  it("tos=inherit copies the inner IP header's TOS to the outer header", () => {
    const io = new FakeIo();
    const g = port(io, 'gre0', 'gre', { remote_ip: '10.10.10.2', tos: 'inherit' });
    const frame = ping();
    frame[15] = 0xb8; // IPv4 TOS: DSCP EF
    g.enqueue(frame, JS_REGION, 0, frame.length);
    const arp = new Uint8Array(42);
    arp[12] = 0x08;
    arp[13] = 0x06;
    g.enqueue(arp, JS_REGION, 0, arp.length);
    g.flush();
    assert.deepEqual(
      io.sent.map((s) => s.tos),
      [0xb8, 0],
    );
    g.close();
  });

  it('cuts a TCP super-frame into MSS-sized segments before encapsulating them', () => {
    const io = new FakeIo();
    const vx = port(io, 'vx0', 'vxlan', { remote_ip: '10.10.10.2', key: '42' });
    const payload = new Uint8Array(3000).map((_, i) => i & 0xff);
    const frame = tcpFrame({
      srcMac: '02:00:00:00:00:01',
      dstMac: '02:00:00:00:00:02',
      src: '192.168.10.1',
      dst: '192.168.10.10',
      srcPort: 40000,
      dstPort: 5201,
      flags: 0x18,
      seq: 1000,
      ack: 1,
      payload,
    });
    const f = io.frameIn(frame);
    // virtio-net header: GSO TCPV4, gso_size 1000.
    const v = f.offset - VNET_HDR_LEN;
    f.buf[v + 1] = 1;
    f.buf[v + 4] = 1000 & 0xff;
    f.buf[v + 5] = 1000 >> 8;
    vx.enqueue(f.buf, f.region, f.offset, frame.length);
    vx.flush();
    assert.equal(io.sent.length, 3, 'three segments');
    let seq = 1000;
    const joined: number[] = [];
    for (const s of io.sent) {
      assert.deepEqual([...s.bytes.subarray(0, 8)], [...vxlanHeader(42)]);
      const inner = s.bytes.subarray(8);
      assert.equal(inner.length, 14 + 20 + 20 + 1000);
      const tcp = 14 + 20;
      assert.equal(new DataView(inner.buffer, inner.byteOffset).getUint32(tcp + 4), seq);
      seq += 1000;
      joined.push(...inner.subarray(tcp + 20));
    }
    assert.deepEqual(joined, [...payload]);
    vx.close();
  });

  it('drops a frame too big for the underlay MTU, counts it and says what MTU would fit', () => {
    const io = new FakeIo();
    const warnings: string[] = [];
    setTunnelLog({ warn: (m) => warnings.push(m) });
    try {
      const vx = port(io, 'vx0', 'vxlan', { remote_ip: '10.10.10.2' });
      const big = ping(1472); // 1514 bytes of frame, 1550 once in VXLAN over IPv4
      vx.enqueue(big, JS_REGION, 0, big.length);
      const ok = ping(1400);
      vx.enqueue(ok, JS_REGION, 0, ok.length);
      vx.flush();
      assert.equal(io.sent.length, 1);
      assert.equal(vx.stats().tx_dropped, 1);
      assert.deepEqual(warnings, [
        'vx0: dropped a 1514-byte frame: encapsulated in VXLAN it needs 1550 bytes, more than the MTU 1500 of ' +
          'eth1; an MTU of 1450 on the inner interfaces would fit (or set options:df_default=false)',
      ]);
      vx.close();
      // df_default=false lets the kernel fragment instead.
      const nodf = port(io, 'vx1', 'vxlan', {
        remote_ip: '10.10.10.2',
        df_default: 'false',
        dst_port: '4790',
      });
      nodf.enqueue(big, JS_REGION, 0, big.length);
      nodf.flush();
      assert.equal(nodf.stats().tx_dropped, 0);
      nodf.close();
    } finally {
      setTunnelLog({ warn: () => {} });
    }
  });

  it('a remote_ip=flow, key=flow port sends where set(tunnel(...)) says, through the datapath', () => {
    const io = new FakeIo();
    const dp = new NetdevDatapath(() => 0);
    const vx = port(io, 'vxf', 'vxlan', { remote_ip: 'flow', key: 'flow' });
    const no = dp.addPort(vx).number;
    const actions = new ActionsBuilder()
      .setTunnel(0x77n, 0, ip('10.10.10.9'), 1 | (0x10 << 8) | (5 << 16))
      .output(no)
      .build();
    assert.equal(
      formatActions(actions),
      `set(tunnel(tun_id=0x77,dst=10.10.10.9,tos=0x10,ttl=5,flags(key))),${no}`,
    );
    const frame = ping();
    executeActions(actions, frame, JS_REGION, 0, frame.length, false, dp);
    vx.flush();
    assert.equal(io.sent.length, 1);
    assert.equal(io.sent[0].dst, ip('10.10.10.9'));
    assert.equal(io.sent[0].tos, 0x10);
    assert.equal(io.sent[0].ttl, 5);
    assert.deepEqual([...io.sent[0].bytes.subarray(0, 8)], [...vxlanHeader(0x77)]);
    // Without the metadata there is nowhere to send: dropped and counted.
    vx.enqueue(frame, JS_REGION, 0, frame.length);
    vx.flush();
    assert.equal(io.sent.length, 1);
    assert.equal(vx.stats().tx_dropped, 1);
    dp.close();
  });
});
