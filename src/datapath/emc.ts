// The exact-match cache (Open vSwitch's EMC): the datapath's first lookup. Two-way set-associative over
// typed arrays, keyed by the hash of the whole flow key; an entry names a megaflow by id and generation,
// so a flow that was removed (or whose id was reused) never matches. No allocation per lookup.
import { KEY_WORDS } from '../packet/flow-key.js';

/** Exact-match cache of flow key → megaflow id. */
export class ExactMatchCache {
  private readonly mask: number;
  private readonly hashes: Uint32Array;
  private readonly keys: Uint32Array;
  private readonly flows: Int32Array;
  private readonly gens: Uint32Array;

  /** `entries` must be a power of two. */
  constructor(entries = 8192) {
    this.mask = entries - 1;
    this.hashes = new Uint32Array(entries);
    this.keys = new Uint32Array(entries * KEY_WORDS);
    this.flows = new Int32Array(entries).fill(-1);
    this.gens = new Uint32Array(entries);
  }

  /** The megaflow id cached for `key` (whose hash is `hash`) if its generation still matches, else -1. */
  lookup(key: Uint32Array, hash: number, flowGens: Uint32Array): number {
    let slot = hash & this.mask;
    for (let way = 0; way < 2; way++, slot ^= 1) {
      const fid = this.flows[slot];
      if (fid < 0 || this.hashes[slot] !== hash || flowGens[fid] !== this.gens[slot]) continue;
      if (this.sameKey(slot, key)) return fid;
    }
    return -1;
  }

  /** Caches `key` → flow `fid` of generation `gen`, replacing a stale or the second way's entry. */
  insert(key: Uint32Array, hash: number, fid: number, gen: number, flowGens: Uint32Array): void {
    let slot = hash & this.mask;
    const other = slot ^ 1;
    const f = this.flows[slot];
    if (f >= 0 && flowGens[f] === this.gens[slot]) {
      const g = this.flows[other];
      slot = g < 0 || flowGens[g] !== this.gens[other] ? other : (hash >>> 16) & 1 ? other : slot;
    }
    this.hashes[slot] = hash;
    this.flows[slot] = fid;
    this.gens[slot] = gen;
    this.keys.set(key, slot * KEY_WORDS);
  }

  /** Forgets every entry. */
  clear(): void {
    this.flows.fill(-1);
  }

  private sameKey(slot: number, key: Uint32Array): boolean {
    const base = slot * KEY_WORDS;
    const keys = this.keys;
    for (let w = 0; w < KEY_WORDS; w++) if (keys[base + w] !== key[w]) return false;
    return true;
  }
}
