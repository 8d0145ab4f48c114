// One bridge's MAC learning table (Open vSwitch's lib/mac-learning.c): (MAC, VLAN) → port, kept in
// least-recently-used order, aged out after an idle time and bounded in size. Time is injected (`now`,
// in milliseconds); every removal is reported through `onRemove` so the owner can drop cached flows.
import { isMulticastMac } from './eth-addr.js';

/** other_config:mac-aging-time when unset, in seconds. */
export const MAC_DEFAULT_IDLE_TIME = 300;
/** other_config:mac-table-size when unset. */
export const MAC_DEFAULT_MAX = 2048;

/** One learned address. */
export interface MacEntry {
  /** The 48-bit MAC (src/ofproto/eth-addr.ts). */
  readonly mac: number;
  /** The VLAN it was learned in (0 for untagged traffic on trunks). */
  readonly vlan: number;
  /** The name of the port it was last seen on. */
  port: string;
  /** When it was last learned or refreshed (ms). */
  usedAt: number;
}

/** What `learn` did. */
export type LearnOutcome = 'learned' | 'moved' | 'refreshed' | 'unchanged' | 'ignored';

/** Why an entry left the table. */
export type RemoveReason = 'expired' | 'evicted' | 'flushed' | 'forgotten';

/** Construction options. */
export interface MacLearningOptions {
  /** Idle time in seconds (clamped to 15..3600 as OVS does); default 300. */
  readonly idleTime?: number;
  /** Maximum entries (clamped to 10..1,000,000 as OVS does); default 2048. */
  readonly maxEntries?: number;
  /** Called for every entry that leaves the table. */
  readonly onRemove?: (entry: MacEntry, reason: RemoveReason) => void;
}

/** OVS's bounds on the idle time: 15 s to an hour. */
export function normalizeIdleTime(seconds: number): number {
  return Math.min(3600, Math.max(15, Math.trunc(seconds)));
}

/** OVS's bounds on the table size: 10 to a million entries. */
export function normalizeMaxEntries(n: number): number {
  return Math.min(1_000_000, Math.max(10, Math.trunc(n)));
}

function entryKey(mac: number, vlan: number): string {
  return `${vlan}/${mac}`;
}

/** A MAC learning table: LRU ordered, aged, bounded, evicting fairly across ports. */
export class MacLearningTable {
  /** All entries; Map order is LRU order (least recently used first). */
  private readonly table = new Map<string, MacEntry>();
  /** Per port, its entries in LRU order (for fair eviction). */
  private readonly byPort = new Map<string, Map<string, MacEntry>>();
  private idle: number;
  private max: number;
  private readonly onRemove: (entry: MacEntry, reason: RemoveReason) => void;

  constructor(opts: MacLearningOptions = {}) {
    this.idle = normalizeIdleTime(opts.idleTime ?? MAC_DEFAULT_IDLE_TIME);
    this.max = normalizeMaxEntries(opts.maxEntries ?? MAC_DEFAULT_MAX);
    this.onRemove = opts.onRemove ?? (() => {});
  }

  /** The idle time in seconds. */
  get idleTime(): number {
    return this.idle;
  }

  /** The size bound. */
  get maxEntries(): number {
    return this.max;
  }

  /** Number of entries. */
  get size(): number {
    return this.table.size;
  }

  /** Changes the idle time (normalized); entries keep their last-used times. */
  setIdleTime(seconds: number): void {
    this.idle = normalizeIdleTime(seconds);
  }

  /** Changes the size bound (normalized); `run` evicts any excess. */
  setMaxEntries(n: number): void {
    this.max = normalizeMaxEntries(n);
  }

  /** Whole seconds since `e` was last learned (what fdb/show prints). */
  age(e: MacEntry, now: number): number {
    return Math.max(0, Math.floor((now - e.usedAt) / 1000));
  }

  /** Records that `mac` was seen on `port` in `vlan` (multicast sources are never learned). */
  learn(mac: number, vlan: number, port: string, now: number): LearnOutcome {
    if (isMulticastMac(mac)) return 'ignored';
    const key = entryKey(mac, vlan);
    const e = this.table.get(key);
    if (e === undefined) {
      if (this.table.size >= this.max) this.evictFairly();
      this.insert(key, { mac, vlan, port, usedAt: now });
      return 'learned';
    }
    // Like OVS, an entry refreshed within the last second on the same port is left alone.
    if (e.port === port && this.age(e, now) === 0) return 'unchanged';
    this.detach(key, e);
    const moved = e.port !== port;
    e.port = port;
    e.usedAt = now;
    this.insert(key, e);
    return moved ? 'moved' : 'refreshed';
  }

  /** The entry for a unicast `mac` in `vlan`, if learned. */
  lookup(mac: number, vlan: number): MacEntry | undefined {
    if (isMulticastMac(mac)) return undefined;
    return this.table.get(entryKey(mac, vlan));
  }

  /** Entries, least recently used first (the order fdb/show prints). */
  entries(): MacEntry[] {
    return [...this.table.values()];
  }

  /** Removes entries idle for the idle time, then any beyond the size bound; returns how many. */
  run(now: number): number {
    let removed = 0;
    for (const [key, e] of this.table) {
      const over = this.table.size > this.max;
      if (!over && now - e.usedAt < this.idle * 1000) break;
      this.remove(key, e, over ? 'evicted' : 'expired');
      removed++;
    }
    return removed;
  }

  /** Removes every entry. */
  flush(): void {
    for (const [key, e] of this.table) this.remove(key, e, 'flushed');
  }

  /** Removes every entry learned on `port`; returns them. */
  flushPort(port: string): MacEntry[] {
    const entries = [...(this.byPort.get(port)?.values() ?? [])];
    for (const e of entries) this.remove(entryKey(e.mac, e.vlan), e, 'forgotten');
    return entries;
  }

  /** Removes the entry for (`mac`, `vlan`), if any. */
  forget(mac: number, vlan: number): boolean {
    const key = entryKey(mac, vlan);
    const e = this.table.get(key);
    if (e === undefined) return false;
    this.remove(key, e, 'forgotten');
    return true;
  }

  /** Evicts the least recently used entry of the port that holds the most entries (OVS's fairness);
   *  among equally loaded ports, the one whose oldest entry is oldest overall. */
  private evictFairly(): void {
    let victim: [string, MacEntry] | undefined;
    let most = 0;
    for (const entries of this.byPort.values()) {
      const first = entries.entries().next().value;
      if (first === undefined) continue;
      const older = victim !== undefined && first[1].usedAt < victim[1].usedAt;
      if (entries.size > most || (entries.size === most && older)) {
        most = entries.size;
        victim = first;
      }
    }
    if (victim !== undefined) this.remove(victim[0], victim[1], 'evicted');
  }

  private insert(key: string, e: MacEntry): void {
    this.table.set(key, e);
    let entries = this.byPort.get(e.port);
    if (entries === undefined) {
      entries = new Map();
      this.byPort.set(e.port, entries);
    }
    entries.set(key, e);
  }

  private detach(key: string, e: MacEntry): void {
    this.table.delete(key);
    const entries = this.byPort.get(e.port);
    entries?.delete(key);
    if (entries?.size === 0) this.byPort.delete(e.port);
  }

  private remove(key: string, e: MacEntry, reason: RemoveReason): void {
    this.detach(key, e);
    this.onRemove(e, reason);
  }
}
