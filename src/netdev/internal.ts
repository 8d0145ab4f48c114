// The `internal` netdev (Open vSwitch's internal port): a TAP device this process creates, named like the
// port, through which the host's own stack sits on the bridge. Frames are read into slots of our own region
// (RX_HEADROOM, then the vnet header, then the frame) and written with one write() each; closing the port
// deletes the device.
import { kernelStats, openError, swapDirections, tryIfInfo, tryLinkSettings, zeroStats } from './linux.js';
import {
  IFF_RUNNING,
  IFF_UP,
  type IfInfo,
  isNativeError,
  type LinkSettings,
  type NativeAddon,
  type NativeRegion,
  native,
} from './native.js';
import {
  MAX_FRAME,
  type Netdev,
  NetdevError,
  type NetdevStats,
  RX_HEADROOM,
  type RxBatch,
  type RxHandler,
  VNET_HDR_LEN,
} from './netdev.js';
import { RxPoller } from './rx-poller.js';
import { TxQueue } from './tx-queue.js';

/** Frames read per onRx call. */
const RX_BATCH = 64;
/** Batches per readable callback (the poll calls again while frames remain). */
const RX_ROUNDS = 4;
/** Bytes one read() may fill: the vnet header and the largest frame. */
const READ_LEN = VNET_HDR_LEN + MAX_FRAME;
/** One receive slot: headroom, vnet header, frame (rounded to 64 bytes). */
const RX_SLOT = Math.ceil((RX_HEADROOM + READ_LEN) / 64) * 64;
const ETH_HLEN = 14;
/** Descriptors queued before flush() is forced. */
const TX_QUEUE = 256;
/** Bytes of the staging region that JS-memory frames are copied into for writing. */
const TX_STAGING = 64 * READ_LEN;

/** A TAP device created for (and deleted with) a switch port. */
export class InternalNetdev implements Netdev {
  readonly type: string = 'internal';
  private readonly nat: NativeAddon;
  private readonly fd: number;
  private readonly index: number;
  private readonly rxRegion: number;
  /** Where each read() puts its vnet header. */
  private readonly readOffsets = new Uint32Array(RX_BATCH);
  private readonly batch: RxBatch;
  private onRx: RxHandler | undefined;
  private pollHandle = -1;
  private readonly stagingRegion: number;
  private readonly tx: TxQueue;
  private readonly counters = zeroStats();
  private closed = false;
  private readonly poller = new RxPoller(RX_ROUNDS, RX_BATCH);

  constructor(readonly name: string) {
    this.nat = native();
    const tap = this.openTap();
    this.fd = tap.fd;
    this.index = tap.ifindex;
    let rx: NativeRegion | undefined;
    try {
      this.nat.ifSetUp(name, true);
      rx = this.nat.regionCreate(RX_BATCH * RX_SLOT);
      const staging = this.nat.regionCreate(TX_STAGING);
      this.rxRegion = rx.region;
      this.batch = {
        buf: new Uint8Array(rx.buffer),
        region: rx.region,
        offsets: new Uint32Array(RX_BATCH),
        lengths: new Uint32Array(RX_BATCH),
        count: 0,
      };
      this.tx = new TxQueue(
        new Uint8Array(staging.buffer),
        staging.region,
        (descs, count) => this.nat.tapWrite(this.fd, descs, count),
        this.counters,
        TX_QUEUE,
      );
      this.stagingRegion = staging.region;
    } catch (err) {
      if (rx !== undefined) this.nat.regionFree(rx.region);
      this.nat.closeFd(this.fd);
      throw openError(name, err);
    }
    for (let i = 0; i < RX_BATCH; i++) this.readOffsets[i] = i * RX_SLOT + RX_HEADROOM;
  }

  private openTap(): ReturnType<NativeAddon['tapOpen']> {
    try {
      return this.nat.tapOpen(this.name);
    } catch (err) {
      const code = isNativeError(err) ? err.code : '';
      // TUNSETIFF answers EINVAL for a device of that name that is not a TAP, EBUSY for one in use.
      if (code === 'EINVAL')
        throw new NetdevError(
          'EEXIST',
          `could not open network device ${this.name} (a device of that name exists and is not a TAP)`,
        );
      if (code === 'EBUSY')
        throw new NetdevError('EBUSY', `could not open network device ${this.name} (its TAP is in use)`);
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
      // The TAP reports an error only when its device was deleted under us: nothing more will arrive.
      this.counters.rx_errors++;
      this.stop();
      return;
    }
    this.poll();
  };

  poll(): number {
    return this.poller.run(this.receiveOnce);
  }

  /** One batch for the poller (no closure per call). */
  private readonly receiveOnce = (): number => (this.onRx === undefined ? 0 : this.receiveBatch(this.onRx));

  /** Reads up to RX_BATCH frames and hands them to `onRx`; returns how many reads succeeded. */
  private receiveBatch(onRx: RxHandler): number {
    const b = this.batch;
    let n: number;
    try {
      n = this.nat.tapRead(this.fd, this.rxRegion, this.readOffsets, b.lengths, RX_BATCH, READ_LEN);
    } catch (err) {
      if (!isNativeError(err)) throw err;
      this.counters.rx_errors++;
      return 0;
    }
    let count = 0;
    for (let i = 0; i < n; i++) {
      const length = b.lengths[i] - VNET_HDR_LEN;
      if (length < ETH_HLEN) {
        this.counters.rx_dropped++;
        continue;
      }
      b.offsets[count] = this.readOffsets[i] + VNET_HDR_LEN;
      b.lengths[count] = length;
      count++;
      this.counters.rx_packets++;
      this.counters.rx_bytes += length;
    }
    b.count = count;
    if (count > 0) onRx(b);
    return n;
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

  setMac(mac: string): void {
    try {
      this.nat.ifSetMac(this.name, mac);
    } catch (err) {
      if (!isNativeError(err)) throw err;
      this.counters.tx_errors++;
    }
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
    if (this.closed) throw new NetdevError('ENODEV', `${this.name}: closed`);
    this.nat.ifSetUp(this.name, up);
  }

  ifindex(): number {
    return this.index;
  }

  private info(): IfInfo | undefined {
    return this.closed ? undefined : tryIfInfo(this.name);
  }

  /** The TAP's kernel counters seen from the switch (the host's tx is our rx), plus our own drops. */
  stats(): NetdevStats {
    const k = this.closed ? undefined : kernelStats(this.name);
    const own = this.counters;
    if (k === undefined) return { ...own };
    const s = swapDirections(k);
    s.rx_dropped += own.rx_dropped;
    s.rx_errors += own.rx_errors;
    s.tx_dropped += own.tx_dropped;
    s.tx_errors += own.tx_errors;
    return s;
  }

  /** Counters kept by this process alone (frames it read, wrote and dropped). */
  ownStats(): NetdevStats {
    return { ...this.counters };
  }

  close(): void {
    if (this.closed) return;
    this.stop();
    this.closed = true;
    this.tx.reset();
    this.nat.closeFd(this.fd);
    this.nat.regionFree(this.rxRegion);
    this.nat.regionFree(this.stagingRegion);
  }
}
