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

/**
 * The order in which Open vSwitch iterates a string-keyed hash table (shash) filled with `names` in this
 * order: bucket by bucket, each bucket newest first, with the table growing as OVS's hmap grows.
 */
export function shashOrder(names: Iterable<string>): string[] {
  let buckets: string[][] = [[]];
  let mask = 0;
  let count = 0;
  const hashes = new Map<string, number>();
  const place = (name: string) => buckets[(hashes.get(name) as number) & mask].unshift(name);
  for (const name of names) {
    if (hashes.has(name)) continue;
    hashes.set(name, ovsHashString(name));
    place(name);
    count++;
    if (Math.floor(count / 2) <= mask) continue;
    const newMask = bucketMask(count);
    if (newMask <= mask) continue;
    const old = buckets;
    buckets = Array.from({ length: newMask + 1 }, () => []);
    mask = newMask;
    for (const chain of old) for (const n of chain) place(n);
  }
  return buckets.flat();
}
