// The megaflow cache (Open vSwitch's dpcls): tuple-space search over subtables, one per distinct mask.
// A subtable is an open-addressing hash table (linear probing, backward-shift deletion) of masked keys
// in typed arrays; a lookup masks the key once per subtable, most-hit subtables first. No allocation per
// lookup; inserting and removing (the slow path) may allocate.

import { hashKey } from '../packet/extract.js';
import { KEY_WORDS } from '../packet/flow-key.js';

const MIN_CAPACITY = 64;

/** One mask's flows. */
class Subtable {
  /** Packets matched here since the last sort (orders the search). */
  hits = 0;
  count = 0;
  private capacity = MIN_CAPACITY;
  private keys = new Uint32Array(MIN_CAPACITY * KEY_WORDS);
  private flows = new Int32Array(MIN_CAPACITY).fill(-1);
  private hashes = new Uint32Array(MIN_CAPACITY);

  constructor(
    readonly mask: Uint32Array,
    readonly id: string,
  ) {}

  /** The flow whose masked key equals `key` & mask, or -1. */
  lookup(key: Uint32Array): number {
    const mask = this.mask;
    const hash = hashKey(key, mask, 0);
    const m = this.capacity - 1;
    for (let slot = hash & m; ; slot = (slot + 1) & m) {
      const fid = this.flows[slot];
      if (fid < 0) return -1;
      if (this.hashes[slot] === hash && this.matches(slot, key)) return fid;
    }
  }

  /** Adds `maskedKey` → `fid` (the key must already be masked). */
  insert(maskedKey: Uint32Array, fid: number): void {
    if ((this.count + 1) * 2 > this.capacity) this.grow();
    const hash = hashKey(maskedKey, null, 0);
    const m = this.capacity - 1;
    let slot = hash & m;
    while (this.flows[slot] >= 0) slot = (slot + 1) & m;
    this.flows[slot] = fid;
    this.hashes[slot] = hash;
    this.keys.set(maskedKey, slot * KEY_WORDS);
    this.count++;
  }

  /** Removes flow `fid` whose masked key is `maskedKey`; false when absent. */
  remove(maskedKey: Uint32Array, fid: number): boolean {
    const hash = hashKey(maskedKey, null, 0);
    const m = this.capacity - 1;
    let slot = hash & m;
    while (this.flows[slot] !== fid) {
      if (this.flows[slot] < 0) return false;
      slot = (slot + 1) & m;
    }
    this.flows[slot] = -1;
    this.count--;
    // Backward-shift: move later entries of the probe run into the hole.
    let hole = slot;
    for (let next = (slot + 1) & m; this.flows[next] >= 0; next = (next + 1) & m) {
      const home = this.hashes[next] & m;
      const distHole = (hole - home) & m;
      const distNext = (next - home) & m;
      if (distHole <= distNext) {
        this.move(next, hole);
        hole = next;
      }
    }
    return true;
  }

  private move(from: number, to: number): void {
    this.flows[to] = this.flows[from];
    this.hashes[to] = this.hashes[from];
    this.keys.copyWithin(to * KEY_WORDS, from * KEY_WORDS, (from + 1) * KEY_WORDS);
    this.flows[from] = -1;
  }

  private matches(slot: number, key: Uint32Array): boolean {
    const base = slot * KEY_WORDS;
    const mask = this.mask;
    const keys = this.keys;
    for (let w = 0; w < KEY_WORDS; w++) if (keys[base + w] !== (key[w] & mask[w]) >>> 0) return false;
    return true;
  }

  private grow(): void {
    const old = { flows: this.flows, keys: this.keys, capacity: this.capacity };
    this.capacity *= 2;
    this.flows = new Int32Array(this.capacity).fill(-1);
    this.hashes = new Uint32Array(this.capacity);
    this.keys = new Uint32Array(this.capacity * KEY_WORDS);
    this.count = 0;
    for (let s = 0; s < old.capacity; s++) {
      if (old.flows[s] >= 0) this.insert(old.keys.subarray(s * KEY_WORDS, (s + 1) * KEY_WORDS), old.flows[s]);
    }
  }
}

/** Megaflow cache: masked keys → flow ids, searched subtable by subtable. */
export class MegaflowCache {
  private subtables: Subtable[] = [];
  private readonly byMask = new Map<string, Subtable>();
  private lookups = 0;

  /** The flow matching `key` in any subtable, or -1. */
  lookup(key: Uint32Array): number {
    const subtables = this.subtables;
    for (let i = 0; i < subtables.length; i++) {
      const fid = subtables[i].lookup(key);
      if (fid >= 0) {
        subtables[i].hits++;
        if (++this.lookups >= 4096) this.sortSubtables();
        return fid;
      }
    }
    return -1;
  }

  /** Adds flow `fid` with `mask`; `maskedKey` is key & mask. Returns the subtable's id (the mask's text). */
  insert(maskedKey: Uint32Array, mask: Uint32Array, fid: number): string {
    const id = Array.from(mask).join(',');
    let st = this.byMask.get(id);
    if (st === undefined) {
      st = new Subtable(Uint32Array.from(mask), id);
      this.byMask.set(id, st);
      this.subtables.push(st);
    }
    st.insert(maskedKey, fid);
    return id;
  }

  /** Removes flow `fid` (masked key `maskedKey`) from the subtable `id`; drops the subtable when empty. */
  remove(id: string, maskedKey: Uint32Array, fid: number): void {
    const st = this.byMask.get(id);
    if (st === undefined || !st.remove(maskedKey, fid)) return;
    if (st.count === 0) {
      this.byMask.delete(id);
      this.subtables = this.subtables.filter((s) => s !== st);
    }
  }

  /** Number of subtables (distinct masks). */
  get masks(): number {
    return this.subtables.length;
  }

  /** Removes everything. */
  clear(): void {
    this.subtables = [];
    this.byMask.clear();
  }

  /** Puts the most-hit subtables first (as OVS's dpcls ranks them), then restarts the counts. */
  private sortSubtables(): void {
    this.lookups = 0;
    this.subtables.sort((a, b) => b.hits - a.hits);
    for (const s of this.subtables) s.hits = 0;
  }
}
