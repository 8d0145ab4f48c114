// The `system` netdev (Open vSwitch's netdev-linux): an existing Linux interface used through an AF_PACKET
// socket. Receive walks the socket's TPACKET_V2 ring in place from JS (no system call, no copy, no
// allocation per frame). The kernel maps the whole ring at once, resident whatever the traffic, so its
// slots are sized for an MTU-1500 frame: 2 MiB per port. A frame too big for a slot (a GSO super-frame
// from a veth or TAP with its offloads on, a jumbo frame) is queued whole on the socket by the kernel, its
// slot marked TP_STATUS_COPY in the ring's order; a run of them is read with one recvmmsg into buffers of
// their own and handed over as a batch of its own, in order among the others. Transmit queues (region,
// offset, length) descriptors and sends them with one sendmmsg — straight from another port's ring (or
// big-frame buffers) when the frame came from one.

import { kernelStats, openError, tryIfInfo, tryLinkSettings, zeroStats } from './linux.js';
import {
  IFF_RUNNING,
  IFF_UP,
  type IfInfo,
  isNativeError,
  type LinkSettings,
  type NativeAddon,
  native,
} from './native.js';
import {
  MAX_FRAME,
  type Netdev,
  type NetdevStats,
  RX_HEADROOM,
  type RxBatch,
  type RxHandler,
  VNET_HDR_LEN,
} from './netdev.js';
import { RxPoller } from './rx-poller.js';
import { TxQueue } from './tx-queue.js';

// tp_status bits (linux/if_packet.h).
const TP_STATUS_KERNEL = 0;
const TP_STATUS_USER = 1 << 0;
/** The frame did not fit its slot: the slot holds its start, the whole frame waits on the socket. */
const TP_STATUS_COPY = 1 << 1;
const TP_STATUS_VLAN_VALID = 1 << 4;
const TP_STATUS_VLAN_TPID_VALID = 1 << 6;
// Byte offsets of struct tpacket2_hdr's fields.
const TP_LEN = 4;
const TP_SNAPLEN = 8;
const TP_MAC = 12;
const TP_VLAN_TCI = 24;
const TP_VLAN_TPID = 26;
/** Bytes at a ring frame's start the kernel owns: TPACKET_ALIGN(sizeof tpacket2_hdr) + sizeof sockaddr_ll. */
const TPACKET2_HDRLEN = 32 + 20;
const ETH_ALEN2 = 12;
const VLAN_HLEN = 4;
const ETH_P_8021Q = 0x8100;
// virtio_net_hdr: flags at 0, gso_type at 1, hdr_len at 2, csum_start at 6 (little-endian on x86/arm).
const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;

/**
 * PACKET_RESERVE. For an Ethernet frame the kernel puts its vnet header at TPACKET_ALIGN(52 + 16) + reserve
 * - 14 bytes into the ring frame, so 14 + reserve bytes lie between the sockaddr_ll and the vnet header:
 * 118 leaves RX_HEADROOM of them even after a stripped VLAN tag is written back, and puts the IP header at
 * a 16-byte boundary (80 + 118 + 10 = 208).
 */
const RING_RESERVE = RX_HEADROOM + VLAN_HLEN - 14;
/** The longest frame of a 1500-byte MTU with a VLAN tag the kernel left in it (the inner one of two). */
const MTU_FRAME = 14 + VLAN_HLEN + 1500;
/**
 * Ring frame size: room for an MTU_FRAME after the kernel's header (80: the tpacket2_hdr, sockaddr_ll and
 * 16 bytes for the MAC header, aligned), RING_RESERVE and the vnet header — 1726 bytes — rounded up to a
 * power of two, 2048, so that blocks hold whole frames with nothing left over. Bigger frames do not fit:
 * the kernel queues them whole on the socket (PACKET_COPY_THRESH), and collect() reads them from there.
 * The kernel maps every slot at mmap, so this size times the frame count is what each port keeps resident.
 */
const RING_FRAME_SIZE = 1 << Math.ceil(Math.log2(80 + RING_RESERVE + VNET_HDR_LEN + MTU_FRAME));
/**
 * Ring block size. The kernel allocates each block as one run of contiguous pages (vmalloc when memory is
 * too fragmented for that): 64 KiB, 32 frames, is small enough to be found easily and makes a short block
 * table; a frame never spans two blocks, and 2048 divides it exactly.
 */
const RING_BLOCK_SIZE = 64 << 10;
const FRAMES_PER_BLOCK = Math.floor(RING_BLOCK_SIZE / RING_FRAME_SIZE);
/**
 * Default ring: 32 blocks, 1024 frames, 2 MiB. Four times the frames the 16 MiB ring of 64 KiB slots had,
 * so a burst of small frames waits longer for JS (which takes RX_BATCH * RX_ROUNDS per wakeup) before any
 * is dropped; big frames wait on the socket's receive queue, outside the ring.
 */
const DEFAULT_RING_FRAMES = 32 * FRAMES_PER_BLOCK;
/**
 * Where a big frame's vnet header goes in the big-frame buffer: at least RX_HEADROOM bytes stay before it
 * after a VLAN tag is written back (which moves it 4 bytes towards the start), and the IP header after a
 * 14-byte Ethernet header lands on a 16-byte boundary, as in the ring (136 + 10 + 14 = 160).
 */
const BIG_VNET = alignUp(RX_HEADROOM + VLAN_HLEN + VNET_HDR_LEN + 14, 16) - 14 - VNET_HDR_LEN;
/** Most bytes a big frame may have: its vnet header and a MAX_FRAME (longer ones are dropped). */
const BIG_MAX = VNET_HDR_LEN + MAX_FRAME;
/** Bytes of one big-frame slot: headroom, vnet header, frame; a multiple of 16 to keep the alignment. */
const BIG_SLOT = alignUp(BIG_VNET + BIG_MAX, 16);
/**
 * Big frames read with one recvmmsg and handed over as one batch (so sent on with one sendmmsg): a TCP
 * stream through the switch comes as runs of GSO super-frames, which one slot would turn into two system
 * calls per frame. With 8 slots (514 KiB, resident only once a run that long has come) the calls cost
 * little next to copying up to 512 KiB; more would only add memory.
 */
const BIG_SLOTS = 8;
/** Frames handed to the datapath per onRx call. */
const RX_BATCH = 64;
/** Batches per readable callback, so one busy port cannot hold the event loop (the poll calls again). */
const RX_ROUNDS = 4;
/** Descriptors queued before flush() is forced. */
const TX_QUEUE = 256;
/** Bytes of the staging region that JS-memory frames are copied into for sending. */
const TX_STAGING = 64 * (VNET_HDR_LEN + MAX_FRAME);
/**
 * Where the big-frame buffer starts: in the same region, after the staging area. Anonymous memory, so its
 * pages (and the staging area's) are resident only once a frame has been written there.
 */
const BIG_AREA = alignUp(TX_STAGING, 64);
/** Offset of each big-frame slot's vnet header in the buffer region. */
const BIG_OFFSETS = Uint32Array.from({ length: BIG_SLOTS }, (_, i) => BIG_AREA + i * BIG_SLOT + BIG_VNET);

function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** Options for opening a system netdev. */
export interface SystemNetdevOptions {
  /** Frames in the rx ring: a multiple of the frames per 64 KiB block (32), more than a batch (64). */
  ringFrames?: number;
}

/** An existing Linux interface as a switch port, through AF_PACKET with a zero-copy rx ring. */
export class SystemNetdev implements Netdev {
  readonly type: string = 'system';
  private readonly nat: NativeAddon;
  private readonly fd: number;
  private readonly ring: Uint8Array;
  private readonly ring32: Uint32Array;
  private readonly ring16: Uint16Array;
  /** Byte offset of each ring frame in `ring`. */
  private readonly frameOffsets: Uint32Array;
  private readonly ringFrames: number;
  private head = 0;
  /** Ring frames that fit their slot, read in place. */
  private readonly batch: RxBatch;
  /** Frames too big for their slot, read from the socket into the buffer region's big-frame slots. */
  private readonly bigBatch: RxBatch;
  /** Their lengths as packetRecv reports them (with the vnet header). */
  private readonly bigLengths = new Uint32Array(BIG_SLOTS);
  /** The batch collect() filled: `batch` or `bigBatch`. */
  private ready: RxBatch;
  private onRx: RxHandler | undefined;
  private pollHandle = -1;
  /** Region of the tx staging area and the big-frame buffer. */
  private readonly bufRegion: number;
  private readonly tx: TxQueue;
  private readonly counters = zeroStats();
  private closed = false;
  private readonly poller = new RxPoller(RX_ROUNDS, RX_BATCH);
  private readonly index: number;

  constructor(
    readonly name: string,
    opts: SystemNetdevOptions = {},
  ) {
    this.nat = native();
    this.ringFrames = opts.ringFrames ?? DEFAULT_RING_FRAMES;
    let info: IfInfo;
    try {
      info = this.nat.ifInfo(name);
      this.nat.ifSetUp(name, true);
    } catch (err) {
      throw openError(name, err);
    }
    this.index = info.ifindex;
    const sock = this.openSocket();
    this.fd = sock.fd;
    this.ring = new Uint8Array(sock.ring);
    this.ring32 = new Uint32Array(sock.ring);
    this.ring16 = new Uint16Array(sock.ring);
    this.frameOffsets = new Uint32Array(this.ringFrames);
    for (let i = 0; i < this.ringFrames; i++)
      this.frameOffsets[i] =
        Math.floor(i / FRAMES_PER_BLOCK) * RING_BLOCK_SIZE + (i % FRAMES_PER_BLOCK) * RING_FRAME_SIZE;
    this.batch = {
      buf: this.ring,
      region: sock.region,
      offsets: new Uint32Array(RX_BATCH),
      lengths: new Uint32Array(RX_BATCH),
      count: 0,
    };
    this.ready = this.batch;
    const bufs = this.createBuffers();
    this.bigBatch = {
      buf: new Uint8Array(bufs.buffer),
      region: bufs.region,
      offsets: new Uint32Array(BIG_SLOTS),
      lengths: new Uint32Array(BIG_SLOTS),
      count: 0,
    };
    this.tx = new TxQueue(
      new Uint8Array(bufs.buffer, 0, TX_STAGING),
      bufs.region,
      (descs, count) => this.nat.packetSend(this.fd, descs, count),
      this.counters,
      TX_QUEUE,
    );
    this.bufRegion = bufs.region;
  }

  private openSocket(): ReturnType<NativeAddon['packetOpen']> {
    if (this.ringFrames <= RX_BATCH || this.ringFrames % FRAMES_PER_BLOCK !== 0)
      throw openError(
        this.name,
        undefined,
        `ring of ${this.ringFrames} frames: not a multiple of ${FRAMES_PER_BLOCK} greater than ${RX_BATCH}`,
      );
    try {
      return this.nat.packetOpen(this.name, RING_FRAME_SIZE, this.ringFrames, RING_RESERVE, RING_BLOCK_SIZE);
    } catch (err) {
      throw openError(this.name, err);
    }
  }

  /** The region of the tx staging area and, after it, the big-frame buffer. */
  private createBuffers(): ReturnType<NativeAddon['regionCreate']> {
    try {
      return this.nat.regionCreate(BIG_AREA + BIG_SLOTS * BIG_SLOT);
    } catch (err) {
      this.nat.closeFd(this.fd);
      throw openError(this.name, err);
    }
  }

  start(onRx: RxHandler): void {
    if (this.closed) return;
    this.onRx = onRx;
    if (this.pollHandle < 0) this.pollHandle = this.nat.pollStart(this.fd, this.onReadable);
  }

  stop(): void {
    this.onRx = undefined;
    if (this.pollHandle >= 0) this.nat.pollStop(this.pollHandle);
    this.pollHandle = -1;
  }

  private readonly onReadable = (status: number): void => {
    if (status < 0) {
      this.restartPoll();
      return;
    }
    this.poll();
  };

  poll(): number {
    return this.poller.run(this.receiveOnce);
  }

  /** One batch for the poller (no closure per call). */
  private readonly receiveOnce = (): number => (this.onRx === undefined ? 0 : this.receiveBatch(this.onRx));

  /**
   * After an error (the interface went down: ENETDOWN) libuv stops the poll: clear the socket's error and
   * watch again, so frames flow once the interface is back up.
   */
  private restartPoll(): void {
    this.counters.rx_errors++;
    const onRx = this.onRx;
    this.stop();
    if (this.closed || onRx === undefined) return;
    try {
      this.nat.sockError(this.fd);
      this.start(onRx);
    } catch {
      // the socket is gone; close() will tidy up
    }
  }

  /**
   * Hands up to RX_BATCH ring frames to `onRx`, then gives them back; returns how many were taken. They go
   * in order, as one batch unless big frames among them make it several (see collect).
   */
  private receiveBatch(onRx: RxHandler): number {
    let taken = 0;
    while (taken < RX_BATCH && this.onRx === onRx) {
      const first = this.head;
      const n = this.collect(RX_BATCH - taken);
      if (n === 0) break;
      taken += n;
      const batch = this.ready;
      try {
        if (batch.count > 0) onRx(batch);
      } finally {
        this.release(first, n);
      }
    }
    return taken;
  }

  /**
   * Fills a batch from the frames the kernel has handed over, taking at most `max` ring frames; returns how
   * many it took and leaves the batch in `ready`. Frames that fit their slot make `batch`, read in place. A
   * frame marked TP_STATUS_COPY did not fit: the whole of it waits on the socket's receive queue, queued in
   * ring order, and a run of such frames is read into the big-frame slots as `bigBatch` — so collection
   * stops before the run when frames were already collected, and the run makes the next batch.
   */
  private collect(max: number): number {
    const b = this.batch;
    let taken = 0;
    b.count = 0;
    this.ready = b;
    while (taken < max) {
      const base = this.frameOffsets[this.head];
      const status = Atomics.load(this.ring32, base >>> 2);
      if ((status & TP_STATUS_USER) === 0) break;
      if ((status & TP_STATUS_COPY) !== 0) {
        if (b.count > 0) break;
        taken += this.collectBig(max - taken);
        if (this.bigBatch.count === 0) continue;
        this.ready = this.bigBatch;
        break;
      }
      taken++;
      this.head = this.head + 1 === this.ringFrames ? 0 : this.head + 1;
      const len = this.ring32[(base + TP_LEN) >>> 2];
      const snap = this.ring32[(base + TP_SNAPLEN) >>> 2];
      let mac = base + this.ring16[(base + TP_MAC) >>> 1];
      // Cut short without TP_STATUS_COPY: the receive queue was full (it holds the big frames JS has not
      // read yet), so only the slot's part of the frame exists.
      if (snap < len || mac - VNET_HDR_LEN - VLAN_HLEN - RX_HEADROOM < base + TPACKET2_HDRLEN) {
        this.counters.rx_dropped++;
        continue;
      }
      let length = snap;
      if ((status & TP_STATUS_VLAN_VALID) !== 0) {
        mac = this.pushVlan(this.ring, mac, base, status);
        length += VLAN_HLEN;
      }
      b.offsets[b.count] = mac;
      b.lengths[b.count] = length;
      b.count++;
      this.counters.rx_packets++;
      this.counters.rx_bytes += length;
    }
    return taken;
  }

  /**
   * Takes the run of TP_STATUS_COPY ring frames at the head (at most `max` and BIG_SLOTS), reads their
   * frames from the socket with one recvmmsg (vnet header first, as in the ring) into `bigBatch`, and
   * writes back each one's VLAN tag, which only its ring frame's header tells. Returns the ring frames
   * taken; those without a frame to deliver are dropped and counted.
   */
  private collectBig(max: number): number {
    const limit = Math.min(max, BIG_SLOTS);
    let run = 0;
    for (let i = this.head; run < limit; run++) {
      const status = Atomics.load(this.ring32, this.frameOffsets[i] >>> 2);
      if ((status & (TP_STATUS_USER | TP_STATUS_COPY)) !== (TP_STATUS_USER | TP_STATUS_COPY)) break;
      i = i + 1 === this.ringFrames ? 0 : i + 1;
    }
    const bb = this.bigBatch;
    const got = this.receiveBig(run);
    bb.count = 0;
    for (let k = 0; k < run; k++) {
      const base = this.frameOffsets[this.head];
      this.head = this.head + 1 === this.ringFrames ? 0 : this.head + 1;
      const n = this.bigLengths[k];
      // Not read (cannot be: the kernel queues the frame before it hands over the slot), or longer than
      // BIG_MAX and cut short.
      if (k >= got || n <= VNET_HDR_LEN || n > BIG_MAX) {
        this.counters.rx_dropped++;
        continue;
      }
      const status = this.ring32[base >>> 2];
      let mac = BIG_OFFSETS[k] + VNET_HDR_LEN;
      let length = n - VNET_HDR_LEN;
      if ((status & TP_STATUS_VLAN_VALID) !== 0) {
        mac = this.pushVlan(bb.buf, mac, base, status);
        length += VLAN_HLEN;
      }
      bb.offsets[bb.count] = mac;
      bb.lengths[bb.count] = length;
      bb.count++;
      this.counters.rx_packets++;
      this.counters.rx_bytes += length;
    }
    return run;
  }

  /** Reads `count` frames from the socket's receive queue into the big-frame slots; returns how many. */
  private receiveBig(count: number): number {
    try {
      return this.nat.packetRecv(this.fd, this.bufRegion, BIG_OFFSETS, this.bigLengths, count, BIG_MAX);
    } catch (err) {
      if (!isNativeError(err)) throw err;
      this.counters.rx_errors++;
      return 0;
    }
  }

  /**
   * Writes the VLAN tag the kernel stripped back into the frame at `mac` in `u8` (the ring, or the big-frame
   * buffer), taking it from the header of the ring frame at `base`: the vnet header and both MACs move 4
   * bytes towards the headroom and the tag goes after them. Returns the frame's new offset.
   */
  private pushVlan(u8: Uint8Array, mac: number, base: number, status: number): number {
    const tci = this.ring16[(base + TP_VLAN_TCI) >>> 1];
    // A kernel that leaves tp_vlan_tpid unset (0) means 802.1Q.
    const given = (status & TP_STATUS_VLAN_TPID_VALID) !== 0 ? this.ring16[(base + TP_VLAN_TPID) >>> 1] : 0;
    const tpid = given === 0 ? ETH_P_8021Q : given;
    const vnet = mac - VNET_HDR_LEN - VLAN_HLEN;
    u8.copyWithin(vnet, mac - VNET_HDR_LEN, mac + ETH_ALEN2);
    const tag = mac - VLAN_HLEN + ETH_ALEN2;
    u8[tag] = tpid >>> 8;
    u8[tag + 1] = tpid & 0xff;
    u8[tag + 2] = tci >>> 8;
    u8[tag + 3] = tci & 0xff;
    // csum_start and hdr_len count from the frame's start, which now has 4 more bytes of header.
    if ((u8[vnet] & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0) addLe16(u8, vnet + 6, VLAN_HLEN);
    if (u8[vnet + 2] !== 0 || u8[vnet + 3] !== 0) addLe16(u8, vnet + 2, VLAN_HLEN);
    return mac - VLAN_HLEN;
  }

  /** Gives `count` ring frames starting at index `first` back to the kernel (unless onRx closed the port). */
  private release(first: number, count: number): void {
    if (this.closed) return;
    let i = first;
    for (let n = 0; n < count; n++) {
      Atomics.store(this.ring32, this.frameOffsets[i] >>> 2, TP_STATUS_KERNEL);
      i = i + 1 === this.ringFrames ? 0 : i + 1;
    }
  }

  enqueue(buf: Uint8Array, region: number, offset: number, length: number): void {
    if (this.closed) this.counters.tx_dropped++;
    else this.tx.enqueue(buf, region, offset, length);
  }

  flush(): void {
    this.tx.flush();
  }

  mac(): string {
    return this.info()?.mac ?? '00:00:00:00:00:00';
  }

  mtu(): number {
    return this.info()?.mtu ?? 0;
  }

  carrier(): boolean {
    return ((this.info()?.flags ?? 0) & IFF_RUNNING) !== 0;
  }

  adminUp(): boolean {
    return ((this.info()?.flags ?? 0) & IFF_UP) !== 0;
  }

  linkSettings(): LinkSettings | null {
    return tryLinkSettings(this.name);
  }

  setAdminUp(up: boolean): void {
    this.nat.ifSetUp(this.name, up);
  }

  ifindex(): number {
    return this.index;
  }

  /** Bytes of the rx ring: the kernel maps all of it at open, so it is resident for the port's life. */
  ringBytes(): number {
    return this.ring.byteLength;
  }

  private info(): IfInfo | undefined {
    return tryIfInfo(this.name);
  }

  /** The kernel's counters for the device, plus what this port dropped (truncated, ring full, unsent). */
  stats(): NetdevStats {
    this.readRingStats();
    const k = kernelStats(this.name);
    const own = this.counters;
    if (k === undefined) return { ...own };
    k.rx_dropped += own.rx_dropped;
    k.rx_errors += own.rx_errors;
    k.tx_dropped += own.tx_dropped;
    k.tx_errors += own.tx_errors;
    return k;
  }

  /** Counters kept by this process alone (frames it received, sent and dropped). */
  ownStats(): NetdevStats {
    this.readRingStats();
    return { ...this.counters };
  }

  private readRingStats(): void {
    if (this.closed) return;
    try {
      this.counters.rx_dropped += this.nat.packetStats(this.fd).drops;
    } catch {
      // closed underneath us
    }
  }

  close(): void {
    if (this.closed) return;
    this.stop();
    this.closed = true;
    this.tx.reset();
    this.nat.closeFd(this.fd);
    this.nat.regionFree(this.bufRegion);
  }
}

/** Adds `n` to the little-endian 16-bit number at `at`. */
function addLe16(u8: Uint8Array, at: number, n: number): void {
  const v = (u8[at] | (u8[at + 1] << 8)) + n;
  u8[at] = v & 0xff;
  u8[at + 1] = (v >>> 8) & 0xff;
}
