// Tunnel ports (gre, vxlan, geneve) over the host's own IP stack: VXLAN and Geneve through UDP sockets,
// GRE through a raw IPv4 socket for protocol 47, so the kernel's routing picks the way out and writes the
// outer IP/UDP headers. Ports of one protocol, local address, UDP port and DF setting share one socket
// (a TunnelSocket): received datagrams are told apart by remote address and key and handed to their port
// with the tunnel metadata in the batch; sent frames get their tunnel header from a staging region, the
// frame itself is sent from wherever it lies (zero copy), after GSO super-frames were cut into segments
// and partial checksums completed. A frame too large for the underlay MTU is dropped, counted and logged
// with the MTU that would fit.
import { execFileSync } from 'node:child_process';
import { Coalescer } from '../packet/gro.js';
import { needsCompletion, SEG_ERR_CAPACITY, Segmenter } from '../packet/gso.js';
import { formatIpv4 } from '../packet/ip-addr.js';
import { zeroStats } from './linux.js';
import { DGRAM_MAX_BATCH, type DgramSocket, isNativeError, type NativeAddon, native } from './native.js';
import {
  JS_REGION,
  MAX_FRAME,
  type Netdev,
  NetdevError,
  type NetdevStats,
  RX_HEADROOM,
  type RxBatch,
  type RxHandler,
  type RxTunnel,
  VNET_HDR_LEN,
} from './netdev.js';
import { RxPoller } from './rx-poller.js';
import { TUN_FLAG_KEY, type TunnelCodec, tunnelCodec } from './tunnel-codec.js';
import { parseTunnelConfig, type TunnelConfig, type TunnelKind } from './tunnel-config.js';

/** Where tunnel ports report what users must hear about (vswitchd sets its module logger). */
export interface TunnelLog {
  warn(msg: string): void;
}

let log: TunnelLog = { warn: () => {} };

/** Sets where tunnel ports log (drops for MTU, bad configuration). */
export function setTunnelLog(l: TunnelLog): void {
  log = l;
}

/** The native calls a tunnel socket makes (tests may pass their own). */
export type TunnelIo = Pick<
  NativeAddon,
  | 'udpOpen'
  | 'rawOpen'
  | 'dgramRecv'
  | 'dgramSend'
  | 'pollStart'
  | 'pollStop'
  | 'closeFd'
  | 'regionCreate'
  | 'regionFree'
>;

/** Datagrams per receive or send call. */
const BATCH = DGRAM_MAX_BATCH;
/** Receive slot: headroom for the virtio-net header and pushes, then a whole datagram. */
const SLOT_HEAD = RX_HEADROOM + VNET_HDR_LEN + 64;
const SLOT = SLOT_HEAD + MAX_FRAME;
/** Bytes of tunnel header staging per queued datagram. */
const HDR_SLOT = 64;
/** Frame staging (copies of JS-memory frames and GSO segments) per socket. */
const STAGING = 4 * 1024 * 1024;
/** Room for the super-frames one receive batch can make (each at most 64 KiB plus headroom). */
const GRO_BYTES = 2 * 1024 * 1024;
/** Socket buffer size asked for. */
const SOCK_BUF = 4 * 1024 * 1024;
/** IPv4 header (the kernel's, in front of every tunnel datagram). */
const IPV4_HLEN = 20;
const UDP_HLEN = 8;
const IPPROTO_GRE = 47;
/** Seconds between two MTU drop log lines of one port. */
const MTU_LOG_INTERVAL_MS = 10_000;

/** dgramSend descriptor words: hdrRegion, hdrOffset, hdrLength, region, offset, length, dstPort, tos, ttl, family. */
const DESC_WORDS = 10;
const ADDR_WORDS = 4;
const RX_ADDR_WORDS = 9;

/** Open sockets by key, per I/O layer (the native addon, or a test's fake). */
const socketsByIo = new WeakMap<TunnelIo, Map<string, TunnelSocket>>();

function socketsOf(io: TunnelIo): Map<string, TunnelSocket> {
  let m = socketsByIo.get(io);
  if (m === undefined) {
    m = new Map();
    socketsByIo.set(io, m);
  }
  return m;
}

/** One underlay socket shared by the tunnel ports of one protocol, local address and UDP port. */
class TunnelSocket {
  readonly ports: TunnelNetdev[] = [];
  private readonly sock: DgramSocket;
  private pollHandle = -1;
  private readonly rxRegion: number;
  private readonly rx: Uint8Array;
  private readonly rxOffsets = new Uint32Array(BATCH);
  private readonly rxLengths = new Uint32Array(BATCH);
  private readonly rxAddrs = new Uint32Array(BATCH * RX_ADDR_WORDS);
  private readonly poller = new RxPoller(4, BATCH);
  private readonly hdrRegion: number;
  private readonly hdr: Uint8Array;
  readonly stagingRegion: number;
  readonly staging: Uint8Array;
  stagingUsed = 0;
  private readonly descs = new Uint32Array(BATCH * DESC_WORDS);
  private readonly addrs = new Uint32Array(BATCH * ADDR_WORDS);
  /** The port that queued each datagram (for its counters). */
  private readonly owners: (TunnelNetdev | undefined)[] = new Array(BATCH).fill(undefined);
  count = 0;
  readonly codec: TunnelCodec;
  /** Completes offloaded frames (GSO super-frames, partial checksums) before they are encapsulated. */
  readonly segmenter = new Segmenter(256);
  /** Joins received TCP segments back into super-frames, written into `gro`. */
  readonly coalescer = new Coalescer(BATCH, RX_HEADROOM + VNET_HDR_LEN);
  readonly groRegion: number;
  readonly gro: Uint8Array;
  private readonly buffers: { region: number }[] = [];

  constructor(
    readonly id: string,
    readonly kind: TunnelKind,
    local: number | null,
    readonly port: number,
    df: boolean,
    private readonly io: TunnelIo,
  ) {
    const addr = local === null ? '' : formatIpv4(local);
    this.sock =
      kind === 'gre' ? io.rawOpen(IPPROTO_GRE, addr, SOCK_BUF, df) : io.udpOpen(addr, port, SOCK_BUF, df);
    try {
      const rx = io.regionCreate(SLOT * BATCH);
      this.buffers.push(rx);
      this.rxRegion = rx.region;
      this.rx = new Uint8Array(rx.buffer);
      for (let i = 0; i < BATCH; i++) this.rxOffsets[i] = i * SLOT + SLOT_HEAD;
      const hdr = io.regionCreate(HDR_SLOT * BATCH);
      this.buffers.push(hdr);
      this.hdrRegion = hdr.region;
      this.hdr = new Uint8Array(hdr.buffer);
      const gro = io.regionCreate(GRO_BYTES);
      this.buffers.push(gro);
      this.groRegion = gro.region;
      this.gro = new Uint8Array(gro.buffer);
      const staging = io.regionCreate(STAGING);
      this.buffers.push(staging);
      this.stagingRegion = staging.region;
      this.staging = new Uint8Array(staging.buffer);
    } catch (err) {
      this.close();
      throw err;
    }
    this.codec = tunnelCodec(kind);
  }

  /** Adds a port; the first one starts the socket's polling. */
  attach(port: TunnelNetdev): void {
    if (!this.ports.includes(port)) this.ports.push(port);
    if (this.pollHandle < 0) {
      this.pollHandle = this.io.pollStart(this.sock.fd, (status) => {
        if (status < 0) {
          this.pollHandle = -1;
          return;
        }
        this.poll();
      });
    }
  }

  /** Removes a port; the last one closes the socket. */
  detach(port: TunnelNetdev): void {
    const i = this.ports.indexOf(port);
    if (i >= 0) this.ports.splice(i, 1);
    if (this.ports.length === 0) {
      socketsOf(this.io).delete(this.id);
      this.close();
    }
  }

  /** Receives what is pending, a few batches at most; returns datagrams taken. */
  poll(): number {
    return this.poller.run(() => this.receiveBatch());
  }

  private receiveBatch(): number {
    let n = 0;
    try {
      n = this.io.dgramRecv(
        this.sock.fd,
        this.rxRegion,
        this.rxOffsets,
        this.rxLengths,
        this.rxAddrs,
        BATCH,
        SLOT - SLOT_HEAD,
      );
    } catch (err) {
      if (!isNativeError(err)) throw err;
      return 0;
    }
    const ports = this.ports;
    for (let p = 0; p < ports.length; p++) ports[p].rxCount = 0;
    const buf = this.rx;
    const codec = this.codec;
    for (let i = 0; i < n; i++) {
      let off = this.rxOffsets[i];
      let len = this.rxLengths[i];
      if (len > SLOT - SLOT_HEAD) continue; // truncated: bigger than any frame we take
      const src = this.rxAddrs[i * RX_ADDR_WORDS + 1];
      const dst = this.rxAddrs[i * RX_ADDR_WORDS + 5];
      let tosTtl = 0;
      if (this.kind === 'gre') {
        // A raw IPv4 socket hands over the IP header too.
        const ihl = (buf[off] & 0x0f) * 4;
        if (len < ihl || ihl < IPV4_HLEN) continue;
        tosTtl = (buf[off + 1] << 8) | (buf[off + 8] << 16);
        off += ihl;
        len -= ihl;
      }
      const h = codec.parse(buf, off, len);
      if (h === null) {
        this.dropMalformed(src);
        continue;
      }
      const port = this.portFor(src, dst, h.keyHi, h.keyLo, h.hasKey);
      if (port === undefined) continue;
      const inner = off + h.length;
      const innerLen = len - h.length;
      buf.fill(0, inner - VNET_HDR_LEN, inner);
      port.collect(inner, innerLen, h.keyHi, h.keyLo, src, dst, h.flags | tosTtl);
    }
    for (let p = 0; p < ports.length; p++) ports[p].deliver(buf, this.rxRegion);
    return n;
  }

  /** The port a datagram belongs to: its remote (or any, for remote_ip=flow) and its key. */
  private portFor(
    src: number,
    dst: number,
    keyHi: number,
    keyLo: number,
    hasKey: boolean,
  ): TunnelNetdev | undefined {
    let flowPort: TunnelNetdev | undefined;
    const ports = this.ports;
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i];
      if (!p.acceptsKey(keyHi, keyLo, hasKey)) continue;
      if (p.localAddr !== 0 && p.localAddr !== dst) continue;
      if (p.remoteAddr === src) return p;
      if (p.remoteAddr === 0 && flowPort === undefined) flowPort = p;
    }
    return flowPort;
  }

  private dropMalformed(src: number): void {
    for (const p of this.ports) {
      if (p.remoteAddr === src || p.remoteAddr === 0) {
        p.counters.rx_errors++;
        return;
      }
    }
  }

  /** Queues a datagram: tunnel header for `port` written into staging, then the frame bytes. */
  push(
    port: TunnelNetdev,
    buf: Uint8Array,
    region: number,
    offset: number,
    length: number,
    inner: TunnelTx,
  ): boolean {
    if (this.count === BATCH) return false;
    const i = this.count;
    const h = i * HDR_SLOT;
    const hlen = this.codec.write(
      this.hdr,
      h,
      inner.keyHi,
      inner.keyLo,
      inner.hasKey,
      inner.csum,
      buf,
      offset,
      length,
    );
    const d = i * DESC_WORDS;
    const desc = this.descs;
    desc[d] = this.hdrRegion;
    desc[d + 1] = h;
    desc[d + 2] = hlen;
    desc[d + 3] = region;
    desc[d + 4] = offset;
    desc[d + 5] = length;
    desc[d + 6] = this.port;
    desc[d + 7] = inner.tos;
    desc[d + 8] = inner.ttl;
    desc[d + 9] = 4;
    const a = i * ADDR_WORDS;
    this.addrs[a] = inner.dst;
    this.addrs[a + 1] = 0;
    this.addrs[a + 2] = 0;
    this.addrs[a + 3] = 0;
    this.owners[i] = port;
    this.count++;
    return true;
  }

  /** Sends everything queued with one call and counts it on the ports that queued it. */
  flush(): void {
    const count = this.count;
    if (count === 0) return;
    let sent = 0;
    try {
      sent = this.io.dgramSend(this.sock.fd, this.descs, this.addrs, count);
    } catch (err) {
      if (!isNativeError(err)) throw err;
      this.owners[0]?.noteError();
    }
    for (let i = 0; i < count; i++) {
      const p = this.owners[i];
      if (p === undefined) continue;
      if (i < sent) {
        p.counters.tx_packets++;
        p.counters.tx_bytes += this.descs[i * DESC_WORDS + 5];
      } else p.counters.tx_dropped++;
      this.owners[i] = undefined;
    }
    this.count = 0;
    this.stagingUsed = 0;
  }

  /** Copies `length` bytes into frame staging; returns their offset there, or -1 when it is full. */
  stage(src: Uint8Array, offset: number, length: number): number {
    if (this.stagingUsed + length > this.staging.length) return -1;
    const at = this.stagingUsed;
    this.staging.set(src.subarray(offset, offset + length), at);
    this.stagingUsed = Math.ceil((at + length) / 16) * 16;
    return at;
  }

  private close(): void {
    if (this.pollHandle >= 0) this.io.pollStop(this.pollHandle);
    this.pollHandle = -1;
    try {
      this.io.closeFd(this.sock.fd);
    } catch {
      // already closed
    }
    for (const b of this.buffers) this.io.regionFree(b.region);
    this.buffers.length = 0;
  }
}

/** What one datagram is sent with (reused: no allocation per frame). */
interface TunnelTx {
  dst: number;
  keyHi: number;
  keyLo: number;
  hasKey: boolean;
  csum: boolean;
  tos: number;
  ttl: number;
}

/** The route to a remote: egress interface and its MTU (from `ip -j route get`). */
export interface TunnelRoute {
  iface: string;
  mtu: number;
  /** Whether the egress interface has carrier (unknown: treated as up). */
  carrier?: boolean;
}

function routeTo(remote: number): TunnelRoute | null {
  try {
    const out = execFileSync('ip', ['-j', 'route', 'get', formatIpv4(remote)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    const routes = JSON.parse(out) as { dev?: string }[];
    const dev = routes[0]?.dev;
    if (dev === undefined) return null;
    const link = JSON.parse(
      execFileSync('ip', ['-j', 'link', 'show', 'dev', dev], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 5000,
      }),
    ) as { mtu?: number; operstate?: string; flags?: string[] }[];
    const flags = link[0]?.flags ?? [];
    return { iface: dev, mtu: link[0]?.mtu ?? 1500, carrier: flags.includes('LOWER_UP') };
  } catch {
    return null;
  }
}

/** A tunnel port. */
export class TunnelNetdev implements Netdev {
  readonly counters: NetdevStats = zeroStats();
  readonly config: TunnelConfig;
  /** Remote IPv4 address (0 for remote_ip=flow) and local (0: any). */
  readonly remoteAddr: number;
  readonly localAddr: number;
  private readonly socket: TunnelSocket;
  private onRx: RxHandler | null = null;
  /** Frames collected for this port from the socket's current receive batch. */
  rxCount = 0;
  private readonly rxOffsets = new Uint32Array(BATCH);
  private readonly rxLengths = new Uint32Array(BATCH);
  private readonly tunnel: RxTunnel = {
    idHi: new Uint32Array(BATCH),
    idLo: new Uint32Array(BATCH),
    src: new Uint32Array(BATCH),
    dst: new Uint32Array(BATCH),
    flags: new Uint32Array(BATCH),
  };
  /** The batch handed to the datapath (an RxBatch whose buffer is the socket's receive region). */
  private readonly batch: { -readonly [K in keyof RxBatch]: RxBatch[K] };
  /** The frames handed over after coalescing, and their metadata. */
  private readonly outOffsets = new Uint32Array(BATCH);
  private readonly outLengths = new Uint32Array(BATCH);
  private readonly outTunnel: RxTunnel = {
    idHi: new Uint32Array(BATCH),
    idLo: new Uint32Array(BATCH),
    src: new Uint32Array(BATCH),
    dst: new Uint32Array(BATCH),
    flags: new Uint32Array(BATCH),
  };
  private readonly tx: TunnelTx;
  /** The datagram settings of a frame whose outer TOS is inherited (reused). */
  private readonly inheritTx: TunnelTx = {
    dst: 0,
    keyHi: 0,
    keyLo: 0,
    hasKey: false,
    csum: false,
    tos: 0,
    ttl: 0,
  };
  /** The datagram settings of a frame sent with pipeline metadata (reused). */
  private readonly flowTx: TunnelTx = {
    dst: 0,
    keyHi: 0,
    keyLo: 0,
    hasKey: false,
    csum: false,
    tos: 0,
    ttl: 0,
  };
  private readonly macText: string;
  private route: TunnelRoute | null = null;
  private readonly lookupRoute: (remote: number) => TunnelRoute | null;
  private routeCheckedAt = 0;
  private lastMtuLog = -Infinity;
  private readonly overhead: number;

  constructor(
    readonly name: string,
    readonly type: TunnelKind,
    options: ReadonlyMap<string, string>,
    deps: { io?: TunnelIo; route?: (remote: number) => TunnelRoute | null } = {},
  ) {
    const io = deps.io ?? native();
    this.lookupRoute = deps.route ?? routeTo;
    this.config = parseTunnelConfig(type, name, options);
    for (const w of this.config.warnings) log.warn(w);
    const c = this.config;
    this.remoteAddr = c.remote === 'flow' ? 0 : c.remote;
    this.localAddr = typeof c.local === 'number' ? c.local : 0;
    const local = typeof c.local === 'number' ? c.local : null;
    // One socket per protocol, local address and UDP port (a second UDP socket could not bind the port);
    // the first port's df_default sets the socket's DF behaviour.
    const id = `${type}|${local ?? ''}|${c.dstPort}`;
    const sockets = socketsOf(io);
    let socket = sockets.get(id);
    if (socket === undefined) {
      try {
        socket = new TunnelSocket(id, type, local, c.dstPort, c.df, io);
      } catch (err) {
        if (isNativeError(err)) {
          throw new NetdevError(
            err.code,
            `could not open network device ${name} (${err.reason ?? err.message})`,
          );
        }
        throw err;
      }
      sockets.set(id, socket);
    }
    this.socket = socket;
    this.batch = {
      buf: socket.staging,
      region: JS_REGION,
      offsets: this.outOffsets,
      lengths: this.outLengths,
      count: 0,
      tunnel: this.outTunnel,
    };
    const out = c.outKey;
    this.tx = {
      dst: this.remoteAddr,
      keyHi: out.flow ? 0 : Number((out.value >> 32n) & 0xffff_ffffn),
      keyLo: out.flow ? 0 : Number(out.value & 0xffff_ffffn),
      hasKey: out.flow || out.present,
      csum: c.csum === true,
      tos: c.tos === 'inherit' ? 0xffff : c.tos,
      ttl: c.ttl === 'inherit' ? 0xffff : c.ttl,
    };
    this.overhead =
      IPV4_HLEN + (type === 'gre' ? 0 : UDP_HLEN) + socket.codec.length(this.tx.hasKey, this.tx.csum);
    this.macText = randomMac();
    this.currentRoute();
    socket.attach(this);
  }

  /** Whether a received key is this port's (in_key; any key for in_key=flow). */
  acceptsKey(keyHi: number, keyLo: number, hasKey: boolean): boolean {
    const k = this.config.inKey;
    if (k.flow) return true;
    if (!k.present) return !hasKey || (keyHi === 0 && keyLo === 0);
    return Number((k.value >> 32n) & 0xffff_ffffn) === keyHi && Number(k.value & 0xffff_ffffn) === keyLo;
  }

  /** Adds a frame of the socket's receive batch to this port's. */
  collect(
    offset: number,
    length: number,
    keyHi: number,
    keyLo: number,
    src: number,
    dst: number,
    flags: number,
  ): void {
    const i = this.rxCount;
    if (i >= BATCH) return;
    this.rxOffsets[i] = offset;
    this.rxLengths[i] = length;
    const t = this.tunnel;
    t.idHi[i] = keyHi;
    t.idLo[i] = keyLo;
    t.src[i] = src;
    t.dst[i] = dst;
    t.flags[i] = flags;
    this.rxCount = i + 1;
    this.counters.rx_packets++;
    this.counters.rx_bytes += length;
  }

  /** Hands this port's frames of the socket's batch to the datapath. */
  deliver(buf: Uint8Array, region: number): void {
    const n = this.rxCount;
    if (n === 0) return;
    this.rxCount = 0;
    const onRx = this.onRx;
    if (onRx === null) {
      this.counters.rx_dropped += n;
      return;
    }
    // A sender's TSO burst arrives as MSS-sized datagrams: join them back into super-frames (GRO), then
    // hand the frames over in order, one batch per run of frames lying in the same memory.
    const s = this.socket;
    const g = s.coalescer;
    const m = g.run(buf, this.rxOffsets, this.rxLengths, n, s.gro, this.sameTunnel);
    const b = this.batch;
    const t = this.tunnel;
    const o = this.outTunnel;
    let c = 0;
    while (c < m) {
      const inGro = g.inOut[c];
      let k = 0;
      for (; c < m && g.inOut[c] === inGro; c++, k++) {
        const i = g.first[c];
        this.outOffsets[k] = g.offsets[c];
        this.outLengths[k] = g.lengths[c];
        o.idHi[k] = t.idHi[i];
        o.idLo[k] = t.idLo[i];
        o.src[k] = t.src[i];
        o.dst[k] = t.dst[i];
        o.flags[k] = t.flags[i];
      }
      b.buf = inGro === 1 ? s.gro : buf;
      b.region = inGro === 1 ? s.groRegion : region;
      b.count = k;
      onRx(b);
    }
  }

  /** Whether received frames i and j carry the same tunnel metadata (so they may be joined). */
  private readonly sameTunnel = (i: number, j: number): boolean => {
    const t = this.tunnel;
    return (
      t.idHi[i] === t.idHi[j] &&
      t.idLo[i] === t.idLo[j] &&
      t.src[i] === t.src[j] &&
      t.dst[i] === t.dst[j] &&
      t.flags[i] === t.flags[j]
    );
  };

  start(onRx: RxHandler): void {
    this.onRx = onRx;
  }

  stop(): void {
    this.onRx = null;
  }

  poll(): number {
    return this.socket.poll();
  }

  enqueue(buf: Uint8Array, region: number, offset: number, length: number): void {
    if (this.remoteAddr === 0) {
      // remote_ip=flow: the pipeline must set the destination; without it there is nowhere to send.
      this.counters.tx_dropped++;
      return;
    }
    this.enqueueWith(this.tx, buf, region, offset, length);
  }

  enqueueTunnel(
    buf: Uint8Array,
    region: number,
    offset: number,
    length: number,
    md: Uint32Array,
    at: number,
  ): void {
    // The pipeline's metadata fills what the port leaves to the flow (remote_ip=flow, key=flow), and the
    // outer TOS/TTL when it sets them.
    const fixed = this.tx;
    const t = this.flowTx;
    t.dst = this.remoteAddr !== 0 ? fixed.dst : md[at + 3];
    const keyFlow = this.config.outKey.flow;
    t.keyHi = keyFlow ? md[at] : fixed.keyHi;
    t.keyLo = keyFlow ? md[at + 1] : fixed.keyLo;
    t.hasKey = keyFlow ? (md[at + 4] & TUN_FLAG_KEY) !== 0 || md[at] !== 0 || md[at + 1] !== 0 : fixed.hasKey;
    t.csum = fixed.csum;
    const tos = (md[at + 4] >>> 8) & 0xff;
    const ttl = (md[at + 4] >>> 16) & 0xff;
    t.tos = tos !== 0 ? tos : fixed.tos;
    t.ttl = ttl !== 0 ? ttl : fixed.ttl;
    if (t.dst === 0) {
      this.counters.tx_dropped++;
      return;
    }
    this.enqueueWith(t, buf, region, offset, length);
  }

  private enqueueWith(tx: TunnelTx, buf: Uint8Array, region: number, offset: number, length: number): void {
    const s = this.socket;
    if (needsCompletion(buf, offset)) {
      // Frames from a veth with offloads on: cut GSO super-frames, fill partial checksums.
      const seg = s.segmenter;
      let n = seg.segment(buf, offset, length, s.staging, s.stagingUsed, 0);
      if (n === SEG_ERR_CAPACITY) {
        s.flush();
        n = seg.segment(buf, offset, length, s.staging, 0, 0);
      }
      if (n < 0) {
        this.counters.tx_dropped++;
        return;
      }
      if (n > 0) {
        const end = seg.offsets[n - 1] + seg.lengths[n - 1];
        for (let i = 0; i < n; i++) this.send(tx, s.staging, s.stagingRegion, seg.offsets[i], seg.lengths[i]);
        // A flush on the way reset the staging; the segments stay put until they are sent.
        s.stagingUsed = Math.max(s.stagingUsed, Math.ceil(end / 16) * 16);
        return;
      }
    }
    if (region === JS_REGION) {
      let at = s.stage(buf, offset, length);
      if (at < 0) {
        s.flush();
        at = s.stage(buf, offset, length);
      }
      if (at < 0) {
        this.counters.tx_dropped++;
        return;
      }
      this.send(tx, s.staging, s.stagingRegion, at, length);
      return;
    }
    this.send(tx, buf, region, offset, length);
  }

  /** Queues one complete frame for the socket (after the MTU check). */
  private send(tx: TunnelTx, buf: Uint8Array, region: number, offset: number, length: number): void {
    if (!this.fits(length)) return;
    const s = this.socket;
    if (this.config.tos === 'inherit') {
      // tos=inherit: the outer TOS is the inner IP header's (IPv4 or IPv6 traffic class), else 0.
      const t = this.inheritTx;
      Object.assign(t, tx);
      t.tos = innerTos(buf, offset, length);
      tx = t;
    }
    if (s.push(this, buf, region, offset, length, tx)) return;
    s.flush();
    if (!s.push(this, buf, region, offset, length, tx)) this.counters.tx_dropped++;
  }

  flush(): void {
    this.socket.flush();
  }

  /** Whether a frame of `length` bytes fits the underlay MTU once encapsulated; drops and logs if not. */
  private fits(length: number): boolean {
    const route = this.route;
    const mtu = route?.mtu ?? 1500;
    if (!this.config.df || length + this.overhead <= mtu) return true;
    this.counters.tx_dropped++;
    const now = Date.now();
    if (now - this.lastMtuLog >= MTU_LOG_INTERVAL_MS) {
      this.lastMtuLog = now;
      const fits = mtu - this.overhead - 14;
      log.warn(
        `${this.name}: dropped a ${length}-byte frame: encapsulated in ${this.type.toUpperCase()} it needs ` +
          `${length + this.overhead} bytes, more than the MTU ${mtu} of ${route?.iface ?? 'the underlay'}; ` +
          `an MTU of ${fits} on the inner interfaces would fit (or set options:df_default=false)`,
      );
    }
    return false;
  }

  /** The route, looked up again when older than 5 s (on the status timer and at start, never per frame). */
  private currentRoute(): TunnelRoute | null {
    const now = Date.now();
    if (now - this.routeCheckedAt > 5000) {
      this.routeCheckedAt = now;
      this.route = this.remoteAddr === 0 ? null : this.lookupRoute(this.remoteAddr);
    }
    return this.route;
  }

  noteError(): void {
    this.counters.tx_errors++;
  }

  mac(): string {
    return this.macText;
  }

  mtu(): number {
    return 0;
  }

  carrier(): boolean {
    return true;
  }

  adminUp(): boolean {
    return true;
  }

  ifindex(): number {
    return 0;
  }

  stats(): NetdevStats {
    return { ...this.counters };
  }

  status(): Record<string, string> {
    const route = this.currentRoute();
    // OVS's two keys, and (a tsovs addition) the remote the port sends to.
    const remote: Record<string, string> =
      this.remoteAddr === 0 ? {} : { tunnel_remote_ip: formatIpv4(this.remoteAddr) };
    if (route === null) return remote;
    const carrier = route.carrier === false ? 'down' : 'up';
    return { tunnel_egress_iface: route.iface, tunnel_egress_iface_carrier: carrier, ...remote };
  }

  close(): void {
    this.onRx = null;
    this.socket.detach(this);
  }
}

/** The TOS byte of the IP header in an untagged frame (IPv4 TOS, IPv6 traffic class); 0 for anything else. */
function innerTos(buf: Uint8Array, off: number, len: number): number {
  if (len < 16) return 0;
  const type = (buf[off + 12] << 8) | buf[off + 13];
  if (type === 0x0800) return buf[off + 15];
  if (type === 0x86dd) return ((buf[off + 14] & 0x0f) << 4) | (buf[off + 15] >> 4);
  return 0;
}

function randomMac(): string {
  const b = new Uint8Array(6);
  crypto.getRandomValues(b);
  b[0] = (b[0] & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}
