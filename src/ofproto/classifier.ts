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
// Memory: a rule costs the classifier one slot of its subtable's table (tag, priority, masked value words)
// when its masked value is new, and two fields of its own (the `cls` fields of ClsRule: the list of rules
// sharing a masked value, and the insertion order). Matches keep only their masked words, in the order of
// an interned shape (MatchShape), which is also the order of the subtable's key words.
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
 * node per prefix some rule's value passes through, counting the rules whose prefix ends there (a node
 * with no children and no rule ending at it is freed). A lookup
 * walks the flow's value once; a subtable matching the field with a prefix of length L can then be skipped
 * when no rule has a length-L prefix on that path, unwildcarding only the bits that walk depended on.
 */
class PrefixTrie {
  private child0 = new Int32Array(64);
  private child1 = new Int32Array(64);
  /** Rules whose prefix ends at the node. */
  private ends = new Int32Array(64);
  private used = 1;
  private readonly free: number[] = [];
  /** Prefixes tracked. */
  private count = 0;
  /** The nodes of the path remove() walks. */
  private readonly path = new Int32Array(33);
  /** The lookup the walk below belongs to. */
  walkedIn = -1;
  /** Depth of the flow's path: nodes exist for its first `depth` bits, not for depth + 1. */
  depth = 0;
  /** Bit L-1 set: some rule has the flow's first L bits as its prefix (L = 1..32). */
  plens = 0;

  constructor(readonly word: number) {}

  /** Whether no prefix is tracked. */
  get empty(): boolean {
    return this.count === 0;
  }

  insert(value: number, len: number): void {
    let n = 0;
    this.count++;
    for (let d = 0; d < len; d++) {
      const one = (value >>> (31 - d)) & 1;
      let c = one === 0 ? this.child0[n] : this.child1[n];
      if (c === 0) {
        c = this.alloc();
        if (one === 0) this.child0[n] = c;
        else this.child1[n] = c;
      }
      n = c;
    }
    this.ends[n]++;
    this.walkedIn = -1;
  }

  /** Removes a prefix inserted before, and the nodes no prefix needs any more. */
  remove(value: number, len: number): void {
    const path = this.path;
    let n = 0;
    path[0] = 0;
    for (let d = 0; d < len; d++) {
      n = ((value >>> (31 - d)) & 1) === 0 ? this.child0[n] : this.child1[n];
      path[d + 1] = n;
    }
    this.count--;
    this.ends[n]--;
    for (let d = len; d > 0; d--) {
      const x = path[d];
      if (this.ends[x] !== 0 || this.child0[x] !== 0 || this.child1[x] !== 0) break;
      const parent = path[d - 1];
      if (this.child0[parent] === x) this.child0[parent] = 0;
      else this.child1[parent] = 0;
      this.free.push(x);
    }
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
        const b = new Int32Array(a.length + (a.length >> 1));
        b.set(a);
        return b;
      };
      this.child0 = grow(this.child0);
      this.child1 = grow(this.child1);
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

/**
 * A mask over the pipeline flow's words, interned (one object per distinct mask, shared by every match
 * and subtable with it): the words it covers in probe order (by stage, then word), which is also the
 * order of a match's value words (ClsMatch.word).
 */
export class MatchShape {
  /** The mask, FLOW_WORDS words (1 bits are compared). Shared: never modify. */
  readonly mask: Uint32Array;
  /** The words the mask covers, in probe order. */
  readonly idx: Int32Array;
  /** The mask at those words (as int32). */
  readonly maskW: Int32Array;
  /** For each flow word, its position in idx, or -1. */
  readonly pos: Int8Array;
  /** Positions in idx where a stage other than the last ends. */
  readonly stageEnds: Int32Array;
  /** 1 + the highest word covered (0 for the catch-all mask). */
  readonly reach: number;

  constructor(
    mask: Uint32Array,
    readonly hash: number,
  ) {
    this.mask = mask;
    const words: number[] = [];
    for (let w = 0; w < mask.length; w++) if (mask[w] !== 0) words.push(w);
    words.sort((a, b) => stageOf(a) - stageOf(b) || a - b);
    this.idx = Int32Array.from(words);
    this.maskW = Int32Array.from(words, (w) => mask[w] | 0);
    this.pos = new Int8Array(FLOW_WORDS).fill(-1);
    words.forEach((w, k) => {
      this.pos[w] = k;
    });
    const ends: number[] = [];
    for (let k = 1; k < words.length; k++) if (stageOf(words[k]) !== stageOf(words[k - 1])) ends.push(k);
    this.stageEnds = Int32Array.from(ends);
    this.reach = words.length === 0 ? 0 : Math.max(...words) + 1;
  }
}

/** Interned shapes by the hash of their mask. Masks are few (100,000 nw_dst rules share one). */
const shapes = new Map<number, MatchShape[]>();

/** The shape of `mask` (at most FLOW_WORDS words; missing words are 0). */
export function matchShape(mask: Uint32Array): MatchShape {
  if (mask.length > FLOW_WORDS) throw new RangeError(`a match has at most ${FLOW_WORDS} words`);
  let h = 0;
  let last = mask.length;
  while (last > 0 && mask[last - 1] === 0) last--;
  for (let i = 0; i < last; i++) h = mix(h, mask[i]);
  const hash = fmix(h);
  let list = shapes.get(hash);
  if (list === undefined) {
    list = [];
    shapes.set(hash, list);
  }
  for (const s of list) {
    let same = true;
    for (let i = 0; i < FLOW_WORDS && same; i++) same = s.mask[i] === (i < mask.length ? mask[i] : 0);
    if (same) return s;
  }
  const full = new Uint32Array(FLOW_WORDS);
  full.set(mask);
  const shape = new MatchShape(full, hash);
  list.push(shape);
  return shape;
}

/** A masked match: a flow matches when (flow[idx[k]] & maskW[k]) == words[k] for every k of its shape. */
export interface ClsMatch {
  readonly shape: MatchShape;
  /** The masked value at the shape's k-th word (in its order), as int32. */
  word(k: number): number;
}

/**
 * What the classifier needs of a rule. Rules are told apart by identity; the two `cls` fields belong to
 * the classifier holding the rule (an intrusive list, as OVS embeds cls_rule in its rules) and must start
 * as null and -1.
 */
export interface ClsRule {
  readonly priority: number;
  readonly match: ClsMatch;
  /** The next lower-priority rule with the same mask and masked value. */
  clsNext: ClsRule | null;
  /** Insertion order in the classifier (ties in rules() order), -1 while in none. */
  clsSeq: number;
}

const MIN_CAPACITY = 8;

/** Scratch for the partial hashes of a key (a shape has at most 3 stage ends). */
const partialScratch = new Int32Array(4);

/**
 * The rules with one mask: an open-addressing hash table whose slots are `stride` words of one Int32Array
 * — the slot's tag (its hash with bit 0 set; 0: empty), the priority of its best rule, then the masked
 * value — beside an array of each slot's best rule, the head of the list (by clsNext) of the rules that
 * share the value, highest priority first. A lookup touches little more than one slot's words.
 */
class Subtable<R extends ClsRule> {
  readonly idx: Int32Array;
  readonly maskW: Int32Array;
  readonly stageEnds: Int32Array;
  /** For each stage but the last: partial hash → slots with it. */
  readonly stageHashes: Map<number, number>[];
  /** Highest priority of the rules here (the order of the subtable search). */
  maxPriority = Number.NEGATIVE_INFINITY;
  /** Rules here. */
  rules = 0;
  readonly priorities = new Priorities();
  /** Words per slot: tag, best priority, masked value. */
  readonly stride: number;
  readonly reach: number;
  private used = 0;
  private capacity = MIN_CAPACITY;
  table: Int32Array;
  /** Each slot's best rule. */
  heads: (R | null)[] = new Array<R | null>(MIN_CAPACITY).fill(null);
  /** Prefix-tracked fields this mask matches with a CIDR prefix. */
  readonly tries: TrieUse[] = [];
  /** After a miss in find(): how many words (in probe order) the miss depended on. */
  examined = 0;

  constructor(
    readonly shape: MatchShape,
    tries: readonly PrefixTrie[],
  ) {
    this.idx = shape.idx;
    this.maskW = shape.maskW;
    this.stageEnds = shape.stageEnds;
    this.stageHashes = Array.from(shape.stageEnds, () => new Map<number, number>());
    const words = Array.from(shape.idx);
    for (const trie of tries) {
      const len = prefixLength(shape.mask[trie.word]);
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
    this.reach = shape.reach;
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

  /** The tag of `m`'s value, with the partial hashes at each stage end in partialScratch. */
  private hashValue(m: ClsMatch): number {
    let h = 0;
    let k = 0;
    const ends = this.stageEnds;
    for (let s = 0; s < ends.length; s++) {
      for (; k < ends[s]; k++) h = mix(h, m.word(k));
      partialScratch[s] = h;
    }
    for (; k < this.idx.length; k++) h = mix(h, m.word(k));
    return tagOf(h);
  }

  /** The slot holding `m`'s value (`m` has this subtable's shape), or -1. */
  slotOf(m: ClsMatch): number {
    const tag = this.hashValue(m);
    const mask = this.capacity - 1;
    const stride = this.stride;
    const n = this.idx.length;
    for (let slot = (tag >>> 1) & mask; ; slot = (slot + 1) & mask) {
      const base = slot * stride;
      const t = this.table[base];
      if (t === 0) return -1;
      if (t === tag) {
        let j = 0;
        while (j < n && this.table[base + 2 + j] === m.word(j)) j++;
        if (j === n) return slot;
      }
    }
  }

  /** Takes a free slot for `m`'s value (absent so far) with `head` as its rule; returns the slot. */
  addSlot(m: ClsMatch, head: R): number {
    // Linear probing stays short up to 80% full; resizing at 3/4 would leave 100,000 rules in a table
    // of 262,144 slots.
    if ((this.used + 1) * 5 > this.capacity * 4) this.resize(this.capacity * 2);
    const tag = this.hashValue(m);
    for (let s = 0; s < this.stageHashes.length; s++) {
      const map = this.stageHashes[s];
      map.set(partialScratch[s], (map.get(partialScratch[s]) ?? 0) + 1);
    }
    const mask = this.capacity - 1;
    let slot = (tag >>> 1) & mask;
    while (this.table[slot * this.stride] !== 0) slot = (slot + 1) & mask;
    const base = slot * this.stride;
    this.table[base] = tag;
    this.table[base + 1] = head.priority;
    for (let j = 0; j < this.idx.length; j++) this.table[base + 2 + j] = m.word(j);
    this.heads[slot] = head;
    this.used++;
    return slot;
  }

  /** Frees `slot` (its list now empty), whose value is `m`'s. */
  removeSlot(slot: number, m: ClsMatch): void {
    this.hashValue(m);
    for (let s = 0; s < this.stageHashes.length; s++) {
      const map = this.stageHashes[s];
      const n = map.get(partialScratch[s]) ?? 0;
      if (n > 1) map.set(partialScratch[s], n - 1);
      else map.delete(partialScratch[s]);
    }
    const stride = this.stride;
    const table = this.table;
    table.fill(0, slot * stride, (slot + 1) * stride);
    this.heads[slot] = null;
    this.used--;
    // Backward-shift deletion: move later members of the probe run into the hole.
    const wrap = this.capacity - 1;
    let hole = slot;
    for (let next = (slot + 1) & wrap; table[next * stride] !== 0; next = (next + 1) & wrap) {
      const home = (table[next * stride] >>> 1) & wrap;
      if (((hole - home) & wrap) <= ((next - home) & wrap)) {
        table.copyWithin(hole * stride, next * stride, (next + 1) * stride);
        table.fill(0, next * stride, (next + 1) * stride);
        this.heads[hole] = this.heads[next];
        this.heads[next] = null;
        hole = next;
      }
    }
    if (this.capacity > MIN_CAPACITY && this.used * 8 < this.capacity) this.resize(this.capacity / 2);
  }

  /** The number of slots (iterate heads[0 .. slots)). */
  get slots(): number {
    return this.capacity;
  }

  private resize(capacity: number): void {
    const oldTable = this.table;
    const oldHeads = this.heads;
    const stride = this.stride;
    const m = capacity - 1;
    this.capacity = capacity;
    this.table = new Int32Array(capacity * stride);
    this.heads = new Array<R | null>(capacity).fill(null);
    for (let s = 0; s < oldHeads.length; s++) {
      const head = oldHeads[s];
      if (head === null) continue;
      const tag = oldTable[s * stride];
      let slot = (tag >>> 1) & m;
      while (this.table[slot * stride] !== 0) slot = (slot + 1) & m;
      this.table.set(oldTable.subarray(s * stride, (s + 1) * stride), slot * stride);
      this.heads[slot] = head;
    }
  }
}

/** A slot tag: the finished hash with bit 0 set, so that 0 marks an empty slot. */
function tagOf(h: number): number {
  return fmix(h) | 1 | 0;
}

/** A set of prioritized rules over `words`-word flows (FLOW_WORDS by default), searched by tuple space. */
export class Classifier<R extends ClsRule = ClsRule> {
  /** Subtables with rules, highest maxPriority first (equal ones in the order they reached it). */
  private subtables: Subtable<R>[] = [];
  /** Every subtable with rules, by its shape. */
  private readonly byShape = new Map<MatchShape, Subtable<R>>();
  private n = 0;
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
    return this.n;
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
    const p = rule.priority;
    if (!Number.isInteger(p) || p < -0x8000_0000 || p > 0x7fff_ffff) {
      throw new RangeError(`priority ${p} is not a 32-bit integer`);
    }
    const shape = rule.match.shape;
    if (shape.reach > this.words) {
      throw new RangeError(`match mask word ${shape.reach - 1} is past the flow's ${this.words} words`);
    }
    if (rule.clsSeq >= 0) {
      if (this.holds(rule)) return null;
      throw new Error('the rule is in another classifier');
    }
    let st = this.byShape.get(shape);
    if (st === undefined) {
      st = new Subtable<R>(shape, this.tries);
      this.byShape.set(shape, st);
    }
    const m = rule.match;
    const slot = st.slotOf(m);
    this.sorted = null;
    if (slot < 0) {
      rule.clsNext = null;
      st.addSlot(m, rule);
    } else {
      let prev: R | null = null;
      let cur = st.heads[slot];
      while (cur !== null && cur.priority > p) {
        prev = cur;
        cur = cur.clsNext as R | null;
      }
      if (cur !== null && cur.priority === p) {
        rule.clsNext = cur.clsNext;
        rule.clsSeq = cur.clsSeq;
        if (prev === null) st.heads[slot] = rule;
        else prev.clsNext = rule;
        cur.clsNext = null;
        cur.clsSeq = -1;
        return cur;
      }
      rule.clsNext = cur;
      if (prev === null) {
        st.heads[slot] = rule;
        st.table[slot * st.stride + 1] = p;
      } else {
        prev.clsNext = rule;
      }
    }
    rule.clsSeq = this.seq++;
    for (const u of st.tries) u.trie.insert(m.word(u.pos), u.len);
    this.n++;
    this.addToSubtable(st, p);
    return null;
  }

  /** Whether `rule` (by identity) is here. */
  private holds(rule: R): boolean {
    const st = this.byShape.get(rule.match.shape);
    if (st === undefined) return false;
    const slot = st.slotOf(rule.match);
    if (slot < 0) return false;
    for (let r: ClsRule | null = st.heads[slot]; r !== null; r = r.clsNext) if (r === rule) return true;
    return false;
  }

  /** Removes `rule` (by identity); false when it is not here. */
  remove(rule: R): boolean {
    if (rule.clsSeq < 0) return false;
    const st = this.byShape.get(rule.match.shape);
    if (st === undefined) return false;
    const m = rule.match;
    const slot = st.slotOf(m);
    if (slot < 0) return false;
    let prev: R | null = null;
    let cur = st.heads[slot];
    while (cur !== null && cur !== rule) {
      prev = cur;
      cur = cur.clsNext as R | null;
    }
    if (cur === null) return false;
    const next = rule.clsNext as R | null;
    if (prev !== null) prev.clsNext = next;
    else if (next !== null) {
      st.heads[slot] = next;
      st.table[slot * st.stride + 1] = next.priority;
    } else {
      st.removeSlot(slot, m);
    }
    rule.clsNext = null;
    rule.clsSeq = -1;
    this.n--;
    this.sorted = null;
    for (const u of st.tries) u.trie.remove(m.word(u.pos), u.len);
    st.rules--;
    st.priorities.remove(rule.priority);
    if (st.rules === 0) {
      this.subtables.splice(this.subtables.indexOf(st), 1);
      this.byShape.delete(st.shape);
      if (st.reach === this.reach) this.reach = Math.max(0, ...this.subtables.map((x) => x.reach));
    } else if (st.priorities.max !== st.maxPriority) {
      this.reorder(st);
    }
    return true;
  }

  /** Removes every rule (each leaves with its `cls` fields reset). */
  clear(): void {
    for (const st of this.subtables) {
      for (const head of st.heads) {
        for (let r: ClsRule | null = head; r !== null; ) {
          const next: ClsRule | null = r.clsNext;
          r.clsNext = null;
          r.clsSeq = -1;
          r = next;
        }
      }
    }
    this.subtables = [];
    this.tries = this.prefixes.filter((w) => w < this.words).map((w) => new PrefixTrie(w));
    this.reach = 0;
    this.byShape.clear();
    this.n = 0;
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
      const all: R[] = [];
      for (const st of this.subtables) {
        for (const head of st.heads)
          for (let r: R | null = head; r !== null; r = r.clsNext as R | null) all.push(r);
      }
      all.sort((a, b) => b.priority - a.priority || a.clsSeq - b.clsSeq);
      this.sorted = all;
    }
    return this.sorted;
  }

  [Symbol.iterator](): Iterator<R> {
    return this.rules()[Symbol.iterator]();
  }

  /** The rule with exactly this match and priority (OVS's classifier_find_match_exactly), or null. */
  findStrict(match: ClsMatch, priority: number): R | null {
    const st = this.byShape.get(match.shape);
    if (st === undefined) return null;
    const slot = st.slotOf(match);
    if (slot < 0) return null;
    for (let r = st.heads[slot]; r !== null; r = r.clsNext as R | null) if (r.priority === priority) return r;
    return null;
  }

  /**
   * Every rule whose match is at least as specific as `match` and agrees with it on `match`'s mask (OVS's
   * cls_rule_is_loose_match: what del-flows and mod-flows without --strict act on), highest priority first.
   */
  findLoose(match: ClsMatch): R[] {
    const q = match.shape;
    const found: R[] = [];
    for (const st of this.subtables) {
      const mask = st.shape.mask;
      // Positions in st's slots of the query's words, or a miss when the query masks bits st does not.
      const at: number[] = [];
      for (let k = 0; k < q.idx.length; k++) {
        const w = q.idx[k];
        if ((q.mask[w] & ~mask[w]) !== 0) break;
        at.push(st.shape.pos[w]);
      }
      if (at.length < q.idx.length) continue;
      const table = st.table;
      const stride = st.stride;
      for (let slot = 0; slot < st.slots; slot++) {
        const head = st.heads[slot];
        if (head === null) continue;
        let agrees = true;
        for (let k = 0; k < at.length && agrees; k++) {
          agrees = (table[slot * stride + 2 + at[k]] & q.maskW[k]) === match.word(k);
        }
        if (agrees) for (let r: R | null = head; r !== null; r = r.clsNext as R | null) found.push(r);
      }
    }
    found.sort((a, b) => b.priority - a.priority || a.clsSeq - b.clsSeq);
    return found;
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
