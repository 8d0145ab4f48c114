// A port's transmit queue, shared by the system and internal netdevs: (region, offset, length)
// descriptors for the native send calls — pointing straight into another port's ring when the frame came
// from one — and a staging region that frames in JS memory are copied into first.
import { isNativeError } from './native.js';
import { JS_REGION, MAX_FRAME, type NetdevStats, VNET_HDR_LEN } from './netdev.js';

/** Sends `count` descriptors with one native call; returns how many frames the kernel took. */
export type TxSend = (descs: Uint32Array, count: number) => number;

/** Queued frames of one port, sent by the owner with one native call per batch. */
export class TxQueue {
  /** `count` triples: region, offset of the virtio-net header, length including it. */
  readonly descs: Uint32Array;
  /** Frames queued. */
  count = 0;
  private used = 0;

  constructor(
    private readonly staging: Uint8Array,
    private readonly stagingRegion: number,
    private readonly send: TxSend,
    /** The port's counters (tx_* are kept here). */
    private readonly counters: NetdevStats,
    private readonly capacity = 256,
  ) {
    this.descs = new Uint32Array(capacity * 3);
  }

  /** Netdev.enqueue: queues a frame, flushing first when full; an oversized frame is dropped and counted. */
  enqueue(buf: Uint8Array, region: number, offset: number, length: number): void {
    if (length <= 0 || length > MAX_FRAME) {
      this.counters.tx_dropped++;
      return;
    }
    if (this.push(buf, region, offset, length)) return;
    this.flush();
    if (!this.push(buf, region, offset, length)) this.counters.tx_dropped++;
  }

  /** Netdev.flush: sends every queued frame with one native call and counts the outcome. */
  flush(): void {
    const count = this.count;
    if (count === 0) return;
    let sent = 0;
    try {
      sent = this.send(this.descs, count);
    } catch (err) {
      if (!isNativeError(err)) throw err;
      this.counters.tx_errors++;
    }
    this.counters.tx_packets += sent;
    this.counters.tx_dropped += count - sent;
    this.counters.tx_bytes += this.bytes(sent);
    this.reset();
  }

  /** Queues a frame (its virtio-net header at offset-10); false when the queue or staging is full. */
  push(buf: Uint8Array, region: number, offset: number, length: number): boolean {
    if (this.count === this.capacity) return false;
    if (region === JS_REGION) return this.pushCopy(buf, offset, length);
    this.add(region, offset - VNET_HDR_LEN, length + VNET_HDR_LEN);
    return true;
  }

  /** Frame bytes (without virtio-net headers) of the first `n` queued frames. */
  bytes(n: number): number {
    let total = 0;
    for (let i = 0; i < n; i++) total += this.descs[i * 3 + 2] - VNET_HDR_LEN;
    return total;
  }

  /** Empties the queue (after a send). */
  reset(): void {
    this.count = 0;
    this.used = 0;
  }

  /** Copies a frame in JS memory (and its vnet header, or zeroes) into staging and queues it from there. */
  private pushCopy(buf: Uint8Array, offset: number, length: number): boolean {
    const need = VNET_HDR_LEN + length;
    if (this.used + need > this.staging.length) return false;
    const at = this.used;
    if (offset >= VNET_HDR_LEN) this.staging.set(buf.subarray(offset - VNET_HDR_LEN, offset + length), at);
    else {
      this.staging.fill(0, at, at + VNET_HDR_LEN);
      this.staging.set(buf.subarray(offset, offset + length), at + VNET_HDR_LEN);
    }
    this.used = Math.ceil((at + need) / 16) * 16;
    this.add(this.stagingRegion, at, need);
    return true;
  }

  private add(region: number, offset: number, length: number): void {
    const d = this.count * 3;
    this.descs[d] = region;
    this.descs[d + 1] = offset;
    this.descs[d + 2] = length;
    this.count++;
  }
}
