// The `system` netdev (Open vSwitch's netdev-linux): an existing Linux interface used through an AF_PACKET
// socket. Receive walks the socket's TPACKET_V2 ring in place from JS (no system call, no copy, no
// allocation per frame); transmit queues (region, offset, length) descriptors and sends them with one
// sendmmsg — straight from another port's ring when the frame came from one.

import { kernelStats, openError, tryIfInfo, zeroStats } from './linux.js';
import { IFF_RUNNING, IFF_UP, type IfInfo, type NativeAddon, native } from './native.js';
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
/** Ring frame size: room for a whole MAX_FRAME after the kernel's header, reserve and vnet header. */
const RING_FRAME_SIZE = alignUp(80 + RING_RESERVE + VNET_HDR_LEN + MAX_FRAME, 16);
/**
 * Ring block size. The kernel allocates each block as a power of two pages, so a block holding exactly one
 * 64 KiB+ frame would waste nearly half its memory; a 1 MiB block holds 15 frames and wastes 6%.
 */
const RING_BLOCK_SIZE = 1 << 20;
const FRAMES_PER_BLOCK = Math.floor(RING_BLOCK_SIZE / RING_FRAME_SIZE);
/** Default ring: 16 blocks, 240 frames, 16 MiB. */
const DEFAULT_RING_FRAMES = 16 * FRAMES_PER_BLOCK;
/** Frames handed to the datapath per onRx call. */
const RX_BATCH = 64;
/** Batches per readable callback, so one busy port cannot hold the event loop (the poll calls again). */
const RX_ROUNDS = 4;
/** Descriptors queued before flush() is forced. */
const TX_QUEUE = 256;
/** Bytes of the staging region that JS-memory frames are copied into for sending. */
const TX_STAGING = 64 * (VNET_HDR_LEN + MAX_FRAME);

function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** Options for opening a system netdev. */
export interface SystemNetdevOptions {
  /** Frames in the rx ring (a multiple of the frames per 1 MiB block, 15). */
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
  private readonly batch: RxBatch;
  private onRx: RxHandler | undefined;
  private pollHandle = -1;
  private readonly stagingRegion: number;
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
    const staging = this.createStaging();
    this.tx = new TxQueue(
      new Uint8Array(staging.buffer),
      staging.region,
      (descs, count) => this.nat.packetSend(this.fd, descs, count),
      this.counters,
      TX_QUEUE,
    );
    this.stagingRegion = staging.region;
  }

  private openSocket(): ReturnType<NativeAddon['packetOpen']> {
    if (this.ringFrames <= RX_BATCH || this.ringFrames % FRAMES_PER_BLOCK !== 0)
      throw openError(
        this.name,
        undefined,
        `ring of ${this.ringFrames} frames: not a multiple of ${FRAMES_PER_BLOCK}`,
      );
    try {
      return this.nat.packetOpen(this.name, RING_FRAME_SIZE, this.ringFrames, RING_RESERVE, RING_BLOCK_SIZE);
    } catch (err) {
      throw openError(this.name, err);
    }
  }

  private createStaging(): ReturnType<NativeAddon['regionCreate']> {
    try {
      return this.nat.regionCreate(TX_STAGING);
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

  /** Hands up to RX_BATCH ring frames to `onRx`, then gives them back; returns how many were taken. */
  private receiveBatch(onRx: RxHandler): number {
    const first = this.head;
    const taken = this.collect();
    if (taken === 0) return 0;
    try {
      if (this.batch.count > 0) onRx(this.batch);
    } finally {
      this.release(first, taken);
    }
    return taken;
  }

  /** Fills the batch from the frames the kernel has handed over; returns how many ring frames it took. */
  private collect(): number {
    const b = this.batch;
    let taken = 0;
    b.count = 0;
    while (taken < RX_BATCH) {
      const base = this.frameOffsets[this.head];
      const status = Atomics.load(this.ring32, base >>> 2);
      if ((status & TP_STATUS_USER) === 0) break;
      taken++;
      this.head = this.head + 1 === this.ringFrames ? 0 : this.head + 1;
      const len = this.ring32[(base + TP_LEN) >>> 2];
      const snap = this.ring32[(base + TP_SNAPLEN) >>> 2];
      let mac = base + this.ring16[(base + TP_MAC) >>> 1];
      if (snap < len || mac - VNET_HDR_LEN - VLAN_HLEN - RX_HEADROOM < base + TPACKET2_HDRLEN) {
        this.counters.rx_dropped++;
        continue;
      }
      let length = snap;
      if ((status & TP_STATUS_VLAN_VALID) !== 0) {
        mac = this.pushVlan(base, mac, status);
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
   * Writes the VLAN tag the kernel stripped back into the frame: the vnet header and both MACs move 4 bytes
   * towards the headroom and the tag goes after them. Returns the frame's new offset.
   */
  private pushVlan(base: number, mac: number, status: number): number {
    const u8 = this.ring;
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

  setAdminUp(up: boolean): void {
    this.nat.ifSetUp(this.name, up);
  }

  ifindex(): number {
    return this.index;
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
    this.nat.regionFree(this.stagingRegion);
  }
}

/** Adds `n` to the little-endian 16-bit number at `at`. */
function addLe16(u8: Uint8Array, at: number, n: number): void {
  const v = (u8[at] | (u8[at + 1] << 8)) + n;
  u8[at] = v & 0xff;
  u8[at + 1] = (v >>> 8) & 0xff;
}
