// The userspace datapath (Open vSwitch's dpif-netdev): numbered ports over netdevs, and for every received
// batch the fast path — extract the flow key, exact-match cache, megaflow cache, and only on a miss an
// upcall into ofproto whose result is installed — then the actions, with one flush per output port per
// batch. Cached flows depend on tags (Datapath.invalidate) and expire when idle.

import { JS_REGION, type Netdev, RX_HEADROOM, type RxBatch, VNET_HDR_LEN } from '../netdev/netdev.js';
import { extractFlowKey, hashKey } from '../packet/extract.js';
import {
  K_TUN_DST,
  K_TUN_FLAGS,
  K_TUN_ID_HI,
  K_TUN_ID_LO,
  K_TUN_SRC,
  KEY_RUNT,
  newFlowKey,
} from '../packet/flow-key.js';
import { formatOdpFlow } from '../packet/odp-format.js';
import { formatActions } from './actions.js';
import type { Datapath, DatapathPort, DatapathStats } from './datapath.js';
import { ExactMatchCache } from './emc.js';
import { type ExecutionTarget, executeActions, modifiesAfterOutput, outputsTo } from './execute.js';
import { FlowStore } from './flows.js';
import { MegaflowCache } from './megaflow.js';
import type { UpcallHandler, XlateResult } from './upcall.js';

/** Idle flows are removed after this long (OVS's other_config:max-idle default). */
export const MAX_IDLE_MS = 10000;
/** Rounds of re-polling every port after a batch, while frames keep arriving (see sweep()). */
const SWEEP_ROUNDS = 8;
/** Upper bound on installed flows (beyond it, misses are executed without installing). */
export const FLOW_LIMIT = 200000;

const NO_HANDLER: UpcallHandler = {
  translate: () => ({ actions: new Uint32Array(0), mask: new Uint32Array(0), tags: [], install: false }),
  userspace: () => {},
};

interface Port extends DatapathPort {
  /** Whether this port's netdev has frames queued in the current batch. */
  pending: boolean;
}

/** The userspace datapath, shared by every bridge ("netdev@ovs-netdev"). */
export class NetdevDatapath implements Datapath, ExecutionTarget {
  readonly name = 'ovs-netdev';
  readonly type = 'netdev';
  private readonly portsByNo: (Port | undefined)[] = [];
  private readonly pendingPorts: Port[] = [];
  /** Ports whose netdev can be polled synchronously. */
  private pollable: Port[] = [];
  private sweeping = false;
  /** Frames picked up by sweep() rather than by a wakeup. */
  swept = 0;
  private handler: UpcallHandler = NO_HANDLER;
  private readonly emc = new ExactMatchCache();
  private readonly megaflows = new MegaflowCache();
  private readonly flows = new FlowStore();
  /** Per flow id: whether its outputs must be copies. */
  private copyFlags = new Uint8Array(1024);
  private readonly key = newFlowKey();
  private readonly counters: DatapathStats = { hit: 0, missed: 0, lost: 0, flows: 0, masks: 0 };
  private now = Date.now();
  private readonly scratch = new Uint8Array(RX_HEADROOM + VNET_HDR_LEN + 65536 + 64);

  constructor(private readonly clock: () => number = Date.now) {}

  addPort(netdev: Netdev, requested?: number): DatapathPort {
    let n =
      requested !== undefined && requested > 0 && this.portsByNo[requested] === undefined ? requested : 1;
    if (n !== requested) while (this.portsByNo[n] !== undefined) n++;
    const port: Port = { number: n, netdev, pending: false };
    this.portsByNo[n] = port;
    netdev.start((batch) => this.receive(port, batch));
    this.pollable = this.ports().filter((p) => p.netdev.poll !== undefined) as Port[];
    return port;
  }

  removePort(port: number): void {
    const p = this.portsByNo[port];
    if (p === undefined) return;
    p.netdev.stop();
    this.portsByNo[port] = undefined;
    this.pollable = this.pollable.filter((q) => q !== p);
    for (const fid of this.flows.involving(port, outputsTo)) this.removeFlow(fid);
  }

  port(port: number): DatapathPort | undefined {
    return this.portsByNo[port];
  }

  ports(): DatapathPort[] {
    return this.portsByNo.filter((p): p is Port => p !== undefined);
  }

  setUpcallHandler(handler: UpcallHandler): void {
    this.handler = handler;
  }

  invalidate(tag: string): void {
    for (const fid of this.flows.tagged(tag)) this.removeFlow(fid);
  }

  flushFlows(): void {
    for (const fid of this.flows.ids()) this.removeFlow(fid);
    this.emc.clear();
  }

  execute(frame: Uint8Array, actions: Uint32Array, _inPort: number): void {
    const off = RX_HEADROOM + VNET_HDR_LEN;
    if (frame.length + off > this.scratch.length) return;
    this.scratch.fill(0, off - VNET_HDR_LEN, off);
    this.scratch.set(frame, off);
    executeActions(actions, this.scratch, JS_REGION, off, frame.length, true, this);
    this.flushPending();
  }

  dumpFlows(now: number): string[] {
    return this.flows.ids().map((fid) => {
      const f = this.flows.get(fid);
      if (f === undefined) return '';
      const used = this.flows.used[fid];
      const usedText = used === 0 ? 'never' : `${((now - used) / 1000).toFixed(3)}s`;
      const flags = this.flows.tcpFlags[fid];
      const flagText = flags === 0 ? '' : `, flags:${formatTcpFlags(flags)}`;
      return `${formatOdpFlow(f.key, f.mask)}, packets:${this.flows.packets[fid]}, bytes:${this.flows.bytes[fid]}, used:${usedText}${flagText}, actions:${formatActions(f.actions, f.key)}`;
    });
  }

  stats(): DatapathStats {
    return { ...this.counters, flows: this.flows.count, masks: this.megaflows.masks };
  }

  tick(now: number): void {
    for (const fid of this.flows.ids()) {
      const f = this.flows.get(fid);
      if (f === undefined) continue;
      this.flows.pushStats(fid, now);
      const last = Math.max(this.flows.used[fid], f.created);
      if (now - last > MAX_IDLE_MS) this.removeFlow(fid);
    }
  }

  pushStats(now: number): void {
    for (const fid of this.flows.ids()) this.flows.pushStats(fid, now);
  }

  close(): void {
    for (const p of this.ports()) {
      p.netdev.stop();
      p.netdev.close();
    }
    this.portsByNo.length = 0;
    this.pollable = [];
    this.flushFlows();
  }

  // ExecutionTarget
  output(
    port: number,
    buf: Uint8Array,
    region: number,
    offset: number,
    length: number,
    actions: Uint32Array,
    tunnel: number,
  ): boolean {
    const p = this.portsByNo[port];
    if (p === undefined) return false;
    const nd = p.netdev;
    if (tunnel >= 0 && nd.enqueueTunnel !== undefined)
      nd.enqueueTunnel(buf, region, offset, length, actions, tunnel);
    else nd.enqueue(buf, region, offset, length);
    if (!p.pending) {
      p.pending = true;
      this.pendingPorts.push(p);
    }
    return true;
  }

  userspace(reason: number, buf: Uint8Array, offset: number, length: number): void {
    this.handler.userspace(reason, this.key, buf, offset, length, this.now);
  }

  /** The fast path for one received batch (flushes every output before returning). */
  private receive(port: Port, batch: RxBatch): void {
    const now = this.clock();
    this.now = now;
    const key = this.key;
    const flows = this.flows;
    const tun = batch.tunnel;
    for (let i = 0; i < batch.count; i++) {
      const off = batch.offsets[i];
      const len = batch.lengths[i];
      if (extractFlowKey(batch.buf, off, len, port.number, key) & KEY_RUNT) {
        this.counters.lost++;
        continue;
      }
      if (tun === undefined) key.fill(0, K_TUN_ID_HI, K_TUN_FLAGS + 1);
      else {
        key[K_TUN_ID_HI] = tun.idHi[i];
        key[K_TUN_ID_LO] = tun.idLo[i];
        key[K_TUN_SRC] = tun.src[i];
        key[K_TUN_DST] = tun.dst[i];
        key[K_TUN_FLAGS] = tun.flags[i];
      }
      const hash = hashKey(key, null, 0);
      let fid = this.emc.lookup(key, hash, flows.gens);
      if (fid < 0) {
        fid = this.megaflows.lookup(key);
        if (fid >= 0) this.emc.insert(key, hash, fid, flows.gens[fid], flows.gens);
      }
      if (fid >= 0) {
        this.counters.hit++;
        flows.hit(fid, len, key, now);
        const f = flows.get(fid);
        if (f !== undefined)
          executeActions(f.actions, batch.buf, batch.region, off, len, this.copyFlags[fid] === 1, this);
        continue;
      }
      this.counters.missed++;
      this.upcall(batch, off, len, hash, now);
    }
    this.flushPending();
    if (!this.sweeping) this.sweep();
  }

  /**
   * Polls every port again right after sending: a frame sent into a veth or TAP is often answered within
   * the same system call (the peer's stack runs in our softirq), so the reply is already in a ring and is
   * forwarded now instead of after another wakeup — half the wakeups of a ping, fewer for TCP's ACKs.
   */
  private sweep(): void {
    this.sweeping = true;
    try {
      for (let round = 0; round < SWEEP_ROUNDS; round++) {
        let got = 0;
        const ports = this.pollable;
        for (let i = 0; i < ports.length; i++) got += ports[i].netdev.poll?.() ?? 0;
        this.swept += got;
        if (got === 0) break;
      }
    } finally {
      this.sweeping = false;
    }
  }

  /** A miss in both caches: translate, install, execute. */
  private upcall(batch: RxBatch, off: number, len: number, hash: number, now: number): void {
    let result: XlateResult;
    try {
      result = this.handler.translate(this.key, now);
    } catch {
      this.counters.lost++;
      return;
    }
    const copy = modifiesAfterOutput(result.actions);
    if (result.install && this.flows.count < FLOW_LIMIT && this.megaflows.lookup(this.key) < 0) {
      const fid = this.flows.add(this.key, result, (m, mask, id) => this.megaflows.insert(m, mask, id), now);
      if (fid >= this.copyFlags.length) {
        const c = new Uint8Array(this.copyFlags.length * 2);
        c.set(this.copyFlags);
        this.copyFlags = c;
      }
      this.copyFlags[fid] = copy ? 1 : 0;
      this.flows.hit(fid, len, this.key, now);
      this.emc.insert(this.key, hash, fid, this.flows.gens[fid], this.flows.gens);
    }
    executeActions(result.actions, batch.buf, batch.region, off, len, copy, this);
  }

  private flushPending(): void {
    const pending = this.pendingPorts;
    for (let i = 0; i < pending.length; i++) {
      pending[i].pending = false;
      pending[i].netdev.flush();
    }
    pending.length = 0;
  }

  private removeFlow(fid: number): void {
    // The traffic it carried since the last sweep still counts for the rules it used.
    this.flows.pushStats(fid, this.clock(), true);
    const f = this.flows.remove(fid);
    if (f !== undefined) this.megaflows.remove(f.subtable, f.maskedKey, fid);
  }
}

/** TCP flags as OVS prints them in flow stats (e.g. "SFP."). */
function formatTcpFlags(flags: number): string {
  const names: [number, string][] = [
    [0x02, 'S'],
    [0x01, 'F'],
    [0x08, 'P'],
    [0x04, 'R'],
    [0x20, 'U'],
    [0x10, '.'],
    [0x40, 'E'],
    [0x80, 'C'],
    [0x100, 'N'],
  ];
  return names
    .filter(([bit]) => flags & bit)
    .map(([, n]) => n)
    .join('');
}
