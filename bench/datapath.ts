// Micro-benchmark of the datapath's fast path alone (no I/O): 64-byte frames in batches of 32 through
// NetdevDatapath with a cached flow, into a netdev that discards them. Prints packets per second per core
// for the EMC-hit case and for megaflow hits (every packet a new exact key). `npm run bench:datapath`.
import { ActionsBuilder } from '../src/datapath/actions.js';
import { NetdevDatapath } from '../src/datapath/dpif-netdev.js';
import type { XlateResult } from '../src/datapath/upcall.js';
import {
  JS_REGION,
  type Netdev,
  type NetdevStats,
  RX_HEADROOM,
  type RxBatch,
  type RxHandler,
  VNET_HDR_LEN,
} from '../src/netdev/netdev.js';
import { K_DL_DST_HI, K_DL_DST_LO, K_IN_PORT, KEY_WORDS } from '../src/packet/flow-key.js';

const BATCH = 32;
const SLOT = 256;

/** A netdev whose receive side replays a prepared batch and whose transmit side counts. */
class NullNetdev implements Netdev {
  readonly type = 'null';
  onRx: RxHandler | undefined;
  sent = 0;
  constructor(readonly name: string) {}
  start(onRx: RxHandler): void {
    this.onRx = onRx;
  }
  stop(): void {}
  enqueue(): void {
    this.sent++;
  }
  flush(): void {}
  mac(): string {
    return '00:00:00:00:00:00';
  }
  mtu(): number {
    return 1500;
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
    return {
      rx_packets: 0,
      rx_bytes: 0,
      rx_dropped: 0,
      rx_errors: 0,
      tx_packets: 0,
      tx_bytes: 0,
      tx_dropped: 0,
      tx_errors: 0,
    };
  }
  close(): void {}
}

function makeBatch(distinctSources: boolean, round: number): RxBatch {
  const buf = new Uint8Array(BATCH * SLOT);
  const batch: RxBatch = {
    buf,
    region: JS_REGION,
    offsets: new Uint32Array(BATCH),
    lengths: new Uint32Array(BATCH),
    count: BATCH,
  };
  for (let i = 0; i < BATCH; i++) {
    const off = i * SLOT + RX_HEADROOM + VNET_HDR_LEN;
    buf.set([0, 0, 0, 0, 0, 2, 0, 0, round & 255, 0, distinctSources ? i : 0, 1, 0x08, 0x00], off);
    buf.set(
      [
        0x45, 0, 0, 50, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0x30, 0x3a, 0, 30, 0,
        0,
      ],
      off + 14,
    );
    batch.offsets[i] = off;
    batch.lengths[i] = 64;
  }
  return batch;
}

function run(label: string, distinct: boolean): void {
  const dp = new NetdevDatapath();
  const mask = new Uint32Array(KEY_WORDS);
  mask[K_IN_PORT] = mask[K_DL_DST_HI] = mask[K_DL_DST_LO] = 0xffffffff;
  const result: XlateResult = {
    actions: new ActionsBuilder().output(2).build(),
    mask,
    tags: [],
    install: true,
  };
  dp.setUpcallHandler({ translate: () => result, userspace: () => {} });
  const a = new NullNetdev('a');
  const b = new NullNetdev('b');
  dp.addPort(a);
  dp.addPort(b);
  const batches = Array.from({ length: 64 }, (_, r) => makeBatch(distinct, distinct ? r : 0));
  const rx = a.onRx as RxHandler;
  const rates: number[] = [];
  for (let rep = 0; rep < 7; rep++) {
    const t0 = process.hrtime.bigint();
    let n = 0;
    while (n < 2_000_000) {
      for (const bt of batches) rx(bt);
      n += batches.length * BATCH;
    }
    rates.push(n / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  rates.sort((x, y) => x - y);
  console.log(
    `${label.padEnd(36)} ${(rates[3] / 1e6).toFixed(2)} Mpps (median of 7), flows ${dp.stats().flows}`,
  );
}

run('EMC hits (one flow)', false);
run('megaflow hits (2048 exact keys)', true);
