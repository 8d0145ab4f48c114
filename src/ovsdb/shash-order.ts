// The order in which Open vSwitch iterates a string-keyed hash table (its shash): OVS's tools print
// tables, columns and JSON members in that order, so tsovs reproduces it where output must match theirs.

/** OVS's hash_string(s, 0): a murmur-style hash of the UTF-8 bytes read as little-endian words. */
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

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function mhashAdd(hash: number, data: number): number {
  let h = hash;
  if (data !== 0) {
    const d = Math.imul(rotl(Math.imul(data, 0xcc9e2d51) >>> 0, 15), 0x1b873593) >>> 0;
    h = (h ^ d) >>> 0;
  }
  return (Math.imul(rotl(h, 13), 5) + 0xe6546b64) >>> 0;
}

function mhashFinish(hash: number): number {
  let h = hash;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** hmap's bucket mask for `n` entries. */
function bucketMask(n: number): number {
  let mask = Math.floor(n / 2);
  for (const shift of [1, 2, 4, 8, 16]) mask |= mask >>> shift;
  return mask | ((mask & 1) << 1);
}

/** The iteration order of an OVS hmap into which `keys` were inserted in this order, hashed by `hash`. */
export function hmapOrder<T>(keys: Iterable<T>, hash: (key: T) => number): T[] {
  let buckets: T[][] = [[]];
  let mask = 0;
  let count = 0;
  const hashes = new Map<T, number>();
  const place = (key: T) => buckets[((hashes.get(key) as number) & mask) >>> 0].unshift(key);
  for (const key of keys) {
    if (hashes.has(key)) continue;
    hashes.set(key, hash(key) >>> 0);
    place(key);
    count++;
    if (Math.floor(count / 2) <= mask) continue;
    const newMask = bucketMask(count);
    if (newMask <= mask) continue;
    const old = buckets;
    buckets = Array.from({ length: newMask + 1 }, () => []);
    mask = newMask;
    for (const chain of old) for (const k of chain) place(k);
  }
  return buckets.flat();
}

/**
 * The order in which Open vSwitch iterates a string-keyed hash table (shash) filled with `names` in this
 * order: bucket by bucket, each bucket newest first, with the table growing as OVS's hmap grows.
 */
export function shashOrder(names: Iterable<string>): string[] {
  return hmapOrder(names, ovsHashString);
}
