// The order in which ovs-vsctl walks a table's rows: its IDL keeps rows in a hash map keyed by the first
// 32 bits of the UUID, filled in the order the monitor reply's JSON object yields them (itself a string
// hash table), so `list`, `find` and the first-row rules see rows in that order, not in UUID order.
import { shashOrder } from '../ovsdb/shash-order.js';

/** hmap's bucket mask for `n` entries (calc_mask). */
function bucketMask(n: number): number {
  let mask = Math.floor(n / 2);
  for (const shift of [1, 2, 4, 8, 16]) mask |= mask >>> shift;
  return mask | ((mask & 1) << 1);
}

/** The iteration order of an OVS hmap into which `keys` were inserted in order, hashed by `hash`. */
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
    for (const chain of old) for (const key of chain) place(key);
  }
  return buckets.flat();
}

/** The order ovs-vsctl's IDL iterates rows with these UUIDs (all received in one monitor reply). */
export function idlRowOrder(uuids: Iterable<string>): string[] {
  return hmapOrder(shashOrder(uuids), (uuid) => Number.parseInt(uuid.slice(0, 8), 16));
}
