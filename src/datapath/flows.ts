// The datapath's installed megaflows: per flow its masked key, mask, actions, counters, dependency tags
// and revalidator callback, stored by numeric id with a generation number so that caches holding a stale
// id miss. The per-packet counters are typed arrays; everything else is touched on the slow path only.
import { K_IN_PORT, K_TCP_FLAGS, KEY_WORDS } from '../packet/flow-key.js';
import type { XlateResult } from './upcall.js';

/** One flow's slow-path data. */
export interface FlowInfo {
  /** The key of the packet that installed the flow (what `dpctl/dump-flows` prints, under the mask). */
  readonly key: Uint32Array;
  readonly maskedKey: Uint32Array;
  readonly mask: Uint32Array;
  readonly actions: Uint32Array;
  readonly tags: readonly string[];
  readonly subtable: string;
  readonly onUsed: XlateResult['onUsed'];
  readonly created: number;
}

/** Installed flows with their counters. */
export class FlowStore {
  /** Generation per id, bumped when a flow is removed (exact-match entries compare it). */
  gens = new Uint32Array(1024);
  packets = new Float64Array(1024);
  bytes = new Float64Array(1024);
  used = new Float64Array(1024);
  tcpFlags = new Uint16Array(1024);
  /** Packets and bytes at the last revalidator sweep. */
  private swept = new Float64Array(1024);
  private sweptBytes = new Float64Array(1024);
  private readonly info: (FlowInfo | undefined)[] = [];
  private readonly free: number[] = [];
  private readonly byTag = new Map<string, Set<number>>();
  private live = 0;

  /** Number of installed flows. */
  get count(): number {
    return this.live;
  }

  /** Installs a flow; returns its id. */
  add(
    key: Uint32Array,
    result: XlateResult,
    subtableOf: (masked: Uint32Array, mask: Uint32Array, fid: number) => string,
    now: number,
  ): number {
    const fid = this.free.pop() ?? this.info.length;
    if (fid >= this.gens.length) this.grow();
    const maskedKey = new Uint32Array(KEY_WORDS);
    for (let w = 0; w < KEY_WORDS; w++) maskedKey[w] = key[w] & result.mask[w];
    const subtable = subtableOf(maskedKey, result.mask, fid);
    this.info[fid] = {
      key: Uint32Array.from(key),
      maskedKey,
      mask: Uint32Array.from(result.mask),
      actions: result.actions,
      tags: result.tags,
      subtable,
      onUsed: result.onUsed,
      created: now,
    };
    this.packets[fid] = 0;
    this.bytes[fid] = 0;
    this.used[fid] = 0;
    this.tcpFlags[fid] = 0;
    this.swept[fid] = 0;
    this.sweptBytes[fid] = 0;
    for (const t of result.tags) {
      const set = this.byTag.get(t);
      if (set === undefined) this.byTag.set(t, new Set([fid]));
      else set.add(fid);
    }
    this.live++;
    return fid;
  }

  /** The flow's slow-path data, or undefined for a free id. */
  get(fid: number): FlowInfo | undefined {
    return this.info[fid];
  }

  /** Removes a flow (the caller removes it from the megaflow cache); returns its data. */
  remove(fid: number): FlowInfo | undefined {
    const f = this.info[fid];
    if (f === undefined) return undefined;
    this.info[fid] = undefined;
    this.gens[fid]++;
    this.free.push(fid);
    for (const t of f.tags) {
      const set = this.byTag.get(t);
      set?.delete(fid);
      if (set?.size === 0) this.byTag.delete(t);
    }
    this.live--;
    return f;
  }

  /** Ids of the flows tagged `tag`. */
  tagged(tag: string): number[] {
    return [...(this.byTag.get(tag) ?? [])];
  }

  /** Ids of all installed flows. */
  ids(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.info.length; i++) if (this.info[i] !== undefined) out.push(i);
    return out;
  }

  /** Ids of flows whose in_port is `port` or whose actions output to it. */
  involving(port: number, outputsTo: (actions: Uint32Array, port: number) => boolean): number[] {
    return this.ids().filter((fid) => {
      const f = this.info[fid] as FlowInfo;
      return (f.mask[K_IN_PORT] !== 0 && f.maskedKey[K_IN_PORT] === port) || outputsTo(f.actions, port);
    });
  }

  /** Counts one packet of `length` bytes on flow `fid` (the hot path). */
  hit(fid: number, length: number, key: Uint32Array, now: number): void {
    this.packets[fid]++;
    this.bytes[fid] += length;
    this.used[fid] = now;
    this.tcpFlags[fid] |= key[K_TCP_FLAGS];
  }

  /**
   * Hands the packets and bytes the flow carried since the previous call to its onUsed callback (the
   * revalidator's stats push); a removed flow's last traffic is pushed by remove()'s caller through this
   * too, before the flow goes. Returns whether it carried any.
   */
  pushStats(fid: number, now: number, removing = false): boolean {
    const p = this.packets[fid];
    const dp = p - this.swept[fid];
    if (dp === 0) return false;
    const db = this.bytes[fid] - this.sweptBytes[fid];
    this.swept[fid] = p;
    this.sweptBytes[fid] = this.bytes[fid];
    this.info[fid]?.onUsed?.(now, dp, db, removing);
    return true;
  }

  private grow(): void {
    const n = this.gens.length * 2;
    const grow64 = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const g = new Uint32Array(n);
    g.set(this.gens);
    this.gens = g;
    const f = new Uint16Array(n);
    f.set(this.tcpFlags);
    this.tcpFlags = f;
    this.packets = grow64(this.packets);
    this.bytes = grow64(this.bytes);
    this.used = grow64(this.used);
    this.swept = grow64(this.swept);
    this.sweptBytes = grow64(this.sweptBytes);
  }
}
