// The OpenFlow classifier (Open vSwitch's lib/classifier.c): tuple-space search. Rules are grouped into
// subtables, one per distinct mask over the pipeline flow's words (src/ofproto/of-flow.ts); a subtable is
// an open-addressing hash table from the masked value to the rules with exactly that masked value, highest
// priority first. A lookup probes the subtables in decreasing order of their highest rule priority and
// stops as soon as the next subtable cannot beat the best match found, so 100,000 exact rules cost one
// hash probe, not 100,000 comparisons.
//
// Un-wildcarding: every subtable probed ORs the part of its mask it looked at into the caller's `wc`, so the
// megaflow built from `wc` holds every key bit the result depended on. As in OVS's staged lookup, a
// subtable is probed in stages (metadata, L2, L3, L4 — OVS's flow segments); each stage but the last has a
// set of the partial hashes present, and a flow whose partial hash is absent misses after unwildcarding
// only the stages examined so far (a rule set that matches in_port and nw_dst, probed with an unknown
// in_port, leaves nw_dst wildcarded). Prefix tracking (OVS's tries, on nw_dst and nw_src by default as in
// OVS): a binary trie of the address prefixes all rules match; when a subtable matching an address with a
// prefix of length L misses, and the trie shows no rule prefix of length L on the flow's address, only the
// address bits that walk depended on are unwildcarded (so 100,000 /32 routes do not pin all 32 bits of
// every other destination).
//
// Ties: OpenFlow leaves the choice between overlapping rules of equal priority undefined. OVS returns the
// one whose subtable comes first in its priority vector (and never probes further subtables whose highest
// priority is not strictly above the best found); so do we, keeping subtables of equal maximum priority in
// the order in which they reached it, which makes the choice deterministic. A rule with the same priority
// and an identical match as an existing one replaces it (OVS's classifier_replace), keeping its place.
//
// Lookups allocate nothing; insertion and removal (the slow path) may.
import {
  K_IN_PORT,
  K_ND_TARGET,
  K_NW_DST,
  K_NW_SRC,
  K_RECIRC,
  K_TCP_FLAGS,
  K_TP,
  K_TUN_ID_HI,
} from '../packet/flow-key.js';
import { FLOW_WORDS } from './of-flow.js';

/** A masked match: a flow matches when (flow & mask) == value & mask, word by word. */
export interface ClsMatch {
  readonly value: Uint32Array;
  readonly mask: Uint32Array;
}

/** What the classifier needs of a rule. Rules are told apart by identity. */
export interface ClsRule {
  readonly priority: number;
  readonly match: ClsMatch;
}

/** Lookup stages, in probe order (OVS's flow segments). */
const STAGE_META = 0;
const STAGE_L2 = 1;
const STAGE_L3 = 2;
const STAGE_L4 = 3;

/** The stage of each pipeline flow word (OVS's segment 3, L4, starts at nd_target: ND/ARP addresses). */
function stageOf(word: number): number {
  if (word === K_IN_PORT || word === K_RECIRC || word >= K_TUN_ID_HI) return STAGE_META; // + metadata, regs
  if (word < K_NW_SRC) return STAGE_L2; // MACs, dl_type, VLANs
  if (word === K_TP || word === K_TCP_FLAGS || word >= K_ND_TARGET) return STAGE_L4;
  return STAGE_L3; // nw_src, nw_dst, proto/tos/ttl/frag, IPv6 addresses and label
}

const ALL_ONES = 0xffff_ffff;
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** One murmur3 round. */
function mix(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** murmur3's finalizer. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Word `i` of `a`, 0 past its end. */
function wordAt(a: Uint32Array, i: number): number {
  return i < a.length ? a[i] : 0;
}

/** A rule in the classifier. */
class Entry<R extends ClsRule> {
  constructor(
    public rule: R,
    readonly priority: number,
    /** Insertion order (kept by a replacement): ties in rules() order. */
    readonly seq: number,
    readonly bucket: Bucket<R>,
  ) {}
}

/** The rules of one subtable that share one masked value, highest priority first (priorities distinct). */
class Bucket<R extends ClsRule> {
  readonly entries: Entry<R>[] = [];
  constructor(
    readonly subtable: Subtable<R>,
    /** The masked value's words at the subtable's mask words (as int32). */
    readonly key: Int32Array,
    /** Its slot tag. */
    readonly tag: number,
  ) {}
}

/** Counts of rule priorities with their maximum (a max-heap of the distinct priorities, lazily pruned). */
class Priorities {
  private readonly counts = new Map<number, number>();
  private readonly heap: number[] = [];

  /** The highest priority present, or -Infinity. */
  get max(): number {
    return this.heap.length === 0 ? Number.NEGATIVE_INFINITY : this.heap[0];
  }

  add(p: number): void {
    const n = this.counts.get(p);
    if (n !== undefined) {
      this.counts.set(p, n + 1);
      return;
    }
    this.counts.set(p, 1);
    const heap = this.heap;
    let i = heap.push(p) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] >= p) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = p;
  }

  remove(p: number): void {
    const n = this.counts.get(p) ?? 0;
    if (n > 1) {
      this.counts.set(p, n - 1);
      return;
    }
    this.counts.delete(p);
    // Priorities no longer counted stay in the heap until they reach the top.
    while (this.heap.length > 0 && !this.counts.has(this.heap[0])) this.popTop();
  }

  private popTop(): void {
    const heap = this.heap;
    const last = heap.pop() as number;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const c = l + 1 < heap.length && heap[l + 1] > heap[l] ? l + 1 : l;
      if (heap[c] <= last) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = last;
  }
}

/**
 * A binary trie of the prefixes the rules match on one 32-bit field (OVS's prefix tracking, cls_trie): a
 * node per prefix some rule's value passes through, counting the rules whose prefix ends there. A lookup
 * walks the flow's value once; a subtable matching the field with a prefix of length L can then be skipped
 * when no rule has a length-L prefix on that path, unwildcarding only the bits that walk depended on.
 */
class PrefixTrie {
  private child0 = new Int32Array(64);
  private child1 = new Int32Array(64);
  /** Rules whose prefix passes through or ends at the node. */
  private through = new Int32Array(64);
  /** Rules whose prefix ends at the node. */
  private ends = new Int32Array(64);
  private used = 1;
  private readonly free: number[] = [];
  /** The lookup the walk below belongs to. */
  walkedIn = -1;
  /** Depth of the flow's path: nodes exist for its first `depth` bits, not for depth + 1. */
  depth = 0;
  /** Bit L-1 set: some rule has the flow's first L bits as its prefix (L = 1..32). */
  plens = 0;

  constructor(readonly word: number) {}

  /** Whether no prefix is tracked. */
  get empty(): boolean {
    return this.through[0] === 0;
  }

  insert(value: number, len: number): void {
    let n = 0;
    this.through[0]++;
    for (let d = 0; d < len; d++) {
      const one = (value >>> (31 - d)) & 1;
      let c = one === 0 ? this.child0[n] : this.child1[n];
      if (c === 0) {
        c = this.alloc();
        if (one === 0) this.child0[n] = c;
        else this.child1[n] = c;
      }
      this.through[c]++;
      n = c;
    }
    this.ends[n]++;
    this.walkedIn = -1;
  }

  remove(value: number, len: number): void {
    let n = 0;
    this.through[0]--;
    for (let d = 0; d < len; d++) {
      const one = (value >>> (31 - d)) & 1;
      const c = one === 0 ? this.child0[n] : this.child1[n];
      if (--this.through[c] === 0) {
        // Nothing else passes through c: drop it and the rest of this path.
        if (one === 0) this.child0[n] = 0;
        else this.child1[n] = 0;
        for (let x = c, e = d + 1; ; e++) {
          const next = e < len ? (((value >>> (31 - e)) & 1) === 0 ? this.child0[x] : this.child1[x]) : 0;
          this.child0[x] = 0;
          this.child1[x] = 0;
          this.ends[x] = 0;
          this.through[x] = 0;
          this.free.push(x);
          if (next === 0) break;
          x = next;
        }
        this.walkedIn = -1;
        return;
      }
      n = c;
    }
    this.ends[n]--;
    this.walkedIn = -1;
  }

  /** Walks `value`'s path, recording depth and plens for lookup `seq`. */
  walk(value: number, seq: number): void {
    let n = 0;
    let d = 0;
    let plens = 0;
    for (;;) {
      if (d > 0 && this.ends[n] > 0) plens |= 1 << (d - 1);
      if (d === 32) break;
      const c = ((value >>> (31 - d)) & 1) === 0 ? this.child0[n] : this.child1[n];
      if (c === 0) break;
      n = c;
      d++;
    }
    this.depth = d;
    this.plens = plens;
    this.walkedIn = seq;
  }

  /**
   * After walk(): 0 when a rule may have the walked value's first `len` bits as its prefix; otherwise how
   * many leading bits of the value prove that none does.
   */
  skipBits(len: number): number {
    if (len > this.depth) return this.depth + 1;
    return (this.plens >>> (len - 1)) & 1 ? 0 : len;
  }

  private alloc(): number {
    const f = this.free.pop();
    if (f !== undefined) return f;
    if (this.used === this.child0.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.child0 = grow(this.child0);
      this.child1 = grow(this.child1);
      this.through = grow(this.through);
      this.ends = grow(this.ends);
    }
    return this.used++;
  }
}

/** One prefix-tracked field as a subtable uses it. */
interface TrieUse {
  readonly trie: PrefixTrie;
  /** The subtable's prefix length on the field (1..32). */
  readonly len: number;
  /** The field's position in the subtable's probe order (its word in a bucket key). */
  readonly pos: number;
  /** Where the field's stage starts in the subtable's probe order: a miss examined past it can use the trie. */
  readonly from: number;
}

/** The length of `mask` as a CIDR prefix, or -1 when it is not one (or is 0). */
function prefixLength(mask: number): number {
  const inv = ~mask >>> 0;
  if (mask === 0 || (inv & (inv + 1)) !== 0) return -1;
  return Math.clz32(inv);
}

const MIN_CAPACITY = 8;

/**
 * The rules with one mask. The hash table is one Int32Array of `stride` words per slot — the slot's tag
 * (its hash with bit 0 set; 0: empty), the priority of its best rule, then the masked value at the mask's
 * words — beside an array of each slot's best rule: a lookup touches little more than one slot's words.
 */
class Subtable<R extends ClsRule> {
  /** The full mask. */
  readonly mask: Uint32Array;
  /** The words the mask covers, in probe order (by stage, then word). */
  readonly idx: Int32Array;
  /** The mask at those words (as int32). */
  readonly maskW: Int32Array;
  /** Positions in idx where a stage other than the last ends. */
  readonly stageEnds: Int32Array;
  /** For each of those stages: partial hash → buckets with it. */
  readonly stageHashes: Map<number, number>[];
  /** Highest priority of the rules here (the order of the subtable search). */
  maxPriority = Number.NEGATIVE_INFINITY;
  /** Rules here. */
  rules = 0;
  readonly priorities = new Priorities();
  /** Words per slot: tag, best priority, masked value. */
  readonly stride: number;
  /** 1 + the highest word the mask covers (0 for the catch-all mask). */
  readonly reach: number;
  private buckets = 0;
  private capacity = MIN_CAPACITY;
  /** The slots' words. */
  table: Int32Array;
  /** Each slot's best rule. */
  heads: (R | null)[] = new Array<R | null>(MIN_CAPACITY).fill(null);
  /** Each slot's bucket. */
  private slotBuckets: (Bucket<R> | null)[] = new Array<Bucket<R> | null>(MIN_CAPACITY).fill(null);

  /** Prefix-tracked fields this mask matches with a CIDR prefix. */
  readonly tries: TrieUse[] = [];
  /** After a miss in find(): how many words (in probe order) the miss depended on. */
  examined = 0;

  constructor(
    mask: Uint32Array,
    readonly maskHash: number,
    tries: readonly PrefixTrie[],
  ) {
    this.mask = mask;
    const words: number[] = [];
    for (let w = 0; w < mask.length; w++) if (mask[w] !== 0) words.push(w);
    words.sort((a, b) => stageOf(a) - stageOf(b) || a - b);
    this.idx = Int32Array.from(words);
    this.maskW = Int32Array.from(words, (w) => mask[w] | 0);
    const ends: number[] = [];
    for (let k = 1; k < words.length; k++) if (stageOf(words[k]) !== stageOf(words[k - 1])) ends.push(k);
    this.stageEnds = Int32Array.from(ends);
    this.stageHashes = ends.map(() => new Map<number, number>());
    for (const trie of tries) {
      const len = prefixLength(trie.word < mask.length ? mask[trie.word] : 0);
      if (len < 0) continue;
      const stage = stageOf(trie.word);
      this.tries.push({
        trie,
        len,
        pos: words.indexOf(trie.word),
        from: words.findIndex((w) => stageOf(w) === stage),
      });
    }
    this.stride = 2 + words.length;
    this.reach = words.length === 0 ? 0 : Math.max(...words) + 1;
    this.table = new Int32Array(MIN_CAPACITY * this.stride);
  }

  /**
   * The slot whose masked value `flow` (long enough for every mask word) has: table[slot * stride + 1] is
   * then the best priority there and heads[slot] its rule. On a miss, -1, with `examined` set.
   */
  find(flow: Uint32Array): number {
    const idx = this.idx;
    const maskW = this.maskW;
    const ends = this.stageEnds;
    let h = 0;
    let k = 0;
    for (let s = 0; s < ends.length; s++) {
      const end = ends[s];
      for (; k < end; k++) h = mix(h, flow[idx[k]] & maskW[k]);
      if (!this.stageHashes[s].has(h)) {
        this.examined = end;
        return -1;
      }
    }
    const n = idx.length;
    for (; k < n; k++) h = mix(h, flow[idx[k]] & maskW[k]);
    this.examined = n;
    const tag = tagOf(h);
    const m = this.capacity - 1;
    const table = this.table;
    const stride = this.stride;
    for (let slot = (tag >>> 1) & m; ; slot = (slot + 1) & m) {
      const base = slot * stride;
      const t = table[base];
      if (t === 0) return -1;
      if (t === tag) {
        let same = true;
        for (let j = 0; j < n; j++) {
          if (table[base + 2 + j] !== (flow[idx[j]] & maskW[j])) {
            same = false;
            break;
          }
        }
        if (same) return slot;
      }
    }
  }

  /** ORs the mask's first `end` words (in probe order) into `wc`, as far as `wc` reaches. */
  unwildcard(wc: Uint32Array, end: number): void {
    const idx = this.idx;
    const maskW = this.maskW;
    const len = wc.length;
    for (let k = 0; k < end; k++) {
      const w = idx[k];
      if (w < len) wc[w] |= maskW[k];
    }
  }

  /** The masked-value key of `value` in this subtable. */
  keyOf(value: Uint32Array): Int32Array {
    const key = new Int32Array(this.idx.length);
    for (let k = 0; k < key.length; k++) key[k] = wordAt(value, this.idx[k]) & this.maskW[k];
    return key;
  }

  /** Hashes of `key`: the partial hash at the end of each stage but the last, then the slot tag. */
  private hashesOf(key: Int32Array): { partial: number[]; tag: number } {
    const partial: number[] = [];
    let h = 0;
    let k = 0;
    for (const end of this.stageEnds) {
      for (; k < end; k++) h = mix(h, key[k]);
      partial.push(h);
    }
    for (; k < key.length; k++) h = mix(h, key[k]);
    return { partial, tag: tagOf(h) };
  }

  /** The bucket with exactly `key`, or null. */
  bucketOf(key: Int32Array): Bucket<R> | null {
    const tag = this.hashesOf(key).tag;
    const m = this.capacity - 1;
    for (let slot = (tag >>> 1) & m; ; slot = (slot + 1) & m) {
      const b = this.slotBuckets[slot];
      if (b === null) return null;
      if (b.tag === tag && sameKey(b.key, key)) return b;
    }
  }

  /** A new empty bucket for `key` (absent so far), in the stage indices; refreshHead() puts it in the table. */
  addBucket(key: Int32Array): Bucket<R> {
    const { partial, tag } = this.hashesOf(key);
    for (let s = 0; s < partial.length; s++) {
      const map = this.stageHashes[s];
      map.set(partial[s], (map.get(partial[s]) ?? 0) + 1);
    }
    return new Bucket<R>(this, key, tag);
  }

  /** Puts bucket `b` in the table or, already there, updates its best rule (after a change to b.entries). */
  refreshHead(b: Bucket<R>): void {
    let slot = this.slotOf(b);
    if (slot < 0) {
      if ((this.buckets + 1) * 2 > this.capacity) this.resize(this.capacity * 2);
      slot = this.place(b);
      this.buckets++;
    }
    const head = b.entries[0];
    this.table[slot * this.stride + 1] = head.priority;
    this.heads[slot] = head.rule;
  }

  /** Removes bucket `b` (now empty) from the table and the stage indices. */
  removeBucket(b: Bucket<R>): void {
    const { partial } = this.hashesOf(b.key);
    for (let s = 0; s < partial.length; s++) {
      const map = this.stageHashes[s];
      const n = map.get(partial[s]) ?? 0;
      if (n > 1) map.set(partial[s], n - 1);
      else map.delete(partial[s]);
    }
    const slot = this.slotOf(b);
    if (slot < 0) return;
    this.clearSlot(slot);
    this.buckets--;
    // Backward-shift deletion: move later members of the probe run into the hole.
    const m = this.capacity - 1;
    const stride = this.stride;
    let hole = slot;
    for (let next = (slot + 1) & m; this.table[next * stride] !== 0; next = (next + 1) & m) {
      const home = (this.table[next * stride] >>> 1) & m;
      if (((hole - home) & m) <= ((next - home) & m)) {
        this.table.copyWithin(hole * stride, next * stride, (next + 1) * stride);
        this.heads[hole] = this.heads[next];
        this.slotBuckets[hole] = this.slotBuckets[next];
        this.clearSlot(next);
        hole = next;
      }
    }
    if (this.capacity > MIN_CAPACITY && this.buckets * 8 < this.capacity) this.resize(this.capacity / 2);
  }

  /** Every bucket. */
  *allBuckets(): Generator<Bucket<R>> {
    for (const b of this.slotBuckets) if (b !== null) yield b;
  }

  private slotOf(b: Bucket<R>): number {
    const m = this.capacity - 1;
    for (let slot = (b.tag >>> 1) & m; ; slot = (slot + 1) & m) {
      const x = this.slotBuckets[slot];
      if (x === b) return slot;
      if (x === null) return -1;
    }
  }

  private clearSlot(slot: number): void {
    this.table.fill(0, slot * this.stride, (slot + 1) * this.stride);
    this.heads[slot] = null;
    this.slotBuckets[slot] = null;
  }

  /** Puts `b` in a free slot (its head is set by the caller); returns the slot. */
  private place(b: Bucket<R>): number {
    const m = this.capacity - 1;
    let slot = (b.tag >>> 1) & m;
    while (this.slotBuckets[slot] !== null) slot = (slot + 1) & m;
    this.slotBuckets[slot] = b;
    const base = slot * this.stride;
    this.table[base] = b.tag;
    this.table.set(b.key, base + 2);
    return slot;
  }

  private resize(capacity: number): void {
    const old = this.slotBuckets;
    this.capacity = capacity;
    this.table = new Int32Array(capacity * this.stride);
    this.heads = new Array<R | null>(capacity).fill(null);
    this.slotBuckets = new Array<Bucket<R> | null>(capacity).fill(null);
    for (const b of old) {
      if (b === null || b.entries.length === 0) continue;
      const slot = this.place(b);
      this.table[slot * this.stride + 1] = b.entries[0].priority;
      this.heads[slot] = b.entries[0].rule;
    }
  }
}

/** A slot tag: the finished hash with bit 0 set, so that 0 marks an empty slot. */
function tagOf(h: number): number {
  return fmix(h) | 1 | 0;
}

function sameKey(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A set of prioritized rules over `words`-word flows (FLOW_WORDS by default), searched by tuple space. */
export class Classifier<R extends ClsRule = ClsRule> {
  /** Subtables with rules, highest maxPriority first (equal ones in the order they reached it). */
  private subtables: Subtable<R>[] = [];
  /** Every subtable with rules, by the hash of its mask. */
  private readonly byMask = new Map<number, Subtable<R>[]>();
  private readonly entries = new Map<R, Entry<R>>();
  private seq = 0;
  private sorted: R[] | null = null;
  /** A zero-padded copy of a lookup's flow when it is shorter than `reach`. */
  private readonly scratch: Uint32Array;
  /** The words lookups read: 1 + the highest word any subtable's mask covers. */
  private reach = 0;

  /** Prefix tries, one per tracked field. */
  private tries: PrefixTrie[];
  /** Counts lookups (tags the tries' per-lookup walks). */
  private lookupSeq = 0;

  /**
   * A classifier over `words`-word flows. `prefixes` are the 32-bit words tracked by prefix tries (OVS's
   * Flow_Table prefixes; its default tracks ip_dst and ip_src, as ours does); [] turns tracking off.
   */
  constructor(
    readonly words: number = FLOW_WORDS,
    readonly prefixes: readonly number[] = [K_NW_DST, K_NW_SRC],
  ) {
    this.scratch = new Uint32Array(words);
    this.tries = prefixes.filter((w) => w < words).map((w) => new PrefixTrie(w));
  }

  /** Number of rules. */
  get count(): number {
    return this.entries.size;
  }

  /** Number of subtables (distinct masks). */
  get subtableCount(): number {
    return this.subtables.length;
  }

  /**
   * Adds `rule`. A rule with the same priority and an identical match is replaced (and returned); the
   * newcomer takes its place in rules() order. Adding a rule already present changes nothing.
   */
  insert(rule: R): R | null {
    if (this.entries.has(rule)) return null;
    const p = rule.priority;
    if (!Number.isInteger(p) || p < -0x8000_0000 || p > 0x7fff_ffff) {
      throw new RangeError(`priority ${p} is not a 32-bit integer`);
    }
    const mask = this.normalize(rule.match.mask);
    const st = this.subtableOf(mask, true) as Subtable<R>;
    const key = st.keyOf(rule.match.value);
    const bucket = st.bucketOf(key) ?? st.addBucket(key);
    const list = bucket.entries;
    let at = 0;
    while (at < list.length && list[at].priority > rule.priority) at++;
    this.sorted = null;
    if (at < list.length && list[at].priority === rule.priority) {
      const old = list[at];
      const replaced = old.rule;
      this.entries.delete(replaced);
      old.rule = rule;
      this.entries.set(rule, old);
      if (at === 0) st.refreshHead(bucket);
      return replaced;
    }
    const entry = new Entry(rule, rule.priority, this.seq++, bucket);
    list.splice(at, 0, entry);
    if (at === 0) st.refreshHead(bucket);
    for (const u of st.tries) u.trie.insert(key[u.pos], u.len);
    this.entries.set(rule, entry);
    this.addToSubtable(st, rule.priority);
    return null;
  }

  /** Removes `rule` (by identity); false when it is not here. */
  remove(rule: R): boolean {
    const entry = this.entries.get(rule);
    if (entry === undefined) return false;
    this.entries.delete(rule);
    this.sorted = null;
    const st = entry.bucket.subtable;
    const list = entry.bucket.entries;
    for (const u of st.tries) u.trie.remove(entry.bucket.key[u.pos], u.len);
    const at = list.indexOf(entry);
    list.splice(at, 1);
    if (list.length === 0) st.removeBucket(entry.bucket);
    else if (at === 0) st.refreshHead(entry.bucket);
    st.rules--;
    st.priorities.remove(entry.priority);
    if (st.rules === 0) {
      this.subtables.splice(this.subtables.indexOf(st), 1);
      const chain = this.byMask.get(st.maskHash) as Subtable<R>[];
      chain.splice(chain.indexOf(st), 1);
      if (chain.length === 0) this.byMask.delete(st.maskHash);
      if (st.reach === this.reach) this.reach = Math.max(0, ...this.subtables.map((x) => x.reach));
    } else if (st.priorities.max !== st.maxPriority) {
      this.reorder(st);
    }
    return true;
  }

  /** Removes every rule. */
  clear(): void {
    this.subtables = [];
    this.tries = this.prefixes.filter((w) => w < this.words).map((w) => new PrefixTrie(w));
    this.reach = 0;
    this.byMask.clear();
    this.entries.clear();
    this.sorted = null;
  }

  /**
   * The highest-priority rule matching `flow`, or null. Every flow bit the answer depended on is ORed into
   * `wc` (as far as `wc` reaches; null: no tracking). Words of `flow` past its end count as 0.
   */
  lookup(flow: Uint32Array, wc: Uint32Array | null): R | null {
    if (flow.length < this.reach) {
      this.scratch.set(flow);
      this.scratch.fill(0, flow.length);
      flow = this.scratch;
    }
    const subtables = this.subtables;
    const seq = ++this.lookupSeq;
    let best: R | null = null;
    let bestPriority = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < subtables.length; i++) {
      const st = subtables[i];
      if (st.maxPriority <= bestPriority) break;
      const slot = st.find(flow);
      if (slot < 0) {
        if (wc !== null) this.unwildcardMiss(st, flow, wc, seq);
      } else {
        if (wc !== null) st.unwildcard(wc, st.idx.length);
        const p = st.table[slot * st.stride + 1];
        if (p > bestPriority) {
          best = st.heads[slot];
          bestPriority = p;
        }
      }
    }
    return best;
  }

  /**
   * Unwildcards what proves that `st` has no rule for `flow`: the stages its probe examined or, once the
   * probe reached a prefix-tracked field, only the leading bits of that field that show no rule of the
   * subtable's prefix length lies on the flow's path (OVS's check_tries), whichever a trie can give.
   */
  private unwildcardMiss(st: Subtable<R>, flow: Uint32Array, wc: Uint32Array, seq: number): void {
    const end = st.examined;
    const tries = st.tries;
    for (let i = 0; i < tries.length; i++) {
      const u = tries[i];
      if (end <= u.from) continue;
      const trie = u.trie;
      if (trie.walkedIn !== seq) trie.walk(flow[trie.word], seq);
      const bits = trie.skipBits(u.len);
      if (bits > 0) {
        if (trie.word < wc.length) wc[trie.word] |= bits >= 32 ? ALL_ONES : ~(ALL_ONES >>> bits);
        return;
      }
    }
    st.unwildcard(wc, end);
  }

  /** The rules, highest priority first, ties in insertion order (cached until the next change). */
  rules(): readonly R[] {
    if (this.sorted === null) {
      const all = [...this.entries.values()];
      all.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
      this.sorted = all.map((e) => e.rule);
    }
    return this.sorted;
  }

  [Symbol.iterator](): Iterator<R> {
    return this.rules()[Symbol.iterator]();
  }

  /** The rule with exactly this match and priority (OVS's classifier_find_match_exactly), or null. */
  findStrict(match: ClsMatch, priority: number): R | null {
    const st = this.subtableOf(this.normalize(match.mask), false);
    if (st === null) return null;
    const b = st.bucketOf(st.keyOf(match.value));
    if (b === null) return null;
    for (const e of b.entries) if (e.priority === priority) return e.rule;
    return null;
  }

  /**
   * Every rule whose match is at least as specific as `match` and agrees with it on `match`'s mask (OVS's
   * cls_rule_is_loose_match: what del-flows and mod-flows without --strict act on), highest priority first.
   */
  findLoose(match: ClsMatch): R[] {
    const mask = this.normalize(match.mask);
    const value = new Uint32Array(this.words);
    for (let i = 0; i < this.words; i++) value[i] = wordAt(match.value, i) & mask[i];
    const found: Entry<R>[] = [];
    for (const st of this.subtables) {
      let covers = true;
      for (let i = 0; i < this.words && covers; i++) covers = (mask[i] & ~st.mask[i]) === 0;
      if (!covers) continue;
      // The words where `mask` is non-zero are all among st.idx.
      const idx = st.idx;
      for (const b of st.allBuckets()) {
        let agrees = true;
        for (let k = 0; k < idx.length && agrees; k++) {
          const w = idx[k];
          agrees = (b.key[k] & mask[w]) === (value[w] | 0);
        }
        if (agrees) found.push(...b.entries);
      }
    }
    found.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    return found.map((e) => e.rule);
  }

  /** `mask` as a `words`-long array (padded with zeros). */
  private normalize(mask: Uint32Array): Uint32Array {
    if (mask.length > this.words) {
      for (let i = this.words; i < mask.length; i++) {
        if (mask[i] !== 0)
          throw new RangeError(`match mask word ${i} is past the flow's ${this.words} words`);
      }
    }
    if (mask.length === this.words) return mask;
    const m = new Uint32Array(this.words);
    m.set(mask.subarray(0, this.words));
    return m;
  }

  /** The subtable for `mask` (normalized), created (outside the search order) when `create`. */
  private subtableOf(mask: Uint32Array, create: boolean): Subtable<R> | null {
    let h = 0;
    for (let i = 0; i < mask.length; i++) h = mix(h, mask[i]);
    const hash = fmix(h);
    const chain = this.byMask.get(hash);
    if (chain !== undefined) {
      for (const st of chain) if (sameMask(st.mask, mask)) return st;
    }
    if (!create) return null;
    const st = new Subtable<R>(Uint32Array.from(mask), hash, this.tries);
    if (chain === undefined) this.byMask.set(hash, [st]);
    else chain.push(st);
    return st;
  }

  /** Accounts for a new rule of priority `p` in `st`. */
  private addToSubtable(st: Subtable<R>, p: number): void {
    st.rules++;
    st.priorities.add(p);
    if (st.rules === 1) {
      st.maxPriority = p;
      this.place(st);
    } else if (p > st.maxPriority) {
      this.reorder(st);
    }
  }

  /** Moves `st` to where its new maximum priority puts it. */
  private reorder(st: Subtable<R>): void {
    this.subtables.splice(this.subtables.indexOf(st), 1);
    st.maxPriority = st.priorities.max;
    this.place(st);
  }

  /** Inserts `st` after every subtable whose maxPriority is at least its own. */
  private place(st: Subtable<R>): void {
    if (st.reach > this.reach) this.reach = st.reach;
    const list = this.subtables;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].maxPriority >= st.maxPriority) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, st);
  }
}

function sameMask(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
