// The order in which Open vSwitch iterates a `struct shash` (a string-keyed hmap): ovsdb-client prints
// tables, columns and monitored rows in that order, so we reproduce it to match its output byte for byte.
// The hash is OVS's portable murmur-style hash_bytes() (the one its generic x86-64 builds use).

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function mhashAdd(hash: number, data: number): number {
  let h = hash;
  if (data !== 0) {
    let d = Math.imul(data, C1) >>> 0;
    d = rotl(d, 15);
    d = Math.imul(d, C2) >>> 0;
    h = (h ^ d) >>> 0;
  }
  h = rotl(h, 13);
  return (Math.imul(h, 5) + 0xe6546b64) >>> 0;
}

function mhashFinish(hash: number): number {
  let h = hash;
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** OVS's hash_string(s, 0): hash_bytes() over the UTF-8 bytes, read as little-endian 32-bit words. */
export function ovsHashString(s: string): number {
  const bytes = Buffer.from(s, 'utf8');
  let hash = 0;
  let i = 0;
  for (; i + 4 <= bytes.length; i += 4) hash = mhashAdd(hash, bytes.readUInt32LE(i));
  if (i < bytes.length) {
    let tail = 0;
    for (let j = bytes.length - 1; j >= i; j--) tail = (tail << 8) | bytes[j];
    hash = mhashAdd(hash, tail >>> 0);
  }
  return mhashFinish((hash ^ bytes.length) >>> 0);
}

/** hmap's calc_mask(): the bucket mask for a capacity. */
function calcMask(capacity: number): number {
  let mask = Math.floor(capacity / 2);
  for (const shift of [1, 2, 4, 8, 16]) mask |= mask >>> shift;
  return mask | ((mask & 1) << 1);
}

/** A model of an OVS shash: only the bucket layout, which is what decides the iteration order. */
class ShashModel {
  private buckets: string[][] = [[]];
  private mask = 0;
  private count = 0;
  private readonly hashes = new Map<string, number>();

  /** shash_replace(): adds `name` unless present (a replaced entry keeps its place). */
  add(name: string): void {
    if (this.hashes.has(name)) return;
    const hash = ovsHashString(name);
    this.hashes.set(name, hash);
    this.insertFast(name, hash);
    if (Math.floor(this.count / 2) > this.mask) this.expand();
  }

  /** SHASH_FOR_EACH order: bucket by bucket, each chain newest first. */
  order(): string[] {
    return this.buckets.flat();
  }

  private insertFast(name: string, hash: number): void {
    this.buckets[(hash & this.mask) >>> 0].unshift(name);
    this.count++;
  }

  private expand(): void {
    const newMask = calcMask(this.count);
    if (newMask <= this.mask) return;
    const old = this.buckets;
    this.buckets = Array.from({ length: newMask + 1 }, () => []);
    this.mask = newMask;
    this.count = 0;
    for (const chain of old) for (const name of chain) this.insertFast(name, this.hashes.get(name) as number);
  }
}

/** The order OVS iterates a shash into which `names` were inserted in this order (duplicates ignored). */
export function shashOrder(names: Iterable<string>): string[] {
  const model = new ShashModel();
  for (const name of names) model.add(name);
  return model.order();
}
