// The dummy netdev (Open vSwitch's netdev-dummy): a port that exists only in memory. Tests inject frames
// with receive() and read what the switch sent from `sent`, so the whole switch runs without root.
import {
  JS_REGION,
  MAX_FRAME,
  type Netdev,
  type NetdevStats,
  RX_HEADROOM,
  type RxBatch,
  type RxHandler,
  VNET_HDR_LEN,
} from './netdev.js';

const BATCH = 32;

/** A netdev with no device behind it. */
export class DummyNetdev implements Netdev {
  readonly type: string = 'dummy';
  /** Frames sent through this port, oldest first (Ethernet header onwards, copies). */
  readonly sent: Uint8Array[] = [];
  private onRx: RxHandler | undefined;
  private readonly queued: Uint8Array[] = [];
  private readonly counters: NetdevStats = {
    rx_packets: 0,
    rx_bytes: 0,
    rx_dropped: 0,
    rx_errors: 0,
    tx_packets: 0,
    tx_bytes: 0,
    tx_dropped: 0,
    tx_errors: 0,
  };
  private readonly rxBuf = new Uint8Array(BATCH * (RX_HEADROOM + VNET_HDR_LEN + MAX_FRAME));
  private readonly batch: RxBatch = {
    buf: this.rxBuf,
    region: JS_REGION,
    offsets: new Uint32Array(BATCH),
    lengths: new Uint32Array(BATCH),
    count: 0,
  };
  private up = true;

  constructor(
    readonly name: string,
    private address = dummyMac(name),
    private readonly mtuBytes = 1500,
  ) {}

  /** Delivers frames to the switch as one batch, as if they had arrived on this port. */
  receive(...frames: Uint8Array[]): void {
    for (let i = 0; i < frames.length; i += BATCH) this.receiveBatch(frames.slice(i, i + BATCH));
  }

  private receiveBatch(frames: Uint8Array[]): void {
    const slot = RX_HEADROOM + VNET_HDR_LEN + MAX_FRAME;
    const b = this.batch;
    b.count = 0;
    for (const f of frames) {
      this.counters.rx_packets++;
      this.counters.rx_bytes += f.length;
      if (f.length > MAX_FRAME || this.onRx === undefined) {
        this.counters.rx_dropped++;
        continue;
      }
      const off = b.count * slot + RX_HEADROOM + VNET_HDR_LEN;
      this.rxBuf.fill(0, off - VNET_HDR_LEN, off);
      this.rxBuf.set(f, off);
      b.offsets[b.count] = off;
      b.lengths[b.count] = f.length;
      b.count++;
    }
    if (b.count > 0 && this.onRx !== undefined) this.onRx(b);
  }

  /** Takes and clears the frames sent so far. */
  takeSent(): Uint8Array[] {
    return this.sent.splice(0, this.sent.length);
  }

  /** Sets the administrative state (carrier follows it). */
  setUp(up: boolean): void {
    this.up = up;
  }

  setAdminUp(up: boolean): void {
    this.setUp(up);
  }

  start(onRx: RxHandler): void {
    this.onRx = onRx;
  }

  stop(): void {
    this.onRx = undefined;
  }

  enqueue(buf: Uint8Array, _region: number, offset: number, length: number): void {
    this.queued.push(buf.slice(offset, offset + length));
  }

  flush(): void {
    for (const f of this.queued) {
      if (!this.up) {
        this.counters.tx_dropped++;
        continue;
      }
      this.counters.tx_packets++;
      this.counters.tx_bytes += f.length;
      this.sent.push(f);
    }
    this.queued.length = 0;
  }

  mac(): string {
    return this.address;
  }

  setMac(mac: string): void {
    this.address = mac;
  }

  mtu(): number {
    return this.mtuBytes;
  }

  carrier(): boolean {
    return this.up;
  }

  adminUp(): boolean {
    return this.up;
  }

  ifindex(): number {
    return 0;
  }

  stats(): NetdevStats {
    return { ...this.counters };
  }

  close(): void {
    this.onRx = undefined;
  }
}

/** A stable locally administered MAC derived from the name (aa:55:xx:xx:xx:xx). */
export function dummyMac(name: string): string {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  const b = [0xaa, 0x55, h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
